#!/usr/bin/env bash
# firewalld's layout (tests/data/cases/firewalld.nft) on a router: policy-accept base
# chains at priority + 10 that dispatch by interface to zone and policy chains, and end
# in `reject with icmpx admin-prohibited`; a port forward in a nat zone chain and
# masquerade. Who decides: the zone chain's ICMP rule (the WAN's ping), a zone's
# allow chain (ssh from either side), the base chain's final reject (the WAN's http to
# the router, and the WAN straight to the LAN), the base chain's `ct status dnat
# accept` (the port forward), the int-ext policy's accept (the LAN out, masqueraded).
# From a recording and live. Then review on the same layout: a rule added to a zone's
# allow chain opens the WAN's http and is named as the candidate's, with no handle; a rule
# deleted by its live handle breaks the WAN's ssh only.
#
#   wan (198.51.100.7, .8) ── wan0 router lan0 ── lan (192.0.2.2)
. "$(dirname "$0")/common.sh"

lab_router || exit 1
S() { ip netns exec "$SRV" "$@"; }
W() { ip netns exec "$CLA" "$@"; }
L() { ip netns exec "$CLB" "$@"; }
W ip route add 192.0.2.0/24 via 198.51.100.1 || fail "wan route"
(S "$CTALAB" serve tcp 22 60 &)
(L "$CTALAB" serve tcp 80 60 &)
(W "$CTALAB" serve tcp 22 60 &)
sleep 0.3
lab_load_case firewalld.nft
FW="inet firewalld"
SSH='tcp dport 22 ct state { new, untracked } accept'
REJECT='reject with icmpx admin-prohibited'

# CASES: tuple | traffic | verdict | decider [| path] (see check_blame.py)
CASES=(
	"icmp 198.51.100.7 -> 198.51.100.1 type 8|W ping -c 1 -W 1 198.51.100.1|accept|$FW filter_IN_external|meta l4proto { icmp, ipv6-icmp } accept"
	"tcp 198.51.100.7 -> 198.51.100.1:22|W $CTALAB send tcp 198.51.100.1 22 -s 198.51.100.7|accept|$FW filter_IN_external_allow|$SSH"
	"tcp 192.0.2.2 -> 192.0.2.1:22|L $CTALAB send tcp 192.0.2.1 22 -s 192.0.2.2|accept|$FW filter_IN_internal_allow|$SSH"
	"tcp 198.51.100.7 -> 198.51.100.1:80|W $CTALAB probe tcp 198.51.100.1 80 -s 198.51.100.7|reject|$FW filter_INPUT|$REJECT"
	"tcp 198.51.100.8 -> 192.0.2.2:80|W $CTALAB probe tcp 192.0.2.2 80 -s 198.51.100.8|reject|$FW filter_FORWARD|$REJECT"
	"tcp 198.51.100.7 -> 198.51.100.1:8080|W $CTALAB send tcp 198.51.100.1 8080 -s 198.51.100.7|accept|$FW filter_FORWARD|ct status dnat accept|$FW mangle_PREROUTING=accept,$FW nat_PREROUTING=accept>dnat 192.0.2.2:80,$FW filter_PREROUTING=accept,$FW filter_FORWARD=accept,$FW nat_POSTROUTING=accept"
	"tcp 192.0.2.2 -> 198.51.100.7:22|L $CTALAB send tcp 198.51.100.7 22 -s 192.0.2.2|accept|$FW filter_FWD_policy_int-ext|accept|$FW mangle_PREROUTING=accept,$FW nat_PREROUTING=accept,$FW filter_PREROUTING=accept,$FW filter_FORWARD=accept,$FW nat_POSTROUTING=accept>masquerade ?"
)

lab_record_cases "$TMP/s.json" || fail "record failed"
schema_ok session.schema.json "$TMP/s.json"
lab_blame_session "$TMP/s.json"
# the LAN's connection out was masqueraded on its way: the recording says so
"$PY" - "$TMP/s.json" <<'PY' || fail "the masqueraded flow: $(cat "$TMP/s.json")"
import json, sys
s = json.load(open(sys.argv[1]))
f = [f for f in s["flows"] if f["orig"]["dst"] == "198.51.100.7" and f["orig"].get("dport") == 22]
assert len(f) == 1, f
assert f[0]["reply"]["dst"] == "198.51.100.1", f[0]  # the reply comes back to the router
PY

lab_blame_live

# review CANDIDATE WANT: each recorded flow to a port of WANT ("PORT=CHANGE,...") and
# what decides the WAN's http ("new": the candidate's added rule; -: a rule by its
# live handle)
review() {
	printf '%s\n' "$1" >"$TMP/cand.nft"
	S "$CTA" -j review "$TMP/cand.nft" --session "$TMP/s.json" >"$TMP/r.json" 2>"$TMP/r.err"
	[ $? -le 1 ] || fail "review of '$1': $(cat "$TMP/r.err")"
	"$PY" - "$TMP/r.json" "$2" <<'PY' || fail "review of '$1': $(cat "$TMP/r.json" "$TMP/r.err")"
import json, sys
r = json.load(open(sys.argv[1]))["review"]
got = {}
for f in r["flows"]:
    src, dst = f["flow"].split(" -> ")
    key = "%s>%s" % (src.split()[-1].rsplit(":", 1)[0], dst.split()[0])
    got[key] = f["change"]
    if key == "198.51.100.7>198.51.100.1:80" and f["change"] == "opens":
        c = f["credited"]
        assert c["chain"] == "filter_IN_external_allow" and "handle" not in c, c
want = dict(kv.split("=") for kv in sys.argv[2].split(","))
for k, v in want.items():
    assert got.get(k) == v, (k, got)
# no evidence: rules no replayed first packet reached (mDNS here), never the rules no
# first packet can reach (helper-49 saw established, invalid and ND rules listed)
ne = [x["rule"] for x in r["no_evidence"]]
assert any("dport 5353" in x for x in ne), ne
assert not any("established" in x or "invalid" in x or "nd-neighbor" in x for x in ne), ne
PY
}
review "add rule $FW filter_IN_external_allow tcp dport 80 ct state { new, untracked } accept" \
	"198.51.100.7>198.51.100.1:80=opens,198.51.100.7>198.51.100.1:22=ok,192.0.2.2>192.0.2.1:22=ok,198.51.100.8>192.0.2.2:80=ok"
h=$(S nft -a list chain $FW filter_IN_external_allow | sed -n 's/^.*dport 22 .* # handle \([0-9]*\)$/\1/p')
[ -n "$h" ] || fail "no handle of the external ssh rule"
review "delete rule $FW filter_IN_external_allow handle $h" \
	"198.51.100.7>198.51.100.1:22=BREAKS,192.0.2.2>192.0.2.1:22=ok,198.51.100.7>198.51.100.1:8080=ok"
finish
