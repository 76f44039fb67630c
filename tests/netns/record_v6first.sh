#!/usr/bin/env bash
# Issue 16, case 6: IPv4 and IPv6 ssh connections started together, each flow decided
# by what decided its first packet. The server must find the IPv6 client's link
# address before its SYN-ACK leaves, and the first neighbour advertisements are lost:
# the client sends its SYN again after 1 s, when conntrack has already seen the
# SYN-ACK. That SYN is traced like a first packet and accepted by
# `ct state established,related accept`; it used to overwrite the flow's verdict, so
# review then advised removing `tcp dport 22 accept`, the only rule letting ssh in.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
(S "$CTALAB" serve tcp 22 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept
		meta l4proto icmp accept
		tcp dport 22 accept
		meta nfproto ipv6 reject with icmpv6 type admin-prohibited
		reject with icmpx type admin-prohibited
	}
}
NFT
CHECK="$PY $HERE/../tools/check_blame.py"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# the server forgets the client's link address; the client's answers are lost for 1.5 s
ip -n "$SRV" neigh flush dev sa
ip netns exec "$CLA" nft -f - <<'NFT'
table inet slow {
	chain out {
		type filter hook output priority 0;
		icmpv6 type nd-neighbor-advert drop
	}
}
NFT
A send tcp 192.0.2.10 22 -s 198.51.100.7 >/dev/null &
p1=$!
A send tcp 192.0.2.10 22 -s 198.51.100.8 >/dev/null &
p2=$!
A send tcp 2001:db8::10 22 -s 2001:db8:a::7 >/dev/null &
p3=$!
sleep 1.5
ip netns exec "$CLA" nft delete table inet slow
wait $p1 || fail "IPv4 ssh from .7"
wait $p2 || fail "IPv4 ssh from .8"
wait $p3 || fail "IPv6 ssh"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"

for tuple in "tcp 198.51.100.7 -> 192.0.2.10:22" "tcp 198.51.100.8 -> 192.0.2.10:22" \
	"tcp [2001:db8:a::7] -> [2001:db8::10]:22"; do
	"$CTA" -j blame --session "$TMP/s.json" "$tuple" >"$TMP/b.json" ||
		fail "blame '$tuple' exited $?"
	$CHECK "$TMP/b.json" accept "inet filter input|tcp dport 22 accept" \
		"inet filter input=accept" || fail "first packet's decider: $tuple"
done
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
expect_line "$TMP/flows" "^ipv6 .* dport=22 .* verdict=accept by=inet/filter/input/[0-9]+$"
"$CTA" blame --session "$TMP/s.json" "tcp [2001:db8:a::7] -> [2001:db8::10]:22" |
	grep -q "ct state established" && fail "IPv6 ssh blamed on the established rule"
finish
