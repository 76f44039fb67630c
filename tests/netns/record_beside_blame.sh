#!/usr/bin/env bash
# `blame --live` while record runs (the man page says it can): blame's own table,
# conntrack_advise_blame, marks the packets of its tuple at -350 with a base chain of
# its own. record took that chain for one of the host's: the flow got a second
# verdict, `accept by=none-would-drop`, whose path was blame's chain alone (helper-52,
# kube-proxy layout); and blame listed record's chains in its path. Each tool now takes
# every table of the tool's (conntrack_advise*) as its own: no step, no stage, no
# decider.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "ruleset"
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		tcp dport 80 accept
		tcp dport 22 accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$SRV" "$CTA" -q -j blame --live --timeout 10s 'tcp 198.51.100.7 -> 198.51.100.1:80' \
	>"$TMP/live.json" 2>"$TMP/live.err" &
b=$!
wait_blame_table || fail "blame --live made no table"
for _ in 1 2 3; do
	ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 80 >/dev/null 2>&1 || fail "connect to 80"
done
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 22 >/dev/null 2>&1 || fail "connect to 22"
wait $b || fail "blame --live exited $?: $(cat "$TMP/live.err")"
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
cat "$TMP/flows"
# one verdict per flow, the accept rule's
expect_line "$TMP/flows" "dport=80 .*conns=3 .* verdict=accept by=inet/filter/input/[0-9]+$"
expect_line "$TMP/flows" "dport=22 .* verdict=accept by=inet/filter/input/[0-9]+$"
expect_line "$TMP/flows" "none-would-drop" 0
"$PY" - "$TMP/s.json" "$TMP/live.json" <<'PY' || fail "a table of the tool's in a path"
import json, sys
s = json.load(open(sys.argv[1]))
for f in s["flows"]:
    for v in f.get("verdicts", []):
        for st in v["verdict"].get("path", []):
            assert not st["table"].startswith("conntrack_advise"), (f["orig"], st)
live = json.load(open(sys.argv[2]))
text = json.dumps(live)
assert "conntrack_advise" not in text, text
assert '"accept"' in text, text
PY
finish
