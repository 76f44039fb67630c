// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The conntrack event path allocates nothing per event: each kernel message is
 * parsed, applied to the flow table, offered to the judge and written as an event
 * line, exactly as the recorder does for every event. Allocations are counted by
 * wrapping malloc, calloc and realloc at link time (-Wl,--wrap), so every call our
 * code makes is seen. A first round may grow the tables (a handful of doublings); a
 * second round of as many connections, on the same flows, must allocate nothing.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "advisor/lib/buf.h"
#include "check.h"
#include "nft/ctmsg.h"
#include "advisor/record/events.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/host.h"
#include "advisor/record/judge.h"
#include "nft/nflog.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static bool counting;
static unsigned long allocs;

void *__wrap_malloc(size_t n)
{
	allocs += counting;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	allocs += counting;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocs += counting;
	return __real_realloc(p, n);
}

enum { CONNS = 40000, FLOWS = 1000, MSG_SIZE = 256 };

/* NEW, UPDATE or DESTROY of connection i, as ctnetlink sends it */
static void build(char *buf, int type, uint32_t id, int i)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *t, *n;
	uint32_t src = htonl(0xc6336407), dst = htonl(0xc000020a); /* 198.51.100.7 192.0.2.10 */
	uint16_t sport = htons((uint16_t)(10000 + i / FLOWS)),
		 dport = htons((uint16_t)(1000 + i % FLOWS));

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  (type == CTA_EV_CT_DESTROY ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = type == CTA_EV_CT_NEW ? NLM_F_CREATE | NLM_F_EXCL : 0;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	for (int dir = 0; dir < 2; dir++) {
		t = mnl_attr_nest_start(nlh, dir ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG);
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, dir ? dst : src);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dir ? src : dst);
		mnl_attr_nest_end(nlh, n);
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, dir ? dport : sport);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, dir ? sport : dport);
		mnl_attr_nest_end(nlh, n);
		mnl_attr_nest_end(nlh, t);
	}
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));
	if (type != CTA_EV_CT_NEW) {
		for (int dir = 0; dir < 2; dir++) {
			n = mnl_attr_nest_start(nlh, dir ? CTA_COUNTERS_REPLY : CTA_COUNTERS_ORIG);
			mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(1));
			mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(60));
			mnl_attr_nest_end(nlh, n);
		}
	}
}

struct path {
	struct cta_host host;
	struct cta_flowtab *ft;
	struct cta_judge *judge;
	struct cta_buf lines;
	unsigned long events, bad;
};

/* what the recorder does with each event (recorder.c: on_event, flush_events) */
static void one_event(struct path *p, const char *msg)
{
	struct cta_event ev;
	struct cta_flow_key k;

	if (cta_ctmsg_parse((const struct nlmsghdr *)msg, false, &ev) != 0) {
		p->bad++;
		return;
	}
	p->bad += cta_flowtab_apply(p->ft, &ev, &p->host) != 0;
	p->bad += cta_judge_conntrack(p->judge, &ev) != 0;
	cta_flow_key_from_event(&k, &ev);
	cta_events_line(&ev, "lab", cta_host_direction(&p->host, &k), &p->lines);
	if (++p->events % 64 == 0)
		p->lines.len = 0; /* written out */
}

/* every connection opens, is updated once, and ends; ids from base */
static void round_of(struct path *p, char (*msgs)[MSG_SIZE], uint32_t base)
{
	static const int types[] = { CTA_EV_CT_NEW, CTA_EV_CT_UPDATE, CTA_EV_CT_DESTROY };

	for (int t = 0; t < 3; t++) {
		counting = false;
		for (int i = 0; i < CONNS; i++)
			build(msgs[i], types[t], base + (uint32_t)i, i);
		counting = true;
		for (int i = 0; i < CONNS; i++)
			one_event(p, msgs[i]);
		counting = false;
	}
}

int main(void)
{
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };
	struct cta_nflog_packet waiting = { .family = AF_INET, .l4proto = IPPROTO_UDP };
	char(*msgs)[MSG_SIZE] = calloc(CONNS, MSG_SIZE);
	struct path p = { 0 };
	unsigned long first, second;

	inet_pton(AF_INET, "192.0.2.10", a.addr.b);
	cta_host_add_addr(&p.host, "eth0", 2, &a);
	p.ft = cta_flowtab_new();
	p.judge = cta_judge_new(p.ft, &p.host);
	CHECK(msgs && p.ft && p.judge);
	if (!msgs || !p.ft || !p.judge)
		return check_report("hotpath");
	/* one attempt waiting for its verdict: each event is looked up in the judge */
	inet_pton(AF_INET, "203.0.113.9", waiting.tuple.src.b);
	inet_pton(AF_INET, "192.0.2.10", waiting.tuple.dst.b);
	waiting.tuple.sport = 4;
	waiting.tuple.dport = 5;
	CHECK_EQ(cta_judge_nflog(p.judge, &waiting, 1, 1), 0);

	allocs = 0;
	round_of(&p, msgs, 1);
	first = allocs;
	allocs = 0;
	round_of(&p, msgs, 1 + CONNS);
	second = allocs;

	CHECK_EQ(p.bad, 0);
	CHECK_EQ(p.events, 6UL * CONNS);
	CHECK_EQ(cta_flowtab_count(p.ft), FLOWS);
	CHECK_EQ(cta_flowtab_open_connections(p.ft), 0);
	/* growth only: doublings of the flow and connection arrays, indexes, the line buffer */
	CHECK(first > 0 && first < 64);
	CHECK_EQ(second, 0);
	printf("allocations: %lu in the first %d events (growth), %lu in the next %d\n", first,
	       3 * CONNS, second, 3 * CONNS);

	cta_judge_free(p.judge);
	cta_flowtab_free(p.ft);
	cta_buf_fini(&p.lines);
	cta_host_fini(&p.host);
	free(msgs);
	return check_report("hotpath");
}
