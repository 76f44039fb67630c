#!/usr/bin/env bash
# A flood at the machine's pace, record in its default settings (traces of new flows,
# NFLOG, processes): 30,000 new UDP flows, one packet each, to 254 addresses and 119
# ports. With no firewall nothing is denied and every connection the kernel counted
# is recorded; with one that drops every tenth destination port, exactly the dropped
# packets are denied (by that rule, where its trace came in time), and the rest
# recorded as connections.
. "$(dirname "$0")/common.sh"

N=30000
RATE=${FLOOD_RATE:-10000}
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
lab_local_net || exit 1

# flood RUN [DROP-PORTS]: the kernel's own counts in table lab, then record's session
flood() {
	local run=$1 drop=${2:-}
	S nft -f - <<NFT
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		${drop:+udp dport { $drop \} counter drop}
		ct state new udp dport >= 20000 counter
	}
}
NFT
	ip netns exec "$SRV" "$CTA" -q record -o "$TMP/$run.json" 2>"$TMP/$run.err" &
	local rec=$!
	wait_file "$TMP/$run.json" || return 1
	ip netns exec "$CLA" "$CTALAB" flood udp 192.0.2.0 20000 -r "$RATE" -t $((N / RATE)) \
		>"$TMP/$run.sent" || fail "$run: the generator sent $(cat "$TMP/$run.sent")"
	sleep 2
	kill -INT $rec
	wait $rec || fail "$run: record: $(cat "$TMP/$run.err")"
	S nft list table inet lab >"$TMP/$run.nft"
	S nft delete table inet lab
	S conntrack -F 2>/dev/null
}

# counter N: the packets of the lab table's counter on line N (1: drops, or accepts)
counter() { awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' "$1" | sed -n "${2}p"; }

check() {
	local run=$1 accepted=$2 dropped=$3
	"$PY" - "$TMP/$run.json" "$accepted" "$dropped" <<'PY' || fail "$run: session"
import json, sys
s = json.load(open(sys.argv[1]))
accepted, dropped = int(sys.argv[2]), int(sys.argv[3])
flood = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] >= 20000]
def denying(f):
    return [e for e in f.get("verdicts", []) if e["verdict"]["verdict"] in ("drop", "reject")]
denied = [f for f in flood if denying(f)]
let_in = [f for f in flood if f not in denied]
st = s["stats"]
print("overruns", st["overruns"], "kernel", st["kernel"], "flows", len(flood))
odd = [f for f in flood if f["connections"] != 1 or f["packets"]["orig"] != 1]
if odd:
    print("flows of more or fewer than one packet:", st, odd[:5])
assert st["kernel"]["denied"] == dropped, st["kernel"]
assert sum(f["packets"]["orig"] for f in denied) == dropped, "denied packets"
assert sum(f["connections"] for f in denied) == dropped, "denied attempts"
# the rule is detail (a trace late under load leaves it unknown); the count is not
unnamed = [f for f in denied if any(e["verdict"].get("type") != "rule" for e in denying(f))]
print("denied flows without their rule (trace late):", len(unnamed))
assert all(len(f["verdicts"]) == 1 for f in denied), "a dropped flow with another verdict too"
assert sum(f["connections"] for f in let_in) == accepted, (sum(f["connections"] for f in let_in), accepted)
assert sum(f["packets"]["orig"] for f in let_in) == accepted, "accepted packets"
PY
}

flood open
check open "$(counter "$TMP/open.nft" 1)" 0
drops=$(seq 20000 10 20119 | paste -sd, | sed 's/,/, /g')
flood drop "$drops"
check drop "$(counter "$TMP/drop.nft" 2)" "$(counter "$TMP/drop.nft" 1)"
echo "sent: $(cat "$TMP/open.sent") / $(cat "$TMP/drop.sent")"
finish
