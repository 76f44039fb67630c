#!/usr/bin/env bash
# review follows each connection past its first packet: its reply (SYN-ACK, datagram,
# echo reply) back the way the host's came, then its next packet (the handshake's ACK,
# another datagram). A candidate of its own whose output chain drops by policy with no
# accept for established connections let every first packet in and was "ok", exit 0,
# while every reply would meet the drop. Now: BREAKS, exit 1, the reply's drop named;
# stateless rules that let the replies out are judged by what they do (ok); an input
# chain that accepts `ct state new` only breaks TCP at the handshake's ACK; an
# outbound flow's reply comes back in; a router's masqueraded flow's reply is forwarded
# back.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "nft -f"
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		tcp dport 22 accept
		udp dport 53 accept
		icmp type echo-request accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 22 -s 198.51.100.7 || fail "tcp 22"
ip netns exec "$CLA" "$CTALAB" send tcp 2001:db8:a::1 22 -s 2001:db8:a::7 || fail "tcp 22 v6"
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.7 || fail "udp 53"
ip netns exec "$CLA" ping -c1 -W2 -q 198.51.100.1 >/dev/null || fail "ping"
S "$CTALAB" send udp 203.0.113.20 123 -s 203.0.113.1 || fail "udp 123 out"
sleep 2
kill -INT $rec
wait $rec || fail "record failed"

# changes: TAG -> "FLOW CHANGE later_denied" lines of review -j
changes() {
	"$PY" - "$1" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["review"]["flows"]:
    if f["flow"].startswith(("tcp", "udp", "icmp")):
        words = f["flow"].split()
        what = words[3] if words[0] == "icmp" else words[3].rsplit(":", 1)[-1]
        print(words[0], what, f["change"], bool(f.get("later_denied")))
PY
}

# A: the candidate's own output chain drops by policy; no accept for established ones
cat >"$TMP/a.nft" <<'NFT'
flush ruleset
table inet fw {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		tcp dport 22 accept
		udp dport 53 accept
		icmp type echo-request accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
	chain output {
		type filter hook output priority 0; policy drop;
		oif lo accept
		udp dport 123 accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
S "$CTA" review "$TMP/a.nft" --session "$TMP/s.json" >"$TMP/a.out" 2>&1
rc=$?
cat "$TMP/a.out"
[ $rc = 1 ] || fail "A: output chain dropping every reply: exit $rc, not 1"
expect_line "$TMP/a.out" "^  BREAKS     tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22 .*candidate: accept"
expect_line "$TMP/a.out" "^             its first packet gets through, the rest of its connection does not: .*drop \(policy of inet fw output\)" 4
S "$CTA" -j review "$TMP/a.nft" --session "$TMP/s.json" >"$TMP/a.json" 2>/dev/null
changes "$TMP/a.json" | sort >"$TMP/a.changes"
cat >"$TMP/a.want" <<'W'
icmp 198.51.100.1 BREAKS True
tcp 22 BREAKS True
tcp 22 BREAKS True
udp 123 ok False
udp 53 BREAKS True
W
diff -u "$TMP/a.want" "$TMP/a.changes" || fail "A: the changes"

# B: stateless rules let the same replies out: judged by what they do
sed -e 's/^\t\tudp dport 123 accept$/&\n\t\ttcp sport 22 accept\n\t\tudp sport 53 accept\n\t\ticmp type echo-reply accept/' \
	"$TMP/a.nft" >"$TMP/b.nft"
S "$CTA" review "$TMP/b.nft" --session "$TMP/s.json" >"$TMP/b.out" 2>&1
rc=$?
cat "$TMP/b.out"
[ $rc = 0 ] || fail "B: stateless accepts of the replies: exit $rc, not 0"
expect_line "$TMP/b.out" "^[0-9]+ flows: 0 would break"

# C: input accepts ct state new only: the SYN and the SYN-ACK pass, the ACK does not
cat >"$TMP/c.nft" <<'NFT'
flush ruleset
table inet fw {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state new tcp dport 22 accept
		udp dport 53 accept
		icmp type echo-request accept
		udp sport 123 accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
S "$CTA" -j review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/c.json" 2>/dev/null
rc=$?
[ $rc = 1 ] || fail "C: input without established accept: exit $rc, not 1"
changes "$TMP/c.json" | sort >"$TMP/c.changes"
cat >"$TMP/c.want" <<'W'
icmp 198.51.100.1 ok False
tcp 22 BREAKS True
tcp 22 BREAKS True
udp 123 ok False
udp 53 ok False
W
diff -u "$TMP/c.want" "$TMP/c.changes" || fail "C: the changes"

# D: the outbound flow's reply comes back in: input without its accept breaks it
sed -e '/udp sport 123 accept/d' "$TMP/c.nft" >"$TMP/d.nft"
S "$CTA" -j review "$TMP/d.nft" --session "$TMP/s.json" >"$TMP/d.json" 2>/dev/null
changes "$TMP/d.json" | grep "^udp 123 " >"$TMP/d.changes"
echo "udp 123 BREAKS True" | diff -u - "$TMP/d.changes" || fail "D: the outbound flow"

# E: an egress chain before conntrack (priority raw) drops the replies (helper-61): no
# trace of them carries conntrack's state, they are judged all the same; the
# management session's replies too: LOCKOUT, once
{
	S nft list ruleset | sed "1i flush ruleset"
	cat <<'NFT'
table inet eg {
	chain egress {
		type filter hook output priority raw; policy drop;
		oif lo accept
		udp dport 123 accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
} >"$TMP/e.nft"
SSH_CONNECTION="198.51.100.7 40022 198.51.100.1 22" S "$CTA" review "$TMP/e.nft" \
	--session "$TMP/s.json" >"$TMP/e.out" 2>&1
rc=$?
cat "$TMP/e.out"
[ $rc = 1 ] || fail "E: replies dropped before conntrack: exit $rc, not 1"
expect_line "$TMP/e.out" "^LOCKOUT: the management session tcp 198\.51\.100\.7:40022 -> 198\.51\.100\.1:22 would be dropped$"
expect_line "$TMP/e.out" "^             its first packet gets through, the rest of its connection does not: .*drop \(policy of inet eg egress\)" 5

# F: DNS notracked both ways, an output chain that accepts established ones only: the
# untracked reply meets the drop policy
cat >"$TMP/f.nft" <<'NFT'
flush ruleset
table inet fw {
	chain pre {
		type filter hook prerouting priority raw;
		udp dport 53 notrack
	}
	chain out_raw {
		type filter hook output priority raw;
		udp sport 53 notrack
	}
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		tcp dport 22 accept
		udp dport 53 accept
		icmp type echo-request accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		udp sport 123 accept
	}
	chain output {
		type filter hook output priority 0; policy drop;
		ct state established,related accept
		oif lo accept
		udp dport 123 accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
S "$CTA" -j review "$TMP/f.nft" --session "$TMP/s.json" >"$TMP/f.json" 2>/dev/null
rc=$?
[ $rc = 1 ] || fail "F: notracked DNS replies dropped: exit $rc, not 1"
changes "$TMP/f.json" | sort >"$TMP/f.changes"
cat >"$TMP/f.want" <<'W'
icmp 198.51.100.1 ok False
tcp 22 ok False
tcp 22 ok False
udp 123 ok False
udp 53 BREAKS True
W
diff -u "$TMP/f.want" "$TMP/f.changes" || fail "F: the changes"

# G: a rate limit on every ssh packet, named: the replay's pace is not the host's, so
# its drops judge nothing (the v6 connection's SYN, the v4 one's ACK): not judged, or
# ok, never BREAKS
sed 's/^\t\ttcp dport 22 accept$/\t\ttcp dport 22 limit name "ssh" drop\n&/; s/^table inet fw {$/&\n\tlimit ssh { rate over 1\/hour burst 1 packets }/' \
	"$TMP/b.nft" >"$TMP/g.nft"
S "$CTA" review "$TMP/g.nft" --session "$TMP/s.json" >"$TMP/g.out" 2>&1
rc=$?
cat "$TMP/g.out"
[ $rc = 0 ] || fail "G: a named rate limit: exit $rc, not 0"
expect_line "$TMP/g.out" "BREAKS" 0
expect_line "$TMP/g.out" "^  not judged +tcp .*:22 .*\(not judged: a rule that counts the pace of packets"

# the live ruleset unchanged: nothing breaks
S nft list ruleset | sed '1i flush ruleset' >"$TMP/live.nft"
S "$CTA" review "$TMP/live.nft" --session "$TMP/s.json" >"$TMP/live.out" 2>&1 ||
	fail "the live ruleset: exit $?: $(cat "$TMP/live.out")"
expect_line "$TMP/live.out" "^[0-9]+ flows: 0 would break, 0 would open"

# a router: the LAN's flow to the WAN, masqueraded; its reply comes back in on wan0 to
# the masquerading address, and the forward chain must let it through. A udp/53
# connection replied before the recording began, found open by its start-up dump: its
# reply counters stay 0 (nothing after the dump), its state says it had replies; it
# was "ok", exit 0, with every reply to come dropped (helper-63)
lab_down # the host lab's namespaces: lab_router's names are others
lab_router || fail "router lab"
(ip netns exec "$CLA" "$CTALAB" serve tcp 443 60 &)
(ip netns exec "$CLA" "$CTALAB" serve udp 53 60 &)
sleep 0.3
S nft -f - <<'NFT' || fail "nft -f router"
table inet r {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "wan0" masquerade
	}
}
NFT
ip netns exec "$CLB" "$CTALAB" send udp 198.51.100.7 53 -s 192.0.2.2 || fail "lan to wan (udp)"
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/r.json" &
rec=$!
wait_file "$TMP/r.json" || exit 1
ip netns exec "$CLB" "$CTALAB" send tcp 198.51.100.7 443 -s 192.0.2.2 || fail "lan to wan"
sleep 2
kill -INT $rec
wait $rec || fail "record failed (router)"
S nft list ruleset | sed '1i flush ruleset' >"$TMP/r-live.nft"
grep -v "ct state established,related accept" "$TMP/r-live.nft" | sed 's/^table inet r /table inet r2 /' >"$TMP/r-cand.nft"
for c in r-live r-cand; do
	S "$CTA" -j review "$TMP/$c.nft" --session "$TMP/r.json" >"$TMP/$c.json" 2>"$TMP/$c.err"
	echo "$c: exit $?" >>"$TMP/r-rc"
	changes "$TMP/$c.json" >"$TMP/$c.changes"
done
cat "$TMP/r-rc" "$TMP/r-live.changes" "$TMP/r-cand.changes"
printf '%s\n' "r-live: exit 0" "r-cand: exit 1" | diff -u - "$TMP/r-rc" || fail "router: exit codes"
printf '%s\n' "tcp 443 ok False" "udp 53 ok False" | diff -u - "$TMP/r-live.changes" ||
	fail "router: the live ruleset"
printf '%s\n' "tcp 443 BREAKS True" "udp 53 BREAKS True" | diff -u - "$TMP/r-cand.changes" ||
	fail "router: no accept for the replies"
"$PY" -c 'import json,sys
f=[f for f in json.load(open(sys.argv[1]))["flows"] if f["protocol"]=="udp"]
print(len(f), f[0]["state"], f[0]["packets"]["reply"])' "$TMP/r.json" >"$TMP/r-udp"
echo "1 replied 0" | diff -u - "$TMP/r-udp" || fail "router: the udp connection from before"
# the masquerade taken away (the nat chain gone): the tcp/443 connection's traced
# masquerade is gone, BREAKS; the udp/53 one from before the recording, never traced,
# has its masquerade in its tuples (reply to 198.51.100.1, not 192.0.2.2): BREAKS too,
# it was "ok", exit 0, and the router answered nothing (helper-65)
"$PY" - "$TMP/r-live.nft" >"$TMP/r-nonat.nft" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
print(re.sub(r"\n\tchain postrouting \{.*?\n\t\}", "", text, flags=re.S), end="")
PY
grep -q masquerade "$TMP/r-nonat.nft" && fail "router: the candidate without nat still masquerades"
S "$CTA" -j review "$TMP/r-nonat.nft" --session "$TMP/r.json" >"$TMP/r-nonat.json" 2>"$TMP/r-nonat.err"
rc=$?
[ $rc = 1 ] || fail "router: without nat: exit $rc, not 1: $(cat "$TMP/r-nonat.err")"
"$PY" - "$TMP/r-nonat.json" >"$TMP/r-nonat.changes" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["review"]["flows"]:
    print(f["flow"].split()[0], f["change"], f.get("nat_lost"))
PY
printf '%s\n' "tcp BREAKS masquerade" "udp BREAKS masquerade or snat (its connections' reply tuple)" |
	diff -u - "$TMP/r-nonat.changes" || fail "router: without nat"
# the same table kept, its established accept swapped for a stateless rule for the
# replies (helper-61): the untraced-rules check lists the loss, the replay shows the
# replies get through: no BREAKS, exit 0 (it was BREAKS, exit 1)
sed 's/ct state established,related accept/iifname "wan0" oifname "lan0" tcp sport 443 accept\n\t\tiifname "wan0" oifname "lan0" udp sport 53 accept/' \
	"$TMP/r-live.nft" >"$TMP/r-sl.nft"
S "$CTA" review "$TMP/r-sl.nft" --session "$TMP/r.json" >"$TMP/r-sl.out" 2>&1
rc=$?
cat "$TMP/r-sl.out"
[ $rc = 0 ] || fail "router: stateless replies: exit $rc, not 0"
expect_line "$TMP/r-sl.out" "^untraced: the candidate takes away rules"
expect_line "$TMP/r-sl.out" "^  - inet r forward: ct state established,related accept .*: the replay followed connections through that chain"
expect_line "$TMP/r-sl.out" "BREAKS" 0
finish
