#!/usr/bin/env bash
# Issue 16, case 11: on a ufw-style host (iptables-nft rules with the xt `recent` match,
# which nft cannot load back from its own listing), review says so in one summary
# line, with nft's diagnostic indented once below it, each diagnostic once, and what it
# means: the table stands in as its chains, its recorded denials stand while the
# candidate leaves it alone, a candidate that changes it in part is not judged. A table
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
expect_line "$TMP/err" "^conntrack-advise: warning: nft cannot load any live table as it lists it \(nft said, below\): such a table stands in as its chains, base chains with their policies, one accept in each chain in place of its rules; what it denied while recording stands where the candidate leaves it alone, and no flow is judged when the candidate changes it in part \(a change other than deleting it or flushing it whole\)$"
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
expect_line "$TMP/err" "^conntrack-advise: warning: nft cannot load the live table ip filter as it lists it, nor as JSON \(nft said, below\): such a table stands in as its chains, base chains with their policies, one accept in each chain in place of its rules; what it denied while recording stands where the candidate leaves it alone, and no flow is judged when the candidate changes it in part \(a change other than deleting it or flushing it whole\)$"
expect_line "$TMP/err" "any live table" 0
grep -q "^in force beside the candidate: .*inet extra" "$TMP/out" ||
	fail "inet extra not copied: $(cat "$TMP/out")"
finish
