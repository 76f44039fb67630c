// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/kcount.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <string.h>

/* [generation][point][v6]; the uncounted sets have one generation */
static const char *const set_names[CTA_KCOUNT_GENS][CTA_KCOUNT_POINTS][2] = {
	{ { "entered4", "entered6" },
	  { "left4", "left6" },
	  { "uncounted4", "uncounted6" },
	  { "nat4", "nat6" },
	  { "first4", "first6" } },
	{ { "entered4_1", "entered6_1" },
	  { "left4_1", "left6_1" },
	  { NULL, NULL },
	  { "nat4_1", "nat6_1" },
	  { "first4_1", "first6_1" } },
};

const char *cta_kcount_set_name(int point, bool v6, int gen)
{
	return set_names[point == CTA_KCOUNT_UNCOUNTED ? 0 : gen][point][v6];
}

/* Which set a listing message is about: 0, or -EPROTO for none of ours. */
static int which_set(const char *name, struct cta_kcount_elem *e)
{
	for (int gen = 0; gen < CTA_KCOUNT_GENS; gen++)
		for (int point = 0; point < CTA_KCOUNT_POINTS; point++)
			for (int v6 = 0; v6 < 2; v6++)
				if (set_names[gen][point][v6] &&
				    !strcmp(name, set_names[gen][point][v6])) {
					e->point = (uint8_t)point;
					e->family = v6 ? AF_INET6 : AF_INET;
					e->gen = (uint8_t)gen;
					return 0;
				}
	return -EPROTO;
}

/* A key's value (NFTA_DATA_VALUE) of len bytes; NULL: none, or another length. */
static const uint8_t *key_value(const struct nlattr *key, size_t len)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, key) {
		if (mnl_attr_get_type(a) != NFTA_DATA_VALUE)
			continue;
		return mnl_attr_get_payload_len(a) == len ? mnl_attr_get_payload(a) : NULL;
	}
	return NULL;
}

/* The key, laid out in 4-byte slots: saddr . daddr . protocol . proto-dst. */
static int parse_key(const struct nlattr *key, struct cta_kcount_elem *e)
{
	size_t alen = e->family == AF_INET6 ? 16 : 4;
	const uint8_t *p = key_value(key, 2 * alen + 8);
	uint16_t port;

	if (!p)
		return -EBADMSG;
	memcpy(e->src.b, p, alen);
	memcpy(e->dst.b, p + alen, alen);
	e->l4proto = p[2 * alen];
	if (e->l4proto == IPPROTO_ICMP || e->l4proto == IPPROTO_ICMPV6) {
		/* the tuple's type and code */
		e->icmp_type = p[2 * alen + 4];
		e->icmp_code = p[2 * alen + 5];
	} else {
		memcpy(&port, p + 2 * alen + 4, 2);
		e->dport = ntohs(port);
	}
	return 0;
}

const char *cta_kcount_syn_set_name(bool v6, bool again)
{
	static const char *const names[2][2] = { { "syns4", "syns6" }, { "resyn4", "resyn6" } };

	return names[again][v6];
}

/* A SYN set's key: saddr . daddr . sport . dport . sequence, each in 4-byte slots. */
static int parse_syn_key(const struct nlattr *key, struct cta_kcount_syn *e)
{
	size_t alen = e->family == AF_INET6 ? 16 : 4;
	const uint8_t *p = key_value(key, 2 * alen + 12);
	uint16_t port;
	uint32_t seq;

	if (!p)
		return -EBADMSG;
	memcpy(e->src.b, p, alen);
	memcpy(e->dst.b, p + alen, alen);
	memcpy(&port, p + 2 * alen, 2);
	e->sport = ntohs(port);
	memcpy(&port, p + 2 * alen + 4, 2);
	e->dport = ntohs(port);
	memcpy(&seq, p + 2 * alen + 8, 4);
	e->isn = ntohl(seq);
	return 0;
}

/* A counter expression's packets; other expressions are left alone. */
static int parse_expr(const struct nlattr *expr, struct cta_kcount_elem *e)
{
	const struct nlattr *a, *data = NULL;
	bool counter = false;

	mnl_attr_for_each_nested(a, expr) {
		if (mnl_attr_get_type(a) == NFTA_EXPR_NAME)
			counter = mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
				  !strcmp(mnl_attr_get_str(a), "counter");
		else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
			data = a;
	}
	if (!counter || !data)
		return 0;
	mnl_attr_for_each_nested(a, data) {
		if (mnl_attr_get_type(a) != NFTA_COUNTER_PACKETS)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		e->packets = be64toh(mnl_attr_get_u64(a));
	}
	return 0;
}

static int parse_elem(const struct nlattr *elem, struct cta_kcount_elem *e)
{
	const struct nlattr *a, *b;
	bool has_key = false;
	int err = 0;

	mnl_attr_for_each_nested(a, elem) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_SET_ELEM_KEY:
			err = mnl_attr_validate(a, MNL_TYPE_NESTED) ? -EBADMSG : parse_key(a, e);
			has_key = true;
			break;
		case NFTA_SET_ELEM_EXPR:
			err = parse_expr(a, e);
			break;
		case NFTA_SET_ELEM_EXPRESSIONS:
			mnl_attr_for_each_nested(b, a) {
				if (!err && mnl_attr_get_type(b) == NFTA_LIST_ELEM)
					err = parse_expr(b, e);
			}
			break;
		default:
			break;
		}
		if (err)
			return err;
	}
	return has_key ? 0 : -EBADMSG;
}

/*
 * A NEWSETELEM message: its set's name and its list of elements (NULL: none). 0,
 * -EPROTO (another message, or no set named) or -EBADMSG.
 */
static int set_message(const struct nlmsghdr *nlh, const char **set, const struct nlattr **list)
{
	const struct nlattr *a;

	*set = NULL;
	*list = NULL;
	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM ||
	    nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES)
		return -EPROTO;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET) {
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return -EBADMSG;
			*set = mnl_attr_get_str(a);
		} else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS) {
			*list = a;
		}
	}
	return *set ? 0 : -EPROTO;
}

int cta_kcountmsg_parse(const struct nlmsghdr *nlh, cta_kcount_cb cb, void *data)
{
	const struct nlattr *list, *elem;
	struct cta_kcount_elem proto = { 0 };
	const char *set;
	int n = 0, err = set_message(nlh, &set, &list);

	if (err)
		return err;
	if (which_set(set, &proto))
		return -EPROTO;
	if (!list)
		return 0;
	mnl_attr_for_each_nested(elem, list) {
		struct cta_kcount_elem e = proto;

		if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM)
			continue;
		err = parse_elem(elem, &e);
		if (err)
			return err;
		cb(&e, data);
		n++;
	}
	return n;
}

int cta_kcountmsg_parse_syns(const struct nlmsghdr *nlh, cta_kcount_syn_cb cb, void *data)
{
	const struct nlattr *list, *elem, *b;
	struct cta_kcount_syn proto = { 0 };
	const char *set;
	int n = 0, err = set_message(nlh, &set, &list);

	if (err)
		return err;
	for (int i = 0; i < 4; i++)
		if (!strcmp(set, cta_kcount_syn_set_name(i & 1, i >> 1)))
			proto.family = i & 1 ? AF_INET6 : AF_INET;
	if (!proto.family)
		return -EPROTO;
	if (!list)
		return 0;
	mnl_attr_for_each_nested(elem, list) {
		struct cta_kcount_syn e = proto;
		bool has_key = false;

		if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM)
			continue;
		mnl_attr_for_each_nested(b, elem) {
			if (mnl_attr_get_type(b) != NFTA_SET_ELEM_KEY)
				continue;
			if (mnl_attr_validate(b, MNL_TYPE_NESTED) < 0 || parse_syn_key(b, &e))
				return -EBADMSG;
			has_key = true;
		}
		if (!has_key)
			return -EBADMSG;
		cb(&e, data);
		n++;
	}
	return n;
}
