#!/usr/bin/env bash
# review and apply while a recorder runs in the same namespace: the recorder's own
# table (inet conntrack_advise, flags owner, listed with a "# progname" comment) is
# left out, so the live ruleset is copied into the scratch namespace and an
# incremental candidate (add rule ...) reviews and applies.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
S() { ip netns exec "$SRV" "$@"; }
S nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 23 drop
	}
}
NFT
ip netns exec "$SRV" "$CTA" -q record --no-bpf -d 60 -o "$TMP/s.json" 2>"$TMP/rec.err" &
rec=$!
# its first checkpoint: the recorder is set up (and takes SIGTERM as the end)
for _ in $(seq 100); do [ -s "$TMP/s.json" ] && break; sleep 0.1; done
S nft list tables | grep -q conntrack_advise || fail "the recorder's table never came"
printf 'add rule inet fw input tcp dport 26 drop\n' >"$TMP/add.nft"
S "$CTA" review "$TMP/add.nft" >"$TMP/review.out" 2>"$TMP/review.err"
rc=$?
[ $rc = 0 ] || fail "review beside a recorder: exit $rc: $(cat "$TMP/review.err")"
grep -q "does not load" "$TMP/review.err" && fail "review: $(cat "$TMP/review.err")"
grep -q "conntrack_advise" "$TMP/review.out" && fail "review shows the recorder's table: $(cat "$TMP/review.out")"
S "$CTA" apply "$TMP/add.nft" --confirm-timeout 0 --backup "$TMP/b.nft" </dev/null 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || fail "apply beside a recorder: exit $rc: $(cat "$TMP/err")"
S nft list table inet fw | grep -q 'tcp dport 26 drop' || fail "apply: the rule is not there"
grep -q conntrack_advise "$TMP/b.nft" && fail "the backup holds the recorder's table"
S nft list tables | grep -q conntrack_advise || fail "apply removed the recorder's table"
kill -TERM "$rec"
wait "$rec" || fail "the recorder failed: $(cat "$TMP/rec.err")"
finish
