// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * procs: socket events in, a flow's local process out. Client and server ends,
 * wildcard and exact local addresses, dual-stack listeners, the latest owner, and a
 * comment-safe program name; then a session with processes, written and read by both
 * readers, and merged. The ring buffer records' decoding: test_sockev.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/merge.h"
#include "advisor/record/procs.h"
#include "advisor/model/session.h"

static union cta_addr addr(const char *s)
{
	union cta_addr a = { 0 };

	if (inet_pton(AF_INET, s, a.b) != 1 && inet_pton(AF_INET6, s, a.b) != 1)
		abort();
	return a;
}

static struct cta_sock_event sockev(uint8_t kind, uint8_t l4proto, const char *laddr,
				    uint16_t lport, const char *raddr, uint16_t rport,
				    const char *comm, uint32_t pid, uint32_t uid)
{
	struct cta_sock_event ev = {
		.kind = kind, .l4proto = l4proto, .lport = lport, .rport = rport
	};

	ev.family = strchr(laddr, ':') || strchr(raddr, ':') ? AF_INET6 : AF_INET;
	ev.laddr = addr(laddr);
	ev.raddr = addr(raddr);
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "%s", comm);
	snprintf(ev.proc.exe, sizeof(ev.proc.exe), "/usr/bin/%s", comm);
	ev.proc.pid = pid;
	ev.proc.uid = uid;
	return ev;
}

static struct cta_flow flow(uint8_t dir, uint8_t l4proto, const char *src, const char *dst,
			    uint16_t dport)
{
	struct cta_flow f = { .direction = dir };

	f.key.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	f.key.l4proto = l4proto;
	f.key.src = addr(src);
	f.key.dst = addr(dst);
	f.key.dport = dport;
	f.key.reply_src = f.key.dst;
	f.key.reply_dst = f.key.src;
	f.key.reply_sport = dport;
	return f;
}

static const char *comm_of(const struct cta_process *p)
{
	return p && p->comm ? p->comm : "(none)";
}

static void test_lookup(void)
{
	struct cta_procs *p = cta_procs_new();
	struct cta_sock_event ev;
	struct cta_flow f;

	CHECK(p != NULL);
	/* a TCP server on every address, a UDP one on one address */
	ev = sockev(CTA_SOCK_LISTEN, IPPROTO_TCP, "0.0.0.0", 22, "0.0.0.0", 0, "sshd", 812, 0);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	ev = sockev(CTA_SOCK_BIND, IPPROTO_UDP, "192.0.2.10", 53, "0.0.0.0", 0, "named", 900, 105);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	/* a dual-stack listener on "::" answers IPv4 too */
	ev = sockev(CTA_SOCK_LISTEN, IPPROTO_TCP, "::", 80, "::", 0, "nginx", 990, 33);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	/* clients: one connect() with its local address unknown yet, one complete */
	ev = sockev(CTA_SOCK_CONNECT, IPPROTO_TCP, "0.0.0.0", 0, "203.0.113.80", 443, "curl", 4242,
		    1000);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	ev = sockev(CTA_SOCK_ESTABLISHED, IPPROTO_TCP, "192.0.2.10", 40001, "203.0.113.81", 443,
		    "wget", 4300, 1000);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	ev = sockev(CTA_SOCK_SEND, IPPROTO_UDP, "::", 41000, "2001:db8::53", 53, "dig", 5000, 0);
	CHECK_EQ(cta_procs_add(p, &ev), 0);

	f = flow(CTA_DIR_IN, IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 22);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "sshd");
	f = flow(CTA_DIR_IN, IPPROTO_UDP, "198.51.100.7", "192.0.2.10", 53);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "named");
	/* bound to 192.0.2.10 only: not the server of another local address */
	f = flow(CTA_DIR_IN, IPPROTO_UDP, "198.51.100.7", "192.0.2.11", 53);
	CHECK(cta_procs_for_flow(p, &f) == NULL);
	f = flow(CTA_DIR_IN, IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 80);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "nginx");
	f = flow(CTA_DIR_IN, IPPROTO_TCP, "2001:db8::7", "2001:db8::10", 80);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "nginx");
	/* after a DNAT the service is the one that answered: reply source and port */
	f = flow(CTA_DIR_IN, IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 2222);
	f.key.reply_sport = 22;
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "sshd");
	f = flow(CTA_DIR_OUT, IPPROTO_TCP, "192.0.2.10", "203.0.113.80", 443);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "curl");
	f = flow(CTA_DIR_OUT, IPPROTO_TCP, "192.0.2.10", "203.0.113.81", 443);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "wget");
	/* ESTABLISHED answers for its own local address and for "any" */
	f = flow(CTA_DIR_OUT, IPPROTO_TCP, "192.0.2.99", "203.0.113.81", 443);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "wget");
	f = flow(CTA_DIR_OUT, IPPROTO_UDP, "2001:db8::10", "2001:db8::53", 53);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "dig");
	/* another peer, another port, another protocol: nobody */
	f = flow(CTA_DIR_OUT, IPPROTO_TCP, "192.0.2.10", "203.0.113.80", 80);
	CHECK(cta_procs_for_flow(p, &f) == NULL);
	f = flow(CTA_DIR_OUT, IPPROTO_UDP, "192.0.2.10", "203.0.113.80", 443);
	CHECK(cta_procs_for_flow(p, &f) == NULL);
	/* forwarded flows and protocols without ports have no process */
	f = flow(CTA_DIR_FORWARD, IPPROTO_TCP, "192.0.2.10", "203.0.113.80", 443);
	CHECK(cta_procs_for_flow(p, &f) == NULL);
	f = flow(CTA_DIR_OUT, IPPROTO_ICMP, "192.0.2.10", "203.0.113.80", 0);
	CHECK(cta_procs_for_flow(p, &f) == NULL);
	/* a local flow: its client first */
	ev = sockev(CTA_SOCK_CONNECT, IPPROTO_TCP, "0.0.0.0", 0, "127.0.0.1", 22, "ssh", 6000,
		    1000);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	f = flow(CTA_DIR_LOCAL, IPPROTO_TCP, "127.0.0.1", "127.0.0.1", 22);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "ssh");
	f = flow(CTA_DIR_LOCAL, IPPROTO_TCP, "127.0.0.1", "127.0.0.1", 80);
	CHECK_STR(comm_of(cta_procs_for_flow(p, &f)), "nginx");

	/* the latest owner of a role wins; the same process is one object */
	ev = sockev(CTA_SOCK_CONNECT, IPPROTO_TCP, "0.0.0.0", 0, "203.0.113.80", 443, "curl", 4243,
		    1000);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	f = flow(CTA_DIR_OUT, IPPROTO_TCP, "192.0.2.10", "203.0.113.80", 443);
	CHECK_EQ(cta_procs_for_flow(p, &f)->pid, 4243);
	{
		size_t before = cta_procs_processes(p);
		struct cta_process *a, *b;

		ev = sockev(CTA_SOCK_CONNECT, IPPROTO_TCP, "0.0.0.0", 0, "203.0.113.82", 443,
			    "curl", 4243, 1000);
		CHECK_EQ(cta_procs_add(p, &ev), 0);
		CHECK_EQ(cta_procs_processes(p), before);
		a = cta_procs_for_flow(p, &f);
		f = flow(CTA_DIR_OUT, IPPROTO_TCP, "192.0.2.10", "203.0.113.82", 443);
		b = cta_procs_for_flow(p, &f);
		CHECK(a && a == b);
	}
	/* a connect() without a port, a listen without one: nothing learned */
	ev = sockev(CTA_SOCK_CONNECT, IPPROTO_UDP, "0.0.0.0", 0, "203.0.113.1", 0, "x", 1, 0);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	ev = sockev(CTA_SOCK_LISTEN, IPPROTO_TCP, "0.0.0.0", 0, "0.0.0.0", 0, "x", 1, 0);
	CHECK_EQ(cta_procs_add(p, &ev), 0);
	CHECK_EQ(cta_procs_sockets(p), 9);
	cta_procs_free(p);
}

static void test_program_name(void)
{
	struct cta_proc pr = { .pid = 7, .comm = "a b\"c*/d" };
	struct cta_process *p = cta_process_from_event(&pr);
	char name[16];

	CHECK_STR(cta_process_program(p, name, sizeof(name)), "a_b_c__d");
	CHECK_STR(cta_process_program(NULL, name, sizeof(name)), "");
	cta_process_unref(p);
	/* a name that is not UTF-8: the process stays, without its names */
	memcpy(pr.comm, "\xff\xfe", 3);
	p = cta_process_from_event(&pr);
	CHECK(p && p->pid == 7 && !strcmp(p->comm, "?") && !p->exe);
	cta_process_unref(p);
}

/* A session with processes: both readers agree, it writes back the same, merges keep it. */
static void test_session(void)
{
	static const char text[] =
		"{\"format\":\"conntrack-advise-session\",\"version\":1,\"generator\":\"t\","
		"\"host\":{\"hostname\":\"h\",\"interfaces\":[]},"
		"\"recording\":{\"start\":null,\"end\":null,\"complete\":true,"
		"\"options\":{\"processes\":true}},"
		"\"stats\":{\"processes\":{\"events\":5,\"lost\":1,\"sockets\":3}},\"flows\":[\n"
		"{\"family\":\"ipv4\",\"protocol\":\"tcp\",\"direction\":\"out\","
		"\"orig\":{\"src\":\"192.0.2.10\",\"dst\":\"203.0.113.80\",\"sport_min\":40000,"
		"\"sport_max\":40000,\"dport\":443},\"connections\":1,\"packets\":{\"orig\":1,"
		"\"reply\":1},\"bytes\":{\"orig\":60,\"reply\":60},\"state\":\"assured\","
		"\"first_seen\":\"2026-11-23T10:00:00.000Z\","
		"\"process\":{\"pid\":4242,\"comm\":\"curl\",\"uid\":1000,\"user\":\"alice\"}},\n"
		"{\"family\":\"ipv4\",\"protocol\":\"tcp\",\"direction\":\"out\","
		"\"orig\":{\"src\":\"192.0.2.10\",\"dst\":\"203.0.113.25\",\"sport_min\":40000,"
		"\"sport_max\":40000,\"dport\":25},\"connections\":1,\"packets\":{\"orig\":1,"
		"\"reply\":1},\"bytes\":{\"orig\":60,\"reply\":60},\"state\":\"assured\","
		"\"process\":{\"uid\":108,\"gid\":114}}\n]}\n";
	static const char bad[] =
		"{\"format\":\"conntrack-advise-session\",\"version\":1,\"generator\":\"t\","
		"\"host\":{\"hostname\":\"h\",\"interfaces\":[]},"
		"\"recording\":{\"start\":null,\"end\":null},\"flows\":[\n"
		"{\"family\":\"ipv4\",\"protocol\":\"tcp\",\"direction\":\"out\","
		"\"orig\":{\"src\":\"192.0.2.10\",\"dst\":\"203.0.113.80\",\"sport_min\":1,"
		"\"sport_max\":1,\"dport\":443},\"connections\":1,\"packets\":{\"orig\":1,"
		"\"reply\":1},\"bytes\":{\"orig\":60,\"reply\":60},\"state\":\"assured\","
		"\"process\":{\"pid\":\"x\"}}\n]}\n";
	struct cta_session s, t, back, two[2], m;
	struct cta_err err, terr;
	char *out = NULL;
	size_t len;

	CHECK_EQ(cta_session_parse("p.json", text, sizeof(text) - 1, &s, &err), 0);
	CHECK_EQ(cta_session_parse_tree("p.json", text, sizeof(text) - 1, &t, &err), 0);
	CHECK_EQ(s.n_flows, 2);
	CHECK_EQ(s.options.processes, 1);
	CHECK_EQ(s.stats.process_events, 5);
	CHECK_EQ(s.stats.process_lost, 1);
	CHECK_EQ(s.stats.process_sockets, 3);
	for (size_t i = 0; i < s.n_flows && i < t.n_flows; i++)
		CHECK(cta_process_equal(cta_session_process(&s, &s.flows[i]),
					cta_session_process(&t, &t.flows[i])));
	/* flows stay in the file's order */
	CHECK_STR(comm_of(cta_session_process(&s, &s.flows[0])), "curl");
	CHECK_EQ(cta_session_process(&s, &s.flows[1])->uid, 108);
	CHECK_EQ(cta_session_format(&s, &out, &len), 0);
	CHECK(out && strstr(out, "\"process\": {") == NULL); /* flows are compact */
	CHECK(out && strstr(out, "\"process\":{\"pid\":4242,\"comm\":\"curl\""));
	CHECK_EQ(cta_session_parse("back.json", out, len, &back, &err), 0);
	CHECK_EQ(back.n_processes, 2);
	CHECK(cta_process_equal(cta_session_process(&back, &back.flows[0]),
				cta_session_process(&s, &s.flows[0])));
	free(out);

	/* merged with a copy whose process is later: the earliest flow's stays (merged, the
	 * flows are sorted: 203.0.113.80 is the second) */
	two[0] = s;
	two[1] = back;
	((struct cta_process *)cta_session_process(&back, &back.flows[0]))->pid = 1;
	back.flows[0].first_ns += 1000000000ULL;
	CHECK_EQ(cta_session_merge(two, 2, &m), 0);
	CHECK_EQ(m.n_flows, 2);
	CHECK_EQ(cta_session_process(&m, &m.flows[1])->pid, 4242);
	cta_session_fini(&m);
	two[0] = back;
	two[1] = s;
	CHECK_EQ(cta_session_merge(two, 2, &m), 0);
	CHECK_EQ(cta_session_process(&m, &m.flows[1])->pid, 4242);
	cta_session_fini(&m);

	/* a wrong type is named, the same by both readers */
	CHECK_EQ(cta_session_parse("bad.json", bad, sizeof(bad) - 1, &m, &err), -EBADMSG);
	CHECK_EQ(cta_session_parse_tree("bad.json", bad, sizeof(bad) - 1, &m, &terr), -EBADMSG);
	CHECK(strstr(err.msg, "flows[0].process.pid") != NULL);
	CHECK_STR(err.msg, terr.msg);
	cta_session_fini(&s);
	cta_session_fini(&t);
	cta_session_fini(&back);
}

int main(void)
{
	test_lookup();
	test_program_name();
	test_session();
	return check_report("procs");
}
