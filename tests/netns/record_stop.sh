#!/usr/bin/env bash
# Counters exact at stop: 2000 one-packet UDP connections whose entries expire (a 1 s
# timeout) just before record stops. The kernel kills expired entries when the final
# dump meets them and reports each with a DESTROY event that carries its counters;
# record reads those after the dump, so every connection has its packet and bytes,
# as the kernel's own counters say. Twice: with the default receive buffer, and with
# one far too small for that burst of DESTROYs (--rcvbuf 65536), where the kernel
# must keep and send again what did not fit (cta_ct_keep_destroys): on the old code
# about half the connections then had no packets.
. "$(dirname "$0")/common.sh"

N=2000
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1
# round [RECORD OPTION...]: a fresh table of counters, record, the burst, compare
round() {
	S conntrack -F >/dev/null 2>&1
	S nft flush table inet lab 2>/dev/null
	S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9 ct status & confirmed == 0 counter
		udp dport 9 counter
	}
}
NFT
	rm -f "$TMP/s.json"
	ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" "$@" 2>"$TMP/rec.err" &
	rec=$!
	wait_file "$TMP/s.json" || exit 1
	ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 9 -n $N || fail "burst"
	sleep 1.5
	kill -INT $rec
	wait $rec || fail "record $*: $(cat "$TMP/rec.err")"
	S nft list table inet lab >"$TMP/lab.nft"
	counters=$(awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1), $(i + 3) }' "$TMP/lab.nft" | paste -sd' ')

	"$PY" - "$TMP/s.json" $counters <<-'PY' || fail "session $*"
	import json, sys
	s = json.load(open(sys.argv[1]))
	new, _, packets, nbytes = (int(v) for v in sys.argv[2:6])
	flows = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 9]
	assert len(flows) == 1, flows
	f = flows[0]
	print("kernel: connections", new, "packets", packets, "bytes", nbytes, "| recorded:",
	      f["connections"], f["packets"]["orig"], f["bytes"]["orig"], "| stats", s["stats"]["events"],
	      "swept", s["stats"]["swept"], "open", s["stats"]["open_connections"])
	assert new > 1900, new
	assert f["connections"] == new, (f["connections"], new)
	assert f["packets"]["orig"] == packets, (f["packets"], packets)
	assert f["bytes"]["orig"] == nbytes, (f["bytes"], nbytes)
	PY
}
round

# The same with a receive buffer far too small for the final dump's burst: 2000 UDP
# exchanges with the echo server, one after the other (their NEW events fit), whose
# replies only the DESTROYs carry (a NEW comes before the reply). The final dump kills
# the expired entries at once; what does not fit the buffer the kernel must keep and
# send again (cta_ct_keep_destroys): on the old code most connections ended swept,
# with no reply counted.
(ip netns exec "$SRV" "$CTALAB" serve udp 53 60 -a 192.0.2.10 &)
sleep 0.3
S conntrack -F >/dev/null 2>&1
S nft flush table inet lab
S nft add rule inet lab input udp dport 53 ct status \& confirmed == 0 counter
rm -f "$TMP/s.json"
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" --rcvbuf 65536 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 -n $N || fail "exchanges"
sleep 1.2
kill -INT $rec
wait $rec || fail "record --rcvbuf 65536: $(cat "$TMP/rec.err")"
# the kernel's count of connections: a port the client used again while its entry
# lived is one connection with two exchanges
conns=$(lab_counters)
"$PY" - "$TMP/s.json" "$N" "$conns" <<'PY' || fail "session --rcvbuf 65536"
import json, sys
s = json.load(open(sys.argv[1]))
n, conns = int(sys.argv[2]), int(sys.argv[3])
f = [f for f in s["flows"] if f["protocol"] == "udp" and f["orig"]["dport"] == 53][0]
print("kernel: connections", conns, "| recorded:", f["connections"], f["packets"], "| stats",
      s["stats"]["events"], "overruns", s["stats"]["overruns"], "swept", s["stats"]["swept"])
assert f["connections"] == conns, (f["connections"], conns)
assert f["packets"] == {"orig": n, "reply": n}, f["packets"]
PY
finish
