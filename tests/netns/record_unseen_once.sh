#!/usr/bin/env bash
# A flow recovered from the kernel's counts (record_unseen) has one connection per
# connection, not per first packet: every packet of a connection is in state new until
# its first reply, so a one-way stream (syslog over UDP, GRE) or a retransmitted SYN
# is several first packets of one conntrack entry. Here, with conntrack's events
# turned off by the host's own rule and the entries expired before the final dump,
# one UDP socket sends 3 datagrams to a port nothing answers, and one GRE sender 4
# packets: 1 connection each (3 and 4 packets), as conntrack had them.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
for k in udp_timeout udp_timeout_stream gre_timeout gre_timeout_stream; do
	S sysctl -qw "net.netfilter.nf_conntrack_$k=1"
done
S nft -f - <<'NFT'
table inet quiet {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		meta l4proto { udp, gre } ct event set label
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" --checkpoint-interval 60 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$PY" - <<'PY' || fail "send"
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("198.51.100.7", 0))
g = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
for i in range(4):
    if i < 3:
        u.sendto(b"log line", ("192.0.2.10", 514))
    g.sendto(b"\x00\x00\x08\x00" + b"x" * 20, ("192.0.2.10", 0))
    time.sleep(0.05)
PY
for _ in $(seq 50); do
	[ "$(S conntrack -L 2>/dev/null | grep -c 198.51.100.7)" = 0 ] && break
	sleep 0.2
done
sleep 1.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
no_own_table "$SRV"

"$PY" - "$TMP/s.json" <<'PY' || fail "session: $(grep -o '"flows".*' "$TMP/s.json" | head -c 3000)"
import json, sys
s = json.load(open(sys.argv[1]))
flows = sorted((f["protocol"], f["orig"].get("dport"), f["connections"], f["packets"]["orig"])
               for f in s["flows"] if f["orig"]["src"] == "198.51.100.7")
assert flows == [("gre", None, 1, 4), ("udp", 514, 1, 3)], flows
assert s["stats"]["kernel"]["unseen"] == 2, s["stats"]["kernel"]
assert s["stats"]["kernel"]["left"] == 7, s["stats"]["kernel"]
PY
schema_ok session.schema.json "$TMP/s.json"
finish
