#!/usr/bin/env bash
# What the tool writes can hurt nothing: -o (graph, suggest, merge, record) writes
# through character devices and pipes and never replaces them; a symbolic link another
# user planted (here: nobody, in a sticky world-writable directory) is refused by -o
# and by --events, its target untouched; a link of one's own is written through; a
# write error on stdout is exit 2 with the reason, never success.
. "$(dirname "$0")/common.sh"

S=$SRCDIR/tests/data/demo-session.json
M=$SRCDIR/tests/data/suggest/many.json
chmod 755 "$TMP"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# is_chr PATH WHAT: PATH is still a character device
is_chr() { [ -c "$1" ] && [ ! -L "$1" ] || fail "$2: $1 is no longer a character device"; }

# devices made here (never /dev's own: the unfixed tool would replace them)
mknod "$TMP/full" c 1 7
mknod "$TMP/null" c 1 3
run_o() { # WHAT OUTPUT: the command line of WHAT with -o OUTPUT
	case $1 in
	graph) "$CTA" graph -o "$2" "$S" ;;
	suggest) "$CTA" suggest -o "$2" "$S" ;;
	merge) "$CTA" merge -o "$2" "$S" "$M" ;;
	record) unshare -n "$CTA" -q record --no-bpf -d 1 -o "$2" ;;
	esac
}
for what in graph suggest merge record; do
	run_o "$what" "$TMP/full" 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] || fail "$what -o full device: exit $rc: $(cat "$TMP/err")"
	grep -q "No space left on device" "$TMP/err" || fail "$what -o full device: $(cat "$TMP/err")"
	is_chr "$TMP/full" "$what"
	run_o "$what" "$TMP/null" 2>"$TMP/err" || fail "$what -o null device: $(cat "$TMP/err")"
	is_chr "$TMP/null" "$what"
	ls "$TMP" | grep -q '\.tmp\.' && fail "$what: a temporary file was left: $(ls "$TMP")"
done

# a FIFO: its reader gets the ruleset, the FIFO stays
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/from-fifo" &
reader=$!
timeout 10 "$CTA" suggest -o "$TMP/fifo" "$S" 2>"$TMP/err" || fail "suggest -o fifo: $(cat "$TMP/err")"
[ -p "$TMP/fifo" ] || { fail "the FIFO was replaced"; kill "$reader" 2>/dev/null; }
wait "$reader"
grep -q '^table inet filter' "$TMP/from-fifo" || fail "the FIFO's reader got no ruleset"

# a sticky world-writable directory; nobody plants links to root's file
mkdir -m 1777 "$TMP/pub"
echo precious >"$TMP/victim"
"${NOBODY[@]}" ln -s "$TMP/victim" "$TMP/pub/out.nft" || fail "nobody cannot make a link"
"${NOBODY[@]}" ln -s "$TMP/victim" "$TMP/pub/events.jsonl"
"$CTA" suggest -o "$TMP/pub/out.nft" "$S" 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "suggest -o through nobody's link: exit $rc"
grep -q "symbolic link that belongs to another user" "$TMP/err" || fail "not said: $(cat "$TMP/err")"
[ -L "$TMP/pub/out.nft" ] || fail "nobody's link was replaced"
unshare -n "$CTA" -q record --no-bpf -d 1 -o "$TMP/rec.json" --events "$TMP/pub/events.jsonl" 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "record --events through nobody's link: exit $rc"
grep -q "symbolic link that belongs to another user" "$TMP/err" || fail "not said: $(cat "$TMP/err")"
[ "$(cat "$TMP/victim")" = precious ] || fail "root wrote through nobody's link: $(head -c 200 "$TMP/victim")"

# a link of one's own: written through, the link stays
ln -s victim "$TMP/mine.nft"
"$CTA" suggest -o "$TMP/mine.nft" "$S" 2>"$TMP/err" || fail "suggest -o own link: $(cat "$TMP/err")"
[ -L "$TMP/mine.nft" ] || fail "own link replaced"
grep -q '^table inet filter' "$TMP/victim" || fail "own link: the target did not get the ruleset"

# stdout: a write error is exit 2 with the reason
for cmd in "flows $S" "-j flows $S" "suggest $S" "version" "-j version" "graph $S"; do
	# shellcheck disable=SC2086
	"$CTA" $cmd >/dev/full 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] || fail "$cmd >/dev/full: exit $rc"
	grep -q "standard output: No space left on device" "$TMP/err" ||
		fail "$cmd >/dev/full: not said: $(cat "$TMP/err")"
done
finish
