#!/usr/bin/env bash
# On a gateway, translated flows keep their reply tuple: a DNAT port forward and
# masquerade show who really answered, and are forwarded, not local.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S sysctl -qw net.ipv4.ip_forward=1
ip -n "$CLA" route add 203.0.113.0/24 via 198.51.100.1
S nft -f - <<'NFT'
table ip nat {
	chain pre { type nat hook prerouting priority dstnat; tcp dport 8080 dnat to 203.0.113.20:80; }
	chain post { type nat hook postrouting priority srcnat; oifname "sb" masquerade; }
}
NFT
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 30 -a 203.0.113.20 &)
sleep 0.3

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.7 -n 2 || fail "port forward"
ip netns exec "$CLA" "$CTALAB" send tcp 203.0.113.20 80 -s 198.51.100.8 -n 1 || fail "masquerade"
kill -INT $rec
wait $rec || fail "record failed"

"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" || fail "flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 forward src=198\.51\.100\.7 dst=192\.0\.2\.10 sport=[0-9-]+ dport=8080 packets=[1-9][0-9]* bytes=[0-9]+ src=203\.0\.113\.20 dst=203\.0\.113\.1 sport=80 dport=[0-9-]+ packets=[1-9][0-9]* bytes=[0-9]+ \[ASSURED\] conns=2 "
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 forward src=198\.51\.100\.8 dst=203\.0\.113\.20 sport=[0-9]+ dport=80 .* src=203\.0\.113\.20 dst=203\.0\.113\.1 sport=80 .* conns=1 "
"$CTA" -j flows "$TMP/s.json" >"$TMP/flows.json" || fail "flows -j"
grep -q '"reply"' "$TMP/flows.json" || fail "no reply tuple in JSON"
schema_ok flows.schema.json "$TMP/flows.json"
schema_ok session.schema.json "$TMP/s.json"
finish
