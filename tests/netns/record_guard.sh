#!/usr/bin/env bash
# Reliable delivery holds entries for the recorder, and a full conntrack table drops
# the host's new connections: with the table 7/8 full (nf_conntrack_max, read-only in
# a namespace: the entries are made to fit it) while events wait, record turns
# reliable delivery off and says so; the overrun then costs a resync dump, which still
# recovers every connection the kernel has.
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
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 20000 ct state new counter
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# stopped: the events of the flood overrun the socket while the table fills
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
grep -q "entries full while events wait: reliable events off" "$TMP/rec.err" ||
	fail "no guard: $(cat "$TMP/rec.err")"
conns=$(lab_counters)
"$PY" - "$TMP/s.json" "$conns" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
conns = int(sys.argv[2])
st = s["stats"]
flood = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 20000]
print("kernel", conns, "overruns", st["overruns"], "resyncs", st["resyncs"], "events", st["events"])
assert st["resyncs"] >= 1, st
assert sum(f["connections"] for f in flood) == conns, sum(f["connections"] for f in flood)
PY
S conntrack -F 2>/dev/null
finish
