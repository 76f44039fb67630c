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

# one BIN RATE: prints "events window_ns overruns"
one() {
	local bin=$1 rate=$2 pid ns0 ns1 all overruns hwm
	H conntrack -F >/dev/null 2>&1
	sleep 0.5
	rm -f "$TMP/s.json"
	ip netns exec "$HOST" "$bin" -q record -o "$TMP/s.json" --checkpoint-interval 60 \
		"${MODE_ARGS[@]}" 2>"$TMP/rec.err" &
	pid=$!
	for _ in $(seq 50); do [ -s "$TMP/s.json" ] && break; sleep 0.1; done
	ns0=$(cpu_ns "$pid")
	ip netns exec "$GEN" "$CTALAB" flood udp 203.0.113.0 1024 -r "$rate" -t "$SECONDS_PER_RUN" \
		"${FLOOD_ARGS[@]}" >/dev/null
	sleep 1.5
	ns1=$(cpu_ns "$pid")
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	read -r all overruns < <(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stats"]
e = s["events"]
print(e["new"] + e["update"] + e["destroy"], s["overruns"])' "$TMP/s.json")
	echo "$all $((ns1 - ns0)) $overruns $hwm"
}

declare -A per=() mem=()
for rep in $(seq "$REPEAT"); do
	order=(A B)
	[ $((rep % 2)) = 0 ] && order=(B A)
	for rate in "${RATES[@]}"; do
		for x in "${order[@]}"; do
			read -r all window overruns hwm < <(one "${BIN[$x]}" "$rate")
			per[$x,$rate,$rep]=$(awk -v w="$window" -v n="$all" 'BEGIN { printf "%.3f", (n ? w / 1e3 / n : 0) }')
			mem[$x,$rate,$rep]=$hwm
			echo "mode $MODE round $rep rate $rate $x: $all events, $overruns overruns, ${per[$x,$rate,$rep]} µs CPU per event, peak RSS $hwm KiB"
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
done
