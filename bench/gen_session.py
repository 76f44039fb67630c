#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a synthetic conntrack-advise session of N flows (deterministic for a seed).

The host serves a handful of TCP/UDP services and ICMP echo; clients come from the
IPv4 documentation ranges first and from 2001:db8::/32 after that, so large sessions
are mostly IPv6: half of those in busy /64s, half scattered (one host per /64), so the
ruleset's address sets grow with the session. Every tenth flow is outbound, every fiftieth forwarded, every
hundredth denied, as a recording of a busy server would be.
"""
import argparse
import random
import sys

SERVICES = [("tcp", 22), ("tcp", 80), ("tcp", 443), ("udp", 53), ("tcp", 25),
            ("tcp", 5432), ("udp", 123), ("tcp", 8443), ("udp", 514), ("tcp", 3306)]
V4_NETS = ["192.0.2", "198.51.100", "203.0.113"]


def ts(sec):
    return "2026-11-%02dT%02d:%02d:%02d.000Z" % (1 + sec // 86400, sec // 3600 % 24,
                                                 sec // 60 % 60, sec % 60)


def client(i):
    """The i-th distinct client address: family, address."""
    if i < 3 * 254:
        return "ipv4", "%s.%d" % (V4_NETS[i // 254], 1 + i % 254)
    i -= 3 * 254
    net, host = divmod(i, 200)
    if net % 2 == 0:
        # a busy subnet: 200 hosts in one /64
        return "ipv6", "2001:db8:%x:%x::%x" % (net >> 16 & 0xffff, net & 0xffff, host + 1)
    # scattered clients, one per /64 and no two in a /63: they stay hosts
    return "ipv6", "2001:db8:%x:%x::1" % (i >> 15 & 0xffff, (i & 0x7fff) << 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("flows", type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out = sys.stdout
    out.write('{"format":"conntrack-advise-session","version":1,'
              '"generator":"bench/gen_session.py",'
              '"host":{"hostname":"bench","kernel":"synthetic","interfaces":['
              '{"name":"lo","index":1,"addresses":["127.0.0.1/8","::1/128"]},'
              '{"name":"eth0","index":2,"addresses":["192.0.2.10/24","2001:db8::10/64"]}]},'
              '"recording":{"start":"2026-11-01T00:00:00.000Z","end":"2026-11-08T00:00:00.000Z",'
              '"complete":true,"options":{"duration_ms":0,"checkpoint_ms":1000,'
              '"rcvbuf":33554432,"trace":"new","nflog_group":4711}},'
              '"stats":{"events":{"new":0,"update":0,"destroy":0},"dumps":1,"dump_entries":0,'
              '"dump_retries":0,"messages":0,"bad_messages":0,"overruns":0,"resyncs":0,'
              '"swept":0,"rcvbuf":33554432,"open_connections":0,"verdicts":{"trace_events":0,'
              '"trace_bad":0,"trace_overruns":0,"judgements":0,"nflog_packets":0,'
              '"nflog_overruns":0,"denied":0,"ruleset_snapshots":1}},\n"flows":[\n')
    per_client = len(SERVICES)
    for n in range(args.flows):
        ci, si = divmod(n, per_client)
        fam, addr = client(ci)
        proto, port = SERVICES[si]
        local = "192.0.2.10" if fam == "ipv4" else "2001:db8::10"
        direction, src, dst = "in", addr, local
        if n % 10 == 9:
            direction, src, dst = "out", local, addr
        elif n % 50 == 7:
            direction = "forward"
            dst = "203.0.113.99" if fam == "ipv4" else "2001:db8:b::99"
        denied = n % 100 == 3 and direction == "in"
        t0 = rnd.randrange(0, 7 * 86400 - 10)
        sp = rnd.randrange(32768, 60999)
        conns = 1 if denied else rnd.randrange(1, 50)
        if denied:
            verdict = ('{"verdict":"drop","type":"policy","family":"inet","table":"filter",'
                       '"chain":"input","path":[],"source":"trace"}')
            state, pk, by = "unreplied", '{"orig":%d,"reply":0}' % conns, '{"orig":0,"reply":0}'
        else:
            verdict = ('{"verdict":"accept","type":"rule","family":"inet","table":"filter",'
                       '"chain":"input","handle":%d,"rule":"%s dport %d accept","path":[],'
                       '"source":"trace"}' % (4 + si, proto, port))
            state = "assured" if proto == "tcp" else "replied"
            pk = '{"orig":%d,"reply":%d}' % (conns * 6, conns * 4)
            by = '{"orig":%d,"reply":%d}' % (conns * 600, conns * 4000)
        out.write('%s{"family":"%s","protocol":"%s","direction":"%s","orig":{"src":"%s",'
                  '"dst":"%s","sport_min":%d,"sport_max":%d,"dport":%d},"connections":%d,'
                  '"packets":%s,"bytes":%s,"first_seen":"%s","last_seen":"%s","state":"%s",'
                  '"verdict":%s}\n'
                  % ("," if n else "", fam, proto, direction, src, dst, sp, sp + conns, port,
                     conns, pk, by, ts(t0), ts(t0 + 5), state, verdict))
    out.write("]}\n")


if __name__ == "__main__":
    main()
