#!/usr/bin/env bash
# review and apply of iptables-restore candidates on an iptables-legacy host
# (case-legacy.v4 and its IPv6 twin): suggest --format iptables / ip6tables output is
# replayed in the scratch namespace loaded with iptables-legacy-restore; a candidate that
# drops ssh BREAKS it; a file for iptables-nft is refused; apply replaces the legacy
# tables and rolls back without confirmation; the legacy rules and nf_log bindings are
# as they were afterwards.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/legacy_lib.sh"
DATA="$HERE/../data/legacy"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
C() { ip netns exec "$CLA" "$CTALAB" "$@"; }
start_servers 60
for a in 2001:db8:a::7 2001:db8:a::8; do S ping -c1 -W1 -q "$a" >/dev/null; done
S iptables-legacy-restore <"$DATA/case-legacy.v4" || fail "iptables-legacy-restore"
S ip6tables-legacy-restore <"$DATA/case-legacy.v6" || fail "ip6tables-legacy-restore"
saved() { S iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'; }
saved6() { S ip6tables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'; }
saved >"$TMP/rules.before"
saved6 >"$TMP/rules6.before"
bindings >"$TMP/nflog.before"

ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
C send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh"
C probe tcp 192.0.2.10 80 -s 198.51.100.7 && fail "80 connected"
C send tcp 2001:db8::10 22 -s 2001:db8:a::7 || fail "ssh over IPv6"
sleep 3
kill -INT $rec
wait $rec || fail "record exited $?: $(cat "$TMP/rec.err")"

"$CTA" suggest --format iptables -o "$TMP/cand.v4" "$TMP/s.json" || fail "suggest iptables"
"$CTA" suggest --format ip6tables -o "$TMP/cand.v6" "$TMP/s.json" || fail "suggest ip6tables"

# review: ssh stays, the rejected port stays denied; the candidate's own rule decides
review "$TMP/cand.v4" 0
"$PY" - "$TMP/r.json" <<'PY' || fail "review cand.v4: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["tables"] == ["iptables-legacy filter"], r["tables"]
assert any(c["object"] == "rule" for c in r["changes"]), r["changes"]
by = {f["flow"].split(" -> ")[1]: f for f in r["flows"]}
ssh = by["192.0.2.10:22"]
assert ssh["change"] == "ok", ssh
cand = ssh["candidate"]
assert cand["verdict"] == "accept" and cand["legacy"] and cand["table"] == "filter", cand
assert "--dports 22 " in cand["rule"] and "-j ACCEPT" in cand["rule"], cand
assert by["192.0.2.10:80"]["change"] == "ok", by["192.0.2.10:80"]
# no evidence: the candidate's rules no replayed packet reached, by number; not ssh's
ne = r["no_evidence"]
assert ne and all(x["legacy"] and x["rule_num"] >= 1 and x["rule"].startswith("-A ") for x in ne), ne
assert not any(x["chain"] == cand["chain"] and x["rule_num"] == cand["rule_num"] for x in ne), ne
# nor rules no first packet can reach (loopback, established, invalid), as for nft
assert not any(w in x["rule"] for x in ne for w in ("-i lo ", "ESTABLISHED", "INVALID")), ne
PY
review "$TMP/cand.v6" 0
"$PY" - "$TMP/r.json" <<'PY' || fail "review cand.v6: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
ssh = [f for f in r["flows"] if f["flow"].endswith("[2001:db8::10]:22")][0]
assert ssh["change"] == "ok" and ssh["candidate"]["family"] == "ip6", ssh
PY

# a candidate that forgets ssh breaks it
printf '# for iptables-legacy\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' >"$TMP/bad.v4"
review "$TMP/bad.v4" 1
"$PY" - "$TMP/r.json" <<'PY' || fail "review bad.v4: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
ssh = [f for f in r["flows"] if f["flow"].endswith("192.0.2.10:22")][0]
assert ssh["change"] == "BREAKS", ssh
c = ssh["candidate"]
assert c["verdict"] == "drop" and c["type"] == "policy" and c["legacy"] and c["chain"] == "INPUT", c
PY

# a candidate that lets ssh in and drops its replies (OUTPUT DROP, no ESTABLISHED rule:
# helper-61): the replay follows the connection, its reply meets OUTPUT's policy
printf '# for iptables-legacy\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT\n' >"$TMP/noest.v4"
review "$TMP/noest.v4" 1
"$PY" - "$TMP/r.json" <<'PY' || fail "review noest.v4: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
ssh = [f for f in r["flows"] if f["flow"].endswith("192.0.2.10:22")][0]
assert ssh["change"] == "BREAKS" and ssh.get("later_denied"), ssh
assert ssh["candidate"]["verdict"] == "accept", ssh
l = ssh["later"]
assert l["verdict"] == "drop" and l["legacy"] and l["chain"] == "OUTPUT" and l["type"] == "policy", l
PY

# the IPv6 twin: a candidate that forgets ssh breaks it over IPv6, by INPUT's policy
printf '# for ip6tables-legacy\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' >"$TMP/bad.v6"
review "$TMP/bad.v6" 1
"$PY" - "$TMP/r.json" <<'PY' || fail "review bad.v6: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["tables"] == ["ip6tables-legacy filter"], r["tables"]
ssh = [f for f in r["flows"] if f["flow"].endswith("[2001:db8::10]:22")][0]
assert ssh["change"] == "BREAKS", ssh
c = ssh["candidate"]
assert c["verdict"] == "drop" and c["type"] == "policy" and c["legacy"], c
assert c["family"] == "ip6" and c["chain"] == "INPUT", c
assert not [f for f in r["flows"] if "192.0.2.10" in f["flow"] and f["change"] != "ok"], r["flows"]
PY

# a file for iptables-nft is refused, and says why
{ echo '# Generated by iptables-nft-save v1.8.9 (nf_tables) on Sun Nov 29 12:00:00 2026'; tail -n +3 "$DATA/case-legacy.v4"; } >"$TMP/nft.v4"
review "$TMP/nft.v4" 2
grep -q 'for iptables-nft (its comments say so)' "$TMP/r.err" || fail "iptables-nft file: $(cat "$TMP/r.err")"
S "$CTA" apply "$TMP/nft.v4" --confirm-timeout 0 --backup "$TMP/b0" </dev/null 2>"$TMP/a.err" &&
	fail "apply took a file for iptables-nft"
[ "$(saved)" = "$(cat "$TMP/rules.before")" ] || fail "refused apply changed the rules"

# an nft candidate that accepts everything: the legacy tables stay in force beside it
# (the replay has them too), so what they rejected stays rejected, and they are named
printf 'table inet cand {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n' >"$TMP/open.nft"
review "$TMP/open.nft" 0
"$PY" - "$TMP/r.json" <<'PY' || fail "review open.nft: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert "iptables-legacy filter" in r["beside"], r["beside"]
by = {f["flow"].split(" -> ")[1]: f for f in r["flows"]}
assert by["192.0.2.10:22"]["change"] == "ok", by["192.0.2.10:22"]
rej = by["192.0.2.10:80"]
assert rej["change"] == "ok" and rej["candidate"]["legacy"], rej
PY

# the reverse: where iptables is iptables-nft and no legacy table is loaded (a namespace
# of its own), a file for iptables-legacy would be a second firewall; an unmarked file
# is taken for this host's iptables
if [ "$(readlink /etc/alternatives/iptables)" = /usr/sbin/iptables-nft ]; then
	unshare -n "$CTA" review "$TMP/cand.v4" </dev/null >/dev/null 2>"$TMP/r.err"
	rc=$?
	[ $rc = 2 ] && grep -q 'second firewall' "$TMP/r.err" ||
		fail "legacy file on an iptables-nft host: exit $rc: $(cat "$TMP/r.err")"
	grep -v '^#' "$TMP/cand.v4" >"$TMP/unmarked.v4"
	unshare -n "$CTA" review "$TMP/unmarked.v4" </dev/null >/dev/null 2>"$TMP/r.err"
	rc=$?
	[ $rc = 2 ] && grep -q "this host's is iptables-nft" "$TMP/r.err" ||
		fail "unmarked file on an iptables-nft host: exit $rc: $(cat "$TMP/r.err")"
fi

# apply without confirmation: the candidate is live, then the old rules come back
sleep 4 | script -qec "ip netns exec $SRV $CTA apply $TMP/cand.v4 --confirm-timeout 2 --backup $TMP/b.v4" /dev/null >"$TMP/out" 2>&1
grep -q 'previous tables are back' "$TMP/out" || fail "no rollback: $(cat "$TMP/out")"
saved >"$TMP/rules.after"
cmp -s "$TMP/rules.before" "$TMP/rules.after" || fail "not rolled back: $(diff "$TMP/rules.before" "$TMP/rules.after")"
[ -s "$TMP/b.v4" ] || fail "no backup"
# the same for ip6tables: rolled back, the IPv4 tables untouched
sleep 4 | script -qec "ip netns exec $SRV $CTA apply $TMP/cand.v6 --confirm-timeout 2 --backup $TMP/b.v6" /dev/null >"$TMP/out" 2>&1
grep -q 'previous tables are back' "$TMP/out" || fail "no rollback (IPv6): $(cat "$TMP/out")"
saved6 >"$TMP/rules6.after"
cmp -s "$TMP/rules6.before" "$TMP/rules6.after" ||
	fail "IPv6 not rolled back: $(diff "$TMP/rules6.before" "$TMP/rules6.after")"
cmp -s <(saved) "$TMP/rules.before" || fail "IPv6 apply changed the IPv4 rules"
[ -s "$TMP/b.v6" ] && grep -q '^\*filter' "$TMP/b.v6" || fail "no IPv6 backup"
# confirmed: it stays, the IPv6 tables untouched
(sleep 1; echo yes; sleep 3) | script -qec "ip netns exec $SRV $CTA apply $TMP/cand.v4 --confirm-timeout 10 --backup $TMP/b2.v4" /dev/null >"$TMP/out" 2>&1
grep -q 'confirmed' "$TMP/out" || fail "not confirmed: $(cat "$TMP/out")"
S iptables-legacy-save | grep -q -- '--dports 22 .*-j ACCEPT' || fail "candidate not live"
cmp -s <(saved6) "$TMP/rules6.before" || fail "IPv6 legacy rules changed"
C send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh after apply"

bindings >"$TMP/nflog.after"
cmp -s "$TMP/nflog.before" "$TMP/nflog.after" || fail "nf_log bindings changed: $(cat "$TMP/nflog.after")"
finish
