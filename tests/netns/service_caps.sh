#!/usr/bin/env bash
# The recording service's capabilities suffice: record runs with the bounding set of
# conntrack-advise-record.service (read from the unit), no inheritable capabilities and
# no_new_privs, as systemd would start it, and still records the lab's flows with their
# verdicts, rotating its files. (The rest of the sandbox needs systemd as PID 1.)
. "$(dirname "$0")/common.sh"

UNIT=$(dirname "$CTA")/conntrack-advise-record.service
[ -f "$UNIT" ] || { echo "FAIL: no $UNIT"; exit 1; }
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[ -n "$caps" ] || { echo "FAIL: the unit has no CapabilityBoundingSet="; exit 1; }
set=-all
for c in $caps; do
	c=${c#CAP_}
	set+=",+${c,,}"
done
grep -q '^NoNewPrivileges=yes' "$UNIT" || fail "the unit does not set NoNewPrivileges=yes"

lab_up || exit 1
start_servers 30
ip netns exec "$SRV" nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 23 drop
	}
}
NFT
mkdir "$TMP/lib"
ip netns exec "$SRV" setpriv --bounding-set "$set" --inh-caps -all --no-new-privs \
	"$CTA" -q record --rotate 1d -o "$TMP/lib/session-%Y%m%dT%H%M%SZ.json" 2>"$TMP/rec.err" &
rec=$!
for ((i = 0; i < 50; i++)); do
	ls "$TMP"/lib/session-*.json >/dev/null 2>&1 && break
	sleep 0.1
done
ip netns exec "$CLA" "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 || fail "tcp 22"
ip netns exec "$CLA" "$CTALAB" probe tcp 192.0.2.10 23 -s 198.51.100.7 >/dev/null 2>&1
sleep 2.5
kill -TERM $rec
wait $rec || fail "record under the unit's capabilities exited $?: $(cat "$TMP/rec.err")"
cat "$TMP/rec.err"
"$CTA" -j flows "$TMP/lib/" >"$TMP/f.json" || fail "flows of the service's directory"
"$PY" - "$TMP/f.json" <<'PY' || fail "the recording under the unit's capabilities"
import json, sys
d = json.load(open(sys.argv[1]))
c = {f["orig"]["dport"]: f for f in d["flows"] if f["protocol"] == "tcp"}
assert c[22]["connections"] == 2, c[22]
assert c[23]["connections"] >= 1, c[23]
v = json.dumps(c[23])
assert '"drop"' in v, "the denied flow has no drop verdict: " + v
PY
finish
