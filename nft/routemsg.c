// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/routemsg.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "nft/ctmsg.h"

#define N_ATTR 64 /* above RTA_MAX and FRA_MAX of the headers we build with */

struct attrs {
	const struct nlattr *a[N_ATTR];
};

static int put_attr(const struct nlattr *attr, void *data)
{
	struct attrs *t = data;
	unsigned type = mnl_attr_get_type(attr);

	if (type < N_ATTR)
		t->a[type] = attr;
	return MNL_CB_OK;
}

/* An address attribute of exactly the family's length into a. */
static bool get_addr(const struct nlattr *attr, uint8_t family, union cta_addr *a)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (!attr || mnl_attr_get_payload_len(attr) != len)
		return false;
	memcpy(a->b, mnl_attr_get_payload(attr), len);
	return true;
}

static bool get_u32(const struct nlattr *attr, uint32_t *v)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(attr);
	return true;
}

/* A string attribute, NUL-terminated within its payload and fitting in len. */
static int get_name(const struct nlattr *attr, char *buf, size_t len)
{
	const char *s;
	size_t plen;

	if (!attr)
		return 0;
	s = mnl_attr_get_payload(attr);
	plen = mnl_attr_get_payload_len(attr);
	if (!plen || !memchr(s, '\0', plen) || strlen(s) >= len)
		return -EBADMSG;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static void unsupported(char *buf, const char *what)
{
	if (!buf[0])
		snprintf(buf, CTA_UNSUPPORTED_MAX, "%s", what);
}

/* The attributes of a route that a rebuild would not carry, named. */
static void route_unsupported(const struct attrs *t, struct cta_route *r)
{
	if (t->a[RTA_MULTIPATH])
		unsupported(r->unsupported, "multipath");
	if (t->a[RTA_NH_ID])
		unsupported(r->unsupported, "nexthop object");
	if (t->a[RTA_ENCAP])
		unsupported(r->unsupported, "encap");
	if (t->a[RTA_VIA])
		unsupported(r->unsupported, "via");
	if (t->a[RTA_IIF])
		unsupported(r->unsupported, "iif");
}

int cta_routemsg_parse(const struct nlmsghdr *nlh, struct cta_route *r)
{
	const struct rtmsg *rtm;
	struct attrs t = { { 0 } };
	uint32_t table;

	memset(r, 0, sizeof(*r));
	/* an unaligned length would let libmnl read attributes past it (nft/ctmsg.h) */
	if (nlh->nlmsg_type != RTM_NEWROUTE || !cta_nlmsg_len_ok(nlh) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*rtm), put_attr, &t) < 0)
		return -EBADMSG;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if (rtm->rtm_dst_len > (rtm->rtm_family == AF_INET ? 32 : 128))
		return -EBADMSG;
	table = rtm->rtm_table;
	if (t.a[RTA_TABLE] && !get_u32(t.a[RTA_TABLE], &table))
		return -EBADMSG;
	/*
	 * The local table is made from the addresses, which are rebuilt; but not a local
	 * route someone added (`ip route add local 192.0.2.0/24 dev lo`: every address of
	 * it is this host's, AnyIP), which the kernel's own are not (protocol kernel)
	 */
	if ((table == RT_TABLE_LOCAL &&
	     (rtm->rtm_protocol == RTPROT_KERNEL || rtm->rtm_type != RTN_LOCAL)) ||
	    (rtm->rtm_flags & RTM_F_CLONED) || rtm->rtm_type == RTN_MULTICAST)
		return 0;
	r->kernel = rtm->rtm_protocol == RTPROT_KERNEL;
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->scope = rtm->rtm_scope;
	r->table = table;
	r->onlink = rtm->rtm_flags & RTNH_F_ONLINK;
	if ((t.a[RTA_DST] && !get_addr(t.a[RTA_DST], r->family, &r->dst)) ||
	    (t.a[RTA_GATEWAY] &&
	     !(r->has_gateway = get_addr(t.a[RTA_GATEWAY], r->family, &r->gateway))) ||
	    (t.a[RTA_PREFSRC] &&
	     !(r->has_prefsrc = get_addr(t.a[RTA_PREFSRC], r->family, &r->prefsrc))) ||
	    (t.a[RTA_PRIORITY] && !get_u32(t.a[RTA_PRIORITY], &r->metric)) ||
	    (t.a[RTA_OIF] && !get_u32(t.a[RTA_OIF], &r->oif)))
		return -EBADMSG;
	route_unsupported(&t, r);
	return 1;
}

static void rule_unsupported(const struct attrs *t, const struct fib_rule_hdr *h,
			     struct cta_prule *p)
{
	if (t->a[FRA_UID_RANGE])
		unsupported(p->unsupported, "uidrange");
	if (t->a[FRA_IP_PROTO])
		unsupported(p->unsupported, "ipproto");
	if (t->a[FRA_SPORT_RANGE])
		unsupported(p->unsupported, "sport");
	if (t->a[FRA_DPORT_RANGE])
		unsupported(p->unsupported, "dport");
	if (t->a[FRA_L3MDEV])
		unsupported(p->unsupported, "l3mdev");
	if (t->a[FRA_TUN_ID])
		unsupported(p->unsupported, "tun_id");
	if (t->a[FRA_SUPPRESS_IFGROUP])
		unsupported(p->unsupported, "suppress_ifgroup");
	if (h->action == FR_ACT_GOTO || t->a[FRA_GOTO])
		unsupported(p->unsupported, "goto");
	if (h->action > FR_ACT_PROHIBIT)
		unsupported(p->unsupported, "action");
}

/* The rules a new namespace has already: lookups of local, main and default alone. */
static bool default_rule(const struct cta_prule *p)
{
	if (p->action != FR_ACT_TO_TBL || p->src_len || p->dst_len || p->tos || p->invert ||
	    p->has_fwmark || p->has_suppress || p->iif[0] || p->oif[0] || p->unsupported[0])
		return false;
	return (p->priority == 0 && p->table == RT_TABLE_LOCAL) ||
	       (p->priority == 32766 && p->table == RT_TABLE_MAIN) ||
	       (p->priority == 32767 && p->table == RT_TABLE_DEFAULT && p->family == AF_INET);
}

int cta_prulemsg_parse(const struct nlmsghdr *nlh, struct cta_prule *p)
{
	const struct fib_rule_hdr *h;
	struct attrs t = { { 0 } };
	unsigned max;

	memset(p, 0, sizeof(*p));
	if (nlh->nlmsg_type != RTM_NEWRULE || !cta_nlmsg_len_ok(nlh) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*h)))
		return -EBADMSG;
	h = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*h), put_attr, &t) < 0)
		return -EBADMSG;
	if (h->family != AF_INET && h->family != AF_INET6)
		return 0;
	max = h->family == AF_INET ? 32 : 128;
	if (h->src_len > max || h->dst_len > max)
		return -EBADMSG;
	p->family = h->family;
	p->action = h->action;
	p->src_len = h->src_len;
	p->dst_len = h->dst_len;
	p->tos = h->tos;
	p->invert = h->flags & FIB_RULE_INVERT;
	p->table = h->table;
	if ((t.a[FRA_TABLE] && !get_u32(t.a[FRA_TABLE], &p->table)) ||
	    (t.a[FRA_PRIORITY] && !get_u32(t.a[FRA_PRIORITY], &p->priority)) ||
	    (t.a[FRA_FWMARK] && !(p->has_fwmark = get_u32(t.a[FRA_FWMARK], &p->fwmark))) ||
	    (t.a[FRA_FWMASK] && !get_u32(t.a[FRA_FWMASK], &p->fwmask)) ||
	    (t.a[FRA_SUPPRESS_PREFIXLEN] &&
	     !(p->has_suppress = get_u32(t.a[FRA_SUPPRESS_PREFIXLEN], &p->suppress_prefixlen))) ||
	    (p->src_len && !get_addr(t.a[FRA_SRC], p->family, &p->src)) ||
	    (p->dst_len && !get_addr(t.a[FRA_DST], p->family, &p->dst)) ||
	    get_name(t.a[FRA_IIFNAME], p->iif, sizeof(p->iif)) ||
	    get_name(t.a[FRA_OIFNAME], p->oif, sizeof(p->oif)))
		return -EBADMSG;
	if (p->has_fwmark && !t.a[FRA_FWMASK])
		p->fwmask = 0xffffffffu;
	/* the kernel says "no suppression" with -1 */
	if (p->has_suppress && p->suppress_prefixlen == 0xffffffffu)
		p->has_suppress = false;
	rule_unsupported(&t, h, p);
	return default_rule(p) ? 0 : 1;
}
