#!/usr/bin/env bash
# A candidate that takes `ct state established,related accept` away from the live
# chains (policy drop) kills every connection after its first packet: the SYN passes,
# the SYN-ACK meets output's drop. The replay sends first packets only, so review said
# "0 would break", exit 0 (helper-59). It now says which rules for later packets the
# candidate takes from chains it keeps, BREAKS, exit 1; and not when the candidate
# replaces the whole table (its chains go with their policies).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT' || fail "nft -f"
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport { 22, 80 } accept
	}
	chain output {
		type filter hook output priority 0; policy drop;
		ct state established,related accept
		oif lo accept
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 198.51.100.1 22 -s 198.51.100.7 || fail "ssh"
sleep 2
kill -INT $rec
wait $rec || fail "record failed"
S nft list ruleset | sed '1i flush ruleset' | grep -v "ct state established,related accept" >"$TMP/c.nft"
S "$CTA" review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/r.out" 2>&1
rc=$?
cat "$TMP/r.out"
[ $rc = 1 ] || fail "review of a candidate without the established accepts: exit $rc, not 1"
expect_line "$TMP/r.out" "^BREAKS: the candidate takes away rules that only packets after a connection's first reach"
expect_line "$TMP/r.out" "^  - inet filter input: ct state established,related accept \(packets after a connection's first: .*\): the chain's drop policy takes them now"
# the replay followed the ssh connection's reply through output: its line says so
expect_line "$TMP/r.out" "^  - inet filter output: ct state established,related accept \(packets after a connection's first: .*\): the replay followed connections through that chain"
expect_line "$TMP/r.out" "^  BREAKS +tcp 198\.51\.100\.7:[0-9]+ -> 198\.51\.100\.1:22 "
S "$CTA" -j review "$TMP/c.nft" --session "$TMP/s.json" >"$TMP/r.json" 2>/dev/null
"$PY" - "$TMP/r.json" <<'PY' || fail "review -j untraced_lost: $(cat "$TMP/r.json")"
import json, sys
u = json.load(open(sys.argv[1]))["review"]["untraced_lost"]
assert {(x["chain"], x["breaks"], x.get("followed", False)) for x in u} == {
    ("input", True, False), ("output", False, True)}, u
PY
# the same rules in a table of its own that replaces inet filter: nothing lost
cat >"$TMP/own.nft" <<'NFT'
delete table inet filter
table inet fw {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		tcp dport 22 accept
	}
	chain output {
		type filter hook output priority 0; policy drop;
		ct state established,related accept
		oif lo accept
	}
}
NFT
S "$CTA" review "$TMP/own.nft" --session "$TMP/s.json" >"$TMP/own.out" 2>&1
rc=$?
cat "$TMP/own.out"
[ $rc = 0 ] || fail "review of a replacing table with its own established accepts: exit $rc"
expect_line "$TMP/own.out" "takes away rules" 0
finish
