#!/usr/bin/env bash
# Issue 16, cases 2 and 3: a router with a DNAT port forward and masquerade
# (tests/data/cases/min-nat.nft). NAT chains translate, they never decide: the
# forwarded connection is decided by `ct status dnat accept`, the LAN host's query by
# `iifname "lan0" accept`, and the WAN host dropped after DNAT by
# `ip saddr 198.51.100.8 drop`; the dnat is a step of the path with the address it
# translated to. From a recording (asked with the published address the client used)
# and live; text and JSON.
#
#   wan (198.51.100.7, .8) ── wan0 router lan0 ── lan (192.0.2.2)
#         198.51.100.1/24 on wan0, 192.0.2.1/24 on lan0
. "$(dirname "$0")/common.sh"

lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
W() { ip netns exec "$CLA" "$CTALAB" "$@"; }
L() { ip netns exec "$CLB" "$CTALAB" "$@"; }
(ip netns exec "$CLB" "$CTALAB" serve tcp 80 60 &)
(ip netns exec "$CLA" "$CTALAB" serve udp 53 60 &)
sleep 0.3
lab_load_case min-nat.nft
ip -n "$CLA" addr add 198.51.100.9/24 dev eth0 || fail "a third WAN address"
CHECK="$PY $HERE/../tools/check_blame.py"

# CASES: tuple | traffic | verdict | decider | path (see check_blame.py)
CASES=(
	"tcp 198.51.100.7 -> 198.51.100.1:8080|W send tcp 198.51.100.1 8080 -s 198.51.100.7|accept|inet t filt_fwd|ct status dnat accept|inet t nat_pre=accept>dnat 192.0.2.2:80,inet t filt_fwd=accept,inet t nat_post=accept"
	"udp 192.0.2.2 -> 198.51.100.7:53|L send udp 198.51.100.7 53 -s 192.0.2.2|accept|inet t filt_fwd|iifname \"lan0\" accept|inet t nat_pre=accept,inet t filt_fwd=accept,inet t nat_post=accept>masquerade ?"
	"tcp 198.51.100.8 -> 198.51.100.1:8080|W probe tcp 198.51.100.1 8080 -s 198.51.100.8|drop|inet t filt_fwd|ip saddr 198.51.100.8 drop|inet t nat_pre=accept>dnat 192.0.2.2:80,inet t filt_fwd=drop"
	"tcp 198.51.100.9 -> 198.51.100.1:8080|W send tcp 198.51.100.1 8080 -s 198.51.100.9|accept|inet t filt_fwd|ct status dnat accept|inet t nat_pre=accept>dnat 192.0.2.2:80,inet t filt_fwd=accept,inet t nat_post=accept"
)

lab_record_cases "$TMP/s.json" || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"

# --- from the recording, asked with the address the client used ---
lab_blame_session "$TMP/s.json"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 198.51.100.1:8080" >"$TMP/b.txt"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "^    nat_pre rule [0-9]+: iifname \"wan0\" tcp dport 8080 dnat ip to 192\.0\.2\.2:80  ->  dnat to 192\.0\.2\.2:80$"
expect_line "$TMP/b.txt" "^  inet t nat_post  \(hook postrouting, priority 100, nat, policy accept\): accept by its policy$"
expect_line "$TMP/b.txt" "^  verdict: accept, by rule [0-9]+ of inet t filt_fwd: ct status dnat accept$"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.8 -> 198.51.100.1:8080" >"$TMP/b.txt"
cat "$TMP/b.txt"
expect_line "$TMP/b.txt" "^  verdict: drop, by rule [0-9]+ of inet t filt_fwd: ip saddr 198\.51\.100\.8 drop$"
# dropped in forward after DNAT: a forwarded flow, though sent to the router's address
expect_line "$TMP/b.txt" "^tcp 198\.51\.100\.8 -> 198\.51\.100\.1:8080  \(forward, 1 connection, unreplied\)$"
# or with the address it was translated to: the same flow, the same answer
"$CTA" -j blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.2:80" >"$TMP/b.json" ||
	fail "blame with the translated address exited $?"
$CHECK "$TMP/b.json" accept "inet t filt_fwd|ct status dnat accept" || fail "translated address"
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/flows"
expect_line "$TMP/flows" "by=inet/t/nat_" 0
# suggest: .7 and .9 reached the port forward, .8 was denied after its DNAT: no /24
# over .8 for the forwarded service (keyed by where the DNAT sent it, helper-58)
"$CTA" suggest --template router "$TMP/s.json" >"$TMP/r.nft" || fail "suggest --template router"
grep -n "198\.51\.100\." "$TMP/r.nft"
expect_line "$TMP/r.nft" "198\.51\.100\.0/24" 0
expect_line "$TMP/r.nft" "#   tcp 198\.51\.100\.8 -> " 1
# flows says where the DNAT sent both, the denied one too (no reply tuple: its trace)
"$CTA" flows "$TMP/s.json" >"$TMP/flows.txt"
cat "$TMP/flows.txt"
expect_line "$TMP/flows.txt" "^tcp +forward +198\.51\.100\.7 +198\.51\.100\.1:8080 \(to 192\.0\.2\.2:80\) "
expect_line "$TMP/flows.txt" "^tcp +forward +198\.51\.100\.8 +198\.51\.100\.1:8080 \(to 192\.0\.2\.2:80\) .*drop 1"
# and -o extended's reply group, as conntrack would have had it (helper-60 #4)
"$CTA" flows -o extended "$TMP/s.json" >"$TMP/ext.txt"
expect_line "$TMP/ext.txt" "src=198\.51\.100\.8 dst=198\.51\.100\.1 sport=[0-9]+ dport=8080 .* src=192\.0\.2\.2 dst=198\.51\.100\.8 sport=80 dport=[0-9]+ .*\[UNREPLIED\]"

# --- live ---
lab_blame_live
finish
