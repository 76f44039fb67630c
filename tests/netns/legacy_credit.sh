#!/usr/bin/env bash
# review of an iptables-legacy candidate on a host whose nft table decides first at the
# same hook (inet fw at priority -10, policy drop): one decider per hook, the nft
# chain's, yet the line credits the candidate's own rule that accepted the flow in its
# table, as the manual says (helper-57), not the live table's.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "nft -f"
table inet fw {
	chain early { type filter hook input priority -10; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport 22 accept; }
}
NFT
# a legacy table that decides something: the candidate's format is iptables-legacy's
S iptables-legacy -A INPUT -p tcp --dport 81 -j DROP || fail "iptables-legacy"
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh"
sleep 2
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" suggest --format iptables -o "$TMP/cand.v4" "$TMP/s.json" || fail "suggest iptables"
S "$CTA" review "$TMP/cand.v4" --session "$TMP/s.json" >"$TMP/r.out" 2>&1
cat "$TMP/r.out"
expect_line "$TMP/r.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:22  \(in\)  recorded: accept \(rule inet fw early .*->  candidate: accept \(rule iptables-legacy filter INPUT number [0-9]+: -A INPUT -s 198\.51\.100\.7/32 .*-j ACCEPT\)$"
S iptables-legacy -F INPUT
finish
