#!/usr/bin/env bash
# The flow map in a real browser: graph --format svg of the demo session, rendered by
# headless Chromium to a PNG, which must show the drawing: boxes and text, and the
# denied flows' red dashed edges.
set -u
: "${CTA:?}" "${SRCDIR:?}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# the command line first: DOT always, errors with exit 2
"$CTA" graph "$SRCDIR/tests/data/demo-session.json" | grep -q '^digraph flows {' ||
	{ echo "FAIL: graph prints no DOT"; exit 1; }
"$CTA" graph --format png "$SRCDIR/tests/data/demo-session.json" 2>/dev/null
[ $? = 2 ] || { echo "FAIL: --format png: exit status not 2"; exit 1; }
"$CTA" graph 2>/dev/null
[ $? = 2 ] || { echo "FAIL: no SESSION: exit status not 2"; exit 1; }
if ! "$CTA" version | grep -q '+graphviz'; then
	echo "SKIP: this build has no Graphviz library (scripts/deps installs libgraphviz-dev)"
	exit 77
fi
if ! command -v chromium >/dev/null; then
	echo "SKIP: no chromium (scripts/deps installs it)"
	exit 77
fi
"$CTA" graph --format svg -o "$TMP/flows.svg" "$SRCDIR/tests/data/demo-session.json" ||
	{ echo "FAIL: graph --format svg"; exit 1; }
grep -q '<svg' "$TMP/flows.svg" || { echo "FAIL: not an SVG"; exit 1; }
grep -q 'DENIED tcp 23' "$TMP/flows.svg" || { echo "FAIL: the denied flow is not in the SVG"; exit 1; }
# HOME: chromium wants a profile directory it can write
HOME=$TMP timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$TMP/profile" --window-size=1100,700 \
	--screenshot="$TMP/flows.png" "file://$TMP/flows.svg" >"$TMP/chromium.log" 2>&1
[ -s "$TMP/flows.png" ] || { cat "$TMP/chromium.log"; echo "FAIL: no screenshot"; exit 1; }
/usr/bin/python3 "$SRCDIR/tests/tools/check_png.py" "$TMP/flows.png" 10000 1000 100 ||
	{ echo "FAIL: the screenshot shows no graph"; exit 1; }
echo PASS
