#!/usr/bin/env bash
# apply: refuses a ruleset that drops the management session, and without a terminal;
# without confirmation the tables it changed come back byte-identical; confirmed (typed
# yes, or apply --confirm from another shell) it stays; other tables are never changed.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet fw {
	counter seen {
	}
	set friends {
		type ipv4_addr
		elements = { 198.51.100.7 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 23 counter name "seen" reject with tcp reset
		ip saddr @friends tcp dport 8080 accept
	}
}
table ip other {
	chain c {
		type filter hook output priority 0; policy accept;
		udp dport 9 drop
	}
}
NFT
# some traffic for the counter: its value must come back too
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 23 -s 198.51.100.7 >/dev/null 2>&1
S nft list table inet fw >"$TMP/fw-before"
S nft list table ip other >"$TMP/other-before"
grep -q 'packets [1-9]' "$TMP/fw-before" || fail "the counter saw nothing"
cat >"$TMP/new.nft" <<'NFT'
table inet fw
delete table inet fw
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 25 drop
	}
}
NFT
cat >"$TMP/lock.nft" <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 drop
	}
}
NFT
same_as_before() {
	S nft list table inet fw >"$TMP/fw-now"
	S nft list table ip other >"$TMP/other-now"
	cmp -s "$TMP/fw-before" "$TMP/fw-now" || fail "$1: inet fw is not as it was: $(diff "$TMP/fw-before" "$TMP/fw-now")"
	cmp -s "$TMP/other-before" "$TMP/other-now" || fail "$1: ip other changed"
}

# the lockout guard
SSH_CONNECTION="198.51.100.7 40000 192.0.2.10 22" \
	ip netns exec "$SRV" "$CTA" apply "$TMP/lock.nft" --confirm-timeout 0 --backup "$TMP/b.nft" 2>"$TMP/err"
rc=$?
[ $rc = 1 ] || fail "lockout: exit $rc"
grep -q "LOCKOUT: the management session tcp 198.51.100.7:40000 -> 192.0.2.10:22" "$TMP/err" ||
	fail "lockout: $(cat "$TMP/err")"
same_as_before "refused by the guard"

# no terminal, no timeout 0: refused
S "$CTA" apply "$TMP/new.nft" --backup "$TMP/b.nft" </dev/null 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "no terminal: exit $rc"
same_as_before "refused without a terminal"

# a backup that cannot be written: bad output (2, as every output), nothing applied
S "$CTA" apply "$TMP/new.nft" --confirm-timeout 0 --backup "$TMP/no/such/dir/b.nft" </dev/null 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "unwritable backup: exit $rc: $(cat "$TMP/err")"
grep -q "no/such/dir/b.nft: .*nothing applied" "$TMP/err" || fail "unwritable backup: $(cat "$TMP/err")"
same_as_before "backup not written"

# a terminal (script), nobody answers: taken back after 2 s
sleep 4 | script -qec "ip netns exec $SRV $CTA apply $TMP/new.nft --confirm-timeout 2 --backup $TMP/b.nft" /dev/null >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
[ $rc = 1 ] || fail "unconfirmed: exit $rc"
grep -q "no confirmation: the previous tables are back" "$TMP/out" || fail "unconfirmed: not said"
same_as_before "after the rollback"
grep -q '^table inet fw$' "$TMP/b.nft" && grep -q 'elements = { 198.51.100.7 }' "$TMP/b.nft" ||
	fail "the backup does not hold the table"

# confirmed from another shell: it stays, the other table too
(sleep 1.5; ip netns exec "$SRV" "$CTA" -j apply --confirm >"$TMP/confirm.json" 2>"$TMP/confirm.out") &
sleep 6 | script -qec "ip netns exec $SRV $CTA apply $TMP/new.nft --confirm-timeout 10 --backup $TMP/b.nft" /dev/null >"$TMP/out" 2>&1
rc=$?
wait
[ $rc = 0 ] || fail "confirmed from another shell: exit $rc: $(cat "$TMP/out")"
grep -q "confirmed" "$TMP/confirm.out" || fail "apply --confirm: $(cat "$TMP/confirm.out")"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == {"confirm": "confirmed", "kept": True, "version": 1}, d' \
	"$TMP/confirm.json" || fail "-j apply --confirm: $(cat "$TMP/confirm.json")"
S nft list table inet fw | grep -q 'tcp dport 25 drop' || fail "the new table is not there"
S nft list table inet fw | grep -q 'dport 23' && fail "the old rules are still there"
S nft list table ip other >"$TMP/other-now"
cmp -s "$TMP/other-before" "$TMP/other-now" || fail "ip other changed"

# put it back, then typed yes keeps it; --confirm with nobody waiting says so
S nft -f "$TMP/b.nft" || fail "the backup does not load"
same_as_before "the backup loaded"
S "$CTA" apply --confirm 2>/dev/null && fail "apply --confirm with nobody waiting"
S "$CTA" apply --confirm -j 2>/dev/null | grep -q '"confirm": "nothing-waiting"' || fail "apply --confirm -j with nobody waiting"
(sleep 1; echo yes; sleep 3) | script -qec "ip netns exec $SRV $CTA apply $TMP/new.nft --confirm-timeout 10 --backup $TMP/b.nft" /dev/null >"$TMP/out" 2>&1
rc=$?
[ $rc = 0 ] || fail "typed yes: exit $rc: $(cat "$TMP/out")"
S nft list table inet fw | grep -q 'tcp dport 25 drop' || fail "typed yes: not kept"

# --confirm-timeout 0: applied at once, without a terminal
S nft -f "$TMP/b.nft"
S "$CTA" apply "$TMP/new.nft" --confirm-timeout 0 --backup "$TMP/b2.nft" </dev/null 2>"$TMP/err" ||
	fail "timeout 0: $(cat "$TMP/err")"
S nft list table inet fw | grep -q 'tcp dport 25 drop' || fail "timeout 0: not applied"
# the same again: nothing to change
S "$CTA" apply "$TMP/new.nft" --confirm-timeout 0 --backup "$TMP/b3.nft" </dev/null 2>"$TMP/err" ||
	fail "nothing to change: $(cat "$TMP/err")"
grep -q "changes nothing" "$TMP/err" || fail "nothing to change: not said"
S nft list table ip other >"$TMP/other-now"
cmp -s "$TMP/other-before" "$TMP/other-now" || fail "ip other changed"

# a candidate that adds one rule to a table: the table's counters and elements stay
S nft -f "$TMP/b.nft"
printf 'add rule inet fw input tcp dport 26 drop\n' >"$TMP/add.nft"
S "$CTA" apply "$TMP/add.nft" --confirm-timeout 0 --backup "$TMP/b4.nft" </dev/null 2>"$TMP/err" ||
	fail "add a rule: $(cat "$TMP/err")"
S nft list table inet fw >"$TMP/fw-now"
grep -q 'tcp dport 26 drop' "$TMP/fw-now" || fail "add a rule: not added"
[ "$(grep -A1 'counter seen' "$TMP/fw-before")" = "$(grep -A1 'counter seen' "$TMP/fw-now")" ] ||
	fail "add a rule: the counter was reset: $(grep -A1 'counter seen' "$TMP/fw-now")"
grep -q 'elements = { 198.51.100.7 }' "$TMP/fw-now" || fail "add a rule: the set lost its elements"
finish
