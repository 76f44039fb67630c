#!/usr/bin/env bash
# record sees exactly the scripted flows (TCP, UDP, ICMP, ICMPv6; IPv4, IPv6; in
# and out), with counters, and leaves the user's ruleset as it found it.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60

# the user's own firewall, which must come out byte-identical
ip netns exec "$SRV" nft -f - <<'NFT'
table inet userfw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 9999 drop
	}
}
NFT
ip netns exec "$SRV" nft list ruleset >"$TMP/before"
acct_before=$(ip netns exec "$SRV" cat /proc/sys/net/netfilter/nf_conntrack_acct)

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" --checkpoint-interval 1 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
mode=$(stat -c %a "$TMP/s.json")
[ "$mode" = 600 ] || fail "session mode is $mode, not 600"

A() { ip netns exec "$CLA" "$@"; }
B() { ip netns exec "$CLB" "$@"; }
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 3 -b 1000 || fail "tcp 22"
A "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.8 -n 2 || fail "tcp 80"
B "$CTALAB" send tcp 192.0.2.10 443 -s 203.0.113.20 -n 1 || fail "tcp 443"
A "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.7 -n 2 || fail "udp 53"
A "$CTALAB" send tcp 2001:db8::10 80 -s 2001:db8:a::7 -n 2 || fail "tcp6 80"
B "$CTALAB" send udp 2001:db8::10 53 -s 2001:db8:b::20 -n 1 || fail "udp6 53"
A ping -q -c 3 -i 0.2 -I 198.51.100.7 192.0.2.10 >/dev/null || fail "ping"
B ping -q -c 2 -i 0.2 -I 2001:db8:b::20 2001:db8::10 >/dev/null || fail "ping6"
ip netns exec "$SRV" "$CTALAB" send udp 203.0.113.20 123 -s 203.0.113.1 || fail "udp 123 out"
sleep 0.5

kill -INT $rec
wait $rec
rc=$?
[ $rc = 0 ] || fail "record exited $rc: $(cat "$TMP/rec.err")"
grep -q "recorded 9 flows" "$TMP/rec.err" || fail "summary: $(cat "$TMP/rec.err")"

no_own_table "$SRV"
ip netns exec "$SRV" nft list ruleset >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after" || fail "ruleset changed: $(diff "$TMP/before" "$TMP/after")"
acct_after=$(ip netns exec "$SRV" cat /proc/sys/net/netfilter/nf_conntrack_acct)
[ "$acct_before" = "$acct_after" ] || fail "nf_conntrack_acct left at $acct_after"

"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" || fail "flows failed"
cat "$TMP/flows"
[ "$(wc -l <"$TMP/flows")" = 9 ] || fail "expected exactly 9 flows"
P='packets=[1-9][0-9]* bytes=[1-9][0-9]*'
T='first=20[0-9-]+T[0-9:.]+Z last=20[0-9-]+T'
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 in +src=198\.51\.100\.7 dst=192\.0\.2\.10 sport=[0-9-]+ dport=22 $P src=192\.0\.2\.10 dst=198\.51\.100\.7 sport=22 dport=[0-9-]+ $P \[ASSURED\] conns=3 $T"
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 in +src=198\.51\.100\.8 dst=192\.0\.2\.10 sport=[0-9]+-[0-9]+ dport=80 $P .* \[ASSURED\] conns=2 "
expect_line "$TMP/flows" "^ipv4 +2 tcp +6 in +src=203\.0\.113\.20 dst=192\.0\.2\.10 sport=[0-9]+ dport=443 $P .* conns=1 "
expect_line "$TMP/flows" "^ipv4 +2 udp +17 in +src=198\.51\.100\.7 dst=192\.0\.2\.10 sport=[0-9]+-[0-9]+ dport=53 $P .* conns=2 "
expect_line "$TMP/flows" "^ipv4 +2 udp +17 out +src=203\.0\.113\.1 dst=203\.0\.113\.20 sport=[0-9]+ dport=123 $P .* conns=1 "
expect_line "$TMP/flows" "^ipv4 +2 icmp +1 in +src=198\.51\.100\.7 dst=192\.0\.2\.10 type=8 code=0 id=[0-9]+ packets=3 bytes=252 .* packets=3 bytes=252 conns=1 "
expect_line "$TMP/flows" "^ipv6 +10 tcp +6 in +src=2001:db8:a::7 dst=2001:db8::10 sport=[0-9-]+ dport=80 $P .* \[ASSURED\] conns=2 "
expect_line "$TMP/flows" "^ipv6 +10 udp +17 in +src=2001:db8:b::20 dst=2001:db8::10 sport=[0-9]+ dport=53 $P .* conns=1 "
expect_line "$TMP/flows" "^ipv6 +10 ipv6-icmp +58 in +src=2001:db8:b::20 dst=2001:db8::10 type=128 code=0 id=[0-9]+ packets=2 bytes=208 .* conns=1 "

# the default view: a header and one short line per flow, ssh's 3 connections accepted
"$CTA" flows "$TMP/s.json" >"$TMP/view" || fail "flows (default view)"
cat "$TMP/view"
[ "$(wc -l <"$TMP/view")" = 10 ] || fail "the default view: not a header and 9 lines"
expect_line "$TMP/view" '^PROTO +DIR +SOURCE +DESTINATION +CONNS +PACKETS →/← +BYTES →/← +VERDICTS +PROCESS$'
expect_line "$TMP/view" '^tcp +in +198\.51\.100\.7 +192\.0\.2\.10:22 +3 +[0-9]+/[0-9]+ +[0-9.]+ (B|KiB)/[0-9.]+ (B|KiB) +'

# the same through -j: a JSON document with a version and the flows
"$CTA" -j flows "$TMP/s.json" >"$TMP/flows.json" || fail "flows -j failed"
"$PY" - "$TMP/flows.json" <<'PY' || fail "flows -j content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1, d.get("version")
f = [x for x in d["flows"] if x["protocol"] == "tcp" and x["orig"]["dport"] == 22]
assert len(f) == 1 and f[0]["connections"] == 3 and f[0]["direction"] == "in", f
assert f[0]["bytes"]["orig"] >= 3000 and f[0]["bytes"]["reply"] >= 3000, f
assert f[0]["state"] == "assured"
PY

# every -j document and the session itself match their schemas in docs/schema
"$CTA" -j version >"$TMP/version.json" || fail "version -j"
schema_ok session.schema.json "$TMP/s.json"
schema_ok flows.schema.json "$TMP/flows.json"
schema_ok version.schema.json "$TMP/version.json"
finish
