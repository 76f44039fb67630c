#!/usr/bin/env bash
# graph at scale (3000 flows of bench/gen_session.py): each host is drawn in one box
# (none inside another box), one edge per (from, to, service), and the denied flows
# between two boxes are one red edge whatever their ports.
set -u
CTA=${CTA:?CTA must point at the built binary}
SRC=${SRCDIR:?SRCDIR must point at the source tree}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 "$SRC/bench/gen_session.py" 3000 >"$TMP/s.json" || { echo "FAIL: gen_session"; exit 1; }
"$CTA" graph "$TMP/s.json" >"$TMP/g.dot" || { echo "FAIL: graph"; exit 1; }
/usr/bin/python3 - "$TMP/g.dot" <<'PY'
import ipaddress, re, sys
dot = open(sys.argv[1]).read()
nodes = [ipaddress.ip_network(m) for m in re.findall(r'^\t"peer ([^"]+)" \[label', dot, re.M)]
assert nodes, "no peers"
for a in nodes:
    for b in nodes:
        assert a == b or a.version != b.version or not a.subnet_of(b), f"{a} is drawn inside {b} and apart"
edges = re.findall(r'^\t"([^"]+)" -> "([^"]+)" \[label="([^"]*)"(.*)$', dot, re.M)
keys = [(f, t, l.split("\\n")[0] if "DENIED" not in l else "DENIED") for f, t, l, _ in edges]
assert len(keys) == len(set(keys)), "an edge twice: %s" % [k for k in keys if keys.count(k) > 1][:3]
denied = [k for k in keys if k[2] == "DENIED"]
assert 0 < len(denied) <= 4, denied
assert len(edges) < 30, f"{len(edges)} edges for 3000 flows"
print(f"{len(nodes)} boxes, {len(edges)} edges, {len(denied)} denied")
PY
rc=$?
[ $rc = 0 ] && echo PASS
exit $rc
