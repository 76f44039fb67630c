#!/usr/bin/env bash
# Multicast from a peer, as every LAN has it (mDNS to 224.0.0.251 and ff02::fb). With no
# firewall at all and nobody here in the group, the routing stack discards the packets
# after prerouting: the kernel counts first packets that entered and never left, which
# is no denial (helper-49 found them recorded "drop by unknown", and blame saying
# denied). With a member of the group, the flow is let through; with a member and an
# input rule that drops it, denied by that rule; with no member and a prerouting rule
# that drops it, denied by that rule (the trace saw it).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
ip -n "$CLA" route add 224.0.0.0/4 dev eth0
# send FAMILY GROUP COUNT [GAP]: COUNT mDNS datagrams from the peer (all from port 5353:
# one attempt and its retransmits), GAP seconds apart (default 0.2)
send() {
	ip netns exec "$CLA" "$PY" - "$@" <<'PY'
import socket, sys, time
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.bind(("198.51.100.7", 5353))
    dst = (sys.argv[2], 5353)
else:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("eth0"))
    s.bind(("2001:db8:a::7", 5353))
    dst = (sys.argv[2], 5353, 0, socket.if_nametoindex("eth0"))
for _ in range(int(sys.argv[3])):
    s.sendto(b"mdns", dst)
    time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 0.2)
PY
}
# member FAMILY GROUP SECONDS [LOCAL]: a socket in the server namespace holds the group on
# the interface of LOCAL (IPv4; default sa's 198.51.100.1)
member() {
	ip netns exec "$SRV" "$PY" - "$@" <<'PY' &
import socket, struct, sys, time
if sys.argv[1] == "6":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", 5353))
    mreq = socket.inet_pton(socket.AF_INET6, sys.argv[2]) + struct.pack("@I", socket.if_nametoindex("sa"))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 5353))
    local = sys.argv[4] if len(sys.argv) > 4 else "198.51.100.1"
    mreq = socket.inet_aton(sys.argv[2]) + socket.inet_aton(local)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
time.sleep(float(sys.argv[3]))
PY
	sleep 0.5
}
# recorded FILE: a recording (with recorded_opts) into FILE while the rest of the
# arguments run
recorded_opts=()
recorded() {
	local out=$1 rec
	shift
	ip netns exec "$SRV" "$CTA" -q record -o "$out" "${recorded_opts[@]}" 2>"$TMP/rec.err" &
	rec=$!
	wait_file "$out" || return 1
	"$@"
	sleep 3 # denied attempts are decided after 2 s
	kill -INT $rec
	wait $rec || fail "record: $(cat "$TMP/rec.err")"
}
# check FILE GROUP WANT: the flow to GROUP:5353 in FILE ("none", or its verdict and
# the rule that decided, "drop|udp dport 5353 drop"), and verdicts.undelivered > 0 for none
check() {
	"$PY" - "$@" <<'PY' || fail "$2 in $1: $(cat "$1")"
import json, sys
s = json.load(open(sys.argv[1]))
fl = [f for f in s["flows"] if f["orig"]["dst"] == sys.argv[2]]
k = s["stats"]["kernel"]
u = s["stats"]["verdicts"].get("undelivered", 0)
if sys.argv[3] == "none":
    assert not fl, fl
    assert u > 0 and k["denied"] >= u, (u, k)
else:
    verdict, rule = sys.argv[3].split("|")
    assert len(fl) == 1, fl
    vs = [g["verdict"] for g in fl[0]["verdicts"]]
    assert [v["verdict"] for v in vs] == [verdict], vs
    if rule:
        assert vs[0].get("rule") == rule, vs
    assert u == 0, u
PY
}

# no firewall, nobody in the group: no denial, no flow (both families)
recorded "$TMP/none.json" send 4 224.0.0.251 3
schema_ok session.schema.json "$TMP/none.json"
check "$TMP/none.json" 224.0.0.251 none
# its retransmits over several listings of the counting sets: no flow either
recorded "$TMP/spread.json" send 4 224.0.0.251 4 1.3
check "$TMP/spread.json" 224.0.0.251 none
"$CTA" blame --session "$TMP/none.json" "udp 198.51.100.7 -> 224.0.0.251:5353" >"$TMP/b.txt" 2>&1
grep -q "denied" "$TMP/b.txt" && fail "blame says denied: $(cat "$TMP/b.txt")"
recorded "$TMP/none6.json" send 6 ff02::fb 3
check "$TMP/none6.json" ff02::fb none

# helper-50: a member on another interface (sb) than the one it comes in on (sa): the
# kernel checks the group per interface, so the stack discards it all the same
member 4 224.0.0.251 8 203.0.113.1
recorded "$TMP/other.json" send 4 224.0.0.251 3
check "$TMP/other.json" 224.0.0.251 none
wait

# helper-50: a member that joins after the packet came does not make it delivered
sendlate() {
	send 4 224.0.0.251 1
	member 4 224.0.0.251 4
}
recorded "$TMP/late.json" sendlate
check "$TMP/late.json" 224.0.0.251 none
wait

# a member here: let through, by no rule (no firewall)
member 4 224.0.0.251 8
recorded "$TMP/member.json" send 4 224.0.0.251 3
check "$TMP/member.json" 224.0.0.251 "accept|"
wait

# a member, and an input rule that drops mDNS: denied by that rule
S nft -f - <<'NFT' || fail "cannot load the ruleset"
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 5353 drop
	}
}
NFT
member 4 224.0.0.251 8
recorded "$TMP/dropped.json" send 4 224.0.0.251 3
check "$TMP/dropped.json" 224.0.0.251 "drop|udp dport 5353 drop"
wait

# helper-50: sent from here and dropped by an output rule, with --trace none (NFLOG and
# the kernel's counts only): a denial, though nobody here holds the group (a sender
# need not)
S nft flush ruleset
S nft -f - <<'NFT' || fail "cannot load the ruleset"
table inet filter {
	chain output {
		type filter hook output priority filter; policy accept;
		ip daddr 239.255.255.250 udp dport 1900 drop
	}
}
NFT
S ip route add 224.0.0.0/4 dev sa
ssdp() {
	S "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", 1900))
for _ in range(2):
    try:
        s.sendto(b"M-SEARCH", ("239.255.255.250", 1900))
    except OSError:
        pass  # EPERM: the output rule dropped it
    time.sleep(0.2)'
}
recorded_opts=(--trace none)
recorded "$TMP/out.json" ssdp
recorded_opts=()
"$PY" - "$TMP/out.json" <<'PY' || fail "outbound SSDP: $(cat "$TMP/out.json")"
import json, sys
s = json.load(open(sys.argv[1]))
fl = [f for f in s["flows"] if f["orig"]["dst"] == "239.255.255.250"]
assert len(fl) == 1 and fl[0]["direction"] == "out", fl
assert [g["verdict"]["verdict"] for g in fl[0]["verdicts"]] == ["drop"], fl
assert s["stats"]["verdicts"].get("undelivered", 0) == 0, s["stats"]
PY

# nobody in the group, a prerouting rule drops it: the trace names the rule
S nft flush ruleset
S nft -f - <<'NFT' || fail "cannot load the ruleset"
table inet raw {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 224.0.0.251 udp dport 5353 drop
	}
}
NFT
recorded "$TMP/pre.json" send 4 224.0.0.251 3
check "$TMP/pre.json" 224.0.0.251 "drop|ip daddr 224.0.0.251 udp dport 5353 drop"
finish
