#!/usr/bin/env bash
# Reliable delivery holds entries for the recorder, and a full conntrack table drops
# the host's new connections: with the table 7/8 full (nf_conntrack_max, read-only in
# a namespace: the entries are made to fit it) while events wait, record turns
# reliable delivery off and says so; the overrun then costs a resync dump.
# By default record reads DESTROY events only: a table full of open connections
# holds nothing for it, and the guard stays quiet (the first round: every connection
# exact, no overrun). With --events it reads NEW events too, which pile up while the
# recorder is stopped (the second round): the guard's case, still exact after its
# resync.
. "$(dirname "$0")/common.sh"

max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
N=$((max / 8 * 7 + max / 32))
if [ "$N" -gt 500000 ]; then
	echo "SKIP: nf_conntrack_max is $max: $N entries would take too long"
	exit 77
fi
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
lab_local_net || exit 1
S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 20000 ct state new counter
	}
}
NFT
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
for mode in default events; do
	S conntrack -F 2>/dev/null
	before=$(lab_counters)
	rm -f "$TMP/s.json"
	extra=()
	[ "$mode" = events ] && extra=(--events "$TMP/ev.jsonl")
	ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" "${extra[@]}" 2>"$TMP/rec.err" &
	rec=$!
	wait_file "$TMP/s.json" || exit 1
	# stopped while the table fills
	kill -STOP $rec
	rate=50000
	ip netns exec "$CLA" "$CTALAB" flood udp 192.0.2.0 20000 -r $rate -t $(((N + rate - 1) / rate)) -s \
		>"$TMP/sent" || fail "the generator: $(cat "$TMP/sent")"
	count=$(S cat /proc/sys/net/netfilter/nf_conntrack_count)
	[ "$count" -gt $((max / 8 * 7)) ] || fail "the table did not fill: $count of $max ($(cat "$TMP/sent"))"
	kill -CONT $rec
	sleep 3
	kill -INT $rec
	wait $rec || fail "record: $(cat "$TMP/rec.err")"
	if [ "$mode" = events ]; then
		grep -q "entries full while events wait: reliable events off" "$TMP/rec.err" ||
			fail "no guard: $(cat "$TMP/rec.err")"
	elif grep -q "reliable events off" "$TMP/rec.err"; then
		fail "the guard for a table of open connections: $(cat "$TMP/rec.err")"
	fi
	conns=$(($(lab_counters) - before))
	"$PY" - "$TMP/s.json" "$conns" "$mode" <<'PY' || fail "session ($mode)"
import json, sys
s = json.load(open(sys.argv[1]))
conns, mode = int(sys.argv[2]), sys.argv[3]
st = s["stats"]
flood = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 20000]
got = sum(f["connections"] for f in flood)
print(mode, "kernel", conns, "recorded", got, "overruns", st["overruns"], "resyncs",
      st["resyncs"], "events", st["events"])
if mode == "events":
    assert st["resyncs"] >= 1, st
else:
    assert st["resyncs"] == 0 and st["overruns"] == 0 and st["events"]["new"] == 0, st
assert got == conns, (got, conns)
PY
done
S conntrack -F 2>/dev/null
finish
