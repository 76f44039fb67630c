#!/usr/bin/env bash
# Replies are not new flows to trace. A DNS-like service: 300 UDP exchanges from as
# many client ports, each answered. The marking runs before conntrack, and a reply's
# key (server, client, client port) is new every time: each reply was traced as a new
# flow, took a token of the trace budget (--trace-rate) from the new flows, and was
# then thrown away by the judge. A packet whose reversed key is a flow marked seen is
# now not traced: the flow and its first reply are, the 299 others not. A client that
# sends from one port to several services is no reply: from port 5353 to 53, then from
# the same socket to 514 (a rule accepts) and to 9999 (a rule drops), each flow is
# traced and gets its rule.
. "$(dirname "$0")/common.sh"

N=300
lab_up || exit 1
ip netns exec "$SRV" nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 53 ct state new counter
		udp dport 9999 drop
		udp dport 514 accept
	}
}
NFT
(ip netns exec "$SRV" "$CTALAB" serve udp 53 60 -a 192.0.2.10 -a 2001:db8::10 &)
sleep 0.3
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
for dst in 192.0.2.10 2001:db8::10; do
	ip netns exec "$CLA" "$CTALAB" send udp $dst 53 -n $N >/dev/null || fail "exchanges with $dst"
done
ip netns exec "$CLA" "$PY" - <<'PY' || fail "the client from port 5353"
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.bind(("198.51.100.7", 5353))
s.sendto(b"q", ("192.0.2.10", 53))
s.recvfrom(100)
for port in (9999, 514):
    time.sleep(0.3)
    s.sendto(b"x", ("192.0.2.10", port))
PY
sleep 3
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
"$PY" - "$TMP/s.json" "$(lab_counters)" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
conns = int(sys.argv[2].split()[0])  # the kernel's: a client port used twice is one connection
st = s["stats"]["verdicts"]
dns = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 53]
print("flows", [(f["orig"]["dst"], f["connections"]) for f in dns], "trace events",
      st["trace_events"], "judgements", st["judgements"])
assert sum(f["connections"] for f in dns) == conns, (conns, dns)
assert all(e["verdict"]["verdict"] == "accept" for f in dns for e in f.get("verdicts", [])), dns
# a trace is a few messages; a reply traced each time would be 600 traces
assert st["trace_events"] < 150, st
def rule(port):
    f = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == port]
    assert len(f) == 1, (port, f)
    return [(e["verdict"]["verdict"], e["verdict"]["type"], e["verdict"].get("rule"))
            for e in f[0].get("verdicts", [])]
# traced: dropped by its rule; let through with no chain that would drop it (untraced:
# "drop by=unknown", and no verdict)
assert rule(9999) == [("drop", "rule", "udp dport 9999 drop")], rule(9999)
assert rule(514) == [("accept", "open", None)], rule(514)
PY
finish
