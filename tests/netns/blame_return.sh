#!/usr/bin/env bash
# pve-firewall's way (helper-59 F2): INPUT accepts by policy and jumps to a chain that
# returns the management hosts' packets before the rule that drops everyone else's.
# The return let 198.51.100.7 in as an accept would have: it decided. blame said
# "accepted: no chain at input would drop it", and record's verdict was
# by=none-would-drop. A host the return does not match is dropped by the rule.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 60 &)
sleep 0.3
S iptables-nft-restore <<'IPT' || fail "iptables-nft-restore"
*filter
:INPUT ACCEPT [0:0]
:PVEFW-HOST-IN - [0:0]
-A INPUT -j PVEFW-HOST-IN
-A PVEFW-HOST-IN -i lo -j ACCEPT
-A PVEFW-HOST-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A PVEFW-HOST-IN -s 198.51.100.7/32 -p tcp -m tcp --dport 22 -j RETURN
-A PVEFW-HOST-IN -p tcp -m tcp --dport 22 -j DROP
COMMIT
IPT
hret=$(S nft -a list chain ip filter PVEFW-HOST-IN | grep 'return' | sed 's/.* # handle //')
hdrop=$(S nft -a list chain ip filter PVEFW-HOST-IN | grep 'dport 22 .*drop' | sed 's/.* # handle //')
[ -n "$hret" ] && [ -n "$hdrop" ] || fail "the rules are not listed by nft"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 22 -s 198.51.100.7 || fail "the management host"
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 22 -s 198.51.100.8 && fail ".8 connected"
sleep 3
kill -INT $rec
wait $rec || fail "record"

# check JSON VERDICT TYPE CHAIN HANDLE
check() {
	"$PY" - "$1" "$2" "$3" "$4" "$5" <<'PY' || fail "blame: $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
verdict, typ, chain, handle = sys.argv[2:6]
assert e["verdict"] == verdict and e["type"] == typ, e
assert e["table"] == "filter" and e["chain"] == chain and e["handle"] == int(handle), e
PY
}
"$CTA" -j blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 198.51.100.1:22" >"$TMP/b7.json" ||
	fail "blame .7"
check "$TMP/b7.json" accept rule PVEFW-HOST-IN "$hret"
"$PY" - "$TMP/b7.json" <<'PY' || fail "the path of .7: $(cat "$TMP/b7.json")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
inp = [s for s in e["path"] if s["chain"] == "INPUT"]
assert inp and inp[0]["by"] == "policy" and inp[0]["verdict"] == "accept", e["path"]
PY
schema_ok blame.schema.json "$TMP/b7.json"
"$CTA" -j blame --session "$TMP/s.json" "tcp 198.51.100.8 -> 198.51.100.1:22" >"$TMP/b8.json" ||
	fail "blame .8"
check "$TMP/b8.json" drop rule PVEFW-HOST-IN "$hdrop"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 198.51.100.1:22" >"$TMP/b7.txt"
cat "$TMP/b7.txt"
expect_line "$TMP/b7.txt" "no chain .* would drop it" 0
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
expect_line "$TMP/flows" "src=198\.51\.100\.7 .* verdict=accept by=ip/filter/PVEFW-HOST-IN/$hret"
finish
