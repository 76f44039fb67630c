#!/usr/bin/env bash
# A disk that fills up while recording: the file keeps its last good checkpoint, and
# the final error says what it lacks (the seconds and the flows since that checkpoint).
. "$(dirname "$0")/common.sh"

[ -n "${TMP:-}" ] && [ -d "$TMP" ] || exit 1
mkdir "$TMP/fs"
mount -t tmpfs -o size=256k tmpfs "$TMP/fs" || { echo "SKIP: no tmpfs"; exit 77; }
cleanup() {
	lab_down
	umount "$TMP/fs" 2>/dev/null
	rm -rf "$TMP"
}
lab_up || exit 1
start_servers 60
A() { ip netns exec "$CLA" "$@"; }

ip netns exec "$SRV" "$CTA" -q record --no-bpf -o "$TMP/fs/s.json" --checkpoint-interval 1 2>"$TMP/rec.err" &
rec=$!
wait_file "$TMP/fs/s.json" || exit 1
A "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.7 -n 1 || fail "tcp 80"
sleep 1.5 # a checkpoint with that flow
dd if=/dev/zero of="$TMP/fs/filler" bs=4k 2>/dev/null
A "$CTALAB" send tcp 192.0.2.10 443 -s 198.51.100.8 -n 1 || fail "tcp 443"
A "$CTALAB" send udp 192.0.2.10 53 -s 198.51.100.8 -n 1 || fail "udp 53"
sleep 1.5
kill -INT $rec
wait $rec
rc=$?
[ $rc = 2 ] || fail "disk full: exit $rc: $(cat "$TMP/rec.err")"
grep -Eq "s.json: No space left on device; it keeps the last checkpoint, of [0-9]+ s before the end: it lacks those [0-9]+ s and [1-9][0-9]* of the [0-9]+ flows" "$TMP/rec.err" ||
	fail "the error does not say what is lacking: $(cat "$TMP/rec.err")"
"$CTA" flows -o extended "$TMP/fs/s.json" | grep -q "dport=80" || fail "the last checkpoint is not readable"
ls "$TMP/fs" | grep -q '\.tmp\.' && fail "a temporary file was left: $(ls "$TMP/fs")"
finish
