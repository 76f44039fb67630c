#!/usr/bin/env bash
# A router whose only table is `ip`: IPv4 forwarded through its forward chain, IPv6
# forwarded with no chain of the host's on its way. blame says the IPv6 flow got
# through with no chain at forward that would drop it (from a recording and live), and
# of an IPv6 connection to the host, at input; not "no netfilter verdict was seen".
# The hooks come from the own table's chains at the end of input and postrouting.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
ip -n "$CLA" route add 2001:db8:b::/64 via 2001:db8:a::1
ip -n "$CLB" route add 2001:db8:a::/64 via 2001:db8:b::1
ip -n "$CLA" route add 203.0.113.0/24 via 198.51.100.1
ip -n "$CLB" route add 198.51.100.0/24 via 203.0.113.1
S nft -f - <<'NFT' || fail "nft"
table ip filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		tcp dport 80 accept
	}
}
NFT
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 30 &)
(S "$CTALAB" serve tcp 22 30 &)
sleep 0.3
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
C() { ip netns exec "$CLA" "$CTALAB" "$@" >/dev/null; }
C send tcp 2001:db8:b::20 80 -s 2001:db8:a::7 || fail "IPv6 forwarded"
C send tcp 203.0.113.20 80 -s 198.51.100.7 || fail "IPv4 forwarded"
C send tcp 2001:db8::10 22 -s 2001:db8:a::7 || fail "IPv6 to the host"
sleep 2
kill -INT $rec
wait $rec || fail "record"

blame() { "$CTA" blame --session "$TMP/s.json" "$1" >"$TMP/b.out" 2>&1 || fail "blame '$1': $(cat "$TMP/b.out")"; }
blame "tcp 2001:db8:a::7 -> [2001:db8:b::20]:80"
grep -q "^  accepted: no chain at forward would drop it$" "$TMP/b.out" || fail "IPv6 forwarded: $(cat "$TMP/b.out")"
blame "tcp 198.51.100.7 -> 203.0.113.20:80"
grep -q "verdict: accept, by rule [0-9]* of ip filter forward: tcp dport 80 accept" "$TMP/b.out" ||
	fail "IPv4 forwarded: $(cat "$TMP/b.out")"
blame "tcp 2001:db8:a::7 -> [2001:db8::10]:22"
grep -q "^  accepted: no chain at input would drop it$" "$TMP/b.out" || fail "IPv6 in: $(cat "$TMP/b.out")"
"$CTA" -j blame --session "$TMP/s.json" "tcp 2001:db8:a::7 -> [2001:db8:b::20]:80" >"$TMP/b.json" ||
	fail "blame -j"
schema_ok blame.schema.json "$TMP/b.json"

# live: blame's own table has the same chains at the end of input and postrouting
(sleep 1.5 && C send tcp 2001:db8:b::20 80 -s 2001:db8:a::8) &
S "$CTA" -q blame --live --timeout 10s "tcp 2001:db8:a::8 -> [2001:db8:b::20]:80" >"$TMP/l.out" 2>&1 ||
	fail "blame --live: $(cat "$TMP/l.out")"
grep -q "^  accepted: no chain at forward would drop it$" "$TMP/l.out" || fail "live: $(cat "$TMP/l.out")"
no_own_table "$SRV"
finish
