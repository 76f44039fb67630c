#!/usr/bin/env bash
# Issue 21, item 4: TPROXY, as the nftables wiki sets it up. A connection to
# 192.0.2.2:80 (an address the host does not hold) is diverted in prerouting to a
# transparent listener on :50080 and marked; policy routing (fwmark 1 -> a local route)
# delivers it, and input accepts it by its mark. Its first packet reached input: the
# flow is "in" (not "forward", as its addresses alone say), the suggestion allows it in
# input, and the proxied request still works under it. Review cannot rebuild the policy
# routing in its scratch namespace: the flow is "not judged", and says why.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "cannot load the tproxy ruleset"
table ip mangle {
	chain divert {
		type filter hook prerouting priority mangle; policy accept;
		iifname "sa" tcp dport 80 tproxy to :50080 meta mark set 0x1 accept
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta mark 0x1 accept
		tcp dport 22 accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
NFT
S ip rule add fwmark 1 lookup 100 || fail "ip rule"
S ip route add local 0.0.0.0/0 dev lo table 100 || fail "ip route"
ip -n "$CLA" route add 192.0.2.2/32 via 198.51.100.1
# the transparent listener: an echo server on an IP_TRANSPARENT socket
cat >"$TMP/tproxy.py" <<'PY'
import socket, sys, time
end = time.time() + float(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 50080))
s.listen(16)
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.settimeout(3)
    data = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.sendall(data)
    except OSError:
        pass
    c.close()
PY
(S "$PY" "$TMP/tproxy.py" 60 &)
(S "$CTALAB" serve tcp 22 60 &)
sleep 0.5
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.2 80 -s 198.51.100.7 >/dev/null ||
	fail "the proxied request does not work before recording"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.2 80 -s 198.51.100.7 -n 2 >/dev/null ||
	fail "the proxied request"
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 >/dev/null || fail "ssh"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"

"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" || fail "flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 in +src=198\.51\.100\.7 dst=192\.0\.2\.2 .*dport=80 .* conns=[0-9]+ .*verdict=accept by=inet/filter/input/[0-9]+$"
expect_line "$TMP/flows" " forward " 0
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.2:80" >"$TMP/b.txt" ||
	fail "blame"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "^tcp 198\.51\.100\.7 -> 192\.0\.2\.2:80  \(in, [0-9]+ connections"
expect_line "$TMP/b.txt" "^  verdict: accept, by rule [0-9]+ of inet filter input: meta mark 0x0*1 accept$"

# the suggestion allows it in input, nothing in forward
"$CTA" suggest --force "$TMP/s.json" >"$TMP/sug.nft" || fail "suggest"
cat "$TMP/sug.nft"
"$PY" - "$TMP/sug.nft" <<'PY' || fail "suggestion: not allowed in input alone"
import re, sys
text = open(sys.argv[1]).read()
chains = dict(re.findall(r"\n\tchain (\w+) \{(.*?)\n\t\}", text, re.S))
assert re.search(r"tcp dport (80|\{[^}]*\b80\b[^}]*\}) accept", chains.get("input", "")), chains
assert "dport 80" not in chains.get("forward", ""), chains.get("forward")
PY

# review: not judged, and why; no break, no false ok
S "$CTA" review --session "$TMP/s.json" "$TMP/sug.nft" >"$TMP/review.out" 2>&1 ||
	fail "review exited $?"
cat "$TMP/review.out"
expect_line "$TMP/review.out" "^  not judged tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.2:80  \(in\) .*not replayed: .*TPROXY or policy routing"

# under the suggestion (ip mangle and the policy routing stay), the request still works
S nft -f "$TMP/sug.nft" || fail "cannot load the suggestion"
# a dropped SYN is retried for two minutes: 10 s is plenty for one that gets through
timeout 10 ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.2 80 -s 198.51.100.7 >/dev/null ||
	fail "the proxied request fails under the suggestion"
finish
