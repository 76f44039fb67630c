#!/usr/bin/env bash
# A router whose LAN is a bridge of two ports, br_netfilter on (bridge-nf-call-ip6tables,
# its default): the LAN hosts' neighbour and router solicitations and MLD reports, flooded
# from port to port, cross the forward hook in the bridge's context, where the router's
# forward policy drops them. record books them as forward flows. review cannot replay
# them that way (the scratch namespace has no bridge: a multicast packet sent in on its
# link goes to input, or nowhere), so it must not judge them: it called them "opens ...
# candidate: accept (rule inet filter input ...)" (the candidate's input chain judging a
# forwarded flow) or "candidate: none" (a group the namespace never joined). A flow the
# scratch namespace does forward is judged as before.
#
#   lan1 (192.0.2.2) -- p1 [br0 192.0.2.1] p2 -- lan2 (192.0.2.3)    router (records)
. "$(dirname "$0")/common.sh"

SRV=$LAB-rtr CLA=$LAB-lan1 CLB=$LAB-lan2
lab_down
ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || exit 1
S() { ip netns exec "$SRV" "$@"; }
if [ "$(S cat /proc/sys/net/bridge/bridge-nf-call-ip6tables 2>/dev/null)" != 1 ]; then
	echo "SKIP: no br_netfilter (bridge-nf-call-ip6tables) in a new namespace"
	exit 77
fi
for ns in "$SRV" "$CLA" "$CLB"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link add br0 type bridge
ip -n "$SRV" link add p1 type veth peer name eth0 netns "$CLA"
ip -n "$SRV" link add p2 type veth peer name eth0 netns "$CLB"
ip -n "$SRV" link set p1 master br0
ip -n "$SRV" link set p2 master br0
ip -n "$SRV" addr add 192.0.2.1/24 dev br0
ip -n "$CLA" addr add 192.0.2.2/24 dev eth0
ip -n "$CLB" addr add 192.0.2.3/24 dev eth0
for l in br0 p1 p2; do ip -n "$SRV" link set $l up; done
ip -n "$CLA" link set eth0 up
ip -n "$CLB" link set eth0 up
S sysctl -qw net.ipv4.ip_forward=1
S nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
}
NFT

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# the LAN hosts' links go down and up: router and neighbour solicitations, MLD reports
for ns in "$CLA" "$CLB"; do
	ip -n "$ns" link set eth0 down
	ip -n "$ns" link set eth0 up
done
sleep 4
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows "$TMP/s.json"
# the flooded ICMPv6 the forward policy dropped
n=$("$PY" - "$TMP/s.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(sum(1 for f in s["flows"] if f["family"] == "ipv6" and f["direction"] == "forward"
          and any(v["verdict"]["verdict"] == "drop" and v["verdict"].get("type") == "policy"
                  for v in f["verdicts"])))
PY
)
[ "${n:-0}" -ge 1 ] || fail "no flooded IPv6 flow recorded as forward, dropped by the policy"

"$CTA" suggest --template router -o "$TMP/c.nft" "$TMP/s.json" || fail "suggest"
S "$CTA" review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/review.out" 2>&1
rc=$?
cat "$TMP/review.out"
[ $rc = 0 ] || fail "review: exit $rc"
expect_line "$TMP/review.out" "^ *opens " 0
expect_line "$TMP/review.out" "BREAKS" 0
grep -qE "[1-9][0-9]* not judged" "$TMP/review.out" || fail "the forward flows were judged"
grep -qE "^  not judged .*\(forward\) .*candidate: \(its replayed packet did not take the way" \
	"$TMP/review.out" || fail "no reason given"
S "$CTA" -j review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/review.json" 2>/dev/null
"$PY" - "$TMP/review.json" <<'PY' || fail "review -j: $(head -c 600 "$TMP/review.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
astray = [f for f in r["flows"] if f.get("astray")]
assert astray and all(f["change"] == "not judged" and "candidate" not in f
                      and f["direction"] == "forward" for f in astray), astray
PY
no_own_table "$SRV"
finish
