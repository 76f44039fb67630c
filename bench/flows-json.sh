#!/usr/bin/env bash
# -j flows beside the text listing on synthetic sessions (bench/gen_session.py): wall
# and CPU time and peak memory of each, and their ratios (the target: -j within 2x the
# text listing's time and memory). Best of two runs each. Writes
# bench/flows-json-results.md.
#
#   bench/flows-json.sh [BINARY] [FLOWS...]   default: the release build; 100000 1000000
#
# Not part of the test suite's pass/fail: it prints the ratios and whether they held.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CTA=${1:-}
[ $# -gt 0 ] && shift
if [ -z "$CTA" ]; then
	[ -d build/release ] || meson setup build/release --buildtype=release >/dev/null
	ninja -C build/release >/dev/null
	CTA=$ROOT/build/release/conntrack-advise
fi
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# best OUT ARGS...: "wall_seconds cpu_seconds peak_kib", the run of less CPU of two
# (CPU time: user + system, less moved than wall time by the machine's other work)
best() {
	local out=$1 t u s m c bt= bc= bm=
	shift
	for _ in 1 2; do
		/usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$CTA" "$@" >/dev/null
		read -r t u s m <"$WORK/t"
		c=$(awk "BEGIN { printf \"%.2f\", $u + $s }")
		if [ -z "$bc" ] || [ "$(awk "BEGIN { print ($c < $bc) }")" = 1 ]; then
			bt=$t
			bc=$c
			bm=$m
		fi
	done
	echo "$bt $bc $bm" >"$out"
}

OUTMD=$ROOT/bench/flows-json-results.md
{
	echo "# flows and -j flows"
	echo
	echo "Run by \`bench/flows-json.sh\` on $(date -u +%Y-%m-%dT%H:%MZ), $("$CTA" version)."
	echo "Machine: $(uname -sr), $(nproc) CPUs, shared with other work while it ran: the"
	echo "times are indicative, the memory is not affected."
	echo
	echo "| flows | session MiB | flows s (CPU s) | flows peak MiB | -j flows s (CPU s) | -j flows peak MiB | CPU time ratio | memory ratio |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$OUTMD"
for n in "${SIZES[@]}"; do
	/usr/bin/python3 bench/gen_session.py "$n" >"$WORK/s.json"
	best "$WORK/text" flows "$WORK/s.json"
	best "$WORK/json" -j flows "$WORK/s.json"
	read -r tt tc tm <"$WORK/text"
	read -r jt jc jm <"$WORK/json"
	mib=$(awk "BEGIN { printf \"%.0f\", $(stat -c %s "$WORK/s.json") / 1048576 }")
	echo "| $n | $mib | $tt ($tc) | $((tm / 1024)) | $jt ($jc) | $((jm / 1024)) | $(awk "BEGIN { printf \"%.2f\", $jc / $tc }") | $(awk "BEGIN { printf \"%.2f\", $jm / $tm }") |" >>"$OUTMD"
done
cat "$OUTMD"
