#!/usr/bin/env bash
# --trace new traces flows, not connections: 60 TCP connections of one flow cost a
# burst of traced SYNs (5) and then one a second, not 60, and the flow has the verdict
# it traced. A ruleset change makes record
# trace every flow afresh: after a drop rule for the same flow, the next attempt is
# traced again, and counted as denied by that rule beside the 60 accepted, with the
# kernel's exact count of its dropped SYNs (a probe's first SYN and its retransmits).
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
S nft insert rule inet fw input tcp dport 22 counter drop
sleep 0.5
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 22 -s 198.51.100.7 && fail "connected through the drop"
sleep 1
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
# the probe's SYNs the drop rule dropped: the first and its retransmits
dropped=$(S nft list chain inet fw input | awk '/counter packets .* drop/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')

"$PY" - "$TMP/s.json" "$dropped" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
dropped = int(sys.argv[2])
flows = [f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 22]
assert len(flows) == 1, flows
f = flows[0]
st = s["stats"]
got = sorted((e["connections"], e["verdict"]["verdict"], e["verdict"].get("rule"))
             for e in f.get("verdicts", []))
print("judgements", st["verdicts"]["judgements"], "connections", f["connections"],
      "kernel", st["kernel"], "verdicts", got)
# a few traced SYNs before the change and one after, not one per connection (62
# SYNs); IPv6 router solicitations and MLD reports of the fresh links are traced too
assert st["verdicts"]["judgements"] < 60, st["verdicts"]
# the traced of the 60 connections by the accept rule (fewer than 60), the probe's
# attempt by the drop rule
assert len(got) == 2 and got[0] == (1, "drop", "tcp dport 22 counter drop"), got
# (the chain's policy accepts and no rule after the accept drops: no chain would have
# dropped them, so no rule is named, docs/deciders.md)
assert got[1][1:] == ("accept", None) and 1 <= got[1][0] < 60, got
assert all(e["verdict"]["type"] == "open" for e in f["verdicts"]
           if e["verdict"]["verdict"] == "accept"), f["verdicts"]
# the 60 connections, and the probe: its SYNs, as many as the drop rule counted
assert dropped >= 1 and st["kernel"]["denied"] == dropped, (st["kernel"], dropped)
assert f["connections"] == 61, f
PY
finish
