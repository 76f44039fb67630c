#!/usr/bin/env bash
# Benchmark of suggest on synthetic sessions of 10^4, 10^5 and 10^6 flows
# (bench/gen_session.py): wall time, peak memory, size of the ruleset, and side by
# side in the same run the cost of merely reading the same file with Python's json
# module (what a home-made script would pay before deciding anything), and of
# `nft -c -f` checking the result. Writes bench/suggest-results.md.
#
#   bench/suggest.sh [FLOWS...]        default: 10000 100000 1000000
#
# Not part of the test suite's pass/fail: it prints the targets and whether they held.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/deps
if [ -d build/release ]; then
	meson setup --reconfigure build/release >/dev/null
else
	meson setup build/release --buildtype=release >/dev/null
fi
ninja -C build/release >/dev/null
CTA=$ROOT/build/release/conntrack-advise
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)

# calc EXPR: floating-point arithmetic, two decimals
calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# measure OUT CMD...: "seconds peak_kib" of CMD into OUT
measure() {
	local out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@"
}

OUTMD=$ROOT/bench/suggest-results.md
{
	echo "# suggest benchmark"
	echo
	echo "Run by \`bench/suggest.sh\` on $(date -u +%Y-%m-%dT%H:%MZ)."
	echo "Machine: $(uname -sr), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM."
	echo
	echo "| flows | session MiB | suggest s | suggest peak MiB | µs/flow | python3 json.load s | ratio suggest/json.load | ruleset bytes | rules | set elements | nft -c -f s |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$OUTMD"

declare -A T M
for n in "${SIZES[@]}"; do
	s=$WORK/s$n.json
	/usr/bin/python3 bench/gen_session.py "$n" >"$s"
	sync
	# best of two: the first run may still meet the generator's writeback
	t=
	for _ in 1 2; do
		measure "$WORK/t" "$CTA" suggest -o "$WORK/r$n.nft" "$s" 2>/dev/null
		read -r t1 m1 <"$WORK/t"
		if [ -z "$t" ] || [ "$(awk "BEGIN { print ($t1 < $t) }")" = 1 ]; then
			t=$t1
			m=$m1
		fi
	done
	measure "$WORK/p" /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$s"
	read -r pt _ <"$WORK/p"
	nftc=-
	if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
		measure "$WORK/n" unshare -n nft -c -f "$WORK/r$n.nft" && read -r nftc _ <"$WORK/n"
	fi
	mib=$(awk -v b="$(stat -c %s "$s")" 'BEGIN {printf "%.0f", b/1048576}')
	rules=$(grep -c ' accept comment "' "$WORK/r$n.nft" || true)
	elems=$(grep -c '^		[^ ].* comment "[0-9]* host' "$WORK/r$n.nft" || true)
	T[$n]=$t
	M[$n]=$m
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$mib" "$t" \
		"$(calc "$m / 1024")" "$(calc "$t * 1000000 / $n")" "$pt" "$(calc "$t / $pt")" \
		"$(stat -c %s "$WORK/r$n.nft")" "$rules" "$elems" "$nftc" >>"$OUTMD"
done

{
	echo
	echo "Commands: \`conntrack-advise suggest -o r.nft s.json\` (release build, best of two runs),"
	echo "\`python3 -c 'import json,sys; json.load(open(sys.argv[1]))' s.json\`,"
	echo "\`unshare -n nft -c -f r.nft\`; time and peak memory by \`/usr/bin/time -f '%e %M'\`."
	big=${SIZES[${#SIZES[@]} - 1]}
	small=${SIZES[0]}
	if [ "$big" != "$small" ]; then
		echo
		printf 'Growth from %s to %s flows: time x%s, memory x%s, for x%s the flows.\n' \
			"$small" "$big" "$(calc "${T[$big]} / ${T[$small]}")" \
			"$(calc "${M[$big]} / ${M[$small]}")" "$((big / small))"
	fi
	if [ -n "${T[1000000]:-}" ]; then
		echo
		ok_t=$(awk "BEGIN { print (${T[1000000]} < 3) }")
		ok_m=$(awk "BEGIN { print (${M[1000000]} < 1048576) }")
		echo "Target, 10^6 flows in under 3 s: $([ "$ok_t" = 1 ] && echo met || echo MISSED) (${T[1000000]} s)."
		echo "Target, under 1 GiB: $([ "$ok_m" = 1 ] && echo met || echo MISSED) ($((M[1000000] / 1024)) MiB)."
	fi
} >>"$OUTMD"
cat "$OUTMD"
