#!/usr/bin/env bash
# A port published on localhost (Podman's netavark, Docker without its proxy): output's
# NAT sends 127.0.0.1:8080 to a container, and route_localnet lets a packet from
# 127.0.0.1 be routed there. review replays such a flow: the scratch namespace must
# route it as the host did. It used to stop the whole review, exit 3, "sending a
# packet (out): Invalid argument" (ip_route_me_harder after the DNAT), even for a
# candidate equal to the live ruleset.
#
#   host (127.0.0.1, 192.0.2.1) -- ctr0 -- container (192.0.2.2:80)
. "$(dirname "$0")/common.sh"

SRV=$LAB-host CLB=$LAB-ctr
lab_down
ip netns add "$SRV" && ip netns add "$CLB" || exit 1
for ns in "$SRV" "$CLB"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link add ctr0 type veth peer name eth0 netns "$CLB"
ip -n "$SRV" addr add 192.0.2.1/24 dev ctr0
ip -n "$CLB" addr add 192.0.2.2/24 dev eth0
ip -n "$SRV" link set ctr0 up
ip -n "$CLB" link set eth0 up
ip -n "$CLB" route add default via 192.0.2.1
S() { ip netns exec "$SRV" "$@"; }
S sysctl -qw net.ipv4.conf.ctr0.route_localnet=1
cat >"$TMP/live.nft" <<'NFT'
table inet pub {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr 127.0.0.1 tcp dport 8080 dnat ip to 192.0.2.2:80
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 127.0.0.0/8 oifname "ctr0" masquerade
	}
}
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iifname "lo" accept
	}
	chain output {
		type filter hook output priority 0; policy accept;
	}
}
NFT
S nft -f "$TMP/live.nft" || fail "ruleset"
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 &)
sleep 0.3
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
S "$CTALAB" send tcp 127.0.0.1 8080 || fail "the published port on localhost"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv4 .* tcp .* out +src=127\.0\.0\.1 dst=127\.0\.0\.1 .*dport=8080 .*verdict=accept"

# the live ruleset as the candidate: every flow judged, nothing changes
{
	echo 'flush ruleset'
	S nft list ruleset
} >"$TMP/same.nft"
S "$CTA" review "$TMP/same.nft" --session "$TMP/s.json" >"$TMP/same.out" 2>&1
rc=$?
cat "$TMP/same.out"
[ $rc = 0 ] || fail "review of the live ruleset: exit $rc"
expect_line "$TMP/same.out" "^  ok +tcp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:8080  \(out\) "
expect_line "$TMP/same.out" "^1 flow: 0 would break, 0 would open, 1 unchanged, 0 not judged$"
# a candidate dropping what output sends to the container: judged, BREAKS
sed 's/type filter hook output priority 0; policy accept;/type filter hook output priority 0; policy accept;\n\t\tip daddr 192.0.2.2 tcp dport 80 drop/' \
	"$TMP/live.nft" >"$TMP/cand.nft"
printf 'flush ruleset\n' | cat - "$TMP/cand.nft" >"$TMP/cand2.nft"
S "$CTA" review "$TMP/cand2.nft" --session "$TMP/s.json" >"$TMP/cand.out" 2>&1
rc=$?
cat "$TMP/cand.out"
[ $rc = 1 ] || fail "review of a candidate that drops it: exit $rc, not 1"
expect_line "$TMP/cand.out" "^  BREAKS +tcp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:8080  \(out\) .* candidate: drop \(rule inet filter output"
finish
