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

	cta_judge_free(j);
	cta_flowtab_free(ft);
	cta_host_fini(&host);
	return check_report("judge");
}
