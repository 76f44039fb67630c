#!/usr/bin/env bash
# review of a candidate that names live rules by handle. The scratch namespace numbers
# the copy of the live ruleset anew: in a table with a history (a rule deleted) a live
# handle names another rule there. `delete rule ... handle N` of the ssh rule must
# break the ssh flow, not the http one whose rule has that number in the copy; a
# `replace rule ... handle N` and an `insert rule ... position N` are judged on the
# rules they name.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "cannot load the ruleset"
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 25 accept
		tcp dport 22 accept
		tcp dport 80 accept
	}
}
NFT
handle() { S nft -a list chain inet filter input | sed -n "s/^.*$1 # handle \([0-9]*\)$/\1/p"; }
S nft delete rule inet filter input handle "$(handle 'tcp dport 25 accept')" ||
	fail "cannot delete the smtp rule"
SSH=$(handle 'tcp dport 22 accept')
HTTP=$(handle 'tcp dport 80 accept')
ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
A send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh"
A send tcp 192.0.2.10 80 -s 198.51.100.8 || fail "http"
sleep 1
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"

# the copy's handles differ from the live ones, or this test tests nothing
"$PY" - "$SSH" "$HTTP" <<'PY' || fail "the live handles are not the copy's (ssh $SSH, http $HTTP)"
import sys
ssh, http = int(sys.argv[1]), int(sys.argv[2])
assert http == ssh + 1 and ssh >= 4, (ssh, http)
PY

# review RULESET EXPECTED: the flows to :22 and :80, each BREAKS or unchanged (ok)
review() {
	echo "$1" >"$TMP/cand.nft"
	S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.json" 2>"$TMP/r.err"
	[ $? -le 1 ] || fail "review of '$1': $(cat "$TMP/r.err")"
	"$PY" - "$TMP/r.json" "$2" <<'PY' || fail "review of '$1': $(cat "$TMP/r.json" "$TMP/r.err")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
got = {}
for f in r["flows"]:
    for port in ("22", "80"):
        if f["flow"].split(" -> ")[1].split()[0].endswith(":" + port):
            got[port] = f["change"]
want = dict(kv.split("=") for kv in sys.argv[2].split(","))
assert got == want, (got, want)
PY
}
review "delete rule inet filter input handle $SSH" "22=BREAKS,80=ok"
review "delete rule inet filter input handle $HTTP" "22=ok,80=BREAKS"
review "replace rule inet filter input handle $SSH tcp dport 2222 accept" "22=BREAKS,80=ok"
review "insert rule inet filter input position $HTTP tcp dport 80 drop" "22=ok,80=BREAKS"

# a table review copies only as a stand-in (an xt match nft cannot load back): its
# rules have other handles in the copy, one of them perhaps the stand-in's own, so a
# handle of it is refused, named, never loaded there (helper-48: the stand-in deleted)
if S iptables-nft -A FORWARD -s 203.0.113.5 -j ACCEPT 2>/dev/null &&
	S iptables-nft -A FORWARD -s 198.51.100.0/24 -m recent --name lab --rcheck -j DROP &&
	S iptables-nft -A FORWARD -s 203.0.113.6 -j ACCEPT; then
	h=$(S nft -a list chain ip filter FORWARD | sed -n 's/^.*203\.0\.113\.6 .* # handle \([0-9]*\)$/\1/p')
	echo "delete rule ip filter FORWARD handle $h" >"$TMP/xt.nft"
	S "$CTA" review "$TMP/xt.nft" >"$TMP/xt.out" 2>&1
	[ $? = 2 ] || fail "a handle of a stood-in table was not refused: $(cat "$TMP/xt.out")"
	grep -q "names a rule or object of the live table ip filter by handle" "$TMP/xt.out" ||
		fail "no word of the stood-in table: $(cat "$TMP/xt.out")"
else
	echo "no iptables-nft with the recent match here: the stand-in case is left out"
fi
finish
