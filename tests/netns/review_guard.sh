#!/usr/bin/env bash
# A candidate that sets a mark an untouched live table drops (inet guard: `meta mark
# 0x1 drop`, never matched while recording): its own doing, a real break of ssh. review
# once took every drop by a table the candidate leaves in place for that table's state
# ("not judged", exit 0, no LOCKOUT), and apply then locked the ssh session out
# (helper-58). Now: BREAKS, LOCKOUT first, exit 1, and apply refuses.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "nft -f"
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport { 22, 80 } accept
	}
}
table inet guard {
	chain input {
		type filter hook input priority 10; policy accept;
		meta mark 0x1 drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 22 >/dev/null || fail "ssh"
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
cat >"$TMP/mark.nft" <<'NFT'
flush table inet filter
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport 22 meta mark set 0x1 accept
		tcp dport 80 accept
	}
}
NFT
export SSH_CONNECTION="198.51.100.7 40000 198.51.100.1 22"
S "$CTA" review "$TMP/mark.nft" --session "$TMP/s.json" >"$TMP/r.out" 2>/dev/null
rc=$?
cat "$TMP/r.out"
[ $rc = 1 ] || fail "review of a candidate that marks ssh into the guard's drop: exit $rc, not 1"
head -1 "$TMP/r.out" | grep -q "^LOCKOUT: the management session tcp 198\.51\.100\.7:40000 -> 198\.51\.100\.1:22 would be dropped" ||
	fail "no LOCKOUT first"
expect_line "$TMP/r.out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22  \(in\)  recorded: accept .*candidate: drop \(rule inet guard input .*the candidate may lead the packet there"
expect_line "$TMP/r.out" " 0 not judged$"
S "$CTA" apply "$TMP/mark.nft" --confirm-timeout 0 --backup "$TMP/b.nft" </dev/null >"$TMP/a.out" 2>&1
rc=$?
cat "$TMP/a.out"
[ $rc = 1 ] || fail "apply of the lockout: exit $rc, not 1"
S nft list chain inet filter input | grep -q "mark set" && fail "apply changed the table"
finish
