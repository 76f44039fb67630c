#!/usr/bin/env bash
# A VPN kill switch in the style of wg-quick (helper-56): every packet without the
# tunnel's fwmark 0xca6c is routed into the tunnel (here sb, to client B) by a policy
# rule, and an output chain with policy drop lets out only the tunnel and the tunnel's
# own marked UDP to its server (client A, 198.51.100.7:51820, through sa). The
# recording sees that UDP leave by sa, accepted by the mark rule. The replay cannot
# give a packet the mark its program set (SO_MARK): routed by the policy rule, it left
# by sb, where `oifname "sb" accept` let it through. review used to call the flow
# `opens` with the ruleset unchanged, and `ok` for a candidate without the mark rule,
# which takes the VPN down. Such a flow is now `not judged`: its replayed packet left
# by another interface than the flow did. A candidate that flushes the ruleset leaves
# no live table in force beside it, even one it makes anew the same (helper-56 #4).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$CLA" "$CTALAB" serve udp 51820 60 &)
sleep 0.3
S ip route add default via 198.51.100.7 dev sa || fail "main default route"
S ip route add default via 203.0.113.20 dev sb table 51820 || fail "tunnel route"
S ip rule add not fwmark 0xca6c table 51820 || fail "policy rule"
S nft -f - <<'NFT' || fail "kill switch"
table inet killswitch {
	chain output {
		type filter hook output priority -10; policy drop;
		oif "lo" accept
		ip daddr 198.51.100.7 udp dport 51820 meta mark 0x0000ca6c accept
		oifname "sb" accept
		reject with icmpx admin-prohibited
	}
}
NFT
# a second table, which the flushing candidate below makes anew the same
S nft add table ip extra || fail "extra table"
S nft add chain ip extra in '{ type filter hook input priority 0; policy accept; }' ||
	fail "extra chain"
S nft list ruleset >"$TMP/live.nft"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# the tunnel's own datagram, marked by its socket as WireGuard marks it
S "$PY" - <<'PY' || fail "the marked datagram did not get its answer"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 36, 0xca6c)  # SO_MARK
s.settimeout(3)
s.sendto(b"x" * 64, ("198.51.100.7", 51820))
s.recvfrom(2048)
PY
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "udp .*dport=51820 .*verdict=accept by=inet/killswitch/output/"
"$PY" - "$TMP/s.json" <<'PY' || fail "the flow's oif is not sa"
import json, sys
s = json.load(open(sys.argv[1]))
f = [f for f in s["flows"] if f["orig"].get("dport") == 51820]
assert len(f) == 1 and f[0]["oif"] == "sa", f
PY

# the ruleset as it is: the flow is not judged, never "opens"
printf 'table inet killswitch\n' >"$TMP/same.nft"
S "$CTA" review "$TMP/same.nft" --session "$TMP/s.json" >"$TMP/same.out" 2>&1
rc=$?
cat "$TMP/same.out"
[ $rc = 0 ] || fail "review of the live ruleset: exit $rc"
expect_line "$TMP/same.out" "^  not judged +udp 198\.51\.100\.1:[0-9]+ -> 198\.51\.100\.7:51820  \(out\)  .*sent it out another interface"
expect_line "$TMP/same.out" " 0 would open, "

# without the mark rule the VPN is down: review must not call the flow ok
grep -v 'meta mark 0x0000ca6c accept' "$TMP/live.nft" | sed '1i flush ruleset' >"$TMP/nomark.nft"
S "$CTA" review "$TMP/nomark.nft" --session "$TMP/s.json" >"$TMP/nomark.out" 2>&1
cat "$TMP/nomark.out"
expect_line "$TMP/nomark.out" "^  not judged +udp 198\.51\.100\.1:[0-9]+ -> 198\.51\.100\.7:51820 "
expect_line "$TMP/nomark.out" "^  ok +udp .*51820" 0
# `flush ruleset` first: no live table stays beside it, though ip extra reads the same
expect_line "$TMP/nomark.out" "^in force beside the candidate" 0
expect_line "$TMP/same.out" "^in force beside the candidate: .*ip extra "
finish
