#!/usr/bin/env bash
# Global options before or after the command word: -j, --json, -q, -v, bundled; a
# "--" ends them. No root, no kernel: sessions from tests/data.
set -u
CTA=${CTA:?CTA must point at the built binary}
SRC=${SRCDIR:?SRCDIR must point at the source tree}
S=$SRC/tests/data/suggest/router.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}
is_json() {
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"] == 1' 2>/dev/null
}

"$CTA" -j flows "$S" >"$TMP/ref.json" || fail "-j flows"
for args in "flows -j $S" "flows $S -j" "flows $S --json" "flows --json $S" "flows -jq $S" \
	"-q flows -j $S" "flows -vj $S"; do
	# shellcheck disable=SC2086
	"$CTA" $args >"$TMP/out.json" 2>"$TMP/err" || fail "'$args' failed: $(cat "$TMP/err")"
	cmp -s "$TMP/ref.json" "$TMP/out.json" || fail "'$args' is not what -j flows prints"
done
"$CTA" version -j | is_json || fail "version -j"
"$CTA" blame -j --session "$S" 'tcp 198.51.100.7 -> 198.51.100.1:8080' | is_json || fail "blame -j"
"$CTA" blame --session "$S" 'tcp 198.51.100.7 -> 198.51.100.1:8080' --json | is_json || fail "blame ... --json"
# one recording: a second --session is refused, not read instead of the first
"$CTA" blame --session "$S" --session "$S" 'tcp any -> any:22' >/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 2 ] && grep -q -- '--session given twice' "$TMP/err" ||
	fail "blame --session twice: exit $rc, $(cat "$TMP/err")"
# a merged session: blame and suggest say which hosts (helper-57)
"$CTA" merge -q -o "$TMP/m2.json" "$SRC/tests/data/suggest/v4.json" "$SRC/tests/data/demo-session.json" ||
	fail "merge of two hosts"
"$CTA" blame --session "$TMP/m2.json" 'tcp any -> any:22' >"$TMP/b2" || fail "blame of a merged session"
grep -qx '  host: fixture' "$TMP/b2" && grep -qx '  host: vm' "$TMP/b2" || fail "blame names no host: $(cat "$TMP/b2")"
"$CTA" -j blame --session "$TMP/m2.json" 'tcp any -> any:22' |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert {e["host"] for e in d["blame"]} == {"fixture", "vm"}, d' ||
	fail "blame -j names no host"
"$CTA" suggest "$TMP/m2.json" | grep -q '^# Session: merged, hosts fixture, vm, ' || fail "suggest header of a merged session"
# -q after the command: record's usage errors still speak, its options parse
"$CTA" record -q --rotate 1d 2>"$TMP/err" && fail "record -q --rotate without -o succeeded"
grep -q 'needs -o' "$TMP/err" || fail "record -q: $(cat "$TMP/err")"
"$CTA" record -q --help | grep -q '^Usage: conntrack-advise record' || fail "record -q --help"
# --trace-rate: a number of flows a second, 0 to 1000000; else a usage error (2)
for v in x -1 1000001 ''; do
	"$CTA" record --trace-rate "$v" 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] && grep -q -- "--trace-rate: '$v' is not a number of flows a second" "$TMP/err" ||
		fail "record --trace-rate '$v': exit $rc, $(cat "$TMP/err")"
done
for m in all none; do
	"$CTA" record --trace "$m" --trace-rate 5 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] && grep -q -- "--trace-rate: a budget of --trace new" "$TMP/err" ||
		fail "record --trace $m --trace-rate 5: exit $rc, $(cat "$TMP/err")"
done
# every command's --help and -h print its usage (the hint of a usage error names it)
for c in record flows blame suggest review apply graph merge version help; do
	for h in --help -h; do
		"$CTA" $c $h 2>"$TMP/err" | grep -q "^Usage: conntrack-advise.* $c" ||
			fail "$c $h: $(cat "$TMP/err")"
	done
done
# a merge of one session with -q says nothing on stderr; without it, its summary
"$CTA" merge "$S" -o "$TMP/m.json" 2>"$TMP/err" && grep -q 'merge: ' "$TMP/err" || fail "merge summary"
"$CTA" merge -q "$S" -o "$TMP/m.json" 2>"$TMP/err" && [ ! -s "$TMP/err" ] || fail "merge -q: $(cat "$TMP/err")"
# after "--" nothing is an option: '-j' is a file name here
"$CTA" flows -- -j 2>"$TMP/err" && fail "flows -- -j read a session"
grep -q -- '-j' "$TMP/err" || fail "flows -- -j: $(cat "$TMP/err")"
# not every letter bundles: -x stays the command's (and is refused by it)
"$CTA" flows -jx "$S" >/dev/null 2>&1 && fail "flows -jx accepted"
# one flow is "1 flow", not "1 flows" (merge's summary, suggest's header)
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["flows"]=d["flows"][:1]; json.dump(d,open(sys.argv[2],"w"))' "$S" "$TMP/one.json"
"$CTA" merge "$TMP/one.json" -o "$TMP/m1.json" 2>"$TMP/err" || fail "merge one"
grep -q 'merge: 1 flow of 1 host from 1 session$' "$TMP/err" || fail "merge, one flow: $(cat "$TMP/err")"
"$CTA" suggest "$TMP/one.json" 2>/dev/null | grep -q '^# Session: host .*, 1 flow$' || fail "suggest header, one flow"
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
