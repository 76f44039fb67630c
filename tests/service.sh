#!/usr/bin/env bash
# The recording service units pass systemd-analyze verify. PID 1 is not systemd on
# the test machines, so verify exits 1 for any unit ("sysinit.target not found"):
# judge it by its messages, in a root tree holding the binary. Any message but the
# ones that come from that tree being no system (no sysinit.target, no man page, no
# /bin/kill) fails: "Unknown key", "Failed to parse", a missing binary...
set -u
BUILD=$(dirname "${CTA:?CTA must point at the built binary}")
SRCDIR=${SRCDIR:?SRCDIR must point at the source tree}
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
for unit in conntrack-advise-record.service conntrack-advise-record@.service; do
	[ -f "$BUILD/$unit" ] || { echo "FAIL: no $BUILD/$unit"; FAILED=1; continue; }
	# the tree: the binary where ExecStart= says, the unit where systemd looks
	bin=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$BUILD/$unit")
	root=$TMP/root
	rm -rf "$root"
	mkdir -p "$root$(dirname "$bin")" "$root/etc/systemd/system"
	cp "$CTA" "$root$bin"
	cp "$BUILD/$unit" "$root/etc/systemd/system/"
	name=${unit/@/@lab}
	systemd-analyze verify --root="$root" "/etc/systemd/system/$name" >"$TMP/out" 2>&1
	grep -vE 'Unit sysinit\.target not found|Command /bin/kill is not executable|man conntrack-advise\(8\).* failed' \
		"$TMP/out" >"$TMP/left"
	if [ -s "$TMP/left" ]; then
		echo "FAIL: systemd-analyze verify $name:"
		cat "$TMP/left"
		FAILED=1
	fi
	# the sandbox asked for is there
	for key in 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_SYS_RESOURCE' \
		'ProtectSystem=strict' 'PrivateTmp=yes' 'NoNewPrivileges=yes' 'ReadWritePaths=/var/lib/conntrack-advise' \
		'StateDirectory=conntrack-advise' 'ExecReload=/bin/kill -HUP $MAINPID'; do
		grep -qF "$key" "$BUILD/$unit" || { echo "FAIL: $unit has no $key"; FAILED=1; }
	done
	grep -q -- '--rotate' "$BUILD/$unit" || { echo "FAIL: $unit does not rotate"; FAILED=1; }
done

# the drop-in of docs/events.md (the event stream into a log directory) verifies too
unit=conntrack-advise-record.service
root=$TMP/root
rm -rf "$root"
bin=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$BUILD/$unit")
mkdir -p "$root$(dirname "$bin")" "$root/etc/systemd/system/$unit.d"
cp "$CTA" "$root$bin"
cp "$BUILD/$unit" "$root/etc/systemd/system/"
sed -n '/^# systemctl edit conntrack-advise-record.service$/,/^```$/p' "$SRCDIR/docs/events.md" |
	sed '1d;$d' | sed "s|/usr/sbin/conntrack-advise|$bin|" >"$root/etc/systemd/system/$unit.d/events.conf"
grep -q -- '--events' "$root/etc/systemd/system/$unit.d/events.conf" || { echo "FAIL: no drop-in in docs/events.md"; FAILED=1; }
systemd-analyze verify --root="$root" "/etc/systemd/system/$unit" >"$TMP/out" 2>&1
grep -vE 'Unit sysinit\.target not found|Command /bin/kill is not executable|man conntrack-advise\(8\).* failed' \
	"$TMP/out" >"$TMP/left"
if [ -s "$TMP/left" ]; then
	echo "FAIL: systemd-analyze verify with the events drop-in:"
	cat "$TMP/left"
	FAILED=1
fi
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
