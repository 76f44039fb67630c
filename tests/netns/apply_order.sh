#!/usr/bin/env bash
# apply and its rollback change a table in place: with tables inet cand and inet other
# hooked at the same hook and priority, an unconfirmed apply of a candidate changing
# cand gives back the very `nft list ruleset` of before (cand still first: its base
# chain still runs first), and a kept apply leaves cand where it was.
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
finish
