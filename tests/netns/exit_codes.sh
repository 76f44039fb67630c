#!/usr/bin/env bash
# review and apply say what stops them, with the documented status: without
# CAP_NET_ADMIN exit 3 naming it (not the kernel "refusing" the ruleset), a RULESET
# that is not there exit 2 naming the file; suggest of an empty recording exit 1.
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
finish
