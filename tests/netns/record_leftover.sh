#!/usr/bin/env bash
# Connections from before the recording. A TCP connection to port 80 closed before it
# (its conntrack entry left in TIME_WAIT), then a ruleset that drops port 80: the
# start-up dump finds the entry, and nothing of it passes while recording. suggest
# must make no rule of it and review must not call it a flow that has to keep working
# (before, suggest allowed tcp/80 and review said ok). Connections open at the start
# that carry packets while recording are evidence as before: an established one (443)
# and a half-closed one whose server still sends and then closes (8443).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
A() { ip netns exec "$CLA" "$@"; }
PYL=$PY

# counters from the start, as on a host that had nf_conntrack_acct set already
S sysctl -qw net.netfilter.nf_conntrack_acct=1
S nft -f - <<'NFT' || fail "the old ruleset"
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport { 22, 80, 443, 8443 } accept
	}
}
NFT

# 8443: reads until the client's FIN, waits for $TMP/go, then sends and closes
(S "$PYL" - "$TMP/go" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.10", 8443))
s.listen(1)
c, _ = s.accept()
while c.recv(100):
    pass
for _ in range(300):
    if os.path.exists(sys.argv[1]):
        break
    time.sleep(0.05)
c.sendall(b"x" * 1000)
c.close()
PY
)
sleep 0.3

# the old connection: an exchange to port 80, closed; its entry stays in TIME_WAIT
A "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.7 || fail "tcp 80 before the recording"
# open at the start, carrying packets while recording (until $TMP/go)
(A "$PYL" - "$TMP/go" >"$TMP/est.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("192.0.2.10", 443), source_address=("198.51.100.7", 0))
s.sendall(b"hello"); s.recv(100)
for _ in range(300):
    if os.path.exists(sys.argv[1]):
        break
    time.sleep(0.05)
s.sendall(b"again"); print("ok" if s.recv(100) else "no echo")
s.close()
PY
)
# half-closed at the start: the client sent its FIN; the server still sends, later
(A "$PYL" - >"$TMP/half.out" 2>&1 <<'PY' &
import socket
s = socket.create_connection(("192.0.2.10", 8443), source_address=("198.51.100.8", 0))
s.sendall(b"request")
s.shutdown(socket.SHUT_WR)
n = 0
while True:
    b = s.recv(4096)
    if not b:
        break
    n += len(b)
print(n)
PY
)
sleep 0.5
S conntrack -L -p tcp --dport 80 2>/dev/null | grep -q TIME_WAIT ||
	fail "no TIME_WAIT entry for port 80 before the recording: $(S conntrack -L 2>&1)"
S conntrack -L -p tcp --dport 443 2>/dev/null | grep -q ESTABLISHED ||
	fail "no established connection to 443 before the recording"
S conntrack -L -p tcp --dport 8443 2>/dev/null | grep -qE 'CLOSE_WAIT|FIN_WAIT' ||
	fail "no half-closed connection to 8443 before the recording: $(S conntrack -L 2>&1)"

# the ruleset now: port 80 is dropped
S nft -f - <<'NFT' || fail "the new ruleset"
flush table inet fw
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport { 22, 443, 8443 } accept
	}
}
NFT

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" --checkpoint-interval 1 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "tcp 22 while recording"
touch "$TMP/go"
sleep 2.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
grep -qx ok "$TMP/est.out" || fail "the established connection: $(cat "$TMP/est.out")"
grep -qx 1000 "$TMP/half.out" || fail "the half-closed connection: $(cat "$TMP/half.out")"
schema_ok session.schema.json "$TMP/s.json"

"$PY" - "$TMP/s.json" <<'PY' || fail "the session's flows"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 5, d["version"]
by = {f["orig"]["dport"]: f for f in d["flows"] if f["protocol"] == "tcp"}
f = by.get(80)
assert f and f["connections"] == 1 and f.get("leftover") == 1, f
assert f["state"] == "unreplied" and f["packets"] == {"orig": 0, "reply": 0}, f
assert "verdicts" not in f, f
for port in (22, 443, 8443):
    f = by.get(port)
    assert f and f["connections"] == 1 and "leftover" not in f, (port, f)
    assert f["state"] == "assured" and f["packets"]["orig"] > 0, (port, f)
PY
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows.ext"
expect_line "$TMP/flows.ext" "dport=80 .* conns=1 leftover=1 "
expect_line "$TMP/flows.ext" "leftover=" 1
"$CTA" blame --session "$TMP/s.json" 'tcp 198.51.100.7 -> 192.0.2.10:80' >"$TMP/blame.out"
expect_line "$TMP/blame.out" "^  leftover: 1 of its connections was already closing"

"$CTA" suggest -o "$TMP/r.nft" "$TMP/s.json" 2>"$TMP/sug.err" || fail "suggest: $(cat "$TMP/sug.err")"
cat "$TMP/r.nft"
grep -v '^\s*#' "$TMP/r.nft" | grep -E 'dport .*\b80\b' && fail "suggest allows tcp/80"
grep -v '^\s*#' "$TMP/r.nft" | grep -qE 'dport .*\b443\b' || fail "suggest does not allow tcp/443"
grep -v '^\s*#' "$TMP/r.nft" | grep -qE 'dport .*\b8443\b' || fail "suggest does not allow tcp/8443"
grep -v '^\s*#' "$TMP/r.nft" | grep -qE 'dport .*\b22\b' || fail "suggest does not allow tcp/22"
expect_line "$TMP/r.nft" "^#   1 leftover \(closing when the recording began"

S "$CTA" review "$TMP/r.nft" --session "$TMP/s.json" >"$TMP/rev.out" 2>"$TMP/rev.err"
rc=$?
cat "$TMP/rev.out"
[ $rc = 0 ] || fail "review: exit $rc: $(cat "$TMP/rev.err")"
expect_line "$TMP/rev.out" "^  not judged +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:80 .*leftover: closing when"
expect_line "$TMP/rev.out" "^  ok .*192\.0\.2\.10:80 " 0
expect_line "$TMP/rev.out" "^  ok .*192\.0\.2\.10:443 "
expect_line "$TMP/rev.out" "^  ok .*192\.0\.2\.10:8443 "
S "$CTA" -j review "$TMP/r.nft" --session "$TMP/s.json" >"$TMP/rev.json" 2>/dev/null
"$PY" - "$TMP/rev.json" <<'PY' || fail "review -j"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
f = [f for f in r["flows"] if f["flow"].endswith(":80")]
assert len(f) == 1, r["flows"]
f = f[0]
assert f["leftover"] and not f["worked"] and f["change"] == "not judged", f
assert "candidate" not in f, f
assert r["summary"]["breaks"] == 0, r["summary"]
PY

# a candidate that drops 8443 breaks the half-closed connection's flow, as any other
grep -v 'dport .*8443' "$TMP/r.nft" >"$TMP/no8443.nft"
S "$CTA" review "$TMP/no8443.nft" --session "$TMP/s.json" >"$TMP/no8443.out" 2>&1
[ $? = 1 ] || fail "review without 8443 does not break it: $(cat "$TMP/no8443.out")"
expect_line "$TMP/no8443.out" "^  BREAKS +tcp 198\.51\.100\.8:[0-9]+ -> 192\.0\.2\.10:8443 "
no_own_table "$SRV"
finish
