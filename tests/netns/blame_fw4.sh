#!/usr/bin/env bash
# OpenWrt's fw4 (tests/data/cases/fw4.nft): base chains whose policy accepts jump to
# zone chains, then `jump handle_reject`. A zone's accept decides: without it the
# packet goes on to a chain that rejects, a jump away (the WAN's ping by input_wan's
# echo-request rule, the LAN's ssh by accept_from_lan); the WAN's ssh is rejected in
# handle_reject; the port forward decided by forward_wan's `ct status dnat accept`.
# From a recording and live.
#
#   wan (198.51.100.7) ── wan0 router lan0 ── lan (192.0.2.2)
. "$(dirname "$0")/common.sh"

lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
W() { ip netns exec "$CLA" "$@"; }
L() { ip netns exec "$CLB" "$@"; }
(S "$CTALAB" serve tcp 22 60 &)
(L "$CTALAB" serve tcp 80 60 &)
sleep 0.3
lab_load_case fw4.nft

# CASES: tuple | traffic | verdict | decider (see check_blame.py)
CASES=(
	"icmp 198.51.100.7 -> 198.51.100.1 type 8|W ping -c 1 -W 1 198.51.100.1|accept|inet fw4 input_wan|icmp type echo-request accept"
	"tcp 192.0.2.2 -> 192.0.2.1:22|L $CTALAB send tcp 192.0.2.1 22 -s 192.0.2.2|accept|inet fw4 accept_from_lan|iifname \"lan0\" accept"
	"tcp 198.51.100.7 -> 198.51.100.1:22|W $CTALAB probe tcp 198.51.100.1 22 -s 198.51.100.7|reject|inet fw4 handle_reject|meta l4proto tcp reject with tcp reset"
	"tcp 198.51.100.7 -> 198.51.100.1:8080|W $CTALAB send tcp 198.51.100.1 8080 -s 198.51.100.7|accept|inet fw4 forward_wan|ct status dnat accept"
)

lab_record_cases "$TMP/s.json" || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"
lab_blame_session "$TMP/s.json"
"$CTA" blame --session "$TMP/s.json" "icmp 198.51.100.7 -> 198.51.100.1 type 8" >"$TMP/b.txt"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "^  verdict: accept, by rule [0-9]+ of inet fw4 input_wan: "

lab_blame_live
finish
