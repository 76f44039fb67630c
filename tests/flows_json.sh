#!/usr/bin/env bash
# -j flows is written as it is made: on a session of 10^5 flows its peak memory is
# within twice the text listing's (a tree of every flow took 5.6 times as much), and
# the document is whole (against flows -o extended, one line per flow): one entry per flow, "flows" then "version", an empty list
# as jansson writes it, each flow of several hosts naming its host.
set -u
: "${CTA:?}" "${SRCDIR:?}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}
/usr/bin/python3 "$SRCDIR/bench/gen_session.py" 100000 >"$TMP/s.json" || exit 1
# an ASan build keeps freed memory in quarantine: none, so both peaks are the program's
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
/usr/bin/time -f %M -o "$TMP/text.kib" "$CTA" flows -o extended "$TMP/s.json" >"$TMP/text.out" || fail "flows -o extended"
/usr/bin/time -f %M -o "$TMP/json.kib" "$CTA" -j flows "$TMP/s.json" >"$TMP/json.out" || fail "-j flows"
text=$(tail -1 "$TMP/text.kib")
json=$(tail -1 "$TMP/json.kib")
echo "peak memory: flows $text KiB, -j flows $json KiB"
[ "$json" -le $((2 * text)) ] || fail "-j flows took $json KiB, over twice the text listing's $text KiB"
/usr/bin/python3 - "$TMP/json.out" "$TMP/text.out" <<'PY' || fail "the -j document"
import json, sys
doc = json.load(open(sys.argv[1]))
lines = sum(1 for _ in open(sys.argv[2]))
assert list(doc) == ["flows", "version"], list(doc)
assert doc["version"] == 1
assert len(doc["flows"]) == lines == 100000, (len(doc["flows"]), lines)
PY
# an empty list, and several hosts (each flow names its host)
"$CTA" -j flows "$SRCDIR/tests/data/suggest/empty.json" >"$TMP/empty.out" || fail "empty"
printf '{\n  "flows": [],\n  "version": 1\n}\n' | cmp -s - "$TMP/empty.out" || fail "empty: $(cat "$TMP/empty.out")"
"$CTA" -j flows "$SRCDIR/tests/data/demo-session.json" "$SRCDIR/tests/data/suggest/many.json" |
	/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); assert all("host" in f for f in d["flows"])' ||
	fail "several hosts"
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
