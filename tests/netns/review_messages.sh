#!/usr/bin/env bash
# Issue 16, case 11: on a ufw-style host (iptables-nft rules with the xt `recent` match,
# which nft cannot load back from its own listing), review says so in one summary
# line, with nft's diagnostic indented once below it, each diagnostic once, and what it
# means: those live rules stay in force on the host but could not be judged. A table
# beside it that nft loads is copied all the same (table by table).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
for op in "--set" "--update --seconds 30 --hitcount 6 -j DROP"; do
	# shellcheck disable=SC2086
	S iptables-nft -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent $op \
		--name ssh --rsource || {
		echo "SKIP: iptables-nft cannot add a recent match here"
		exit 77
	}
done
cat >"$TMP/cand.nft" <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
	}
}
NFT
S "$CTA" review "$TMP/cand.nft" >"$TMP/out" 2>"$TMP/err"
cat "$TMP/err"
expect_line "$TMP/err" "^conntrack-advise: warning: nft cannot load the live ruleset .*: the candidate is judged alone, while on the host those live rules stay in force beside it and could not be judged$"
expect_line "$TMP/err" "Error: unsupported xtables compat expression"
expect_line "$TMP/err" "^    Error: unsupported xtables compat expression, use iptables-nft with this ruleset  \(2 times\)$"
# nft's quoted line and carets, indented once; nothing of it on the summary line
expect_line "$TMP/err" "^    table ip filter \{$"
expect_line "$TMP/err" "^     +\^+$"
grep "^conntrack-advise: warning" "$TMP/err" | grep -q "Error\|\^" &&
	fail "diagnostic pasted into the summary line"

# beside it a table nft loads: copied table by table, the one left out named
S nft -f - <<'NFT'
table inet extra {
	chain in {
		type filter hook input priority 10; policy accept;
		tcp dport 23 counter drop
	}
}
NFT
S "$CTA" review "$TMP/cand.nft" >"$TMP/out" 2>"$TMP/err"
cat "$TMP/err"
expect_line "$TMP/err" "^conntrack-advise: warning: nft cannot load the live table ip filter as it lists it, nor as JSON \(nft said, below\): the candidate is judged without it, while on the host it stays in force beside the candidate and could not be judged$"
expect_line "$TMP/err" "judged alone" 0
grep -q "^in force beside the candidate: .*inet extra" "$TMP/out" ||
	fail "inet extra not copied: $(cat "$TMP/out")"
finish
