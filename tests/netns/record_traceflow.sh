#!/usr/bin/env bash
# --trace new traces flows, not connections: 60 TCP connections of one flow cost one
# traced SYN, and the flow has the verdict it traced. A ruleset change makes record
# trace every flow afresh: after a drop rule for the same flow, the next attempt is
# traced again, and the flow is denied by that rule, with the kernel's exact count of
# its dropped SYNs (a probe's first SYN and its retransmit).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 counter accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -n 60 -s 198.51.100.7 || fail "60 connections"
sleep 1
S nft insert rule inet fw input tcp dport 22 drop
sleep 0.5
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 22 -s 198.51.100.7 && fail "connected through the drop"
sleep 1
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"

"$PY" - "$TMP/s.json" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
flows = [f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 22]
assert len(flows) == 1, flows
f = flows[0]
st = s["stats"]
print("judgements", st["verdicts"]["judgements"], "connections", f["connections"],
      "kernel", st["kernel"], "verdict", f["verdict"].get("verdict"), f["verdict"].get("rule"))
# one traced SYN before the change, one after, not one per connection (62 SYNs); the
# rest are IPv6 router solicitations and MLD reports of the fresh links, a dozen or so
assert st["verdicts"]["judgements"] < 40, st["verdicts"]
assert f["verdict"]["verdict"] == "drop" and f["verdict"]["rule"] == "tcp dport 22 drop", f["verdict"]
# the 60 connections, and the probe: its SYNs (2 s: the first and one retransmit)
assert st["kernel"]["denied"] == 2, st["kernel"]
assert f["connections"] == 61, f
PY
finish
