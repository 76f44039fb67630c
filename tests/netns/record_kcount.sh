#!/usr/bin/env bash
# Denials counted in the kernel: first packets are counted where they enter the filter
# hooks and where they leave them, per flow. A known mix, each kind a number of its
# own, gives exact counts: inbound accepted (5 UDP over IPv4, 3 over IPv6) and dropped
# at input (7), outbound dropped at output (4) and at postrouting (2), local over
# loopback (6, and 1 dropped at input: conntrack confirmed it at postrouting, so it
# is a connection, counted once, not a kernel denial; its trace says the rule). The
# dropped flows are denied by the rule that dropped them, with their exact packet
# counts; nothing else is denied.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
start_servers 60
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport { 7, 8 } drop
	}
	chain output {
		type filter hook output priority filter; policy accept;
		udp dport 9999 drop
	}
	chain post {
		type filter hook postrouting priority srcnat; policy accept;
		udp dport 9998 drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 -n 5 -s 198.51.100.7 || fail "53"
ip netns exec "$CLA" "$CTALAB" send udp 2001:db8::10 53 -n 3 -s 2001:db8:a::7 || fail "53/v6"
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 7 -n 7
S "$CTALAB" burst udp 203.0.113.20 9999 -n 4
S "$CTALAB" burst udp 203.0.113.20 9998 -n 2
S "$CTALAB" send udp 192.0.2.10 53 -n 6 -s 192.0.2.10 || fail "local 53"
S "$CTALAB" burst udp 192.0.2.10 8 -n 1
sleep 2.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
no_own_table "$SRV"

"$PY" - "$TMP/s.json" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
k = s["stats"]["kernel"]
# 5 + 3 + 7 + 4 + 2 + 6 + 1 first packets entered; 7 + 4 + 2 never left
assert k["entered"] == 28, k
assert k["left"] == 15, k
assert k["denied"] == 13, k
flows = {(f["protocol"], f["orig"]["dst"], f["orig"]["dport"], f["orig"]["src"]): f
         for f in s["flows"]}
def denials(f):
    """(connections, verdict, rule) of each verdict that denied some of the flow"""
    return [(e["connections"], e["verdict"]["verdict"], e["verdict"].get("rule"))
            for e in f.get("verdicts", []) if e["verdict"]["verdict"] in ("drop", "reject")]
for key, n, rule in [(("udp", "192.0.2.10", 7, "198.51.100.7"), 7, "udp dport { 7, 8 } drop"),
                     (("udp", "203.0.113.20", 9999, "203.0.113.1"), 4, "udp dport 9999 drop"),
                     (("udp", "203.0.113.20", 9998, "203.0.113.1"), 2, "udp dport 9998 drop")]:
    f = flows[key]
    assert f["packets"]["orig"] == n and f["connections"] == n, (key, f)
    assert denials(f) == [(n, "drop", rule)], (key, f.get("verdicts"))
denied = [f for f in s["flows"] if denials(f)]
assert len(denied) == 4, denied
# the local one: its connection, counted once, with the verdict its trace saw
local = flows[("udp", "192.0.2.10", 8, "192.0.2.10")]
assert local["connections"] == 1 and local["packets"]["orig"] == 1, local
assert denials(local) == [(1, "drop", "udp dport { 7, 8 } drop")], local
conns = {key: f["connections"] for key, f in flows.items() if key[2] == 53}
assert sum(conns.values()) == 5 + 3 + 6, conns
assert s["stats"]["verdicts"]["denied"] == 13, s["stats"]["verdicts"]
print("kernel", k)
PY
schema_ok session.schema.json "$TMP/s.json"
finish
