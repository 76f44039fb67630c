#!/usr/bin/env bash
# The bash completion from the source tree, with bash-completion's helpers loaded (as
# a shell has them) and without: commands, options after the command, record's long
# options, any file for review and apply (a ruleset is often /etc/nftables.conf).
set -u
SRC=${SRCDIR:?SRCDIR must point at the source tree}
COMP=$SRC/completions/conntrack-advise.bash
BC=/usr/share/bash-completion/bash_completion
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}
touch "$TMP/nftables.conf" "$TMP/rules.nft" "$TMP/s.json" "$TMP/notes.txt"
mkdir "$TMP/sessions"

# complete WITH_BC WORD...: the COMPREPLY for the last word, one a line
complete_words() {
	local with=$1
	shift
	(cd "$TMP" && bash -c '
		with=$1 bc=$2 comp=$3; shift 3
		if [ "$with" = 1 ]; then . "$bc"; fi
		. "$comp"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_conntrack_advise conntrack-advise "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$with" "$BC" "$COMP" "$@") | sort
}
modes=(0)
if [ -f "$BC" ]; then
	modes+=(1)
else
	echo "note: no $BC (bash-completion): only the plain bash case is checked"
fi
for with in "${modes[@]}"; do
	w="(bash-completion $with)"
	[ "$(complete_words "$with" conntrack-advise rec)" = record ] || fail "$w command"
	complete_words "$with" conntrack-advise record --ou | grep -qx -- --output || fail "$w record --output"
	complete_words "$with" conntrack-advise record --du | grep -qx -- --duration || fail "$w record --duration"
	complete_words "$with" conntrack-advise record --ro | grep -qx -- --rotate || fail "$w record --rotate"
	[ -z "$(complete_words "$with" conntrack-advise record --duration "")" ] || fail "$w record --duration takes a value, no file"
	complete_words "$with" conntrack-advise record --output "" | grep -qx s.json || fail "$w record --output FILE"
	complete_words "$with" conntrack-advise record --output "" | grep -qx notes.txt && fail "$w record --output offers a non-.json file"
	out=$(complete_words "$with" conntrack-advise review "")
	for f in nftables.conf rules.nft notes.txt; do
		grep -qx "$f" <<<"$out" || fail "$w review: $f not offered ($out)"
	done
	complete_words "$with" conntrack-advise apply nft | grep -qx nftables.conf || fail "$w apply nft -> nftables.conf"
	complete_words "$with" conntrack-advise flows -j | grep -qx -- -j || fail "$w flows -j"
	complete_words "$with" conntrack-advise blame --j | grep -qx -- --json || fail "$w blame --json"
	complete_words "$with" conntrack-advise flows "" | grep -qx s.json || fail "$w flows SESSION"
	complete_words "$with" conntrack-advise -j flows "" | grep -qx s.json || fail "$w -j flows SESSION"
	complete_words "$with" conntrack-advise suggest --format ip6 | grep -qx ip6tables || fail "$w suggest --format"
	[ "$(complete_words "$with" conntrack-advise flows -o "")" = extended ] || fail "$w flows -o extended"
done
# every long option a command's usage names is offered after "--" (helper-57: suggest's
# --replace and --force, apply's --backup-dir were not)
if [ -n "${CTA:-}" ]; then
	for c in record flows blame suggest review apply graph merge; do
		offered=$(complete_words 0 conntrack-advise "$c" --)
		for o in $("$CTA" "$c" --help | sed -n '1,/^$/p' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			grep -qx -- "$o" <<<"$offered" || fail "$c: $o is in its usage, not offered"
		done
	done
fi
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
