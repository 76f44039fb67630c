#!/usr/bin/env bash
# A candidate that changes a live table review cannot copy (ufw-like iptables-nft: INPUT
# policy DROP, a jump to a chain of its own, the xt `recent` match). The table stands in
# the scratch namespace as its chains with their policies, and one accept rule in each
# chain for the live rules:
# - `flush table ip filter` leaves INPUT empty with its DROP policy, on the host as in
#   the scratch namespace: every inbound flow BREAKS, the management session is a
#   LOCKOUT (the empty stand-in of before had nothing to flush: "0 would break");
# - a chain added to the table, a rule added (or inserted) in a live chain, one chain
#   of several flushed: the live rules that stay and the candidate's cannot be replayed
#   together: no flow is judged, and each says why (they were "ok", "denied still",
#   while an inserted accept opens a port on the host and a flushed user chain locks
#   the management session out);
# - apply refuses to change or delete such a table (it could not put it back), exit 2,
#   nothing applied.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S iptables-nft -P INPUT DROP
S iptables-nft -N user-input
S iptables-nft -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
S iptables-nft -A INPUT -j user-input
S iptables-nft -A user-input -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set \
	--name ssh --rsource || {
	echo "SKIP: iptables-nft cannot add a recent match here"
	exit 77
}
S iptables-nft -A user-input -p tcp --dport 22 -j ACCEPT
S iptables-nft -A user-input -p tcp --dport 23 -j DROP
for p in 22 23; do (ip netns exec "$SRV" "$CTALAB" serve tcp $p 60 &); done
sleep 0.3
record_probes "$TMP/s.json" 22:ok 23:denied || exit 1
"$CTA" flows -o extended "$TMP/s.json"
S nft list table ip filter >"$TMP/live.before"

review() { # review CANDIDATE: its output in $TMP/out, its exit status in rc
	S env "$@" "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	cat "$TMP/out" "$TMP/err"
}

cat >"$TMP/cand.nft" <<'NFT'
flush table ip filter
table inet cand {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
	}
}
NFT
review SSH_CONNECTION="198.51.100.7 40000 198.51.100.1 22"
[ $rc = 1 ] || fail "flush table: exit $rc, not 1"
expect_line "$TMP/out" "^LOCKOUT: the management session tcp 198\.51\.100\.7:40000 -> 198\.51\.100\.1:22 would be dropped"
expect_line "$TMP/out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22  \(in\)  recorded: accept \(rule ip filter user-input .* candidate: drop \(policy of ip filter INPUT\)$"
expect_line "$TMP/out" "^in force beside" 0
ip netns exec "$SRV" script -qec "$CTA apply $TMP/cand.nft --confirm-timeout 0 --backup $TMP/b.nft" \
	/dev/null >"$TMP/apply.out" 2>&1
rc=$?
cat "$TMP/apply.out"
[ $rc = 2 ] || fail "apply of a flush of ip filter: exit $rc, not 2"
expect_line "$TMP/apply.out" "changes the live table ip filter, which nft cannot load back .* nothing applied"

not_judged() { # not_judged WHAT: every flow not judged, the table named
	[ $rc = 0 ] || fail "$1: exit $rc, not 0"
	expect_line "$TMP/out" "^  (ok|opens|BREAKS) " 0
	expect_line "$TMP/out" "^  not judged tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:2[23]  \(in\) .*\(not judged: the candidate changes ip filter, a live table review could not copy, without flushing it whole" 2
}
cat >"$TMP/cand.nft" <<'NFT'
table ip filter {
	chain cand_in {
		type filter hook input priority 10; policy accept;
		tcp dport { 22, 23 } accept
	}
}
NFT
review
not_judged "a chain added"
ip netns exec "$SRV" script -qec "$CTA apply $TMP/cand.nft --confirm-timeout 0 --backup $TMP/b.nft" \
	/dev/null >"$TMP/apply.out" 2>&1
rc=$?
cat "$TMP/apply.out"
[ $rc = 2 ] || fail "apply of a chain added to ip filter: exit $rc, not 2"
[ -e "$TMP/b.nft" ] && fail "apply wrote a backup though it applied nothing"

printf 'add rule ip filter INPUT tcp dport 25 accept\n' >"$TMP/cand.nft"
review
not_judged "a rule added to INPUT"
printf 'insert rule ip filter user-input tcp dport 23 accept\n' >"$TMP/cand.nft"
review
not_judged "a rule inserted in user-input"
printf 'flush chain ip filter user-input\n' >"$TMP/cand.nft"
review
not_judged "user-input flushed"
expect_line "$TMP/out" "no change against" 0

S nft list table ip filter | diff "$TMP/live.before" - || fail "ip filter changed"
finish
