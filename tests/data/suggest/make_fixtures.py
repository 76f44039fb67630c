#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the session fixtures of the suggest golden tests (tests/unit/test_suggest.c).

Run it from this directory after changing it; then CTA_UPDATE_GOLDEN=1 meson test
unit-suggest rewrites the golden files, which are read and checked by a person.
"""
import json

HEAD = {
    "format": "conntrack-advise-session", "version": 1, "generator": "make_fixtures.py",
    "host": {"hostname": "fixture", "kernel": "6.18.0", "interfaces": [
        {"name": "lo", "index": 1, "addresses": ["127.0.0.1/8", "::1/128"]},
        {"name": "eth0", "index": 2, "addresses": ["192.0.2.10/24", "2001:db8::10/64"]}]},
    "recording": {"start": "2026-11-23T10:00:00.000Z", "end": "2026-11-23T18:00:00.000Z",
                  "complete": True, "options": {"duration_ms": 0, "checkpoint_ms": 1000,
                                                "rcvbuf": 33554432, "trace": "new",
                                                "nflog_group": 4711}},
    "stats": {"events": {"new": 0, "update": 0, "destroy": 0}, "dumps": 1, "dump_entries": 0,
              "dump_retries": 0, "messages": 0, "bad_messages": 0, "overruns": 0,
              "resyncs": 0, "swept": 0, "rcvbuf": 33554432, "open_connections": 0,
              "verdicts": {"trace_events": 0, "trace_bad": 0, "trace_overruns": 0,
                           "judgements": 0, "nflog_packets": 0, "nflog_overruns": 0,
                           "denied": 0, "ruleset_snapshots": 1}},
}
T = 0


def flow(proto, src, dst, port, direction="in", conns=1, reply=None, verdict=None,
         state=None, icmp_type=None, process=None):
    global T
    T += 1
    fam = "ipv6" if ":" in src else "ipv4"
    orig = {"src": src, "dst": dst}
    if icmp_type is not None:
        orig.update({"type": icmp_type, "code": 0, "id_min": 7, "id_max": 7})
    elif port is not None:
        orig.update({"sport_min": 40000, "sport_max": 40000 + conns - 1, "dport": port})
    f = {"family": fam, "protocol": proto, "direction": direction, "orig": orig}
    if reply:
        f["reply"] = reply
    denied = verdict is not None and verdict.get("verdict") != "accept"
    f.update({"connections": conns,
              "packets": {"orig": conns * 3, "reply": 0 if denied else conns * 2},
              "bytes": {"orig": conns * 180, "reply": 0 if denied else conns * 120},
              "first_seen": "2026-11-23T%02d:%02d:00.000Z" % (10 + T // 60, T % 60),
              "last_seen": "2026-11-23T%02d:%02d:30.000Z" % (10 + T // 60, T % 60),
              "state": state or ("unreplied" if denied else "assured")})
    if process:
        f["process"] = process
    if verdict:
        f["verdict"] = verdict
    return f


def proc(comm, pid, uid, user, exe=None, cgroup=None):
    p = {"pid": pid, "comm": comm, "exe": exe or "/usr/bin/" + comm, "uid": uid,
         "user": user, "gid": uid}
    if cgroup:
        p["cgroup"] = cgroup
    return p


def drop_rule(handle, text):
    return {"verdict": "reject" if "reject" in text else "drop", "type": "rule",
            "family": "inet", "table": "fw", "chain": "input", "handle": handle,
            "rule": text, "path": [], "source": "trace"}


DROP_POLICY = {"verdict": "drop", "type": "policy", "family": "inet", "table": "fw",
               "chain": "input", "path": [], "source": "trace"}
ACCEPT = {"verdict": "accept", "type": "rule", "family": "inet", "table": "fw",
          "chain": "input", "handle": 4, "rule": "tcp dport 22 accept", "path": [],
          "source": "trace"}


def write(name, flows):
    doc = dict(HEAD)
    doc["flows"] = flows
    with open(name + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


L4, L6 = "192.0.2.10", "2001:db8::10"
write("v4", [
    flow("tcp", "198.51.100.7", L4, 22, conns=3, verdict=ACCEPT),
    flow("tcp", "198.51.100.7", L4, 80, conns=2),
    flow("tcp", "198.51.100.8", L4, 80, conns=5),
    flow("tcp", "198.51.100.9", L4, 443),
    flow("tcp", "198.51.100.8", L4, 443, conns=4),
    flow("tcp", "198.51.100.7", L4, 443),
    flow("tcp", "198.51.100.9", L4, 80),
    flow("udp", "203.0.113.20", L4, 53, conns=7, state="replied"),
    flow("icmp", "198.51.100.7", L4, None, icmp_type=8, state="replied"),
    flow("tcp", "203.0.113.21", L4, 23, verdict=drop_rule(9, "tcp dport 23 reject")),
    flow("tcp", "198.51.100.8", L4, 8080, conns=2, verdict=DROP_POLICY),
    flow("udp", L4, "203.0.113.99", 123, direction="out", conns=4, state="replied"),
    flow("tcp", L4, "203.0.113.80", 443, direction="out", conns=2),
    flow("tcp", L4, "203.0.113.81", 443, direction="out"),
    flow("tcp", "127.0.0.1", "127.0.0.1", 5432, direction="local"),
])
write("v6", [
    flow("tcp", "2001:db8:a::7", L6, 22),
    flow("tcp", "2001:db8:a::8", L6, 22, conns=2),
    flow("tcp", "2001:db8:0:0::20", L6, 22),
    flow("tcp", "2001:db8:0:0::21", L6, 22),
    flow("tcp", "2001:db8:0:1::20", L6, 22),
    flow("tcp", "2001:db8:0:1::21", L6, 22),
    flow("udp", "2001:db8:b::20", L6, 53, state="replied"),
    flow("ipv6-icmp", "2001:db8:b::21", L6, None, icmp_type=128, state="replied"),
    flow("tcp", "2001:db8:b::21", L6, 25, verdict=DROP_POLICY),
])
write("router", [
    # a port forward: 198.51.100.1:8080 -> 203.0.113.20:80
    flow("tcp", "198.51.100.7", "198.51.100.1", 8080, direction="forward", conns=2,
         reply={"src": "203.0.113.20", "dst": "203.0.113.1", "sport": 80,
                "dport_min": 40000, "dport_max": 40001}),
    flow("tcp", "198.51.100.8", "203.0.113.20", 80, direction="forward",
         reply={"src": "203.0.113.20", "dst": "203.0.113.1", "sport": 80,
                "dport_min": 40000, "dport_max": 40000}),
    flow("tcp", "198.51.100.7", "203.0.113.21", 443, direction="forward"),
    flow("tcp", "198.51.100.8", "203.0.113.21", 443, direction="forward"),
    flow("tcp", "198.51.100.7", "203.0.113.22", 443, direction="forward"),
    flow("tcp", "198.51.100.8", "203.0.113.22", 443, direction="forward"),
    flow("gre", "198.51.100.9", "203.0.113.30", None, direction="forward", state="replied"),
    flow("tcp", "2001:db8:a::7", "2001:db8:b::20", 80, direction="forward"),
    flow("udp", "198.51.100.7", "198.51.100.1", 53, state="replied"),
    flow("tcp", "203.0.113.9", "203.0.113.20", 22, direction="forward",
         verdict={"verdict": "drop", "type": "policy", "family": "inet", "table": "fw",
                  "chain": "forward", "path": [], "source": "trace"}),
])
many = []
for net in ("198.51.100", "203.0.113"):
    for h in range(1, 255):
        many.append(flow("tcp", "%s.%d" % (net, h), L4, 443))
for h in range(1, 101):
    many.append(flow("tcp", "2001:db8:a::%x" % h, L6, 443))
    many.append(flow("tcp", "2001:db8:b:%x::1" % h, L6, 443))
write("many", many)
write("onehost", [flow("tcp", "198.51.100.7", L4, 22)])
SSHD = proc("sshd", 812, 0, "root", exe="/usr/sbin/sshd",
            cgroup="/system.slice/ssh.service")
NGINX = proc("nginx", 990, 33, "www-data", exe="/usr/sbin/nginx",
             cgroup="/system.slice/nginx.service")
write("procs", [
    flow("tcp", "198.51.100.7", L4, 22, conns=2, process=SSHD),
    flow("tcp", "2001:db8:a::7", L6, 22, process=SSHD),
    flow("tcp", "198.51.100.8", L4, 443, conns=3, process=NGINX),
    flow("tcp", "198.51.100.9", L4, 443, process=NGINX),
    # outbound: programs of three users, one unknown, one that NFLOG alone saw
    flow("tcp", L4, "203.0.113.80", 443, direction="out", conns=2,
         process=proc("curl", 4242, 1000, "alice", cgroup="/user.slice/user-1000.slice")),
    flow("tcp", L4, "203.0.113.81", 443, direction="out",
         process=proc("firefox-esr", 4300, 1000, "alice", exe="/usr/lib/firefox-esr/firefox-esr")),
    flow("tcp", L4, "203.0.113.90", 80, direction="out",
         process=proc("http", 5100, 42, "_apt", exe="/usr/lib/apt/methods/http",
                      cgroup="/system.slice/apt-daily.service")),
    flow("udp", L4, "203.0.113.99", 123, direction="out", conns=4, state="replied",
         process=proc("ntpd", 700, 102, "ntpsec", exe="/usr/sbin/ntpd")),
    flow("udp", L4, "203.0.113.53", 53, direction="out", conns=6, state="replied"),
    flow("tcp", L4, "203.0.113.25", 25, direction="out", process={"uid": 108, "gid": 114}),
    flow("tcp", L6, "2001:db8:c::80", 443, direction="out",
         process=proc("curl", 4243, 1000, "alice")),
    # forwarded: no process
    flow("tcp", "198.51.100.7", "203.0.113.20", 80, direction="forward"),
])
write("empty", [])
