#!/usr/bin/env bash
# The lockout guard without $SSH_CONNECTION: the port an sshd process listens on
# (here 2222: a stand-in named sshd) and the session established to it are
# guarded; a ruleset that drops that port is refused by apply and called a LOCKOUT
# by review, and suggest for this host refuses a recording without a flow to it.
# Port 22, where no sshd listens, is not assumed to be management.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
# a stand-in sshd: a listener named sshd (PR_SET_NAME) that keeps its sessions open
S "$PY" -c '
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"sshd", 0, 0, 0)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.10", 2222))
s.listen()
held = [s.accept()[0]]
time.sleep(30)
' &
sshd=$!
for _ in $(seq 50); do S ss -Hltn 'sport = :2222' | grep -q LISTEN && break; sleep 0.1; done
ip netns exec "$CLA" "$PY" -c '
import socket, time
s = socket.create_connection(("192.0.2.10", 2222), timeout=5)
print("connected", flush=True)
time.sleep(25)
' >"$TMP/client.out" &
client=$!
for _ in $(seq 50); do grep -q connected "$TMP/client.out" && break; sleep 0.1; done
cat >"$TMP/cut.nft" <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 2222 drop
	}
}
NFT
cat >"$TMP/no22.nft" <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 drop
	}
}
NFT
unset SSH_CONNECTION
S "$CTA" apply "$TMP/cut.nft" --confirm-timeout 0 --backup "$TMP/b.nft" </dev/null 2>"$TMP/err"
rc=$?
[ $rc = 1 ] || fail "apply cutting sshd's session: exit $rc: $(cat "$TMP/err")"
grep -q "LOCKOUT: the management session tcp 198.51.100.7:[0-9]* -> 192.0.2.10:2222" "$TMP/err" ||
	fail "apply: $(cat "$TMP/err")"
S nft list tables | grep -q fw && fail "apply applied a ruleset cutting sshd's session"
S "$CTA" review "$TMP/cut.nft" >"$TMP/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "review cutting sshd's session: exit $rc"
grep -q "LOCKOUT: the management session tcp 198.51.100.7:[0-9]* -> 192.0.2.10:2222" "$TMP/out" ||
	fail "review: $(cat "$TMP/out")"
# port 22 is nobody's management port here
S "$CTA" apply "$TMP/no22.nft" --confirm-timeout 0 --backup "$TMP/b.nft" </dev/null 2>"$TMP/err" ||
	fail "apply dropping port 22 (no sshd there): $(cat "$TMP/err")"
# suggest for this host (the demo session, named as this host): no flow to 2222 while
# sshd listens there is refused; --force writes it; another host's session is not judged
sed "s/\"hostname\": \"vm\"/\"hostname\": \"$(hostname)\"/" "$SRCDIR/tests/data/demo-session.json" >"$TMP/here.json"
S "$CTA" suggest -o "$TMP/s.nft" "$TMP/here.json" 2>"$TMP/err"
rc=$?
[ $rc = 1 ] || fail "suggest without a flow to sshd's port: exit $rc"
grep -q "sshd listens on port 2222 here" "$TMP/err" || fail "suggest: $(cat "$TMP/err")"
[ -e "$TMP/s.nft" ] && fail "suggest wrote the ruleset all the same"
S "$CTA" suggest --force -o "$TMP/s.nft" "$TMP/here.json" 2>"$TMP/err" || fail "suggest --force: $(cat "$TMP/err")"
sed "s/\"hostname\": \"vm\"/\"hostname\": \"elsewhere-$$\"/" "$SRCDIR/tests/data/demo-session.json" >"$TMP/there.json"
S "$CTA" suggest -o "$TMP/s.nft" "$TMP/there.json" 2>"$TMP/err" ||
	fail "suggest for another host: $(cat "$TMP/err")"
kill "$client" 2>/dev/null
wait "$client" 2>/dev/null
kill "$sshd" 2>/dev/null
wait "$sshd" 2>/dev/null
finish
