#!/usr/bin/env bash
# Two builds of `record` on the same event load, in turn: the A/B half of
# bench/events.sh (same lab, traffic and CPU measure), for a change to the event path.
# Each round runs A then B (B then A on even rounds) at each rate; prints CPU µs per
# event (/proc/PID/schedstat while the traffic runs, per event received of any type)
# and peak resident memory (VmHWM) for each run, then per binary and rate the median
# (range), and the median (range) of the B/A ratios within rounds.
#
#   bench/ab-events.sh BIN_A BIN_B [RATE...]     default rates: 25000 50000
#   REPEAT=N (default 3): rounds
#   MODE=none (default: `--trace none --nflog-group 0`, the runs before 2026-12-02),
#       default (record's DEFAULT settings: --trace new, NFLOG, eBPF), all (--trace all)
#   FLOWS=each (default: every datagram a flow of its own), shared (`ctalab flood -s`:
#       connections of 254 flows)
#   SECS=N (default 2): seconds of traffic per run
#   WHOLE=1: also the whole host (busy ticks of all CPUs, /proc/stat, over the same
#       window) and the generator's CPU time (bash's time: user + system), and a run
#       with nothing listening each round (N) to subtract: for a change to record's
#       table, whose cost falls on the packets' path, not on record. The host's hooks
#       run in the generator's context (veth: the receive softirq runs as the sender
#       enables bottom halves), and this kernel charges softirq time to the task it
#       interrupts (no CONFIG_IRQ_TIME_ACCOUNTING), so the generator's time is the
#       path's cost at nanosecond resolution, where /proc/stat counts ticks of the
#       whole machine
#
# Build the helpers first (ninja -C build/release). Needs root (namespaces of its own,
# documentation addresses only). Not part of the test suite.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
[ $# -ge 2 ] || { echo "usage: bench/ab-events.sh BIN_A BIN_B [RATE...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 3; }
declare -A BIN=([A]=$1 [B]=$2)
shift 2
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(25000 50000)
REPEAT=${REPEAT:-3}
SECONDS_PER_RUN=${SECS:-2}
MODE=${MODE:-none}
case $MODE in
none) MODE_ARGS=(--trace none --nflog-group 0) ;;
default) MODE_ARGS=() ;;
all) MODE_ARGS=(--trace all) ;;
*) echo "bench/ab-events.sh: MODE is none, default or all" >&2; exit 2 ;;
esac
FLOOD_ARGS=()
[ "${FLOWS:-each}" = shared ] && FLOOD_ARGS=(-s)
B=ctaab$$
. "$ROOT/bench/lab.sh"
CTALAB=$ROOT/build/release/tests/ctalab
trap bench_down EXIT
bench_up || exit 1

cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
# busy ticks of all CPUs (user, nice, system, irq, softirq, steal), as bench/events.sh
host_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
TICK=$(getconf CLK_TCK)
WHOLE=${WHOLE:-0}

# one BIN RATE: prints "events window_ns overruns hwm_kib busy_ticks gen_cpu_s" (BIN -:
# nothing)
one() {
	local bin=$1 rate=$2 pid ns0 ns1 all overruns hwm busy0 busy1 gen TIMEFORMAT='%3U %3S'
	H conntrack -F >/dev/null 2>&1
	sleep 0.5
	rm -f "$TMP/s.json"
	if [ "$bin" = - ]; then
		ip netns exec "$HOST" sleep 3600 &
		pid=$!
		sleep 0.5
	else
		ip netns exec "$HOST" "$bin" -q record -o "$TMP/s.json" --checkpoint-interval 60 \
			"${MODE_ARGS[@]}" 2>"$TMP/rec.err" &
		pid=$!
		for _ in $(seq 50); do [ -s "$TMP/s.json" ] && break; sleep 0.1; done
	fi
	ns0=$(cpu_ns "$pid")
	busy0=$(host_busy)
	gen=$({ time ip netns exec "$GEN" "$CTALAB" flood udp 203.0.113.0 1024 -r "$rate" \
		-t "$SECONDS_PER_RUN" "${FLOOD_ARGS[@]}" >/dev/null; } 2>&1 |
		awk 'END { printf "%.3f", $1 + $2 }')
	sleep 1.5
	ns1=$(cpu_ns "$pid")
	busy1=$(host_busy)
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	if [ "$bin" = - ]; then
		kill "$pid"
		wait "$pid" 2>/dev/null
		echo "0 $((ns1 - ns0)) 0 $hwm $((busy1 - busy0)) $gen"
		return
	fi
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	read -r all overruns < <(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stats"]
e = s["events"]
print(e["new"] + e["update"] + e["destroy"], s["overruns"])' "$TMP/s.json")
	echo "$all $((ns1 - ns0)) $overruns $hwm $((busy1 - busy0)) $gen"
}

declare -A per=() mem=() busy=() gencpu=()
BIN[N]=-
for rep in $(seq "$REPEAT"); do
	order=(A B)
	[ $((rep % 2)) = 0 ] && order=(B A)
	[ "$WHOLE" = 1 ] && order=(N "${order[@]}")
	for rate in "${RATES[@]}"; do
		for x in "${order[@]}"; do
			read -r all window overruns hwm ticks g < <(one "${BIN[$x]}" "$rate")
			busy[$x,$rate,$rep]=$ticks
			gencpu[$x,$rate,$rep]=$g
			if [ "$x" = N ]; then
				echo "mode $MODE round $rep rate $rate N (nothing listening): host busy $ticks ticks, generator $g s"
				continue
			fi
			per[$x,$rate,$rep]=$(awk -v w="$window" -v n="$all" 'BEGIN { printf "%.3f", (n ? w / 1e3 / n : 0) }')
			mem[$x,$rate,$rep]=$hwm
			echo "mode $MODE round $rep rate $rate $x: $all events, $overruns overruns, ${per[$x,$rate,$rep]} µs CPU per event, peak RSS $hwm KiB, host busy $ticks ticks, generator $g s"
		done
	done
done
echo
for rate in "${RATES[@]}"; do
	for x in A B; do
		vals=() kib=()
		for rep in $(seq "$REPEAT"); do
			vals+=("${per[$x,$rate,$rep]}")
			kib+=("${mem[$x,$rate,$rep]}")
		done
		echo "mode $MODE rate $rate $x (${BIN[$x]}): µs CPU per event $(median_range "${vals[@]}"), peak RSS KiB $(median_range "${kib[@]}")"
	done
	ratios=()
	for rep in $(seq "$REPEAT"); do
		ratios+=("$(awk -v b="${per[B,$rate,$rep]}" -v a="${per[A,$rate,$rep]}" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }')")
	done
	echo "mode $MODE rate $rate B/A: $(median_range "${ratios[@]}")"
	[ "$WHOLE" = 1 ] || continue
	# the whole host above nothing listening, seconds, and B's over A's within rounds
	for x in A B; do
		vals=()
		for rep in $(seq "$REPEAT"); do
			vals+=("$(awk -v b="${busy[$x,$rate,$rep]}" -v n="${busy[N,$rate,$rep]}" -v t="$TICK" 'BEGIN { printf "%.2f", (b - n) / t }')")
		done
		echo "mode $MODE rate $rate $x: whole host s above nothing listening $(median_range "${vals[@]}")"
	done
	ratios=()
	for rep in $(seq "$REPEAT"); do
		ratios+=("$(awk -v b="${busy[B,$rate,$rep]}" -v a="${busy[A,$rate,$rep]}" -v n="${busy[N,$rate,$rep]}" 'BEGIN { printf "%.3f", (a - n > 0 ? (b - n) / (a - n) : 0) }')")
	done
	echo "mode $MODE rate $rate whole host B/A (above nothing): $(median_range "${ratios[@]}")"
	for x in A B; do
		vals=()
		for rep in $(seq "$REPEAT"); do
			vals+=("$(awk -v b="${gencpu[$x,$rate,$rep]}" -v n="${gencpu[N,$rate,$rep]}" 'BEGIN { printf "%.3f", b - n }')")
		done
		echo "mode $MODE rate $rate $x: generator CPU s above nothing listening $(median_range "${vals[@]}")"
	done
	ratios=()
	for rep in $(seq "$REPEAT"); do
		ratios+=("$(awk -v b="${gencpu[B,$rate,$rep]}" -v a="${gencpu[A,$rate,$rep]}" -v n="${gencpu[N,$rate,$rep]}" 'BEGIN { printf "%.3f", (a - n > 0 ? (b - n) / (a - n) : 0) }')")
	done
	echo "mode $MODE rate $rate generator B/A (above nothing): $(median_range "${ratios[@]}")"
done
