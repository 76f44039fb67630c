#!/usr/bin/env bash
# A ruleset with notrack rules (a DNS or SIP server spared conntrack): the packets they
# match get no conntrack entry, so the recording has no connection of theirs, and the
# host's answers look like outbound connections of their own (helper-53, libvirt's
# layout with a raw notrack for udp 5060). record says so once, naming the rule; a
# ruleset without one gets no such warning.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/none.json" 2>"$TMP/none.err" &
rec=$!
wait_file "$TMP/none.json" || exit 1
kill -INT $rec
wait $rec || fail "record failed: $(cat "$TMP/none.err")"
expect_line "$TMP/none.err" "notrack" 0

S nft -f - <<'NFT' || fail "ruleset"
table inet raw {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		udp dport 53 notrack
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send udp 192.0.2.10 53 >/dev/null 2>&1
sleep 1
kill -INT $rec
wait $rec || fail "record failed: $(cat "$TMP/rec.err")"
cat "$TMP/rec.err"
expect_line "$TMP/rec.err" "^conntrack-advise: warning: the ruleset has notrack rules \(inet raw pre handle [0-9]+: udp dport 53 notrack\): conntrack does not track"
finish
