#!/usr/bin/env bash
# Issue 21, item 5: packets the kernel sends on a flow's behalf. synproxy in front of a
# local web server, as the nftables wiki sets it up: the client's SYN untracked in raw,
# answered by `ct state invalid,untracked synproxy ...` in input; once the client's
# handshake is done, synproxy sends its own SYN to the server (out through output, back
# in on lo), which `iif "lo" accept` lets in. That SYN is not the client's connection's
# first packet: blame (from the recording and live) names the synproxy rule, review
# --live does not call it unreached, and suggest says it does not carry synproxy and
# notrack over.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 ||
	fail "cannot set the TCP sysctls"
S nft -f - <<'NFT' || fail "cannot load the synproxy ruleset"
table inet filter {
	chain raw_pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport 80 tcp flags syn notrack
	}
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		tcp dport 80 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
		ct state established,related accept
		tcp dport 22 accept
		meta l4proto { icmp, ipv6-icmp } accept
	}
}
NFT
# after the table: conntrack's sysctls are there once it is in use
S sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || fail "cannot set tcp_loose"
(S "$CTALAB" serve tcp 80 60 &)
(S "$CTALAB" serve tcp 22 60 &)
sleep 0.3
SYNPROXY='tcp dport 80 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm'
NOTRACK='tcp dport 80 tcp flags syn notrack'
handle=$(S nft -a list chain inet filter input | grep -F "$SYNPROXY" | sed 's/.*# handle //')
[ -n "$handle" ] || fail "no handle for the synproxy rule"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.7 -n 3 >/dev/null ||
	fail "the web server behind synproxy (A)"
ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.10 80 -s 203.0.113.20 -n 2 >/dev/null ||
	fail "the web server behind synproxy (B)"
ip netns exec "$CLA" "$CTALAB" send tcp 2001:db8::10 80 -s 2001:db8:a::7 -n 2 >/dev/null ||
	fail "the web server behind synproxy (IPv6)"
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 >/dev/null || fail "ssh"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"

# every connection to the web server was decided by the synproxy rule, and by nothing else
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows" || fail "flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "dport=80 .* conns=3 .* verdict=accept by=inet/filter/input/$handle$"
expect_line "$TMP/flows" "^ipv4 .*dport=80 .* conns=2 .* verdict=accept by=inet/filter/input/$handle$"
expect_line "$TMP/flows" "^ipv6 .*src=2001:db8:a::7 .*dport=80 .* conns=2 .* verdict=accept by=inet/filter/input/$handle$"
expect_line "$TMP/flows" "dport=80 .*verdict=.*verdict=" 0
expect_line "$TMP/flows" "dport=22 .* verdict=accept by=inet/filter/input/[0-9]+$"

CHECK="$PY $HERE/../tools/check_blame.py"
PATHS="inet filter raw_pre=accept,inet filter input=accept"
for c in "198.51.100.7" "203.0.113.20"; do
	"$CTA" -j blame --session "$TMP/s.json" "tcp $c -> 192.0.2.10:80" >"$TMP/b.json" ||
		fail "blame --session $c exited $?"
	$CHECK "$TMP/b.json" accept "inet filter input|$SYNPROXY" "$PATHS" ||
		fail "blame --session: $c"
	schema_ok blame.schema.json "$TMP/b.json"
done
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:80" >"$TMP/b.txt"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "^  verdict: accept, by rule $handle of inet filter input: $SYNPROXY$"
expect_line "$TMP/b.txt" 'iif "lo"' 0

# live: the client's SYN is the answer, not synproxy's
S "$CTA" -q -j blame --live --timeout 10s "tcp 203.0.113.21 -> 192.0.2.10:80" >"$TMP/live.json" &
b=$!
wait_blame_table
ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.10 80 -s 203.0.113.21 >/dev/null ||
	fail "the web server behind synproxy (live)"
wait $b || fail "blame --live exited $?"
$CHECK "$TMP/live.json" accept "inet filter input|$SYNPROXY" "$PATHS" || fail "blame --live"

# review --live: the synproxy and notrack rules were reached
S "$CTA" review --live --session "$TMP/s.json" >"$TMP/review.out" 2>&1 || fail "review --live"
cat "$TMP/review.out"
for rule in "$SYNPROXY" "$NOTRACK" "ct state invalid drop"; do
	grep -F -- "$rule" "$TMP/review.out" | grep -q "^unreached" && fail "called unreached: $rule"
done

# review of the live ruleset itself: the replayed SYN is the synproxy rule's, and passes.
# IPv4 only: nft's synproxy checks an IPv6 packet's TCP checksum with the IPv4 function
# (nf_ip_checksum), which only a packet whose checksum the stack need not verify (from
# a local socket over veth, as the recorded clients') survives; the replay's crafted
# packet is verified, fails, and is dropped: IPv6 flows through synproxy are reported
# BREAKS, a kernel quirk this test leaves out.
S nft list ruleset | sed '/^table inet conntrack_advise/,$d' >"$TMP/live.nft"
S "$CTA" review --session "$TMP/s.json" "$TMP/live.nft" >"$TMP/same.out" 2>&1
cat "$TMP/same.out"
expect_line "$TMP/same.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:80 .*candidate: accept \(rule inet filter input handle $handle: $SYNPROXY\)$"
expect_line "$TMP/same.out" "^  ok +tcp 203\.0\.113\.20:[0-9]+ -> 192\.0\.2\.10:80 .*candidate: accept \(rule inet filter input handle $handle: $SYNPROXY\)$"
expect_line "$TMP/same.out" "^  BREAKS +tcp [0-9]" 0

# suggest allows the web server, and says what it does not carry over
"$CTA" suggest --force "$TMP/s.json" >"$TMP/sug.nft" 2>"$TMP/sug.err" || fail "suggest"
cat "$TMP/sug.nft" "$TMP/sug.err"
expect_line "$TMP/sug.nft" "^#   NOT carried over: synproxy, inet filter input: $SYNPROXY \(3 flows went through it\)"
expect_line "$TMP/sug.nft" "^#   NOT carried over: notrack, inet filter raw_pre: $NOTRACK "
grep -q "tcp dport 80 accept" "$TMP/sug.nft" || fail "the suggestion does not allow the web server"
expect_line "$TMP/sug.err" "warning: .*synproxy \(inet filter input\).* does not carry over"
finish
