#!/usr/bin/env bash
# Conntrack helpers and RELATED flows (issue 21, item 3): with the ftp helper assigned
# in prerouting, two passive-FTP clients. Their data connections are recorded as
# related to their control connections; suggest opens no data port for them and keeps
# the helper (object and assignment); review does not replay them as strangers, and
# calls a candidate without the helper a break. The suggestion, loaded, lets a third
# FTP session (another data port) through; without its helper it does not.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
{
	echo "table inet fw {"
	ftp_helper_rules
	cat <<'NFT'
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport 21 accept
	}
}
NFT
} >"$TMP/live.nft"
if ! S nft -f "$TMP/live.nft" 2>"$TMP/nft.err"; then
	echo "SKIP: no ftp conntrack helper here (nf_conntrack_ftp): $(cat "$TMP/nft.err")"
	exit 77
fi
(S "$CTALAB" ftpd tcp 21 60 &)
sleep 0.3
ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" --checkpoint-interval 1 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
A ftp tcp 192.0.2.10 21 -s 198.51.100.7 || fail "ftp from .7"
A ftp tcp 192.0.2.10 21 -s 198.51.100.8 || fail "ftp from .8"
sleep 2.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
schema_ok session.schema.json "$TMP/s.json"

# the session: two control flows with the helper, two data flows related to them
"$PY" - "$TMP/s.json" <<'PY' || fail "session: helper and related flows"
import json, sys
d = json.load(open(sys.argv[1]))
ctl = [f for f in d["flows"] if f["orig"].get("dport") == 21]
data = [f for f in d["flows"] if "related" in f]
assert len(ctl) == 2 and all(f.get("helper") == "ftp" for f in ctl), ctl
assert len(data) == 2, data
for f in data:
    m = f["related"]
    assert m["protocol"] == "tcp" and m["dport"] == 21 and m["dst"] == "192.0.2.10", m
    assert m["src"] == f["orig"]["src"], (m, f["orig"])
    assert "helper" not in f, f
PY
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows.out" 2>&1 || fail "flows"
expect_line "$TMP/flows.out" " dport=21 .* helper=ftp" 2
expect_line "$TMP/flows.out" "src=198\.51\.100\.7 .* related=tcp/198\.51\.100\.7->192\.0\.2\.10:21"
# -j flows (written by its own writer) says the same as the session
"$CTA" -j flows "$TMP/s.json" >"$TMP/flows.json" 2>/dev/null || fail "flows -j"
"$PY" - "$TMP/s.json" "$TMP/flows.json" <<'PY' || fail "flows -j: helper and related"
import json, sys
s = json.load(open(sys.argv[1]))["flows"]
j = json.load(open(sys.argv[2]))["flows"]
key = lambda f: (f["orig"]["src"], f["orig"]["dport"])
sh = {key(f): (f.get("helper"), f.get("related")) for f in s}
jh = {key(f): (f.get("helper"), f.get("related")) for f in j}
assert sh == jh, (sh, jh)
assert sum(1 for h, r in jh.values() if r) == 2 and sum(1 for h, r in jh.values() if h) == 2
PY
"$CTA" blame --session "$TMP/s.json" 'tcp 198.51.100.7 -> 192.0.2.10' >"$TMP/blame.out" 2>&1
cat "$TMP/blame.out"
expect_line "$TMP/blame.out" "^  related to tcp 198\.51\.100\.7 -> 192\.0\.2\.10:21: a conntrack helper expected it"
expect_line "$TMP/blame.out" "^  conntrack helper: ftp "

"$CTA" suggest -o "$TMP/full.nft" "$TMP/s.json" 2>"$TMP/sug.err" || fail "suggest: $(cat "$TMP/sug.err")"
cat "$TMP/full.nft"
expect_line "$TMP/full.nft" "^	ct helper ftp-tcp \{$"
expect_line "$TMP/full.nft" "^		type \"ftp\" protocol tcp$"
expect_line "$TMP/full.nft" "^		type filter hook prerouting priority filter; policy accept;$"
expect_line "$TMP/full.nft" "^		tcp dport 21 ct helper set \"ftp-tcp\" "
# the data ports the server happened to pick are no rule; 21 is one, alone
expect_line "$TMP/full.nft" "dport \{" 0
expect_line "$TMP/full.nft" "^		ip saddr 198\.51\.100\.0/24 tcp dport 21 accept "
expect_line "$TMP/full.nft" "^#   2 related \(a conntrack helper expected them"
# the suggestion without the helper's assignment, replacing the live table
{ printf 'table inet fw\ndelete table inet fw\n'; grep -v 'ct helper set' "$TMP/full.nft"; } \
	>"$TMP/nohelper.nft"

# review of the suggestion: the data flows are not replayed alone; nothing breaks
S "$CTA" review "$TMP/full.nft" --session "$TMP/s.json" >"$TMP/full.out" 2>&1
rc=$?
cat "$TMP/full.out"
[ $rc = 0 ] || fail "review of the suggestion: exit $rc"
expect_line "$TMP/full.out" "^  not judged +tcp 198\.51\.100\.7:[0-9]+ -> 192\.0\.2\.10:[0-9]+ .*related to tcp 198\.51\.100\.7 -> 192\.0\.2\.10:21"
expect_line "$TMP/full.out" "^  not judged .*related to " 2
expect_line "$TMP/full.out" "^  BREAKS" 0
expect_line "$TMP/full.out" "^4 flows: 0 would break, 0 would open, 2 unchanged, 2 not judged"

# the unchanged ruleset, helper included: nothing breaks either
{ printf 'table inet fw\ndelete table inet fw\n'; cat "$TMP/live.nft"; } >"$TMP/same.nft"
S "$CTA" review "$TMP/same.nft" --session "$TMP/s.json" >"$TMP/same.out" 2>&1
rc=$?
cat "$TMP/same.out"
[ $rc = 0 ] || fail "review of the unchanged ruleset: exit $rc"
expect_line "$TMP/same.out" "^  BREAKS" 0

# without the helper's assignment (nor the live table that had it): a break, exit 1
S "$CTA" review "$TMP/nohelper.nft" --session "$TMP/s.json" >"$TMP/noh.out" 2>&1
rc=$?
cat "$TMP/noh.out"
[ $rc = 1 ] || fail "review without the helper: exit $rc, not 1"
expect_line "$TMP/noh.out" "^  BREAKS +helper ftp on tcp port 21 "
S "$CTA" -j review "$TMP/nohelper.nft" --session "$TMP/s.json" >"$TMP/noh.json" 2>/dev/null
"$PY" - "$TMP/noh.json" <<'PY' || fail "review -j: helpers_lost"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert [(h["helper"], h["port"]) for h in r["helpers_lost"]] == [("ftp", 21)], r["helpers_lost"]
rel = [f for f in r["flows"] if "related_to" in f]
assert len(rel) == 2 and all(f["change"] == "not judged" for f in rel), rel
PY

# review --live: the helper's assignment was reached (by the control connections)
S "$CTA" review --live --session "$TMP/s.json" >"$TMP/live.out" 2>&1 || fail "review --live"
expect_line "$TMP/live.out" "^unreached .*ct helper set" 0

# the real thing: the suggestion live, a third session on another data port works...
S nft flush ruleset
S nft -f "$TMP/full.nft" || fail "the suggestion does not load"
A ftp tcp 192.0.2.10 21 -s 198.51.100.8 || fail "ftp under the suggestion"
# ... and without the helper it does not (the test can fail)
S nft flush ruleset
S nft -f "$TMP/nohelper.nft" || fail "the suggestion without helper does not load"
A ftp tcp 192.0.2.10 21 -s 198.51.100.8 && fail "ftp got through without its helper"
finish
