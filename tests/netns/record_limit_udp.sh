#!/usr/bin/env bash
# A UDP service behind a rate limit (`limit rate 5/second accept`, then drop), IPv4 and
# IPv6: bursts of queries, each from a socket of its own, the first of each burst let
# through, the rest dropped. record (default settings) traces a flow once in 30 s, and
# that trace saw an accept; the drops the kernel counted must still be booked with the
# rule that dropped them (the flow put in doubt and traced at random, nft/table.c), all
# of them, whenever the trace that named it came; and counted exactly.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve udp 53 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		meta nfproto ipv4 udp dport 53 limit rate 5/second burst 5 packets counter accept
		meta nfproto ipv4 udp dport 53 counter drop
		meta nfproto ipv6 udp dport 53 limit rate 5/second burst 5 packets counter accept
		meta nfproto ipv6 udp dport 53 counter drop
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
for _ in $(seq 8); do
	ip netns exec "$CLA" "$CTALAB" burst udp 198.51.100.1 53 -n 40 >/dev/null 2>&1
	ip netns exec "$CLA" "$CTALAB" burst udp 2001:db8:a::1 53 -n 40 >/dev/null 2>&1
	sleep 1
done
sleep 3
kill -INT $rec
wait $rec || fail "record"
S nft -a list table inet filter >"$TMP/filter.nft"
# "v4accept v4drop v6accept v6drop" packets, and the drop rules' handles
read -r a4 d4 a6 d6 < <(awk '/udp dport 53/ { for (i = 1; i < NF; i++) if ($i == "packets") printf "%s ", $(i + 1) } END { print "" }' "$TMP/filter.nft")
h4=$(sed -n 's/.*ipv4 udp dport 53 counter packets .* drop # handle \([0-9]*\)$/\1/p' "$TMP/filter.nft")
h6=$(sed -n 's/.*ipv6 udp dport 53 counter packets .* drop # handle \([0-9]*\)$/\1/p' "$TMP/filter.nft")
echo "kernel: v4 $a4 let, $d4 dropped; v6 $a6 let, $d6 dropped; drop rules $h4 $h6"
[ "${d4:-0}" -gt 100 ] && [ "${d6:-0}" -gt 100 ] || fail "the limit dropped too little to tell: $d4 $d6"

"$PY" - "$TMP/s.json" "$a4" "$d4" "$a6" "$d6" "$h4" "$h6" <<'PY' || fail "session: $(grep -c . "$TMP/s.json") lines"
import json, sys
s = json.load(open(sys.argv[1]))
a4, d4, a6, d6, h4, h6 = map(int, sys.argv[2:])
for fam, let, dropped, handle in (("ipv4", a4, d4, h4), ("ipv6", a6, d6, h6)):
    fl = [f for f in s["flows"] if f["family"] == fam and f["protocol"] == "udp"
          and f["orig"]["dport"] == 53]
    assert len(fl) == 1, (fam, fl)
    f = fl[0]
    # every datagram from a socket of its own: a connection each (a source port used
    # again while its entry lived is one connection: the kernel's counters agree)
    assert f["connections"] == let + dropped, (fam, f["connections"], let, dropped)
    drops = [v for v in f["verdicts"] if v["verdict"]["verdict"] == "drop"]
    assert [(v["connections"], v["verdict"].get("type"), v["verdict"].get("handle"))
            for v in drops] == [(dropped, "rule", handle)], (fam, drops)
    accepts = [v for v in f["verdicts"] if v["verdict"]["verdict"] == "accept"]
    assert accepts and all("limit rate 5/second" in v["verdict"]["rule"] for v in accepts), accepts
k = s["stats"]["kernel"]
assert k["denied"] == d4 + d6 and k["uncounted"] == 0 and k["unsure"] == 0, k
PY
"$CTA" blame --session "$TMP/s.json" "udp 198.51.100.7 -> 198.51.100.1:53" >"$TMP/b.txt" || fail "blame"
grep -q "verdict: drop, by rule $h4 of inet filter input" "$TMP/b.txt" || fail "blame: $(cat "$TMP/b.txt")"
grep -q "unknown" "$TMP/b.txt" && fail "blame names an unknown denial: $(cat "$TMP/b.txt")"
finish
