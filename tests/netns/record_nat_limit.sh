#!/usr/bin/env bash
# A router forwarding a port (DNAT 198.51.100.1:2222 to 192.0.2.2:22) behind a rate
# limit (`ct state new limit rate 2/second accept`, then `counter drop`), in nft or
# (with `legacy`) iptables-legacy, and 40 connects at once from the WAN, with record's
# defaults. A dropped SYN makes no connection, so its denial is known by the original
# tuple alone, while the connections let through carry the reply NAT gave them: one
# flow all the same, forwarded, with every connect, each denied one an attempt with
# the drop rule. (Before: the denials were a flow of their own, "in" to the router's
# address, with no rule: the first SYNs traced were the ones the limit let through.)
. "$(dirname "$0")/common.sh"

MODE=${1:-nft}
lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$CLB" "$CTALAB" sink tcp 22 90 >/dev/null 2>&1 &)
if [ "$MODE" = legacy ]; then
	S iptables-legacy-restore <<'RULES' || fail "iptables-legacy-restore"
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p tcp --dport 2222 -j DNAT --to-destination 192.0.2.2:22
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp --dport 22 -m conntrack --ctstate NEW -m limit --limit 2/sec -j ACCEPT
-A FORWARD -p tcp --dport 22 -j DROP
COMMIT
RULES
else
	S nft -f - <<'NFT' || fail "nft"
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 198.51.100.1 tcp dport 2222 dnat to 192.0.2.2:22
	}
}
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		tcp dport 22 ct state new limit rate 2/second accept
		tcp dport 22 counter drop
	}
}
NFT
fi
# the truth, per source port: entered the filter hooks, and let through them
lab_connect_truth forward || fail "nft lab"
sleep 0.3
ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
pids=()
for i in $(seq 40); do
	ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 2222 -s 198.51.100.7 >/dev/null 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
sleep 3
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
no_own_table "$SRV"
truth=$(lab_connect_truth_read) || fail "the lab's counts"
if [ "$MODE" = legacy ]; then
	drops=$(S iptables-legacy -L FORWARD -v -x -n | awk '$3 == "DROP" { print $1 }')
else
	drops=$(S nft list chain inet filter forward | grep -o 'counter packets [0-9]*' | awk '{ print $3 }')
fi
"$CTA" -j blame --session "$TMP/s.json" 'tcp 198.51.100.7 -> 198.51.100.1:2222' >"$TMP/blame.json" ||
	fail "blame: $(cat "$TMP/blame.json")"

"$PY" - "$TMP" "$drops" $truth <<'PY' || fail "session"
import json, sys
d, drops = sys.argv[1], int(sys.argv[2])
connects, let, denied = map(int, sys.argv[3:6])
s = json.load(open(f"{d}/s.json"))
st = s["stats"]
print(f"connects {connects}: {let} let through, {denied} with a dropped SYN; "
      f"{drops} SYNs dropped; kernel {st['kernel']}; verdicts {st['verdicts']}")
assert denied >= 10 and let >= 3, "too few of either to tell"
assert st["kernel"]["denied"] == drops, (st["kernel"], drops)
assert st["verdicts"]["denied"] == denied, (st["verdicts"]["denied"], denied)
tcp = [f for f in s["flows"] if f["protocol"] == "tcp"]
assert len(tcp) == 1, tcp
f = tcp[0]
assert f["direction"] == "forward", f
assert f["orig"]["dport"] == 2222 and f["orig"]["src"] == "198.51.100.7", f["orig"]
assert f["reply"]["src"] == "192.0.2.2" and f["reply"]["sport"] == 22, f["reply"]
assert f["orig"]["sport_min"] > 0, f["orig"]  # a denial's unknown port is no port
assert f["connections"] == denied + let, (f["connections"], denied, let)
def rule(v):
    return v.get("rule") or ""
den = [v for v in f["verdicts"] if v["verdict"]["verdict"] == "drop"]
acc = [v for v in f["verdicts"] if v["verdict"]["verdict"] == "accept"]
assert sum(v["connections"] for v in den) == denied, den
assert all(v["verdict"]["type"] == "rule" and "drop" in rule(v["verdict"]).lower()
           for v in den), den
assert 1 <= sum(v["connections"] for v in acc) <= let, acc
assert all("limit" in rule(v["verdict"]) for v in acc), acc
b = json.load(open(f"{d}/blame.json"))
text = json.dumps(b)
assert "192.0.2.2" in text and ("counter drop" in text or "-j DROP" in text), text[:2000]
PY
finish
