#!/usr/bin/env bash
# What the kernel half of `record` costs the host by itself, beside `conntrack -E`:
# issue 17's whole-host target (recording costs at most 0.25x what `conntrack -E -e
# NEW,DESTROY -o timestamp > /dev/null` costs) split into the parts no reader can
# save. On the lab of bench/lab.sh (a generator, a forwarding host, a sink), one UDP
# datagram per connection at RATE, connections of 254 flows (`ctalab flood -s`), each
# round runs, in turn on the same traffic:
#   nothing    no listener, the host alone (what every other row is above)
#   conntrack  `conntrack -E -e NEW,DESTROY -o timestamp > /dev/null` (the baseline)
#   record     `conntrack-advise record` in its DEFAULT settings (--trace new, NFLOG,
#              eBPF)
#   table      record's own table in its DEFAULT settings, made by record's own code
#              (tests/tools/ctatable.c) and nobody reading: no trace, NFLOG packet or
#              conntrack event is read, and none is made (no listener), with
#              conntrack accounting and timestamps on as record turns them on
#   count      the counting sets and chains only (`ctatable count`, nft/kcount.h: the
#              entered/left/first sets that count denials in the kernel, issue 17's
#              "denials counted, not guessed", with their NAT, uncounted and SYN
#              sets), accounting and timestamps on
#   acct       accounting and timestamps on, no table (record's sysctls alone)
#   floor      what any recorder of this design pays: the table of `table` and
#              `ctdrain` (tests/tools/ctdrain.c: conntrack DESTROY events read as
#              record reads them, and thrown away); the listener's time is both
#              processes'. record above it is record's own work; conntrack -E's
#              share of it is the least record's design can cost. Not in the default
#              rows: ROWS="nothing conntrack record floor"
# Each run's window is the traffic and then the wait until the host's conntrack table
# is empty (every connection's DESTROY event made, and read by a listener), and 1 s.
# The cost of a row is the CPU time above `nothing`, three ways: the generator's (user +
# system, bash's time; the host's hooks run in its context, bench/ab-events.sh says
# why) plus the listener's own (/proc/PID/schedstat; ctatable sleeps, its own time is
# none); the same plus the kernel's threads (kworkers, ksoftirqd: every child of
# kthreadd, /proc/PID/schedstat); and the whole host's (busy ticks of all CPUs,
# /proc/stat, as issue 17 measures it). Expired conntrack entries are reaped, and
# their DESTROY events built, by whoever meets them first: the GC worker (a kworker)
# or a dump, which ends every expired entry it walks. record's checkpoint dumps thus
# take in its own time work that is the GC's in the other rows: the second measure
# counts it wherever it runs. The third holds the same, and every other thread's
# noise: on the 2-CPU machine of 2026-12-02 it was noise (bench/results.md); a ratio
# whose baseline came out at or below nothing is "-".
# Medians (ranges) of REPEAT rounds; the ratio of each row to conntrack's within each
# round.
#
#   bench/kernel-floor.sh [RATE...]     default: 50000
#   REPEAT=N (default 3), SECS=N (default 8) seconds of traffic per run,
#   ROWS="nothing conntrack record ..." (default: all six; nothing first, conntrack
#   among them: the others are measured above the one, against the other)
#
# Prints its table on stdout (bench/results.md keeps the runs). Needs root; builds the
# release build (bench_build). Not part of the test suite, nor of bench/run.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
B=ctafloor$$
. "$ROOT/bench/lab.sh"
trap bench_down EXIT
bench_build || exit $?
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(50000)
REPEAT=${REPEAT:-3}
SECS=${SECS:-8}
# ROWS="nothing conntrack record ...": those rows only (nothing first, conntrack among them)
read -r -a ROWS <<<"${ROWS:-nothing conntrack record table count acct}"
[ "${ROWS[0]}" = nothing ] && [[ " ${ROWS[*]} " == *" conntrack "* ]] ||
	{ echo "kernel-floor: ROWS must begin with nothing and hold conntrack" >&2; exit 2; }
bench_up || exit 1

cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
# The kernel's threads (kthreadd's children): "PID CPU_NS" lines into FILE
kthreads_snap() {
	local pid ns
	for pid in $(awk '$4 == 2 { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
		read -r ns _ <"/proc/$pid/schedstat" 2>/dev/null && echo "$pid $ns"
	done >"$1"
}
# CPU ns they spent between snapshots A and B: a thread in both, its difference; one
# begun since, all of its time; one that ended since, none (its time in the window is
# lost: idle kworkers end after a while)
kthreads_ns() {
	awk 'NR == FNR { a[$1] = $2; next } { s += $2 - ($1 in a ? a[$1] : 0) }
		END { printf "%.0f", s }' "$1" "$2"
}
# busy ticks of all CPUs (user, nice, system, irq, softirq, steal), as bench/events.sh
host_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
TICK=$(getconf CLK_TCK)
# the host's conntrack entries, read without starting a process in the host each time
# (a process there, ANCHOR, lends its /proc/PID/net: the first field is the count, hex)
ip netns exec "$HOST" sleep 100000 &
ANCHOR=$!
ct_count() {
	local line
	{ read -r _ && read -r line; } <"/proc/$ANCHOR/net/stat/nf_conntrack"
	echo $((16#${line%% *}))
}
sysctls() { # 0|1: conntrack accounting and timestamps in the host
	H sysctl -qw net.netfilter.nf_conntrack_acct="$1" net.netfilter.nf_conntrack_timestamp="$1"
}

CTATABLE=$ROOT/build/release/tests/ctatable

# one ROW RATE: prints "generator_s listener_s host_busy_s kthreads_s"
one() {
	local row=$1 rate=$2 pid="" pid2="" ns0=0 ns1=0 busy0 busy1 gen TIMEFORMAT='%3U %3S'
	sysctls 0
	H conntrack -F >/dev/null 2>&1
	case $row in
	conntrack)
		ip netns exec "$HOST" conntrack -E -e NEW,DESTROY -o timestamp >/dev/null 2>&1 &
		pid=$!
		;;
	record)
		rm -f "$TMP/s.json"
		ip netns exec "$HOST" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
		pid=$!
		for _ in $(seq 50); do [ -s "$TMP/s.json" ] && break; sleep 0.1; done
		;;
	table | count | floor)
		sysctls 1
		local arg=()
		[ "$row" = count ] && arg=(count)
		ip netns exec "$HOST" "$CTATABLE" "${arg[@]}" >"$TMP/ready" &
		pid=$!
		for _ in $(seq 50); do [ -s "$TMP/ready" ] && break; sleep 0.1; done
		[ -s "$TMP/ready" ] || return 1
		if [ "$row" = floor ]; then
			ip netns exec "$HOST" "$CTDRAIN" >"$TMP/drain" &
			pid2=$!
		fi
		;;
	acct) sysctls 1 ;;
	esac
	sleep 0.5
	[ -n "$pid" ] && ns0=$(cpu_ns "$pid")
	[ -n "$pid2" ] && ns0=$((ns0 + $(cpu_ns "$pid2")))
	kthreads_snap "$TMP/kt0"
	busy0=$(host_busy)
	gen=$({ time ip netns exec "$GEN" "$CTALAB" flood udp 203.0.113.0 1024 -r "$rate" \
		-t "$SECS" -s >/dev/null; } 2>&1 | awk 'END { printf "%.3f", $1 + $2 }')
	# every connection's end in the window too: its DESTROY event made and read
	for _ in $(seq 600); do
		[ "$(ct_count)" = 0 ] && break
		sleep 0.1
	done
	sleep 1
	busy1=$(host_busy)
	kthreads_snap "$TMP/kt1"
	if [ -n "$pid2" ]; then
		ns1=$(cpu_ns "$pid2")
		kill -INT "$pid2"
		wait "$pid2" 2>/dev/null
	fi
	if [ -n "$pid" ]; then
		ns1=$((ns1 + $(cpu_ns "$pid")))
		kill -INT "$pid" # record stops on SIGINT, conntrack -E too (its handler)
		wait "$pid" 2>/dev/null
	fi
	sysctls 0
	awk -v g="$gen" -v n=$((ns1 - ns0)) -v b=$((busy1 - busy0)) -v hz="$TICK" \
		-v k="$(kthreads_ns "$TMP/kt0" "$TMP/kt1")" 'BEGIN { printf "%s %.3f %.2f %.3f\n", g, n / 1e9, b / hz, k / 1e9 }'
}

declare -A cost=() kcost=() host=()
for rate in "${RATES[@]}"; do
	for rep in $(seq "$REPEAT"); do
		# a different order each round: what follows a row does not always pay its wake
		order=("${ROWS[@]:$((rep % ${#ROWS[@]}))}" "${ROWS[@]:0:$((rep % ${#ROWS[@]}))}")
		declare -A g=() l=() h=() k=()
		for row in "${order[@]}"; do
			read -r g[$row] l[$row] h[$row] k[$row] < <(one "$row" "$rate") || exit 1
			echo "rate $rate round $rep $row: generator ${g[$row]} s, listener ${l[$row]} s, kernel threads ${k[$row]} s, host busy ${h[$row]} s"
		done
		for row in "${ROWS[@]}"; do
			cost[$row,$rate,$rep]=$(awk -v g="${g[$row]}" -v n="${g[nothing]}" -v l="${l[$row]}" \
				'BEGIN { printf "%.3f", g - n + l }')
			kcost[$row,$rate,$rep]=$(awk -v c="${cost[$row,$rate,$rep]}" -v k="${k[$row]}" \
				-v n="${k[nothing]}" 'BEGIN { printf "%.3f", c + k - n }')
			host[$row,$rate,$rep]=$(awk -v a="${h[$row]}" -v n="${h[nothing]}" \
				'BEGIN { printf "%.2f", a - n }')
		done
		unset g l h k
	done
done

echo
echo "| rate, ${SECS} s | row | CPU s above nothing (generator + listener), median (range) | vs conntrack -E within rounds | the same + the kernel's threads, median (range) | vs conntrack -E within rounds | whole host: busy s above nothing, median (range) | vs conntrack -E within rounds |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
for rate in "${RATES[@]}"; do
	for row in "${ROWS[@]:1}"; do
		vals=() ratios=() kv=() kr=() hv=() hr=()
		for rep in $(seq "$REPEAT"); do
			vals+=("${cost[$row,$rate,$rep]}")
			ratios+=("$(awk -v a="${cost[$row,$rate,$rep]}" -v c="${cost[conntrack,$rate,$rep]}" \
				'BEGIN { printf "%.3f", (c > 0 ? a / c : 0) }')")
			kv+=("${kcost[$row,$rate,$rep]}")
			kr+=("$(awk -v a="${kcost[$row,$rate,$rep]}" -v c="${kcost[conntrack,$rate,$rep]}" \
				'BEGIN { if (c > 0) printf "%.3f", a / c; else print "-" }')")
			hv+=("${host[$row,$rate,$rep]}")
			hr+=("$(awk -v a="${host[$row,$rate,$rep]}" -v c="${host[conntrack,$rate,$rep]}" \
				'BEGIN { if (c > 0) printf "%.3f", a / c; else print "-" }')")
		done
		echo "| $rate | $row | $(median_range "${vals[@]}") | $(median_range "${ratios[@]}") | $(median_range "${kv[@]}") | $(median_range "${kr[@]}") | $(median_range "${hv[@]}") | $(median_range "${hr[@]}") |"
	done
done
