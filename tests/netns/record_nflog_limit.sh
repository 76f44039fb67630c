#!/usr/bin/env bash
# NFLOG per flow, not per connection (issue 17): in the default mode only the first
# packets of flows never let through are logged, so a flood of accepted connections
# of one flow costs one NFLOG message, and each attempt of a denied flow is still
# seen. Counts stay exact either way: 200 accepted connections of one flow, 50 denied
# attempts of another, and a rate-limited third (10 accepted, then 50 dropped after it
# was let through, so not logged: counted by the kernel, each an attempt).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
start_servers 60
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 7 drop
		udp dport 9 limit rate over 1/minute burst 10 packets drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# the NFLOG rule as documented: first packets of flows never let through, no other
S nft list chain inet conntrack_advise new_prerouting >"$TMP/chain.txt"
# (after the chain's first rule, which returns packets not in ct state new)
[ "$(grep -c ' log group 4711' "$TMP/chain.txt")" = 2 ] &&
	sed -n '/type filter/{n;p;q}' "$TMP/chain.txt" | grep -q '^[[:space:]]*ct state ! new return$' &&
	grep -q '^[[:space:]]*meta nfproto ipv4 ct original ip saddr . ct original ip daddr . ct protocol . ct original proto-dst != @left4 log group 4711 snaplen 128$' "$TMP/chain.txt" ||
	fail "new_prerouting: $(cat "$TMP/chain.txt")"
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 53 -n 200
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 7 -n 50
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 9 -n 60
sleep 2.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
no_own_table "$SRV"

"$PY" - "$TMP/s.json" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
flows = {f["orig"]["dport"]: f for f in s["flows"]
         if f["protocol"] == "udp" and f["orig"]["src"] == "198.51.100.7"}
def tally(f, verdicts):
    return sum(e["connections"] for e in f.get("verdicts", [])
               if e["verdict"]["verdict"] in verdicts)
dns, seven, nine = flows[53], flows[7], flows[9]

assert dns["connections"] == 200 and tally(dns, ("drop", "reject")) == 0, dns
assert seven["connections"] == 50 and seven["packets"]["orig"] == 50, seven
assert tally(seven, ("drop",)) == 50, seven["verdicts"]
assert nine["connections"] == 60 and nine["packets"]["orig"] == 60, nine
assert tally(nine, ("drop",)) == 50, nine["verdicts"]
assert s["stats"]["verdicts"]["denied"] == 100, s["stats"]["verdicts"]
# 50 for the denied flow, the first of each other flow: not one per connection (310)
n = s["stats"]["verdicts"]["nflog_packets"]
assert 50 <= n <= 60, n
print("nflog packets", n)
PY
finish
