#!/usr/bin/env bash
# --trace new traces an ICMP echo flow's first packet only: the seen sets key ICMP by
# addresses and echo identifier (bytes 4-5), not by bytes 2-3, the checksum, which
# made every request and every reply look new. The flow still gets its verdict.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
A() { ip netns exec "$CLA" "$@"; }
B() { ip netns exec "$CLB" "$@"; }

# a firewall that decides: the flows' verdicts come from its rules
ip netns exec "$SRV" nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		icmp type echo-request accept
		icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT

# what the kernel traced, beside record (the traces of record's own table)
ip netns exec "$SRV" nft monitor trace >"$TMP/trace" 2>/dev/null &
mon=$!
ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A ping -q -c 4 -i 0.2 -I 198.51.100.7 192.0.2.10 >/dev/null || fail "ping"
B ping -q -c 3 -i 0.2 -I 2001:db8:b::20 2001:db8::10 >/dev/null || fail "ping6"
sleep 1
kill -INT $rec
wait $rec || fail "record exited $?: $(cat "$TMP/rec.err")"
kill $mon
wait $mon 2>/dev/null

# distinct trace ids of packets matching REGEX
traced() { grep -E "$1" "$TMP/trace" | awk '{ print $3 }' | sort -u | wc -l; }
n=$(traced 'packet: .*icmp type echo-request')
[ "$n" = 1 ] || fail "IPv4: $n echo requests traced, not only the first"
n=$(traced 'packet: .*icmp type echo-reply')
[ "$n" = 0 ] || fail "IPv4: $n echo replies traced"
n=$(traced 'packet: .*icmpv6 type echo-request')
[ "$n" = 1 ] || fail "IPv6: $n echo requests traced, not only the first"
n=$(traced 'packet: .*icmpv6 type echo-reply')
[ "$n" = 0 ] || fail "IPv6: $n echo replies traced"

"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" || fail "flows failed"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv4 +2 icmp +1 in +src=198\.51\.100\.7 dst=192\.0\.2\.10 type=8 code=0 id=[0-9]+ packets=4 .* conns=1 .* verdict=accept by=inet/fw/input/[0-9]+$"
expect_line "$TMP/flows" "^ipv6 +10 ipv6-icmp +58 in +src=2001:db8:b::20 dst=2001:db8::10 type=128 code=0 id=[0-9]+ packets=3 .* conns=1 .* verdict=accept by=inet/fw/input/[0-9]+$"
finish
