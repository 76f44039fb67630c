#!/usr/bin/env bash
# record --rotate: one complete session file per period and one more per SIGHUP,
# nothing lost or counted twice across them (the connections of each flow add up to
# what was sent); flows, suggest and graph read the directory of files or a glob.
. "$(dirname "$0")/common.sh"

lab_up || exit 1
start_servers 60
# a firewall whose rule accepts ssh and https: each connection gets a verdict
ip netns exec "$SRV" nft -f - <<'NFT'
table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport { 22, 443 } accept
	}
}
NFT
A() { ip netns exec "$CLA" "$@"; }
B() { ip netns exec "$CLB" "$@"; }

# sum_conns DIR PORT: the connections of the TCP flows to PORT over every file; and
# every file is a complete session with a recording id of its own, and over the files
# the flows' verdict counts add up to their connections (a connection counts in the
# period it began in, its verdict in the one that judged it, up to 0.5 s later)
sum_conns() {
	"$PY" - "$1" "$2" <<'PY'
import glob, json, sys
total, verdicts, ids = 0, 0, set()
for p in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(p))
    assert d["recording"]["complete"] is True, p + " is not complete"
    for i in d["recording"].get("ids", []):
        assert i not in ids, p + " shares a recording id with another file"
        ids.add(i)
    for f in d["flows"]:
        if f["protocol"] == "tcp" and f["orig"]["dport"] == int(sys.argv[2]):
            total += f["connections"]
            verdicts += sum(x["connections"] for x in f.get("verdicts", []))
# only traced connections are judged (TCP SYNs of a flow: 5, then one a second), so the
# verdict counts cover some of the connections, never more, and never none
assert 0 < verdicts <= total, "%d connections, verdict counts %d" % (total, verdicts)
print(total)
PY
}

# 1. periods of 2 s: traffic in waves across several of them
mkdir "$TMP/rot"
ip netns exec "$SRV" "$CTA" record --rotate 2s -o "$TMP/rot/s.json" --checkpoint-interval 1 \
	2>"$TMP/rec.err" &
rec=$!
for ((i = 0; i < 30; i++)); do
	ls "$TMP"/rot/s-*.json >/dev/null 2>&1 && break
	sleep 0.1
done
for ((i = 0; i < 7; i++)); do
	A "$CTALAB" send tcp 192.0.2.10 22 -s 198.51.100.7 -n 2 || fail "tcp 22, wave $i"
	B "$CTALAB" send tcp 192.0.2.10 443 -s 203.0.113.20 -n 1 || fail "tcp 443, wave $i"
	sleep 0.8
done
sleep 0.5
kill -INT $rec
wait $rec
rc=$?
[ $rc = 0 ] || fail "record exited $rc: $(cat "$TMP/rec.err")"
ls -l "$TMP/rot"
n=$(ls "$TMP"/rot/s-*.json | wc -l)
[ "$n" -ge 3 ] || fail "5.6 s in periods of 2 s gave $n files"
ls "$TMP"/rot | grep -Ev '^s-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.json$' && fail "unexpected file names above"
[ "$(sum_conns "$TMP/rot" 22)" = 14 ] || fail "tcp 22: $(sum_conns "$TMP/rot" 22) connections in the files, 14 made"
[ "$(sum_conns "$TMP/rot" 443)" = 7 ] || fail "tcp 443: $(sum_conns "$TMP/rot" 443) connections in the files, 7 made"
for f in "$TMP"/rot/*.json; do
	schema_ok session.schema.json "$f"
done

# the directory and a glob stand for their files
"$CTA" -j flows "$TMP/rot" >"$TMP/dir.json" 2>"$TMP/dir.err" || fail "flows DIR: $(cat "$TMP/dir.err")"
"$PY" - "$TMP/dir.json" <<'PY' || fail "flows DIR: the waves do not add up"
import json, sys
d = json.load(open(sys.argv[1]))
c = {f["orig"]["dport"]: f["connections"] for f in d["flows"] if f["protocol"] == "tcp"}
assert c == {22: 14, 443: 7}, c
PY
"$CTA" flows "$TMP/rot/s-*.json" >"$TMP/glob.txt" 2>"$TMP/glob.err" || fail "flows 'GLOB': $(cat "$TMP/glob.err")"
"$CTA" flows "$TMP"/rot/s-*.json >"$TMP/files.txt" 2>/dev/null || fail "flows FILES"
cmp -s "$TMP/glob.txt" "$TMP/files.txt" || fail "flows 'GLOB' differs from flows FILES"
"$CTA" suggest "$TMP/rot/" >"$TMP/s.nft" 2>"$TMP/s.err" || fail "suggest DIR: $(cat "$TMP/s.err")"
grep -q 'dport 22' "$TMP/s.nft" || fail "suggest DIR allows no ssh"
"$CTA" graph "$TMP/rot" >"$TMP/g.dot" 2>"$TMP/g.err" || fail "graph DIR: $(cat "$TMP/g.err")"
"$CTA" flows "$TMP/rot/none-*.json" 2>"$TMP/none.err" && fail "flows with a glob matching nothing succeeded"
grep -q 'no file matches' "$TMP/none.err" || fail "glob matching nothing: $(cat "$TMP/none.err")"

# 2. SIGHUP ends the file and starts the next, whatever the period
mkdir "$TMP/hup"
ip netns exec "$SRV" "$CTA" record --rotate 1d -o "$TMP/hup/h-%Y%m%d.json" --checkpoint-interval 1 \
	2>"$TMP/hup.err" &
rec=$!
for ((i = 0; i < 30; i++)); do
	ls "$TMP"/hup/h-*.json >/dev/null 2>&1 && break
	sleep 0.1
done
for ((i = 0; i < 3; i++)); do
	A "$CTALAB" send tcp 192.0.2.10 80 -s 198.51.100.8 -n 3 || fail "tcp 80, round $i"
	sleep 0.3
	[ $i -lt 2 ] && kill -HUP $rec
	sleep 0.5
done
kill -TERM $rec
wait $rec
rc=$?
[ $rc = 0 ] || fail "record after SIGHUP exited $rc: $(cat "$TMP/hup.err")"
ls -l "$TMP/hup"
n=$(ls "$TMP"/hup/*.json | wc -l)
days=$(ls "$TMP"/hup/ | cut -c3-10 | sort -u | wc -l)
# the same date for all three (a name already used gets -2, -3), unless midnight UTC passed
[ "$n" = 3 ] || [ "$days" -gt 1 ] || fail "two SIGHUPs gave $n files, not 3"
[ "$(sum_conns "$TMP/hup" 80)" = 9 ] || fail "tcp 80: $(sum_conns "$TMP/hup" 80) connections in the files, 9 made"
for f in "$TMP"/hup/*.json; do
	# (the first file also has the connections of part 1 still in conntrack's table)
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sum(x["connections"] for x in d["flows"] if x["orig"].get("dport")==80)==3, d["flows"]' "$f" ||
		fail "$f does not hold one round of 3 connections"
done

"$CTA" record --rotate 1d 2>"$TMP/use.err" && fail "--rotate without -o accepted"
grep -q -- '--rotate needs -o' "$TMP/use.err" || fail "--rotate without -o: $(cat "$TMP/use.err")"
finish
