#!/usr/bin/env bash
# The layers of docs/design.md, enforced: every #include "…" of the project's own C
# names a header by its path from the top (advisor/model/flow.h, nft/event.h), and
# points down the pipeline, never up or sideways:
#
#   advisor/lib                     buffers, hash index, time, JSON positions, errors
#   nft/ bpf/                       the kernel layer: lib and itself only
#   advisor/model                   flows, hosts, tuples, sessions, rulesets
#   advisor/record                  model + the kernel layer
#   advisor/suggest                 model
#   advisor/review                  model + suggest + the kernel layer + record's
#                                   trace listener (listen.h, trace.h)
#   advisor/cli                     anything
#   tests/ bench/                   anything
#
# Generated headers (config.h, vmlinux.h, procmon.skel.h) and the unit tests' check.h
# are the only bare names. Exit 1 with one line per wrong arrow.
set -uo pipefail
cd "${SRCDIR:-$(dirname "$0")/..}"

# allowed LAYER: the layers a file of LAYER may include (besides its own)
allowed() {
	case $1 in
	advisor/lib) echo "" ;;
	nft | bpf) echo "nft bpf advisor/lib" ;;
	advisor/model) echo "advisor/lib nft/event.h" ;;
	advisor/record) echo "advisor/lib advisor/model nft bpf" ;;
	advisor/suggest) echo "advisor/lib advisor/model nft/event.h" ;;
	advisor/review) echo "advisor/lib advisor/model advisor/suggest nft advisor/record/listen.h advisor/record/trace.h" ;;
	advisor/cli) echo "advisor nft bpf" ;;
	tests | bench) echo "advisor nft bpf tests" ;;
	*) echo "?" ;;
	esac
}

layer_of() {
	case $1 in
	advisor/*/*) echo "${1%/*}" ;;
	nft/* | bpf/* | tests/* | bench/*) echo "${1%%/*}" ;;
	*) echo "?" ;;
	esac
}

bad=0
while IFS= read -r file; do
	layer=$(layer_of "$file")
	if [ "$layer" = "?" ]; then
		echo "layers: $file: not in a layer (advisor/<layer>/, nft/, bpf/, tests/, bench/)"
		bad=$((bad + 1))
		continue
	fi
	ok=$(allowed "$layer")
	while IFS=: read -r line inc; do
		case $inc in
		config.h | vmlinux.h | procmon.skel.h) continue ;;
		check.h) [ "$layer" = tests ] && continue ;;
		esac
		if [ "${inc#*/}" = "$inc" ]; then
			echo "layers: $file:$line: #include \"$inc\": name it by its path from the top"
			bad=$((bad + 1))
			continue
		fi
		if [ ! -f "$inc" ]; then
			echo "layers: $file:$line: #include \"$inc\": no such file"
			bad=$((bad + 1))
			continue
		fi
		target=$(layer_of "$inc")
		[ "$target" = "$layer" ] && continue
		pass=0
		for a in $ok; do
			case $inc in
			"$a" | "$a"/*) pass=1 ;;
			esac
		done
		if [ $pass = 0 ]; then
			echo "layers: $file:$line: $layer must not include $inc"
			bad=$((bad + 1))
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
		sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1:\2/')
done < <(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '\.bpf\.c$' ||
	find advisor nft bpf tests -name '*.[ch]' ! -name '*.bpf.c')

if [ $bad != 0 ]; then
	echo "layers: $bad include(s) against the layers of docs/design.md"
	exit 1
fi
echo "layers: every include points down the pipeline"
