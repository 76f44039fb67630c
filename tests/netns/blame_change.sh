#!/usr/bin/env bash
# A rule replaced mid-recording: flows judged before keep the old rule's text, flows
# judged after get the new one, all in one session.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 8080 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 8080 accept
	}
}
NFT
old=$(S nft -a list chain inet fw input | grep 'dport 8080' | sed 's/.* # handle //')

ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 8080 -s 198.51.100.7 || fail "before"
sleep 1
S nft replace rule inet fw input handle "$old" tcp dport 8080 ip saddr 198.51.100.0/24 drop
new=$(S nft -a list chain inet fw input | grep 'dport 8080' | sed 's/.* # handle //')
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 8080 -s 198.51.100.8 && fail "after: connected"
sleep 3
kill -INT $rec
wait $rec || fail "record"

"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:8080" >"$TMP/before" || fail "blame before"
grep -q "verdict: accept, by rule $old of inet fw input: tcp dport 8080 accept" "$TMP/before" ||
	fail "before: $(cat "$TMP/before")"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.8 -> 192.0.2.10:8080" >"$TMP/after" || fail "blame after"
grep -q "verdict: drop, by rule $new of inet fw input: tcp dport 8080 ip saddr 198.51.100.0/24 drop" "$TMP/after" ||
	fail "after: $(cat "$TMP/after")"
cp "$TMP/s.json" /tmp/change.json; finish
