#!/usr/bin/env bash
# A live table review cannot copy (iptables-nft with the xt `recent` match, which nft
# cannot load back: ufw's layout) stays in force on the host beside the candidate. A
# connect the recording saw it drop must not be called "opens" because the scratch
# namespace, without that table, lets the replayed packet through; the table is named
# "in force beside the candidate". A candidate that flushes the ruleset replaces it:
# then the connect opens, and the table is named among those the candidate deletes.
# Likewise a rate limit's drop in a nat chain of a table the candidate leaves in place:
# final on the host, whatever the candidate accepts, though one replayed packet passes.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S iptables-nft -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set \
	--name ssh --rsource || {
	echo "SKIP: iptables-nft cannot add a recent match here"
	exit 77
}
S iptables-nft -A INPUT -p tcp --dport 23 -j DROP
S nft -f - <<'NFT'
table ip natdrop {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 24 limit rate over 1/hour burst 1 packets counter drop
	}
}
NFT
for p in 22 23 24; do (ip netns exec "$SRV" "$CTALAB" serve tcp $p 60 &); done
sleep 0.3
record_probes "$TMP/s.json" 22:ok 23:denied 24:ok 24:denied || exit 1
"$CTA" flows -o extended "$TMP/s.json"
"$CTA" flows -o extended "$TMP/s.json" | grep -q "dport=23 .*verdict=drop by=ip/filter/INPUT" ||
	fail "the drop of 23 by ip filter not recorded"
"$CTA" flows -o extended "$TMP/s.json" | grep -q "dport=24 .*verdict=drop by=ip/natdrop/pre" ||
	fail "the drop of 24 by ip natdrop not recorded"

for flush in "" "flush ruleset"; do
	cat >"$TMP/cand.nft" <<NFT
$flush
table inet cand {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport { 22, 23, 24 } accept
	}
}
NFT
	S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	cat "$TMP/out" "$TMP/err"
	[ $rc = 0 ] || fail "review ($flush): exit $rc"
	expect_line "$TMP/err" "cannot load the live table ip filter as it lists it"
	if [ -z "$flush" ]; then
		expect_line "$TMP/out" "^in force beside the candidate: .*ip filter"
		expect_line "$TMP/out" "^ *opens .*:23 " 0
		expect_line "$TMP/out" "^ *opens .*:24 " 0
		expect_line "$TMP/out" "^ *ok .*:22 "
		expect_line "$TMP/out" "^ +denied still: .* \(ip filter\)$"
		expect_line "$TMP/out" "^ +denied still: .* \(ip natdrop\)$"
		S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.json" 2>/dev/null
		"$PY" - "$TMP/r.json" <<'PY' || fail "review -j: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert "ip filter" in r["beside"], r["beside"]
assert r["uncopied"] == ["ip filter"], r["uncopied"]
by_port = {f["flow"].split(":")[-1]: f for f in r["flows"]}
assert by_port["23"]["change"] == "ok" and by_port["23"]["denied_beside"] == ["ip filter"], by_port["23"]
assert by_port["24"]["change"] == "ok" and by_port["24"]["denied_beside"] == ["ip natdrop"], by_port["24"]
assert "denied_beside" not in by_port["22"], by_port["22"]
PY
	else
		expect_line "$TMP/out" "^in force beside the candidate: .*ip filter" 0
		expect_line "$TMP/out" "^replaces:.*ip filter"
		expect_line "$TMP/out" "^ *opens .*:23 "
		expect_line "$TMP/out" "^ *opens .*:24 "
		expect_line "$TMP/out" "denied still" 0
	fi
done
finish
