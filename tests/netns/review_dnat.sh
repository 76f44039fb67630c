#!/usr/bin/env bash
# Issue 16, case 4: review follows a port forward through the forward hook. Docker's
# iptables-nft rules for a published port (tests/data/cases/docker.rules: DNAT 8080 to
# 192.0.2.2:80 in ip nat DOCKER, the DOCKER filter chain accepting it, FORWARD policy
# drop). The router suggestion passes (its forward rule with ct status dnat credited);
# without that rule the candidate, loaded beside Docker's tables, drops the translated
# packet in forward: BREAKS, exit 1 (it used to say accept, by the dnat rule). A candidate
# that takes the port forward away sends its packet to input instead: judged there.
# Beside a range DNAT nft cannot read back as it lists it, the live ruleset is still
# copied.
#
#   wan (198.51.100.7) -- eth0 host docker0 -- container (192.0.2.2:80)
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
ip -n "$CLB" addr add 192.0.2.2/24 dev eth0
for l in eth0 docker0; do ip -n "$SRV" link set $l up; done
ip -n "$CLA" link set eth0 up; ip -n "$CLB" link set eth0 up
ip -n "$CLB" route add default via 192.0.2.1
ip netns exec "$SRV" sysctl -qw net.ipv4.ip_forward=1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 &)
sleep 0.3
grep -v '^#' "$HERE/../data/cases/docker.rules" | S iptables-nft-restore || {
	echo "SKIP: iptables-nft-restore refused docker.rules"
	exit 77
}
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 8080 -s 198.51.100.7 || fail "published port"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
expect_line "$TMP/flows" "^ipv4 .* forward src=198\.51\.100\.7 dst=198\.51\.100\.1 .* dport=8080 .* verdict=accept by=ip/filter/DOCKER/[0-9]+$"
"$CTA" suggest --template router -o "$TMP/full.nft" "$TMP/s.json" || fail "suggest"
expect_line "$TMP/full.nft" "ip daddr 192\.0\.2\.2 tcp dport 80 ct status dnat accept"
grep -v 'ct status dnat' "$TMP/full.nft" > "$TMP/cand.nft"
S "$CTA" review "$TMP/full.nft" --session "$TMP/s.json" >"$TMP/full.out" 2>&1
rc=$?
cat "$TMP/full.out"
[ $rc = 0 ] || fail "review of the full suggestion: exit $rc"
expect_line "$TMP/full.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:8080  \(forward\) .* candidate: accept \(rule inet filter forward handle [0-9]+: .*ct status dnat accept"
expect_line "$TMP/full.out" "^in force beside the candidate: ip filter "
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/cand.out" 2>&1
rc=$?
cat "$TMP/cand.out"
[ $rc = 1 ] || fail "review without the port forward's rule: exit $rc, not 1"
expect_line "$TMP/cand.out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:8080  \(forward\) .* candidate: drop \(policy of inet filter forward\)$"
expect_line "$TMP/cand.out" "candidate: accept \(rule ip nat" 0
S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/cand.json" 2>/dev/null
"$PY" - "$TMP/cand.json" <<'PY' || fail "review -j: $(cat "$TMP/cand.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["summary"]["breaks"] == 1, r["summary"]
c = r["flows"][0]["candidate"]
hooks = [s.get("hook") for s in c["path"]]
assert "forward" in hooks, hooks
assert any(x.get("nat") == "dnat" and x.get("to") == "192.0.2.2:80"
           for s in c["path"] for x in s["rules"]), c["path"]
PY

# The candidate takes the port forward away (Docker's nat table deleted): the packet
# goes to input instead of forward, another way than recorded, which the candidate's
# NAT decided: judged, BREAKS (not "not judged", as a bridged flow's other way is)
{
	printf 'table ip nat\ndelete table ip nat\n'
	cat "$TMP/full.nft"
} >"$TMP/nonat.nft"
S "$CTA" review "$TMP/nonat.nft" --session "$TMP/s.json" >"$TMP/nonat.out" 2>&1
rc=$?
cat "$TMP/nonat.out"
[ $rc = 1 ] || fail "review without Docker's nat table: exit $rc, not 1"
expect_line "$TMP/nonat.out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:8080  \(forward\) .* candidate: drop \(policy of inet filter input\)$"

# A DNAT to an address range beside Docker's: nft 1.0.6 lists it as a prefix
# (`dnat to 192.0.2.2/31:80`), which it cannot load back. The live ruleset is copied
# all the same (through nft's JSON): judged alone, the candidate lost Docker's DNAT
# and the port forward BREAKS.
S nft -f - <<'NFT'
table ip range {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8443 dnat to 192.0.2.2-192.0.2.3:80
	}
}
NFT
S nft list table ip range
S "$CTA" review "$TMP/full.nft" --session "$TMP/s.json" >"$TMP/range.out" 2>&1
rc=$?
cat "$TMP/range.out"
[ $rc = 0 ] || fail "review beside a range DNAT: exit $rc"
expect_line "$TMP/range.out" "nft cannot load" 0
expect_line "$TMP/range.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:8080  \(forward\) "
finish
