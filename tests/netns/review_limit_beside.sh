#!/usr/bin/env bash
# An OpenWrt-style router (fw4's layout: forward policy drop, a rate-limited port forward
# whose excess goes to handle_reject) and suggest's router candidate, which review loads
# beside inet fw4. Of a burst of 8 connects, the limit let 2 through and fw4 rejected 6.
# The candidate accepts the port forward, but fw4 stays in force beside it and rejects
# the same share: review must not call the flow "opens" (one replayed packet passes the
# limit; the rejects were decided in a table the candidate leaves in place).
#
#   wan (198.51.100.7) -- wan0 router lan0 -- lan (192.0.2.2:22)
. "$(dirname "$0")/common.sh"

lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet fw4 {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "wan0" jump forward_wan
		jump handle_reject
	}
	chain handle_reject {
		meta l4proto tcp reject with tcp reset
		reject
	}
	chain forward_wan {
		tcp dport 22 ct status dnat limit rate 1/second burst 2 packets counter accept
		tcp dport 22 ct status dnat counter jump handle_reject
	}
	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan0" tcp dport 2222 dnat ip to 192.0.2.2:22
	}
}
NFT
(ip netns exec "$CLB" "$CTALAB" sink tcp 22 60 &)
sleep 0.3
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
pids=()
for _ in $(seq 8); do
	ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 2222 -s 198.51.100.7 >/dev/null 2>&1 &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows "$TMP/s.json"
[ "$ok" -ge 1 ] && [ "$ok" -lt 8 ] || fail "the limit let $ok of 8 through: nothing to tell"
"$CTA" flows -o extended "$TMP/s.json" | grep -q "dport=2222 .*verdict=reject" ||
	fail "no rejected connects of the port forward recorded"

"$CTA" suggest --template router -o "$TMP/c.nft" "$TMP/s.json" || fail "suggest"
S "$CTA" review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/review.out" 2>&1
rc=$?
cat "$TMP/review.out"
[ $rc = 0 ] || fail "review: exit $rc"
expect_line "$TMP/review.out" "^in force beside the candidate: inet fw4 "
expect_line "$TMP/review.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:2222  \(forward\) "
expect_line "$TMP/review.out" "^ *opens " 0
finish
