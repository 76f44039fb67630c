#!/usr/bin/env bash
# Chains the recording does not watch (issue 21, item 2) and a chain's final catch-all
# (item 6). A netdev ingress chain on sb drops 203.0.113.21, a bridge table exists: the
# drop never reaches the tool's inet hooks. record and blame --live trace at ingress
# with a netdev chain of their own on each device that has an ingress chain: the
# dropped connection is in the session with its netdev rule (record: TCP connection
# attempts only), and blame --live names the rule. The bridge stays unwatched: record,
# review --live and blame --live say so; record and blame --live say which of the
# unwatched rules counted packets meanwhile; review --live never calls their rules
# candidates for removal. The input chain
# ends in a plain reject after seven rules that decides most connections: that is the
# chain's policy in all but name, not a rule to "move up".
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || exit 1
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		iif "lo" accept
		tcp dport 21 accept
		tcp dport 25 accept
		tcp dport 110 accept
		tcp dport 143 accept
		tcp dport 22 accept
		counter reject
	}
}
table netdev f {
	chain in_sb {
		type filter hook ingress device "sb" priority -500; policy accept;
		ip saddr 203.0.113.21 counter drop
	}
}
table bridge filter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		iifname "vport-b" ip daddr 192.0.2.2 tcp dport 22 counter drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" record -o "$TMP/s.json" --checkpoint-interval 1 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
A() { ip netns exec "$CLA" "$CTALAB" "$@"; }
B() { ip netns exec "$CLB" "$CTALAB" "$@"; }
A send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "ssh"
# six rejected attempts: the final reject decides most of the traced connections
for p in 8080 8081 8082 8083 8084 8085; do
	A probe tcp 192.0.2.10 $p -s 198.51.100.8 && fail "port $p got through"
done
B probe tcp 192.0.2.10 22 -s 203.0.113.21 && fail "203.0.113.21 got through the netdev drop"
sleep 2.5
kill -INT $rec
wait $rec || fail "record: $(cat "$TMP/rec.err")"
cat "$TMP/rec.err"
# the bridge is not watched; the ingress chain is traced, for TCP connection attempts
expect_line "$TMP/rec.err" "record: warning: not watched: bridge filter forward \(forward\): "
expect_line "$TMP/rec.err" "record: ingress chains are traced for TCP connection attempts only"
S nft list table netdev f | grep -q 'counter packets [1-9]' || fail "the netdev rule dropped nothing"
# its counter grew: record says what it did not see
expect_line "$TMP/rec.err" "record: not watched, yet counted while recording: netdev f in_sb handle [0-9]+ \(ip saddr 203\.0\.113\.21 counter drop\): [1-9][0-9]* packets?$"

# the connection the netdev chain dropped is in the session, with its rule
schema_ok session.schema.json "$TMP/s.json"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows.out" 2>&1 || fail "flows"
expect_line "$TMP/flows.out" "src=203\.0\.113\.21 dst=192\.0\.2\.10 .* dport=22 .*\[UNREPLIED\].* verdict=drop by=netdev/f/in_sb/[0-9]+"

S "$CTA" review --live --session "$TMP/s.json" >"$TMP/live.out" 2>"$TMP/live.err" ||
	fail "review --live: $(cat "$TMP/live.err")"
cat "$TMP/live.err" "$TMP/live.out"
expect_line "$TMP/live.err" "not \(fully\) watched while recording: .*netdev f in_sb"
expect_line "$TMP/live.out" "^unwatched +netdev f in_sb handle [0-9]+ .*: ip saddr 203\.0\.113\.21 counter"
expect_line "$TMP/live.out" "^unwatched +bridge filter forward handle [0-9]+ "
expect_line "$TMP/live.out" "^unreached +(netdev|bridge) " 0
# the final reject decided 6 of 7 traced connections from behind 7 rules: no advice
expect_line "$TMP/live.out" "^hot .*counter .*reject" 0
expect_line "$TMP/live.out" "move it up" 0

# a candidate with a netdev chain: its rule is no "no evidence" (nothing could show it)
cat >"$TMP/cand.nft" <<'NFT'
table netdev g {
	chain in_sa {
		type filter hook ingress device "sa" priority -500; policy accept;
		ip saddr 198.51.100.99 drop
	}
}
NFT
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/cand.out" 2>&1 ||
	fail "review of a netdev candidate: $(tail -3 "$TMP/cand.out")"
cat "$TMP/cand.out"
expect_line "$TMP/cand.out" "^  \+ table netdev g$"
expect_line "$TMP/cand.out" "198\.51\.100\.99" 0

# blame --live traces at ingress too (a netdev chain of its own on sb): it names the rule
# blame_live OUT TUPLE SRC: blame --live TUPLE while SRC connects to port 22 (it gets
# through unless it is .21); blame's exit status
blame_live() {
	local out=$1 tuple=$2 src=$3 bl prc
	S "$CTA" blame --live --timeout 3 "$tuple" >"$out" 2>&1 &
	bl=$!
	sleep 1
	B probe tcp 192.0.2.10 22 -s "$src"
	prc=$?
	[ "$src" = 203.0.113.21 ] && [ $prc = 0 ] && fail "$src got through (blame)"
	[ "$src" != 203.0.113.21 ] && [ $prc != 0 ] && fail "$src did not get through (blame)"
	wait $bl
}
blame_live "$TMP/blame.out" 'tcp 203.0.113.21 -> 192.0.2.10:22' 203.0.113.21
rc=$?
cat "$TMP/blame.out"
[ $rc = 0 ] || fail "blame --live of the netdev drop: exit $rc, not 0"
expect_line "$TMP/blame.out" "^  verdict: drop, by rule [0-9]+ of netdev f in_sb: ip saddr 203\.0\.113\.21 counter drop$"
# a packet the ingress chain lets through: one path, ingress then input
blame_live "$TMP/blame2.out" 'tcp 203.0.113.20 -> 192.0.2.10:22' 203.0.113.20 ||
	fail "blame --live of an accepted packet: exit $?"
cat "$TMP/blame2.out"
expect_line "$TMP/blame2.out" "^  netdev f in_sb  \(hook ingress, priority -500, filter, policy accept\): accept by its policy$"
expect_line "$TMP/blame2.out" "^  verdict: accept, by rule [0-9]+ of inet fw input: tcp dport 22 accept$"
# nothing of it comes: the chains it does not watch (the bridge), what they counted
blame_live "$TMP/blame3.out" 'tcp 203.0.113.20 -> 192.0.2.10:9' 203.0.113.21
rc=$?
[ $rc = 1 ] || fail "blame --live of nothing: exit $rc, not 1"
cat "$TMP/blame3.out"
expect_line "$TMP/blame3.out" "no packet of it reached a watched hook in time"
expect_line "$TMP/blame3.out" "^  not watched: bridge filter forward \(forward\): one of these may have decided it$"
expect_line "$TMP/blame3.out" "^  counted while waiting .*: netdev f in_sb handle [0-9]+ \(ip saddr 203\.0\.113\.21 counter drop\): [1-9][0-9]* packets?$"
finish
