#!/usr/bin/env bash
# The ruleset listings record takes (at the start and after every ruleset change) hold
# the host's tables whole, set elements included, and the tool's own table without
# the elements of its sets, which hold an element per flow: after 20,000 new flows,
# a ruleset change costs a listing of the host's rules, not of thousands of elements
# (their listing cost record 3 s of CPU each time at 60,000). The size of each
# listing is in -v's "ruleset snapshot N" lines.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
lab_local_net || exit 1
{
	echo "table inet lab {"
	echo "	set allowed { type ipv4_addr . inet_service; elements = {"
	for i in $(seq 1 2000); do echo "		198.51.100.$((i % 250 + 1)) . $((30000 + i)),"; done
	echo "	} }"
	echo "	chain input { type filter hook input priority filter; policy accept;"
	echo "		ip saddr . udp dport @allowed counter accept"
	echo "	}"
	echo "}"
} >"$TMP/lab.nft"
S nft -f "$TMP/lab.nft" || exit 1
S nft -a -s list table inet lab >"$TMP/lab.list"
lab_bytes=$(wc -c <"$TMP/lab.list")
ip netns exec "$SRV" "$CTA" -v record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" flood udp 192.0.2.0 20000 -r 10000 -t 2 >"$TMP/sent" ||
	fail "the generator sent $(cat "$TMP/sent")"
sleep 2
S nft add table inet zz
# what record's sets held then (both generations of the counting sets: they turn at
# 16,384 flows): a listing of them would have been large
own=0
for set in entered4 entered4_1 left4 left4_1 first4 first4_1; do
	own=$((own + $(S nft list set inet conntrack_advise $set | grep -o "192\.0\.2\.[0-9]* \. udp" | wc -l)))
done
echo "record's sets: $own elements"
[ "$own" -ge 5000 ] || fail "record's sets held $own elements: too few to tell a lean listing"
sleep 2
kill -INT $rec
wait $rec || fail "record: $(tail -5 "$TMP/rec.err")"
grep "ruleset snapshot" "$TMP/rec.err"
last=$(grep -o "ruleset snapshot [0-9]*: listed with handles, [0-9]* bytes" "$TMP/rec.err" | tail -1)
n=$(echo "$last" | awk '{ print $3 + 0 }')
bytes=$(echo "$last" | awk '{ print $(NF - 1) }')
[ "${n:-0}" -ge 2 ] || fail "no listing after the ruleset change: $last"
# the lab's table whole (its 2,000 elements), the tool's table and zz without elements
[ "${bytes:-0}" -ge "$lab_bytes" ] || fail "the listing ($bytes bytes) lacks the lab's set elements ($lab_bytes bytes)"
[ "${bytes:-0}" -lt $((lab_bytes + 20000)) ] ||
	fail "the listing ($bytes bytes) holds more than the lab's table ($lab_bytes bytes): the tool's set elements?"
"$PY" - "$TMP/s.json" <<'PY' || fail "session"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["stats"]["kernel"]["largest_set"] >= 10000, s["stats"]["kernel"]
PY
finish
