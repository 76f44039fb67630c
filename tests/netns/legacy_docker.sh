#!/usr/bin/env bash
# Docker's rules on iptables-legacy (tests/data/legacy/docker.rules): a container
# 192.0.2.2 behind docker0, port 8080 published (DNAT to 192.0.2.2:80), FORWARD policy
# DROP, 198.51.100.8 blocked in DOCKER-USER. The published connection is decided by
# DOCKER's accept with nat's DNAT on its path; the blocked client by DOCKER-USER's
# DROP; an unpublished port by FORWARD's policy; review --live says that policy decided.
. "$(dirname "$0")/common.sh"
DATA="$HERE/../data/legacy"
CT=$LAB-ct

cleanup_ct() {
	{ ip netns pids "$CT" 2>/dev/null || true; } | xargs -r kill -9 2>/dev/null
	ip netns del "$CT" 2>/dev/null
	cleanup
}
trap cleanup_ct EXIT
lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
C() { ip netns exec "$CLA" "$CTALAB" "$@"; }
ip netns add "$CT" || exit 1
ip -n "$CT" link set lo up
ip -n "$SRV" link add docker0 type veth peer name eth0 netns "$CT"
ip -n "$SRV" addr add 192.0.2.1/24 dev docker0
ip -n "$CT" addr add 192.0.2.2/24 dev eth0
ip -n "$SRV" link set docker0 up
ip -n "$CT" link set eth0 up
ip -n "$CT" route add default via 192.0.2.1
ip -n "$CLA" route add 192.0.2.2/32 via 198.51.100.1
S sysctl -qw net.ipv4.ip_forward=1
(ip netns exec "$CT" "$CTALAB" serve tcp 80 60 &)
(ip netns exec "$CT" "$CTALAB" serve tcp 81 60 &)
sleep 0.3
ip netns exec "$CT" ping -c1 -W1 -q 192.0.2.1 >/dev/null || fail "container link"
S iptables-legacy-restore <"$DATA/docker.rules" || fail "iptables-legacy-restore"
S iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' >"$TMP/rules.before"

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
C send tcp 198.51.100.1 8080 -s 198.51.100.7 || fail "published port"
C probe tcp 198.51.100.1 8080 -s 198.51.100.8 && fail "blocked client connected"
C probe tcp 192.0.2.2 81 -s 198.51.100.7 && fail "unpublished port connected"
sleep 3
kill -INT $rec
wait $rec || fail "record exited $?: $(cat "$TMP/rec.err")"

# check JSON VERDICT TYPE CHAIN RULE_NUM TEXT_PART STAGES...
check() {
	"$PY" - "$@" <<'PY' || fail "blame: $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
verdict, typ, chain, num, part = sys.argv[2:7]
assert e["verdict"] == verdict and e["type"] == typ and e["legacy"], e
assert e["table"] == "filter" and e["chain"] == chain, e
if typ == "rule":
    assert e["rule_num"] == int(num) and part in e["rule"], e
stages = ["%s/%s" % (s["table"], s["chain"]) for s in e["path"] if s.get("legacy")]
assert stages == sys.argv[7:], stages
PY
}
blame() {
	local t=$1
	shift
	"$CTA" -j blame --session "$TMP/s.json" "$t" >"$TMP/b.json" || fail "blame '$t' exited $?"
	check "$TMP/b.json" "$@"
	schema_ok blame.schema.json "$TMP/b.json"
}
blame "tcp 198.51.100.7 -> 198.51.100.1:8080" accept rule DOCKER 1 "--dport 80 -j ACCEPT" \
	nat/PREROUTING filter/FORWARD nat/POSTROUTING
blame "tcp 198.51.100.8 -> 198.51.100.1:8080" drop rule DOCKER-USER 1 "-s 198.51.100.8/32 -j DROP" \
	nat/PREROUTING filter/FORWARD
blame "tcp 198.51.100.7 -> 192.0.2.2:81" drop policy FORWARD 0 "" \
	nat/PREROUTING filter/FORWARD
# the DNAT is a step on the path, with its rule
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 198.51.100.1:8080" >"$TMP/b.txt"
expect_line "$TMP/b.txt" "DOCKER rule 2: .*-j DNAT --to-destination 192.0.2.2:80  ->  dnat"

S "$CTA" -j review --live --session "$TMP/s.json" >"$TMP/r.json" || fail "review --live"
"$PY" - "$TMP/r.json" <<'PY' || fail "review --live: $(cat "$TMP/r.json")"
import json, sys
f = json.load(open(sys.argv[1]))["review"]["findings"]
pol = [x for x in f if x["kind"] == "policy" and x.get("legacy")]
assert [(x["table"], x["chain"]) for x in pol] == [("filter", "FORWARD")], pol
un = [(x["table"], x["chain"], x["rule_num"]) for x in f if x["kind"] == "unreached"]
assert ("nat", "DOCKER", 1) not in un and ("filter", "DOCKER", 1) not in un, un
assert ("filter", "DOCKER-ISOLATION-STAGE-2", 1) in un, un
PY

S iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' >"$TMP/rules.after"
cmp -s "$TMP/rules.before" "$TMP/rules.after" || fail "legacy rules changed"
finish
