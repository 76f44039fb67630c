#!/usr/bin/env bash
# A flow the kernel let through that no conntrack event or dump showed is not lost
# (issue 17): here the host's own rule keeps conntrack from reporting its connections
# (`ct event set label`, as administrators do to spare the event path), and they expire
# (1 s UDP timeouts) before the final dump. The kernel's counts (nft/kcount.h) still say
# that 5 first packets of the flow passed: the session has the flow, 5 connections,
# counted in stats.kernel.unseen, and suggest allows it. A flow whose events came is
# not counted twice.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
start_servers 60
S sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1 net.netfilter.nf_conntrack_udp_timeout_stream=1
S nft -f - <<'NFT'
table inet quiet {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 53 ct event set label
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" --checkpoint-interval 60 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 -n 5 || fail "udp 53"
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -n 2 || fail "tcp 22"
# the udp entries expire, unreported
for _ in $(seq 50); do
	[ "$(S conntrack -L -p udp 2>/dev/null | grep -c 'dport=53 ')" = 0 ] && break
	sleep 0.2
done
sleep 1.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
no_own_table "$SRV"

"$PY" - "$TMP/s.json" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
flows = {(f["protocol"], f["orig"]["dport"]): f for f in s["flows"]
         if f["orig"]["src"] == "198.51.100.7"}
dns = flows[("udp", 53)]
assert dns["connections"] == 5 and dns["packets"]["orig"] == 5, dns
assert dns["direction"] == "in", dns
assert s["stats"]["kernel"]["unseen"] == 5, s["stats"]["kernel"]
# record reads no NEW events unasked: tcp/22's connections come from their DESTROY
# events or the final dump, once each
assert s["stats"]["events"]["new"] == 0, s["stats"]["events"]
assert flows[("tcp", 22)]["connections"] == 2, flows[("tcp", 22)]
PY
schema_ok session.schema.json "$TMP/s.json"
"$CTA" suggest "$TMP/s.json" >"$TMP/r.nft" 2>/dev/null || fail "suggest"
grep -qE 'udp dport (53|\{[^}]*\b53\b[^}]*\}) ' "$TMP/r.nft" || fail "suggest left udp/53 out: $(cat "$TMP/r.nft")"
finish
