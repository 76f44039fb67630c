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

# review RULESET EXPECTED [HANDLES]: the flows to :22 and :80, each BREAKS or unchanged
# (ok); HANDLES: the handle of the rule the candidate's verdict names for a port, as the
# live host numbers it ("new": a rule the candidate adds, which has none yet; "-": no
# rule, a policy), in -j and in the text; the no_evidence rules' handles must be live ones
review() {
	echo "$1" >"$TMP/cand.nft"
	S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.json" 2>"$TMP/r.err"
	[ $? -le 1 ] || fail "review of '$1': $(cat "$TMP/r.err")"
	S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.txt" 2>>"$TMP/r.err"
	[ $? -le 1 ] || fail "review (text) of '$1': $(cat "$TMP/r.err")"
	S nft -a list ruleset >"$TMP/live.nft"
	"$PY" - "$TMP/r.json" "$2" "${3:-}" "$TMP/live.nft" "$TMP/r.txt" "$1" <<'PY' ||
import json, re, sys
r = json.load(open(sys.argv[1]))["review"]
live, tables, table = {}, set(), None  # the live filter table's rules by handle
for line in open(sys.argv[4]):
    m = re.match(r"table (\S+) (\S+) \{", line)
    if m:
        table = m.group(2)
        tables.add(table)
    m = re.match(r"\s*(.*) # handle (\d+)$", line)
    if m and table == "filter":
        live[int(m.group(2))] = m.group(1)
text = open(sys.argv[5]).read()
anew = "flush ruleset" in sys.argv[6]  # the host will number the table as the copy does
got, handles = {}, {}
for f in r["flows"]:
    for port in ("22", "80"):
        if f["flow"].split(" -> ")[1].split()[0].endswith(":" + port):
            got[port] = f["change"]
            c = f["credited"]
            if c["type"] != "rule":
                handles[port] = "-"
            elif "handle" not in c:
                handles[port] = "new"
                assert "the candidate's, no handle until applied: " + c["rule"] in text, text
            else:
                handles[port] = str(c["handle"])
                # the live rule of that handle is the rule the verdict quotes
                if c["table"] in tables and not anew:
                    assert live.get(c["handle"]) == c["rule"], (c, live)
                assert "handle %d: %s" % (c["handle"], c["rule"]) in text, text
want = dict(kv.split("=") for kv in sys.argv[2].split(","))
assert got == want, (got, want)
if sys.argv[3]:
    want = dict(kv.split("=") for kv in sys.argv[3].split(","))
    assert handles == want, (handles, want)
for n in r["no_evidence"]:
    # (a replaced rule keeps its handle, with the candidate's text)
    if not anew and n["table"] == "filter" and n["handle"] is not None and n["rule"] in live.values():
        assert live.get(n["handle"]) == n["rule"], (n, live)
PY
		fail "review of '$1': $(cat "$TMP/r.json" "$TMP/r.txt" "$TMP/r.err")"
}
review "delete rule inet filter input handle $SSH" "22=BREAKS,80=ok" "22=-,80=$HTTP"
review "delete rule inet filter input handle $HTTP" "22=ok,80=BREAKS" "22=$SSH,80=-"
review "replace rule inet filter input handle $SSH tcp dport 2222 accept" "22=BREAKS,80=ok"
review "insert rule inet filter input position $HTTP tcp dport 80 drop" "22=ok,80=BREAKS" \
	"22=$SSH,80=new"
review "insert rule inet filter input position $HTTP tcp dport 80 accept" "22=ok,80=ok" \
	"22=$SSH,80=new"
# a table the candidate leaves alone decides, named by its live numbers
review "table inet spare { chain c { type filter hook input priority 10; policy accept; }; }" \
	"22=ok,80=ok" "22=$SSH,80=$HTTP"
# a table of the candidate's own, not a live one: the copy's numbers, which the host
# will give it (its chain 1, its rule 2)
review "table inet mine { chain c { type filter hook input priority 10; policy accept; tcp dport 80 drop; }; }" \
	"22=ok,80=BREAKS" "22=$SSH,80=2"
# a live table made anew (a reload): its rules have no live handle, the live numbers
# are other rules' (helper-49: the copy's 3 was the live ssh rule's number)
review "flush ruleset
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
		tcp dport 80 accept
	}
}" "22=ok,80=ok" "22=new,80=new"

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
