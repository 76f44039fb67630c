#!/usr/bin/env bash
# -v: record tells the table it created, each ruleset snapshot and the messages read
# from each socket; blame --live tells each trace message. Without -v, none of it.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 30
A() { ip netns exec "$CLA" "$@"; }

ip netns exec "$SRV" "$CTA" record -v -o "$TMP/s.json" --no-bpf 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 || fail "tcp 22"
# a change to the ruleset: a second snapshot
ip netns exec "$SRV" nft add table inet verbose_test
sleep 1.5
kill -INT $rec
wait $rec || fail "record -v exited $?: $(cat "$TMP/rec.err")"
cat "$TMP/rec.err"
expect_line "$TMP/rec.err" '^conntrack-advise: record: created table inet conntrack_advise:$'
expect_line "$TMP/rec.err" '^  table inet conntrack_advise '
grep -q 'meta nftrace set 1' "$TMP/rec.err" || fail "record -v: the table's trace rule is not shown"
grep -q '^conntrack-advise: record: ruleset snapshot 1: listed with handles, [0-9]* bytes$' "$TMP/rec.err" ||
	fail "record -v: no first snapshot"
grep -q '^conntrack-advise: record: ruleset snapshot 2: listed with handles, [0-9]* bytes$' "$TMP/rec.err" ||
	fail "record -v: no snapshot after the ruleset changed"
grep -E '^conntrack-advise: record: messages: conntrack=[0-9]+ bad=0 overruns=0, traces=[1-9][0-9]* bad=0 overruns=0, nflog=[1-9][0-9]* overruns=0, process_events=0$' \
	"$TMP/rec.err" >/dev/null || fail "record -v: no message counts"
# without -v: none of it
ip netns exec "$SRV" "$CTA" record -d 1 -o "$TMP/q.json" --no-bpf 2>"$TMP/q.err" || fail "record -d 1"
grep -qE 'created table|ruleset snapshot|messages:' "$TMP/q.err" && fail "record without -v: $(cat "$TMP/q.err")"

# blame --live -v: the trace messages of the packet, on stderr; the answer as before
ip netns exec "$SRV" "$CTA" blame -v --live --timeout 10s 'tcp 198.51.100.7 -> 192.0.2.10:22' \
	>"$TMP/live.out" 2>"$TMP/live.err" &
b=$!
wait_blame_table
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 >/dev/null 2>&1
wait $b
cat "$TMP/live.out" "$TMP/live.err"
grep -q '^tcp 198.51.100.7 -> 192.0.2.10:22  (live: tcp ' "$TMP/live.out" || fail "blame --live -v: no answer"
grep -qE '^conntrack-advise: trace id [0-9a-f]{8} inet conntrack_advise_blame [a-z_]+: rule handle [0-9]+ .*packet tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:22$' \
	"$TMP/live.err" || fail "blame --live -v: no trace message shown"

# an IPv6 packet's addresses in brackets, as in the TUPLE: [addr]:port, and the echoed
# TUPLE's source too, though it has no port there
ip netns exec "$SRV" "$CTA" blame --live --timeout 10s 'tcp [2001:db8:a::7] -> [2001:db8::10]:22' \
	>"$TMP/live6.out" 2>"$TMP/live6.err" &
b=$!
wait_blame_table
A "$CTALAB" send tcp 2001:db8::10 22 -s 2001:db8:a::7 >/dev/null 2>&1
wait $b
cat "$TMP/live6.out" "$TMP/live6.err"
grep -qE '^tcp \[2001:db8:a::7\] -> \[2001:db8::10\]:22  \(live: tcp \[2001:db8:a::7\]:[0-9]+ -> \[2001:db8::10\]:22\)$' \
	"$TMP/live6.out" || fail "blame --live, IPv6: addresses not in brackets"
finish
