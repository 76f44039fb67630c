#!/usr/bin/env bash
# An outbound flow of a host with two uplinks, routed by a source-address policy rule
# (`ip rule from 203.0.113.1 lookup 100`: out of sb) that an output chain allows on that
# uplink only. review rebuilds the rule, but replayed the packet through a raw socket
# whose route lookup takes no source from the header: it left by sa, BREAKS with the
# ruleset unchanged (before b93867e), then not judged (after it). The replay now gives
# the route lookup its source (IP_PKTINFO): ok unchanged, BREAKS without the accept
# (helper-58).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
ip -n "$CLB" addr add 192.0.2.50/32 dev eth0
ip -n "$CLB" route add default via 203.0.113.1
ip -n "$CLA" route add default via 198.51.100.1
S ip route add default via 198.51.100.7 dev sa || fail "main route"
S ip route add default via 203.0.113.20 dev sb table 100 || fail "uplink 2"
S ip rule add from 203.0.113.1 lookup 100 pref 100 || fail "policy rule"
(ip netns exec "$CLB" "$CTALAB" serve tcp 8080 60 -a 192.0.2.50 &)
sleep 0.3
S nft -f - <<'NFT' || fail "nft -f"
table inet filter {
	chain output {
		type filter hook output priority 0; policy drop;
		oif lo accept
		ct state established,related accept
		oifname "sb" tcp dport 8080 accept comment "uplink 2 only"
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
S "$CTALAB" probe tcp 192.0.2.50 8080 -s 203.0.113.1 >/dev/null || fail "the uplink's connection"
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
S nft list ruleset | sed '1i flush ruleset' >"$TMP/same.nft"
sed '/uplink 2 only/d' "$TMP/same.nft" >"$TMP/broken.nft"
S "$CTA" review "$TMP/same.nft" --session "$TMP/s.json" >"$TMP/same.out" 2>&1
rc=$?
cat "$TMP/same.out"
[ $rc = 0 ] || fail "review of the ruleset unchanged: exit $rc"
expect_line "$TMP/same.out" "^  ok +tcp 203\.0\.113\.1:[0-9]+ -> 192\.0\.2\.50:8080  \(out\) .*candidate: accept "
S "$CTA" review "$TMP/broken.nft" --session "$TMP/s.json" >"$TMP/broken.out" 2>&1
rc=$?
cat "$TMP/broken.out"
[ $rc = 1 ] || fail "review without the uplink's accept: exit $rc, not 1"
expect_line "$TMP/broken.out" "^  BREAKS +tcp 203\.0\.113\.1:[0-9]+ -> 192\.0\.2\.50:8080  \(out\) "
finish
