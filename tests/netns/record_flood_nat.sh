#!/usr/bin/env bash
# A router that translates a flood: 30,000 new UDP flows from the WAN, each to its own
# address and port of 203.0.113.0/24, DNATed to the LAN host (192.0.2.2) and
# masqueraded out of the LAN side; a forward rule drops every tenth destination port.
# More flows than one generation of record's counting sets holds (16,384): the rules
# turn to the other generation mid-flood and the old one is emptied. The counts stay
# exact across it: every accepted connection recorded, forwarded and translated, and
# exactly the dropped packets denied.
# Then the same 30,000 destination/port pairs again from a new source port, across more
# turns: each denied flow is two attempts of one packet each, not one attempt of two
# packets (a trace or NFLOG message of a packet already counted is no retransmit).
# Meanwhile TCP connects to port 7000 of the same addresses, those to .1-.25 dropped:
# their SYNs, sent again every second and more, are the packets of one attempt each,
# across the turns, not attempts of their own.
. "$(dirname "$0")/common.sh"

N=30000
RATE=${FLOOD_RATE:-10000}
lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
ip -n "$CLA" route add 203.0.113.0/24 via 198.51.100.1 || exit 1
drops=$(seq 20000 10 20119 | paste -sd, | sed 's/,/, /g')
S nft -f - <<NFT || exit 1
table ip lab {
	chain pre { type nat hook prerouting priority dstnat; ip daddr 203.0.113.0/24 dnat to 192.0.2.2; }
	chain post { type nat hook postrouting priority srcnat; oifname "lan0" masquerade; }
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new udp dport { $drops } counter drop
		ct state new udp dport >= 20000 counter
		ct state new tcp dport 7000 ct original ip daddr 203.0.113.1-203.0.113.25 counter drop
		ct state new tcp dport 7000 counter
	}
}
NFT

ip netns exec "$SRV" "$CTA" -v record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
flood() {
	ip netns exec "$CLA" "$CTALAB" flood udp 203.0.113.0 20000 -r "$RATE" -t $((N / RATE)) \
		>"$TMP/sent" || fail "the generator sent $(cat "$TMP/sent")"
}
TCP_RATE=1000 TCP_SECS=6
ip netns exec "$CLB" "$CTALAB" sink tcp 7000 60 &
sink=$!
sleep 0.2
# a denied connect stays open, sending SYNs, until the generator's end (5 s after)
ip netns exec "$CLA" "$CTALAB" flood tcp 203.0.113.0 7000 -r $TCP_RATE -t $TCP_SECS \
	>"$TMP/tcp" 2>&1 &
tcp=$!
flood
sleep 3
flood
wait $tcp
kill $sink 2>/dev/null
read -r connected _ <"$TMP/tcp"
sleep 2
wait_turns_read "$TMP/rec.err"
grep "counting sets" "$TMP/rec.err"
grep -q "counting into generation 1" "$TMP/rec.err" || fail "the counting sets did not turn"
grep -q "generation 0 read and emptied" "$TMP/rec.err" || fail "generation 0 not emptied"
kill -INT $rec
wait $rec || fail "record: $(grep -v '^conntrack-advise: record: ' "$TMP/rec.err")"
read -r dropped accepted tcp_dropped tcp_accepted < <(S nft list table ip lab |
	awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") printf "%s ", $(i + 1) } END { print "" }')
echo "kernel: dropped $dropped, accepted $accepted; tcp: SYNs dropped $tcp_dropped, accepted $tcp_accepted"
[ $((dropped + accepted)) = $((2 * N)) ] || fail "the kernel counted $dropped + $accepted of $((2 * N))"
[ "$tcp_accepted" = "$connected" ] || fail "tcp: $connected connected, the kernel counted $tcp_accepted"

"$PY" - "$TMP/s.json" "$accepted" "$dropped" "$tcp_dropped" "$tcp_accepted" \
	$((TCP_RATE * TCP_SECS)) <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
accepted, dropped, tcp_dropped, tcp_accepted, tcp_sent = map(int, sys.argv[2:7])
st = s["stats"]
print("kernel", st["kernel"])
assert st["kernel"]["denied"] == dropped + tcp_dropped, st["kernel"]
# the connects to .1-.25 (ctalab: connect k to address k % 254 + 1), one attempt each
tcp_denied_attempts = sum(1 for k in range(tcp_sent) if k % 254 < 25)
tcp = [f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 7000]
tcp_denied = [f for f in tcp if int(f["orig"]["dst"].split(".")[3]) <= 25]
print("tcp denied: %d attempts of %d SYNs" % (sum(f["connections"] for f in tcp_denied),
                                            sum(f["packets"]["orig"] for f in tcp_denied)))
assert sum(f["connections"] for f in tcp_denied) == tcp_denied_attempts, "tcp attempts"
assert sum(f["packets"]["orig"] for f in tcp_denied) == tcp_dropped, "tcp SYNs"
assert sum(f["connections"] for f in tcp if f not in tcp_denied) == tcp_accepted, "tcp accepted"
flood = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] >= 20000]
def denying(f):
    return [e for e in f.get("verdicts", []) if e["verdict"]["verdict"] in ("drop", "reject")]
denied = [f for f in flood if denying(f)]
let_through = [f for f in flood if f not in denied]
assert st["kernel"]["entered"] == 2 * len(flood) + tcp_accepted + tcp_dropped, st["kernel"]
assert sum(f["connections"] for f in denied) == dropped, "denied attempts"
# each denied flow: two attempts (one per flood) of one packet each
odd = [(f["orig"], f["connections"], f["packets"]) for f in denied
       if f["connections"] != 2 or f["packets"]["orig"] != 2]
assert not odd, (len(odd), odd[:3])
assert sum(f["connections"] for f in let_through) == accepted, "accepted connections"
# forwarded and translated: the reply from the LAN host, to the router's LAN address
odd = [f for f in let_through if f["direction"] != "forward" or f["reply"]["src"] != "192.0.2.2"
       or f["reply"]["dst"] != "192.0.2.1"]
assert not odd, odd[:3]
assert all(f["direction"] == "forward" for f in denied), [f for f in denied if f["direction"] != "forward"][:3]
PY
finish
