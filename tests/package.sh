#!/usr/bin/env bash
# The Debian package: built with dpkg-buildpackage from a copy of the source tree
# (nothing is written into it), lintian clean, installed with dpkg, its binary runs,
# its files are where --help and the man page say, and purging it leaves nothing.
# Installs the package on this machine for the length of the test only; skips (77)
# when a conntrack-advise package is installed already.
set -u
SRC=${SRCDIR:?SRCDIR must point at the source tree}
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t (scripts/deps installs it)"; exit 77; }
done
if dpkg-query -W -f='${Status}' conntrack-advise 2>/dev/null | grep -q installed; then
	echo "SKIP: a conntrack-advise package is installed here already"
	exit 77
fi
TMP=$(mktemp -d)
INSTALLED=0
cleanup() {
	[ "$INSTALLED" = 1 ] && dpkg -P conntrack-advise >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}

# the tree as it is (uncommitted changes too), without build directories or git
mkdir "$TMP/src"
tar -C "$SRC" --exclude=./build --exclude=./.git --exclude='./obj-*' -c . | tar -C "$TMP/src" -x ||
	{ echo "FAIL: copy of the source tree"; exit 1; }
(cd "$TMP/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$TMP/build.log" 2>&1 || { tail -40 "$TMP/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1; }
DEB=$(ls "$TMP"/conntrack-advise_*.deb 2>/dev/null | head -1)
[ -f "$DEB" ] || { echo "FAIL: no .deb in $TMP"; exit 1; }

# lintian: no error or warning (info tags are explained in debian/*.lintian-overrides)
lintian "$TMP"/conntrack-advise_*.changes >"$TMP/lintian.txt" 2>&1
if grep -E '^[EW]: ' "$TMP/lintian.txt"; then
	fail "lintian tags above"
fi

# the package's contents
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$TMP/files"
for f in /usr/sbin/conntrack-advise /usr/share/man/man8/conntrack-advise.8.gz \
	/usr/share/bash-completion/completions/conntrack-advise \
	/usr/share/conntrack-advise/templates/server.nft \
	/usr/share/doc/conntrack-advise/session-format.md \
	/usr/share/doc/conntrack-advise/events.md \
	/usr/share/doc/conntrack-advise/deciders.md \
	/usr/share/doc/conntrack-advise/schema/flows.schema.json \
	/lib/systemd/system/conntrack-advise-record.service \
	/lib/systemd/system/conntrack-advise-record@.service; do
	grep -qx "$f" "$TMP/files" || fail "the package has no $f"
done

# backups apply made before (of this host, or of a namespace's) are not the package's
STATE=/var/lib/conntrack-advise
[ -e "$STATE" ] && STATE=
dpkg -i "$DEB" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "dpkg -i"; }
INSTALLED=1
BIN=/usr/sbin/conntrack-advise
"$BIN" version | grep -qE '^conntrack-advise [0-9.]+ \+libnftables' || fail "version: $("$BIN" version 2>&1)"
"$BIN" help | grep -q '^Commands:' || fail "help: $("$BIN" help 2>&1 | head -3)"
# what --help points at is there
schemas=$("$BIN" --help | sed -n 's/.*schemas in \([^)]*\)).*/\1/p')
[ -n "$schemas" ] && [ -f "$schemas/flows.schema.json" ] || fail "--help names schemas in '$schemas': not there"
"$BIN" suggest --template server "$SRC/tests/data/suggest/router.json" >"$TMP/s.nft" 2>"$TMP/s.err" ||
	fail "installed suggest: $(cat "$TMP/s.err")"
MANWIDTH=80 man conntrack-advise 2>/dev/null | grep -q '^SYNOPSIS' || fail "man conntrack-advise"
# the service is installed but neither enabled nor started
[ ! -e /etc/systemd/system/multi-user.target.wants/conntrack-advise-record.service ] ||
	fail "the service was enabled on installation"

dpkg -P conntrack-advise >"$TMP/purge.log" 2>&1 || { cat "$TMP/purge.log"; fail "dpkg -P"; }
INSTALLED=0
dpkg-query -W -f='${Status}' conntrack-advise 2>/dev/null | grep -q installed && fail "still installed"
for p in /usr/sbin/conntrack-advise /usr/share/conntrack-advise /usr/share/doc/conntrack-advise \
	/usr/share/man/man8/conntrack-advise.8.gz /usr/share/bash-completion/completions/conntrack-advise \
	/lib/systemd/system/conntrack-advise-record.service /lib/systemd/system/conntrack-advise-record@.service \
	$STATE; do
	[ ! -e "$p" ] || fail "left after purge: $p"
done
[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
