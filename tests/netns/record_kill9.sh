#!/usr/bin/env bash
# kill -9 during a recording: the kernel removes the owner table, the last checkpoint
# is a readable session, and the user's ruleset is untouched.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 30
ip netns exec "$SRV" nft -f - <<'NFT'
table ip userfw {
	set blocked { type ipv4_addr; elements = { 203.0.113.99 } }
	chain input { type filter hook input priority filter; policy accept; ip saddr @blocked drop; }
}
NFT
ip netns exec "$SRV" nft list ruleset >"$TMP/before"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" --checkpoint-interval 1 &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$SRV" nft list tables | grep -q "inet conntrack_advise" || fail "no own table while recording"
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 || fail "traffic"
sleep 2.5 # at least one checkpoint after the traffic
kill -9 $rec
wait $rec 2>/dev/null
sleep 0.3

no_own_table "$SRV"
ip netns exec "$SRV" nft list ruleset >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after" || fail "ruleset changed: $(diff "$TMP/before" "$TMP/after")"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" 2>"$TMP/flows.err" || fail "checkpoint unreadable: $(cat "$TMP/flows.err")"
cat "$TMP/flows"
expect_line "$TMP/flows" "tcp +6 in +src=198\.51\.100\.7 dst=192\.0\.2\.10 .* dport=22 .* conns=2 "
grep -q "did not finish" "$TMP/flows.err" || fail "a checkpoint should be flagged as unfinished"
grep -q '"complete": false' "$TMP/s.json" || fail "checkpoint not marked incomplete"
finish
