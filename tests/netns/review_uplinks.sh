#!/usr/bin/env bash
# A router with two uplinks: a port forward reached over the second one (wan2) works
# because its connections are marked (ct mark) and their replies routed back by the
# mark (ip rule fwmark 2 lookup 102, default via wan2). A candidate that keeps the
# port forward and the forward chain but forgets the mark lets every packet through;
# the replies leave by wan0 and the port forward fails (helper-61: review said ok).
# The replay sees its reply leave by another interface than the flow came in on: not
# judged. The unchanged ruleset is ok.
#
#   u1 (198.51.100.7) -- wan0 router wan2 -- u2 (192.0.2.7; 198.51.100.77 on lo)
#                            lan0 -- lan (203.0.113.20, :80)
. "$(dirname "$0")/common.sh"

SRV=$LAB-rtr CLA=$LAB-u1 CLB=$LAB-u2
LAN=$LAB-lan
lab_down
trap 'ip netns del "$LAN" 2>/dev/null; cleanup' EXIT
for ns in "$SRV" "$CLA" "$CLB" "$LAN"; do
	ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
done
S() { ip netns exec "$SRV" "$@"; }
ip -n "$SRV" link add wan0 type veth peer name eth0 netns "$CLA"
ip -n "$SRV" link add wan2 type veth peer name eth0 netns "$CLB"
ip -n "$SRV" link add lan0 type veth peer name eth0 netns "$LAN"
ip -n "$SRV" addr add 198.51.100.1/24 dev wan0
ip -n "$SRV" addr add 192.0.2.1/24 dev wan2
ip -n "$SRV" addr add 203.0.113.1/24 dev lan0
ip -n "$CLA" addr add 198.51.100.7/24 dev eth0
ip -n "$CLB" addr add 192.0.2.7/24 dev eth0
ip -n "$CLB" addr add 198.51.100.77/32 dev lo
ip -n "$LAN" addr add 203.0.113.20/24 dev eth0
for ns in "$CLA" "$CLB" "$LAN"; do ip -n "$ns" link set eth0 up; done
for l in wan0 wan2 lan0; do ip -n "$SRV" link set $l up; done
ip -n "$SRV" route add default via 198.51.100.7
ip -n "$SRV" route add default via 192.0.2.7 table 102
ip -n "$SRV" route add 203.0.113.0/24 dev lan0 table 102
ip -n "$SRV" rule add fwmark 2 lookup 102 pref 100
ip -n "$CLA" route add default via 198.51.100.1
ip -n "$CLB" route add default via 192.0.2.1
ip -n "$LAN" route add default via 203.0.113.1
S sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.wan0.rp_filter=0 \
	net.ipv4.conf.wan2.rp_filter=0 net.ipv4.conf.lan0.rp_filter=0
(ip netns exec "$LAN" "$CTALAB" serve tcp 80 60 &)
sleep 0.3
S nft -f - <<'NFT' || fail "nft -f"
table inet r {
	chain prerouting {
		type filter hook prerouting priority mangle; policy accept;
		iifname "wan2" ct state new ct mark set 2
		meta mark set ct mark
	}
	chain dstnat {
		type nat hook prerouting priority dstnat;
		tcp dport 8080 dnat ip to 203.0.113.20:80
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct status dnat accept
		iifname "lan0" accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.1 8080 -s 198.51.100.77 || fail "the port forward over wan2"
sleep 2
kill -INT $rec
wait $rec || fail "record failed"

S nft list ruleset | sed '1i flush ruleset' >"$TMP/live.nft"
S "$CTA" review "$TMP/live.nft" --session "$TMP/s.json" >"$TMP/live.out" 2>&1 ||
	fail "the unchanged ruleset: exit $?: $(cat "$TMP/live.out")"
expect_line "$TMP/live.out" "^  ok +tcp 198\.51\.100\.77:[0-9]+ -> 192\.0\.2\.1:8080 "

cat >"$TMP/cand.nft" <<'NFT'
flush ruleset
table inet fw {
	chain dstnat {
		type nat hook prerouting priority dstnat;
		tcp dport 8080 dnat ip to 203.0.113.20:80
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct status dnat accept
		iifname "lan0" accept
	}
}
NFT
S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/cand.json" 2>/dev/null
"$PY" - "$TMP/cand.json" <<'PY' || fail "the candidate without the mark: $(cat "$TMP/cand.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
f = [f for f in r["flows"] if f["flow"].endswith("192.0.2.1:8080")][0]
assert f["change"] == "not judged" and f.get("reply_astray"), f
PY
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/cand.out" 2>&1
cat "$TMP/cand.out"
expect_line "$TMP/cand.out" "^  not judged +tcp 198\.51\.100\.77:[0-9]+ -> 192\.0\.2\.1:8080 .*\(not judged: its replayed reply got through but left by another interface"
# applied for real, the port forward over wan2 fails: what review could not call ok
S nft -f "$TMP/cand.nft" || fail "nft -f cand"
timeout 10 ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.1 8080 -s 198.51.100.77 >/dev/null 2>&1 &&
	fail "the port forward worked without the mark: the lab proves nothing"
finish
