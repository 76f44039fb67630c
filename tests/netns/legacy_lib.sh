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
	for i in $(seq 50); do
		S nft list tables | grep -q conntrack_advise_blame && break
		sleep 0.1
	done
	# the table is the sign it is ready: the legacy lines' logger is bound by then
	# (a packet traced before would be judged without its legacy chains)
	[ "$(bindings | sort -u)" = nfnetlink_log ] || fail "blame --live: table before binding"
	C "$@" >/dev/null 2>&1
	wait $b || fail "blame --live '$tuple' exited $?: $(cat "$TMP/live.err")"
}
