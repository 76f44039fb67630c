#!/usr/bin/env bash
# flows' default view (one short aligned line per flow, human units) on the demo's
# session against tests/data/demo-session.flows; -o extended is the long line; -j
# stays exact; sessions of several hosts get a HOST column. No root.
set -u
CTA=${CTA:?CTA must point at the built binary}
SRC=${SRCDIR:?SRCDIR must point at the source tree}
S=$SRC/tests/data/demo-session.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}

"$CTA" flows "$S" >"$TMP/view" || fail "flows"
diff -u "$SRC/tests/data/demo-session.flows" "$TMP/view" || fail "the default view differs from tests/data/demo-session.flows"
# one line per flow after the header, every line's columns starting where the header's do
n=$("$CTA" -j flows "$S" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["flows"]))')
[ "$(($(wc -l <"$TMP/view") - 1))" = "$n" ] || fail "not one line per flow ($n flows)"
/usr/bin/python3 - "$TMP/view" <<'PY' || fail "columns not aligned"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = lines[0]
for col in ("DIR", "SOURCE", "DESTINATION", "VERDICTS", "PROCESS"):
    at = head.index(col)
    for l in lines[1:]:
        assert l[at - 2:at] == "  " and l[at] != " ", (col, l)
for l in lines:
    assert len(l) <= 120, "longer than 120 columns: " + l
    assert not l.endswith(" "), "trailing blank: " + l
PY
grep -q '^tcp  *in  *198\.51\.100\.7  *192\.0\.2\.10:22  *3  *18/12  *6\.7 KiB/6\.4 KiB  *accept 3  *-$' "$TMP/view" ||
	fail "the ssh flow's line: $(grep ':22 ' "$TMP/view")"
# -o extended: the conntrack-like line, exact counts
"$CTA" flows -o extended "$S" >"$TMP/ext" || fail "flows -o extended"
grep -q ' dport=22 packets=18 bytes=6960 .* conns=3 ' "$TMP/ext" || fail "-o extended: $(head -2 "$TMP/ext")"
[ "$(wc -l <"$TMP/ext")" = "$n" ] || fail "-o extended: not one line per flow"
"$CTA" flows --output extended "$S" | cmp -s - "$TMP/ext" || fail "--output extended differs from -o extended"
"$CTA" flows -o wide "$S" 2>"$TMP/err"
[ $? = 2 ] && grep -q "no output format" "$TMP/err" || fail "-o wide: $(cat "$TMP/err")"
# -j is exact whatever the view
"$CTA" -j flows "$S" | grep -q '"orig": 6960' || fail "-j is not exact"
# several hosts: a HOST column
"$CTA" flows "$SRC/tests/data/session-v2.json" >"$TMP/hosts" || fail "flows of a merged session"
head -1 "$TMP/hosts" | grep -q '^HOST  ' || fail "no HOST column: $(head -1 "$TMP/hosts")"
head -1 "$TMP/view" | grep -q '^PROTO ' || fail "a HOST column for one host"
grep -q 'accept 3, reject 2' "$TMP/hosts" || fail "the verdict counts of the rate-limited flow"
# no flows: nothing at all, not even the header
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["flows"]=[]; json.dump(d,open(sys.argv[2],"w"))' "$S" "$TMP/none.json"
[ -z "$("$CTA" flows "$TMP/none.json")" ] || fail "a session without flows printed something"
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
