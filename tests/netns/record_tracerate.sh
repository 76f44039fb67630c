#!/usr/bin/env bash
# --trace new's budget (--trace-rate N): a flood of new flows, each a flow of its own
# (3,000 UDP flows in 3 s, one datagram each), traces at most N new flows a second (a
# burst of N, then N a second), and the flows over it are recorded all the same:
# every connection the kernel counted, none denied, each accepted. The budget is one
# limit object in record's table, which the rules marking flows refer to. A flow over
# the budget is not marked seen: once the budget has room, its next connection is
# traced.
. "$(dirname "$0")/common.sh"

RATE=50
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
lab_local_net || exit 1
S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state new udp dport >= 20000 counter
		udp dport >= 20000 accept
		meta l4proto { icmp, ipv6-icmp } accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record --trace-rate "$RATE" -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
S nft list table inet conntrack_advise >"$TMP/table.nft"
grep -q "limit trace_rate" "$TMP/table.nft" || fail "no limit object trace_rate"
grep -q "rate $RATE/second" "$TMP/table.nft" || fail "the limit object's rate is not $RATE/second"
# per chain and family: SYNs, retransmits of dropped SYNs, ICMP, flows in doubt, the
# rest (5 x 2 x 2)
[ "$(grep -c 'limit name "trace_rate"' "$TMP/table.nft")" = 20 ] ||
	fail "not every marking rule draws from the budget: $(grep -c 'limit name "trace_rate"' "$TMP/table.nft") of 20"
t0=$(date +%s.%N)
ip netns exec "$CLA" "$CTALAB" flood udp 192.0.2.0 20000 -r 1000 -t 3 >"$TMP/sent" ||
	fail "the generator sent $(cat "$TMP/sent")"
# the budget refilled (a second and more): the flood's last 40 flows (most of them
# over the budget then) each traced at their next connection, and a new flow
sleep 2
for k in $(seq 2960 2999); do
	ip netns exec "$CLA" "$CTALAB" burst udp "192.0.2.$((k % 254 + 1))" $((20000 + k / 254)) -n 1 ||
		fail "send again to flow $k"
done
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.6 30000 -n 1 || fail "send a new flow"
sleep 1
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
t1=$(date +%s.%N)
kernel=$(lab_counters | cut -d' ' -f1)

"$PY" - "$TMP/s.json" "$kernel" "$RATE" "$(echo "$t1 - $t0" | bc)" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
kernel, rate, secs = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
st = s["stats"]
flood = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] >= 20000]
traced = st["verdicts"]["judgements"]
print("kernel", kernel, "flows", len(flood), "judgements", traced, "secs", secs, st["kernel"])
# every connection recorded, none denied: the counts are the kernel's, not the traces'
assert sum(f["connections"] for f in flood) == kernel == 3041, kernel
assert st["kernel"]["denied"] == 0 and st["verdicts"]["denied"] == 0, st
# inbound, traced or not: the server's addresses are a local route's (AnyIP), which
# the host model knows without a trace's hook
assert all(f["direction"] == "in" for f in flood), \
    [(f["orig"], f["direction"]) for f in flood if f["direction"] != "in"][:3]
assert all(e["verdict"]["verdict"] == "accept" for f in flood for e in f.get("verdicts", [])), \
    [f for f in flood if any(e["verdict"]["verdict"] != "accept" for e in f.get("verdicts", []))][:3]
# traced: the burst and the rate over the run, a few IPv6 packets of the fresh links
# (router solicitations, MLD) beside; without the budget, every one of 3,000 flows
assert 0 < traced <= rate + rate * secs + 20, (traced, rate, secs)
# after the flood, with the budget refilled: the flow sent again and the new one traced
def by_rule(f):
    return [e for e in f.get("verdicts", []) if e["verdict"].get("type") == "rule"]
last = {("192.0.2.%d" % (k % 254 + 1), 20000 + k // 254) for k in range(2960, 3000)}
again = [f for f in flood if (f["orig"]["dst"], f["orig"]["dport"]) in last]
fresh = [f for f in flood if f["orig"]["dport"] == 30000]
print("flood flows with their rule", sum(1 for f in flood if by_rule(f)), "of", len(flood))
assert len(again) == 40 and all(f["connections"] == 2 for f in again), again
assert all(by_rule(f) for f in again), [f for f in again if not by_rule(f)][:3]
assert len(fresh) == 1 and by_rule(fresh[0]), fresh
PY

# review replays every one of the 3,001 flows, through tables that trace many steps
# (some 25 trace messages a packet: more than a receive buffer holds for them all)
S nft -f - <<'NFT'
table inet busy {
	chain in0 { type filter hook input priority -300; policy accept;
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
	}
	chain in1 { type filter hook input priority 100; policy accept;
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
		ct state new meta l4proto udp counter
	}
}
NFT
"$CTA" suggest -o "$TMP/cand.nft" "$TMP/s.json" || fail "suggest"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.out" 2>"$TMP/r.err" ||
	fail "review: $(cat "$TMP/r.err")"
tail -1 "$TMP/r.out"
expect_line "$TMP/r.out" "^30[0-9][0-9] flows: 0 would break, 0 would open, 30[0-9][0-9] unchanged, 0 not judged$"
expect_line "$TMP/r.err" "overflowed" 0
finish
