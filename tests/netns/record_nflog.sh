#!/usr/bin/env bash
# Without tracing, NFLOG still sees denied flows: a dropped inbound SYN and a dropped
# outbound UDP packet from an unprivileged user become flows, with the user's uid;
# blame says they were denied but names no rule (exit 1), and accepted flows have no
# verdict either way.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
(ip netns exec "$SRV" "$CTALAB" serve tcp 22 60 &)
sleep 0.3
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 23 drop
	}
	chain output {
		type filter hook output priority filter; policy accept;
		udp dport 9999 drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record --trace none -o "$TMP/s.json" &
rec=$!
wait_file "$TMP/s.json" || exit 1
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 || fail "22"
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 23 -s 198.51.100.7 && fail "23 connected"
S setpriv --reuid=65534 --regid=65534 --clear-groups "$CTALAB" burst udp 203.0.113.20 9999 -n 1
sleep 3
kill -INT $rec
wait $rec || fail "record"
S nft list tables | grep -q conntrack_advise && fail "table left behind"

"$PY" - "$TMP/s.json" <<'PY' || fail "session: $(cat "$TMP/s.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["recording"]["options"]["trace"] == "none"
flows = {(f["protocol"], f["orig"].get("dport")): f for f in s["flows"]}
ssh = flows[("tcp", 22)]
assert "verdicts" not in ssh and ssh["state"] == "assured", ssh
telnet = flows[("tcp", 23)]
assert telnet["direction"] == "in" and telnet["state"] == "unreplied", telnet
# one denied attempt, counted with its verdict (session format 2)
assert telnet["verdicts"] == [{"connections": 1, "verdict": {"verdict": "drop", "type": "unknown", "source": "nflog"}}], telnet
out = flows[("udp", 9999)]
assert out["direction"] == "out", out
v = out["verdicts"][0]["verdict"]
assert len(out["verdicts"]) == 1 and v["source"] == "nflog" and v["uid"] == 65534, out
assert s["stats"]["verdicts"]["denied"] == 2, s["stats"]
PY
schema_ok session.schema.json "$TMP/s.json"
"$CTA" blame --session "$TMP/s.json" "tcp 198.51.100.7 -> 192.0.2.10:23" >"$TMP/b.txt"
[ $? = 1 ] || fail "blame of an NFLOG-only denial should exit 1"
grep -q "never confirmed (NFLOG saw the first packet), but no trace says by which rule" "$TMP/b.txt" ||
	fail "nflog story: $(cat "$TMP/b.txt")"
finish
