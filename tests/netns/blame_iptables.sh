#!/usr/bin/env bash
# An iptables-nft ruleset (loaded with iptables-nft-restore) is blamed like any nft
# one, on the handle and text nft lists (a rule with an xt target followed by its line
# in iptables-nft-save's output); iptables-legacy tables draw a warning only where they
# cannot be followed (--trace none).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 60 &)
(ip netns exec "$SRV" "$CTALAB" serve tcp 80 60 &)
sleep 0.3
S iptables-nft-restore <<'IPT' || fail "iptables-nft-restore"
*filter
:INPUT DROP [0:0]
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset
COMMIT
IPT
h22=$(S nft -a list chain ip filter INPUT | grep 'dport 22' | sed 's/.* # handle //')
t22=$(S nft -a -s list chain ip filter INPUT | grep 'dport 22' | sed 's/ # handle.*//; s/^[[:space:]]*//')
h80=$(S nft -a list chain ip filter INPUT | grep 'dport 80' | sed 's/.* # handle //')
t80=$(S nft -a -s list chain ip filter INPUT | grep 'dport 80' | sed 's/ # handle.*//; s/^[[:space:]]*//')
[ -n "$h22" ] && [ -n "$h80" ] || fail "iptables-nft rules not listed by nft"
# REJECT is an xt target: its line as iptables-nft-save writes it follows nft's text
t80="$t80 # iptables-nft: -A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset"

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "22"
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 80 -s 198.51.100.7 && fail "80 connected"
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 443 -s 198.51.100.7 && fail "443 connected"
sleep 3
kill -INT $rec
wait $rec || fail "record"

# check JSON TUPLE VERDICT TYPE HANDLE TEXT
check() {
	"$PY" - "$1" "$3" "$4" "$5" "$6" <<'PY' || fail "blame '$2': $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["blame"][0]
verdict, typ, handle, text = sys.argv[2:6]
assert e["verdict"] == verdict and e["type"] == typ, e
assert e["family"] == "ip" and e["table"] == "filter" and e["chain"] == "INPUT", e
if typ == "rule":
    assert e["handle"] == int(handle) and e["rule"] == text, (e["handle"], e["rule"], handle, text)
PY
}
blame() {
	"$CTA" -j blame --session "$TMP/s.json" "$1" >"$TMP/b.json" || fail "blame '$1' exited $?"
	check "$TMP/b.json" "$@"
}
# live: TUPLE TRAFFIC... then the check's arguments after --
live() {
	local tuple=$1
	shift
	ip netns exec "$SRV" "$CTA" -q -j blame --live --timeout 10s "$tuple" >"$TMP/live.json" &
	local b=$!
	wait_blame_table
	ip netns exec "$CLA" "$CTALAB" "$@" >/dev/null 2>&1
	wait $b || fail "blame --live '$tuple' exited $?"
}
blame "tcp 198.51.100.7 -> 192.0.2.10:22" accept rule "$h22" "$t22"
blame "tcp 198.51.100.7 -> 192.0.2.10:80" reject rule "$h80" "$t80"
blame "tcp 198.51.100.7 -> 192.0.2.10:443" drop policy 0 ""
live "tcp 198.51.100.8 -> 192.0.2.10:22" send tcp 192.0.2.10 22 -s 198.51.100.8
check "$TMP/live.json" "live 22" accept rule "$h22" "$t22"
live "tcp 198.51.100.8 -> 192.0.2.10:80" probe tcp 192.0.2.10 80 -s 198.51.100.8
check "$TMP/live.json" "live 80" reject rule "$h80" "$t80"

# empty legacy tables (what `iptables-legacy -L` or `iptables-legacy-restore --test`
# leave behind) decide nothing: no warning
S iptables-legacy -L -n >/dev/null || fail "iptables-legacy -L"
S grep -q filter /proc/net/ip_tables_names || fail "iptables-legacy -L loaded no legacy table"
S "$CTA" record -d 1 -o "$TMP/e.json" 2>"$TMP/e.err" || fail "record with empty legacy tables"
grep -q 'iptables-legacy' "$TMP/e.err" && fail "warned about empty legacy tables: $(cat "$TMP/e.err")"

# iptables-legacy rules are followed through their TRACE lines: no warning; with
# --trace none they cannot be, and one warning says so
S iptables-legacy -A INPUT -p tcp --dport 9999 -j DROP || fail "iptables-legacy"
S "$CTA" record -d 1 -o "$TMP/l.json" 2>"$TMP/l.err" || fail "record with legacy tables"
grep -q 'iptables-legacy' "$TMP/l.err" && fail "warned about followed legacy rules: $(cat "$TMP/l.err")"
S "$CTA" record --trace none -d 1 -o "$TMP/n.json" 2>"$TMP/n.err" || fail "record --trace none"
[ "$(grep -c 'iptables-legacy rules are loaded here: with --trace none' "$TMP/n.err")" = 1 ] ||
	fail "legacy warning with --trace none: $(cat "$TMP/n.err")"
# a policy other than ACCEPT decides too
S iptables-legacy -D INPUT -p tcp --dport 9999 -j DROP || fail "iptables-legacy -D"
S iptables-legacy -P FORWARD DROP || fail "iptables-legacy -P"
S "$CTA" record --trace none -d 1 -o "$TMP/p.json" 2>"$TMP/p.err" || fail "record with a legacy policy"
[ "$(grep -c 'iptables-legacy rules are loaded here' "$TMP/p.err")" = 1 ] ||
	fail "legacy policy warning: $(cat "$TMP/p.err")"
finish
