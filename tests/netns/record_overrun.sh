#!/usr/bin/env bash
# A receive buffer far too small for a burst, with the recorder stopped meanwhile: the
# overrun (ENOBUFS) is counted and reported on stderr and in the session, and nothing
# is lost. By default (reliable delivery) the kernel holds the ends of the connections
# that expire meanwhile (`conntrack -L dying`) and sends them once there is room, and
# no resync is needed; with --no-reliable-events the events are gone and the resync
# (the queue drained, then a dump) recovers every connection the kernel still has.
# Either way connections and packets are exactly what the kernel counted, none twice.
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

# counters of the lab's rules: connections (packets that made a new entry), packets
kernel_counts() { lab_counters; }

# MODE (reliable|lossy) [record options...]
run() {
	local mode=$1 before held rec
	shift
	before=$(kernel_counts)
	ip netns exec "$SRV" "$CTA" record --rcvbuf 4096 "$@" -o "$TMP/$mode.json" \
		--events "$TMP/$mode.jsonl" 2>"$TMP/$mode.err" &
	rec=$!
	wait_file "$TMP/$mode.json" || return 1
	# the recorder stopped while the burst comes: the kernel's queue overflows for sure
	# (reading fast enough to keep up with a small buffer happens, and is no test)
	kill -STOP $rec
	ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 9 -n $N || fail "burst"
	held=0
	if [ "$mode" = reliable ]; then
		# the entries expire (timeout 2 s) while nobody reads; a listing evicts
		# expired entries (ctnetlink_dump_table, sooner than the gc worker would):
		# the kernel keeps them, their DESTROY undelivered, until the recorder reads
		sleep 3
		ip netns exec "$SRV" conntrack -L >/dev/null 2>&1
		held=$(ip netns exec "$SRV" conntrack -L dying 2>/dev/null | grep -c 'dport=9 ')
	fi
	kill -CONT $rec
	sleep 1
	kill -INT $rec
	wait $rec || fail "$mode: record failed: $(cat "$TMP/$mode.err")"
	"$PY" - "$TMP/$mode.json" "$mode" "$N" "$held" $before $(kernel_counts) <<'PY' || fail "$mode: session"
import json, sys
s = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[1][:-len(".json")] + ".jsonl")]
mode = sys.argv[2]
n, held, c0, p0, c1, p1 = (int(v) for v in sys.argv[3:9])
conns, packets = c1 - c0, p1 - p0
st = s["stats"]
assert st["overruns"] >= 1, st
assert st["events"]["new"] < n, ("no events were lost?", st)
# random source ports collide now and then: a reused 5-tuple is the same entry
assert conns > n * 0.9, ("kernel's new connections", conns)
flows = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 9]
assert len(flows) == 1, flows
assert flows[0]["connections"] == conns, (flows[0]["connections"], conns)
assert flows[0]["packets"]["orig"] == packets, (flows[0]["packets"], packets)
if mode == "reliable":
    # most ends were held by the kernel, then delivered: each counted once
    assert held > n * 0.5, ("entries held for their DESTROY", held)
    assert st["resyncs"] == 0, st
    assert st["swept"] == 0, st
    assert st["events"]["destroy"] + st["open_connections"] >= conns, st
    # the stream: a start for every end, the NEWs that came inside their DESTROY too
    mine = [l for l in lines if l["protocol"] == "udp" and l["orig"]["dport"] == 9]
    # a connection is its id and tuple (ids are 32-bit hashes: two of 3000 may share one)
    conn = lambda l: (l["id"], l["orig"]["sport"])
    starts = {conn(l) for l in mine if l["event"] == "start"}
    ends = [l for l in mine if l["event"] == "end"]
    assert len(ends) > n * 0.5, ("ends in the stream", len(ends))
    assert all(conn(l) in starts for l in ends), "an end without its start"
    assert len(starts) == conns, (len(starts), conns)
else:
    assert st["resyncs"] == st["overruns"], st
    # the NEWs lost, the resync dump listed the connections: a start line each, once
    mine = [l for l in lines if l["protocol"] == "udp" and l["orig"]["dport"] == 9]
    starts = [(l["id"], l["orig"]["sport"]) for l in mine if l["event"] == "start"]
    assert len(starts) == len(set(starts)) == conns, (len(starts), len(set(starts)), conns)
print(mode, "overruns", st["overruns"], "held", held, "new events", st["events"]["new"],
      "destroy events", st["events"]["destroy"], "connections", flows[0]["connections"])
PY
}

ip netns exec "$SRV" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2
run reliable
grep -q "conntrack events delayed (receive buffer overrun" "$TMP/reliable.err" ||
	fail "reliable: no overrun reported: $(cat "$TMP/reliable.err")"
# the entries stay open meanwhile: the resync dump finds them
ip netns exec "$SRV" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=60
run lossy --no-reliable-events
grep -q "conntrack events lost (receive buffer overrun" "$TMP/lossy.err" ||
	fail "lossy: no overrun reported: $(cat "$TMP/lossy.err")"
finish
