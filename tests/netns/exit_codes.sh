#!/usr/bin/env bash
# review and apply say what stops them, with the documented status: without
# CAP_NET_ADMIN exit 3 naming it (not the kernel "refusing" the ruleset), a RULESET
# that is not there exit 2 naming the file; suggest of an empty recording exit 1; a
# session with a number too big, and an output file that cannot be replaced, exit 2.
. "$(dirname "$0")/common.sh"

chmod 755 "$TMP"
cat >"$TMP/r.nft" <<'NFT'
table inet x {
	chain c {
		type filter hook input priority 0; policy accept;
	}
}
NFT
chmod 644 "$TMP/r.nft"
UNPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
for cmd in "review $TMP/r.nft" "apply --confirm-timeout 0 $TMP/r.nft"; do
	# shellcheck disable=SC2086
	unshare -n "${UNPRIV[@]}" "$CTA" $cmd </dev/null >/dev/null 2>"$TMP/err"
	rc=$?
	[ $rc = 3 ] || fail "unprivileged $cmd: exit $rc: $(cat "$TMP/err")"
	grep -q "CAP_NET_ADMIN" "$TMP/err" || fail "unprivileged $cmd: $(cat "$TMP/err")"
	grep -q "refused by the kernel" "$TMP/err" && fail "unprivileged $cmd: $(cat "$TMP/err")"
done
for cmd in "review" "apply --confirm-timeout 0"; do
	# shellcheck disable=SC2086
	unshare -n "$CTA" $cmd "$TMP/nosuch.nft" </dev/null >/dev/null 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] || fail "$cmd nosuch.nft: exit $rc"
	grep -q "cannot read $TMP/nosuch.nft: No such file or directory" "$TMP/err" ||
		fail "$cmd nosuch.nft: $(cat "$TMP/err")"
done
# an empty recording: no ruleset (it would drop every service) unless --force
"$CTA" suggest -o "$TMP/e.nft" "$SRCDIR/tests/data/suggest/empty.json" 2>"$TMP/err"
rc=$?
[ $rc = 1 ] || fail "suggest of an empty recording: exit $rc"
grep -q "no flow" "$TMP/err" || fail "suggest of an empty recording: $(cat "$TMP/err")"
[ -e "$TMP/e.nft" ] && fail "suggest wrote the empty ruleset"
"$CTA" suggest --force -o "$TMP/e.nft" "$SRCDIR/tests/data/suggest/empty.json" || fail "suggest --force"
# a number too big for a session: file, line, column, field and the number (exit 2)
sed 's/"packets":{"orig":2,/"packets":{"orig":99999999999999999999999,/' \
	"$SRCDIR/tests/data/demo-session.json" >"$TMP/big.json"
"$CTA" flows "$TMP/big.json" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "flows of a too big number: exit $rc: $(cat "$TMP/err")"
grep -qE "^conntrack-advise: $TMP/big.json:[0-9]+:[0-9]+: flows\[[0-9]+\]\.packets\.orig: 99999999999999999999999 is too big " "$TMP/err" ||
	fail "flows of a too big number: $(cat "$TMP/err")"
# an output file in a directory that makes no new files (the tool writes beside it,
# then renames): said so, not "No such file or directory" of a file that is there
"$CTA" suggest -o /proc/version "$SRCDIR/tests/data/demo-session.json" 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "suggest -o /proc/version: exit $rc: $(cat "$TMP/err")"
grep -q "^conntrack-advise: suggest: /proc/version: cannot be written as the tool writes files (a new file beside it, renamed over it): its directory makes no new files" "$TMP/err" ||
	fail "suggest -o /proc/version: $(cat "$TMP/err")"
finish
