// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctnetlink message -> struct cta_event, by hand on libmnl: the event hot path (see
 * docs/design.md, "Conntrack messages"). Every attribute is type- and length-checked
 * before use; unknown attributes are skipped. No allocation, so it is safe on the
 * event hot path and under a fuzzer. Dumps go through libnetfilter_conntrack
 * (ctmsg_nfct.c); the header checks below are shared.
 */
#include "nft/ctmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

struct tb {
	int max;
	int bad; /* a known attribute failed validation */
	const struct nlattr *a[CTA_MAX + 1]; /* last: only a[0..max] are cleared */
};

/* Minimum payload length per attribute type for each nest we read; 0 = not read. */
static const uint8_t ct_len[CTA_MAX + 1] = {
	[CTA_STATUS] = 4,
	[CTA_ID] = 4,
	[CTA_ZONE] = 2,
};
static const uint8_t help_len[CTA_HELP_MAX + 1] = {
	[CTA_HELP_NAME] = 1,
};
static const uint8_t ip_len[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = 4,
	[CTA_IP_V4_DST] = 4,
	[CTA_IP_V6_SRC] = 16,
	[CTA_IP_V6_DST] = 16,
};
static const uint8_t proto_len[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = 1,	   [CTA_PROTO_SRC_PORT] = 2,	[CTA_PROTO_DST_PORT] = 2,
	[CTA_PROTO_ICMP_ID] = 2,   [CTA_PROTO_ICMP_TYPE] = 1,	[CTA_PROTO_ICMP_CODE] = 1,
	[CTA_PROTO_ICMPV6_ID] = 2, [CTA_PROTO_ICMPV6_TYPE] = 1, [CTA_PROTO_ICMPV6_CODE] = 1,
};
static const uint8_t counters_len[CTA_COUNTERS_MAX + 1] = {
	[CTA_COUNTERS_PACKETS] = 8,
	[CTA_COUNTERS_BYTES] = 8,
};
static const uint8_t ts_len[CTA_TIMESTAMP_MAX + 1] = {
	[CTA_TIMESTAMP_START] = 8,
	[CTA_TIMESTAMP_STOP] = 8,
};
static const uint8_t tcpinfo_len[CTA_PROTOINFO_TCP_MAX + 1] = {
	[CTA_PROTOINFO_TCP_STATE] = 1,
};

/*
 * The attributes in [p, p + len), walked as mnl_attr_parse() does (up to the first
 * that does not fit), without its callback per attribute: this runs for every event.
 */
static void walk(const void *p, size_t len, struct tb *tb, const uint8_t *lens, int max)
{
	memset(tb, 0, offsetof(struct tb, a) + (size_t)(max + 1) * sizeof(tb->a[0]));
	tb->max = max;
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = p;
		size_t alen = a->nla_len, step = MNL_ALIGN(alen);
		int type = a->nla_type & NLA_TYPE_MASK;

		if (alen < sizeof(*a) || alen > len)
			break;
		if (type <= max) {
			if (lens && lens[type] && alen - MNL_ATTR_HDRLEN < lens[type])
				tb->bad = 1;
			else
				tb->a[type] = a;
		}
		if (step >= len)
			break;
		p = (const char *)p + step;
		len -= step;
	}
}

static int parse_nest(const struct nlattr *nest, struct tb *tb, const uint8_t *lens, int max)
{
	size_t len = mnl_attr_get_payload_len(nest);

	/* what mnl_attr_validate(MNL_TYPE_NESTED) asks: empty, or room for one header */
	if (len && len < MNL_ATTR_HDRLEN)
		return -EBADMSG;
	walk(mnl_attr_get_payload(nest), len, tb, lens, max);
	return tb->bad ? -EBADMSG : 0;
}

static int parse_tuple(const struct nlattr *nest, uint8_t family, struct cta_tuple *t,
		       uint8_t *l4proto)
{
	struct tb tb, ip, proto;
	int err;

	err = parse_nest(nest, &tb, NULL, CTA_TUPLE_MAX);
	if (err)
		return err;
	if (!tb.a[CTA_TUPLE_IP] || !tb.a[CTA_TUPLE_PROTO])
		return -EBADMSG;
	err = parse_nest(tb.a[CTA_TUPLE_IP], &ip, ip_len, CTA_IP_MAX);
	if (err)
		return err;
	if (family == AF_INET) {
		if (!ip.a[CTA_IP_V4_SRC] || !ip.a[CTA_IP_V4_DST])
			return -EBADMSG;
		memcpy(t->src.b, mnl_attr_get_payload(ip.a[CTA_IP_V4_SRC]), 4);
		memcpy(t->dst.b, mnl_attr_get_payload(ip.a[CTA_IP_V4_DST]), 4);
	} else {
		if (!ip.a[CTA_IP_V6_SRC] || !ip.a[CTA_IP_V6_DST])
			return -EBADMSG;
		memcpy(t->src.b, mnl_attr_get_payload(ip.a[CTA_IP_V6_SRC]), 16);
		memcpy(t->dst.b, mnl_attr_get_payload(ip.a[CTA_IP_V6_DST]), 16);
	}
	err = parse_nest(tb.a[CTA_TUPLE_PROTO], &proto, proto_len, CTA_PROTO_MAX);
	if (err)
		return err;
	if (!proto.a[CTA_PROTO_NUM])
		return -EBADMSG;
	*l4proto = mnl_attr_get_u8(proto.a[CTA_PROTO_NUM]);
	if (proto.a[CTA_PROTO_SRC_PORT])
		t->sport = ntohs(mnl_attr_get_u16(proto.a[CTA_PROTO_SRC_PORT]));
	if (proto.a[CTA_PROTO_DST_PORT])
		t->dport = ntohs(mnl_attr_get_u16(proto.a[CTA_PROTO_DST_PORT]));
	if (proto.a[CTA_PROTO_ICMP_TYPE]) {
		t->icmp_type = mnl_attr_get_u8(proto.a[CTA_PROTO_ICMP_TYPE]);
		if (proto.a[CTA_PROTO_ICMP_CODE])
			t->icmp_code = mnl_attr_get_u8(proto.a[CTA_PROTO_ICMP_CODE]);
		if (proto.a[CTA_PROTO_ICMP_ID])
			t->sport = ntohs(mnl_attr_get_u16(proto.a[CTA_PROTO_ICMP_ID]));
	}
	if (proto.a[CTA_PROTO_ICMPV6_TYPE]) {
		t->icmp_type = mnl_attr_get_u8(proto.a[CTA_PROTO_ICMPV6_TYPE]);
		if (proto.a[CTA_PROTO_ICMPV6_CODE])
			t->icmp_code = mnl_attr_get_u8(proto.a[CTA_PROTO_ICMPV6_CODE]);
		if (proto.a[CTA_PROTO_ICMPV6_ID])
			t->sport = ntohs(mnl_attr_get_u16(proto.a[CTA_PROTO_ICMPV6_ID]));
	}
	return 0;
}

static int parse_counters(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes)
{
	struct tb tb;
	int err = parse_nest(nest, &tb, counters_len, CTA_COUNTERS_MAX);

	if (err)
		return err;
	if (!tb.a[CTA_COUNTERS_PACKETS] || !tb.a[CTA_COUNTERS_BYTES])
		return -EBADMSG;
	*packets = be64toh(mnl_attr_get_u64(tb.a[CTA_COUNTERS_PACKETS]));
	*bytes = be64toh(mnl_attr_get_u64(tb.a[CTA_COUNTERS_BYTES]));
	return 0;
}

static int parse_optional(const struct tb *tb, struct cta_event *ev)
{
	struct tb nest, tcp;
	int err;

	if (tb->a[CTA_COUNTERS_ORIG] && tb->a[CTA_COUNTERS_REPLY]) {
		err = parse_counters(tb->a[CTA_COUNTERS_ORIG], &ev->packets[0], &ev->bytes[0]);
		if (!err)
			err = parse_counters(tb->a[CTA_COUNTERS_REPLY], &ev->packets[1],
					     &ev->bytes[1]);
		if (err)
			return err;
		ev->flags |= CTA_EVF_COUNTERS;
	}
	if (tb->a[CTA_TIMESTAMP]) {
		err = parse_nest(tb->a[CTA_TIMESTAMP], &nest, ts_len, CTA_TIMESTAMP_MAX);
		if (err)
			return err;
		if (nest.a[CTA_TIMESTAMP_START]) {
			ev->tstart_ns = be64toh(mnl_attr_get_u64(nest.a[CTA_TIMESTAMP_START]));
			ev->flags |= CTA_EVF_TSTART;
		}
		if (nest.a[CTA_TIMESTAMP_STOP]) {
			ev->tstop_ns = be64toh(mnl_attr_get_u64(nest.a[CTA_TIMESTAMP_STOP]));
			ev->flags |= CTA_EVF_TSTOP;
		}
	}
	if (tb->a[CTA_HELP]) {
		err = parse_nest(tb->a[CTA_HELP], &nest, help_len, CTA_HELP_MAX);
		if (err)
			return err;
		if (nest.a[CTA_HELP_NAME]) {
			const char *name = mnl_attr_get_payload(nest.a[CTA_HELP_NAME]);
			size_t n = strnlen(name, mnl_attr_get_payload_len(nest.a[CTA_HELP_NAME]));

			if (n >= sizeof(ev->helper))
				return -EBADMSG;
			memcpy(ev->helper, name, n);
			ev->flags |= CTA_EVF_HELPER;
		}
	}
	if (tb->a[CTA_TUPLE_MASTER]) {
		err = parse_tuple(tb->a[CTA_TUPLE_MASTER], ev->family, &ev->master,
				  &ev->master_l4proto);
		if (err)
			return err;
		ev->flags |= CTA_EVF_MASTER;
	}
	if (tb->a[CTA_PROTOINFO]) {
		err = parse_nest(tb->a[CTA_PROTOINFO], &nest, NULL, CTA_PROTOINFO_MAX);
		if (err)
			return err;
		if (nest.a[CTA_PROTOINFO_TCP]) {
			err = parse_nest(nest.a[CTA_PROTOINFO_TCP], &tcp, tcpinfo_len,
					 CTA_PROTOINFO_TCP_MAX);
			if (err)
				return err;
			if (tcp.a[CTA_PROTOINFO_TCP_STATE]) {
				ev->tcp_state = mnl_attr_get_u8(tcp.a[CTA_PROTOINFO_TCP_STATE]);
				ev->flags |= CTA_EVF_TCPSTATE;
			}
		}
	}
	return 0;
}

void cta_ctmsg_mirror(struct cta_event *ev)
{
	ev->reply.src = ev->orig.dst;
	ev->reply.dst = ev->orig.src;
	ev->reply.sport = ev->orig.dport;
	ev->reply.dport = ev->orig.sport;
	ev->reply.icmp_type = ev->orig.icmp_type;
	ev->reply.icmp_code = ev->orig.icmp_code;
}

int cta_ctmsg_head(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev)
{
	const struct nfgenmsg *nfg;

	memset(ev, 0, sizeof(*ev));
	if (!cta_nlmsg_len_ok(nlh) || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -EBADMSG;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return -EPROTO;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case IPCTNL_MSG_CT_NEW:
		if (dump)
			ev->type = CTA_EV_CT_DUMP;
		else if (nlh->nlmsg_flags & NLM_F_CREATE)
			ev->type = CTA_EV_CT_NEW;
		else
			ev->type = CTA_EV_CT_UPDATE;
		break;
	case IPCTNL_MSG_CT_DELETE:
		ev->type = CTA_EV_CT_DESTROY;
		break;
	default:
		return -EPROTO;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -EAFNOSUPPORT;
	ev->family = nfg->nfgen_family;
	return 0;
}

int cta_ctmsg_parse(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct tb tb;
	uint8_t l4_reply = 0;
	int err = cta_ctmsg_head(nlh, dump, ev);

	if (err)
		return err;
	walk((const char *)nfg + MNL_ALIGN(sizeof(*nfg)),
	     nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(*nfg)), &tb, ct_len, CTA_MAX);
	if (tb.bad)
		return -EBADMSG;
	if (!tb.a[CTA_TUPLE_ORIG])
		return -EBADMSG;
	err = parse_tuple(tb.a[CTA_TUPLE_ORIG], ev->family, &ev->orig, &ev->l4proto);
	if (err)
		return err;
	if (tb.a[CTA_TUPLE_REPLY]) {
		err = parse_tuple(tb.a[CTA_TUPLE_REPLY], ev->family, &ev->reply, &l4_reply);
		if (err)
			return err;
		if (l4_reply != ev->l4proto)
			return -EBADMSG;
	} else {
		cta_ctmsg_mirror(ev);
	}
	if (tb.a[CTA_ID]) {
		ev->id = ntohl(mnl_attr_get_u32(tb.a[CTA_ID]));
		ev->flags |= CTA_EVF_ID;
	}
	if (tb.a[CTA_STATUS]) {
		ev->status = ntohl(mnl_attr_get_u32(tb.a[CTA_STATUS]));
		ev->flags |= CTA_EVF_STATUS;
	}
	if (tb.a[CTA_ZONE])
		ev->zone = ntohs(mnl_attr_get_u16(tb.a[CTA_ZONE]));
	return parse_optional(&tb, ev);
}
