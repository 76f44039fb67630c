# shellcheck shell=bash
# What the iptables-legacy tests share, sourced after common.sh; they define S (a
# command in the server's namespace) and C (ctalab in the client's) before using it.

# The nf_log bindings of IPv4 and IPv6 in the server's namespace.
bindings() { S cat /proc/sys/net/netfilter/nf_log/2 /proc/sys/net/netfilter/nf_log/10; }

# live TUPLE CLIENT-ARGS...: blame --live TUPLE in the server's namespace (the answer in
# $TMP/live.json) while the client runs ctalab CLIENT-ARGS
live() {
	local tuple=$1 i
	shift
	S "$CTA" -q -j blame --live --timeout 10s "$tuple" >"$TMP/live.json" 2>"$TMP/live.err" &
	local b=$!
	wait_blame_table
	# the table is the sign it is ready: the legacy lines' logger is bound by then
	# (a packet traced before would be judged without its legacy chains)
	[ "$(bindings | sort -u)" = nfnetlink_log ] || fail "blame --live: table before binding"
	C "$@" >/dev/null 2>&1
	wait $b || fail "blame --live '$tuple' exited $?: $(cat "$TMP/live.err")"
}

# review FILE WANT: review FILE against $TMP/s.json in the server's namespace (JSON in
# $TMP/r.json); it must exit WANT
review() {
	local f=$1 want=$2
	S "$CTA" -j review "$f" --session "$TMP/s.json" >"$TMP/r.json" 2>"$TMP/r.err"
	local rc=$?
	[ "$rc" = "$want" ] || fail "review $f exited $rc, not $want: $(cat "$TMP/r.err")"
}

# The legacy rules (the test's saved()) and the nf_log bindings are as
# $TMP/rules.before and $TMP/nflog.before have them.
legacy_unchanged() {
	saved | sed 's/\[[0-9]*:[0-9]*\]//' >"$TMP/rules.after"
	bindings >"$TMP/nflog.after"
	cmp -s "$TMP/rules.before" "$TMP/rules.after" ||
		fail "legacy rules changed: $(diff "$TMP/rules.before" "$TMP/rules.after")"
	cmp -s "$TMP/nflog.before" "$TMP/nflog.after" ||
		fail "nf_log bindings changed: $(cat "$TMP/nflog.after")"
}
