// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Trace events recorded from this kernel (tests/data/trace, captured with nlcapture
 * group 9) in a lab with this ruleset on 192.0.2.10:
 *
 *   table inet tr { chain pre { type filter hook prerouting priority -350;
 *       tcp flags syn / syn,ack meta nftrace set 1 # handle 2 } }
 *   table inet fw {
 *     chain input { type filter hook input priority filter; policy drop;
 *       ct state established,related accept # handle 3
 *       iif "lo" accept # handle 4
 *       jump svc # handle 5 }
 *     chain svc { tcp dport 22 accept # handle 6
 *       tcp dport 80 reject # handle 7 } }
 *
 * and SYNs from 198.51.100.7 to ports 22 (000-004), 80 (005-014, one retransmit)
 * and 443 (015-028, one retransmit).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "nft/ctmsg.h"
#include "nft/tracemsg.h"

static char buf[8192];

static const struct nlmsghdr *load(const char *name)
{
	const char *src = getenv("SRCDIR");
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/data/trace/%s", src ? src : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return cta_nlmsg_ok((const void *)buf, (int)n) ? (const void *)buf : NULL;
}

static struct cta_trace_event ev;

static void parse(const char *name)
{
	const struct nlmsghdr *nlh = load(name);

	CHECK(nlh != NULL);
	if (nlh)
		CHECK_EQ(cta_tracemsg_parse(nlh, &ev), 0);
}

static void test_recorded(void)
{
	union cta_addr a = { 0 };

	/* our own marking rule: the first event, with the packet's headers */
	parse("000.nl");
	CHECK_EQ(ev.type, NFT_TRACETYPE_RULE);
	CHECK_EQ(ev.table_family, NFPROTO_INET);
	CHECK_EQ(ev.nfproto, NFPROTO_IPV4);
	CHECK_STR(ev.table, "tr");
	CHECK_STR(ev.chain, "pre");
	CHECK(ev.flags & CTA_TRF_HANDLE);
	CHECK_EQ(ev.handle, 2);
	CHECK_EQ(ev.verdict, NFT_CONTINUE);
	CHECK(ev.flags & CTA_TRF_HEADERS);
	CHECK(ev.flags & CTA_TRF_IIF);
	CHECK(!(ev.flags & CTA_TRF_CT)); /* before conntrack: no entry yet */
	CHECK_EQ(ev.family, AF_INET);
	CHECK_EQ(ev.l4proto, IPPROTO_TCP);
	CHECK_EQ(ev.tuple.dport, 22);
	CHECK(ev.flags & CTA_TRF_ISN); /* a SYN: its sequence number */
	inet_pton(AF_INET, "198.51.100.7", a.b);
	CHECK(!memcmp(&ev.tuple.src, &a, sizeof(a)));
	/* the end of a chain: a rule event without a handle */
	parse("001.nl");
	CHECK(!(ev.flags & CTA_TRF_HANDLE));
	CHECK_EQ(ev.verdict, NFT_CONTINUE);
	/* the base chain's policy */
	parse("002.nl");
	CHECK_EQ(ev.type, NFT_TRACETYPE_POLICY);
	CHECK(ev.flags & CTA_TRF_POLICY);
	CHECK_EQ(ev.policy, NF_ACCEPT);
	/* after conntrack: attributes 18, 19, 21; a jump names its target */
	parse("003.nl");
	CHECK_STR(ev.chain, "input");
	CHECK_EQ(ev.handle, 5);
	CHECK_EQ(ev.verdict, NFT_JUMP);
	CHECK_STR(ev.jump_target, "svc");
	CHECK(ev.flags & CTA_TRF_CT);
	CHECK_EQ(ev.ct_id, 1071615025u);
	CHECK_EQ(ev.ct_dir, 0);
	CHECK_EQ(ev.ct_state, 8); /* NF_CT_STATE_BIT(IP_CT_NEW) */
	parse("004.nl");
	CHECK_STR(ev.chain, "svc");
	CHECK_EQ(ev.handle, 6);
	CHECK_EQ(ev.verdict, NF_ACCEPT);
	/* reject is a drop to the trace: the rule text tells them apart */
	parse("009.nl");
	CHECK_EQ(ev.handle, 7);
	CHECK_EQ(ev.verdict, NF_DROP);
	CHECK_EQ(ev.tuple.dport, 0); /* no headers on events after a chain's first */
	/* 443: svc ends, input ends, the policy drops */
	parse("019.nl");
	CHECK_STR(ev.chain, "svc");
	CHECK(!(ev.flags & CTA_TRF_HANDLE));
	parse("021.nl");
	CHECK_EQ(ev.type, NFT_TRACETYPE_POLICY);
	CHECK_EQ(ev.policy, NF_DROP);
	CHECK_STR(ev.chain, "input");
}

static void test_truncations(void)
{
	char name[16];

	for (int i = 0; i < 29; i++) {
		const struct nlmsghdr *nlh;
		struct cta_trace_event e;

		snprintf(name, sizeof(name), "%03d.nl", i);
		nlh = load(name);
		CHECK(nlh != NULL);
		if (!nlh)
			continue;
		CHECK_EQ(cta_tracemsg_parse(nlh, &e), 0);
		for (uint32_t cut = sizeof(*nlh); cut < nlh->nlmsg_len; cut++) {
			struct nlmsghdr *c = malloc(cut);

			memcpy(c, nlh, cut);
			c->nlmsg_len = cut;
			(void)cta_tracemsg_parse(c, &e);
			free(c);
		}
	}
}

static struct nlmsghdr *build(char *b, bool with_id, const char *table, size_t table_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	if (with_id)
		mnl_attr_put_u32(nlh, NFTA_TRACE_ID, htonl(7));
	mnl_attr_put_u32(nlh, NFTA_TRACE_TYPE, htonl(NFT_TRACETYPE_RULE));
	mnl_attr_put(nlh, NFTA_TRACE_TABLE, table_len, table);
	mnl_attr_put_strz(nlh, NFTA_TRACE_CHAIN, "input");
	return nlh;
}

static void test_malformed(void)
{
	char b[1024];
	struct nlmsghdr *nlh;

	CHECK_EQ(cta_tracemsg_parse(build(b, true, "fw", 3), &ev), 0);
	CHECK_EQ(cta_tracemsg_parse(build(b, false, "fw", 3), &ev), -EBADMSG);
	CHECK_EQ(cta_tracemsg_parse(build(b, true, "fw", 2), &ev), -EBADMSG); /* no NUL */
	CHECK_EQ(cta_tracemsg_parse(build(b, true, "", 1), &ev), -EBADMSG);
	nlh = build(b, true, "fw", 3);
	mnl_attr_put_u16(nlh, NFTA_TRACE_RULE_HANDLE, 1); /* a handle is 64 bits */
	CHECK_EQ(cta_tracemsg_parse(nlh, &ev), -EBADMSG);
	nlh = build(b, true, "fw", 3);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
	CHECK_EQ(cta_tracemsg_parse(nlh, &ev), -EPROTO);
	/* a conntrack's status (attribute 20): synproxy's template says IPS_TEMPLATE */
	nlh = build(b, true, "fw", 3);
	mnl_attr_put_u32(nlh, CTA_NFTA_TRACE_CT_ID, htonl(42));
	mnl_attr_put_u32(nlh, CTA_NFTA_TRACE_CT_STATUS, htonl(0x808));
	CHECK_EQ(cta_tracemsg_parse(nlh, &ev), 0);
	CHECK(ev.flags & CTA_TRF_CT);
	CHECK_EQ(ev.ct_id, 42);
	CHECK_EQ(ev.ct_status, 0x808);
	nlh = build(b, true, "fw", 3);
	mnl_attr_put_u16(nlh, CTA_NFTA_TRACE_CT_STATUS, 8); /* a status is 32 bits */
	CHECK_EQ(cta_tracemsg_parse(nlh, &ev), -EBADMSG);
}

int main(void)
{
	test_recorded();
	test_truncations();
	test_malformed();
	return check_report("tracemsg");
}
