#!/usr/bin/env bash
# iptables-nft's xt matches that nft lists as something else. kube-proxy's KUBE-FIREWALL
# match, `-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT`, is listed by nft 1.0.6 as
# `ct status dnat` (no negation, no state). review copied the table from that text, so
# a port it drops was let through in the scratch copy: "opens" for a candidate that only
# adds a rule elsewhere. apply wrote the table back from the same text, turning the drop
# into its opposite on the host, and its backup could not put it back. Now review
# copies such rules as the kernel holds them (libnftnl), and apply refuses to write a
# table with xt matches. Rules whose xt extension needs the rule's protocol (multiport,
# REJECT with tcp-reset, `! -p`) must copy too: the kernel refuses them without the
# protocol iptables-nft gives it beside the rule (helper-54). record and blame show such a
# rule as iptables-nft-save writes it too, after nft's text.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
(ip netns exec "$SRV" "$CTALAB" serve tcp 8081 60 &)
sleep 0.3
S() { ip netns exec "$SRV" "$@"; }
S iptables-nft-restore <<'IPT' || {
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p tcp --dport 8081 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A INPUT -p tcp --dport 8081 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 9001,9002 -j DROP
-A INPUT -p udp --dport 9003 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp --dport 9004 -j REJECT --reject-with tcp-reset
-A INPUT ! -p udp -m comment --comment "not udp" -j RETURN
COMMIT
IPT
	echo "SKIP: iptables-nft-restore refused the rules"
	exit 77
}
S iptables-nft-save -t filter >"$TMP/save.before"
# nft's reading of the drop, which this test is about (if nft reads it right one day,
# the test still checks review's and apply's answers)
S nft list chain ip filter INPUT
record_probes "$TMP/s.json" 22:ok 8081:denied
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
expect_line "$TMP/flows" "dport=8081 .*verdict=drop by=ip/filter/INPUT/[0-9]+"
# the deciding rule as nft lists it, then as iptables-nft-save writes it: its real match
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 198.51.100.1:8081" >"$TMP/blame" ||
	fail "blame exited $?"
cat "$TMP/blame"
expect_line "$TMP/blame" "^  verdict: drop, by rule [0-9]+ of ip filter INPUT: .* # iptables-nft: -A INPUT -p tcp -m tcp --dport 8081 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP$"
# a rule without xt expressions has nft's text alone
expect_line "$TMP/blame" "iptables-nft: -A INPUT -m conntrack --ctstate" 0

printf 'add rule ip filter INPUT tcp dport 2222 accept\n' >"$TMP/cand.nft"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/rev.out" 2>&1
rc=$?
cat "$TMP/rev.out"
[ $rc = 0 ] || fail "review of a candidate that changes nothing recorded: exit $rc"
expect_line "$TMP/rev.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:8081  \(in\)  recorded: drop .* candidate: drop \(rule ip filter INPUT handle [0-9]+"
expect_line "$TMP/rev.out" "opens" 0
expect_line "$TMP/rev.out" " 0 would break, 0 would open, "
expect_line "$TMP/rev.out" "could not be put" 0

# a candidate that takes the accept of 8081 away and nothing else: no change either
S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/rev.json" 2>/dev/null
"$PY" - "$TMP/rev.json" <<'PY' || fail "review -j: $(cat "$TMP/rev.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["summary"]["opens"] == 0 and r["summary"]["breaks"] == 0, r["summary"]
PY

# apply refuses to write the table: nothing changes on the host
S "$CTA" apply "$TMP/cand.nft" --confirm-timeout 0 --backup "$TMP/b.nft" </dev/null \
	>"$TMP/apply.out" 2>&1
rc=$?
cat "$TMP/apply.out"
[ $rc = 2 ] || fail "apply of a change to a table with xt matches: exit $rc, not 2"
expect_line "$TMP/apply.out" "holds iptables-nft's xt matches or targets"
S iptables-nft-save -t filter >"$TMP/save.after" 2>&1
diff <(grep -v '^#' "$TMP/save.before" | sed 's/\[[0-9]*:[0-9]*\]//') \
	<(grep -v '^#' "$TMP/save.after" | sed 's/\[[0-9]*:[0-9]*\]//') ||
	fail "apply changed the iptables-nft table"
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 8081 >/dev/null 2>&1 &&
	fail "port 8081 lets connections through after the refused apply"
finish
