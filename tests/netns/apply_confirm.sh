#!/usr/bin/env bash
# apply's confirmation comes from root or the applying user only: nobody's
# `apply --confirm` is refused (the ruleset is taken back); nobody squatting the
# socket makes apply refuse and say who holds it, and root's `apply --confirm`
# does not believe a squatter's "kept".
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 23 drop
	}
}
NFT
S nft list ruleset >"$TMP/before"
cat >"$TMP/new.nft" <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 25 drop
	}
}
NFT

# nobody confirms root's apply: refused, and the ruleset comes back
(sleep 1.5; S "${AS_NOBODY[@]}" "$CTA" apply --confirm >"$TMP/confirm.out" 2>&1; echo $? >"$TMP/confirm.rc") &
sleep 5 | script -qec "ip netns exec $SRV $CTA apply $TMP/new.nft --confirm-timeout 3 --backup $TMP/b.nft" /dev/null >"$TMP/out" 2>&1
rc=$?
wait
[ $rc = 1 ] || fail "nobody confirmed root's apply: apply exit $rc: $(cat "$TMP/out")"
[ "$(cat "$TMP/confirm.rc")" = 1 ] || fail "nobody's apply --confirm: exit $(cat "$TMP/confirm.rc")"
grep -q "refused" "$TMP/confirm.out" || fail "nobody's apply --confirm: $(cat "$TMP/confirm.out")"
grep -q "confirmation from pid [0-9]* of uid 65534 was refused" "$TMP/out" ||
	fail "apply did not say it refused nobody: $(cat "$TMP/out")"
S nft list ruleset >"$TMP/now"
cmp -s "$TMP/before" "$TMP/now" || fail "nobody's confirmation kept the ruleset: $(diff "$TMP/before" "$TMP/now")"

# nobody squats the socket: apply refuses, names the holder; root's --confirm ignores it
S "${AS_NOBODY[@]}" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind("\0conntrack-advise-apply")
s.listen()
print("bound", flush=True)
end = time.time() + 8
s.settimeout(1)
while time.time() < end:
    try:
        c, _ = s.accept()
    except OSError:
        continue
    try:
        c.recv(64)
        c.send(b"kept\n")
    except OSError:
        pass
    c.close()
' >"$TMP/squat.out" &
squatter=$!
for _ in $(seq 50); do grep -q bound "$TMP/squat.out" && break; sleep 0.1; done
sleep 1 | script -qec "ip netns exec $SRV $CTA apply $TMP/new.nft --confirm-timeout 3 --backup $TMP/b.nft" /dev/null >"$TMP/out" 2>&1
rc=$?
[ $rc = 3 ] || fail "squatted socket: apply exit $rc: $(cat "$TMP/out")"
grep -q "held by pid [0-9]* of uid 65534" "$TMP/out" || fail "squatter not named: $(cat "$TMP/out")"
S "$CTA" apply --confirm >"$TMP/confirm.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "root's apply --confirm believed the squatter: exit $rc"
grep -q "not by an apply of root's or yours" "$TMP/confirm.out" || fail "$(cat "$TMP/confirm.out")"
kill "$squatter" 2>/dev/null
wait
S nft list ruleset >"$TMP/now"
cmp -s "$TMP/before" "$TMP/now" || fail "the ruleset changed while squatted"
finish
