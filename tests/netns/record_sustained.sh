#!/usr/bin/env bash
# Sustained load across checkpoints, record in its default settings: 12 s of new UDP
# connections (one packet each, from new source ports to 254 addresses: 254 flows),
# with a 2 s UDP timeout so that the table is large and full of expired entries when
# a checkpoint dumps it. Each checkpoint dump then kills those entries at once, a burst
# of DESTROY events on top of the flood's, more than the socket holds: an overrun.
# Reliable delivery (the default) loses none of them; connections and packets are
# exactly the kernel's counts, and nothing is denied.
. "$(dirname "$0")/common.sh"

RATE=${SUSTAINED_RATE:-50000}
SECS=12
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
lab_local_net || exit 1
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2
S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 20000 ct state new counter
		udp dport 20000 counter
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" flood udp 192.0.2.0 20000 -r "$RATE" -t $SECS -s >"$TMP/sent" ||
	fail "the generator: $(cat "$TMP/sent")"
sleep 1
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
counts=$(lab_counters)
"$PY" - "$TMP/s.json" $counts <<'PY' || fail "session (sent: $(cat "$TMP/sent"))"
import json, sys
s = json.load(open(sys.argv[1]))
conns, packets = int(sys.argv[2]), int(sys.argv[3])
st = s["stats"]
flood = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 20000]
print("kernel", conns, packets, "overruns", st["overruns"], "resyncs", st["resyncs"],
      "dumps", st["dumps"], "events", st["events"], "flows", len(flood))
# the start-up dump, a checkpoint during the flood at least, the final one
assert st["dumps"] >= 3, st
assert conns > 100000, ("the generator was slow", conns)
assert sum(f["connections"] for f in flood) == conns, sum(f["connections"] for f in flood)
assert sum(f["packets"]["orig"] for f in flood) == packets, sum(f["packets"]["orig"] for f in flood)
assert not any(e["verdict"]["verdict"] in ("drop", "reject") for f in flood
               for e in f.get("verdicts", [])), "a denial with no firewall"
assert st["kernel"]["denied"] == 0, st["kernel"]
assert st["resyncs"] == 0, st
# every end read: none closed by a dump with counters of before
assert st["swept"] == 0, st
PY
grep -q "conntrack table .* full" "$TMP/rec.err" && fail "the table filled: $(cat "$TMP/rec.err")"
finish
