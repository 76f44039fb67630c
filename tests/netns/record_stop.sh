#!/usr/bin/env bash
# Counters exact at stop: 2000 one-packet UDP connections whose entries expire (a 1 s
# timeout) just before record stops. The kernel kills expired entries when the final
# dump meets them and reports each with a DESTROY event that carries its counters;
# record reads those after the dump, so every connection has its packet and bytes,
# as the kernel's own counters say (a packet whose entry is not confirmed yet makes a
# connection: now and then two sockets of the burst share a source port).
. "$(dirname "$0")/common.sh"

N=2000
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9 ct status & confirmed == 0 counter
		udp dport 9 counter
	}
}
NFT
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" burst udp 192.0.2.10 9 -n $N || fail "burst"
sleep 1.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
S nft list table inet lab >"$TMP/lab.nft"
counters=$(awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1), $(i + 3) }' "$TMP/lab.nft" | paste -sd' ')

"$PY" - "$TMP/s.json" $counters <<'PY' || fail "session"
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
finish
