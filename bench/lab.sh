# shellcheck shell=bash
# The benchmarks' lab, sourced: a generator, the host under test (forwarding) and a
# sink, each a network namespace named from $B, joined by veth; documentation addresses
# only. The host counts new connections in a table of the benchmark's
# (`ct state new counter` at postrouting, after conntrack confirmed them).
GEN=$B-gen HOST=$B-host SINK=$B-sink
TMP=$(mktemp -d)

# The release build the benchmarks measure (root: deps, namespaces). 0, or an exit code.
bench_build() {
	[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; return 3; }
	scripts/deps || return 3
	if [ -d build/release ]; then
		meson setup --reconfigure build/release >/dev/null
	else
		meson setup build/release --buildtype=release >/dev/null
	fi
	ninja -C build/release >/dev/null || return 1
	CTA=$ROOT/build/release/conntrack-advise
	CTALAB=$ROOT/build/release/tests/ctalab
	CTDRAIN=$ROOT/build/release/tests/ctdrain
}

bench_down() {
	local ns
	for ns in "$GEN" "$HOST" "$SINK"; do
		{ ip netns pids "$ns" 2>/dev/null || true; } | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
H() { ip netns exec "$HOST" "$@"; }

bench_up() {
	local ns
	ip netns add "$GEN" && ip netns add "$HOST" && ip netns add "$SINK" || return 1
	for ns in "$GEN" "$HOST" "$SINK"; do ip -n "$ns" link set lo up; done
	ip -n "$GEN" link add g0 type veth peer name h0 netns "$HOST"
	ip -n "$HOST" link add h1 type veth peer name s0 netns "$SINK"
	ip -n "$GEN" addr add 198.51.100.7/24 dev g0
	ip -n "$HOST" addr add 198.51.100.1/24 dev h0
	ip -n "$HOST" addr add 192.0.2.1/24 dev h1
	ip -n "$SINK" addr add 192.0.2.2/24 dev s0
	ip -n "$GEN" link set g0 up
	ip -n "$HOST" link set h0 up
	ip -n "$HOST" link set h1 up
	ip -n "$SINK" link set s0 up
	ip -n "$GEN" route add 203.0.113.0/24 via 198.51.100.1
	ip -n "$HOST" route add 203.0.113.0/24 via 192.0.2.2
	H sysctl -qw net.ipv4.ip_forward=1
	# short-lived entries: the conntrack table (262144 here) must not fill up
	H sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2
	H nft -f - <<'NFT'
table inet bench {
	chain post { type filter hook postrouting priority 0; ct state new counter; }
}
NFT
	# neighbours resolved before anything is measured
	ip netns exec "$GEN" ping -q -c1 -W1 198.51.100.1 >/dev/null
	H ping -q -c1 -W1 192.0.2.2 >/dev/null
}

# Routes for traffic that answers (TCP, echoes): the sink and the generator reach back.
bench_way_back() {
	ip -n "$GEN" route add 192.0.2.0/24 via 198.51.100.1
	ip -n "$SINK" route add 198.51.100.0/24 via 192.0.2.1
}

# median LIST...: the middle value (of an odd count; the lower middle otherwise)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# median_range LIST...: "median (lowest–highest)"
median_range() {
	echo "$(median "$@") ($(printf '%s\n' "$@" | sort -g | head -1)–$(printf '%s\n' "$@" | sort -g | tail -1))"
}

kernel_count() {
	H nft list chain inet bench post | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
