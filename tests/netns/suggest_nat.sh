#!/usr/bin/env bash
# suggest on a gateway: a DNAT port forward (with masquerade) and a plain IPv6
# forward are recorded; the suggested router ruleset, loaded beside the gateway's
# nat table (nft, then iptables-legacy), keeps both working and drops a forward
# that never went through the port forward.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
A() { ip netns exec "$CLA" "$@"; }
B() { ip netns exec "$CLB" "$@"; }
S sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
A ip route add 203.0.113.0/24 via 198.51.100.1
A ip -6 route add 2001:db8:b::/64 via 2001:db8:a::1
B ip -6 route add 2001:db8:a::/64 via 2001:db8:b::1
S nft -f - <<'NFT'
table ip nat {
	chain pre { type nat hook prerouting priority dstnat; ip daddr 192.0.2.10 tcp dport 8080 dnat to 203.0.113.20:80; }
	chain post { type nat hook postrouting priority srcnat; oifname "sb" masquerade; }
}
NFT
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 90 -a 203.0.113.20 &)
(ip netns exec "$CLB" "$CTALAB" serve tcp 81 90 -a 203.0.113.20 &)
(ip netns exec "$CLB" "$CTALAB" serve udp 123 90 -a 2001:db8:b::20 &)
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 90 &)
sleep 0.3

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.7 -n 2 || fail "record: port forward .7"
A "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.8 || fail "record: port forward .8"
A "$CTALAB" send udp 2001:db8:b::20 123 -s 2001:db8:a::7 || fail "record: udp6 forward"
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "record: tcp 22 to the router"
A "$CTALAB" send tcp 203.0.113.20 81 -s 198.51.100.7 || fail "record: masqueraded forward"
sleep 0.3
kill -INT $rec
wait $rec || fail "record failed"

"$CTA" suggest --template router -o "$TMP/r.nft" "$TMP/s.json" || fail "suggest nft"
"$CTA" suggest --template router --format iptables "$TMP/s.json" >"$TMP/r.ipt" || fail "suggest iptables"
"$CTA" suggest --template router --format ip6tables "$TMP/s.json" >"$TMP/r.ip6t" ||
	fail "suggest ip6tables"
cat "$TMP/r.nft"
# a candidate that replaces the nat table: what it translated is lost, review says so
"$CTA" suggest --template router --replace 'ip nat' -o "$TMP/rr.nft" "$TMP/s.json" \
	2>"$TMP/rr.err" || fail "suggest --replace 'ip nat'"
grep -q "warning: --replace 'ip nat' deletes the nat chains that translated 3 recorded flows" \
	"$TMP/rr.err" || fail "suggest --replace: no warning: $(cat "$TMP/rr.err")"
S "$CTA" review "$TMP/rr.nft" --session "$TMP/s.json" >"$TMP/rr.out" 2>&1
[ $? = 1 ] || fail "review of a candidate without the masquerade: $(cat "$TMP/rr.out")"
grep -A1 -E "^  BREAKS +tcp 198\.51\.100\.7:[0-9-]+ -> 203\.0\.113\.20:81 " "$TMP/rr.out" |
	grep -q "its recorded masquerade is gone" || fail "masquerade lost: $(cat "$TMP/rr.out")"
S "$CTA" -j review "$TMP/rr.nft" --session "$TMP/s.json" >"$TMP/rr.json" 2>/dev/null
"$PY" - "$TMP/rr.json" <<'PY' || fail "review -j: nat_lost"
import json, sys
flows = json.load(open(sys.argv[1]))["review"]["flows"]
assert any(f.get("nat_lost") == "masquerade" and f["change"] == "BREAKS" and ":81" in f["flow"]
           for f in flows), flows
PY
# the forward is matched as the filter hook sees it: translated, and only when DNATed
expect_line "$TMP/r.nft" "ip saddr 198\.51\.100\.0/24 ip daddr 203\.0\.113\.20 tcp dport 80 ct status dnat accept"
expect_line "$TMP/r.nft" "ip6 saddr 2001:db8:a::7 ip6 daddr 2001:db8:b::20 udp dport 123 accept"
expect_line "$TMP/r.ipt" "^-A FORWARD -s 198\.51\.100\.0/24 -d 203\.0\.113\.20/32 -p tcp -m multiport --dports 80 -m conntrack --ctstate DNAT "

replay() {
	local what=$1
	A "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.7 || fail "$what: port forward .7"
	A "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.8 || fail "$what: port forward .8"
	A "$CTALAB" send udp 2001:db8:b::20 123 -s 2001:db8:a::7 || fail "$what: udp6 forward"
	A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "$what: tcp 22 to the router"
	# the same server, not through the port forward: dropped
	A "$CTALAB" probe tcp 203.0.113.20 80 -s 198.51.100.7 && fail "$what: direct forward not dropped"
	A "$CTALAB" send udp 2001:db8:b::20 123 -s 2001:db8:a::8 && fail "$what: udp6 from ::8 not dropped"
	return 0
}

# beside the nat table, every translation stays: nothing breaks
S "$CTA" review "$TMP/r.nft" --session "$TMP/s.json" >"$TMP/rv.out" 2>&1 ||
	fail "review beside the nat table: $(cat "$TMP/rv.out")"
expect_line "$TMP/rv.out" "^  ok +tcp 198\.51\.100\.7:[0-9-]+ -> 203\.0\.113\.20:81 "
S nft -c -f "$TMP/r.nft" || fail "nft -c rejects the suggestion"
S nft -f "$TMP/r.nft" || fail "nft -f"
replay nft
S nft delete table inet filter
S iptables-legacy-restore --test "$TMP/r.ipt" || fail "iptables-legacy-restore --test"
S ip6tables-legacy-restore --test "$TMP/r.ip6t" || fail "ip6tables-legacy-restore --test"
S iptables-legacy-restore "$TMP/r.ipt" || fail "iptables-legacy-restore"
S ip6tables-legacy-restore "$TMP/r.ip6t" || fail "ip6tables-legacy-restore"
replay iptables-legacy
# the nat table was never touched
S nft list table ip nat | grep -q "dnat to 203.0.113.20:80" || fail "nat table changed"
finish
