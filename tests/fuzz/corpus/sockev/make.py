#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seeds of fuzz_sockev: struct cta_bpf_event records (bpf/procmon.h), as the eBPF
programs write them on x86_64. Run it here after changing the struct."""
import socket
import struct

# owner: cgroup_id, pid, uid, gid, comm[16], exe[32], padding to 8; then kind, family, protocol, pad,
# lport, rport, laddr[16], raddr[16]
FMT = "<QIII16s32s4xBBBBHH16s16s"


def a4(s):
    return socket.inet_pton(socket.AF_INET, s) + bytes(12)


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def rec(kind, fam, proto, lport, rport, laddr, raddr, comm, pid, uid):
    return struct.pack(FMT, 1, pid, uid, uid, comm.encode(), comm.encode(), kind,
                       fam, proto, 0, lport, rport, laddr, raddr)


CONNECT, ESTABLISHED, LISTEN, BIND, SEND, RECV = range(1, 7)
TCP, UDP = 6, 17
V4, V6 = 2, 10
seeds = {
    "client4": [rec(CONNECT, V4, TCP, 0, 443, a4("0.0.0.0"), a4("203.0.113.80"), "curl", 42, 1000),
                rec(ESTABLISHED, V4, TCP, 40000, 443, a4("192.0.2.10"), a4("203.0.113.80"), "curl", 42, 1000)],
    "server6": [rec(LISTEN, V6, TCP, 22, 0, a6("::"), a6("::"), "sshd", 812, 0),
                rec(BIND, V6, UDP, 53, 0, a6("2001:db8::10"), a6("::"), "named", 900, 105),
                rec(RECV, V6, UDP, 53, 40000, a6("::"), a6("2001:db8::7"), "named", 900, 105)],
    "mapped": [rec(SEND, V6, UDP, 41000, 53, a6("::"), a6("::ffff:203.0.113.53"), "dig", 5, 0)],
}
assert struct.calcsize(FMT) == 112
for name, recs in seeds.items():
    with open(name, "wb") as f:
        f.write(b"".join(recs))
