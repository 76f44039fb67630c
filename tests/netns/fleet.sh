#!/usr/bin/env bash
# The fleet story of the README, on two namespaces standing for two hosts of one role
# (web1, web2, each with a hostname of its own): each records as the service does
# (record --rotate), the sessions are collected (cp, standing for rsync), merge joins
# them by role, suggest writes the role's ruleset, and review checks it on each host's
# own recording (0: nothing breaks). A port only one host served is in the role's
# ruleset too: the role allows what any of its hosts needs.
. "$(dirname "$0")/common.sh"

F=cta$$f
C=$F-c W1=$F-w1 W2=$F-w2
fleet_down() {
	for ns in "$C" "$W1" "$W2"; do
		{ ip netns pids "$ns" 2>/dev/null || true; } | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
cleanup() {
	fleet_down
	rm -rf "$TMP"
}
trap cleanup EXIT

# client C: 198.51.100.7 towards web1 (198.51.100.1), 203.0.113.7 towards web2 (203.0.113.1)
ip netns add "$C" && ip netns add "$W1" && ip netns add "$W2" || exit 1
for ns in "$C" "$W1" "$W2"; do ip -n "$ns" link set lo up; done
ip -n "$C" link add e1 type veth peer name eth0 netns "$W1"
ip -n "$C" link add e2 type veth peer name eth0 netns "$W2"
ip -n "$C" addr add 198.51.100.7/24 dev e1
ip -n "$C" addr add 203.0.113.7/24 dev e2
ip -n "$W1" addr add 198.51.100.1/24 dev eth0
ip -n "$W2" addr add 203.0.113.1/24 dev eth0
ip -n "$C" link set e1 up && ip -n "$C" link set e2 up
ip -n "$W1" link set eth0 up && ip -n "$W2" link set eth0 up
for ns in "$W1" "$W2"; do
	(ip netns exec "$ns" "$CTALAB" serve tcp 22 30 &)
	(ip netns exec "$ns" "$CTALAB" serve tcp 80 30 &)
done
(ip netns exec "$W2" "$CTALAB" serve tcp 443 30 &)
sleep 0.3

# every host records, as conntrack-advise-record.service does, under its own hostname
mkdir -p "$TMP/web1" "$TMP/web2"
for h in web1 web2; do
	ns=$W1
	[ $h = web2 ] && ns=$W2
	ip netns exec "$ns" unshare --uts sh -c 'hostname "$1"; shift; exec "$@"' _ "$h" \
		"$CTA" -q record --rotate 2s -o "$TMP/$h/session.json" --no-bpf 2>"$TMP/$h.err" &
	echo $! >"$TMP/$h.pid"
done
for h in web1 web2; do
	for ((i = 0; i < 50; i++)); do
		ls "$TMP"/$h/session-*.json >/dev/null 2>&1 && break
		sleep 0.1
	done
done
X() { ip netns exec "$C" "$CTALAB" "$@" || fail "send $*"; }
X send tcp 198.51.100.1 22 -s 198.51.100.7 -n 2
X send tcp 198.51.100.1 80 -s 198.51.100.7 -n 3
X send tcp 203.0.113.1 22 -s 203.0.113.7 -n 1
X send tcp 203.0.113.1 80 -s 203.0.113.7 -n 2
sleep 2.2 # a rotation in between
X send tcp 203.0.113.1 443 -s 203.0.113.7 -n 2
X send tcp 198.51.100.1 80 -s 198.51.100.7 -n 1
sleep 0.5
for h in web1 web2; do
	kill -TERM "$(cat "$TMP/$h.pid")"
done
wait
for h in web1 web2; do
	grep -v -- '--no-bpf' "$TMP/$h.err" | grep . && fail "$h record said more than the --no-bpf note"
	[ "$(ls "$TMP"/$h/*.json | wc -l)" -ge 2 ] || fail "$h: fewer than 2 rotated files"
done

# collected by whatever the site uses (rsync -a host:/var/lib/conntrack-advise/ ...)
mkdir -p "$TMP/fleet"
cp -a "$TMP/web1" "$TMP/web2" "$TMP/fleet/"

# merge by role, one ruleset for the role
"$CTA" merge -o "$TMP/role-web.json" "$TMP/fleet/web1/" "$TMP/fleet/web2/" 2>"$TMP/merge.err" ||
	fail "merge: $(cat "$TMP/merge.err")"
grep -q 'of 2 hosts from' "$TMP/merge.err" || fail "merge: not 2 hosts: $(cat "$TMP/merge.err")"
"$PY" - "$TMP/role-web.json" <<'PY' || fail "the role's session"
import json, sys
d = json.load(open(sys.argv[1]))
hosts = sorted(h["hostname"] for h in d["hosts"])
assert hosts == ["web1", "web2"], hosts
c = {}
for f in d["flows"]:
    if f["protocol"] == "tcp":
        h = f["host"]
        k = (d["hosts"][h]["hostname"] if isinstance(h, int) else h, f["orig"]["dport"])
        c[k] = c.get(k, 0) + f["connections"]
assert c == {("web1", 22): 2, ("web1", 80): 4, ("web2", 22): 1, ("web2", 80): 2, ("web2", 443): 2}, c
PY
"$CTA" suggest -o "$TMP/web.nft" "$TMP/role-web.json" 2>"$TMP/suggest.err" || fail "suggest: $(cat "$TMP/suggest.err")"
for p in 22 80 443; do
	grep -qE "tcp dport .*\b$p\b.*accept" "$TMP/web.nft" || fail "the role's ruleset does not allow tcp $p"
done

# each host checks the role's ruleset against its own recording: nothing breaks
for h in web1 web2; do
	ns=$W1
	[ $h = web2 ] && ns=$W2
	ip netns exec "$ns" "$CTA" review "$TMP/web.nft" --session "$TMP/fleet/$h/" >"$TMP/review-$h.txt" 2>&1
	rc=$?
	[ $rc = 0 ] || fail "review on $h: exit $rc: $(cat "$TMP/review-$h.txt")"
	grep -qE '^[0-9]+ flows?: 0 would break' "$TMP/review-$h.txt" || fail "review on $h: $(tail -3 "$TMP/review-$h.txt")"
done
cat "$TMP/review-web2.txt"
finish
