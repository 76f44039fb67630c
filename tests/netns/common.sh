# shellcheck shell=bash
# Shared by the netns tests: root check (skip = 77), the lab, assertions.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root for network namespaces"
	exit 77
fi
: "${CTA:?CTA must point at the conntrack-advise binary}"
: "${CTALAB:?CTALAB must point at the ctalab helper}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab.sh
. "$HERE/lab.sh"
TMP=$(mktemp -d)
cleanup() {
	lab_down
	rm -rf "$TMP"
}
trap cleanup EXIT
FAILED=0
# Debian's python3: it has python3-jsonschema (another python3 may come first in PATH)
PY=/usr/bin/python3

# schema_ok SCHEMA DOCUMENT...: documents validate against docs/schema/SCHEMA
schema_ok() {
	local schema=$1
	shift
	"$PY" "$HERE/../tools/check_schema.py" "$HERE/../../docs/schema" "$schema" "$@" ||
		fail "$* does not match docs/schema/$schema"
}

# record_probes FILE PORT:ok|denied[:SRC]...: a recording in $SRV into FILE of one TCP
# connect per argument from client A (198.51.100.7, or SRC) to 198.51.100.1:PORT, each
# expected to connect (ok) or not (denied); stopped 3 s after the last, as record
# decides denied attempts after 2 s.
record_probes() {
	local out=$1 rec p port want src
	shift
	ip netns exec "$SRV" "$CTA" -q record -o "$out" &
	rec=$!
	wait_file "$out" || return 1
	for p in "$@"; do
		IFS=: read -r port want src <<<"$p"
		src=${src:-198.51.100.7}
		if ip netns exec "$CLA" "$CTALAB" probe tcp 198.51.100.1 "$port" -s "$src" \
			>/dev/null 2>&1; then
			[ "$want" = ok ] || fail "connect to $port from $src went through"
		else
			[ "$want" = denied ] || fail "connect to $port from $src refused"
		fi
	done
	sleep 3
	kill -INT $rec
	wait $rec || fail "record failed"
}

fail() {
	echo "FAIL: $*"
	FAILED=1
}

# ftp_helper_rules: lines of an `inet` table: the ftp conntrack helper object and its
# assignment to TCP port 21 in prerouting (nf_conntrack_ftp must be there to load them)
ftp_helper_rules() {
	cat <<'NFT'
	ct helper ftp-standard {
		type "ftp" protocol tcp
		l3proto inet
	}
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-standard"
	}
NFT
}

# expect_line FILE REGEX [COUNT]: REGEX matches exactly COUNT (default 1) lines.
expect_line() {
	local n
	n=$(grep -cE -- "$2" "$1")
	[ "$n" = "${3:-1}" ] || fail "expected ${3:-1} line(s) matching '$2' in $1, found $n"
}

no_own_table() {
	if ip netns exec "$1" nft list tables | grep -q conntrack_advise; then
		fail "table conntrack_advise still present in $1"
	fi
}

# Wait up to 5 s for blame --live's table in the server's namespace: the sign it is
# tracing (the traffic it waits for may be sent then).
wait_blame_table() {
	local i
	for i in $(seq 50); do
		ip netns exec "$SRV" nft list tables | grep -q conntrack_advise_blame && return 0
		sleep 0.1
	done
	return 1
}

# wait_turns_read FILE: until every turn of record's counting sets that its -v output
# in FILE says had its old generation read and emptied (every count listed); 30 s at most.
wait_turns_read() {
	local i
	for i in $(seq 300); do
		[ "$(grep -c "counting into generation" "$1")" -le \
			"$(grep -c "read and emptied" "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

finish() {
	if [ "$FAILED" = 0 ]; then
		echo "PASS"
		exit 0
	fi
	exit 1
}
