#!/usr/bin/env bash
# What record's tracing costs, side by side with what a user would otherwise run, on
# the same traffic through the same lab (generator → host under test → sink, veth):
#
#  1. trace events: `record --nflog-group 0` (its table traces the first packet of each
#     flow; here every packet is one: one UDP datagram per flow) and, at the same time on
#     the same events, `nft monitor trace > file`. Events received against the expected
#     count (packets × events per traced packet, measured with one packet), CPU per 10^6
#     events (/proc/PID/stat).
#  2. traffic: iperf3 TCP throughput and 64-byte UDP packet rate through the host with
#     nothing running, with `record` (default), and with trace-everything (`meta nftrace
#     set 1` on every packet plus `nft monitor trace > /dev/null`), as ratios.
#
#   bench/overhead.sh            writes bench/overhead-results.md
#   ROUNDS=N (default 3): iperf3 rounds; medians reported
#
# Not part of the test suite; needs root (namespaces of its own, documentation
# addresses only).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
B=ctaover$$
. "$ROOT/bench/lab.sh"
trap bench_down EXIT
bench_build || exit $?
bench_up || exit 1
# TCP and the UDP rate test need the way back too
bench_way_back
TICK=$(getconf CLK_TCK)
RATE=20000
SECS=2

trace_table() {
	H nft -f - <<'NFT'
table inet benchtrace {
	chain pre { type filter hook prerouting priority -350; meta nftrace set 1; }
}
NFT
}
no_trace_table() { H nft delete table inet benchtrace 2>/dev/null; }
cpu_s() { awk -v t="$TICK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }

# nft monitor trace prints one line per trace event, the first of each starting "trace id"
monitor_start() {
	ip netns exec "$HOST" nft monitor trace >"$TMP/mon.txt" 2>/dev/null &
	mon=$!
	sleep 0.5
}
monitor_stop() {
	kill -TERM "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
}

record_start() { # FILE: record, tracing first packets, no NFLOG
	rm -f "$1"
	ip netns exec "$HOST" "$CTA" -q record -o "$1" --checkpoint-interval 60 --nflog-group 0 \
		2>/dev/null &
	rec=$!
	for _ in $(seq 50); do [ -s "$1" ] && break; sleep 0.1; done
}
record_stop() {
	kill -INT "$rec"
	wait "$rec"
}

# 1. The same trace events to both: record's table marks the first packet of each flow,
# and nft monitor trace hears every event record hears. First one datagram: the events
# one traced packet makes (only the datagram's trace ids count: other packets, neighbour
# discovery say, are traced too; its first line is the one that shows its header).
H conntrack -F >/dev/null 2>&1
record_start "$TMP/one.json"
monitor_start
ip netns exec "$GEN" "$CTALAB" flood udp 203.0.113.0 1024 -r 1 -t 1 >/dev/null
sleep 1
monitor_stop
record_stop
per_packet=$(awk '/^trace id/ { n[$3]++ } /^trace id .*dport 1024/ { d[$3] = 1 }
	END { for (i in d) { e += n[i]; p++ } printf "%d", (p ? e / p : 0) }' "$TMP/mon.txt")

# Then the flood, both listening at once
H conntrack -F >/dev/null 2>&1
record_start "$TMP/s.json"
monitor_start
k0=$(kernel_count)
ip netns exec "$GEN" "$CTALAB" flood udp 203.0.113.0 1024 -r "$RATE" -t "$SECS" >/dev/null
sleep 1.5
rec_cpu=$(cpu_s "$rec")
mon_cpu=$(cpu_s "$mon")
monitor_stop
record_stop
pkts=$(($(kernel_count) - k0))
mon_events=$(grep -c '^trace id' "$TMP/mon.txt")
read -r rec_events rec_overruns < <(/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["stats"]["verdicts"]
print(v["trace_events"], v["trace_overruns"])' "$TMP/s.json")

# 2. traffic through the host: TCP throughput, 64-byte UDP packet rate
iperf() { # MODE(tcp|udp) -> bits/s (tcp) or packets/s received (udp)
	ip netns exec "$SINK" iperf3 -s -1 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.5
	if [ "$1" = tcp ]; then
		ip netns exec "$GEN" iperf3 -c 192.0.2.2 -t "$IPERF_SECONDS" -J >"$TMP/ip.json" 2>/dev/null
		/usr/bin/python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' "$TMP/ip.json"
	else
		ip netns exec "$GEN" iperf3 -c 192.0.2.2 -u -b 0 -l 64 -t "$IPERF_SECONDS" -J >"$TMP/ip.json" 2>/dev/null
		/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum"]
print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))' "$TMP/ip.json"
	fi
	wait "$srv" 2>/dev/null
}
ROUNDS=${ROUNDS:-3} # the three modes in turn, each round; medians reported
IPERF_SECONDS=5
declare -A tcp udp
for round in $(seq "$ROUNDS"); do
	for mode in none record trace-all; do
		H conntrack -F >/dev/null 2>&1
		case $mode in
		record)
			rm -f "$TMP/r.json"
			ip netns exec "$HOST" "$CTA" -q record -o "$TMP/r.json" --checkpoint-interval 60 \
				2>/dev/null &
			bg=$!
			for _ in $(seq 50); do [ -s "$TMP/r.json" ] && break; sleep 0.1; done
			;;
		trace-all)
			trace_table
			ip netns exec "$HOST" nft monitor trace >/dev/null 2>&1 &
			bg=$!
			sleep 0.5
			;;
		esac
		tcp[$mode,$round]=$(iperf tcp)
		udp[$mode,$round]=$(iperf udp)
		if [ "$mode" != none ]; then
			# nft monitor runs with SIGINT ignored, as every background job; record takes it back
			kill -TERM "$bg" 2>/dev/null
			wait "$bg" 2>/dev/null
		fi
		no_trace_table
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f%%", (b > 0 ? 100 * a / b : 0) }'; }
OUT=$ROOT/bench/overhead-results.md
{
	echo "# Tracing and traffic overhead"
	echo
	echo "Run by \`bench/overhead.sh\` on $(date -u +%Y-%m-%dT%H:%MZ)."
	echo "Machine: $(uname -sr), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM."
	echo
	echo "## Trace events ($RATE new UDP flows/s for ${SECS} s, every packet a flow's first)"
	echo
	echo "Both on the same traffic at the same time: record's own table marks each flow's"
	echo "first packet for tracing, and both listen to the trace events of the namespace."
	echo "Events per traced packet: $per_packet (one datagram, counted from nft monitor trace)."
	echo
	echo "| tool | packets | trace events expected | received | share | CPU s | CPU s per 10^6 events | CPU vs nft monitor trace |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	exp=$((pkts * per_packet))
	mper=$(awk -v c="$mon_cpu" -v n="$mon_events" 'BEGIN { printf "%.2f", (n ? c * 1e6 / n : 0) }')
	rper=$(awk -v c="$rec_cpu" -v n="$rec_events" 'BEGIN { printf "%.2f", (n ? c * 1e6 / n : 0) }')
	echo "| \`nft monitor trace > file\` | $pkts | $exp | $mon_events | $(pct "$mon_events" "$exp") | $mon_cpu | $mper | 1.000 |"
	echo "| \`record --nflog-group 0\` ($rec_overruns receive overruns) | $pkts | $exp | $rec_events | $(pct "$rec_events" "$exp") | $rec_cpu | $rper | $(ratio "$rper" "$mper") |"
	echo
	echo "received: nft monitor's \`trace id\` lines; record's session \`stats.verdicts.trace_events\`."
	echo "CPU: utime + stime of each process over the run (/proc/PID/stat); two cores for"
	echo "the generator, the kernel and both listeners."
	echo
	echo "## Traffic through the host (iperf3, $IPERF_SECONDS s each)"
	echo
	echo "$ROUNDS rounds of the three in turn. Rates: the median of the rounds. Ratios: the median"
	echo "(and range) of each round's rate over the same round's rate with nothing running."
	echo
	echo "| running in the host | TCP throughput (bit/s) | vs nothing | 64-byte UDP packets/s received | vs nothing |"
	echo "|---|---:|---:|---:|---:|"
	for mode in none record trace-all; do
		case $mode in
		none) name='nothing' ;;
		record) name='`record` (default: traces first packets, NFLOG)' ;;
		trace-all) name='`meta nftrace set 1` on every packet + `nft monitor trace > /dev/null`' ;;
		esac
		t=() u=() tr=() ur=()
		for round in $(seq "$ROUNDS"); do
			t+=("${tcp[$mode,$round]}")
			u+=("${udp[$mode,$round]}")
			tr+=("$(ratio "${tcp[$mode,$round]}" "${tcp[none,$round]}")")
			ur+=("$(ratio "${udp[$mode,$round]}" "${udp[none,$round]}")")
		done
		echo "| $name | $(median "${t[@]}") | $(median_range "${tr[@]}") | $(median "${u[@]}") | $(median_range "${ur[@]}") |"
	done
} >"$OUT"
cat "$OUT"
