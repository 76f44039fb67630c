#!/usr/bin/env bash
# One TCP connect to a port a rule drops silently, the commonest denial there is: the
# client sends its SYN again and again, further and further apart (a default connect
# gives up after about 2 minutes), same ports, same sequence number. record (default
# settings) books one denied connection with all of its SYNs as packets; it kept an
# attempt 10 s, so a connect of 45 s was 3 connections (and suggest's comments said so).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 8081 counter drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# one connect() with a 25 s timeout: SYNs at 0, 1, 2, 3, 4, 6, 10, 18 s (linear
# timeouts first, since 6.7) or 0, 1, 3, 7, 15 s
ip netns exec "$CLA" "$PY" -c '
import socket
s = socket.socket()
s.bind(("198.51.100.7", 0))
s.settimeout(25)
try:
    s.connect(("198.51.100.1", 8081))
except OSError:
    pass
'
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
syns=$(S nft list chain inet filter input | awk '/dport 8081/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
echo "the drop rule counted $syns SYNs"
[ "${syns:-0}" -ge 5 ] || fail "too few SYNs to tell: $syns"
"$CTA" flows -o extended "$TMP/s.json" | grep 'dport=8081' >"$TMP/flow"
cat "$TMP/flow"
expect_line "$TMP/flow" " packets=$syns .* conns=1 .*verdict=drop by=inet/filter/input/[0-9]+$"
finish
