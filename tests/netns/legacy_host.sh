#!/usr/bin/env bash
# A host whose only firewall is iptables-legacy (tests/data/legacy/case-legacy.v4 and
# its IPv6 twin): ssh accepted by TCP's rule 1, tcp/80 and tcp/8080 rejected by INPUT's
# REJECT rule. record sees the rejected connections as denied, with that rule; blame
# (session and live) names table, chain, rule number and text; the legacy rules and
# the nf_log bindings are as they were afterwards.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/legacy_lib.sh"
DATA="$HERE/../data/legacy"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
start_servers 60
# the server knows its clients' link addresses before the rules load: a SYN-ACK held
# back by neighbour discovery makes the client send its SYN again, and that retransmit
# (established by then) is a traced packet of its own, accepted by the ESTABLISHED rule
for a in 2001:db8:a::7 2001:db8:a::8; do S ping -c1 -W1 -q "$a" >/dev/null; done
S iptables-legacy-restore <"$DATA/case-legacy.v4" || fail "iptables-legacy-restore"
S ip6tables-legacy-restore <"$DATA/case-legacy.v6" || fail "ip6tables-legacy-restore"
saved() { S iptables-legacy-save | grep -v '^#'; S ip6tables-legacy-save | grep -v '^#'; }
saved | sed 's/\[[0-9]*:[0-9]*\]//' >"$TMP/rules.before"
bindings >"$TMP/nflog.before"

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
# once the own table traces, legacy's logger is bound: no first packet misses it
for i in $(seq 100); do
	S nft list tables | grep -q 'inet conntrack_advise$' && break
	sleep 0.05
done
[ "$(bindings | sort -u)" = nfnetlink_log ] || fail "record: the table before the binding"
wait_file "$TMP/s.json" || exit 1
[ "$(S cat /proc/sys/net/netfilter/nf_log/2)" = nfnetlink_log ] ||
	fail "nf_log/2 not bound to nfnetlink_log while recording"
C() { ip netns exec "$CLA" "$CTALAB" "$@"; }
C send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh"
C probe tcp 192.0.2.10 80 -s 198.51.100.7 && fail "80 connected"
C probe tcp 192.0.2.10 8080 -s 198.51.100.7 && fail "8080 connected"
C send tcp 2001:db8::10 22 -s 2001:db8:a::7 || fail "ssh over IPv6"
C probe tcp 2001:db8::10 80 -s 2001:db8:a::7 && fail "80 over IPv6 connected"
# a rule changed while recording: the next packet is judged by the new text
sleep 0.5
S iptables-legacy -R TCP 1 -p tcp --dport 22 -m comment --comment changed -j ACCEPT ||
	fail "iptables-legacy -R"
C send tcp 192.0.2.10 22 -s 198.51.100.8 || fail "ssh after the change"
sleep 3
kill -INT $rec
wait $rec || fail "record exited $?: $(cat "$TMP/rec.err")"
grep -q 'iptables-legacy' "$TMP/rec.err" && fail "record warned: $(cat "$TMP/rec.err")"
schema_ok session.schema.json "$TMP/s.json"

# check JSON VERDICT TYPE FAMILY CHAIN RULE_NUM TEXT
check() {
	"$PY" - "$@" <<'PY' || fail "blame: $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
verdict, typ, family, chain, num, text = sys.argv[2:8]
assert e["verdict"] == verdict and e["type"] == typ, e
assert e["legacy"] is True and e["family"] == family and e["table"] == "filter", e
assert e["chain"] == chain and e["rule_num"] == int(num) and e["rule"] == text, e
stage = e["path"][0]
assert stage["legacy"] and stage["hook"] == "input" and stage["priority"] == 0, stage
assert stage["policy"] == "drop" and stage["verdict"] == verdict, stage
PY
}
REJ="-A INPUT -p tcp -j REJECT --reject-with tcp-reset"
SSH="-A TCP -p tcp -m tcp --dport 22 -j ACCEPT"
blame() {
	local t=$1
	shift
	"$CTA" -j blame --session "$TMP/s.json" "$t" >"$TMP/b.json" || fail "blame '$t' exited $?"
	check "$TMP/b.json" "$@"
	schema_ok blame.schema.json "$TMP/b.json"
}
blame "tcp 198.51.100.7 -> 192.0.2.10:22" accept rule ip TCP 1 "$SSH"
blame "tcp 198.51.100.8 -> 192.0.2.10:22" accept rule ip TCP 1 \
	"-A TCP -p tcp -m tcp --dport 22 -m comment --comment changed -j ACCEPT"
blame "tcp 198.51.100.7 -> 192.0.2.10:80" reject rule ip INPUT 8 "$REJ"
blame "tcp 198.51.100.7 -> 192.0.2.10:8080" reject rule ip INPUT 8 "$REJ"
blame "tcp [2001:db8:a::7] -> [2001:db8::10]:22" accept rule ip6 TCP 1 "$SSH"
blame "tcp [2001:db8:a::7] -> [2001:db8::10]:80" reject rule ip6 INPUT 10 "$REJ"
# the text says it too
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:80" >"$TMP/b.txt"
expect_line "$TMP/b.txt" "verdict: reject, by rule 8 of iptables-legacy filter INPUT: $REJ"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows.txt"
expect_line "$TMP/flows.txt" "dport=8080 .*verdict=reject by=iptables-legacy/filter/INPUT/8"
expect_line "$TMP/flows.txt" "dport=80 .*verdict=reject by=ip6tables-legacy/filter/INPUT/10"

S iptables-legacy -R TCP 1 -p tcp -m tcp --dport 22 -j ACCEPT || fail "iptables-legacy -R back"
# live: TUPLE, then the client's command; the check's arguments after it
live "tcp 198.51.100.8 -> 192.0.2.10:8080" probe tcp 192.0.2.10 8080 -s 198.51.100.8
check "$TMP/live.json" reject rule ip INPUT 8 "$REJ"
live "tcp 198.51.100.8 -> 192.0.2.10:22" send tcp 192.0.2.10 22 -s 198.51.100.8
check "$TMP/live.json" accept rule ip TCP 1 "$SSH"
live "tcp [2001:db8:a::8] -> [2001:db8::10]:80" probe tcp 2001:db8::10 80 -s 2001:db8:a::8
check "$TMP/live.json" reject rule ip6 INPUT 10 "$REJ"

# review --live: the legacy rules no recorded packet reached, the way nf_tables' are
S "$CTA" -j review --live --session "$TMP/s.json" >"$TMP/r.json" || fail "review --live exited $?"
"$PY" - "$TMP/r.json" <<'PY' || fail "review --live: $(cat "$TMP/r.json")"
import json, sys
f = json.load(open(sys.argv[1]))["review"]["findings"]
un = {(x["family"], x["chain"], x["rule_num"]) for x in f if x["kind"] == "unreached" and x.get("legacy")}
# TCP 2 (port 80 from 203.0.113.0/24), UDP 1 and INPUT's icmp and udp rules: never reached
for want in [("ip", "TCP", 2), ("ip", "UDP", 1), ("ip", "INPUT", 4), ("ip", "INPUT", 7), ("ip6", "TCP", 2)]:
    assert want in un, (want, sorted(un))
# what decided, and what only later packets or loopback can reach, is not unreached
# (OUTPUT's jump to OUT leads to the rule for replies; ip6 INPUT 3 and 4 let in
# neighbour discovery, which conntrack never tracks)
for no in [("ip", "TCP", 1), ("ip", "INPUT", 8), ("ip", "INPUT", 6), ("ip", "INPUT", 1),
           ("ip", "INPUT", 2), ("ip", "INPUT", 3), ("ip6", "INPUT", 10), ("ip", "OUTPUT", 1),
           ("ip6", "INPUT", 3), ("ip6", "INPUT", 4)]:
    assert no not in un, (no, sorted(un))
PY
S "$CTA" review --live --session "$TMP/s.json" >"$TMP/r.txt" || fail "review --live (text)"
expect_line "$TMP/r.txt" "^unreached +iptables-legacy filter TCP rule 2: -A TCP -s 203.0.113.0/24 "

# as they were: the rules (counters aside) and the loggers bound
legacy_unchanged
no_own_table "$SRV"

# without NFLOG of the own table (--nflog-group 0): group 0 is still read for the
# legacy lines, and the reject is still recorded
ip netns exec "$SRV" "$CTA" -q record --nflog-group 0 -o "$TMP/g.json" 2>"$TMP/g.err" &
rec=$!
wait_file "$TMP/g.json" || exit 1
C probe tcp 192.0.2.10 8080 -s 198.51.100.8 && fail "8080 connected"
sleep 3
kill -INT $rec
wait $rec || fail "record --nflog-group 0: $(cat "$TMP/g.err")"
"$CTA" -j blame --session "$TMP/g.json" "tcp 198.51.100.8 -> 192.0.2.10:8080" >"$TMP/b.json" ||
	fail "blame after --nflog-group 0"
check "$TMP/b.json" reject rule ip INPUT 8 "$REJ"

# kill -9 leaves the binding as the man page says, and its command puts it back
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/k.json" 2>/dev/null &
rec=$!
wait_file "$TMP/k.json" || exit 1
kill -9 $rec
wait $rec 2>/dev/null
[ "$(bindings | sort -u)" = nfnetlink_log ] || fail "after kill -9: $(bindings)"
S sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4 net.netfilter.nf_log.10=nf_log_ipv6 ||
	fail "the man page's sysctl"
bindings >"$TMP/nflog.after"
cmp -s "$TMP/nflog.before" "$TMP/nflog.after" || fail "not put back: $(cat "$TMP/nflog.after")"
finish
