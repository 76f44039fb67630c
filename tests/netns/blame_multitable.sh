#!/usr/bin/env bash
# Issue 16, case 1: several base chains on one hook. fail2ban's tables (an accept-policy
# `ip fail2ban` chain that returns, an `inet f2b-table` chain at priority -1 that
# rejects banned hosts) beside the admin's `inet filter` (policy drop, tcp dport 22
# accept). An ssh connection is decided by inet filter's accept, not by fail2ban's
# policy that it fell through; a banned host by fail2ban's rule; from a recording and
# live, text and JSON, every base chain crossed in priority order with its verdict.
# Then a zone layout (tests/data/cases/zone.nft).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
B() { ip netns exec "$CLB" "$CTALAB" "$@"; }
(S "$CTALAB" serve tcp 22 60 &)
(S "$CTALAB" serve tcp 80 60 &)
sleep 0.3
lab_load_case fail2ban.nft
CHECK="$PY $HERE/../tools/check_blame.py"
F2B="ip fail2ban input=accept"
PRE="inet f2b-table f2b-chain=accept"

# CASES: tuple | traffic | verdict | decider | path (see check_blame.py)
CASES=(
	"tcp 198.51.100.7 -> 192.0.2.10:22|A send tcp 192.0.2.10 22 -s 198.51.100.7|accept|inet filter input|tcp dport 22 accept|$PRE,$F2B,inet filter input=accept"
	"tcp 203.0.113.21 -> 192.0.2.10:22|B probe tcp 192.0.2.10 22 -s 203.0.113.21|reject|inet f2b-table f2b-chain|tcp dport 22 ip saddr @addr-set-sshd reject with icmp port-unreachable|inet f2b-table f2b-chain=reject"
	"tcp 203.0.113.20 -> 192.0.2.10:22|B probe tcp 192.0.2.10 22 -s 203.0.113.20|drop|ip fail2ban input|tcp dport { 22, 9022 } ip saddr @f2b-sshd drop|$PRE,?inet filter input=accept,ip fail2ban input=drop"
	"tcp 198.51.100.7 -> 192.0.2.10:80|A probe tcp 192.0.2.10 80 -s 198.51.100.7|drop|inet filter input||$PRE,?$F2B,inet filter input=drop"
	"tcp [2001:db8:a::7] -> [2001:db8::10]:22|A send tcp 2001:db8::10 22 -s 2001:db8:a::7|accept|inet filter input|tcp dport 22 accept|$PRE,inet filter input=accept"
)

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
for c in "${CASES[@]}"; do
	IFS='|' read -r _ traffic _ <<<"$c"
	$traffic >/dev/null 2>&1
done
sleep 3 # denied attempts are decided after 2 s
kill -INT $rec
wait $rec || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"

lab_blame_session "$TMP/s.json"

# the text: every base chain with its verdict there, then the decider
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:22" >"$TMP/b.txt"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "^  inet f2b-table f2b-chain  \(hook input, priority -1, filter, policy accept\): accept by its policy$"
expect_line "$TMP/b.txt" "^  ip fail2ban input  \(hook input, priority 0, filter, policy accept\): accept by its policy$"
expect_line "$TMP/b.txt" "^  inet filter input  \(hook input, priority 0, filter, policy drop\): accept by a rule$"
expect_line "$TMP/b.txt" "^  verdict: accept, by rule [0-9]+ of inet filter input: tcp dport 22 accept$"
expect_line "$TMP/b.txt" "policy of ip fail2ban" 0
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
expect_line "$TMP/flows" "dport=22 .* verdict=accept by=inet/filter/input/[0-9]+$" 2

# a host where no chain at input would drop ssh: said, not blamed on a policy
S nft flush table inet filter
S nft add chain inet filter input '{ policy accept; }'
S "$CTA" -q -j blame --live --timeout 10s "tcp 198.51.100.7 -> 192.0.2.10:22" >"$TMP/open.json" &
b=$!
wait_blame_table
A send tcp 192.0.2.10 22 -s 198.51.100.7 >/dev/null 2>&1
wait $b || fail "blame --live (open) exited $?"
$CHECK "$TMP/open.json" accept "open:input" || fail "live: nothing would drop it"
schema_ok blame.schema.json "$TMP/open.json"
S nft flush table inet filter # the chain stays where it was registered on the hook
S nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto { icmp, ipv6-icmp } accept
		tcp dport 22 accept
	}
}
NFT

# --- live ---
lab_blame_live

# --- a zone layout: the accept in a zone chain decided, as the base chain rejects after
# its jump to the zones (its policy accepts)
S nft flush ruleset
S nft -f "$HERE/../data/cases/zone.nft" || fail "cannot load zone.nft"
CASES=(
	"tcp 198.51.100.7 -> 192.0.2.10:22|A send tcp 192.0.2.10 22 -s 198.51.100.7|accept|inet zfw filter_IN_public_allow|tcp dport 22 accept|inet zfw filter_INPUT=accept"
	"tcp 198.51.100.7 -> 192.0.2.10:80|A probe tcp 192.0.2.10 80 -s 198.51.100.7|reject|inet zfw filter_INPUT|reject with icmpx admin-prohibited|inet zfw filter_INPUT=reject"
)
lab_blame_live
finish
