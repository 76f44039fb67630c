// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Denied attempts: an attempt never confirmed within the wait is denied, once; its
 * retransmits (the same tuple, later) are packets of that attempt, not new attempts;
 * another source port is another attempt. A packet whose connection had seen its
 * reply (a SYN sent again) does not change what decided the flow.
 */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/host.h"
#include "advisor/record/judge.h"
#include "nft/nflog.h"

#define S 1000000000ULL

static struct cta_nflog_packet syn(uint16_t sport)
{
	struct cta_nflog_packet p = { .family = AF_INET, .l4proto = IPPROTO_TCP };

	inet_pton(AF_INET, "198.51.100.7", p.tuple.src.b);
	inet_pton(AF_INET, "192.0.2.10", p.tuple.dst.b);
	p.tuple.sport = sport;
	p.tuple.dport = 23;
	return p;
}

/* cta_judge_use_mcast's answer in the test: 224.0.0.1 everywhere, 224.0.0.251 on 3 */
static bool held(uint8_t family, const union cta_addr *group, uint32_t ifindex, uint64_t now_mono,
		 void *data)
{
	int *asked = data;

	(void)now_mono;
	++*asked;
	if (family != AF_INET || group->b[0] != 224 || group->b[1] || group->b[2])
		return false;
	return group->b[3] == 1 || (group->b[3] == 251 && (ifindex == 3 || !ifindex));
}

/* one mDNS attempt from src in on iif (0: sent here), judged by time: denied or not */
static void mdns(struct cta_judge *j, const char *src, const char *dst, uint32_t iif, uint64_t at)
{
	struct cta_nflog_packet p = { .family = AF_INET, .l4proto = IPPROTO_UDP, .indev = iif };

	inet_pton(AF_INET, src, p.tuple.src.b);
	inet_pton(AF_INET, dst, p.tuple.dst.b);
	p.tuple.sport = p.tuple.dport = 5353;
	CHECK_EQ(cta_judge_nflog(j, &p, at, 100), 0);
	CHECK_EQ(cta_judge_expire(j, at + 3 * S, 2 * S), 0);
}

/*
 * A first packet that came in to a multicast group nobody holds on its interface never
 * reaches input: the stack discards it, no rule. Seen by NFLOG and denied by time, it
 * is no denial and no flow (stats undelivered); one to a group held there, or one a
 * local socket sent (a sender need not join; an output rule dropped it), is.
 */
static void multicast(void)
{
	struct cta_host host = { 0 };
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_judge *j = cta_judge_new(ft, &host);
	int asked = 0;

	inet_pton(AF_INET, "198.51.100.1", a.addr.b);
	cta_host_add_addr(&host, "eth0", 2, &a);
	cta_judge_use_mcast(j, held, &asked);
	mdns(j, "198.51.100.7", "224.0.0.251", 2, 0);
	CHECK_EQ(cta_flowtab_count(ft), 0);
	CHECK_EQ(cta_judge_stats(j)->denied, 0);
	CHECK_EQ(cta_judge_stats(j)->undelivered, 1);
	CHECK(asked > 0);
	/* held on the interface it came in on (3): denied as before */
	mdns(j, "198.51.100.8", "224.0.0.251", 3, 10 * S);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	CHECK_EQ(cta_judge_stats(j)->denied, 1);
	/* to 224.0.0.1, held everywhere: denied */
	mdns(j, "198.51.100.7", "224.0.0.1", 2, 20 * S);
	CHECK_EQ(cta_judge_stats(j)->denied, 2);
	/* sent here (no input interface, the host's own source): denied, never asked */
	asked = 0;
	mdns(j, "198.51.100.1", "224.0.0.251", 0, 30 * S);
	CHECK_EQ(asked, 0);
	CHECK_EQ(cta_judge_stats(j)->denied, 3);
	/* a unicast destination is never asked about */
	mdns(j, "198.51.100.7", "192.0.2.10", 2, 40 * S);
	CHECK_EQ(asked, 0);
	CHECK_EQ(cta_judge_stats(j)->denied, 4);
	CHECK_EQ(cta_judge_stats(j)->undelivered, 1);
	/* an undelivered one's retransmits (the same tuple, later): no flow either */
	{
		struct cta_nflog_packet p = { .family = AF_INET,
					      .l4proto = IPPROTO_UDP,
					      .indev = 2 };
		size_t flows = cta_flowtab_count(ft);

		inet_pton(AF_INET, "198.51.100.9", p.tuple.src.b);
		inet_pton(AF_INET, "224.0.0.251", p.tuple.dst.b);
		p.tuple.sport = p.tuple.dport = 5353;
		CHECK_EQ(cta_judge_nflog(j, &p, 50 * S, 100), 0);
		CHECK_EQ(cta_judge_expire(j, 53 * S, 2 * S), 0);
		CHECK_EQ(cta_judge_nflog(j, &p, 54 * S, 100), 0);
		CHECK_EQ(cta_judge_nflog(j, &p, 55 * S, 100), 0);
		CHECK_EQ(cta_judge_expire(j, 70 * S, 0), 0);
		CHECK_EQ(cta_flowtab_count(ft), flows);
		CHECK_EQ(cta_judge_stats(j)->undelivered, 4);
		CHECK_EQ(cta_judge_stats(j)->denied, 4);
	}
	cta_judge_free(j);
	cta_flowtab_free(ft);
	cta_host_fini(&host);
}

int main(void)
{
	struct cta_host host = { 0 };
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_judge *j = cta_judge_new(ft, &host);
	struct cta_nflog_packet p = syn(40000);
	const struct cta_flow *f;

	inet_pton(AF_INET, "192.0.2.10", a.addr.b);
	cta_host_add_addr(&host, "eth0", 2, &a);
	cta_host_add_addr(&host, "wg0", 5, NULL);
	p.indev = 5; /* NFLOG's NFULA_IFINDEX_INDEV: the flow's iif, by the host's name */
	/* SYNs at 0 s and 1 s: one attempt, denied once the 2 s wait is over */
	CHECK_EQ(cta_judge_nflog(j, &p, 0, 100), 0);
	CHECK_EQ(cta_judge_nflog(j, &p, 1 * S, 100), 0);
	CHECK_EQ(cta_judge_expire(j, 1 * S + S / 2, 2 * S), 0);
	CHECK_EQ(cta_flowtab_count(ft), 0);
	CHECK_EQ(cta_judge_expire(j, 2 * S + S / 10, 2 * S), 0);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	f = &cta_flowtab_flows(ft)[0];
	CHECK_EQ(f->connections, 1);
	CHECK_EQ(f->packets[0], 2);
	CHECK_EQ(cta_judge_stats(j)->denied, 1);
	CHECK_STR(f->iif, "wg0");
	CHECK_STR(f->oif, "");

	/* retransmits at 2 s and 3 s (linear SYN timeouts): the same attempt */
	CHECK_EQ(cta_judge_nflog(j, &p, 2 * S + S / 5, 100), 0);
	CHECK_EQ(cta_judge_nflog(j, &p, 3 * S, 100), 0);
	CHECK_EQ(cta_judge_expire(j, 5 * S, 2 * S), 0);
	f = &cta_flowtab_flows(ft)[0];
	CHECK_EQ(f->connections, 1);
	CHECK_EQ(cta_judge_stats(j)->denied, 1);

	/* another source port is another attempt */
	p = syn(40001);
	CHECK_EQ(cta_judge_nflog(j, &p, 5 * S, 100), 0);
	/* the end: every wait decided, the retransmits credited as packets */
	CHECK_EQ(cta_judge_expire(j, 6 * S, 0), 0);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	f = &cta_flowtab_flows(ft)[0];
	CHECK_EQ(f->connections, 2);
	CHECK_EQ(f->packets[0], 5);
	CHECK_EQ(f->sport_min, 40000);
	CHECK_EQ(f->sport_max, 40001);
	CHECK_EQ(cta_judge_stats(j)->denied, 2);
	CHECK_EQ(cta_judge_stats(j)->retransmits, 2);

	/* a retransmit that conntrack lets in after all (the firewall changed) */
	p = syn(40002);
	CHECK_EQ(cta_judge_nflog(j, &p, 10 * S, 100), 0);
	CHECK_EQ(cta_judge_expire(j, 12 * S + 1, 2 * S), 0);
	CHECK_EQ(cta_judge_nflog(j, &p, 13 * S, 100), 0);
	{
		struct cta_event ev = { .type = CTA_EV_CT_NEW,
					.family = AF_INET,
					.l4proto = IPPROTO_TCP,
					.id = 9,
					.flags = CTA_EVF_ID,
					.orig = p.tuple,
					.seen_ns = 200 };

		ev.reply.src = p.tuple.dst;
		ev.reply.dst = p.tuple.src;
		ev.reply.sport = p.tuple.dport;
		ev.reply.dport = p.tuple.sport;
		CHECK_EQ(cta_flowtab_apply(ft, &ev, &host), 0);
		CHECK_EQ(cta_judge_conntrack(j, &ev), 0);
	}
	f = &cta_flowtab_flows(ft)[0];
	CHECK_EQ(f->connections, 4); /* the denied attempt, and the connection let in */
	CHECK_EQ(cta_judge_stats(j)->denied, 3);
	CHECK_EQ(cta_judge_expire(j, 30 * S, 0), 0);
	CHECK_EQ(cta_judge_stats(j)->denied, 3);

	/* a SYN again after the reply was seen: not the first packet, its verdict stays */
	{
		struct cta_judgement jd = { .family = AF_INET,
					    .l4proto = IPPROTO_TCP,
					    .tuple = p.tuple,
					    .has_ct = true,
					    .ct_id = 9,
					    .ct_state = NF_CT_STATE_BIT(IP_CT_NEW),
					    .verdict = CTA_VERDICT_ACCEPT };

		struct cta_verdict *first = cta_verdict_new(), *again = cta_verdict_new();
		const struct cta_vtally *t;

		first->verdict = again->verdict = CTA_VERDICT_ACCEPT;
		first->type = again->type = CTA_VTYPE_RULE;
		first->has_handle = again->has_handle = true;
		first->handle = 7;
		again->handle = 2; /* ct state established,related accept */
		CHECK_EQ(cta_judge_trace(j, &jd, first, 31 * S, 1), 0);
		jd.ct_state = NF_CT_STATE_BIT(IP_CT_ESTABLISHED);
		CHECK_EQ(cta_judge_trace(j, &jd, again, 32 * S, 1), 0);
		CHECK_EQ(cta_judge_stats(j)->established, 1);
		f = &cta_flowtab_flows(ft)[0];
		t = cta_flowtab_verdicts_of(ft, f);
		for (uint32_t i = 0; t && i < t->n; i++)
			CHECK(t->g[i].v->handle != 2);
	}

	/*
	 * synproxy: the client's SYN (untracked, answered by the synproxy rule) waits; the
	 * kernel's own SYN to the server, same tuple, is not the flow's first packet, and
	 * the connection it opens gets the client's verdict
	 */
	{
		struct cta_nflog_packet q = syn(40100);
		struct cta_judgement jd = { .family = AF_INET,
					    .l4proto = IPPROTO_TCP,
					    .tuple = q.tuple,
					    .verdict = CTA_VERDICT_ACCEPT };
		struct cta_verdict *client = cta_verdict_new(), *lo = cta_verdict_new();
		struct cta_event ev = { .type = CTA_EV_CT_NEW,
					.family = AF_INET,
					.l4proto = IPPROTO_TCP,
					.id = 10,
					.flags = CTA_EVF_ID,
					.orig = q.tuple,
					.seen_ns = 300 };
		const struct cta_vtally *t;
		int64_t pos;

		client->verdict = lo->verdict = CTA_VERDICT_ACCEPT;
		client->type = lo->type = CTA_VTYPE_RULE;
		client->has_handle = lo->has_handle = true;
		client->handle = 5; /* ... synproxy ... */
		lo->handle = 4; /* iif "lo" accept */
		CHECK_EQ(cta_judge_trace(j, &jd, client, 40 * S, 1), 0);
		jd.by_kernel = jd.has_ct = true;
		jd.ct_id = 10;
		jd.ct_state = NF_CT_STATE_BIT(IP_CT_NEW);
		CHECK_EQ(cta_judge_trace(j, &jd, lo, 40 * S + 1, 1), 0);
		CHECK_EQ(cta_judge_stats(j)->by_kernel, 1);
		ev.reply.src = q.tuple.dst;
		ev.reply.dst = q.tuple.src;
		ev.reply.sport = q.tuple.dport;
		ev.reply.dport = q.tuple.sport;
		CHECK_EQ(cta_flowtab_apply(ft, &ev, &host), 0);
		CHECK_EQ(cta_judge_conntrack(j, &ev), 0);
		pos = cta_flowtab_conn_flow(ft, 10);
		CHECK(pos >= 0);
		t = pos >= 0 ? cta_flowtab_verdicts_of(ft, &cta_flowtab_flows(ft)[pos]) : NULL;
		CHECK(t && t->n >= 1);
		for (uint32_t i = 0; t && i < t->n; i++)
			CHECK(t->g[i].v->handle != 4);
	}

	/*
	 * TPROXY: a connection to an address the host does not hold (forward, by the
	 * addresses) whose first packet reached input is inbound; one whose path shows
	 * no hook keeps what the addresses say
	 */
	for (int hooked = 1; hooked >= 0; hooked--) {
		struct cta_nflog_packet q = syn(hooked ? 40200 : 40201);
		struct cta_judgement jd = { .family = AF_INET, .l4proto = IPPROTO_TCP };
		struct cta_verdict *v = cta_verdict_new();
		struct cta_event ev = { .type = CTA_EV_CT_NEW,
					.family = AF_INET,
					.l4proto = IPPROTO_TCP,
					.id = hooked ? 20 : 21,
					.flags = CTA_EVF_ID,
					.seen_ns = 400 };
		int64_t pos;

		inet_pton(AF_INET, hooked ? "192.0.2.2" : "192.0.2.3", q.tuple.dst.b);
		q.tuple.dport = 80;
		jd.tuple = ev.orig = q.tuple;
		ev.reply.src = q.tuple.dst;
		ev.reply.dst = q.tuple.src;
		ev.reply.sport = q.tuple.dport;
		ev.reply.dport = q.tuple.sport;
		v->verdict = CTA_VERDICT_ACCEPT;
		v->path = calloc(1, sizeof(*v->path));
		if (v->path && hooked) {
			v->n_path = 1;
			v->path[0].hook = strdup("input");
		}
		CHECK_EQ(cta_judge_trace(j, &jd, v, 50 * S, 1), 0);
		CHECK_EQ(cta_flowtab_apply(ft, &ev, &host), 0);
		CHECK_EQ(cta_judge_conntrack(j, &ev), 0);
		pos = cta_flowtab_conn_flow(ft, ev.id);
		CHECK(pos >= 0);
		if (pos >= 0)
			CHECK_EQ(cta_flowtab_flows(ft)[pos].direction,
				 hooked ? CTA_DIR_IN : CTA_DIR_FORWARD);
	}

	/*
	 * Conntrack ids are 32-bit hashes: a dropped packet's entry can have the id of an
	 * open connection of another flow. Its trace is not that connection's (its drop
	 * went on an accepted flow, seen under load on a fail2ban host): the tuple decides.
	 */
	{
		struct cta_nflog_packet open = syn(40300), other = syn(40301);
		struct cta_event ev = { .type = CTA_EV_CT_NEW,
					.family = AF_INET,
					.l4proto = IPPROTO_TCP,
					.id = 30,
					.flags = CTA_EVF_ID,
					.seen_ns = 500 };
		struct cta_judgement jd = { .family = AF_INET,
					    .l4proto = IPPROTO_TCP,
					    .has_ct = true,
					    .ct_id = 30,
					    .ct_state = NF_CT_STATE_BIT(IP_CT_NEW) };
		struct cta_verdict *v = cta_verdict_new();
		int64_t pos;

		open.tuple.dport = 8443;
		other.tuple.dport = 8444;
		ev.orig = open.tuple;
		ev.reply.src = open.tuple.dst;
		ev.reply.dst = open.tuple.src;
		ev.reply.sport = open.tuple.dport;
		ev.reply.dport = open.tuple.sport;
		CHECK_EQ(cta_flowtab_apply(ft, &ev, &host), 0);
		pos = cta_flowtab_conn_flow(ft, 30);
		CHECK(pos >= 0);
		CHECK_EQ(cta_flowtab_conn_flow_of(ft, 30, AF_INET, IPPROTO_TCP, &open.tuple), pos);
		CHECK_EQ(cta_flowtab_conn_flow_of(ft, 30, AF_INET, IPPROTO_TCP, &other.tuple), -1);
		CHECK_EQ(cta_flowtab_conn_flow_of(ft, 31, AF_INET, IPPROTO_TCP, &open.tuple), -1);
		jd.tuple = other.tuple;
		v->verdict = CTA_VERDICT_DROP;
		CHECK_EQ(cta_judge_trace(j, &jd, v, 60 * S, 1), 0);
		if (pos >= 0) {
			const struct cta_vtally *t =
				cta_flowtab_verdicts_of(ft, &cta_flowtab_flows(ft)[pos]);

			for (uint32_t i = 0; t && i < t->n; i++)
				CHECK(!cta_verdict_denies(t->g[i].v));
		}
	}

	cta_judge_free(j);
	cta_flowtab_free(ft);
	cta_host_fini(&host);
	multicast();
	return check_report("judge");
}
