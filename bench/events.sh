#!/usr/bin/env bash
# The event path under load, side by side with the tool a user would otherwise run:
# a generator namespace opens new UDP flows at a fixed rate (one datagram each),
# through a host namespace that forwards them to a sink. In the host, one after the
# other on the same traffic: `conntrack-advise record` with conntrack events only
# (--trace none --nflog-group 0), `record` as it runs by default (tracing first
# packets, NFLOG), `conntrack -E -e NEW,DESTROY -o timestamp > /dev/null` (the
# baseline of issue 17's targets: what an administrator runs to log connections with
# their counters), and `ctdrain`, the floor: record's own
# socket code (buffer, batches, pauses) receiving the same events (DESTROY only, as
# record by default) and doing nothing with them, which is what any reader pays the kernel. The kernel's own count is a
# `ct state new counter` rule in a table of the benchmark's (postrouting, after
# conntrack confirmed the entry).
#
#   bench/events.sh [RATE...]     default: 10000 25000 50000 100000 200000
#   REPEAT=N (default 3): rounds per rate; the median is reported
#   TCP_RATES="R..." (default "5000 10000 20000"): short TCP connections a second;
#       "" for none
#   TOOLS="..." (default "nothing conntrack floor record-none record record-all"): which
#       rows; conntrack (the baseline of the ratios) always runs; conntrack-new adds
#       `conntrack -E -e NEW -p udp` (or `-p tcp`, all its events), the baseline of
#       the runs before 2026-11-29 22:20Z; floor-new the floor reading NEW events too
#       (record with --events, and the floor of runs before 2026-11-30 06:00Z); record-nobpf (`--no-bpf`), record-unlimited
#       (`--trace-rate 0`: every new flow traced) and record-nolog
#       (`--nflog-group 0`) the default without one of its parts, to tell their costs. Each record row names
#       its mode: record-none `--trace none --nflog-group 0`, record the DEFAULT settings
#       (--trace new, NFLOG, eBPF), record-all `--trace all`; nothing: no listener, the
#       baseline of the whole-host cost (busy time of all CPUs, /proc/stat, over the
#       same window) and of the rate the host forwards
#   OUT=FILE (default bench/results.md); DUMP=0 leaves out the initial-dump timing
#   SECS=N (default 2): seconds of traffic per run; 12 puts two of record's checkpoint
#       dumps (every 5 s) in the traffic, with the table full of expired entries
#   FLOWS=each (default): every UDP datagram is a flow of its own (another address or
#       port: the worst case for flow-keyed tracing); FLOWS=shared: connections of
#       254 flows, each from a new source port (`ctalab flood -s`), as clients make them
#   e.g. a smoke of the default row: TOOLS=record REPEAT=1 TCP_RATES= DUMP=0 \
#       OUT=/tmp/smoke.md bench/events.sh 5000
#
# For each: NEW capture ratio against the kernel's count, netlink drops
# (/proc/net/netlink), overruns and resyncs, CPU time per million events while the
# traffic runs (/proc/PID/schedstat: time on a CPU, user and kernel, in ns), the whole
# run's CPU time (/proc/PID/stat, start-up and idle included), resident memory per
# 100k connections (VmHWM over VmRSS before the traffic). Writes bench/results.md.
# Not part of the test suite; needs root (network namespaces of its own,
# documentation addresses only).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
B=ctabench$$
. "$ROOT/bench/lab.sh"
trap bench_down EXIT
bench_build || exit $?
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(10000 25000 50000 100000 200000)
SECONDS_PER_RUN=${SECS:-2}
REPEAT=${REPEAT:-3} # rounds per rate; the median round is shown
FLOWS=${FLOWS:-each}
flood_opts=()
[ "$FLOWS" = shared ] && flood_opts=(-s)
read -r -a TCP_RATES <<<"${TCP_RATES-5000 10000 20000}" # short TCP connections a second
read -r -a TOOL_LIST <<<"conntrack ${TOOLS:-nothing floor record-none record record-all}"
TOOL_LIST=($(printf '%s\n' "${TOOL_LIST[@]}" | awk '!seen[$0]++'))
bench_up || exit 1

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
hwm_kib() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
# netlink drops of every netfilter socket in the host namespace (only the tool has any)
nl_drops() { H awk 'NR > 1 && $2 == 12 { d += $9 } END { print d + 0 }' /proc/net/netlink; }
TICK=$(getconf CLK_TCK)
# busy ticks of all CPUs (user, nice, system, irq, softirq, steal): the whole host
host_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# run TOOL RATE [udp|tcp]: one measurement; prints
# "kernel got all drops overruns resyncs cpu_s window_ns hwm_kib rss0_kib secs busy"
# (busy: ticks all CPUs were busy over the same window as window_ns)
# (got: NEW events received; all: events of every type received; for conntrack -E on
# TCP, whose output goes nowhere, "-": it receives updates too, uncounted)
run() {
	local tool=$1 rate=$2 proto=${3:-udp} pid got all overruns=0 resyncs=0 before after cpu
	local hwm rss0 drops k0 c0 secs ns0 ns1 port=1024 ct=(-E -e NEW,DESTROY -o timestamp)
	[ "$proto" = tcp ] && port=80
	[ "$tool" = conntrack-new ] && ct=(-E -e NEW -p udp)
	[ "$tool$proto" = conntrack-newtcp ] && ct=(-E -p tcp)
	H conntrack -F >/dev/null 2>&1
	sleep 0.5
	case $tool in
	record*)
		local extra=()
		[ "$tool" = record-none ] && extra=(--trace none --nflog-group 0)
		[ "$tool" = record-all ] && extra=(--trace all)
		[ "$tool" = record-nobpf ] && extra=(--no-bpf)
		[ "$tool" = record-nolog ] && extra=(--nflog-group 0)
		[ "$tool" = record-unlimited ] && extra=(--trace-rate 0)
		rm -f "$TMP/s.json"
		# its default checkpoint interval (5 s): each checkpoint's dump kills the
		# expired entries it meets, a burst of DESTROY events
		ip netns exec "$HOST" "$CTA" -q record -o "$TMP/s.json" "${extra[@]}" \
			2>"$TMP/rec.err" &
		pid=$!
		for _ in $(seq 50); do [ -s "$TMP/s.json" ] && break; sleep 0.1; done
		;;
	conntrack*)
		ip netns exec "$HOST" conntrack "${ct[@]}" >/dev/null 2>&1 &
		pid=$!
		sleep 0.5
		;;
	floor*)
		ip netns exec "$HOST" "$CTDRAIN" 0 $([ "$tool" = floor-new ] && echo new) \
			>"$TMP/drain.out" &
		pid=$!
		sleep 0.5
		;;
	nothing)
		# no listener: a process that does nothing, for the same columns
		ip netns exec "$HOST" sleep 3600 &
		pid=$!
		sleep 0.5
		;;
	esac
	before=$(nl_drops)
	c0=$(($(H cat /proc/sys/net/netfilter/nf_conntrack_count) + 16))
	k0=$(kernel_count)
	rss0=$(rss_kib "$pid")
	ns0=$(cpu_ns "$pid")
	local busy0 busy1
	busy0=$(host_busy)
	read -r _ secs < <(ip netns exec "$GEN" "$CTALAB" flood "$proto" 203.0.113.0 "$port" \
		-r "$rate" -t "$SECONDS_PER_RUN" $([ "$proto" = udp ] && echo "${flood_opts[@]}"))
	# every connection of the traffic ends now (a flush: each one's DESTROY event is sent;
	# expired entries would otherwise wait for conntrack's garbage collector, up to a
	# minute), so every reader does all its work for them in the window: the baseline
	# its NEW and DESTROY events, record (which reads DESTROY events only) its share;
	# then until the table has none of them left (10 s at most) and the reader is done
	sleep 0.3
	H conntrack -F >/dev/null 2>&1
	for _ in $(seq 50); do
		[ "$(H cat /proc/sys/net/netfilter/nf_conntrack_count)" -le "$c0" ] && break
		sleep 0.2
	done
	sleep 1
	ns1=$(cpu_ns "$pid")
	busy1=$(host_busy)
	cpu=$(cpu_ticks "$pid")
	hwm=$(hwm_kib "$pid")
	after=$(nl_drops)
	drops=$((after - before))
	# a background job ignores SIGINT in a script: the stand-in gets TERM
	if [ "$tool" = nothing ]; then kill "$pid"; else kill -INT "$pid"; fi
	wait "$pid" 2>/dev/null
	case $tool in
	nothing)
		got=- all=- overruns=- resyncs=-
		;;
	conntrack-new)
		# its output goes nowhere: what its socket did not drop, it received
		got=$(($(kernel_count) - k0 - drops))
		all=$got
		[ "$proto" = tcp ] && got=- all=-
		;;
	conntrack)
		# NEW and DESTROY to nowhere: which of them its drops were is not known
		got=- all=-
		;;
	floor*)
		read -r got all overruns <"$TMP/drain.out"
		resyncs=-
		;;
	*)
		read -r got all overruns resyncs < <(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stats"]
e = s["events"]
# NEW events only with --events: "-" (the connections recorded say the capture)
print(e["new"] or "-", e["new"] + e["update"] + e["destroy"], s["overruns"], s["resyncs"])' "$TMP/s.json")
		# what the session says of the flood: connections, their packets (one each: the
		# kernel's NEW count is theirs too), and denied attempts (no firewall: 0)
		/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
fl = [f for f in s["flows"] if f["orig"]["dst"].startswith("203.0.113.")]
print("%d/%d/%d" % (sum(f["connections"] for f in fl), sum(f["packets"]["orig"] for f in fl),
                    s["stats"]["verdicts"]["denied"]))' "$TMP/s.json" >"$TMP/acc"
		;;
	esac
	local acc=-
	[ -s "$TMP/acc" ] && acc=$(cat "$TMP/acc") && rm -f "$TMP/acc"
	echo "$(($(kernel_count) - k0)) $got $all $drops $overruns $resyncs $acc $(awk -v c="$cpu" -v t="$TICK" 'BEGIN { printf "%.2f", c / t }') $((ns1 - ns0)) $hwm $rss0 $secs $((busy1 - busy0))"
}

OUT=${OUT:-$ROOT/bench/results.md}
{
	echo "# Event path benchmark"
	echo
	echo "Run by \`bench/events.sh\` on $(date -u +%Y-%m-%dT%H:%MZ)."
	echo "Machine: $(uname -sr), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM."
	if [ "$FLOWS" = shared ]; then
		echo "Traffic: \`ctalab flood -s\`, one UDP datagram per new connection, the connections of 254 flows (port 1024 of each address of 203.0.113.0/24, a new source port every 254), ${SECONDS_PER_RUN} s per run, generator → host (forwarding, measured) → sink."
	else
		echo "Traffic: \`ctalab flood\`, one UDP datagram per new connection, each connection a flow of its own (the worst case for flow-keyed tracing), ${SECONDS_PER_RUN} s per run, generator → host (forwarding, measured) → sink."
	fi
	echo "Each rate: $REPEAT rounds of the tools in turn; a row is the tool's median round by CPU per event,"
	echo "and the CPU ratio is the median (and range) of the ratios within each round."
	echo
	echo "| new flows/s asked (reached) | tool (mode) | kernel NEW | received NEW | capture | connections / packets recorded / denied | netlink drops | overruns / resyncs | events received (all types) | CPU s per 10^6 connections (traffic) | CPU vs conntrack -E, median (range) | CPU s, whole run | peak RSS MiB | RSS MiB per 100k connections | whole host: CPU s above nothing listening; vs conntrack -E, median (range) |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$OUT"
# rows PROTO RATE: the tools, REPEAT rounds, one row each (the median round).
# CPU per connection (kernel NEW), UDP and TCP alike: the tools receive different
# events for the same connections (conntrack-new: NEW only, or every update of TCP).
rows() {
	local proto=$1 rate=$2 tool rep per ratio ratios pers name cap den
	local kernel got all drops overruns resyncs acc cpu window hwm rss0 secs busy
	local extra hosts hostr
	declare -A line_of=() per_of=() busy_of=()
	# each tool once per round, in turn: the rounds see the same machine
	for rep in $(seq "$REPEAT"); do
		for tool in "${TOOL_LIST[@]}"; do
			line_of[$tool,$rep]=$(run "$tool" "$rate" "$proto")
			read -r kernel _ all _ _ _ _ _ window _ _ _ busy < <(echo "${line_of[$tool,$rep]}")
			busy_of[$tool,$rep]=$busy
			den=$kernel # per connection, as the issue's target is put
			per_of[$tool,$rep]=$(awk -v w="$window" -v n="$den" 'BEGIN { printf "%.3f", (n ? w / 1e3 / n : 0) }')
		done
	done
	for tool in "${TOOL_LIST[@]}"; do
		ratios=() pers=() extra=() hostr=()
		for rep in $(seq "$REPEAT"); do
			pers+=("${per_of[$tool,$rep]}")
			ratios+=("$(awk -v c="${per_of[$tool,$rep]}" -v b="${per_of[conntrack,$rep]}" 'BEGIN { printf "%.3f", (b > 0 ? c / b : 0) }')")
			# the whole host: busy time above the same round with nothing listening
			[ -n "${busy_of[nothing,$rep]-}" ] || continue
			extra+=("$(awk -v t="${busy_of[$tool,$rep]}" -v z="${busy_of[nothing,$rep]}" -v k="$TICK" 'BEGIN { printf "%.2f", (t - z) / k }')")
			hostr+=("$(awk -v t="${busy_of[$tool,$rep]}" -v c="${busy_of[conntrack,$rep]}" -v z="${busy_of[nothing,$rep]}" 'BEGIN { printf "%.3f", (c - z > 0 ? (t - z) / (c - z) : 0) }')")
		done
		hosts=-
		[ ${#extra[@]} -gt 0 ] && hosts="$(median "${extra[@]}") s, $(median_range "${hostr[@]}")"
		[ "$tool" = nothing ] && hosts=-
		per=$(median "${pers[@]}")
		# the round whose CPU per event is the median gives the other columns
		for rep in $(seq "$REPEAT"); do [ "${per_of[$tool,$rep]}" = "$per" ] && break; done
		read -r kernel got all drops overruns resyncs acc cpu window hwm rss0 secs busy < <(echo "${line_of[$tool,$rep]}")
		ratio=$(median_range "${ratios[@]}")
		case $tool in
		conntrack) name='`conntrack -E -e NEW,DESTROY -o timestamp > /dev/null` (the baseline)' ;;
		conntrack-new) name='`conntrack -E -e NEW -p udp > /dev/null`' ;;
		floor) name='floor: `ctdrain` (record'"'"'s reads, DESTROY only, nothing done)' ;;
		floor-new) name='floor with NEW: `ctdrain 0 new` (NEW and DESTROY, nothing done)' ;;
		record-none) name='`record --trace none --nflog-group 0` (conntrack events only)' ;;
		record) name='`record` DEFAULT (--trace new at 1000 new flows/s at most, NFLOG, eBPF)' ;;
		record-unlimited) name='`record --trace-rate 0` (--trace new, every new flow, NFLOG, eBPF)' ;;
		record-all) name='`record --trace all` (NFLOG, eBPF)' ;;
		record-nobpf) name='`record --no-bpf` (--trace new, NFLOG)' ;;
		record-nolog) name='`record --nflog-group 0` (--trace new, eBPF)' ;;
		nothing) name='nothing listening (the host alone)' per=- ratio=- ;;
		esac
		[ "$tool$proto" = conntrack-newtcp ] && name='`conntrack -E -p tcp > /dev/null`'
		cap=-
		[ "$got" != - ] && cap=$(awk -v g="$got" -v k="$kernel" 'BEGIN { printf "%.3f%%", (k ? 100 * g / k : 0) }')
		printf '| %s (%s) | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |\n' "$rate" \
			"$(awk -v k="$kernel" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? k / s : 0) }')" "$name" \
			"$kernel" "$got" "$cap" "$acc" "$drops" "$overruns" "$resyncs" "$all" "$per" "$ratio" "$cpu" \
			"$(awk -v h="$hwm" 'BEGIN { printf "%.1f", h / 1024 }')" \
			"$(awk -v h="$hwm" -v r="$rss0" -v k="$kernel" 'BEGIN { printf "%.1f", (k ? (h - r) / 1024 * 100000 / k : 0) }')" "$hosts" >>"$OUT"
	done
}
for rate in "${RATES[@]}"; do
	rows udp "$rate"
done

# Short TCP connections: the updates between start and end are what conntrack -E
# receives and record does not. The sink accepts for the whole network (a local route).
bench_way_back
ip -n "$SINK" route add local 203.0.113.0/24 dev lo
ip netns exec "$SINK" "$CTALAB" sink tcp 80 3600 &
[ ${#TCP_RATES[@]} -gt 0 ] && {
	echo
	echo "Short TCP connections: \`ctalab flood tcp\`, a handshake and a reset each, to the 254 addresses"
	echo "of 203.0.113.0/24 port 80 (accepted by the sink), ${SECONDS_PER_RUN} s per run. CPU per connection"
	echo "(kernel NEW); the baseline receives each connection's NEW and DESTROY, as record does."
	echo
	echo "| connections/s asked (reached) | tool (mode) | kernel NEW | received NEW | capture | connections / packets recorded / denied | netlink drops | overruns / resyncs | events received (all types) | CPU s per 10^6 connections (traffic) | CPU vs conntrack -E, median (range) | CPU s, whole run | peak RSS MiB | RSS MiB per 100k connections | whole host: CPU s above nothing listening; vs conntrack -E, median (range) |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >>"$OUT"
for rate in "${TCP_RATES[@]}"; do
	rows tcp "$rate"
done
# The initial dump: 100k connections already in the table when the tool starts.
[ "${DUMP:-1}" = 0 ] || {
H sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
H conntrack -F >/dev/null 2>&1
ip netns exec "$GEN" "$CTALAB" flood udp 203.0.113.0 1024 -r 50000 -t 2 >/dev/null
entries=$(H conntrack -C)
t0=$(date +%s.%N)
H conntrack -L -p udp >/dev/null 2>&1
t_list=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
rm -f "$TMP/d.json"
t0=$(date +%s.%N)
ip netns exec "$HOST" "$CTA" -q record -o "$TMP/d.json" --trace none --nflog-group 0 &
pid=$!
while [ ! -s "$TMP/d.json" ]; do sleep 0.01; done
t_rec=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
kill -INT "$pid"
wait "$pid"
dumped=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["dump_entries"])' "$TMP/d.json")
{
	echo
	echo "Initial dump of $entries conntrack entries: \`conntrack -L -p udp > /dev/null\` ${t_list} s;"
	echo "\`record\` from start to its first session file written (own table created, sysctls"
	echo "set, the whole table dumped and written) ${t_rec} s ($dumped entries over its dumps)."
} >>"$OUT"
H sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2
}

{
	echo
	echo "kernel NEW: packets of \`ct state new counter\` at postrouting in the host namespace."
	echo "received NEW: for \`conntrack -E -e NEW\` (conntrack-new), kernel NEW minus its socket's netlink"
	echo "drops (its output goes to /dev/null, as a user would run it); \"-\" for the baseline, whose drops"
	echo "may be NEW or DESTROY events; record's session \`stats.events.new\` (connections"
	echo "recovered by a resync after an overrun are in the session's flows, not in this count);"
	echo "\"-\" for record when it read no NEW event (by default it reads DESTROY events only)."
	echo "connections / packets recorded / denied: record's session, connections of the flood's flows,"
	echo "their packets in the original direction (UDP: one each, so the kernel NEW count; TCP: more), and"
	echo "attempts it judged denied (no firewall here: any is false; the kernel counts denials, nft/kcount.h)."
	echo "Every record row names its mode; DEFAULT is what \`conntrack-advise record\` does unasked."
	echo "CPU per 10^6 connections: time on a CPU (/proc/PID/schedstat, user and kernel) from just"
	echo "before the traffic until 1 s after a flush (\`conntrack -F\`, 0.3 s after the traffic) ended"
	echo "every connection of it, so each reader did all its work for them (the baseline its NEW and"
	echo "DESTROY events, record its DESTROY events), per kernel NEW. CPU s, whole run: utime + stime (/proc/PID/stat) from start, start-up (own"
	echo "table, sysctls, eBPF, first dump) included. RSS per 100k connections: peak VmHWM"
	echo "over VmRSS before the traffic, per kernel NEW. Tracing beside \`nft monitor trace\`"
	echo "and iperf3 overhead: \`bench/overhead.sh\` (overhead-results.md)."
	echo "floor: \`ctdrain\` (tests/tools/ctdrain.c) reads conntrack DESTROY events (floor with NEW: and NEW ones) with record's"
	echo "socket code, receive buffer, batches and pauses, and looks at nothing but each message's type:"
	echo "the kernel's share of any reader's CPU per event. What record costs above it is its own work."
	echo "whole host: the busy time of all CPUs (/proc/stat: user, nice, system, irq, softirq, steal)"
	echo "over the same window, minus the same round's with nothing listening: what listening costs"
	echo "the host, the kernel's work for the listener (events, traces, NFLOG, the counting sets)"
	echo "included; the ratio is over conntrack -E's in the same round. Only meaningful on an"
	echo "otherwise idle machine. The host's forwarding rate with each tool: the \"reached\" rate."
} >>"$OUT"
cat "$OUT"
