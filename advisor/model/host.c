// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static unsigned prefix_len(const unsigned char *mask, size_t len)
{
	unsigned n = 0;

	for (size_t i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(mask[i]);
	return n;
}

/* The name as 16 zero-padded bytes: what the index hashes. */
static void name_key(const char *name, char key[16])
{
	memset(key, 0, 16);
	memcpy(key, name, strnlen(name, 15));
}

struct name_q {
	const struct cta_host *h;
	const char *name;
};

static bool name_eq(uint32_t pos, const void *ctx)
{
	const struct name_q *q = ctx;

	return !strcmp(q->h->ifaces[pos].name, q->name);
}

static int reindex(struct cta_host *h)
{
	char key[16];

	if (!h->by_name) {
		h->by_name = calloc(1, sizeof(*h->by_name));
		if (!h->by_name)
			return -ENOMEM;
		cta_hashidx_init(h->by_name);
	}
	cta_hashidx_fini(h->by_name);
	cta_hashidx_init(h->by_name);
	for (size_t i = 0; i < h->n_ifaces; i++) {
		name_key(h->ifaces[i].name, key);
		if (cta_hashidx_add(h->by_name, cta_hash_words(key, 16), (uint32_t)i))
			return -ENOMEM;
	}
	return 0;
}

/* Capacities are 4, 8, 16...: grow when n is 0 or one of them. */
static void *grow(void *p, size_t n, size_t size)
{
	if (n && (n < 4 || (n & (n - 1))))
		return p;
	return realloc(p, (n ? n * 2 : 4) * size);
}

static struct cta_iface *iface_get(struct cta_host *h, const char *name, unsigned index)
{
	struct name_q q = { h, name };
	struct cta_iface *n;
	char key[16];
	uint64_t hash;
	int64_t pos;

	/* an index that does not cover every interface (a host filled elsewhere): rebuild */
	if ((!h->by_name || h->by_name->used != h->n_ifaces) && reindex(h))
		return NULL;
	name_key(name, key);
	hash = cta_hash_words(key, 16);
	pos = cta_hashidx_find(h->by_name, hash, name_eq, &q);
	if (pos >= 0)
		return &h->ifaces[pos];
	if (h->n_ifaces >= UINT32_MAX)
		return NULL;
	n = grow(h->ifaces, h->n_ifaces, sizeof(*n));
	if (!n)
		return NULL;
	h->ifaces = n;
	if (cta_hashidx_add(h->by_name, hash, (uint32_t)h->n_ifaces))
		return NULL;
	n = &h->ifaces[h->n_ifaces++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->index = index;
	return n;
}

struct cta_iface *cta_host_iface(const struct cta_host *h, const char *name)
{
	struct name_q q = { h, name };
	char key[16];
	int64_t pos;

	if (!h->by_name || h->by_name->used != h->n_ifaces) {
		for (size_t i = 0; i < h->n_ifaces; i++)
			if (!strcmp(h->ifaces[i].name, name))
				return &h->ifaces[i];
		return NULL;
	}
	name_key(name, key);
	pos = cta_hashidx_find(h->by_name, cta_hash_words(key, 16), name_eq, &q);
	return pos >= 0 ? &h->ifaces[pos] : NULL;
}

int cta_host_add_addr(struct cta_host *h, const char *name, unsigned index,
		      const struct cta_host_addr *a)
{
	char base[CTA_IFNAME_MAX + 1];
	struct cta_iface *i;
	struct cta_host_addr *n;

	if (!*name || strlen(name) > CTA_IFNAME_MAX)
		return -ENAMETOOLONG;
	/* an IPv4 address's label ("eth0:1", getifaddrs' name for it): no interface
	 * name holds a ':' (net/core/dev.c, dev_valid_name) */
	snprintf(base, sizeof(base), "%.*s", (int)strcspn(name, ":"), name);
	if (!*base)
		return -EINVAL;
	i = iface_get(h, base, index);
	if (!i)
		return -ENOMEM;
	if (!a)
		return 0;
	n = grow(i->addrs, i->n_addrs, sizeof(*n));
	if (!n)
		return -ENOMEM;
	i->addrs = n;
	i->addrs[i->n_addrs++] = *a;
	return 0;
}

static int iface_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct cta_iface *)pa)->name, ((const struct cta_iface *)pb)->name);
}

void cta_host_sort(struct cta_host *h, int (*addr_cmp)(const void *, const void *))
{
	if (h->n_ifaces)
		qsort(h->ifaces, h->n_ifaces, sizeof(*h->ifaces), iface_cmp);
	for (size_t j = 0; j < h->n_ifaces; j++)
		if (h->ifaces[j].n_addrs)
			qsort(h->ifaces[j].addrs, h->ifaces[j].n_addrs, sizeof(*h->ifaces[j].addrs),
			      addr_cmp);
	if (h->by_name && reindex(h)) {
		/* no memory for the index: dropped, the next add rebuilds it */
		cta_hashidx_fini(h->by_name);
		free(h->by_name);
		h->by_name = NULL;
	}
}

/* /etc/machine-id (32 hex digits) into id, or "" */
static void read_machine_id(char id[33])
{
	FILE *f = fopen("/etc/machine-id", "re");
	char line[64] = "";

	id[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && strspn(line, "0123456789abcdef") == 32) {
		memcpy(id, line, 32);
		id[32] = '\0';
	}
	fclose(f);
}

bool cta_host_same(const struct cta_host *a, const struct cta_host *b)
{
	if (a->machine_id[0] && b->machine_id[0] && a->netns && b->netns)
		return !strcmp(a->machine_id, b->machine_id) && a->netns == b->netns &&
		       !strcmp(a->hostname, b->hostname);
	return !strcmp(a->hostname, b->hostname);
}

int cta_host_read(struct cta_host *h)
{
	struct stat ns;
	struct ifaddrs *list, *ifa;
	struct utsname u;
	int err = 0;

	memset(h, 0, sizeof(*h));
	if (gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
		snprintf(h->hostname, sizeof(h->hostname), "unknown");
	if (uname(&u) == 0)
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	read_machine_id(h->machine_id);
	if (stat("/proc/self/ns/net", &ns) == 0)
		h->netns = (uint64_t)ns.st_ino;
	if (getifaddrs(&list) < 0)
		return -errno;
	for (ifa = list; ifa && !err; ifa = ifa->ifa_next) {
		struct cta_host_addr a = { 0 };
		unsigned index = if_nametoindex(ifa->ifa_name);

		if (!ifa->ifa_addr ||
		    (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6)) {
			/* AF_PACKET entries: the interface exists, maybe without addresses */
			err = cta_host_add_addr(h, ifa->ifa_name, index, NULL);
			continue;
		}
		a.family = (uint8_t)ifa->ifa_addr->sa_family;
		if (a.family == AF_INET) {
			const struct sockaddr_in *s = (const void *)ifa->ifa_addr;

			memcpy(a.addr.b, &s->sin_addr, 4);
			if (ifa->ifa_netmask)
				a.prefixlen = (uint8_t)prefix_len(
					(const void *)&((const struct sockaddr_in *)(const void *)
								ifa->ifa_netmask)
						->sin_addr,
					4);
		} else {
			const struct sockaddr_in6 *s = (const void *)ifa->ifa_addr;

			memcpy(a.addr.b, &s->sin6_addr, 16);
			if (ifa->ifa_netmask)
				a.prefixlen = (uint8_t)prefix_len(
					(const void *)&((const struct sockaddr_in6 *)(const void *)
								ifa->ifa_netmask)
						->sin6_addr,
					16);
		}
		err = cta_host_add_addr(h, ifa->ifa_name, index, &a);
	}
	freeifaddrs(list);
	if (err)
		cta_host_fini(h);
	return err;
}

static int add_item(void **arr, size_t *n, const void *item, size_t size)
{
	void *p;

	for (size_t i = 0; i < *n; i++)
		if (!memcmp((const char *)*arr + i * size, item, size))
			return 0;
	p = grow(*arr, *n, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	memcpy((char *)p + (*n)++ * size, item, size);
	return 0;
}

int cta_host_add_route(struct cta_host *h, const struct cta_route *r)
{
	struct cta_route c;

	/* compared as bytes: no stray padding or string tails */
	memset(&c, 0, sizeof(c));
	c.family = r->family;
	c.dst_len = r->dst_len;
	c.type = r->type;
	c.scope = r->scope;
	c.has_gateway = r->has_gateway;
	c.has_prefsrc = r->has_prefsrc;
	c.onlink = r->onlink;
	c.table = r->table;
	c.metric = r->metric;
	c.dst = r->dst;
	c.gateway = r->gateway;
	c.prefsrc = r->prefsrc;
	snprintf(c.dev, sizeof(c.dev), "%s", r->dev);
	snprintf(c.unsupported, sizeof(c.unsupported), "%s", r->unsupported);
	return add_item((void **)&h->routes, &h->n_routes, &c, sizeof(c));
}

int cta_host_add_prule(struct cta_host *h, const struct cta_prule *p)
{
	struct cta_prule c;

	memset(&c, 0, sizeof(c));
	c.family = p->family;
	c.action = p->action;
	c.src_len = p->src_len;
	c.dst_len = p->dst_len;
	c.tos = p->tos;
	c.invert = p->invert;
	c.has_fwmark = p->has_fwmark;
	c.has_suppress = p->has_suppress;
	c.priority = p->priority;
	c.table = p->table;
	c.fwmark = p->fwmark;
	c.fwmask = p->fwmask;
	c.suppress_prefixlen = p->suppress_prefixlen;
	c.src = p->src;
	c.dst = p->dst;
	snprintf(c.iif, sizeof(c.iif), "%s", p->iif);
	snprintf(c.oif, sizeof(c.oif), "%s", p->oif);
	snprintf(c.unsupported, sizeof(c.unsupported), "%s", p->unsupported);
	return add_item((void **)&h->rules, &h->n_rules, &c, sizeof(c));
}

/* Does the prefix a/bits hold x? */
static bool prefix_holds(const union cta_addr *a, unsigned bits, const union cta_addr *x)
{
	unsigned k;

	for (k = 0; k < bits / 8; k++)
		if (a->b[k] != x->b[k])
			return false;
	return !(bits % 8) || !((a->b[k] ^ x->b[k]) & (0xff << (8 - bits % 8)));
}

/*
 * A route the kernel made for an address's own prefix on the same interface (the
 * subnet route, fe80::/64): the rebuilt address makes it again.
 */
static bool address_route(const struct cta_host *h, const struct cta_route *r)
{
	const struct cta_iface *ifc = r->dev[0] ? cta_host_iface(h, r->dev) : NULL;

	for (size_t j = 0; ifc && j < ifc->n_addrs; j++) {
		const struct cta_host_addr *a = &ifc->addrs[j];

		if (a->family == r->family && a->prefixlen == r->dst_len &&
		    prefix_holds(&r->dst, r->dst_len, &a->addr))
			return true;
	}
	return false;
}

int cta_host_route_cb(const struct cta_route *r, void *host)
{
	/* kept: what the kernel made beyond the addresses' prefixes (a point-to-point peer) */
	if (r->kernel && address_route(host, r))
		return 0;
	return cta_host_add_route(host, r);
}

int cta_host_prule_cb(const struct cta_prule *p, void *host)
{
	return cta_host_add_prule(host, p);
}

/* The longest prefix of the main table's routes and the addresses holding src. */
static const char *reverse_path(const struct cta_host *h, uint8_t family, const union cta_addr *src)
{
	const char *best = NULL;
	int best_len = -1;

	for (size_t i = 0; i < h->n_routes; i++) {
		const struct cta_route *r = &h->routes[i];

		if (r->family != family || r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST ||
		    !r->dev[0] || !strcmp(r->dev, "lo") || r->unsupported[0] ||
		    (int)r->dst_len <= best_len || !prefix_holds(&r->dst, r->dst_len, src) ||
		    !cta_host_iface(h, r->dev))
			continue;
		best = r->dev;
		best_len = r->dst_len;
	}
	for (size_t i = 0; i < h->n_ifaces; i++) {
		if (!strcmp(h->ifaces[i].name, "lo"))
			continue;
		for (size_t j = 0; j < h->ifaces[i].n_addrs; j++) {
			const struct cta_host_addr *a = &h->ifaces[i].addrs[j];

			/* a prefix of 0 is no subnet: the first interface's fallback below */
			if (a->family == family && a->prefixlen && (int)a->prefixlen > best_len &&
			    prefix_holds(&a->addr, a->prefixlen, src)) {
				best = h->ifaces[i].name;
				best_len = a->prefixlen;
			}
		}
	}
	return best;
}

const char *cta_host_in_iface(const struct cta_host *h, const struct cta_flow *f)
{
	const char *name;

	if (f->iif[0] && strcmp(f->iif, "lo") && cta_host_iface(h, f->iif))
		return cta_host_iface(h, f->iif)->name;
	name = reverse_path(h, f->key.family, &f->key.src);
	if (name)
		return name;
	for (size_t i = 0; i < h->n_ifaces; i++) {
		if (!strcmp(h->ifaces[i].name, "lo"))
			continue;
		for (size_t j = 0; j < h->ifaces[i].n_addrs; j++)
			if (h->ifaces[i].addrs[j].family == f->key.family)
				return h->ifaces[i].name;
	}
	return NULL;
}

void cta_host_fini(struct cta_host *h)
{
	free(h->routes);
	h->routes = NULL;
	h->n_routes = 0;
	free(h->rules);
	h->rules = NULL;
	h->n_rules = 0;
	for (size_t i = 0; i < h->n_ifaces; i++)
		free(h->ifaces[i].addrs);
	free(h->ifaces);
	h->ifaces = NULL;
	h->n_ifaces = 0;
	if (h->by_name)
		cta_hashidx_fini(h->by_name);
	free(h->by_name);
	h->by_name = NULL;
}

bool cta_host_is_local(const struct cta_host *h, uint8_t family, const union cta_addr *addr)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	size_t len = family == AF_INET ? 4 : 16;

	if (family == AF_INET && addr->b[0] == 127)
		return true;
	if (family == AF_INET6 && !memcmp(addr->b, v6_loopback, 16))
		return true;
	for (size_t i = 0; i < h->n_ifaces; i++)
		for (size_t j = 0; j < h->ifaces[i].n_addrs; j++) {
			const struct cta_host_addr *a = &h->ifaces[i].addrs[j];

			if (a->family == family && !memcmp(a->addr.b, addr->b, len))
				return true;
		}
	/*
	 * a local route's whole prefix in the local table is delivered here (AnyIP), an
	 * address or not; one in another table only to what policy routing sends there
	 * (TPROXY's fwmark), which an address alone does not say
	 */
	for (size_t i = 0; i < h->n_routes; i++) {
		const struct cta_route *r = &h->routes[i];

		if (r->type == RTN_LOCAL && r->table == RT_TABLE_LOCAL && r->family == family &&
		    prefix_holds(&r->dst, r->dst_len, addr))
			return true;
	}
	return false;
}

/* Multicast, or a broadcast address of one of the host's networks: the host receives it. */
static bool group_address(const struct cta_host *h, uint8_t family, const union cta_addr *a)
{
	if (family == AF_INET6)
		return a->b[0] == 0xff;
	if ((a->b[0] & 0xf0) == 0xe0 || a->w[0] == 0xffffffffu)
		return true;
	for (size_t i = 0; i < h->n_ifaces; i++)
		for (size_t j = 0; j < h->ifaces[i].n_addrs; j++) {
			const struct cta_host_addr *ha = &h->ifaces[i].addrs[j];
			uint32_t mask, net, addr;

			if (ha->family != AF_INET || ha->prefixlen == 0 || ha->prefixlen >= 31)
				continue;
			mask = htonl(~0u << (32 - ha->prefixlen));
			net = ha->addr.w[0] & mask;
			addr = a->w[0];
			if ((addr & mask) == net && (addr | mask) == 0xffffffffu)
				return true;
		}
	return false;
}

enum cta_direction cta_host_direction(const struct cta_host *h, const struct cta_flow_key *k)
{
	/* the reply source is who really answered: after DNAT that is the inner host */
	bool from_here = cta_host_is_local(h, k->family, &k->src);
	bool to_here = cta_host_is_local(h, k->family, &k->reply_src);

	if (from_here && to_here)
		return CTA_DIR_LOCAL;
	if (from_here)
		return CTA_DIR_OUT;
	/* multicast and broadcast from elsewhere are received here, not forwarded */
	if (to_here || group_address(h, k->family, &k->reply_src))
		return CTA_DIR_IN;
	return CTA_DIR_FORWARD;
}

const char *cta_addr_str(uint8_t family, const union cta_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET ? AF_INET : AF_INET6, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int cta_addr_parse(const char *s, uint8_t *family, union cta_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}
