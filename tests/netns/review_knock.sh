#!/usr/bin/env bash
# A port knock: a SYN to 7000 puts the client in a set with a timeout, and only a
# client in the set may connect to ssh. The recording saw the knock and the ssh
# connection; by review time the knock has expired. The unchanged ruleset was BREAKS,
# exit 1 (helper-59 F6): the replay copies the set as it is now, empty. The rule that
# let the flow in reads state the candidate keeps, so that state, not the candidate,
# decides: not judged, exit 0. A candidate without that rule is BREAKS.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "nft -f"
table inet filter {
	set knocked {
		type ipv4_addr
		flags timeout
	}
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		tcp dport 7000 add @knocked { ip saddr timeout 4s } drop
		ip saddr @knocked tcp dport 22 accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 7000 -s 198.51.100.7 >/dev/null 2>&1
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 22 -s 198.51.100.7 || fail "ssh after the knock"
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
sleep 2 # the knock expires
[ -z "$(S nft list set inet filter knocked | grep -F 198.51.100.7)" ] || fail "the knock did not expire"

S nft list ruleset | sed '1i flush ruleset' >"$TMP/live.nft"
S "$CTA" review "$TMP/live.nft" --session "$TMP/s.json" >"$TMP/live.out" 2>&1
rc=$?
cat "$TMP/live.out"
[ $rc = 0 ] || fail "review of the unchanged ruleset after the knock expired: exit $rc, not 0"
# the replay knocks too when it replays the knock before ssh (flows go in the order of
# their source ports): then ssh is let in, ok; else not judged, never BREAKS
expect_line "$TMP/live.out" "^  not judged +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22 .*candidate: drop \(policy of inet filter input\) \(not judged: a rule holding state let it in while recording, and the candidate keeps it: .*port knock|^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22 .*candidate: accept \(rule inet filter input.*@knocked"
expect_line "$TMP/live.out" "BREAKS" 0

grep -v "ip saddr @knocked tcp dport 22 accept" "$TMP/live.nft" >"$TMP/cand.nft"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/cand.out" 2>&1
rc=$?
cat "$TMP/cand.out"
[ $rc = 1 ] || fail "review of a candidate without the knock's accept: exit $rc, not 1"
expect_line "$TMP/cand.out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22 .*candidate: drop \(policy of inet filter input\)$"
finish
