#!/usr/bin/env bash
# suggest's header on a Docker host (tests/data/cases/docker.rules, iptables-nft): a
# published port forwarded to the container (DNAT 8080 -> 192.0.2.2:80), the host's
# own ssh, and a source DOCKER-USER drops. The server and workstation templates write
# input rules only: the header counts the forwarded flow as left out (naming the
# router template), not as "allowed by the rules below" as it used to, and lists the
# denied forwarded flow itself, since no chain below does. The router template allows
# the forward and lists the denied flow in its forward chain (as the recording saw it: to the published port); --format ip6tables
# holds none of these IPv4 flows and says so.
#
#   wan (198.51.100.7, .8) -- eth0 host docker0 -- container (192.0.2.2:80)
. "$(dirname "$0")/common.sh"

SRV=$LAB-host CLA=$LAB-wan CLB=$LAB-ctr
lab_down
ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || exit 1
for ns in "$SRV" "$CLA" "$CLB"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link add eth0 type veth peer name eth0 netns "$CLA"
ip -n "$SRV" link add docker0 type veth peer name eth0 netns "$CLB"
ip -n "$SRV" addr add 198.51.100.1/24 dev eth0
ip -n "$SRV" addr add 192.0.2.1/24 dev docker0
ip -n "$CLA" addr add 198.51.100.7/24 dev eth0
ip -n "$CLA" addr add 198.51.100.8/24 dev eth0
ip -n "$CLB" addr add 192.0.2.2/24 dev eth0
for l in eth0 docker0; do ip -n "$SRV" link set $l up; done
ip -n "$CLA" link set eth0 up; ip -n "$CLB" link set eth0 up
ip -n "$CLB" route add default via 192.0.2.1
ip netns exec "$SRV" sysctl -qw net.ipv4.ip_forward=1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 &)
(S "$CTALAB" serve tcp 22 60 &)
sleep 0.3
grep -v '^#' "$HERE/../data/cases/docker.rules" | S iptables-nft-restore || {
	echo "SKIP: iptables-nft-restore refused docker.rules"
	exit 77
}
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 8080 -s 198.51.100.7 || fail "published port"
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 22 -s 198.51.100.7 || fail "host's ssh"
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 8080 -s 198.51.100.8 >/dev/null 2>&1
sleep 3 # denied attempts are decided after 2 s
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv4 .* forward src=198\.51\.100\.8 .* verdict=drop by=ip/filter/DOCKER-USER/[0-9]+$"

DENIED="#   tcp 198\.51\.100\.8 -> 198\.51\.100\.1 port 8080 \(forward\): 1 conn from .*, drop by rule ip filter DOCKER-USER handle [0-9]+$"
for t in server workstation; do
	"$CTA" suggest --template $t -o "$TMP/$t.nft" "$TMP/s.json" 2>"$TMP/$t.err" || fail "suggest --template $t"
	sed -n '1,/^# Each rule/p' "$TMP/$t.nft"
	expect_line "$TMP/$t.nft" "^# Flows: 1 allowed by the rules below, 1 denied \(listed just below, not allowed\),$"
	expect_line "$TMP/$t.nft" "^#   1 forwarded, left out: template $t has no forward rules \(\{\{forward\}\}\); --template router writes them"
	expect_line "$TMP/$t.nft" "^# Denied while recording, not allowed, in no chain below:$"
	expect_line "$TMP/$t.nft" "^$DENIED"
	expect_line "$TMP/$t.nft" "^[[:space:]]+ip saddr 198\.51\.100\.7 tcp dport 22 accept"
	expect_line "$TMP/$t.nft" "dport 80.* accept" 0 # no rule for the container
	grep -q "template $t has no {{forward}}" "$TMP/$t.err" || fail "no warning on stderr: $(cat "$TMP/$t.err")"
done
"$CTA" suggest --template router -o "$TMP/router.nft" "$TMP/s.json" || fail "suggest --template router"
sed -n '1,/^# Each rule/p' "$TMP/router.nft"
expect_line "$TMP/router.nft" "^# Flows: 2 allowed by the rules below, 1 denied \(listed, not allowed\)\.$"
expect_line "$TMP/router.nft" "left out" 0
expect_line "$TMP/router.nft" "ip daddr 192\.0\.2\.2 tcp dport 80 ct status dnat accept"
expect_line "$TMP/router.nft" "^[[:space:]]+#   tcp 198\.51\.100\.8 -> 198\.51\.100\.1 port 8080: 1 conn from .*, drop by rule ip filter DOCKER-USER handle [0-9]+$"
"$CTA" suggest --format ip6tables -o "$TMP/s.ip6" "$TMP/s.json" || fail "suggest --format ip6tables"
expect_line "$TMP/s.ip6" "^# Flows: 0 allowed by the rules below, 0 denied \(listed, not allowed\),$"
expect_line "$TMP/s.ip6" "^#   3 IPv4, left out: this format writes IPv6 rules only\.$"
finish
