#!/usr/bin/env bash
# Docker on iptables-nft with IPv6, as a dual-stack Docker host has it: the IPv4 rules
# (tests/data/cases/docker.rules) and their IPv6 copy (bridge 2001:db8:d::/64, DNAT
# 8080 -> [2001:db8:d::2]:80), both with xt matches and targets. libnftables renders
# xt targets for the first family it meets in a process only: listing the ruleset,
# the IPv6 DNAT and MASQUERADE came out as bare counters ("XT target DNAT not found"
# on stderr). review copied that into its scratch namespace, lost the port forward and
# said BREAKS, exit 1, while the candidate loaded on the host passes the published
# port (helper-40); record's snapshot named the rule by that text. Now every listing
# runs in a child process per family.
#
#   wan (2001:db8:a::7) -- eth0 host docker0 [bridge] vethc -- container (2001:db8:d::2)
. "$(dirname "$0")/common.sh"

SRV=$LAB-host CLA=$LAB-wan CLB=$LAB-ctr
lab_down
ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || exit 1
S() { ip netns exec "$SRV" "$@"; }
for ns in "$SRV" "$CLA" "$CLB"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "$SRV" link add eth0 type veth peer name eth0 netns "$CLA"
ip -n "$SRV" link add docker0 type bridge
ip -n "$SRV" link add vethc type veth peer name eth0 netns "$CLB"
ip -n "$SRV" link set vethc master docker0
ip -n "$SRV" addr add 2001:db8:a::1/64 dev eth0 nodad
ip -n "$SRV" addr add 2001:db8:d::1/64 dev docker0 nodad
ip -n "$SRV" addr add 192.0.2.1/24 dev docker0
ip -n "$CLA" addr add 2001:db8:a::7/64 dev eth0 nodad
ip -n "$CLB" addr add 2001:db8:d::2/64 dev eth0 nodad
for l in eth0 docker0 vethc; do ip -n "$SRV" link set $l up; done
ip -n "$CLA" link set eth0 up
ip -n "$CLB" link set eth0 up
ip -n "$CLB" -6 route add default via 2001:db8:d::1
S sysctl -qw net.ipv6.conf.all.forwarding=1
grep -v '^#' "$HERE/../data/cases/docker.rules" | S iptables-nft-restore || {
	echo "SKIP: iptables-nft-restore refused docker.rules"
	exit 77
}
# the IPv6 copy, as Docker writes it with ip6tables
grep -v '^#' "$HERE/../data/cases/docker.rules" |
	sed -e 's|192\.0\.2\.0/24|2001:db8:d::/64|g' -e 's|192\.0\.2\.2/32|2001:db8:d::2/128|g' \
		-e 's|192\.0\.2\.2:80|[2001:db8:d::2]:80|' -e 's|127\.0\.0\.0/8|::1/128|' \
		-e 's|198\.51\.100\.8/32|2001:db8:a::8/128|' | S ip6tables-nft-restore || {
	echo "SKIP: ip6tables-nft-restore refused the IPv6 copy"
	exit 77
}
for _ in 1 2 3 4 5 6 7 8 9 10; do
	ip netns exec "$CLB" ping -c1 -W1 -q 2001:db8:d::1 >/dev/null 2>&1 && break
	sleep 0.3
done
ip netns exec "$CLA" ping -c1 -W1 -q 2001:db8:a::1 >/dev/null 2>&1
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 &)
sleep 0.3

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 2001:db8:a::1 8080 -s 2001:db8:a::7 ||
	fail "the published port while recording"
sleep 2
kill -INT $rec
wait $rec || fail "record failed"
grep -q "XT" "$TMP/rec.err" && fail "record: $(cat "$TMP/rec.err")"
# record's snapshot: the port forward's rule with its DNAT
"$CTA" blame --session "$TMP/s.json" "tcp 2001:db8:a::7 -> [2001:db8:a::1]:8080" >"$TMP/b.txt" ||
	fail "blame"
cat "$TMP/b.txt"
grep -q 'dnat to \[2001:db8:d::2\]:80' "$TMP/b.txt" || fail "blame: no DNAT on the path"

"$CTA" suggest --template router -o "$TMP/c.nft" "$TMP/s.json" || fail "suggest"
S "$CTA" review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/review.out" 2>"$TMP/review.err"
rc=$?
cat "$TMP/review.out" "$TMP/review.err"
[ $rc = 0 ] || fail "review: exit $rc"
expect_line "$TMP/review.out" "^  ok +tcp \[2001:db8:a::7\]:[0-9]+ -> \[2001:db8:a::1\]:8080  \(forward\) "
expect_line "$TMP/review.err" "XT target" 0
# the kernel agrees: the candidate loaded, the published port still works
S nft -f "$TMP/c.nft" || fail "the candidate does not load"
ip netns exec "$CLA" "$CTALAB" send tcp 2001:db8:a::1 8080 -s 2001:db8:a::7 ||
	fail "the published port with the candidate loaded"
finish
