#!/usr/bin/env bash
# blame names the exact rule (handle and text) for allowed and denied flows through
# named sets, a verdict map, jump, goto, reject and a chain policy, IPv4 and IPv6,
# from a recording and live.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
for p in 22 25 80 443 8443; do
	(ip netns exec "$SRV" "$CTALAB" serve tcp $p 60 &)
done
(ip netns exec "$SRV" "$CTALAB" serve udp 53 60 -a 192.0.2.10 -a 2001:db8::10 &)
sleep 0.3
S nft -f - <<'NFT'
table inet fw {
	set admins {
		type ipv4_addr
		elements = { 198.51.100.7 }
	}
	set admins6 {
		type ipv6_addr
		elements = { 2001:db8:a::7 }
	}
	map svc_map {
		type inet_service : verdict
		elements = { 443 : jump web, 8443 : drop }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto ipv6-icmp accept
		tcp dport 22 ip saddr @admins accept
		tcp dport 22 ip6 saddr @admins6 accept
		tcp dport vmap @svc_map
		tcp dport 80 goto web
		udp dport 53 jump dns
		tcp dport 25 reject with tcp reset
	}
	chain web {
		ip saddr 203.0.113.0/24 drop
		accept
	}
	chain dns {
		ip6 saddr 2001:db8:b::/64 accept
		ip saddr 198.51.100.0/24 accept
	}
}
NFT
S nft -a list ruleset >"$TMP/ruleset"

# handle CHAIN TEXT: the handle nft gives that rule
handle() {
	S nft -a list chain inet fw "$1" | grep -F -- "$2 # handle" | sed 's/.* # handle //'
}

# CASES: tuple | traffic | verdict | chain | rule text ("" for a policy)
CASES=(
	"tcp 198.51.100.7 -> 192.0.2.10:22|A send tcp 192.0.2.10 22 -s 198.51.100.7|accept|input|tcp dport 22 ip saddr @admins accept"
	"tcp 198.51.100.8 -> 192.0.2.10:22|A probe tcp 192.0.2.10 22 -s 198.51.100.8|drop|input|"
	"tcp 198.51.100.7 -> 192.0.2.10:443|A send tcp 192.0.2.10 443 -s 198.51.100.7|accept|web|accept"
	"tcp 198.51.100.7 -> 192.0.2.10:8443|A probe tcp 192.0.2.10 8443 -s 198.51.100.7|drop|input|tcp dport vmap @svc_map"
	"tcp 198.51.100.7 -> 192.0.2.10:80|A send tcp 192.0.2.10 80 -s 198.51.100.7|accept|web|accept"
	"tcp 203.0.113.20 -> 192.0.2.10:80|B probe tcp 192.0.2.10 80 -s 203.0.113.20|drop|web|ip saddr 203.0.113.0/24 drop"
	"tcp 198.51.100.8 -> 192.0.2.10:25|A probe tcp 192.0.2.10 25 -s 198.51.100.8|reject|input|tcp dport 25 reject with tcp reset"
	"udp 198.51.100.7 -> 192.0.2.10:53|A send udp 192.0.2.10 53 -s 198.51.100.7|accept|dns|ip saddr 198.51.100.0/24 accept"
	"tcp [2001:db8:a::7] -> [2001:db8::10]:22|A send tcp 2001:db8::10 22 -s 2001:db8:a::7|accept|input|tcp dport 22 ip6 saddr @admins6 accept"
	"tcp [2001:db8:b::20] -> [2001:db8::10]:22|B probe tcp 2001:db8::10 22 -s 2001:db8:b::20|drop|input|"
	"udp [2001:db8:b::20] -> [2001:db8::10]:53|B send udp 2001:db8::10 53 -s 2001:db8:b::20|accept|dns|ip6 saddr 2001:db8:b::/64 accept"
)

A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
B() { ip netns exec "$CLB" "$CTALAB" "$@"; }

# check JSON CASE: the -j answer names exactly that verdict, chain, handle and text
check() {
	local json=$1 tuple verdict chain text h type
	IFS='|' read -r tuple _ verdict chain text <<<"$2"
	if [ -n "$text" ]; then
		h=$(handle "$chain" "$text")
		[ -n "$h" ] || fail "no handle for '$text' in chain $chain"
		type=rule
	else
		h=0
		type=policy
	fi
	"$PY" - "$json" "$verdict" "$chain" "$h" "$text" "$type" <<'PY' || fail "$3: $tuple: $(cat "$json")"
import json, sys
d = json.load(open(sys.argv[1]))
verdict, chain, handle, text, typ = sys.argv[2:7]
assert d["version"] == 1
b = d["blame"]
assert len(b) >= 1, b
e = b[-1]
assert e["verdict"] == verdict, (e["verdict"], verdict)
assert e["type"] == typ, (e["type"], typ)
assert e["family"] == "inet" and e["table"] == "fw" and e["chain"] == chain, e
if typ == "rule":
    assert e["handle"] == int(handle), (e["handle"], handle)
    assert e["rule"] == text, (e["rule"], text)
assert isinstance(e["path"], list) and e["path"], e
assert e["path"][0]["hook"] == "input" and e["path"][0]["priority"] == 0, e["path"][0]
PY
}

# --- from a recording ---
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
for c in "${CASES[@]}"; do
	IFS='|' read -r _ traffic _ <<<"$c"
	$traffic >/dev/null 2>&1
done
sleep 3 # denied attempts are decided after 2 s
kill -INT $rec
wait $rec || fail "record failed"

for c in "${CASES[@]}"; do
	IFS='|' read -r tuple _ verdict _ <<<"$c"
	"$CTA" -j blame --session "$TMP/s.json" "$tuple" >"$TMP/b.json"
	rc=$?
	[ $rc = 0 ] || fail "blame '$tuple' exited $rc"
	check "$TMP/b.json" "$c" offline
	schema_ok blame.schema.json "$TMP/b.json"
done
# the text form tells the same story
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.8 -> 192.0.2.10:25" >"$TMP/b.txt"
grep -q "verdict: reject, by rule $(handle input 'tcp dport 25 reject with tcp reset') of inet fw input: tcp dport 25 reject with tcp reset" "$TMP/b.txt" ||
	fail "text story: $(cat "$TMP/b.txt")"
grep -q "inet fw input  (hook input, priority 0, filter, policy drop): reject by a rule" "$TMP/b.txt" || fail "text path"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:8443" >"$TMP/b.txt"
grep -q "input rule $(handle input 'tcp dport vmap @svc_map'): tcp dport vmap @svc_map  ->  drop" "$TMP/b.txt" ||
	fail "vmap story: $(cat "$TMP/b.txt")"
"$CTA" blame --session "$TMP/s.json" "tcp 203.0.113.20 -> 192.0.2.10:80" >"$TMP/b.txt"
grep -q "goto web" "$TMP/b.txt" || fail "goto story: $(cat "$TMP/b.txt")"
# no flow, no verdict: exit 1, no guess
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.9 -> 192.0.2.10:22" >"$TMP/b.txt"
[ $? = 1 ] || fail "blame of an unrecorded flow should exit 1"
grep -q "no recorded flow matches" "$TMP/b.txt" || fail "unrecorded: $(cat "$TMP/b.txt")"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:2x" 2>"$TMP/b.err"
[ $? = 2 ] || fail "a bad tuple should exit 2"
grep -q "TUPLE 1:32: expected a port" "$TMP/b.err" || fail "bad tuple: $(cat "$TMP/b.err")"
schema_ok session.schema.json "$TMP/s.json"
"$CTA" -j flows "$TMP/s.json" >"$TMP/flows.json" || fail "flows -j"
schema_ok flows.schema.json "$TMP/flows.json"
"$CTA" flows -o extended "$TMP/s.json" | grep -q " verdict=reject by=inet/fw/input/$(handle input 'tcp dport 25 reject with tcp reset')$" ||
	fail "flows verdict=: $("$CTA" flows -o extended "$TMP/s.json")"

# --- live ---
for c in "${CASES[@]}"; do
	IFS='|' read -r tuple traffic _ <<<"$c"
	S "$CTA" -q -j blame --live --timeout 10s "$tuple" >"$TMP/live.json" &
	b=$!
	wait_blame_table
	$traffic >/dev/null 2>&1
	wait $b || fail "blame --live '$tuple' exited $?"
	check "$TMP/live.json" "$c" live
	schema_ok blame.schema.json "$TMP/live.json"
done
S nft list tables | grep -q conntrack_advise && fail "a conntrack_advise table was left behind"
# nothing comes: exit 1 after the timeout
S "$CTA" -q blame --live --timeout 1s "tcp 198.51.100.7 -> 192.0.2.10:9" >"$TMP/b.txt"
[ $? = 1 ] || fail "blame --live with no packet should exit 1"
grep -q "no packet of it arrived in time" "$TMP/b.txt" || fail "timeout text: $(cat "$TMP/b.txt")"
finish
