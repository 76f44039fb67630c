#!/usr/bin/env bash
# suggest round trip: record lab traffic from two documentation subnets, suggest a
# ruleset, load it into the server namespace (nft, then iptables-legacy for IPv4 and
# IPv6), and replay: every recorded flow still connects, what was never seen is
# dropped (another port, a source outside the groups, ping from a stranger).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 120
(ip netns exec "$SRV" "$CTALAB" serve tcp 8081 120 &)
sleep 0.2
S() { ip netns exec "$SRV" "$@"; }
A() { ip netns exec "$CLA" "$@"; }
B() { ip netns exec "$CLB" "$@"; }

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 || fail "record: tcp 22 .7"
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.8 || fail "record: tcp 22 .8"
A "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.8 || fail "record: tcp 80"
B "$CTALAB" send tcp 192.0.2.10 443 -s 203.0.113.20 || fail "record: tcp 443 .20"
B "$CTALAB" send tcp 192.0.2.10 443 -s 203.0.113.21 || fail "record: tcp 443 .21"
A "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.7 || fail "record: udp 53"
A "$CTALAB" send tcp 2001:db8::10 22 -s 2001:db8:a::7 || fail "record: tcp6 22"
A "$CTALAB" send tcp 2001:db8::10 22 -s 2001:db8:a::8 || fail "record: tcp6 22 ::8"
B "$CTALAB" send udp 2001:db8::10 53 -s 2001:db8:b::20 || fail "record: udp6 53"
A ping -q -c 1 -W 2 -I 198.51.100.7 192.0.2.10 >/dev/null || fail "record: ping"
B ping -q -c 1 -W 2 -I 2001:db8:b::21 2001:db8::10 >/dev/null || fail "record: ping6"
sleep 0.3
kill -INT $rec
wait $rec || fail "record failed"

"$CTA" suggest -o "$TMP/r.nft" "$TMP/s.json" || fail "suggest nft"
"$CTA" suggest --format iptables "$TMP/s.json" >"$TMP/r.ipt" || fail "suggest iptables"
"$CTA" suggest --format ip6tables "$TMP/s.json" >"$TMP/r.ip6t" || fail "suggest ip6tables"
cat "$TMP/r.nft"
# deterministic: the same session, the same bytes
"$CTA" suggest "$TMP/s.json" | cmp -s - "$TMP/r.nft" || fail "suggest output differs between runs"

# replay: what was recorded connects, what was not is dropped
replay() {
	local what=$1
	A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "$what: tcp 22 from .7"
	A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.8 || fail "$what: tcp 22 from .8"
	A "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.8 || fail "$what: tcp 80"
	B "$CTALAB" send tcp 192.0.2.10 443 -s 203.0.113.20 || fail "$what: tcp 443 .20"
	B "$CTALAB" send tcp 192.0.2.10 443 -s 203.0.113.21 || fail "$what: tcp 443 .21"
	A "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.7 || fail "$what: udp 53"
	A "$CTALAB" send tcp 2001:db8::10 22 -s 2001:db8:a::7 || fail "$what: tcp6 22"
	B "$CTALAB" send udp 2001:db8::10 53 -s 2001:db8:b::20 || fail "$what: udp6 53"
	A ping -q -c 1 -W 2 -I 198.51.100.7 192.0.2.10 >/dev/null || fail "$what: ping"
	B ping -q -c 1 -W 2 -I 2001:db8:b::21 2001:db8::10 >/dev/null || fail "$what: ping6"
	# never seen: a port, a source outside the groups, a stranger's ping
	A "$CTALAB" probe tcp 192.0.2.10 8081 -s 198.51.100.7 && fail "$what: tcp 8081 not dropped"
	B "$CTALAB" probe tcp 192.0.2.10 22 -s 203.0.113.20 && fail "$what: tcp 22 from B not dropped"
	B "$CTALAB" probe tcp 2001:db8::10 22 -s 2001:db8:b::20 &&
		fail "$what: tcp6 22 from B not dropped"
	A "$CTALAB" send udp 2001:db8::10 53 -s 2001:db8:a::7 && fail "$what: udp6 53 from A not dropped"
	B ping -q -c 1 -W 1 -I 203.0.113.20 192.0.2.10 >/dev/null && fail "$what: ping from B not dropped"
	return 0
}

S nft -c -f "$TMP/r.nft" || fail "nft -c rejects the suggestion"
S nft -f "$TMP/r.nft" || fail "nft -f rejects the suggestion"
S nft list table inet filter >/dev/null || fail "no table inet filter after loading"
replay nft
# loading it again replaces the table (the file starts with 'delete table')
S nft -f "$TMP/r.nft" || fail "nft -f a second time"
[ "$(S nft list tables | grep -c 'table inet filter')" = 1 ] || fail "table not replaced"
S nft flush ruleset

S iptables-legacy-restore --test "$TMP/r.ipt" || fail "iptables-legacy-restore --test rejects it"
S ip6tables-legacy-restore --test "$TMP/r.ip6t" || fail "ip6tables-legacy-restore --test rejects it"
S iptables-legacy-restore "$TMP/r.ipt" || fail "iptables-legacy-restore"
S ip6tables-legacy-restore "$TMP/r.ip6t" || fail "ip6tables-legacy-restore"
replay iptables-legacy
finish
