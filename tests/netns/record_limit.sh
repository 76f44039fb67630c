#!/usr/bin/env bash
# Mixed verdicts (issue 16, case 5): ssh reached through a verdict map, rate-limited by
# a meter that resets what is over the limit; 5 connections from one host, 3 accepted
# and 2 reset. The flow keeps a count per verdict and deciding rule (the session,
# flows, blame, -j), suggest allows the service and says some attempts were denied,
# and review calls a candidate accepting them all "opens" for the reset ones.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet filter {
	chain ssh_in {
		meter ssh_rate { ip saddr limit rate over 2/minute burst 3 packets } counter reject with tcp reset
		accept
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport vmap { 22 : jump ssh_in }
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
cp "$TMP/s.json" "$TMP/first.json"
ok=0
for i in 1 2 3 4 5; do
	ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 22 -s 198.51.100.7 && ok=$((ok + 1))
done
[ "$ok" = 3 ] || fail "the meter let $ok of 5 through, not 3"
sleep 3
kill -INT $rec
wait $rec || fail "record"
S nft list tables | grep -q conntrack_advise && fail "table left behind"
accept=$(S nft -a list chain inet filter ssh_in | sed -n 's/^\t*accept # handle \([0-9]*\)$/\1/p')
meter=$(S nft -a list chain inet filter ssh_in | sed -n 's/.*reject with tcp reset # handle \([0-9]*\)$/\1/p')

"$PY" - "$TMP/s.json" "$accept" "$meter" "$TMP/first.json" <<'PY' || fail "session: $(grep '"dport":22' "$TMP/s.json")"
import json, sys
s = json.load(open(sys.argv[1]))
accept, meter = int(sys.argv[2]), int(sys.argv[3])
assert s["version"] == 5
assert len(s["recording"]["ids"]) == 1 and len(s["recording"]["ids"][0]) == 32, s["recording"]
# the first checkpoint already had the recording's id, and the host its identity
first = json.load(open(sys.argv[4]))
assert first["recording"]["ids"] == s["recording"]["ids"], (first["recording"], s["recording"])
assert len(s["host"]["machine_id"]) == 32 and s["host"]["netns"] > 0, s["host"]
ssh = [f for f in s["flows"] if f["protocol"] == "tcp" and f["orig"]["dport"] == 22]
assert len(ssh) == 1, ssh
vs = ssh[0]["verdicts"]
assert ssh[0]["connections"] == 5, ssh
assert [(v["connections"], v["verdict"]["verdict"], v["verdict"]["handle"]) for v in vs] == \
	[(3, "accept", accept), (2, "reject", meter)], vs
PY
schema_ok session.schema.json "$TMP/s.json"
"$CTA" -j flows "$TMP/s.json" >"$TMP/flows.json" || fail "flows -j"
schema_ok flows.schema.json "$TMP/flows.json"
"$CTA" flows -o extended "$TMP/s.json" | grep -q " verdict=accept by=inet/filter/ssh_in/$accept verdict_conns=3 verdict=reject by=inet/filter/ssh_in/$meter verdict_conns=2" ||
	fail "flows: $("$CTA" flows -o extended "$TMP/s.json")"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:22" >"$TMP/b.txt" || fail "blame"
grep -q "^  3 connections:" "$TMP/b.txt" && grep -q "^  2 connections:" "$TMP/b.txt" &&
	grep -q "verdict: reject, by rule $meter of inet filter ssh_in: .*meter ssh_rate" "$TMP/b.txt" ||
	fail "blame: $(cat "$TMP/b.txt")"
"$CTA" -j blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:22" >"$TMP/b.json" || fail "blame -j"
schema_ok blame.schema.json "$TMP/b.json"
# suggest: a service, allowed, its denied attempts said
"$CTA" suggest "$TMP/s.json" >"$TMP/r.nft" 2>/dev/null || fail "suggest"
grep -q 'tcp dport 22 accept comment ".*2 of them denied' "$TMP/r.nft" || fail "suggest: $(cat "$TMP/r.nft")"
grep -q "allowed though some of their attempts were denied" "$TMP/r.nft" || fail "suggest summary: $(cat "$TMP/r.nft")"
"$CTA" graph "$TMP/s.json" | grep -q "1 of them partly denied" || fail "graph"
# review: the suggestion lets in what the meter reset: "opens", not "ok"
S "$CTA" review "$TMP/r.nft" --session "$TMP/s.json" >"$TMP/rv.out" 2>"$TMP/rv.err"
cat "$TMP/rv.out"
expect_line "$TMP/rv.out" "^  opens +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:22 "
# merging the recording with itself is refused: its counts would double
"$CTA" merge "$TMP/s.json" "$TMP/s.json" -o "$TMP/m.json" 2>"$TMP/m.err"
[ $? = 2 ] || fail "merge s s should exit 2"
grep -q "hold the same recording" "$TMP/m.err" || fail "merge message: $(cat "$TMP/m.err")"
[ -e "$TMP/m.json" ] && fail "merge wrote a doubled session"
finish
