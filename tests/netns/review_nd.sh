#!/usr/bin/env bash
# Issue 16, case 7: neighbour discovery in review. A neighbour advertisement to the
# server's fe80:: address, dropped live, is replayed against a candidate that accepts
# nd-neighbor-advert in input: the scratch namespace carries the recorded link-local
# addresses, so the packet reaches input (it went to forward, and was dropped there).
# ND messages have no identifier: flows print none (only echo has one).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		icmpv6 type { echo-request, nd-neighbor-solicit } accept
	}
}
NFT
srv_ll=$(ip -n "$SRV" -6 addr show dev sa scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)\/64.*/\1/p')
cla_ll=$(ip -n "$CLA" -6 addr show dev eth0 scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)\/64.*/\1/p')
[ -n "$srv_ll" ] && [ -n "$cla_ll" ] || {
	fail "no link-local addresses: '$srv_ll' '$cla_ll'"
	finish
}

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# the server asks for the client's link address; the advertisement back is dropped
ip -n "$SRV" neigh flush dev sa
S ping -c 2 -W 1 -q "$cla_ll%sa" >/dev/null 2>&1 && fail "the advertisement got through"
sleep 2.5 # denied attempts are decided after 2 s
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv6 .* in +src=$cla_ll dst=$srv_ll type=136 code=0 packets=.* verdict=drop by=inet/filter/input/policy$"
expect_line "$TMP/flows" "type=13[56] code=0 id=" 0

# a reload of the live table: its rules have no handle until it is applied (45bfe53)
cat >"$TMP/cand.nft" <<'NFT'
table inet filter
delete table inet filter
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/out" 2>&1
cat "$TMP/out"
expect_line "$TMP/out" "^  opens +ipv6-icmp $cla_ll -> $srv_ll type 136  \(in\)  recorded: drop \(policy of inet filter input\)  ->  candidate: accept \(rule inet filter input, the candidate's, no handle until applied: icmpv6 type .*nd-neighbor-advert.* accept\)$"
expect_line "$TMP/out" "policy of inet filter forward" 0
finish
