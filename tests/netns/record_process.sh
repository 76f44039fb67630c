#!/usr/bin/env bash
# record attributes each flow to its local process (eBPF): a known server program and a
# known client program, as users of their own, exchange TCP and UDP over IPv4 and IPv6;
# a forwarded flow has none. Then the fallbacks: --no-bpf, and eBPF refused (CAP_BPF,
# CAP_PERFMON and CAP_SYS_ADMIN dropped): one warning, the same flows, no programs.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
# the programs, by name: the tests' echo tool under two names of its own
cp "$CTALAB" "$TMP/echod"
cp "$CTALAB" "$TMP/fetcher"
cp "$CTALAB" "$TMP/oldd"
chmod 755 "$TMP" "$TMP/echod" "$TMP/fetcher" "$TMP/oldd"
SERVER_UID=65534 CLIENT_UID=4321

S() { ip netns exec "$SRV" "$@"; }
A() { ip netns exec "$CLA" "$@"; }
B() { ip netns exec "$CLB" "$@"; }
# the client program: as its user, in the test's cgroup (in a subshell: it execs)
fetch() {
	local cmd=(ip netns exec "$SRV" setpriv --reuid=$CLIENT_UID --regid=$CLIENT_UID
		--clear-groups "$TMP/fetcher" send "$@")
	# exec: run in the background, nothing is left to report it killed at the end
	if [ -n "$CG" ]; then
		exec bash -c 'echo $$ >"$1" && shift && exec "$@"' _ "$CG_ROOT$CG/cgroup.procs" "${cmd[@]}"
	else
		exec "${cmd[@]}"
	fi
}

# forwarding through the server, for a flow with no process
S sysctl -qw net.ipv4.ip_forward=1
A ip route add 203.0.113.0/24 via 198.51.100.1
B ip route add 198.51.100.0/24 via 203.0.113.1

# a cgroup of the test's own for the client, where cgroup v2 is mounted here
CG_ROOT=$(findmnt -n -t cgroup2 -o TARGET | head -1)
CG=
if [ -n "$CG_ROOT" ]; then
	CG=/cta-test-$$
	mkdir "$CG_ROOT$CG" || CG=
fi
cleanup_cg() {
	[ -n "${KEEP:-}" ] && cp -r "$TMP" /tmp/keep
	cleanup # ends the clients still holding on, in the cgroup
	local i
	for ((i = 0; i < 50; i++)); do
		[ -z "$CG" ] || rmdir "$CG_ROOT$CG" 2>/dev/null && break
		sleep 0.1
	done
}
trap cleanup_cg EXIT

# one recording of the scripted traffic; $1: session, the rest: record's options
record_traffic() {
	local out=$1 rec servers=()
	shift
	# each recording starts from an empty table: no connections of the one before
	S conntrack -F 2>/dev/null
	# directly in the background (no function): the INT below must reach the recorder
	ip netns exec "$SRV" "$@" -o "$out" --checkpoint-interval 1 2>"$out.err" &
	rec=$!
	wait_file "$out" || return 1
	# the server program listens on every address for TCP (one dual-stack socket)
	S setpriv --reuid=$SERVER_UID --regid=$SERVER_UID --clear-groups "$TMP/echod" serve tcp 8080 3 &
	servers+=($!)
	# UDP answers from the address asked: one socket per address
	S setpriv --reuid=$SERVER_UID --regid=$SERVER_UID --clear-groups "$TMP/echod" serve udp 5353 3 \
		-a 192.0.2.10 -a 2001:db8::10 &
	servers+=($!)
	A "$CTALAB" serve tcp 9000 3 &
	servers+=($!)
	A "$CTALAB" serve udp 9053 3 -a 198.51.100.7 -a 2001:db8:a::7 &
	servers+=($!)
	B "$CTALAB" serve tcp 7000 3 &
	servers+=($!)
	sleep 0.5
	A "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.7 -n 2 || fail "in tcp"
	A "$CTALAB" send tcp 2001:db8::10 8080 -s 2001:db8:a::7 || fail "in tcp6"
	A "$CTALAB" send udp 192.0.2.10 5353 -s 198.51.100.7 || fail "in udp"
	A "$CTALAB" send udp 2001:db8::10 5353 -s 2001:db8:a::7 || fail "in udp6"
	# the client program stays alive (-H) until the recording has ended: a program
	# gone from /proc before the recorder looked leaves only its name (flaky before)
	(fetch tcp 198.51.100.7 9000 -n 3 -H 8 >"$out.c1" &)
	(fetch tcp 2001:db8:a::7 9000 -H 8 >"$out.c2" &)
	(fetch udp 198.51.100.7 9053 -n 2 -H 8 >"$out.c3" &)
	(fetch udp 2001:db8:a::7 9053 -H 8 >"$out.c4" &)
	A "$CTALAB" send tcp 203.0.113.20 7000 -s 198.51.100.8 || fail "forward tcp"
	A "$CTALAB" send tcp 192.0.2.10 2222 -s 198.51.100.8 || fail "in tcp, old service"
	local c i
	for c in 1 2 3 4; do
		for ((i = 0; i < 100; i++)); do
			[ -s "$out.c$c" ] && break
			sleep 0.1
		done
		grep -qx ok "$out.c$c" || fail "client $c: $(cat "$out.c$c")"
	done
	sleep 0.5
	kill -INT $rec
	wait $rec || { fail "record exited $?: $(cat "$out.err")"; return 1; }
	# the servers end by themselves
	wait "${servers[@]}"
	return 0
}

# a service listening since before any recording: found by the start scan
ip netns exec "$SRV" "$TMP/oldd" serve tcp 2222 60 &
old=$!
sleep 0.3
record_traffic "$TMP/s.json" "$CTA" record || { finish; exit 1; }
no_own_table "$SRV"
schema_ok session.schema.json "$TMP/s.json"
grep -q warning "$TMP/s.json.err" && fail "warnings with eBPF: $(cat "$TMP/s.json.err")"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" || fail "flows"
cat "$TMP/flows"
[ "$(wc -l <"$TMP/flows")" = 10 ] || fail "expected 10 flows"
SERVER="process=echod\[[0-9]+\] user=nobody"
CLIENT="process=fetcher\[[0-9]+\] uid=$CLIENT_UID"
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 in .* dport=8080 .* $SERVER verdict="
expect_line "$TMP/flows" "^ipv6 +10 tcp +6 in .* dport=8080 .* $SERVER verdict="
expect_line "$TMP/flows" "^ipv4 +2 udp +17 in .* dport=5353 .* $SERVER verdict="
expect_line "$TMP/flows" "^ipv6 +10 udp +17 in .* dport=5353 .* $SERVER verdict="
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 out .* dport=9000 .* conns=3 .* $CLIENT verdict="
expect_line "$TMP/flows" "^ipv6 +10 tcp +6 out .* dport=9000 .* $CLIENT verdict="
expect_line "$TMP/flows" "^ipv4 +2 udp +17 out .* dport=9053 .* conns=2 .* $CLIENT verdict="
expect_line "$TMP/flows" "^ipv6 +10 udp +17 out .* dport=9053 .* $CLIENT verdict="
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 forward .* dport=7000 .* process=-forwarded- verdict="
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 in .* dport=2222 .* process=oldd\[$old\] user=root verdict="
# the session's own words: executable, user, cgroup; the forwarded flow has no process
"$PY" - "$TMP/s.json" "$TMP/fetcher" "$CG" <<'PY' || fail "process fields"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["recording"]["options"]["processes"] is True
assert s["stats"]["processes"]["events"] > 0 and s["stats"]["processes"]["lost"] == 0
for f in s["flows"]:
    p = f.get("process")
    if f["direction"] == "forward":
        assert p is None, f
        continue
    assert p, f
    if f["direction"] == "out":
        assert p["exe"] == sys.argv[2] and p["uid"] == 4321 and p["gid"] == 4321, p
        if sys.argv[3]:
            assert p["cgroup"] == sys.argv[3], p
    else:
        if f["orig"]["dport"] == 2222:
            assert p["comm"] == "oldd" and p["exe"].endswith("/oldd"), p
            continue
        assert p["comm"] == "echod" and p["user"] == "nobody", p
        assert p["exe"].endswith("/echod"), p
assert s["stats"]["processes"]["scanned"] > 0
PY
# blame and suggest say it too (the lab has no firewall: nothing would drop them)
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.1 -> 198.51.100.7:9000" >"$TMP/blame" ||
	fail "blame"
expect_line "$TMP/blame" "^  process: fetcher, pid [0-9]+, uid $CLIENT_UID, $TMP/fetcher"
expect_line "$TMP/blame" "^  accepted: no chain at output would drop it$"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.8 -> 203.0.113.20:7000" >"$TMP/blame" ||
	fail "blame forward"
expect_line "$TMP/blame" "^  process: none, the flow was forwarded"
expect_line "$TMP/blame" "^  accepted: no chain at forward would drop it$"
"$CTA" suggest --per-process "$TMP/s.json" >"$TMP/rules.nft" || fail "suggest"
expect_line "$TMP/rules.nft" "ip daddr 198\.51\.100\.7 tcp dport 9000 meta skuid $CLIENT_UID accept comment \".*, by fetcher\""
expect_line "$TMP/rules.nft" "tcp dport 8080 accept comment \".*, by echod\"" 2
S nft -c -f "$TMP/rules.nft" || fail "the per-process ruleset does not load"
"$CTA" suggest --per-process --format iptables "$TMP/s.json" >"$TMP/rules.ipt" || fail "suggest iptables"
# (in another namespace: legacy tables in the server's would be warned about)
B iptables-legacy-restore --test <"$TMP/rules.ipt" || fail "the per-process iptables rules do not load"

# --no-bpf: one warning, the same flows, no program; NFLOG's uid for outbound ones
record_traffic "$TMP/n.json" "$CTA" record --no-bpf || { finish; exit 1; }
[ "$(grep -c warning "$TMP/n.json.err")" = 1 ] || fail "--no-bpf: not one warning: $(cat "$TMP/n.json.err")"
"$CTA" flows -o extended "$TMP/n.json" >"$TMP/nflows" || fail "flows --no-bpf"
cat "$TMP/nflows"
[ "$(wc -l <"$TMP/nflows")" = 10 ] || fail "--no-bpf: expected 10 flows"
grep -q 'process=[a-z]' "$TMP/nflows" && fail "--no-bpf: a program was named"
expect_line "$TMP/nflows" "^ipv4 +2 tcp +6 out .* dport=9000 .* uid=$CLIENT_UID verdict="
grep -q '"comm"' "$TMP/n.json" && fail "--no-bpf: a process in the session"
grep -q '"processes": false' "$TMP/n.json" || fail "--no-bpf: options.processes is not false"

# eBPF refused: the capabilities it needs dropped, the rest as before
record_traffic "$TMP/c.json" setpriv --bounding-set=-bpf,-perfmon,-sys_admin \
	--inh-caps=-bpf,-perfmon,-sys_admin "$CTA" record || { finish; exit 1; }
cat "$TMP/c.json.err"
[ "$(grep -c warning "$TMP/c.json.err")" = 1 ] || fail "no CAP_BPF: not one warning"
expect_line "$TMP/c.json.err" "warning: no process attribution: loading eBPF programs was refused"
"$CTA" flows -o extended "$TMP/c.json" >"$TMP/cflows" || fail "flows without CAP_BPF"
[ "$(wc -l <"$TMP/cflows")" = 10 ] || fail "without CAP_BPF: expected 10 flows"
grep -q '"comm"' "$TMP/c.json" && fail "without CAP_BPF: a process in the session"

# a firewall that drops one client's connections to the old service: that flow never
# reached the program listening there, which is not its process; the other client's is
S nft -f - <<'NFT'
table inet lab {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr 198.51.100.8 tcp dport 2222 drop
	}
}
NFT
S conntrack -F 2>/dev/null
ip netns exec "$SRV" "$CTA" record -o "$TMP/d.json" 2>"$TMP/d.json.err" &
rec=$!
wait_file "$TMP/d.json" || fail "record with a firewall"
A "$CTALAB" probe tcp 192.0.2.10 2222 -s 198.51.100.8 >/dev/null 2>&1
A "$CTALAB" send tcp 192.0.2.10 2222 -s 198.51.100.7 || fail "in tcp, old service, let in"
sleep 2.5
kill -INT $rec
wait $rec || fail "record with a firewall: $(cat "$TMP/d.json.err")"
S nft delete table inet lab
"$PY" - "$TMP/d.json" <<'PY' || fail "a denied flow's process"
import json, sys
s = json.load(open(sys.argv[1]))
flows = {f["orig"]["src"]: f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 2222}
denied, let_in = flows["198.51.100.8"], flows["198.51.100.7"]
assert all(e["verdict"]["verdict"] == "drop" for e in denied["verdicts"]), denied
assert "process" not in denied, denied
assert let_in["process"]["comm"] == "oldd", let_in
PY
kill $old 2>/dev/null
no_own_table "$SRV"
finish
