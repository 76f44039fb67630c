#!/usr/bin/env bash
# SIGINT or SIGTERM right after start (issue 19, item 8): wherever it lands in the
# setup, nf_conntrack_acct and nf_conntrack_timestamp are back to what they were
# once the recorder is gone, and so is its table. 20 tries, the signal 0-49 ms after
# the exec (the setup, eBPF loading included, takes about that long).
. "$(dirname "$0")/common.sh"

lab_up || exit 1
# the sysctls exist once conntrack is loaded: a ct rule of the user's loads it
ip netns exec "$SRV" nft -f - <<'NFT'
table inet userfw {
	chain input { type filter hook input priority filter; policy accept; ct state invalid drop; }
}
NFT
sysctls() {
	ip netns exec "$SRV" sysctl -n net.netfilter.nf_conntrack_acct \
		net.netfilter.nf_conntrack_timestamp | tr '\n' ' '
}
before=$(sysctls)
[ "$before" = "0 0 " ] || fail "a fresh namespace should start with both at 0, not $before"

for i in $(seq 1 20); do
	sig=INT
	[ $((i % 2)) = 0 ] && sig=TERM
	delay=$(printf '0.%03d' $((RANDOM % 50)))
	# a background job starts with SIGINT ignored: give the recorder the default, as
	# a terminal would
	ip netns exec "$SRV" env --default-signal=INT,TERM "$CTA" -q record -d 10 \
		-o "$TMP/s.json" 2>"$TMP/err" &
	pid=$!
	# the delay counts from the exec: a signal to ip or env tests nothing
	for _ in $(seq 500); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = conntrack-advis ] && break
		sleep 0.001
	done
	sleep "$delay"
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	after=$(sysctls)
	[ "$after" = "$before" ] ||
		fail "try $i: SIG$sig after ${delay}s (exit $rc): sysctls '$after', were '$before'"
	# the kernel drops the owner table as the process's sockets close: give it a moment
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		ip netns exec "$SRV" nft list tables | grep -q conntrack_advise || break
		sleep 0.05
	done
	no_own_table "$SRV"
	# put them back for the next try, whatever happened
	ip netns exec "$SRV" sysctl -qw net.netfilter.nf_conntrack_acct=0 \
		net.netfilter.nf_conntrack_timestamp=0
done
finish
