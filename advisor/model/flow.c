// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/util.h"

static const struct {
	uint8_t num;
	const char *name;
} protos[] = {
	{ IPPROTO_ICMP, "icmp" }, { IPPROTO_IGMP, "igmp" },	  { IPPROTO_TCP, "tcp" },
	{ IPPROTO_UDP, "udp" },	  { IPPROTO_DCCP, "dccp" },	  { IPPROTO_GRE, "gre" },
	{ IPPROTO_ESP, "esp" },	  { IPPROTO_AH, "ah" },		  { IPPROTO_ICMPV6, "ipv6-icmp" },
	{ IPPROTO_SCTP, "sctp" }, { IPPROTO_UDPLITE, "udplite" },
};

static const char *const dir_names[] = {
	[CTA_DIR_UNKNOWN] = "unknown", [CTA_DIR_IN] = "in",	  [CTA_DIR_OUT] = "out",
	[CTA_DIR_FORWARD] = "forward", [CTA_DIR_LOCAL] = "local",
};

static const char *const reached_names[] = {
	[CTA_REACHED_UNREPLIED] = "unreplied",
	[CTA_REACHED_REPLIED] = "replied",
	[CTA_REACHED_ASSURED] = "assured",
};

const char *cta_proto_name(uint8_t p)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].num == p)
			return protos[i].name;
	return NULL;
}

int cta_proto_from_name(const char *name, uint8_t *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (!strcmp(protos[i].name, name)) {
			*p = protos[i].num;
			return 0;
		}
	if (!strcmp(name, "icmpv6")) {
		*p = IPPROTO_ICMPV6;
		return 0;
	}
	return -EINVAL;
}

static int index_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -EINVAL;
}

const char *cta_direction_name(enum cta_direction d)
{
	return (unsigned)d < ARRAY_SIZE(dir_names) ? dir_names[d] : "unknown";
}

int cta_direction_from_name(const char *name, enum cta_direction *d)
{
	int i = index_of(dir_names, ARRAY_SIZE(dir_names), name);

	if (i < 0)
		return i;
	*d = (enum cta_direction)i;
	return 0;
}

const char *cta_reached_name(enum cta_reached r)
{
	return (unsigned)r < ARRAY_SIZE(reached_names) ? reached_names[r] : "unreplied";
}

int cta_reached_from_name(const char *name, enum cta_reached *r)
{
	int i = index_of(reached_names, ARRAY_SIZE(reached_names), name);

	if (i < 0)
		return i;
	*r = (enum cta_reached)i;
	return 0;
}

void cta_flow_key_from_event(struct cta_flow_key *k, const struct cta_event *ev)
{
	memset(k, 0, sizeof(*k));
	k->family = ev->family;
	k->l4proto = ev->l4proto;
	k->src = ev->orig.src;
	k->dst = ev->orig.dst;
	k->reply_src = ev->reply.src;
	k->reply_dst = ev->reply.dst;
	if (cta_proto_has_ports(ev->l4proto)) {
		k->dport = ev->orig.dport;
		k->reply_sport = ev->reply.sport;
	} else if (cta_proto_is_icmp(ev->l4proto)) {
		k->icmp_type = ev->orig.icmp_type;
		k->icmp_code = ev->orig.icmp_code;
	}
}

void cta_flow_drop_stray_ids(struct cta_flow *f)
{
	if (cta_proto_is_icmp(f->key.l4proto) && !cta_icmp_has_id(f->key.l4proto, f->key.icmp_type))
		f->sport_min = f->sport_max = 0;
}

bool cta_flow_dnated(const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;

	return memcmp(&k->reply_src, &k->dst, sizeof(k->dst)) ||
	       (cta_proto_has_ports(k->l4proto) && k->reply_sport != k->dport);
}

bool cta_flow_snated(const struct cta_flow *f)
{
	return memcmp(&f->key.reply_dst, &f->key.src, sizeof(f->key.src)) != 0;
}

bool cta_flow_translated(const struct cta_flow *f)
{
	if (cta_flow_dnated(f) || cta_flow_snated(f))
		return true;
	return cta_proto_has_ports(f->key.l4proto) &&
	       (f->rdport_min != f->sport_min || f->rdport_max != f->sport_max);
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int cta_flow_cmp(const struct cta_flow *a, const struct cta_flow *b)
{
	const struct cta_flow_key *x = &a->key, *y = &b->key;
	int c;

	if ((c = cmp_u(x->l4proto, y->l4proto)) || (c = cmp_u(x->family, y->family)))
		return c;
	if ((c = memcmp(&x->src, &y->src, sizeof(x->src))) ||
	    (c = memcmp(&x->dst, &y->dst, sizeof(x->dst))))
		return c;
	if ((c = cmp_u(a->sport_min, b->sport_min)) || (c = cmp_u(x->dport, y->dport)) ||
	    (c = cmp_u(x->icmp_type, y->icmp_type)) || (c = cmp_u(x->icmp_code, y->icmp_code)))
		return c;
	/* same original tuple, different translation: keep the order total */
	return memcmp(x, y, sizeof(*x));
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* lo..hi widened to take b_lo..b_hi; with ports, 0..0 is none known (flowtab.c) */
static void widen_range(uint16_t *lo, uint16_t *hi, uint16_t b_lo, uint16_t b_hi, bool ports)
{
	if (ports && !b_lo && !b_hi)
		return;
	if (ports && !*lo && !*hi) {
		*lo = b_lo;
		*hi = b_hi;
		return;
	}
	if (b_lo < *lo)
		*lo = b_lo;
	if (b_hi > *hi)
		*hi = b_hi;
}

void cta_flow_merge(struct cta_flow *a, const struct cta_flow *b)
{
	bool ports = cta_proto_has_ports(a->key.l4proto);

	widen_range(&a->sport_min, &a->sport_max, b->sport_min, b->sport_max, ports);
	widen_range(&a->rdport_min, &a->rdport_max, b->rdport_min, b->rdport_max, ports);
	a->connections += b->connections;
	a->leftover += b->leftover;
	for (int d = 0; d < 2; d++) {
		a->packets[d] += b->packets[d];
		a->bytes[d] += b->bytes[d];
	}
	a->first_ns = min_nz(a->first_ns, b->first_ns);
	if (b->last_ns > a->last_ns)
		a->last_ns = b->last_ns;
	if (b->reached > a->reached)
		a->reached = b->reached;
	if (a->direction == CTA_DIR_UNKNOWN)
		a->direction = b->direction;
	if (!a->helper[0])
		memcpy(a->helper, b->helper, sizeof(a->helper));
	if (!a->iif[0])
		memcpy(a->iif, b->iif, sizeof(a->iif));
	if (!a->oif[0])
		memcpy(a->oif, b->oif, sizeof(a->oif));
	if (!a->related && b->related) {
		a->related = true;
		a->master = b->master;
	}
}

void cta_flow_note_helper(struct cta_flow *f, const struct cta_event *ev)
{
	if ((ev->flags & CTA_EVF_HELPER) && !f->helper[0])
		memcpy(f->helper, ev->helper, sizeof(f->helper));
	if (ev->flags & CTA_EVF_MASTER && !f->master.l4proto) {
		f->related = true;
		f->master.l4proto = ev->master_l4proto;
		f->master.dport = ev->master.dport;
		f->master.src = ev->master.src;
		f->master.dst = ev->master.dst;
	}
	if ((ev->flags & CTA_EVF_STATUS) && (ev->status & IPS_EXPECTED))
		f->related = true;
}

void cta_flow_master_text(const struct cta_flow *f, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *proto = cta_proto_name(f->master.l4proto);

	if (!f->master.l4proto) {
		snprintf(buf, len, "a connection not known");
		return;
	}
	inet_ntop(f->key.family, f->master.src.b, s, sizeof(s));
	inet_ntop(f->key.family, f->master.dst.b, d, sizeof(d));
	if (cta_proto_has_ports(f->master.l4proto))
		snprintf(buf, len,
			 f->key.family == AF_INET6 ? "%s %s -> [%s]:%u" : "%s %s -> %s:%u",
			 proto ? proto : "?", s, d, f->master.dport);
	else
		snprintf(buf, len, "%s %s -> %s", proto ? proto : "?", s, d);
}
