#!/usr/bin/env bash
# A port forward made by a live nat table review cannot copy (iptables-nft's DNAT rule
# with an xt `recent` match). The replay cannot translate the forwarded flow: sent
# untranslated, its packet went to input and the candidate's input policy "broke" it,
# while on the host the DNAT stays and the flow still works. Such a flow is not judged,
# and says why.
#
#   wan (198.51.100.7) -- wan0 router lan0 -- lan (192.0.2.2:80)
. "$(dirname "$0")/common.sh"

lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
S iptables-nft -t nat -A PREROUTING -i wan0 -p tcp --dport 8080 -m recent --set --name fwd \
	-j DNAT --to-destination 192.0.2.2:80 || {
	echo "SKIP: iptables-nft cannot add a recent match here"
	exit 77
}
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 &)
sleep 0.3
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 8080 -s 198.51.100.7 >/dev/null ||
	fail "the port forward refused"
sleep 3
kill -INT $rec
wait $rec || fail "record failed"
"$CTA" flows -o extended "$TMP/s.json"
cat >"$TMP/cand.nft" <<'NFT'
table inet cand {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct status dnat ip daddr 192.0.2.2 tcp dport 80 accept
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
	}
}
NFT
S "$CTA" review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
[ $rc = 0 ] || fail "review: exit $rc, not 0"
expect_line "$TMP/out" "^  not judged tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:8080  \(forward\)  recorded: accept  ->  candidate: \(not judged: a nat rule of ip nat translated it while recording"
expect_line "$TMP/out" "BREAKS" 0
S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" 2>/dev/null |
	grep -q '"nat_uncopied": *"ip nat"' || fail "no nat_uncopied in review -j"
finish
