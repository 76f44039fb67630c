// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/tracemsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>

#include "nft/ctmsg.h"
#include "nft/pkt.h"

#define TRACE_MAX 24

struct tb {
	const struct nlattr *a[TRACE_MAX + 1];
	bool bad;
};

/* Minimum payload for the fixed-size attributes; 0 = variable. */
static const uint8_t min_len[TRACE_MAX + 1] = {
	[NFTA_TRACE_RULE_HANDLE] = 8,
	[NFTA_TRACE_TYPE] = 4,
	[NFTA_TRACE_ID] = 4,
	[NFTA_TRACE_IIF] = 4,
	[NFTA_TRACE_OIF] = 4,
	[NFTA_TRACE_NFPROTO] = 4,
	[NFTA_TRACE_POLICY] = 4,
	[CTA_NFTA_TRACE_CT_ID] = 4,
	[CTA_NFTA_TRACE_CT_DIRECTION] = 1,
	[CTA_NFTA_TRACE_CT_STATUS] = 4,
	[CTA_NFTA_TRACE_CT_STATE] = 4,
};

static int cb(const struct nlattr *attr, void *data)
{
	struct tb *tb = data;
	int type = mnl_attr_get_type(attr);

	if (type > TRACE_MAX)
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(attr) < min_len[type]) {
		tb->bad = true;
		return MNL_CB_OK;
	}
	tb->a[type] = attr;
	return MNL_CB_OK;
}

/* A string attribute into buf: NUL-terminated within its length, or refused. */
static int name(const struct nlattr *a, char *buf)
{
	const char *s = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a), n = strnlen(s, len);

	if (n == len || n >= CTA_NAME_MAX || n == 0)
		return -EBADMSG;
	memcpy(buf, s, n + 1);
	return 0;
}

static int verdict(const struct nlattr *nest, struct cta_trace_event *ev)
{
	const struct nlattr *a;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_VERDICT_CODE:
			if (mnl_attr_get_payload_len(a) < 4)
				return -EBADMSG;
			ev->verdict = (int32_t)ntohl(mnl_attr_get_u32(a));
			ev->flags |= CTA_TRF_VERDICT;
			break;
		case NFTA_VERDICT_CHAIN:
			if (name(a, ev->jump_target))
				return -EBADMSG;
			break;
		}
	}
	return ev->flags & CTA_TRF_VERDICT ? 0 : -EBADMSG;
}

static int headers(const struct tb *tb, struct cta_trace_event *ev)
{
	const struct nlattr *net = tb->a[NFTA_TRACE_NETWORK_HEADER];
	const struct nlattr *l4 = tb->a[NFTA_TRACE_TRANSPORT_HEADER];

	if (!net)
		return 0;
	if (cta_pkt_tuple(mnl_attr_get_payload(net), mnl_attr_get_payload_len(net),
			  l4 ? mnl_attr_get_payload(l4) : NULL,
			  l4 ? mnl_attr_get_payload_len(l4) : 0, &ev->family, &ev->l4proto,
			  &ev->tuple) == 0)
		ev->flags |= CTA_TRF_HEADERS;
	if ((ev->flags & CTA_TRF_HEADERS) &&
	    cta_pkt_tcp_isn(mnl_attr_get_payload(net), mnl_attr_get_payload_len(net),
			    l4 ? mnl_attr_get_payload(l4) : NULL,
			    l4 ? mnl_attr_get_payload_len(l4) : 0, &ev->isn))
		ev->flags |= CTA_TRF_ISN;
	return 0;
}

int cta_tracemsg_parse(const struct nlmsghdr *nlh, struct cta_trace_event *ev)
{
	const struct nfgenmsg *nfg;
	struct tb tb = { 0 };

	memset(ev, 0, sizeof(*ev));
	if (!cta_nlmsg_len_ok(nlh) || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -EBADMSG;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_TRACE)
		return -EPROTO;
	nfg = mnl_nlmsg_get_payload(nlh);
	ev->table_family = nfg->nfgen_family;
	if (mnl_attr_parse(nlh, sizeof(*nfg), cb, &tb) < 0 || tb.bad)
		return -EBADMSG;
	/* what every trace event has */
	if (!tb.a[NFTA_TRACE_ID] || !tb.a[NFTA_TRACE_TYPE] || !tb.a[NFTA_TRACE_TABLE] ||
	    !tb.a[NFTA_TRACE_CHAIN])
		return -EBADMSG;
	ev->id = ntohl(mnl_attr_get_u32(tb.a[NFTA_TRACE_ID]));
	ev->type = (uint8_t)ntohl(mnl_attr_get_u32(tb.a[NFTA_TRACE_TYPE]));
	if (ev->type < NFT_TRACETYPE_POLICY || ev->type > NFT_TRACETYPE_RULE)
		return -EBADMSG;
	if (name(tb.a[NFTA_TRACE_TABLE], ev->table) || name(tb.a[NFTA_TRACE_CHAIN], ev->chain))
		return -EBADMSG;
	if (tb.a[NFTA_TRACE_NFPROTO])
		ev->nfproto = (uint8_t)ntohl(mnl_attr_get_u32(tb.a[NFTA_TRACE_NFPROTO]));
	if (tb.a[NFTA_TRACE_RULE_HANDLE]) {
		ev->handle = be64toh(mnl_attr_get_u64(tb.a[NFTA_TRACE_RULE_HANDLE]));
		ev->flags |= CTA_TRF_HANDLE;
	}
	if (tb.a[NFTA_TRACE_VERDICT] && verdict(tb.a[NFTA_TRACE_VERDICT], ev))
		return -EBADMSG;
	if (tb.a[NFTA_TRACE_POLICY]) {
		ev->policy = ntohl(mnl_attr_get_u32(tb.a[NFTA_TRACE_POLICY]));
		ev->flags |= CTA_TRF_POLICY;
	}
	if (tb.a[NFTA_TRACE_IIF]) {
		ev->iif = ntohl(mnl_attr_get_u32(tb.a[NFTA_TRACE_IIF]));
		ev->flags |= CTA_TRF_IIF;
	}
	if (tb.a[NFTA_TRACE_OIF]) {
		ev->oif = ntohl(mnl_attr_get_u32(tb.a[NFTA_TRACE_OIF]));
		ev->flags |= CTA_TRF_OIF;
	}
	if (tb.a[CTA_NFTA_TRACE_CT_ID]) {
		ev->ct_id = ntohl(mnl_attr_get_u32(tb.a[CTA_NFTA_TRACE_CT_ID]));
		if (tb.a[CTA_NFTA_TRACE_CT_DIRECTION])
			ev->ct_dir = mnl_attr_get_u8(tb.a[CTA_NFTA_TRACE_CT_DIRECTION]);
		if (tb.a[CTA_NFTA_TRACE_CT_STATE])
			ev->ct_state = ntohl(mnl_attr_get_u32(tb.a[CTA_NFTA_TRACE_CT_STATE]));
		if (tb.a[CTA_NFTA_TRACE_CT_STATUS])
			ev->ct_status = ntohl(mnl_attr_get_u32(tb.a[CTA_NFTA_TRACE_CT_STATUS]));
		ev->flags |= CTA_TRF_CT;
	}
	return headers(&tb, ev);
}
