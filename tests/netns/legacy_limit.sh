#!/usr/bin/env bash
# An iptables-legacy host that rate-limits ssh (`-m limit --limit 2/sec --limit-burst
# 2 -j ACCEPT`, then `-j DROP`): 12 connections in a row, some of whose SYNs the limit
# drops before a retransmit gets in. record's denied attempts are exactly the packets
# the DROP rule counted, each with that rule; an accepted attempt never takes another's
# denial. (It did: waits judged by the traces gone quiet were stamped after the clock
# the expiry read, and their age wrapped to 2^64 ns, so they were due at once.)
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/legacy_lib.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(S "$CTALAB" serve tcp 22 60 &)
sleep 0.3
S iptables-legacy-restore <<'RULES' || fail "iptables-legacy-restore"
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 22 -m limit --limit 2/sec --limit-burst 2 -j ACCEPT
-A INPUT -p tcp --dport 22 -j DROP
COMMIT
RULES

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 12 >/dev/null ||
	fail "ssh: not every connection got through"
sleep 6
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
drops=$(S iptables-legacy -L INPUT -v -x -n | awk '$3 == "DROP" && /dpt:22/ { print $1 }')
[ "${drops:-0}" -ge 1 ] || fail "the limit dropped no SYN (${drops:-none}): nothing tested"
echo "the DROP rule counted $drops packets"

"$PY" - "$TMP/s.json" "$drops" <<'PY' || fail "session: $(grep -o '"stats".*' "$TMP/s.json")"
import json, sys
s = json.load(open(sys.argv[1]))
drops = int(sys.argv[2])
st = s["stats"]
assert st["kernel"]["denied"] == drops, (st["kernel"], drops)
assert st["verdicts"]["denied"] == drops, (st["verdicts"], drops)
ssh = [f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 22]
assert len(ssh) == 1, ssh
denied = accepted = 0
for v in ssh[0]["verdicts"]:
    r = v["verdict"]
    if r["verdict"] == "drop":
        assert r.get("legacy") and r.get("rule_num") == 3, r
        denied += v["connections"]
    else:
        assert r["verdict"] == "accept" and r.get("rule_num") == 2, r
        accepted += v["connections"]
assert denied == drops, (denied, drops, ssh[0]["verdicts"])
# 12 connections plus one attempt for each denied SYN (a retransmit counts as one)
assert ssh[0]["connections"] == 12 + drops, ssh[0]
assert 1 <= accepted <= 12, ssh[0]["verdicts"]
PY
finish
