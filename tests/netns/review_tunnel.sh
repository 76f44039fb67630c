#!/usr/bin/env bash
# Issue 21, item 1: a tunnel peer is replayed on the interface it came in on. wg0 (a
# veth here: no wireguard needed) holds 192.0.2.50/32 with 192.0.2.128/25 routed into
# it; eth0's subnet 192.0.2.0/24 also holds the peer 192.0.2.130. A raw-priority rule
# drops 192.0.2.50 arriving anywhere but wg0. The peer's ssh works on the host, so
# review of the suggestion must say so: the replay injects on the recorded iif (wg0),
# not on eth0 (whose subnet holds the source), which it did before: LOCKOUT-free
# BREAKS, exit 1. A reverse path filter (fib saddr . iif) needs the route rebuilt too.
# Then the same on an iptables-nft host, the peers routed by a policy rule. Review also
# says which of the host's routes and rules it could not rebuild (a uidrange rule). A
# point-to-point address's peer route (the kernel's) is rebuilt too. An address with a
# label (eth0:1) is eth0's.
#
#   lan (192.0.2.7/24) -- eth0 host wg0 (192.0.2.50/32) -- peer (192.0.2.130)
#                                   wg0 (192.0.2.60 peer 198.51.100.140)
. "$(dirname "$0")/common.sh"

SRV=$LAB-host CLA=$LAB-lan CLB=$LAB-peer
lab_down
ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || exit 1
for ns in "$SRV" "$CLA" "$CLB"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link add eth0 type veth peer name eth0 netns "$CLA"
ip -n "$SRV" link add wg0 type veth peer name eth0 netns "$CLB"
ip -n "$SRV" addr add 192.0.2.1/24 dev eth0
ip -n "$SRV" addr add 192.0.2.50/32 dev wg0
ip -n "$SRV" addr add 192.0.2.60 peer 198.51.100.140/32 dev wg0
# an address with a label (keepalived, ifupdown aliases): getifaddrs names it eth0:1,
# which is no interface (the scratch namespace could not be built: exit 3)
ip -n "$SRV" addr add 203.0.113.1/24 dev eth0 label eth0:1
ip -n "$CLA" addr add 192.0.2.7/24 dev eth0
ip -n "$CLB" addr add 192.0.2.130/32 dev eth0
ip -n "$CLB" addr add 198.51.100.140/32 dev eth0
for l in eth0 wg0; do ip -n "$SRV" link set $l up; done
ip -n "$CLA" link set eth0 up; ip -n "$CLB" link set eth0 up
ip -n "$SRV" route add 192.0.2.128/25 dev wg0
ip -n "$CLB" route add 192.0.2.50/32 dev eth0
ip -n "$CLB" route add 192.0.2.60/32 dev eth0
ip -n "$SRV" rule add uidrange 1000-1000 lookup 100 prio 100
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 60 &)
sleep 0.3
cat >"$TMP/host.nft" <<'NFT'
table ip t {
	chain preraw {
		type filter hook prerouting priority raw; policy accept;
		iifname != "wg0" ip daddr { 192.0.2.50, 192.0.2.60 } fib saddr type != local drop
		fib saddr . iif oif missing drop
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
	}
}
NFT
S nft -f "$TMP/host.nft" || exit 1

# record the peer's ssh (and one from the LAN), suggest, review the suggestion
round() {
	local tag=$1
	ip netns exec "$SRV" "$CTA" -q record -o "$TMP/$tag.json" &
	local rec=$!
	wait_file "$TMP/$tag.json" || return 1
	ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.50 22 -s 192.0.2.130 ||
		fail "$tag: the peer's ssh"
	ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.60 22 -s 198.51.100.140 ||
		fail "$tag: the point-to-point peer's ssh"
	ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.1 22 -s 192.0.2.7 || fail "$tag: lan ssh"
	sleep 1
	kill -INT $rec
	wait $rec || fail "$tag: record failed"
	"$PY" - "$TMP/$tag.json" <<'PY' || fail "$tag: session: $(grep 192.0.2.130 "$TMP/$tag.json")"
import json, os, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == 5, s["version"]
f = [f for f in s["flows"] if f["orig"]["src"] == "192.0.2.130"]
assert len(f) == 1 and f[0]["iif"] == "wg0", f
table = 100 if os.environ.get("POLICY") else 254
assert any(r["dst"] == "192.0.2.128/25" and r["dev"] == "wg0" and r["table"] == table
           for r in s["host"]["routes"]), s["host"]["routes"]
ifs = {i["name"]: i for i in s["host"]["interfaces"]}
assert "eth0:1" not in ifs and "203.0.113.1/24" in ifs["eth0"]["addresses"], ifs
# the point-to-point peer's route: the kernel made it, review needs it
assert any(r["dst"] == "198.51.100.140/32" and r["dev"] == "wg0" for r in s["host"]["routes"])
assert not os.environ.get("POLICY") or any(
    r["priority"] == 1000 and r["to"] == "192.0.2.128/25" and r["table"] == 100
    and "unsupported" not in r for r in s["host"]["rules"]), s["host"]["rules"]
assert any(r["priority"] == 100 and r.get("unsupported") == "uidrange"
           for r in s["host"]["rules"]), s["host"].get("rules")
PY
	"$CTA" suggest -o "$TMP/$tag.nft" "$TMP/$tag.json" || fail "$tag: suggest"
	S "$CTA" review "$TMP/$tag.nft" --session "$TMP/$tag.json" >"$TMP/$tag.out" 2>&1
	local rc=$?
	cat "$TMP/$tag.out"
	[ $rc = 0 ] || fail "$tag: review of the suggestion: exit $rc, not 0"
	expect_line "$TMP/$tag.out" "LOCKOUT|BREAKS" 0
	expect_line "$TMP/$tag.out" "^  ok +tcp 192\.0\.2\.130:[0-9]+ -> 192\.0\.2\.50:22 "
	expect_line "$TMP/$tag.out" "^  ok +tcp 198\.51\.100\.140:[0-9]+ -> 192\.0\.2\.60:22 "
	# the uidrange rule is the one thing not rebuilt
	expect_line "$TMP/$tag.out" "^not rebuilt in the scratch namespace"
	expect_line "$TMP/$tag.out" "^  (route|policy rule) "
	expect_line "$TMP/$tag.out" "^  policy rule 100 \(lookup 100\): uidrange$"
}
round nft

# the same on an iptables-nft host (the raw rules as iptables writes them), the peers
# routed by a policy rule into table 100: both must be rebuilt, or the reverse path
# filter drops the peer on wg0
S nft delete table ip t
S ip route del 192.0.2.128/25 dev wg0
S ip route add 192.0.2.128/25 dev wg0 table 100
S ip rule add to 192.0.2.128/25 lookup 100 prio 1000
{ S iptables-nft -t raw -A PREROUTING ! -i wg0 -d 192.0.2.50/32 -j DROP &&
	S iptables-nft -t raw -A PREROUTING ! -i wg0 -d 192.0.2.60/32 -j DROP &&
	S iptables-nft -t raw -A PREROUTING -m rpfilter --invert -j DROP; } || {
	echo "SKIP: iptables-nft refused the raw rules"
	exit 77
}
POLICY=1 round ipt
finish
