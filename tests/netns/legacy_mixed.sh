#!/usr/bin/env bash
# A host with iptables-legacy and nf_tables tables on one hook: nft chains at input
# priority -10 and 10, legacy's filter INPUT at 0 between them. One path, in priority
# order, legacy and nft chains interleaved; a legacy DROP is final; an accepted packet
# is decided by the nft accept of the chain whose policy is drop (IPv4 and IPv6, in the
# session and live); review credits an ip6tables candidate's own rule, apply rolls
# back; the legacy rules and nf_log bindings are as they were afterwards.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/legacy_lib.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
C() { ip netns exec "$CLA" "$CTALAB" "$@"; }
start_servers 60
for a in 2001:db8:a::7 2001:db8:a::8; do S ping -c1 -W1 -q "$a" >/dev/null; done
S nft -f - <<'NFT' || fail "nft -f"
table inet fw {
	chain early { type filter hook input priority -10; policy accept;
		ip saddr 203.0.113.21 drop; }
	chain late { type filter hook input priority 10; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto ipv6-icmp accept
		tcp dport { 22, 80 } accept; }
}
NFT
for ipt in iptables-legacy ip6tables-legacy; do
	S $ipt -A INPUT -p tcp --dport 80 -m conntrack --ctstate NEW -m comment --comment blocked \
		-s "$([ $ipt = iptables-legacy ] && echo 198.51.100.8 || echo 2001:db8:a::8)" -j DROP ||
		fail "$ipt"
done
saved() { S iptables-legacy-save | grep -v '^#'; S ip6tables-legacy-save | grep -v '^#'; }
saved | sed 's/\[[0-9]*:[0-9]*\]//' >"$TMP/rules.before"
bindings >"$TMP/nflog.before"

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
C send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh"
C send tcp 192.0.2.10 80 -s 198.51.100.7 || fail "80 from .7"
C probe tcp 192.0.2.10 80 -s 198.51.100.8 && fail "80 from .8 connected"
C send tcp 2001:db8::10 80 -s 2001:db8:a::7 || fail "80 over IPv6"
C probe tcp 2001:db8::10 80 -s 2001:db8:a::8 && fail "80 from ::8 connected"
sleep 3
kill -INT $rec
wait $rec || fail "record exited $?: $(cat "$TMP/rec.err")"

# check JSON VERDICT DECIDER(legacy|nft) CHAIN: the path is early, legacy INPUT, late
check() {
	"$PY" - "$@" <<'PY' || fail "blame: $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
verdict, decider, chain = sys.argv[2:5]
assert e["verdict"] == verdict and e["type"] == "rule", e
assert bool(e.get("legacy")) == (decider == "legacy") and e["chain"] == chain, e
path = [(s["table"], s["chain"], s["priority"], bool(s.get("legacy"))) for s in e["path"]]
want = [("fw", "early", -10, False), ("filter", "INPUT", 0, True), ("fw", "late", 10, False)]
if verdict == "drop":
    want = want[:2]  # the legacy DROP ended it
assert path == want, path
if decider == "legacy":
    assert e["rule_num"] == 1 and "--comment blocked" in e["rule"] and "-j DROP" in e["rule"], e
else:
    assert e["rule"] == "tcp dport { 22, 80 } accept", e
PY
}
blame() {
	local t=$1
	shift
	"$CTA" -j blame --session "$TMP/s.json" "$t" >"$TMP/b.json" || fail "blame '$t' exited $?"
	check "$TMP/b.json" "$@"
}
blame "tcp 198.51.100.7 -> 192.0.2.10:22" accept nft late
blame "tcp 198.51.100.7 -> 192.0.2.10:80" accept nft late
blame "tcp 198.51.100.8 -> 192.0.2.10:80" drop legacy INPUT
blame "tcp [2001:db8:a::7] -> [2001:db8::10]:80" accept nft late
blame "tcp [2001:db8:a::8] -> [2001:db8::10]:80" drop legacy INPUT
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.8 -> 192.0.2.10:80" >"$TMP/b.txt"
expect_line "$TMP/b.txt" "^  inet fw early  \(hook input, priority -10, filter, policy accept\)"
expect_line "$TMP/b.txt" "^  iptables-legacy filter INPUT  \(hook input, priority 0, filter, policy accept\)"
expect_line "$TMP/b.txt" "^  verdict: drop, by rule 1 of iptables-legacy filter INPUT: -A INPUT -s 198.51.100.8/32 "

# live, over IPv6: the same path, the legacy DROP named; then an nft accept
live "tcp [2001:db8:a::8] -> [2001:db8::10]:80" probe tcp 2001:db8::10 80 -s 2001:db8:a::8
check "$TMP/live.json" drop legacy INPUT
live "tcp [2001:db8:a::7] -> [2001:db8::10]:22" send tcp 2001:db8::10 22 -s 2001:db8:a::7
check "$TMP/live.json" accept nft late

# review of an ip6tables candidate beside the nft chains: the flow both accept is
# credited to the candidate's own rule (the nft chains are not the candidate's), and
# the nft table is in force beside it
"$CTA" suggest --format ip6tables -o "$TMP/cand.v6" "$TMP/s.json" || fail "suggest ip6tables"
S "$CTA" -j review "$TMP/cand.v6" --session "$TMP/s.json" >"$TMP/r.json" 2>"$TMP/r.err" ||
	fail "review cand.v6 exited $?: $(cat "$TMP/r.err")"
"$PY" - "$TMP/r.json" <<'PY' || fail "review cand.v6: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["tables"] == ["ip6tables-legacy filter"], r["tables"]
assert r["beside"] == ["inet fw"], r["beside"]
assert all(f["change"] == "ok" for f in r["flows"]), r["flows"]
f = [f for f in r["flows"] if f["flow"].startswith("tcp [2001:db8:a::7]")][0]
c = f["candidate"]
assert c["verdict"] == "accept" and c["legacy"] and c["family"] == "ip6", c
assert c["chain"] == "INPUT" and "-s 2001:db8:a::7/128 " in c["rule"] and "-j ACCEPT" in c["rule"], c
PY
# apply without confirmation: rolled back (compared below)
sleep 4 | script -qec "ip netns exec $SRV $CTA apply $TMP/cand.v6 --confirm-timeout 2 --backup $TMP/b.v6" /dev/null >"$TMP/out" 2>&1
grep -q 'previous tables are back' "$TMP/out" || fail "no rollback: $(cat "$TMP/out")"

legacy_unchanged
no_own_table "$SRV"
finish
