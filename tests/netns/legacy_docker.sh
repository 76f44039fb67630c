#!/usr/bin/env bash
# Docker's rules on iptables-legacy and ip6tables-legacy (tests/data/legacy/docker.rules
# and docker6.rules): a container 192.0.2.2 and 2001:db8:c::2 behind docker0, port 8080
# published (DNAT to port 80 of the container), FORWARD policy DROP, 198.51.100.8 and
# 2001:db8:a::8 blocked in DOCKER-USER. The published connection is decided by DOCKER's
# accept with nat's DNAT on its path; the blocked client by DOCKER-USER's DROP; an
# unpublished port by FORWARD's policy, in the session and live; review --live says
# that policy decided; review of ip6tables candidates replayed through Docker's nat;
# apply rolls back; the rules and the nf_log bindings are as they were afterwards.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/legacy_lib.sh"
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
ip netns exec "$CT" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip -n "$SRV" link add docker0 type veth peer name eth0 netns "$CT"
ip -n "$SRV" addr add 192.0.2.1/24 dev docker0
ip -n "$SRV" addr add 2001:db8:c::1/64 dev docker0 nodad
ip -n "$CT" addr add 192.0.2.2/24 dev eth0
ip -n "$CT" addr add 2001:db8:c::2/64 dev eth0 nodad
ip -n "$SRV" link set docker0 up
ip -n "$CT" link set eth0 up
ip -n "$CT" route add default via 192.0.2.1
ip -n "$CT" route add default via 2001:db8:c::1
ip -n "$CLA" route add 192.0.2.2/32 via 198.51.100.1
ip -n "$CLA" route add 2001:db8:c::2/128 via 2001:db8:a::1
S sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
(ip netns exec "$CT" "$CTALAB" serve tcp 80 60 &)
(ip netns exec "$CT" "$CTALAB" serve tcp 81 60 &)
sleep 0.3
ip netns exec "$CT" ping -c1 -W1 -q 192.0.2.1 >/dev/null || fail "container link"
ip netns exec "$CT" ping -c1 -W1 -q 2001:db8:c::1 >/dev/null || fail "container link (IPv6)"
# every neighbour known before the rules load: a SYN-ACK held back by neighbour
# discovery makes the client send its SYN again, a traced packet of its own
for a in 2001:db8:c::2 2001:db8:a::7 2001:db8:a::8; do S ping -c1 -W1 -q "$a" >/dev/null; done
S iptables-legacy-restore <"$DATA/docker.rules" || fail "iptables-legacy-restore"
S ip6tables-legacy-restore <"$DATA/docker6.rules" || fail "ip6tables-legacy-restore"
saved() { S iptables-legacy-save | grep -v '^#'; S ip6tables-legacy-save | grep -v '^#'; }
saved | sed 's/\[[0-9]*:[0-9]*\]//' >"$TMP/rules.before"
bindings >"$TMP/nflog.before"

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
C send tcp 198.51.100.1 8080 -s 198.51.100.7 || fail "published port"
C probe tcp 198.51.100.1 8080 -s 198.51.100.8 && fail "blocked client connected"
C probe tcp 192.0.2.2 81 -s 198.51.100.7 && fail "unpublished port connected"
C send tcp 2001:db8:a::1 8080 -s 2001:db8:a::7 || fail "published port (IPv6)"
C probe tcp 2001:db8:a::1 8080 -s 2001:db8:a::8 && fail "blocked client connected (IPv6)"
C probe tcp 2001:db8:c::2 81 -s 2001:db8:a::7 && fail "unpublished port connected (IPv6)"
sleep 3
kill -INT $rec
wait $rec || fail "record exited $?: $(cat "$TMP/rec.err")"
schema_ok session.schema.json "$TMP/s.json"

# check JSON VERDICT TYPE FAMILY CHAIN RULE_NUM TEXT_PART STAGES...
check() {
	"$PY" - "$@" <<'PY' || fail "blame: $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
verdict, typ, family, chain, num, part = sys.argv[2:8]
assert e["verdict"] == verdict and e["type"] == typ and e["legacy"], e
assert e["family"] == family and e["table"] == "filter" and e["chain"] == chain, e
if typ == "rule":
    assert e["rule_num"] == int(num) and part in e["rule"], e
stages = ["%s/%s" % (s["table"], s["chain"]) for s in e["path"] if s.get("legacy")]
assert stages == sys.argv[8:], stages
assert all(s["family"] == family for s in e["path"] if s.get("legacy")), e["path"]
PY
}
blame() {
	local t=$1
	shift
	"$CTA" -j blame --session "$TMP/s.json" "$t" >"$TMP/b.json" || fail "blame '$t' exited $?"
	check "$TMP/b.json" "$@"
	schema_ok blame.schema.json "$TMP/b.json"
}
blame "tcp 198.51.100.7 -> 198.51.100.1:8080" accept rule ip DOCKER 1 "--dport 80 -j ACCEPT" \
	nat/PREROUTING filter/FORWARD nat/POSTROUTING
blame "tcp 198.51.100.8 -> 198.51.100.1:8080" drop rule ip DOCKER-USER 1 "-s 198.51.100.8/32 -j DROP" \
	nat/PREROUTING filter/FORWARD
blame "tcp 198.51.100.7 -> 192.0.2.2:81" drop policy ip FORWARD 0 "" \
	nat/PREROUTING filter/FORWARD
blame "tcp [2001:db8:a::7] -> [2001:db8:a::1]:8080" accept rule ip6 DOCKER 1 \
	"-d 2001:db8:c::2/128 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT" \
	nat/PREROUTING filter/FORWARD nat/POSTROUTING
blame "tcp [2001:db8:a::8] -> [2001:db8:a::1]:8080" drop rule ip6 DOCKER-USER 1 \
	"-A DOCKER-USER -s 2001:db8:a::8/128 -j DROP" nat/PREROUTING filter/FORWARD
blame "tcp [2001:db8:a::7] -> [2001:db8:c::2]:81" drop policy ip6 FORWARD 0 "" \
	nat/PREROUTING filter/FORWARD
# the DNAT is a step on the path, with its rule
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 198.51.100.1:8080" >"$TMP/b.txt"
expect_line "$TMP/b.txt" "DOCKER rule 2: .*-j DNAT --to-destination 192.0.2.2:80  ->  dnat"
"$CTA" blame --session "$TMP/s.json" "tcp [2001:db8:a::7] -> [2001:db8:a::1]:8080" >"$TMP/b.txt"
expect_line "$TMP/b.txt" "DOCKER rule 2: .*-j DNAT --to-destination \[2001:db8:c::2\]:80  ->  dnat"
expect_line "$TMP/b.txt" "verdict: accept, by rule 1 of ip6tables-legacy filter DOCKER: -A DOCKER -d 2001:db8:c::2/128 "
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows.txt"
expect_line "$TMP/flows.txt" "src=2001:db8:a::8 .*dport=8080 .*verdict=drop by=ip6tables-legacy/filter/DOCKER-USER/1"

# live: TUPLE, then the client's command; the check's arguments after it
live "tcp 198.51.100.8 -> 198.51.100.1:8080" probe tcp 198.51.100.1 8080 -s 198.51.100.8
check "$TMP/live.json" drop rule ip DOCKER-USER 1 "-s 198.51.100.8/32 -j DROP" \
	nat/PREROUTING filter/FORWARD
live "tcp [2001:db8:a::8] -> [2001:db8:a::1]:8080" probe tcp 2001:db8:a::1 8080 -s 2001:db8:a::8
check "$TMP/live.json" drop rule ip6 DOCKER-USER 1 "-s 2001:db8:a::8/128 -j DROP" \
	nat/PREROUTING filter/FORWARD
live "tcp [2001:db8:a::7] -> [2001:db8:c::2]:81" probe tcp 2001:db8:c::2 81 -s 2001:db8:a::7
check "$TMP/live.json" drop policy ip6 FORWARD 0 "" nat/PREROUTING filter/FORWARD

S "$CTA" -j review --live --session "$TMP/s.json" >"$TMP/r.json" || fail "review --live"
"$PY" - "$TMP/r.json" <<'PY' || fail "review --live: $(cat "$TMP/r.json")"
import json, sys
f = json.load(open(sys.argv[1]))["review"]["findings"]
pol = sorted((x["family"], x["table"], x["chain"]) for x in f if x["kind"] == "policy" and x.get("legacy"))
assert pol == [("ip", "filter", "FORWARD"), ("ip6", "filter", "FORWARD")], pol
un = [(x["family"], x["table"], x["chain"], x["rule_num"]) for x in f if x["kind"] == "unreached"]
for fam in ("ip", "ip6"):
    assert (fam, "nat", "DOCKER", 1) not in un and (fam, "nat", "DOCKER", 2) not in un
    assert (fam, "filter", "DOCKER", 1) not in un, un
    assert (fam, "filter", "DOCKER-USER", 1) not in un, un
    assert (fam, "filter", "DOCKER-ISOLATION-STAGE-2", 1) in un, un
PY

# review of ip6tables candidates: the server template replaces Docker's filter table
# and breaks the published port (FORWARD's policy); the router template allows it by
# its own DNAT rule; apply of that rolls back without confirmation, nat untouched
"$CTA" suggest --format ip6tables -o "$TMP/server.v6" "$TMP/s.json" 2>/dev/null ||
	fail "suggest ip6tables"
"$CTA" suggest --format ip6tables --template router -o "$TMP/router.v6" "$TMP/s.json" ||
	fail "suggest ip6tables --template router"
review "$TMP/server.v6" 1
"$PY" - "$TMP/r.json" <<'PY' || fail "review server.v6: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["tables"] == ["ip6tables-legacy filter"], r["tables"]
bad = [f for f in r["flows"] if f["change"] != "ok"]
assert [f["flow"].split(" -> ")[1] for f in bad] == ["[2001:db8:a::1]:8080"], bad
c = bad[0]["candidate"]
assert c["verdict"] == "drop" and c["type"] == "policy" and c["family"] == "ip6", c
assert c["legacy"] and c["table"] == "filter" and c["chain"] == "FORWARD", c
PY
review "$TMP/router.v6" 0
"$PY" - "$TMP/r.json" <<'PY' || fail "review router.v6: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert all(f["change"] == "ok" for f in r["flows"]), r["flows"]
pub = [f for f in r["flows"] if f["flow"].startswith("tcp [2001:db8:a::7]") and f["flow"].endswith(":8080")][0]
c = pub["candidate"]
assert c["verdict"] == "accept" and c["family"] == "ip6" and c["chain"] == "FORWARD", c
assert "-d 2001:db8:c::2/128" in c["rule"] and "--ctstate DNAT" in c["rule"], c
stages = ["%s/%s" % (s["table"], s["chain"]) for s in c["path"]]
assert stages == ["nat/PREROUTING", "filter/FORWARD", "nat/POSTROUTING"], stages
PY
sleep 4 | script -qec "ip netns exec $SRV $CTA apply $TMP/router.v6 --confirm-timeout 2 --backup $TMP/b.v6" /dev/null >"$TMP/out" 2>&1
grep -q 'previous tables are back' "$TMP/out" || fail "no rollback: $(cat "$TMP/out")"
grep -q '^:DOCKER-USER' "$TMP/b.v6" || fail "backup: $(cat "$TMP/b.v6")"

legacy_unchanged
no_own_table "$SRV"
finish
