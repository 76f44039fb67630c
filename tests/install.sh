#!/usr/bin/env bash
# meson install into a temporary prefix, then the installed files work: the binary
# runs and finds its templates, the man page renders, the completion loads and
# completes.
set -u
SRC=${SRCDIR:?SRCDIR must point at the source tree}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}

PREFIX=$TMP/prefix
meson setup "$TMP/build" "$SRC" --prefix="$PREFIX" >"$TMP/log" 2>&1 &&
	ninja -C "$TMP/build" conntrack-advise conntrack-advise.8 >>"$TMP/log" 2>&1 &&
	meson install -C "$TMP/build" --no-rebuild --only-changed >>"$TMP/log" 2>&1 ||
	{ cat "$TMP/log"; echo "FAIL: build and install"; exit 1; }

BIN=$PREFIX/sbin/conntrack-advise
[ -x "$BIN" ] || fail "no $BIN"
"$BIN" version | grep -qE '^conntrack-advise [0-9.]+ \+libnftables' || fail "version: $("$BIN" version)"
# the templates come from the data directory (the source tree is not looked at:
# this binary is not in its build tree)
ls "$PREFIX"/share/conntrack-advise/templates/server.nft >/dev/null || fail "templates not installed"
"$BIN" suggest --template router "$SRC/tests/data/suggest/router.json" >"$TMP/r.nft" ||
	fail "installed suggest cannot find its templates"
grep -q "^table inet filter {" "$TMP/r.nft" || fail "no ruleset from the installed binary"
# the man page renders, one section per command
MAN=$PREFIX/share/man/man8/conntrack-advise.8
[ -f "$MAN" ] || fail "no man page at $MAN"
MANWIDTH=80 man -l "$MAN" >"$TMP/man.txt" 2>"$TMP/man.err" || fail "man -l: $(cat "$TMP/man.err")"
for s in NAME SYNOPSIS RECORD FLOWS BLAME SUGGEST REVIEW APPLY GRAPH MERGE VERSION "EXIT STATUS"; do
	grep -q "^$s" "$TMP/man.txt" || fail "man page has no $s section"
done
[ ! -s "$TMP/man.err" ] || fail "man warns: $(cat "$TMP/man.err")"
# the completion: commands, options, formats, template names
COMP=$PREFIX/share/bash-completion/completions/conntrack-advise
[ -f "$COMP" ] || fail "no completion at $COMP"
complete_words() {
	CONNTRACK_ADVISE_TEMPLATES=$PREFIX/share/conntrack-advise/templates bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_conntrack_advise; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}
[ "$(complete_words conntrack-advise sugg)" = suggest ] || fail "command completion"
[ "$(complete_words conntrack-advise suggest --format ip6 | tr '\n' ' ')" = "ip6tables " ] ||
	fail "format completion"
complete_words conntrack-advise suggest --template "" | grep -qx router || fail "template completion"
complete_words conntrack-advise record --tr | grep -qx -- --trace || fail "option completion"
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
