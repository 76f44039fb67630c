#!/usr/bin/env bash
# Issue 16, case 10: a suggestion reviewed on a host whose own firewall is `inet fw`.
# Each flow credits the candidate's own deciding rule (inet filter), not the live
# table's; the live table that stays in force beside it is said once, and the
# verdicts are of the combination, as the kernel will apply both. suggest --replace
# 'inet fw' writes a candidate that deletes it in the same transaction; review shows
# that it replaces it.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(S "$CTALAB" serve tcp 22 60 &)
(S "$CTALAB" serve tcp 80 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto { icmp, ipv6-icmp } accept
		tcp dport { 22, 80 } accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 >/dev/null || fail "ssh"
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.8 >/dev/null || fail "http"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"

"$CTA" suggest -o "$TMP/beside.nft" "$TMP/s.json" || fail "suggest"
S "$CTA" review "$TMP/beside.nft" --session "$TMP/s.json" >"$TMP/beside.out" 2>&1 ||
	fail "review (beside) exited $?"
cat "$TMP/beside.out"
expect_line "$TMP/beside.out" "^in force beside the candidate: inet fw \(live tables it leaves in place"
expect_line "$TMP/beside.out" "^replaces:" 0
expect_line "$TMP/beside.out" "^  ok +tcp .* candidate: accept \(rule inet filter input handle [0-9]+: .*\)$" 2
expect_line "$TMP/beside.out" "candidate: accept \(rule inet fw" 0

"$CTA" suggest --replace 'inet fw' -o "$TMP/replace.nft" "$TMP/s.json" || fail "suggest --replace"
expect_line "$TMP/replace.nft" "^delete table inet fw$"
S nft -c -f "$TMP/replace.nft" || fail "nft refuses the --replace suggestion"
S "$CTA" review "$TMP/replace.nft" --session "$TMP/s.json" >"$TMP/replace.out" 2>&1 ||
	fail "review (replace) exited $?"
cat "$TMP/replace.out"
expect_line "$TMP/replace.out" "^replaces: inet fw \(the candidate deletes it, in the same transaction\)$"
expect_line "$TMP/replace.out" "^in force beside" 0
expect_line "$TMP/replace.out" "^  - table inet fw$"
expect_line "$TMP/replace.out" "^  ok +tcp .* candidate: accept \(rule inet filter input handle [0-9]+: .*\)$" 2
S "$CTA" -j review "$TMP/replace.nft" --session "$TMP/s.json" >"$TMP/replace.json" ||
	fail "review -j exited $?"
"$PY" - "$TMP/replace.json" <<'PY' || fail "review -j: $(cat "$TMP/replace.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["replaces"] == ["inet fw"] and r["beside"] == [], (r["replaces"], r["beside"])
for f in r["flows"]:
    assert f["credited"]["table"] == "filter", f
PY
"$CTA" suggest --replace 'inet fw' --format iptables "$TMP/s.json" >/dev/null 2>&1
[ $? = 2 ] || fail "--replace with --format iptables should be a usage error"
"$CTA" suggest --replace 'nope fw' "$TMP/s.json" >/dev/null 2>&1
[ $? = 2 ] || fail "--replace 'nope fw' should be a usage error"
# live rules are not touched by review
S nft list table inet fw >/dev/null || fail "review removed the live table"
# apply takes the candidate as it is: inet fw goes, saved in the backup
S "$CTA" apply "$TMP/replace.nft" --confirm-timeout 0 --backup "$TMP/backup.nft" \
	</dev/null >"$TMP/apply.out" 2>&1 || fail "apply --replace suggestion: $(cat "$TMP/apply.out")"
S nft list table inet fw >/dev/null 2>&1 && fail "apply left inet fw in force beside the suggestion"
S nft list table inet filter >/dev/null || fail "apply did not load inet filter"
grep -q "table inet fw" "$TMP/backup.nft" || fail "the backup does not hold inet fw"
finish
