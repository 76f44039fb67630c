#!/usr/bin/env bash
# A Docker host as Docker makes it (tests/data/cases/docker.rules, iptables-nft): the
# containers on a real bridge, docker0, with br_netfilter's bridge-nf-call-iptables on
# (its default). A container's packet to the outside crosses prerouting in the bridge's
# context, then, passed up to the host, forward: the kernel's trace id hashes the
# receiving interface (skb_iif), which changes in between, so the packet's trace comes
# under two ids. Read as two packets, one dropped connect was two connections, "drop 2,
# accept 1", and suggest allowed it. Here: one connect DOCKER-USER drops, one UDP
# datagram it drops, one connect let through, each exactly one connection with its one
# verdict; blame names the rule, on the packet's whole path.
#
#   wan (198.51.100.7, .8) -- eth0 host docker0 [bridge] vethc -- containers (192.0.2.2, .3)
. "$(dirname "$0")/common.sh"

SRV=$LAB-host CLA=$LAB-wan CLB=$LAB-ctr
lab_down
ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || exit 1
S() { ip netns exec "$SRV" "$@"; }
if [ "$(S cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" != 1 ]; then
	echo "SKIP: no br_netfilter (bridge-nf-call-iptables) in a new namespace"
	exit 77
fi
for ns in "$SRV" "$CLA" "$CLB"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link add eth0 type veth peer name eth0 netns "$CLA"
ip -n "$SRV" link add docker0 type bridge
ip -n "$SRV" link add vethc type veth peer name eth0 netns "$CLB"
ip -n "$SRV" link set vethc master docker0
ip -n "$SRV" addr add 198.51.100.1/24 dev eth0
ip -n "$SRV" addr add 192.0.2.1/24 dev docker0
ip -n "$CLA" addr add 198.51.100.7/24 dev eth0
ip -n "$CLA" addr add 198.51.100.8/24 dev eth0
ip -n "$CLB" addr add 192.0.2.2/24 dev eth0
ip -n "$CLB" addr add 192.0.2.3/24 dev eth0
for l in eth0 docker0 vethc; do ip -n "$SRV" link set $l up; done
ip -n "$CLA" link set eth0 up
ip -n "$CLB" link set eth0 up
ip -n "$CLB" route add default via 192.0.2.1
S sysctl -qw net.ipv4.ip_forward=1
(ip netns exec "$CLA" "$CTALAB" serve tcp 443 60 &)
(ip netns exec "$CLA" "$CTALAB" serve udp 53 60 &)
sleep 0.3
grep -v '^#' "$HERE/../data/cases/docker.rules" | S iptables-nft-restore || {
	echo "SKIP: iptables-nft-restore refused docker.rules"
	exit 77
}
# what an administrator puts in DOCKER-USER: this container may not reach that host
S iptables-nft -I DOCKER-USER -s 192.0.2.3/32 -d 198.51.100.8/32 -p tcp -j DROP
S iptables-nft -I DOCKER-USER -s 192.0.2.3/32 -p udp --dport 53 -j DROP
# the bridge's neighbours known before anything is recorded
ip netns exec "$CLB" ping -c1 -W1 -q 192.0.2.1 >/dev/null 2>&1
ip netns exec "$CLB" ping -c1 -W1 -q -I 192.0.2.3 192.0.2.1 >/dev/null 2>&1
S conntrack -F >/dev/null 2>&1

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLB" "$CTALAB" probe tcp 198.51.100.8 443 -s 192.0.2.3 >/dev/null 2>&1 &&
	fail "the DOCKER-USER drop let a connect through"
ip netns exec "$CLB" "$CTALAB" send udp 198.51.100.7 53 -s 192.0.2.3 >/dev/null 2>&1 &&
	fail "the DOCKER-USER drop let a datagram through"
ip netns exec "$CLB" "$CTALAB" send tcp 198.51.100.7 443 -s 192.0.2.2 || fail "container's connect out"
sleep 3 # denied attempts are decided after 2 s
kill -INT $rec
wait $rec || fail "record failed"
S iptables-nft -L DOCKER-USER -v -x -n --line-numbers
S nft -a list chain ip filter DOCKER-USER >"$TMP/user.nft"
htcp=$(sed -n 's/.*tcp .*drop # handle \([0-9]*\)$/\1/p' "$TMP/user.nft")
hudp=$(sed -n 's/.*udp dport 53 .*drop # handle \([0-9]*\)$/\1/p' "$TMP/user.nft")
# the first packets the two drop rules dropped (SYN and retransmits, the datagram)
dropped=$(awk '/192\.0\.2\.3 .* drop/ { for (i = 1; i < NF; i++) if ($i == "packets") d += $(i + 1) } END { print d + 0 }' "$TMP/user.nft")
"$CTA" flows "$TMP/s.json"

"$PY" - "$TMP/s.json" "$htcp" "$hudp" "$dropped" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
htcp, hudp, dropped = map(int, sys.argv[2:])
def flow(proto, src, dst, dport):
    fl = [f for f in s["flows"] if f["protocol"] == proto and f["orig"]["src"] == src
          and f["orig"]["dst"] == dst and f["orig"]["dport"] == dport]
    assert len(fl) == 1, (proto, src, dst, dport, fl)
    return fl[0]
def verdicts(f):
    return sorted((v["connections"], v["verdict"]["verdict"], v["verdict"].get("table"),
                   v["verdict"].get("chain"), v["verdict"].get("handle")) for v in f["verdicts"])
for proto, dst, dport, handle in (("tcp", "198.51.100.8", 443, htcp),
                                  ("udp", "198.51.100.7", 53, hudp)):
    f = flow(proto, "192.0.2.3", dst, dport)
    # one connect (its SYN and the kernel's retransmits), one datagram: one attempt
    assert f["connections"] == 1, (proto, f["connections"], f["verdicts"])
    assert verdicts(f) == [(1, "drop", "filter", "DOCKER-USER", handle)], (proto, verdicts(f))
f = flow("tcp", "192.0.2.2", "198.51.100.7", 443)
assert f["connections"] == 1, f
v = verdicts(f)
assert len(v) == 1 and v[0][:4] == (1, "accept", "filter", "FORWARD"), v
k = s["stats"]["kernel"]
# the kernel's count of first packets in and not out: each SYN sent again is one more
assert k["denied"] == dropped and k["unsure"] == 0, (k, dropped)
PY

"$CTA" blame --session "$TMP/s.json" "tcp 192.0.2.3 -> 198.51.100.8:443" >"$TMP/b.txt" || fail "blame"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "verdict: drop, by rule $htcp of ip filter DOCKER-USER"
# its whole path: nat prerouting (in the bridge's context), then filter forward
expect_line "$TMP/b.txt" "^  ip nat PREROUTING .*hook prerouting"
expect_line "$TMP/b.txt" "^  ip filter FORWARD .*hook forward"

"$CTA" suggest --template router -o "$TMP/c.nft" "$TMP/s.json" || fail "suggest"
grep -E '198\.51\.100\.(7|8)' "$TMP/c.nft"
grep -E '^[[:space:]]+ip saddr [0-9./]+ ip daddr 198\.51\.100\.8 .*accept' "$TMP/c.nft" &&
	fail "suggest allows the connect DOCKER-USER dropped"
grep -E '^[[:space:]]+[^#]*udp dport 53 .*accept' "$TMP/c.nft" &&
	fail "suggest allows the datagram DOCKER-USER dropped"
no_own_table "$SRV"
finish
