#!/usr/bin/env bash
# A fail2ban host (tests/data/cases/fail2ban.nft: three tables on the input hook) whose
# banned client (203.0.113.20, in every jail) floods UDP and connects to ssh, which
# f2b-table rejects, while an allowed client (198.51.100.7) floods UDP ports the
# admin's table accepts, every tenth port excepted (its policy drops them). Twice, 3 s
# apart, so the counting sets turn between and during the rounds, with record's
# default settings (new flows traced, NFLOG, kernel counts).
# Each ssh connect is one denied attempt whatever its SYNs: several connects of one
# flow (source, address, port 22) share the flow's count, and a SYN sent again is a
# packet of its own attempt, never an attempt of its own (it was, when a new attempt's
# wait took the count of an older one's retransmit: 1205-1258 attempts for 1200).
# Each UDP flow is two connections or two denied attempts of one packet each.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
lab_local_net || exit 1
ip -n "$CLB" route add 192.0.2.0/24 via 203.0.113.1 || exit 1
S() { ip netns exec "$SRV" "$@"; }
drops=$(seq 20000 10 20110 | paste -sd, | sed 's/,/, /g')
# the banned client in every jail; the allowed client's UDP flood accepted by the admin
sed -e 's/udp dport { 5060, 10000-20000 } ip saddr @f2b-ASTERISK drop/udp dport { 5060, 10000-30000 } ip saddr @f2b-ASTERISK drop/' \
	-e '/set f2b-ASTERISK {/,/}/s/type ipv4_addr/type ipv4_addr\n\t\telements = { 203.0.113.20 }/' \
	-e '/set addr-set-sshd {/,/}/s/elements = { 203.0.113.21 }/elements = { 203.0.113.20, 203.0.113.21 }/' \
	-e "s/^\t\ttcp dport 22 accept$/\t\ttcp dport 22 accept\n\t\tudp dport != { $drops } udp dport >= 20000 accept/" \
	"$HERE/../data/cases/fail2ban.nft" >"$TMP/f2b.nft"
S nft -f "$TMP/f2b.nft" || fail "fail2ban.nft does not load"
# the kernel's own counts, before every table that decides
S nft -f - <<NFT || exit 1
table ip lab {
	chain in {
		type filter hook input priority -300; policy accept;
		ct state new ip saddr 203.0.113.20 udp dport >= 20000 counter
		ct state new ip saddr 203.0.113.20 tcp dport 22 counter
		ct state new ip saddr 198.51.100.7 udp dport { $drops } counter
		ct state new ip saddr 198.51.100.7 udp dport >= 20000 counter
	}
}
NFT

ip netns exec "$SRV" "$CTA" -v record -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/s.json" || exit 1
# ctalab flood: connect or datagram k to 192.0.2.(k % 254 + 1), UDP port 20000 + k / 254
: >"$TMP/sent"
for round in 1 2; do
	ip netns exec "$CLB" "$CTALAB" flood udp 192.0.2.0 20000 -r 10000 -t 2 >"$TMP/bu" 2>&1 &
	bu=$!
	ip netns exec "$CLB" "$CTALAB" flood tcp 192.0.2.0 22 -r 200 -t 3 >"$TMP/bt" 2>&1 &
	bt=$!
	ip netns exec "$CLA" "$CTALAB" flood udp 192.0.2.0 20000 -r 10000 -t 3 >"$TMP/au" 2>&1 ||
		fail "round $round: the allowed client sent $(cat "$TMP/au")"
	wait $bu || fail "round $round: the banned client sent $(cat "$TMP/bu")"
	wait $bt
	echo "round $round: allowed udp $(cat "$TMP/au"), banned udp $(cat "$TMP/bu"), banned tcp $(cat "$TMP/bt")"
	read -r n _ <"$TMP/au" && echo "a udp $n" >>"$TMP/sent"
	read -r n _ <"$TMP/bu" && echo "b udp $n" >>"$TMP/sent"
	echo "b tcp 600" >>"$TMP/sent" # -r 200 -t 3: so many connects, each until the end
	[ "$round" = 1 ] && sleep 3
done
sleep 4
wait_turns_read "$TMP/rec.err"
grep "counting sets" "$TMP/rec.err"
grep -q "counting into generation 1" "$TMP/rec.err" || fail "the counting sets did not turn"
kill -INT $rec
wait $rec || fail "record: $(grep -v '^conntrack-advise: record: ' "$TMP/rec.err")"
no_own_table "$SRV"
S nft -j list table ip lab >"$TMP/lab.json"

"$PY" - "$TMP/s.json" "$TMP/lab.json" "$TMP/sent" "$drops" <<'PY' || fail "session"
import collections, json, sys
s = json.load(open(sys.argv[1]))
lab = json.load(open(sys.argv[2]))["nftables"]
counters = [e["counter"]["packets"] for o in lab if "rule" in o for e in o["rule"]["expr"]
            if "counter" in e]
ban_udp, ban_tcp, pol_drop, allowed_new = counters
DROPS = {int(p) for p in sys.argv[4].split(", ")}
A, B = "198.51.100.7", "203.0.113.20"
exp = collections.Counter()  # (protocol, source, address, port): attempts or connections
for line in open(sys.argv[3]):
    who, proto, n = line.split()
    for k in range(int(n)):
        exp[(proto, A if who == "a" else B, "192.0.2.%d" % (k % 254 + 1),
             20000 + k // 254 if proto == "udp" else 22)] += 1
def denied_exp(k):
    return k[1] == B or k[3] in DROPS
st = s["stats"]
print("kernel", st["kernel"], "verdicts", st["verdicts"])
print("counters: banned udp %d, ssh SYNs %d, policy drops %d, allowed %d" %
      (ban_udp, ban_tcp, pol_drop, allowed_new))
odd = collections.defaultdict(list)
if st["kernel"]["denied"] != ban_udp + ban_tcp + pol_drop:
    odd["kernel.denied"].append((st["kernel"]["denied"], ban_udp + ban_tcp + pol_drop))
if st["verdicts"]["denied"] != sum(n for k, n in exp.items() if denied_exp(k)):
    odd["verdicts.denied"].append((st["verdicts"]["denied"],
                                   sum(n for k, n in exp.items() if denied_exp(k))))
flows = {}
for f in s["flows"]:
    k = (f["protocol"], f["orig"]["src"], f["orig"]["dst"], f["orig"].get("dport"))
    if k in exp:
        flows[k] = f
    else:
        odd["a flow nobody sent"].append(k)
if set(flows) != set(exp):
    odd["flows missing"] = sorted(set(exp) - set(flows))
def denying(f):
    return any(v["verdict"]["verdict"] in ("drop", "reject") for v in f.get("verdicts", []))
for k, f in flows.items():
    if denying(f) != denied_exp(k) or (denying(f) and any(
            v["verdict"]["verdict"] not in ("drop", "reject") for v in f["verdicts"])):
        odd["verdict"].append((k, f["connections"], f["packets"], [
            (v["connections"], v["verdict"]["verdict"], v["verdict"].get("source"),
             v["verdict"].get("chain"), v["verdict"].get("handle")) for v in f["verdicts"]]))
    if f["connections"] != exp[k]:
        odd["connections"].append((k, f["connections"], exp[k], f["packets"], [
            (v["connections"], v["verdict"]["verdict"], v["verdict"].get("source"),
             v["verdict"].get("chain")) for v in f["verdicts"]]))
    if k[0] == "udp" and f["packets"]["orig"] != exp[k]:
        odd["udp packets"].append((k, f["packets"]["orig"], exp[k]))
tcp = [f for k, f in flows.items() if k[0] == "tcp"]
print("ssh: %d attempts of %d SYNs in %d flows" % (sum(f["connections"] for f in tcp),
      sum(f["packets"]["orig"] for f in tcp), len(tcp)))
if sum(f["packets"]["orig"] for f in tcp) != ban_tcp:
    odd["ssh SYNs"].append((sum(f["packets"]["orig"] for f in tcp), ban_tcp))
for what, ks in odd.items():
    print("FAIL %s: %d, e.g. %s" % (what, len(ks), ks[:3]))
assert not odd
PY
finish
