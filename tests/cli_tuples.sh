#!/usr/bin/env bash
# blame --session with tuples as people type them: capitals, arrows, services, port
# words, a subnet as the source, an nft trace line, the reply direction, and a source
# port the recording never saw. No root: a session from tests/data.
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
HEAD='^tcp 198\.51\.100\.7 -> 198\.51\.100\.1:8080  \(forward, 2 connections, assured\)$'
# blame_is TUPLE: answered for the forwarded 8080 flow of the fixture, nothing else
blame_is() {
	"$CTA" blame --session "$S" "$1" >"$TMP/out" 2>"$TMP/err"
	[ $? = 1 ] || fail "'$1': exit status (no verdict in the fixture: 1)"
	grep -qE "$HEAD" "$TMP/out" || fail "'$1' is not answered for the flow: $(cat "$TMP/out" "$TMP/err")"
	[ "$(grep -c ' -> ' "$TMP/out")" = 1 ] || fail "'$1': more than one flow: $(cat "$TMP/out")"
}
blame_is 'TCP 198.51.100.7 -> 198.51.100.1:8080'
blame_is 'tcp 198.51.100.7 → 198.51.100.1:8080'
blame_is 'tcp 198.51.100.7 -> 198.51.100.1 port 8080'
blame_is 'tcp 198.51.100.7:40001 -> 198.51.100.1:http-alt'
blame_is 'tcp 198.51.100.0/24 -> 198.51.100.1:8080'
blame_is 'trace id 9c01f8a6 inet filter forward packet: iif "lan0" oif "wan0" ip saddr 198.51.100.7 ip daddr 198.51.100.1 ip protocol tcp ip length 60 tcp sport 40000 tcp dport 8080 tcp flags == syn'
grep -q 'not seen' "$TMP/out" && fail "port 40000 was recorded, yet 'not seen'"
# a subnet answers for every flow in it: 198.51.100.7 and .8 have several in the fixture
n=$("$CTA" -j flows "$S" | /usr/bin/python3 -c 'import json,sys; print(sum(1 for f in json.load(sys.stdin)["flows"] if f["orig"]["src"].startswith("198.51.100.") and f["orig"].get("dport") == 443))')
[ "$n" -gt 1 ] || fail "the fixture has $n flows from 198.51.100.0/24 to 443"
"$CTA" blame --session "$S" 'tcp 198.51.100.0/24 -> any:443' >"$TMP/out" 2>&1
[ "$(grep -c ' -> .*:443  (' "$TMP/out")" = "$n" ] || fail "subnet: $n flows to 443, answered: $(cat "$TMP/out")"
# a source port after the recording's: answered for the flow, and said
"$CTA" blame --session "$S" 'tcp 198.51.100.7:50000 -> 198.51.100.1:8080' >"$TMP/out"
grep -qE "$HEAD" "$TMP/out" || fail "port 50000: not answered for the flow"
grep -q '^  source port 50000 was not seen: the recorded connections came from ports 40000-40001$' "$TMP/out" ||
	fail "port 50000: not said to be unseen: $(cat "$TMP/out")"
"$CTA" -j blame --session "$S" 'tcp 198.51.100.7:50000 -> 198.51.100.1:8080' |
	grep -q '"sport_seen": false' || fail "-j: no sport_seen false"
# written from the reply's side
"$CTA" blame --session "$S" 'tcp 198.51.100.1:8080 -> 198.51.100.7' >"$TMP/out"
[ $? = 1 ] || fail "reverse: exit status"
grep -q '^tcp 198.51.100.1:8080 -> 198.51.100.7: no recorded flow matches; the reverse direction matches:$' "$TMP/out" ||
	fail "reverse: $(cat "$TMP/out")"
grep -qE "^  tcp 198\.51\.100\.7 -> 198\.51\.100\.1:8080  \(forward" "$TMP/out" || fail "reverse: no flow named"
# the reply's side to a port no connection came from (40000-40001 were): no hint
"$CTA" blame --session "$S" 'tcp 198.51.100.1 -> 198.51.100.7:80' >"$TMP/out"
grep -q "reverse direction" "$TMP/out" && fail "reverse by a port not seen: $(cat "$TMP/out")"
"$CTA" -j blame --session "$S" 'tcp 198.51.100.1:8080 -> 198.51.100.7' >"$TMP/rev.json"
/usr/bin/python3 - "$TMP/rev.json" "$SRC/docs/schema" <<'PY' || fail "reverse -j"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["blame"][0]["reverse"]
assert len(r) == 1 and r[0]["orig"]["dport"] == 8080, r
try:
    import jsonschema, pathlib
    base = pathlib.Path(sys.argv[2])
    store = {json.load(open(p))["$id"]: json.load(open(p)) for p in base.glob("*.json")}
    schema = json.load(open(base / "blame.schema.json"))
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    jsonschema.validate(d, schema, resolver=resolver)
except ImportError:
    pass
PY
# nothing either way
"$CTA" blame --session "$S" 'tcp 192.0.2.99 -> 192.0.2.98:1' >"$TMP/out"
grep -qx 'tcp 192.0.2.99 -> 192.0.2.98:1: no recorded flow matches' "$TMP/out" || fail "no match: $(cat "$TMP/out")"
# a service that does not exist: bad input, with the column
"$CTA" blame --session "$S" 'tcp 198.51.100.7 -> 198.51.100.1:nosuchsvc' 2>"$TMP/err"
[ $? = 2 ] || fail "unknown service: exit status"
grep -q "TUPLE 1:34: 'nosuchsvc' is neither a port nor a service" "$TMP/err" || fail "unknown service: $(cat "$TMP/err")"
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
