#!/usr/bin/env bash
# Every golden suggestion and every template in every format is accepted by the
# tools that load it (nft -c, iptables-legacy-restore --test, in a namespace of
# its own); suggest's errors name the file and line, and leave -o untouched.
. "$(dirname "$0")/common.sh"

DATA=$HERE/../data/suggest
N() { unshare -n "$@"; }

for f in "$DATA"/*.nft; do
	N nft -c -f "$f" || fail "nft -c rejects $f"
done
for f in "$DATA"/*.iptables; do
	N iptables-legacy-restore --test "$f" || fail "iptables-legacy-restore rejects $f"
done
for f in "$DATA"/*.ip6tables; do
	N ip6tables-legacy-restore --test "$f" || fail "ip6tables-legacy-restore rejects $f"
done

# every template, every format, with every kind of flow in it
for t in server workstation router; do
	for fmt in nft iptables ip6tables; do
		out=$TMP/$t.$fmt
		"$CTA" suggest --template "$t" --format "$fmt" --restrict-output \
			"$DATA/v4.json" "$DATA/v6.json" "$DATA/router.json" >"$out" 2>"$TMP/err" ||
			fail "suggest --template $t --format $fmt"
		case $fmt in
		nft) N nft -c -f "$out" || fail "nft -c rejects template $t" ;;
		iptables) N iptables-legacy-restore --test "$out" || fail "iptables rejects template $t" ;;
		ip6tables) N ip6tables-legacy-restore --test "$out" || fail "ip6tables rejects template $t" ;;
		esac
	done
done
# a template without a forward chain says what it leaves out
"$CTA" suggest "$DATA/router.json" >/dev/null 2>"$TMP/err" || fail "suggest router.json"
grep -q "template server has no {{forward}}: .* forwarded flows left out" "$TMP/err" ||
	fail "no warning about forwarded flows: $(cat "$TMP/err")"

# several sessions merge: evidence adds up, rules stay the same
"$CTA" suggest "$DATA/v4.json" "$DATA/v4.json" >"$TMP/twice" || fail "suggest twice"
expect_line "$TMP/twice" 'tcp dport \{ 80, 443 \} accept comment "28 conns from 3 hosts'
expect_line "$TMP/twice" '^# Session: host fixture' 2
# a merged session gives the same rules as its parts given one by one
"$CTA" merge -o "$TMP/merged.json" "$DATA/v4.json" "$DATA/v6.json" "$DATA/router.json" 2>/dev/null ||
	fail "merge"
"$CTA" merge "$DATA/router.json" "$DATA/v6.json" "$DATA/v4.json" 2>/dev/null | cmp -s - "$TMP/merged.json" ||
	fail "merge depends on the order of its sessions"
schema_ok session.schema.json "$TMP/merged.json"
"$CTA" suggest --template router "$TMP/merged.json" | grep -v '^# Session\|^# Suggested' >"$TMP/m.nft"
"$CTA" suggest --template router "$DATA/v4.json" "$DATA/v6.json" "$DATA/router.json" |
	grep -v '^# Session\|^# Suggested' >"$TMP/s.nft"
cmp -s "$TMP/m.nft" "$TMP/s.nft" || fail "suggest of the merged session differs: $(diff "$TMP/m.nft" "$TMP/s.nft" | head)"
"$CTA" merge 2>/dev/null
[ $? = 2 ] || fail "merge without SESSION: exit status not 2"
# flows keeps the hosts of a merged session apart, and names them
"$CTA" merge -o "$TMP/two.json" "$DATA/v4.json" "$HERE/../data/demo-session.json" 2>/dev/null ||
	fail "merge of two hosts"
"$CTA" flows -o extended "$TMP/two.json" >"$TMP/two.txt" || fail "flows of a merged session"
expect_line "$TMP/two.txt" ' host=fixture$' "$("$CTA" flows -o extended "$DATA/v4.json" | wc -l)"
expect_line "$TMP/two.txt" ' host=vm$' "$("$CTA" flows -o extended "$HERE/../data/demo-session.json" | wc -l)"
# --table
"$CTA" suggest --table edge "$DATA/v4.json" | grep -q "^table inet edge {" || fail "--table"

# errors: exit 2, the file and line named, -o left as it was
echo keep >"$TMP/out.nft"
printf 'table inet {{table}} {\n\tchain input {\n\t\t{{inptu}}\n\t}\n}\n' >"$TMP/bad.nft"
"$CTA" suggest --template "$TMP/bad.nft" -o "$TMP/out.nft" "$DATA/v4.json" 2>"$TMP/err"
[ $? = 2 ] || fail "broken template: exit status not 2"
grep -q "bad.nft:3:3: unknown placeholder {{inptu}}" "$TMP/err" || fail "template error: $(cat "$TMP/err")"
"$CTA" suggest --template nosuch "$DATA/v4.json" 2>"$TMP/err" >/dev/null
[ $? = 2 ] || fail "unknown template: exit status not 2"
grep -q "no template 'nosuch'" "$TMP/err" || fail "unknown template: $(cat "$TMP/err")"
printf '{"format": "conntrack-advise-session",\n "version": 7}\n' >"$TMP/bad.json"
"$CTA" suggest -o "$TMP/out.nft" "$DATA/v4.json" "$TMP/bad.json" 2>"$TMP/err"
[ $? = 2 ] || fail "bad session: exit status not 2"
grep -q "bad.json:2:" "$TMP/err" || fail "bad session error: $(cat "$TMP/err")"
[ "$(cat "$TMP/out.nft")" = keep ] || fail "-o changed by a failed suggest"
"$CTA" suggest --format pf "$DATA/v4.json" 2>/dev/null
[ $? = 2 ] || fail "--format pf: exit status not 2"
"$CTA" suggest --prefix4 33 "$DATA/v4.json" 2>/dev/null
[ $? = 2 ] || fail "--prefix4 33: exit status not 2"
# and it works: -o replaces the file
"$CTA" suggest -o "$TMP/out.nft" "$DATA/v4.json" || fail "suggest -o"
grep -q "^table inet filter {" "$TMP/out.nft" || fail "-o did not write the ruleset"
finish
