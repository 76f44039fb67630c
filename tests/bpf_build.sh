#!/usr/bin/env bash
# The eBPF programs build from the source tree into a fresh build directory, as the
# README's commands build them: vmlinux.h from the kernel's BTF, the object compiled
# with clang -target bpf (BTF and CO-RE relocations in it), the libbpf skeleton, and a
# binary that says +bpf. Also with a vmlinux.h named by -Dvmlinux_h, and without eBPF.
set -u
SRC=${SRCDIR:?SRCDIR must point at the source tree}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}

B=$TMP/bpf
meson setup "$B" "$SRC" -Dbpf=enabled >"$TMP/log" 2>&1 &&
	ninja -C "$B" conntrack-advise >>"$TMP/log" 2>&1 ||
	{ cat "$TMP/log"; echo "FAIL: build with -Dbpf=enabled"; exit 1; }
grep -q "struct task_struct {" "$B/vmlinux.h" || fail "vmlinux.h was not generated from BTF"
readelf -h "$B/procmon.bpf.o" | grep -q "Machine: *Linux BPF" || fail "procmon.bpf.o is not a BPF object"
readelf -S -W "$B/procmon.bpf.o" >"$TMP/sections"
for s in .BTF .BTF.ext .maps cgroup/connect4 cgroup/connect6 cgroup/sendmsg4 cgroup/sendmsg6 \
	cgroup/recvmsg4 cgroup/recvmsg6 cgroup/post_bind4 cgroup/post_bind6 \
	tp_btf/inet_sock_set_state; do
	grep -qF " $s " "$TMP/sections" || grep -qF " $s" "$TMP/sections" || fail "no section $s"
done
grep -q "procmon__open" "$B/procmon.skel.h" || fail "no skeleton"
"$B/conntrack-advise" version | grep -q ' +bpf ' || fail "version: $("$B/conntrack-advise" version)"
"$B/conntrack-advise" -j version | grep -q '"bpf": true' || fail "version -j says no bpf"

# a vmlinux.h of the user's (here: the one just generated)
cp "$B/vmlinux.h" "$TMP/my-vmlinux.h"
meson setup "$TMP/own" "$SRC" -Dbpf=enabled -Dvmlinux_h="$TMP/my-vmlinux.h" >"$TMP/log" 2>&1 &&
	ninja -C "$TMP/own" procmon.skel.h >>"$TMP/log" 2>&1 ||
	{ cat "$TMP/log"; fail "build with -Dvmlinux_h"; }
cmp -s "$TMP/own/vmlinux.h" "$TMP/my-vmlinux.h" || fail "-Dvmlinux_h was not used"

# without eBPF: it builds, and says so
meson setup "$TMP/none" "$SRC" -Dbpf=disabled >"$TMP/log" 2>&1 &&
	ninja -C "$TMP/none" conntrack-advise >>"$TMP/log" 2>&1 ||
	{ cat "$TMP/log"; fail "build with -Dbpf=disabled"; }
[ -e "$TMP/none/procmon.bpf.o" ] && fail "-Dbpf=disabled built the eBPF object"
"$TMP/none/conntrack-advise" version | grep -q ' -bpf ' || fail "-Dbpf=disabled: version says bpf"

[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
