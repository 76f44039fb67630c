#!/usr/bin/env bash
# review against a recording: the suggested ruleset passes (exit 0); one without a
# recorded service names exactly the flows that break (exit 1); one that drops the
# management session says so first; a refused ruleset names its line; --live finds
# what the recording says of the live rules; and the scratch namespace never outlives
# the command, also when it is killed.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto { icmp, ipv6-icmp } accept
		tcp dport { 22, 80, 443 } accept
		udp dport 53 accept
		tcp dport 23 reject with tcp reset
	}
}
NFT
ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" --checkpoint-interval 1 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
B() { ip netns exec "$CLB" "$CTALAB" "$@"; }
A send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 || fail "ssh"
A send tcp 192.0.2.10 80 -s 198.51.100.8 -n 2 || fail "http"
B send tcp 192.0.2.10 443 -s 203.0.113.20 || fail "https"
B send tcp 192.0.2.10 443 -s 203.0.113.21 || fail "https 2"
A send udp 192.0.2.10 53 -s 198.51.100.8 || fail "dns"
A send tcp 2001:db8::10 80 -s 2001:db8:a::7 || fail "http6"
B probe tcp 192.0.2.10 23 -s 203.0.113.20 && fail "telnet got through"
sleep 2.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
S nft list ruleset >"$TMP/live-before"

"$CTA" suggest -o "$TMP/full.nft" "$TMP/s.json" || fail "suggest"
# the same without https: two recorded flows break
grep -v 'dport 443' "$TMP/full.nft" >"$TMP/miss.nft"

S "$CTA" review "$TMP/full.nft" --session "$TMP/s.json" >"$TMP/full.out" 2>"$TMP/full.err"
rc=$?
cat "$TMP/full.out"
[ $rc = 0 ] || fail "review of the full suggestion: exit $rc: $(cat "$TMP/full.err")"
expect_line "$TMP/full.out" "the kernel takes it \(dry run\)"
expect_line "$TMP/full.out" "^  \+ table inet filter$"
expect_line "$TMP/full.out" "^  BREAKS" 0
expect_line "$TMP/full.out" "^7 flows: 0 would break, 0 would open, 7 unchanged, 0 not judged"

S "$CTA" review "$TMP/miss.nft" --session "$TMP/s.json" >"$TMP/miss.out" 2>&1
rc=$?
cat "$TMP/miss.out"
[ $rc = 1 ] || fail "review without https: exit $rc, not 1"
# exactly the two https flows, first, dropped by the new policy
expect_line "$TMP/miss.out" "^  BREAKS" 2
expect_line "$TMP/miss.out" "^  BREAKS +tcp 203\.0\.113\.20:[0-9]+ -> 192\.0\.2\.10:443 .*candidate: drop \(policy of inet filter input\)"
expect_line "$TMP/miss.out" "^  BREAKS +tcp 203\.0\.113\.21:[0-9]+ -> 192\.0\.2\.10:443 "
sed -n '/^replay/{n;p;q}' "$TMP/miss.out" | grep -q '^  BREAKS' || fail "the breaking flows do not come first"
expect_line "$TMP/miss.out" "^7 flows: 2 would break"

# JSON: the same answer
S "$CTA" -j review "$TMP/miss.nft" --session "$TMP/s.json" >"$TMP/miss.json" 2>/dev/null
"$PY" - "$TMP/miss.json" <<'PY' || fail "review -j"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1
r = d["review"]
assert r["valid"] and r["live_copied"] and not r["lockout"]
assert r["summary"]["breaks"] == 2, r["summary"]
b = [f for f in r["flows"] if f["change"] == "BREAKS"]
assert all(":443" in f["flow"] and f["candidate"]["verdict"] == "drop" for f in b), b
assert r["tables"] == ["inet filter"], r["tables"]
PY

# the management session: this shell "came in" over ssh; a ruleset without ssh drops it
grep -v 'dport 22 accept' "$TMP/full.nft" >"$TMP/nossh.nft"
SSH_CONNECTION="198.51.100.7 50022 192.0.2.10 22" \
	ip netns exec "$SRV" "$CTA" review "$TMP/nossh.nft" --session "$TMP/s.json" >"$TMP/nossh.out" 2>&1
rc=$?
cat "$TMP/nossh.out"
[ $rc = 1 ] || fail "lockout: exit $rc"
grep -v '^conntrack-advise: ' "$TMP/nossh.out" | head -1 |
	grep -q "^LOCKOUT: the management session tcp 198\.51\.100\.7:50022 -> 192\.0\.2\.10:22 would be dropped" ||
	fail "the lockout is not the report's first line"
sed -n '/^replay/{n;p;q}' "$TMP/nossh.out" | grep -qE "^  BREAKS +tcp 198\.51\.100\.7:50022 -> 192\.0\.2\.10:22 " ||
	fail "the management session is not the replay's first flow"

# a ruleset the kernel refuses: file, line, nft's words; exit 2; nothing changed
printf 'table inet bad {\n\tchain c {\n\t\ttcp dport 22 acept\n\t}\n}\n' >"$TMP/bad.nft"
S "$CTA" review "$TMP/bad.nft" --session "$TMP/s.json" >/dev/null 2>"$TMP/bad.err"
rc=$?
[ $rc = 2 ] || fail "bad ruleset: exit $rc"
grep -q "bad.nft:3:" "$TMP/bad.err" || fail "bad ruleset: no file:line: $(cat "$TMP/bad.err")"

# --live: the rule no packet reached, the policy that dropped something
S "$CTA" review --live --session "$TMP/s.json" >"$TMP/live.out" 2>&1 || fail "review --live"
cat "$TMP/live.out"
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: iif \"lo\" accept"
expect_line "$TMP/live.out" "^unreached .*iif \"lo\"" 0
expect_line "$TMP/live.out" "^unreached .*tcp dport \{ 22, 80, 443 \} accept" 0

# nothing of it stayed: the live ruleset as it was
S nft list ruleset >"$TMP/live-after"
cmp -s "$TMP/live-before" "$TMP/live-after" || fail "review changed the live ruleset"

# killed while it replays: its namespace goes with it. It is held by a descriptor only:
# find that descriptor while it runs, then no one may hold that namespace any more.
own=$(ip netns exec "$SRV" readlink /proc/self/ns/net)
ip netns exec "$SRV" "$CTA" review "$TMP/full.nft" --session "$TMP/s.json" >/dev/null 2>&1 &
pid=$!
scratch=
for _ in $(seq 1 200); do
	scratch=$(find "/proc/$pid/fd" -lname 'net:*' -printf '%l\n' 2>/dev/null | grep -vx "$own" | head -1)
	[ -n "$scratch" ] && break
	sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[ -n "$scratch" ] || fail "never saw the scratch namespace"
if [ -n "$scratch" ]; then
	holders=$( { find /proc/[0-9]*/fd -lname "$scratch" 2>/dev/null; \
		find /proc/[0-9]*/ns/net -lname "$scratch" 2>/dev/null; } | wc -l)
	[ "$holders" = 0 ] || fail "$scratch is still held by $holders after kill -9"
fi
finish
