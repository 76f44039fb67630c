#!/usr/bin/env bash
# The documented exit codes, one-line reasons, and nothing left behind on failure.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }

# expect_rc WANT DESC CMD...: run, compare the exit status, keep stderr in $TMP/err
expect_rc() {
	local want=$1 desc=$2 rc
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$desc: exit $rc, wanted $want; stderr: $(cat "$TMP/err")"
}

# without CAP_NET_ADMIN: exit 3, one line saying why, no table, no file
expect_rc 3 "no CAP_NET_ADMIN" S setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
	"$CTA" record -d 1 -o "$TMP/nocap.json"
grep -q "needs CAP_NET_ADMIN" "$TMP/err" || fail "no CAP_NET_ADMIN: reason: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "no CAP_NET_ADMIN: more than one line"
[ ! -e "$TMP/nocap.json" ] || fail "no CAP_NET_ADMIN: a session file was written"
expect_rc 3 "unprivileged user" S setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all "$CTA" record -d 1
grep -q "needs CAP_NET_ADMIN" "$TMP/err" || fail "nobody: reason: $(cat "$TMP/err")"
no_own_table "$SRV"

# an output that cannot be written: exit 2 naming the path, and the table is gone
expect_rc 2 "unwritable output" S "$CTA" record -d 5 -o /nonexistent/dir/s.json
grep -q "/nonexistent/dir/s.json: No such file or directory" "$TMP/err" || fail "unwritable: $(cat "$TMP/err")"
no_own_table "$SRV"

# a second recorder in the same namespace is refused; the first goes on
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/first.json" &
first=$!
wait_file "$TMP/first.json" || exit 1
expect_rc 3 "second recorder" S "$CTA" record -d 1 -o "$TMP/second.json"
grep -q "another conntrack-advise" "$TMP/err" || fail "second: $(cat "$TMP/err")"
kill -TERM $first
wait $first || fail "first recorder failed after the second was refused"
grep -q '"complete": true' "$TMP/first.json" || fail "first recorder's session incomplete"
no_own_table "$SRV"

# -d: stops by itself; without -o the session goes to stdout
start=$(date +%s%N)
S "$CTA" -q record -d 2 >"$TMP/stdout.json" 2>"$TMP/err" || fail "record -d 2: $(cat "$TMP/err")"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ] || fail "record -d 2 took ${ms} ms"
"$CTA" flows "$TMP/stdout.json" >/dev/null || fail "stdout session unreadable"
[ ! -s "$TMP/err" ] || fail "-q still printed: $(cat "$TMP/err")"

# the live status line: on a terminal (script gives one) and not with -q or without one.
# script needs a readable stdin: with it closed (as CI may run) it prints nothing
script -qfec "ip netns exec $SRV $CTA record -d 2 -o $TMP/tty.json" /dev/null </dev/null >"$TMP/tty.out"
grep -q "recording 0:00:01  flows 0  open 0  events/s 0  lost 0" "$TMP/tty.out" ||
	fail "no status line on a terminal: $(cat -v "$TMP/tty.out")"
script -qfec "ip netns exec $SRV $CTA -q record -d 2 -o $TMP/tty.json" /dev/null </dev/null >"$TMP/tty.out"
[ ! -s "$TMP/tty.out" ] || fail "-q on a terminal printed: $(cat -v "$TMP/tty.out")"
S "$CTA" record -d 2 -o "$TMP/notty.json" 2>"$TMP/notty.err" || fail "record -d 2 (no tty)"
grep -q "recording 0:" "$TMP/notty.err" && fail "status line without a terminal"
grep -q "recorded 0 flows in 0:00:02" "$TMP/notty.err" || fail "summary: $(cat "$TMP/notty.err")"

# bad usage and bad input: exit 2
expect_rc 2 "bad duration" "$CTA" record -d 10x
grep -q "'10x' is not a duration" "$TMP/err" || fail "bad duration message"
expect_rc 2 "zero duration" "$CTA" record -d 0
expect_rc 2 "bad rcvbuf" "$CTA" record --rcvbuf 12
expect_rc 2 "unknown option" "$CTA" record --frobnicate
expect_rc 2 "stray argument" "$CTA" record extra
expect_rc 2 "unknown command" "$CTA" recrd
grep -q "unknown command 'recrd'" "$TMP/err" || fail "unknown command message"
expect_rc 2 "abbreviated command" "$CTA" rec
expect_rc 2 "no command" "$CTA"
expect_rc 2 "flows without files" "$CTA" flows
expect_rc 2 "flows on a missing file" "$CTA" flows "$TMP/missing.json"
printf '{"format": "conntrack-advise-session",\n "version": 1,\n "host": 7}' >"$TMP/bad.json"
expect_rc 2 "flows on a malformed file" "$CTA" flows "$TMP/bad.json"
grep -q "bad.json:3:10: host: expected an object" "$TMP/err" || fail "malformed message: $(cat "$TMP/err")"
expect_rc 0 "help" "$CTA" help record
grep -q "checkpoint-interval" "$TMP/out" || fail "help record"
expect_rc 0 "--help" "$CTA" flows --help
expect_rc 0 "version" "$CTA" version
grep -qE "^conntrack-advise [0-9]+\.[0-9]+" "$TMP/out" || fail "version output"
finish
