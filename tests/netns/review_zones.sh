#!/usr/bin/env bash
# A firewalld-style zone host: input (policy drop) accepts established connections,
# then jumps to a zone chain per interface that accepts by port, then rejects. A
# candidate without the established accept keeps every inbound connection working:
# its next packets are accepted again by the zone's port rule. review said "BREAKS:
# the candidate takes away rules ...", exit 1 (helper-62): a connection's later
# verdict kept its reply's path (output) only, so review never saw that the replay
# had followed connections through input. It now keeps the next packet's path too.
# What the same candidate does break is said: a connection the host opens itself
# (its reply meets input's reject), and zone rules that accept `ct state new` only.
#
#   client A (198.51.100.7) ── sa  server  sb ── client B (203.0.113.20)
#   sa: zone public (ssh); sb: zone internal (ssh, http, dns)
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
# zones CHAIN_RULES ZONE_STATE: the ruleset, input's established accept given or not,
# each zone accept carrying ZONE_STATE ("" or "ct state new ")
zones() {
	cat <<NFT
table inet zfw {
	chain input {
		type filter hook input priority filter; policy drop;
$1
		ct state invalid drop
		iif lo accept
		meta l4proto ipv6-icmp accept
		jump zones
		reject with icmpx admin-prohibited
	}
	chain zones {
		iifname "sa" jump zone_public
		iifname "sb" jump zone_internal
	}
	chain zone_public {
		tcp dport 22 $2accept
	}
	chain zone_internal {
		tcp dport { 22, 80 } $2accept
		udp dport 53 $2accept
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
NFT
}
zones "		ct state established,related accept" "" | S nft -f - || fail "nft -f"

# record TRAFFIC...: a recording of the server while each command runs
record() {
	local rec c out=$1
	shift
	ip netns exec "$SRV" "$CTA" -q record -o "$out" &
	rec=$!
	wait_file "$out" || return 1
	for c in "$@"; do
		$c >/dev/null 2>&1 || fail "traffic: $c"
	done
	sleep 3
	kill -INT $rec
	wait $rec || fail "record failed"
}
INBOUND=(
	"ip netns exec $CLA $CTALAB send tcp 198.51.100.1 22 -s 198.51.100.7"
	"ip netns exec $CLB $CTALAB send tcp 203.0.113.1 80 -s 203.0.113.20"
	"ip netns exec $CLB $CTALAB send udp 192.0.2.10 53 -s 203.0.113.20"
)
record "$TMP/in.json" "${INBOUND[@]}"
record "$TMP/out.json" "${INBOUND[@]}" "ip netns exec $SRV $CTALAB send udp 203.0.113.20 123"

# review_json CANDIDATE SESSION RC WHAT CHECK: `review -j` exits RC, and CHECK (python
# on the review object r and its TCP and UDP flows, neighbour discovery aside) holds
review_json() {
	S "$CTA" -j review "$1" --session "$2" >"$TMP/r.json" 2>"$TMP/r.err"
	local rc=$?
	cat "$TMP/r.err"
	[ $rc = "$3" ] || fail "$4: exit $rc, not $3"
	"$PY" - "$TMP/r.json" "$5" <<'PY' || fail "review -j, $4: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
flows = [f for f in r["flows"] if f["flow"].split()[0] in ("tcp", "udp")]
assert len(flows) == 3, r["flows"]
exec(sys.argv[2])
PY
}

# the established accept taken away, the zones unchanged: the three connections ok,
# their next packets accepted by the zones' port rules
{ echo "flush ruleset"; zones "" ""; } >"$TMP/c.nft"
review_json "$TMP/c.nft" "$TMP/in.json" 0 "inbound connections a zone accepts by port" '
u = r["untraced_lost"]
assert [(x["chain"], x["breaks"], x.get("followed")) for x in u] == [("input", False, True)], u
for f in flows:
    assert f["change"] == "ok" and f["later"]["verdict"] == "accept", f
'

# the same candidate, with a connection the host opened itself: its reply is rejected
S "$CTA" review "$TMP/c.nft" --session "$TMP/out.json" >"$TMP/out.txt" 2>&1
rc=$?
cat "$TMP/out.txt"
[ $rc = 1 ] || fail "an outbound connection whose reply input rejects: exit $rc, not 1"
expect_line "$TMP/out.txt" "^  BREAKS +udp 203\.0\.113\.1:[0-9]+ -> 203\.0\.113\.20:123 +\(out\)"
expect_line "$TMP/out.txt" "^  BREAKS " 1
expect_line "$TMP/out.txt" "^ +its first packet gets through, the rest of its connection does not: .*: reject \(rule inet zfw input handle [0-9]+: reject with icmpx admin-prohibited\)"

# zone accepts for new connections only, and no established accept: the next
# packets meet the reject
{ echo "flush ruleset"; zones "" "ct state new "; } >"$TMP/new.nft"
review_json "$TMP/new.nft" "$TMP/in.json" 1 "zones that accept new connections only" '
for f in flows:
    assert f["change"] == "BREAKS" and f.get("later_denied") is True, f
    assert f["later"]["verdict"] == "reject", f
    assert "input" in [s["chain"] for s in f["later"]["path"]], f
'
finish
