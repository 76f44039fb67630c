// SPDX-License-Identifier: GPL-2.0-or-later
/* NFLOG packet messages, checked: no allocation, fit for a fuzzer. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <string.h>

#include "nft/nflog.h"
#include "nft/ctmsg.h"
#include "nft/pkt.h"

struct tb {
	const struct nlattr *a[NFULA_MAX + 1];
};

static int cb(const struct nlattr *attr, void *data)
{
	struct tb *tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NFULA_MAX)
		tb->a[type] = attr;
	return MNL_CB_OK;
}

/* The conntrack id inside NFULA_CT: ctnetlink attributes, CTA_ID among them. */
static bool ct_id(const struct nlattr *nest, uint32_t *id)
{
	const struct nlattr *a;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return false;
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == CTA_ID && mnl_attr_get_payload_len(a) >= 4) {
			*id = ntohl(mnl_attr_get_u32(a));
			return true;
		}
	}
	return false;
}

static bool u32_attr(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < 4)
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

/* NFULA_PREFIX: the kernel sends it with its NUL; never trust that it does. */
static void prefix(const struct nlattr *a, char *out, size_t size)
{
	size_t n;

	if (!a)
		return;
	n = mnl_attr_get_payload_len(a);
	if (n >= size)
		n = size - 1;
	memcpy(out, mnl_attr_get_payload(a), n);
	out[strnlen(out, n)] = '\0';
}

int cta_nflogmsg_parse(const struct nlmsghdr *nlh, struct cta_nflog_packet *p)
{
	struct tb tb = { { 0 } };
	const struct nlattr *payload, *hdr;

	memset(p, 0, sizeof(*p));
	if (!cta_nlmsg_len_ok(nlh) || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return -EBADMSG;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_ULOG ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFULNL_MSG_PACKET)
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), cb, &tb) < 0)
		return -EBADMSG;
	payload = tb.a[NFULA_PAYLOAD];
	if (!payload ||
	    cta_pkt_tuple(mnl_attr_get_payload(payload), mnl_attr_get_payload_len(payload), NULL, 0,
			  &p->family, &p->l4proto, &p->tuple))
		return -EBADMSG;
	p->has_isn = cta_pkt_tcp_isn(mnl_attr_get_payload(payload),
				     mnl_attr_get_payload_len(payload), NULL, 0, &p->isn);
	hdr = tb.a[NFULA_PACKET_HDR];
	if (hdr && mnl_attr_get_payload_len(hdr) >= sizeof(struct nfulnl_msg_packet_hdr))
		p->hook = ((const struct nfulnl_msg_packet_hdr *)mnl_attr_get_payload(hdr))->hook;
	prefix(tb.a[NFULA_PREFIX], p->prefix, sizeof(p->prefix));
	p->has_uid = u32_attr(tb.a[NFULA_UID], &p->uid);
	p->has_gid = u32_attr(tb.a[NFULA_GID], &p->gid);
	(void)u32_attr(tb.a[NFULA_IFINDEX_INDEV], &p->indev);
	(void)u32_attr(tb.a[NFULA_IFINDEX_OUTDEV], &p->outdev);
	if (tb.a[NFULA_CT])
		p->has_ct = ct_id(tb.a[NFULA_CT], &p->ct_id);
	return 0;
}
