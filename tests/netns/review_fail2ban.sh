#!/usr/bin/env bash
# A fail2ban layout (tests/data/cases/fail2ban.nft): 203.0.113.20 connects to ssh, is
# then banned (fail2ban adds it to its set at run time) and tries again, dropped by
# the ban; 198.51.100.7 connects; 203.0.113.21, banned from the start, is rejected.
# Under the suggestion (inet filter only, fail2ban's tables in force beside it) the
# banned host's flow is dropped by the same ban rule that dropped it while recording:
# not BREAKS (review used to call it broken, as if the candidate had dropped the
# connections accepted before the ban), and not ok either: what the candidate would do
# behind the ban is not known (not judged). A ban after the recording is not judged
# either; one the candidate adds is BREAKS. Replacing fail2ban's tables (suggest
# --replace) lets it in: opens; and review says the bans in their sets (filled at run
# time, in no ruleset file) are lost with them. A candidate that deletes a ban opens
# the banned host's flow.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(S "$CTALAB" serve tcp 22 60 &)
sleep 0.3
lab_load_case fail2ban.nft
S nft delete element ip fail2ban f2b-sshd '{ 203.0.113.20 }' || fail "unban"
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "allowed host"
ip netns exec "$CLB" "$CTALAB" send tcp 192.0.2.10 22 -s 203.0.113.20 || fail "before the ban"
S nft add element ip fail2ban f2b-sshd '{ 203.0.113.20 }' || fail "ban"
ip netns exec "$CLB" "$CTALAB" probe tcp 192.0.2.10 22 -s 203.0.113.20 >/dev/null 2>&1
ip netns exec "$CLB" "$CTALAB" probe tcp 192.0.2.10 22 -s 203.0.113.21 >/dev/null 2>&1
sleep 3 # denied attempts are decided after 2 s
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
cat "$TMP/flows"
expect_line "$TMP/flows" "^ipv4 .* src=203\.0\.113\.20 .* dport=22 .* verdict=accept by=[^ ]* verdict_conns=1 verdict=drop by=ip/fail2ban/input/[0-9]+ "

"$CTA" suggest -o "$TMP/cand.nft" "$TMP/s.json" || fail "suggest"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.out" 2>&1
rc=$?
cat "$TMP/r.out"
[ $rc = 0 ] || fail "review of the suggestion beside fail2ban: exit $rc, not 0"
expect_line "$TMP/r.out" "^  not judged +tcp 203\.0\.113\.20:[0-9]+ -> 192\.0\.2\.10:22  \(in\)  recorded: .*drop \(rule ip fail2ban input .*->  candidate: drop \(rule ip fail2ban input .*\(not judged: a live table the candidate leaves in place dropped it, "
expect_line "$TMP/r.out" "^  ok +tcp 203\.0\.113\.21:[0-9]+ -> 192\.0\.2\.10:22 .* candidate: reject "
expect_line "$TMP/r.out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:22 "
expect_line "$TMP/r.out" "BREAKS" 0
expect_line "$TMP/r.out" "^3 flows: 0 would break, 0 would open, 2 unchanged, 1 not judged$"
expect_line "$TMP/r.out" "^state it drops" 0

# a ban after the recording, of a host the recording never saw denied (CrowdSec's and
# fail2ban's way, helper-55): the rule that drops it reads a set of a table the
# candidate does not touch, so that set's state decides, not the candidate: not
# judged, exit 0 (it was BREAKS); its rules that accepted the flow while recording are
# evidence still. A drop there by a rule without state stays BREAKS (review_guard).
S nft add element ip fail2ban f2b-sshd '{ 198.51.100.7 }' || fail "ban after the recording"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/late.out" 2>&1
rc=$?
cat "$TMP/late.out"
[ $rc = 0 ] || fail "review with a ban added after the recording: exit $rc, not 0"
expect_line "$TMP/late.out" "^  not judged +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:22 .*candidate: drop \(rule ip fail2ban input .*\(not judged: a live table the candidate leaves in place dropped it, .*such as a ban"
expect_line "$TMP/late.out" "in_tcp_22_v4 tcp dport 22 accept" 1 # in the changes, not in "no evidence"
S nft delete element ip fail2ban f2b-sshd '{ 198.51.100.7 }' || fail "unban"
# the same ban put there by the candidate itself is the candidate's: BREAKS
{
	cat "$TMP/cand.nft"
	echo "add element ip fail2ban f2b-sshd { 198.51.100.7 }"
} >"$TMP/ban.nft"
S "$CTA" review "$TMP/ban.nft" --session "$TMP/s.json" >"$TMP/ban.out" 2>&1
rc=$?
cat "$TMP/ban.out"
[ $rc = 1 ] || fail "review of a candidate that bans a host: exit $rc, not 1"
expect_line "$TMP/ban.out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:22 .*candidate: drop \(rule ip fail2ban input "

# a candidate that lifts a ban (helper-60): the host lets the banned host in once it is
# applied, so `opens`, not "ok ... denied still" (the rule that read the ban stays, the
# ban does not)
{
	cat "$TMP/cand.nft"
	echo "delete element ip fail2ban f2b-sshd { 203.0.113.20 }"
} >"$TMP/unban.nft"
S "$CTA" review "$TMP/unban.nft" --session "$TMP/s.json" >"$TMP/unban.out" 2>&1
rc=$?
cat "$TMP/unban.out"
[ $rc = 0 ] || fail "review of a candidate lifting a ban: exit $rc, not 0"
expect_line "$TMP/unban.out" "^  opens +tcp 203\.0\.113\.20:[0-9]+ -> 192\.0\.2\.10:22 .* candidate: accept "
expect_line "$TMP/unban.out" "denied still" 0

"$CTA" suggest --replace 'ip fail2ban' --replace 'inet f2b-table' -o "$TMP/repl.nft" "$TMP/s.json" ||
	fail "suggest --replace"
S "$CTA" review "$TMP/repl.nft" --session "$TMP/s.json" >"$TMP/repl.out" 2>&1
rc=$?
cat "$TMP/repl.out"
[ $rc = 0 ] || fail "review of the suggestion replacing fail2ban: exit $rc, not 0"
expect_line "$TMP/repl.out" "^  opens +tcp 203\.0\.113\.20:[0-9]+ -> 192\.0\.2\.10:22 .* candidate: accept \(rule inet filter input[ ,]"
expect_line "$TMP/repl.out" "^  ok +tcp 203\.0\.113\.21:[0-9]+ -> 192\.0\.2\.10:22 .* candidate: drop \(policy of inet filter input\)"
expect_line "$TMP/repl.out" "BREAKS" 0
expect_line "$TMP/repl.out" "^state it drops: elements of live sets that the candidate does not hold"
expect_line "$TMP/repl.out" "^  ip fail2ban set f2b-sshd: 1 of 1 element \(203\.0\.113\.20\)$"
expect_line "$TMP/repl.out" "^  inet f2b-table set addr-set-sshd: 1 of 1 element \(203\.0\.113\.21\)$"
expect_line "$TMP/repl.out" "f2b-ASTERISK" 0 # empty: nothing to lose
S "$CTA" -j review "$TMP/repl.nft" --session "$TMP/s.json" >"$TMP/repl.json" 2>/dev/null
"$PY" - "$TMP/repl.json" <<'PY' || fail "review -j sets_lost: $(cat "$TMP/repl.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
lost = {(s["family"], s["table"], s["name"]): s for s in r["sets_lost"]}
s = lost[("ip", "fail2ban", "f2b-sshd")]
assert s["kind"] == "set" and s["elements"] == 1 and s["lost"] == 1, s
assert s["example"] == "203.0.113.20", s
assert len(lost) == 2, lost
PY
finish
