#!/usr/bin/env bash
# record --events: one JSON line per connection start and end, which agrees with the
# session: as many starts as the flow has connections, and the ends' counters add up
# to the flow's.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" --events "$TMP/ev.jsonl" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A() { ip netns exec "$CLA" "$@"; }
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 3 -b 1000 || fail "tcp 22"
A "$CTALAB" send udp 2001:db8::10 53 -s 2001:db8:a::7 -n 2 || fail "udp6 53"
sleep 0.3
# end the TCP connections now (they would sit in TIME_WAIT for minutes): DESTROY events
ip netns exec "$SRV" conntrack -D -p tcp --dport 22 >/dev/null 2>&1 || fail "conntrack -D"
sleep 0.5
kill -INT $rec
wait $rec || fail "record failed"

[ -s "$TMP/ev.jsonl" ] || fail "no events written"
schema_ok event.schema.json "$TMP/ev.jsonl"
"$PY" - "$TMP/s.json" "$TMP/ev.jsonl" <<'PYEOF' || fail "events and session disagree"
import json, sys
session = json.load(open(sys.argv[1]))
events = [json.loads(line) for line in open(sys.argv[2])]
def flow(proto, dport, src):
    for f in session["flows"]:
        if f["protocol"] == proto and f["orig"].get("dport") == dport and f["orig"]["src"] == src:
            return f
    raise SystemExit("no flow %s %s from %s in the session" % (proto, dport, src))
def mine(e, proto, dport, src):
    return e["protocol"] == proto and e["orig"].get("dport") == dport and e["orig"]["src"] == src
ok = True
for proto, dport, src in (("tcp", 22, "198.51.100.7"), ("udp", 53, "2001:db8:a::7")):
    f = flow(proto, dport, src)
    starts = [e for e in events if e["event"] == "start" and mine(e, proto, dport, src)]
    print("%s %d from %s: %d starts, %d connections" % (proto, dport, src, len(starts), f["connections"]))
    ok &= len(starts) == f["connections"]
    ok &= all(e["direction"] == "in" and e["host"] == session["host"]["hostname"] for e in starts)
tcp = flow("tcp", 22, "198.51.100.7")
ends = [e for e in events if e["event"] == "end" and mine(e, "tcp", 22, "198.51.100.7")]
sent = sum(e["bytes"]["orig"] for e in ends)
print("tcp 22 ends: %d, orig bytes %d, session %d" % (len(ends), sent, tcp["bytes"]["orig"]))
ok &= len(ends) == 3 and sent == tcp["bytes"]["orig"]
# each start and its end carry the same conntrack id
ok &= sorted(e["id"] for e in ends) == sorted(e["id"] for e in events
                                               if e["event"] == "start" and mine(e, "tcp", 22, "198.51.100.7"))
sys.exit(0 if ok else 1)
PYEOF

# '-' needs -o (stdout carries the session otherwise): exit 2
ip netns exec "$SRV" "$CTA" record -d 1 --events - >/dev/null 2>"$TMP/err"
[ $? = 2 ] || fail "--events - without -o: exit status not 2"
# to stdout beside a session file; a reader that goes away does not stop the recording
ip netns exec "$SRV" "$CTA" -q record -d 2 -o "$TMP/s2.json" --events - | head -c 0
[ "${PIPESTATUS[0]}" = 0 ] || fail "record stopped when its events reader went away"
grep -q '"complete": true' "$TMP/s2.json" || fail "no complete session beside --events -"
finish
