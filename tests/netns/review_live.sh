#!/usr/bin/env bash
# Issue 16, case 9: review --live says "unreached, a candidate for removal" only of
# rules record could have seen reached. Only first packets are traced: rules for later
# packets (ct state established,related; a ct state vmap), loopback, IPv6 neighbour
# discovery (never tracked, also when a rule takes all of ICMPv6 or link-local
# sources), and the NAT of translated connections are "untraced",
# never "unreached"; a nat chain's policy never
# decides. Following the old advice on this drop-policy host cut every connection.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S sysctl -qw net.ipv4.ip_forward=1
ip -n "$CLA" route add 203.0.113.0/24 via 198.51.100.1
(S "$CTALAB" serve tcp 22 60 &)
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 -a 203.0.113.20 &)
sleep 0.3
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state vmap { established : accept, related : accept, invalid : drop }
		ct state established,related accept
		iif "lo" accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		meta l4proto { icmp, ipv6-icmp } accept
		icmpv6 type != echo-request accept
		ip6 saddr fe80::/10 accept
		ip6 daddr ff02::/16 accept
		meta l4proto ipv6-icmp jump icmp6
		icmpv6 type echo-request accept
		tcp dport 22 accept
		tcp dport 25 accept
		tcp dport 23 reject with icmpx admin-prohibited
	}
	chain icmp6 {
		accept
	}
	chain output {
		type filter hook output priority filter; policy accept;
		jump common_out
	}
	chain common_out {
		ct state established,related accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct status dnat accept
		ip6 daddr 2001:db8:b::/64 accept
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat ip to 203.0.113.20:80
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "sb" masquerade
	}
}
NFT

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 >/dev/null || fail "ssh"
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.7 -n 2 >/dev/null ||
	fail "port forward"
sleep 1
kill -INT $rec
wait $rec || fail "record failed"

S "$CTA" review --live --session "$TMP/s.json" >"$TMP/live.out" 2>&1 || fail "review --live"
cat "$TMP/live.out"
# what the traces could not see: untraced, never a candidate for removal
for rule in 'ct state vmap' 'ct state established,related accept' 'iif "lo" accept' nd-neighbor \
	'ct status dnat accept' 'dnat ip to 203.0.113.20:80' 'oifname "sb" masquerade'; do
	grep -F -- "$rule" "$TMP/live.out" | grep -q "^unreached" &&
		fail "called unreached: $rule"
done
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: ct state established,related accept$"
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: iif \"lo\" accept$"
# neighbour discovery is never tracked: IPv6 needs the rule all the same
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: icmpv6 type \{ nd-neighbor-solicit, nd-neighbor-advert \} accept$"
# and so is a rule that takes every ICMPv6 type, all but one, or link-local sources
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: meta l4proto \{ icmp, ipv6-icmp \} accept$"
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: icmpv6 type != echo-request accept$"
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: ip6 saddr fe80::/10 accept$"
# a nat chain sees tracked connections only: never called a neighbour discovery rule
grep -A1 ': oifname "sb" masquerade$' "$TMP/live.out" | grep -q "neighbour discovery" &&
	fail "masquerade called a neighbour discovery rule"
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: ip6 daddr ff02::/16 accept$"
expect_line "$TMP/live.out" "^untraced +inet fw input handle [0-9]+ .*: meta l4proto ipv6-icmp jump icmp6$"
expect_line "$TMP/live.out" "^untraced +inet fw icmp6 handle [0-9]+ .*: accept$"
# neighbour discovery is link-local: a forward rule is judged (no IPv6 was forwarded)
expect_line "$TMP/live.out" "^unreached +inet fw forward handle [0-9]+ .*: ip6 daddr 2001:db8:b::/64 accept$"
# crossed by every reply: the jump to the rules for them is no more traced than they are
expect_line "$TMP/live.out" "^untraced +inet fw output handle [0-9]+ .*: jump common_out$"
# a rule for one ICMPv6 type that is not neighbour discovery: no ping was recorded
expect_line "$TMP/live.out" "^unreached +inet fw input handle [0-9]+ .*: icmpv6 type echo-request accept$"
# what they could: no connection to 25 was recorded
expect_line "$TMP/live.out" "^unreached +inet fw input handle [0-9]+ .*: tcp dport 25 accept$"
grep -A1 ": tcp dport 25 accept$" "$TMP/live.out" | grep -q "a candidate for removal" ||
	fail "tcp dport 25 accept: not a candidate for removal"
# a rule that denies, no recorded packet matched: removing it lets through what it denies
expect_line "$TMP/live.out" "^unreached +inet fw input handle [0-9]+ .*: tcp dport 23 reject with icmpx admin-prohibited$"
grep -A1 ": tcp dport 23 reject" "$TMP/live.out" | grep -q "removing it lets through what it denies" ||
	fail "tcp dport 23 reject: $(grep -A1 ': tcp dport 23 reject' "$TMP/live.out")"
# a nat chain's policy decided nothing
expect_line "$TMP/live.out" "^policy +inet fw (pre|post)" 0
S "$CTA" -j review --live --session "$TMP/s.json" >"$TMP/live.json" || fail "review --live -j"
"$PY" - "$TMP/live.json" <<'PY' || fail "review --live -j: $(cat "$TMP/live.json")"
import json, sys
f = json.load(open(sys.argv[1]))["review"]["findings"]
kinds = {(x["kind"], x.get("rule")) for x in f}
assert ("unreached", "tcp dport 25 accept") in kinds, kinds
assert not any(k == "unreached" and r and ("ct state" in r or "lo" in r or "nat" in r)
               for k, r in kinds), kinds
assert not any(x["kind"] == "policy" and x["chain"] in ("pre", "post") for x in f), f
PY
finish
