// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/suggest/group.h"
#include "advisor/model/host.h"

void cta_group_defaults(struct cta_group_opts *o)
{
	o->prefix4 = 24;
	o->prefix6 = 64;
	o->min_hosts = 2;
	o->merge4 = 16;
	o->merge6 = 48;
}

static unsigned full_len(uint8_t family)
{
	return family == AF_INET ? 32 : 128;
}

void cta_addr_mask(union cta_addr *a, uint8_t family, unsigned len)
{
	unsigned bytes = full_len(family) / 8;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = len > i * 8 ? len - i * 8 : 0;

		if (keep < 8)
			a->b[i] &= (uint8_t)(0xff00 >> keep);
	}
	for (unsigned i = bytes; i < sizeof(a->b); i++)
		a->b[i] = 0;
}

int cta_prefix_cmp(const struct cta_prefix *a, const struct cta_prefix *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int cmp_void(const void *a, const void *b)
{
	return cta_prefix_cmp(a, b);
}

const char *cta_prefix_str(const struct cta_prefix *p, char *buf, size_t len)
{
	char a[64];

	cta_addr_str(p->family, &p->addr, a, sizeof(a));
	if (p->len == full_len(p->family))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, (unsigned)p->len);
	return buf;
}

void cta_prefix_add(struct cta_prefix *a, const struct cta_prefix *b)
{
	a->hosts += b->hosts;
	a->connections += b->connections;
	a->bytes += b->bytes;
	if (b->first_ns && (!a->first_ns || b->first_ns < a->first_ns))
		a->first_ns = b->first_ns;
	if (b->last_ns > a->last_ns)
		a->last_ns = b->last_ns;
}

static bool same_prefix(const struct cta_prefix *a, const struct cta_prefix *b, unsigned len)
{
	union cta_addr x = a->addr, y = b->addr;

	if (a->family != b->family)
		return false;
	cta_addr_mask(&x, a->family, len);
	cta_addr_mask(&y, b->family, len);
	return !memcmp(x.b, y.b, sizeof(x.b));
}

static unsigned fold_len(const struct cta_group_opts *o, uint8_t family)
{
	unsigned l = family == AF_INET ? o->prefix4 : o->prefix6;

	return l > full_len(family) ? full_len(family) : l;
}

static unsigned merge_len(const struct cta_group_opts *o, uint8_t family)
{
	return family == AF_INET ? o->merge4 : o->merge6;
}

/* Two prefixes of one length that are the halves of their parent. */
static bool siblings(const struct cta_prefix *a, const struct cta_prefix *b)
{
	return a->family == b->family && a->len == b->len && a->len > 0 &&
	       same_prefix(a, b, a->len - 1u) && cta_prefix_cmp(a, b) != 0;
}

/* Does the prefix p (its len) cover one of the addresses kept out? */
static bool covers(const struct cta_prefix *p, const struct cta_prefix *keep_out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_prefix(p, &keep_out[i], p->len))
			return true;
	return false;
}

int cta_group_fold(const struct cta_group_opts *o, struct cta_prefix *hosts, size_t n,
		   const struct cta_prefix *keep_out, size_t n_keep_out, struct cta_prefix **out,
		   size_t *n_out)
{
	struct cta_prefix *res;
	size_t m = 0;

	*out = NULL;
	*n_out = 0;
	res = calloc(n ? n : 1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		hosts[i].len = (uint8_t)full_len(hosts[i].family);
		cta_addr_mask(&hosts[i].addr, hosts[i].family, hosts[i].len);
		hosts[i].hosts = 1;
	}
	if (n)
		qsort(hosts, n, sizeof(*hosts), cmp_void);
	for (size_t i = 0; i < n;) {
		unsigned len = fold_len(o, hosts[i].family);
		size_t j = i, distinct = 0;
		struct cta_prefix p = hosts[i];

		/* the run of hosts in hosts[i]'s prefix, and how many distinct ones */
		for (; j < n && same_prefix(&hosts[i], &hosts[j], len); j++)
			if (j == i || cta_prefix_cmp(&hosts[j - 1], &hosts[j]))
				distinct++;
		p.len = (uint8_t)len;
		if (distinct >= o->min_hosts && len < full_len(p.family) &&
		    !covers(&p, keep_out, n_keep_out)) {
			cta_addr_mask(&p.addr, p.family, len);
			p.hosts = 0;
			p.connections = 0;
			p.bytes = 0;
			p.first_ns = p.last_ns = 0;
			for (size_t k = i; k < j; k++) {
				cta_prefix_add(&p, &hosts[k]);
				if (k > i && !cta_prefix_cmp(&hosts[k - 1], &hosts[k]))
					p.hosts--;
			}
			res[m++] = p;
		} else {
			for (size_t k = i; k < j; k++) {
				if (k > i && !cta_prefix_cmp(&hosts[k - 1], &hosts[k])) {
					uint32_t h = res[m - 1].hosts;

					cta_prefix_add(&res[m - 1], &hosts[k]);
					res[m - 1].hosts = h;
				} else {
					res[m++] = hosts[k];
				}
			}
		}
		/* merge adjacent halves, CIDR-aggregation style, on a stack */
		while (m >= 2 && res[m - 1].len < full_len(res[m - 1].family) &&
		       siblings(&res[m - 2], &res[m - 1]) &&
		       res[m - 1].len - 1u >= merge_len(o, res[m - 1].family)) {
			struct cta_prefix *a = &res[m - 2], parent = *a;

			parent.len--;
			if (covers(&parent, keep_out, n_keep_out))
				break;
			cta_prefix_add(a, &res[m - 1]);
			a->len--;
			cta_addr_mask(&a->addr, a->family, a->len);
			m--;
		}
		i = j;
	}
	*out = res;
	*n_out = m;
	return 0;
}
