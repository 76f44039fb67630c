#!/usr/bin/env bash
# apply and its rollback change a table in place: with tables inet cand and inet other
# hooked at the same hook and priority, an unconfirmed apply of a candidate changing
# cand gives back the very `nft list ruleset` of before (cand still first: its base
# chain still runs first), and a kept apply leaves cand where it was. Backups: one file
# per apply, per namespace and time, the 10 newest kept.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet cand {
	counter hits {
	}
	set friends {
		type ipv4_addr
		elements = { 198.51.100.7 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @friends jump svc
		tcp dport 23 counter name "hits" drop
	}
	chain svc {
		tcp dport 8080 accept
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
table inet other {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 24 drop
	}
}
NFT
S nft list ruleset >"$TMP/before"
cat >"$TMP/new.nft" <<'NFT'
table inet cand
delete table inet cand
table inet cand {
	set friends {
		type ipv4_addr
		elements = { 198.51.100.8 }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @friends accept
	}
}
NFT

sleep 4 | script -qec "ip netns exec $SRV $CTA apply $TMP/new.nft --confirm-timeout 2 --backup $TMP/b.nft" /dev/null >"$TMP/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "unconfirmed: exit $rc: $(cat "$TMP/out")"
S nft list ruleset >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after" || fail "the rollback changed the listing: $(diff "$TMP/before" "$TMP/after")"

S "$CTA" apply "$TMP/new.nft" --confirm-timeout 0 --backup "$TMP/b.nft" </dev/null 2>"$TMP/err" ||
	fail "timeout 0: $(cat "$TMP/err")"
S nft list tables >"$TMP/tables"
[ "$(cat "$TMP/tables")" = "$(printf 'table inet cand\ntable inet other')" ] ||
	fail "applied: the tables are now in this order: $(cat "$TMP/tables")"
S nft list table inet cand | grep -q 'elements = { 198.51.100.8 }' || fail "not applied"
# backups: one file per apply, named for the namespace and the time, the path said,
# the 10 newest of a namespace kept, another namespace's never touched
B=$TMP/backups
ns_ino=$(S stat -L -c %i /proc/self/ns/net)
other_ino=$(ip netns exec "$CLA" stat -L -c %i /proc/self/ns/net)
ip netns exec "$CLA" "$CTA" apply "$TMP/new.nft" --confirm-timeout 0 --backup-dir "$B" </dev/null 2>/dev/null ||
	fail "apply in another namespace"
printf 'table inet cand\ndelete table inet cand\ntable inet cand {\n}\n' >"$TMP/empty.nft"
for i in $(seq 6); do
	for f in "$TMP/empty.nft" "$TMP/new.nft"; do
		S "$CTA" apply "$f" --confirm-timeout 0 --backup-dir "$B" </dev/null 2>"$TMP/err" ||
			fail "apply $i: $(cat "$TMP/err")"
	done
done
n=$(ls "$B" | grep -c "^apply-net$ns_ino-[0-9]\{8\}T[0-9]\{6\}\.[0-9]\{3\}Z\.nft$")
[ "$n" = 10 ] || fail "backups of the namespace: $n, not 10: $(ls "$B")"
[ "$(ls "$B" | grep -c "^apply-net$other_ino-")" = 1 ] || fail "the other namespace's backup went: $(ls "$B")"
saved=$(sed -n 's/.* are saved in \(.*\) (nft -f .*/\1/p' "$TMP/err")
[ -f "$saved" ] || fail "the path said is not a file: $(cat "$TMP/err")"
[ "$(stat -c %a "$saved")" = 600 ] && [ "$(stat -c %a "$B")" = 700 ] || fail "modes: $(ls -la "$B")"
finish
