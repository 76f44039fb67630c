# shellcheck shell=bash
# The lab: a server namespace and two client namespaces, one per documentation
# subnet, IPv4 and IPv6. Sourced by the netns tests and by scripts/demo.
#
#   clients A (198.51.100.7, .8; 2001:db8:a::7, ::8) ── veth ── server
#   clients B (203.0.113.20, .21; 2001:db8:b::20, ::21) ── veth ── server
#   server: 198.51.100.1, 203.0.113.1, 2001:db8:a::1, 2001:db8:b::1 on the links,
#           service addresses 192.0.2.10 and 2001:db8::10 on lo (this kernel has
#           no dummy interfaces).
#
# Every name starts with $LAB (unique per run); lab_down removes them all.

LAB=${LAB:-cta$$}
SRV=$LAB-srv
CLA=$LAB-a
CLB=$LAB-b

lab_down() {
	local ns
	for ns in "$SRV" "$CLA" "$CLB"; do
		{ ip netns pids "$ns" 2>/dev/null || true; } | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

lab_up() {
	lab_down
	ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || return 1
	local ns
	for ns in "$SRV" "$CLA" "$CLB"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	ip -n "$SRV" link add sa type veth peer name eth0 netns "$CLA"
	ip -n "$SRV" link add sb type veth peer name eth0 netns "$CLB"
	ip -n "$SRV" addr add 198.51.100.1/24 dev sa
	ip -n "$SRV" addr add 203.0.113.1/24 dev sb
	ip -n "$SRV" addr add 2001:db8:a::1/64 dev sa nodad
	ip -n "$SRV" addr add 2001:db8:b::1/64 dev sb nodad
	ip -n "$SRV" addr add 192.0.2.10/32 dev lo
	ip -n "$SRV" addr add 2001:db8::10/128 dev lo nodad
	ip -n "$CLA" addr add 198.51.100.7/24 dev eth0
	ip -n "$CLA" addr add 198.51.100.8/24 dev eth0
	ip -n "$CLA" addr add 2001:db8:a::7/64 dev eth0 nodad
	ip -n "$CLA" addr add 2001:db8:a::8/64 dev eth0 nodad
	ip -n "$CLB" addr add 203.0.113.20/24 dev eth0
	ip -n "$CLB" addr add 203.0.113.21/24 dev eth0
	ip -n "$CLB" addr add 2001:db8:b::20/64 dev eth0 nodad
	ip -n "$CLB" addr add 2001:db8:b::21/64 dev eth0 nodad
	for ns in "$SRV" "$CLA" "$CLB"; do
		ip -n "$ns" link set dev "$( [ "$ns" = "$SRV" ] && echo sa || echo eth0)" up
	done
	ip -n "$SRV" link set sb up
	ip -n "$CLA" route add 192.0.2.10/32 via 198.51.100.1
	ip -n "$CLA" route add 2001:db8::10/128 via 2001:db8:a::1
	ip -n "$CLB" route add 192.0.2.10/32 via 203.0.113.1
	ip -n "$CLB" route add 2001:db8::10/128 via 2001:db8:b::1
	# neighbours resolve on first use; a ping each way makes the lab ready
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ip netns exec "$CLA" ping -c1 -W1 -q 2001:db8:a::1 >/dev/null 2>&1 &&
			ip netns exec "$CLB" ping -c1 -W1 -q 2001:db8:b::1 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "lab: IPv6 did not come up" >&2
	return 1
}

# wait_file FILE [SECONDS]: until FILE exists (a recorder's first checkpoint).
wait_file() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# lab_local_net: every address of 192.0.2.0/24 is the server's, reached from client A
# (floods to many addresses).
# lab_router: instead of lab_up, a router between a WAN and a LAN (its own names, so
# lab_down removes them: SRV the router, CLA the WAN host, CLB the LAN host):
#   wan (198.51.100.7, .8) ── wan0 router lan0 ── lan (192.0.2.2, default via the router)
#         198.51.100.1/24 on wan0, 192.0.2.1/24 on lan0; the router forwards IPv4
lab_router() {
	SRV=$LAB-rtr CLA=$LAB-wan CLB=$LAB-lan
	lab_down
	ip netns add "$SRV" && ip netns add "$CLA" && ip netns add "$CLB" || return 1
	local ns
	for ns in "$SRV" "$CLA" "$CLB"; do ip -n "$ns" link set lo up; done
	ip -n "$SRV" link add wan0 type veth peer name eth0 netns "$CLA"
	ip -n "$SRV" link add lan0 type veth peer name eth0 netns "$CLB"
	ip -n "$SRV" addr add 198.51.100.1/24 dev wan0
	ip -n "$SRV" addr add 192.0.2.1/24 dev lan0
	ip -n "$CLA" addr add 198.51.100.7/24 dev eth0
	ip -n "$CLA" addr add 198.51.100.8/24 dev eth0
	ip -n "$CLB" addr add 192.0.2.2/24 dev eth0
	ip -n "$SRV" link set wan0 up && ip -n "$SRV" link set lan0 up &&
		ip -n "$CLA" link set eth0 up && ip -n "$CLB" link set eth0 up &&
		ip -n "$CLB" route add default via 192.0.2.1 &&
		ip netns exec "$SRV" sysctl -qw net.ipv4.ip_forward=1
}

# lab_record_cases FILE: a recording in $SRV into FILE while the traffic of each of
# CASES (its second |-separated field, a command) runs; 3 s after it, as denied
# attempts are decided after 2 s. The recorder's status.
lab_record_cases() {
	local rec c traffic
	ip netns exec "$SRV" "$CTA" -q record -o "$1" &
	rec=$!
	wait_file "$1" || return 1
	for c in "${CASES[@]}"; do
		IFS='|' read -r _ traffic _ <<<"$c"
		$traffic >/dev/null 2>&1 || true
	done
	sleep 3
	kill -INT $rec
	wait $rec
}

# lab_blame_session FILE: `blame --session FILE` of each of CASES ("TUPLE|TRAFFIC|VERDICT|
# FAMILY TABLE CHAIN|RULE TEXT[|PATH]"), checked by check_blame.py and the schema.
lab_blame_session() {
	local c tuple verdict where text path
	for c in "${CASES[@]}"; do
		IFS='|' read -r tuple _ verdict where text path <<<"$c"
		"$CTA" -j blame --session "$1" "$tuple" >"$TMP/b.json" ||
			fail "blame --session '$tuple' exited $?"
		"$PY" "$HERE/../tools/check_blame.py" "$TMP/b.json" "$verdict" "$where|$text" "$path" ||
			fail "session: $tuple"
		schema_ok blame.schema.json "$TMP/b.json"
	done
}

# lab_blame_live: `blame --live` in $SRV of each of CASES while its TRAFFIC runs, checked
# as lab_blame_session checks.
lab_blame_live() {
	local c tuple traffic verdict where text path b
	for c in "${CASES[@]}"; do
		IFS='|' read -r tuple traffic verdict where text path <<<"$c"
		ip netns exec "$SRV" "$CTA" -q -j blame --live --timeout 10s "$tuple" >"$TMP/live.json" &
		b=$!
		wait_blame_table
		$traffic >/dev/null 2>&1 || true
		wait $b || fail "blame --live '$tuple' exited $?"
		"$PY" "$HERE/../tools/check_blame.py" "$TMP/live.json" "$verdict" "$where|$text" \
			"$path" || fail "live: $tuple"
		schema_ok blame.schema.json "$TMP/live.json"
	done
}

# lab_load_case FILE: tests/data/cases/FILE into $SRV (nft -f); a test that cannot
# load its layout ends there, failed.
lab_load_case() {
	ip netns exec "$SRV" nft -f "$HERE/../data/cases/$1" && return 0
	fail "cannot load $1"
	finish
}

lab_local_net() {
	ip netns exec "$SRV" ip route add local 192.0.2.0/24 dev lo &&
		ip -n "$CLA" route add 192.0.2.0/24 via 198.51.100.1
}

# lab_counters [TABLE]: the packets of each counter of the server's table (default
# inet lab), in order, on one line.
lab_counters() {
	ip netns exec "$SRV" nft list table ${1:-inet lab} |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' |
		paste -sd' '
}

# lab_connect_truth HOOK: the truth of the server's TCP connects to port 22, per connect
# (source address, port and the SYN's sequence number: a port a finished connect left
# and a later one took is two connects, which record counts as two; keyed by port alone
# they were one, and a CI run failed on it): `table ip lab` counts each one's SYNs entering HOOK's filter chains (priority
# -300) and let through them (300). lab_connect_truth_read prints, once the traffic is
# done, "CONNECTS LET DENIED": connects, those let through, those with a SYN dropped
# (a connect whose first SYN was dropped and a retransmit let through is both).
lab_connect_truth() {
	ip netns exec "$SRV" nft -f - <<NFT
table ip lab {
	set entered { typeof ip saddr . tcp sport . tcp sequence; flags dynamic; counter; size 65535; }
	set accepted { typeof ip saddr . tcp sport . tcp sequence; flags dynamic; counter; size 65535; }
	chain pre {
		type filter hook $1 priority -300; policy accept;
		ct state new tcp dport 22 add @entered { ip saddr . tcp sport . tcp sequence }
	}
	chain post {
		type filter hook $1 priority 300; policy accept;
		ct state new tcp dport 22 add @accepted { ip saddr . tcp sport . tcp sequence }
	}
}
NFT
}
lab_connect_truth_read() {
	ip netns exec "$SRV" nft -j list set ip lab entered >"$TMP/entered.json" &&
		ip netns exec "$SRV" nft -j list set ip lab accepted >"$TMP/accepted.json" &&
		"$PY" - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
def elems(f):
    return {tuple(e["elem"]["val"]["concat"]): e["elem"]["counter"]["packets"]
            for o in json.load(open(f"{d}/{f}"))["nftables"] if "set" in o
            for e in o["set"].get("elem", [])}
entered, accepted = elems("entered.json"), elems("accepted.json")
print(len(entered), sum(1 for k in entered if accepted.get(k, 0)),
      sum(1 for k, n in entered.items() if n > accepted.get(k, 0)))
PY
}

# start_servers: echo services in the server namespace for SECONDS (default 60).
start_servers() {
	local t=${1:-60}
	# in subshells: not this shell's jobs, so no "Killed" lines when lab_down ends them
	(ip netns exec "$SRV" "$CTALAB" serve tcp 22 "$t" &)
	(ip netns exec "$SRV" "$CTALAB" serve tcp 80 "$t" &)
	(ip netns exec "$SRV" "$CTALAB" serve tcp 443 "$t" &)
	(ip netns exec "$SRV" "$CTALAB" serve udp 53 "$t" -a 192.0.2.10 -a 2001:db8::10 &)
	(ip netns exec "$CLB" "$CTALAB" serve udp 123 "$t" -a 203.0.113.20 -a 2001:db8:b::20 &)
	sleep 0.3
}
