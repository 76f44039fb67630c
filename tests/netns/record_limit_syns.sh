#!/usr/bin/env bash
# A flow some of whose connects are let through and some dropped (a rate limit, a
# meter: here, deterministic, the source ports with bit 1 set), with record's defaults.
# Once the flow was let through NFLOG logs none of its SYNs and the trace sees a few:
# the kernel counts the dropped SYNs, first ones and retransmits alike, and the SYN
# sets (nft/kcount.h) tell which are new connects. Each denied connect is one attempt
# whatever its retransmits (the code before the SYN sets: 49 for 36, each retransmit
# an attempt); the flow's connections are the connects, the kernel's denied packets
# the drop rule's count.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" sink tcp 22 90 >/dev/null 2>&1 &)
S nft -f - <<'NFT' || exit 1
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		tcp dport 22 tcp sport & 2 == 2 counter drop
	}
}
NFT
lab_connect_truth input || fail "nft lab"
sleep 0.3
ip netns exec "$SRV" "$CTA" -v record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
for round in 1 2; do
	for i in $(seq 12); do
		ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 22 >/dev/null 2>&1 &
		sleep 0.1
	done
	wait $(jobs -p | grep -vx "$rec")
done
sleep 3
kill -INT $rec
wait $rec || fail "record: $(grep -v '^conntrack-advise: record: ' "$TMP/rec.err")"
no_own_table "$SRV"
truth=$(lab_connect_truth_read) || fail "the lab's counts"
S nft -j list chain inet filter input >"$TMP/input.json"

"$PY" - "$TMP" $truth <<'PY' || fail "session"
import json, sys
d = sys.argv[1]
connects, let, denied = map(int, sys.argv[2:5])
drops = [e["counter"]["packets"] for o in json.load(open(f"{d}/input.json"))["nftables"]
         if "rule" in o for e in o["rule"]["expr"] if "counter" in e][0]
s = json.load(open(f"{d}/s.json"))
st = s["stats"]
print(f"connects {connects}: {let} let through, {denied} with a dropped SYN; "
      f"{drops} SYNs dropped; kernel {st['kernel']}; verdicts {st['verdicts']}")
assert denied >= 6 and let >= 3, "too few of either to tell"
assert st["kernel"]["denied"] == drops, (st["kernel"], drops)
assert st["verdicts"]["denied"] == denied, (st["verdicts"]["denied"], denied)
ssh = [f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 22]
assert len(ssh) == 1, ssh
f = ssh[0]
den = sum(v["connections"] for v in f["verdicts"] if v["verdict"]["verdict"] == "drop")
assert den == denied, (den, denied, f["verdicts"])
# a connect whose first SYN was dropped and a retransmit let through is both
assert f["connections"] == denied + let, (f["connections"], denied, let)
assert f["packets"]["orig"] >= drops, (f["packets"], drops)
PY
grep -q "SYN sets: " "$TMP/rec.err" || fail "no SYN sets line in -v: $(cat "$TMP/rec.err")"
finish
