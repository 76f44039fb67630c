#!/usr/bin/env bash
# A receive buffer far too small for a burst: the overrun (ENOBUFS) is counted,
# reported on stderr and in the session, and the resync (the queue drained, then a
# dump) recovers every connection the kernel has: connections and packets exactly as
# the kernel counted them, none twice, none lost.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
N=3000
ip netns exec "$SRV" nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9 ct status & confirmed == 0 counter
		udp dport 9 counter
	}
}
NFT
ip netns exec "$SRV" "$CTA" record --rcvbuf 4096 -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# the recorder stopped while the burst comes: the kernel's queue overflows for sure
# (reading fast enough to keep up with a small buffer happens, and is no test)
kill -STOP $rec
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 9 -n $N || fail "burst"
kill -CONT $rec
sleep 1
kernel=$(ip netns exec "$SRV" conntrack -L -p udp --dport 9 2>/dev/null | wc -l)
kill -INT $rec
wait $rec || fail "record failed: $(cat "$TMP/rec.err")"
# connections (packets that made a new entry), then packets
counted=$(ip netns exec "$SRV" nft list table inet lab |
	awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' | paste -sd' ')

grep -q "conntrack events lost (receive buffer overrun" "$TMP/rec.err" || fail "no overrun reported: $(cat "$TMP/rec.err")"
"$PY" - "$TMP/s.json" "$N" "$kernel" $counted <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
n, kernel, conns, packets = (int(v) for v in sys.argv[2:6])
st = s["stats"]
assert st["overruns"] >= 1, st
assert st["resyncs"] == st["overruns"], st
assert st["events"]["new"] < n, ("no events were lost?", st)
flows = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 9]
assert len(flows) == 1, flows
# random source ports collide now and then: a reused 5-tuple is the same entry
assert kernel > n * 0.9, ("kernel table", kernel)
assert flows[0]["connections"] == kernel == conns, (flows[0]["connections"], kernel, conns)
assert flows[0]["packets"]["orig"] == packets, (flows[0]["packets"], packets)
print("overruns", st["overruns"], "new events", st["events"]["new"], "connections", flows[0]["connections"])
PY
finish
