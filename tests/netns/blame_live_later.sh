#!/usr/bin/env bash
# blame --live answers with a packet that opens a connection of TUPLE. A late packet of
# an earlier connection of the same tuple (an established UDP exchange that goes on,
# a TCP connection's last ACK) was let through by `ct state established accept`, which
# says nothing of the flow's rule: it is the answer only when no new connection comes
# before the timeout, and then the answer says so. A TUPLE with a source port names one
# connection: its next packet is the answer, established or not; so does an ICMP
# TUPLE with an echo identifier (`id N`, or `id=` of a pasted conntrack line). A
# related packet (an ICMP error, passive FTP's data connection) is an answer at once.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(S "$CTALAB" serve udp 53 30 -a 192.0.2.10 &)
S nft -f - <<'NFT' || fail "cannot load the ruleset"
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		udp dport 53 accept
		icmp type echo-request accept
	}
}
NFT
sleep 0.3
CHECK="$PY $HERE/../tools/check_blame.py"
TUPLE="udp 198.51.100.7 -> 192.0.2.10:53"

# keep_talking SECONDS: one UDP socket on 198.51.100.7:40053, its first exchange
# answered (then $TMP/ready exists), then a datagram every 0.1 s: packets of an
# established connection
keep_talking() {
	rm -f "$TMP/ready"
	ip netns exec "$CLA" "$PY" - "$1" "$TMP/ready" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.7", 40053))
s.settimeout(2)
s.sendto(b"x", ("192.0.2.10", 53))
s.recv(100)
open(sys.argv[2], "w").close()
end = time.time() + float(sys.argv[1])
while time.time() < end:
    s.sendto(b"y", ("192.0.2.10", 53))
    time.sleep(0.1)
PYEOF
}

# packet_is FILE KEY=VALUE|KEY!=VALUE...: the packet of blame -j's last answer in FILE
# (established: true or false; sport, dport: numbers)
packet_is() {
	"$PY" - "$@" <<'PYEOF'
import json, re, sys
p = json.load(open(sys.argv[1]))["blame"][-1]["packet"]
for arg in sys.argv[2:]:
    key, op, want = re.match(r"(\w+)(!?=)(.*)", arg).groups()
    want = {"true": True, "false": False}.get(want, want)
    got = p[key] if isinstance(p[key], bool) else str(p[key])
    assert (got == want) == (op == "="), (arg, p)
PYEOF
}

# talking: until keep_talking's connection is established (5 s at most)
talking() {
	local i
	for i in $(seq 50); do
		[ -e "$TMP/ready" ] && return 0
		sleep 0.1
	done
	fail "the talking client's first exchange did not come back"
	return 1
}

# --- a new connection comes while the established one goes on: it is the answer
keep_talking 6 &
talk=$!
talking
S "$CTA" -j blame --live --timeout 10s "$TUPLE" >"$TMP/new.json" 2>"$TMP/new.err" &
b=$!
wait_blame_table || fail "no blame table"
sleep 1 # packets of the established connection are traced meanwhile
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.7 >/dev/null 2>&1 ||
	fail "the new exchange failed"
wait $b || fail "blame --live exited $?"
$CHECK "$TMP/new.json" accept "inet filter input|udp dport 53 accept" \
	"inet filter input=accept" || fail "a new connection: not its rule"
packet_is "$TMP/new.json" established=false sport!=40053 || fail "a new connection: the packet"
grep -q "established connection came" "$TMP/new.err" ||
	fail "no word of the established packet that came first: $(cat "$TMP/new.err")"
schema_ok blame.schema.json "$TMP/new.json"
wait $talk

# --- only the established connection sends: its packet is the answer, said to be one
keep_talking 8 &
talk=$!
talking
S "$CTA" -j blame --live --timeout 2s "$TUPLE" >"$TMP/later.json" 2>/dev/null ||
	fail "blame --live (established only) exited $?"
$CHECK "$TMP/later.json" accept "inet filter input|ct state established,related accept" ||
	fail "established only: not the established rule"
packet_is "$TMP/later.json" established=true sport=40053 || fail "established only: the packet"
S "$CTA" blame --live --timeout 2s "$TUPLE" >"$TMP/later.txt" 2>/dev/null
grep -q "a packet of a connection already established (no new connection came" "$TMP/later.txt" ||
	fail "the text does not say the packet was of an established connection"

# --- a TUPLE with the source port names that connection: its next packet is the
# answer at once, said to be of an established connection
t0=$(date +%s)
S "$CTA" -j blame --live --timeout 10s "udp 198.51.100.7:40053 -> 192.0.2.10:53" \
	>"$TMP/one.json" 2>/dev/null || fail "blame --live (one connection) exited $?"
[ $(($(date +%s) - t0)) -lt 5 ] || fail "blame --live waited for a new connection of a 5-tuple"
$CHECK "$TMP/one.json" accept "inet filter input|ct state established,related accept" ||
	fail "one connection: not the established rule"
packet_is "$TMP/one.json" established=true sport=40053 || fail "one connection: the packet"
wait $talk

# --- an echo identifier names one ping, as a source port names one connection: a ping
# that goes on (id 4242) is the answer at once, established; without the identifier
# blame waits for a new ping (id 4343) and keeps the established one's packets aside
ip netns exec "$CLA" ping -q -e 4242 -i 0.2 -c 45 192.0.2.10 >/dev/null 2>&1 &
ping=$!
sleep 1
t0=$(date +%s)
S "$CTA" -j blame --live --timeout 10s "icmp 198.51.100.7 -> 192.0.2.10 type 8 id 4242" \
	>"$TMP/echo.json" 2>/dev/null || fail "blame --live (an echo identifier) exited $?"
[ $(($(date +%s) - t0)) -lt 5 ] || fail "blame --live waited for a new ping of an echo identifier"
$CHECK "$TMP/echo.json" accept "inet filter input|ct state established,related accept" ||
	fail "an echo identifier: not the established rule"
packet_is "$TMP/echo.json" established=true type=8 code=0 id=4242 || fail "an echo identifier: the packet"
schema_ok blame.schema.json "$TMP/echo.json"
# the answer's packet, as a TUPLE that blame takes back, and a pasted conntrack line
S "$CTA" blame --live --timeout 10s "icmp 198.51.100.7 -> 192.0.2.10 type 8 id 4242" \
	>"$TMP/echo.txt" 2>/dev/null
grep -q "(live: icmp 198.51.100.7 -> 192.0.2.10 type 8 code 0 id 4242)$" "$TMP/echo.txt" ||
	fail "the answer line does not show the echo as a TUPLE: $(head -1 "$TMP/echo.txt")"
line=$(S conntrack -L -p icmp 2>/dev/null | grep -m1 "id=4242")
[ -n "$line" ] || fail "no conntrack entry of the ping"
S "$CTA" -j blame --live --timeout 10s "$line" >"$TMP/pasted.json" 2>/dev/null ||
	fail "blame --live (a pasted conntrack line: $line) exited $?"
packet_is "$TMP/pasted.json" established=true id=4242 || fail "a pasted conntrack line: the packet"
S "$CTA" -j blame --live --timeout 10s "icmp 198.51.100.7 -> 192.0.2.10 type 8" \
	>"$TMP/newping.json" 2>/dev/null &
b=$!
wait_blame_table || fail "no blame table (a new ping)"
sleep 1 # the ping that goes on is traced meanwhile
ip netns exec "$CLA" ping -q -e 4343 -c 1 -W 2 192.0.2.10 >/dev/null 2>&1 || fail "the new ping failed"
wait $b || fail "blame --live (a new ping) exited $?"
$CHECK "$TMP/newping.json" accept "inet filter input|icmp type echo-request accept" ||
	fail "a new ping: not its rule"
packet_is "$TMP/newping.json" established=false id=4343 || fail "a new ping: the packet"
# the code is matched too: the ping's echoes have code 0, none comes with code 5
S "$CTA" -q blame --live --timeout 1s "icmp 198.51.100.7 -> 192.0.2.10 type 8 code 5 id 4242" \
	>/dev/null 2>&1
[ $? = 1 ] || fail "blame --live took an echo of code 0 for 'code 5'"
# an identifier without its type would match bytes 4-5 of any ICMP message: refused
S "$CTA" blame --live --timeout 1s "icmp 198.51.100.7 -> 192.0.2.10 id 4242" >/dev/null \
	2>"$TMP/notype.err"
[ $? = 2 ] || fail "blame --live of an identifier without a type should exit 2"
grep -q "an echo identifier goes with its type" "$TMP/notype.err" ||
	fail "no word of the missing type: $(cat "$TMP/notype.err")"
kill $ping 2>/dev/null
wait $ping 2>/dev/null

# --- an ICMP error (the client's port unreachable for the server's datagram) is
# related to the server's connection, in its reply direction: answered at once
S "$CTA" -j blame --live --timeout 10s "icmp 198.51.100.7 -> 192.0.2.10 type 3" \
	>"$TMP/icmp.json" 2>/dev/null &
b=$!
wait_blame_table || fail "no blame table (icmp)"
S "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.10", 5555))
s.sendto(b"x", ("198.51.100.7", 9999))'
wait $b || fail "blame --live (an ICMP error) exited $?"
$CHECK "$TMP/icmp.json" accept "inet filter input|ct state established,related accept" ||
	fail "an ICMP error: not the related rule"
packet_is "$TMP/icmp.json" established=false || fail "an ICMP error: the packet"

# --- a related connection's first packet (passive FTP's data connection, which the ftp
# helper expected) opens a connection of its own: it is the answer at once, decided by
# `ct state established,related accept`. The server's data port is made known by a
# local port range of one port.
if { echo "table inet fw {"; ftp_helper_rules; echo "}"; } | S nft -f - 2>"$TMP/helper.err"; then
	S nft add rule inet filter input tcp dport 21 accept
	S sysctl -qw net.ipv4.ip_local_port_range="40100 40100" || fail "cannot fix the local port range"
	(S "$CTALAB" ftpd tcp 21 20 &)
	sleep 0.3
	S "$CTA" -j blame --live --timeout 10s "tcp 198.51.100.7 -> 192.0.2.10:40100" \
		>"$TMP/rel.json" 2>/dev/null &
	b=$!
	wait_blame_table || fail "no blame table (related)"
	ip netns exec "$CLA" "$CTALAB" ftp tcp 192.0.2.10 21 -s 198.51.100.7 ||
		fail "the ftp session failed"
	wait $b || fail "blame --live (related) exited $?"
	$CHECK "$TMP/rel.json" accept "inet filter input|ct state established,related accept" ||
		fail "related: not the related rule"
	packet_is "$TMP/rel.json" established=false dport=40100 || fail "related: the packet"
else
	echo "no ftp conntrack helper here (nf_conntrack_ftp): the related case is left out"
fi

# --- no packet in time: no verdict (exit 1), and -j says which chains blame does not
# watch and which of their rules counted meanwhile (both empty here), as the schema does
S "$CTA" -j blame --live --timeout 1s "udp 198.51.100.7 -> 192.0.2.10:9" >"$TMP/none.json" 2>/dev/null
[ $? = 1 ] || fail "blame --live with no packet should exit 1"
schema_ok blame.schema.json "$TMP/none.json"
"$PY" - "$TMP/none.json" <<'PYEOF' || fail "no packet: $(cat "$TMP/none.json")"
import json, sys
b = json.load(open(sys.argv[1]))["blame"][0]
assert b["verdict"] == "none" and "packet" not in b, b
assert b["not_watched"] == "" and b["counted_unwatched"] == "", b
PYEOF
no_own_table "$SRV"
finish
