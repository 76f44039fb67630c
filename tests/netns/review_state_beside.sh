#!/usr/bin/env bash
# A recorded denial is the host's still, whatever one replayed packet met, only where
# the replay cannot tell: a rule of a table that holds state (a rate limit: the
# replay's is fresh) that stays as it was, in a table the candidate leaves in place or
# changes elsewhere. Not a rule without state: the replay met it.
# - inet fw drops `meta mark 0x1`, which ip mangle sets for 198.51.100.8; the candidate
#   deletes ip mangle: the drop no longer happens, on the host as in the replay: opens
#   (it was "ok": inet fw stays in force beside the candidate).
# - inet lim drops tcp/24 over 1 connect an hour; the candidate adds a rule to inet lim
#   elsewhere: the limit stays and denies as before, though the replay's fresh limit
#   lets one packet through: ok, "denied still" (it was "opens": the table is touched);
#   an accept inserted before the limit: opens.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table ip mangle {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip saddr 198.51.100.8 meta mark set 0x1
	}
}
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		meta mark 0x1 drop
	}
}
table inet lim {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 24 limit rate over 1/hour burst 1 packets counter drop
	}
}
NFT
for p in 24 80; do (ip netns exec "$SRV" "$CTALAB" serve tcp $p 60 &); done
sleep 0.3
record_probes "$TMP/s.json" 80:ok 80:denied:198.51.100.8 24:ok 24:denied || exit 1
"$CTA" flows -o extended "$TMP/s.json"

# an accept inserted before the limit: it no longer denies, on the host as in the replay
printf 'insert rule inet lim input tcp dport 24 accept\n' >"$TMP/cand.nft"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/out" 2>&1
cat "$TMP/out"
expect_line "$TMP/out" "^  opens +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:24 "
expect_line "$TMP/out" "denied still" 0

printf 'delete table ip mangle\nadd rule inet lim input tcp dport 25 drop\n' >"$TMP/cand.nft"
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
[ $rc = 0 ] || fail "review: exit $rc, not 0"
expect_line "$TMP/out" "^  opens +tcp 198\.51\.100\.8:[0-9]+ -> 198\.51\.100\.1:80  \(in\)  recorded: drop \(rule inet fw input "
expect_line "$TMP/out" "^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:24  \(in\)  recorded: 1 accept, 1 drop|^  ok +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:24  \(in\)  recorded: 1 drop .*, 1 accept"
expect_line "$TMP/out" "^ +denied still: .* \(inet lim\)$"
# the host's truth, the candidate applied
probe() { ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 "$1" -s "$2" >/dev/null 2>&1; }
S nft -f "$TMP/cand.nft"
probe 80 198.51.100.8 || fail "on the host 198.51.100.8 to 80 does not open"
probe 24 198.51.100.7 && fail "on the host the limit on 24 let a connect through"
finish
