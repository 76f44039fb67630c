#!/usr/bin/env bash
# A translated flow whose conntrack events never came is not recovered from the
# kernel's counts (record_unseen): the counting sets know its original tuple only, not
# where the translation sent it. Here a port forward (DNAT of 192.0.2.10 udp/5353 to
# 203.0.113.20 udp/123) and a redirect to this host (udp to 203.0.113.20 port 7 goes
# to the local echo service on port 53) and TPROXY (udp to 203.0.113.99 port 69,
# delivered to a transparent socket here: no translation, its destination is not this
# host's), with the host's own `ct event set label` rule keeping conntrack quiet, and
# their entries expired before the final dump. Recovered, they would be an inbound flow
# to a port nothing listens on and forwarded ones that never left the host: suggest
# would open them. An untranslated flow next to them still is recovered.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
start_servers 60
S sysctl -qw net.ipv4.ip_forward=1
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1 net.netfilter.nf_conntrack_udp_timeout_stream=1
ip -n "$CLA" route add 203.0.113.0/24 via 198.51.100.1
S nft -f - <<'NFT'
table inet quiet {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		meta l4proto udp ct event set label
	}
}
table ip mangle {
	chain divert {
		type filter hook prerouting priority mangle; policy accept;
		iifname "sa" udp dport 69 tproxy to :6969 meta mark set 0x1 accept
	}
}
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat;
		udp dport 5353 dnat to 203.0.113.20:123
		ip daddr 203.0.113.20 udp dport 7 dnat to 192.0.2.10:53
	}
	chain post { type nat hook postrouting priority srcnat; oifname "sb" masquerade; }
}
NFT
S ip rule add fwmark 1 lookup 100 || fail "ip rule"
S ip route add local 0.0.0.0/0 dev lo table 100 || fail "ip route"
# the transparent socket: it only has to exist for TPROXY to deliver
(S "$PY" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
s.bind(("0.0.0.0", 6969))
time.sleep(30)' &)
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" --checkpoint-interval 60 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 5353 -s 198.51.100.7 -n 3 || fail "port forward"
ip netns exec "$CLA" "$CTALAB" send udp 203.0.113.20 7 -s 198.51.100.7 -n 2 || fail "redirect"
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.7 -n 4 || fail "udp 53"
ip netns exec "$CLA" "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.7", 0))
s.sendto(b"x", ("203.0.113.99", 69))' || fail "tproxy"
for _ in $(seq 50); do
	[ "$(S conntrack -L -p udp 2>/dev/null | grep -c 198.51.100.7)" = 0 ] && break
	sleep 0.2
done
sleep 1.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
no_own_table "$SRV"

"$PY" - "$TMP/s.json" <<'PY' || fail "session: $(grep -o '"flows".*' "$TMP/s.json" | head -c 3000)"
import json, sys
s = json.load(open(sys.argv[1]))
flows = [(f["protocol"], f["orig"]["dst"], f["orig"]["dport"], f["connections"])
         for f in s["flows"] if f["orig"]["src"] == "198.51.100.7"]
assert flows == [("udp", "192.0.2.10", 53, 4)], flows
assert s["stats"]["kernel"]["unseen"] == 4, s["stats"]["kernel"]
PY
schema_ok session.schema.json "$TMP/s.json"
"$CTA" suggest "$TMP/s.json" >"$TMP/r.nft" 2>/dev/null || fail "suggest"
grep -qE 'dport ((5353|7|69)\b|\{[^}]*\b(5353|7|69)\b)' "$TMP/r.nft" && fail "suggest allows a translated flow's port: $(cat "$TMP/r.nft")"
finish
