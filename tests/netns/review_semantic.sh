#!/usr/bin/env bash
# Issue 16, case 8: with Docker's rules live (iptables-nft, tests/data/cases/
# docker.rules), a candidate that only adds `inet filter` changes only that: both sides
# are compared as the kernel lists them, never by the text nft prints in another
# order (`ct state related,established` on the host reads back as
# `ct state established,related`).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
grep -v '^#' "$HERE/../data/cases/docker.rules" | S iptables-nft-restore || {
	echo "SKIP: iptables-nft-restore refused docker.rules"
	exit 77
}
cat >"$TMP/cand.nft" <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		tcp dport 22 accept
	}
}
NFT
S "$CTA" review "$TMP/cand.nft" >"$TMP/out" 2>"$TMP/err" || fail "review exited $?"
cat "$TMP/out" "$TMP/err"
expect_line "$TMP/out" "^  \+ table inet filter$"
expect_line "$TMP/out" "^  [-+] .* ip (filter|nat) " 0
expect_line "$TMP/out" "^  - " 0
S "$CTA" -j review "$TMP/cand.nft" >"$TMP/out.json" 2>/dev/null || fail "review -j exited $?"
"$PY" - "$TMP/out.json" <<'PY' || fail "review -j: changes beyond inet filter: $(cat "$TMP/out.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
ch = r["changes"]
assert ch and all((c["family"], c["table"]) == ("inet", "filter") for c in ch), ch
assert r["live_copied"], r
PY
finish
