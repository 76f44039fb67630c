// SPDX-License-Identifier: GPL-2.0-or-later
/* Subnet grouping: when hosts fold into a prefix, when prefixes merge, when they stay. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/suggest/group.h"

static struct cta_prefix host(const char *s, uint64_t conns)
{
	struct cta_prefix p = { .connections = conns, .first_ns = conns, .last_ns = conns * 10 };

	p.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	inet_pton(p.family, s, p.addr.b);
	return p;
}

/* The folded list as "a b c", for comparing. */
static const char *fold(const struct cta_group_opts *o, struct cta_prefix *h, size_t n)
{
	static char buf[1024];
	struct cta_prefix *out;
	size_t m, len = 0;

	buf[0] = '\0';
	if (cta_group_fold(o, h, n, NULL, 0, &out, &m))
		return "ENOMEM";
	for (size_t i = 0; i < m; i++) {
		char a[80];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
					cta_prefix_str(&out[i], a, sizeof(a)));
	}
	free(out);
	return buf;
}

static void test_fold(void)
{
	struct cta_group_opts o;
	struct cta_prefix h[8];

	cta_group_defaults(&o);
	/* one host stays a host */
	h[0] = host("198.51.100.7", 1);
	CHECK_STR(fold(&o, h, 1), "198.51.100.7");
	/* two distinct hosts of a /24 fold; a lone one elsewhere does not */
	h[0] = host("198.51.100.8", 1);
	h[1] = host("203.0.113.20", 1);
	h[2] = host("198.51.100.7", 1);
	CHECK_STR(fold(&o, h, 3), "198.51.100.0/24 203.0.113.20");
	/* the same host twice is one host: no fold, evidence adds up */
	h[0] = host("198.51.100.7", 2);
	h[1] = host("198.51.100.7", 3);
	CHECK_STR(fold(&o, h, 2), "198.51.100.7");
	{
		struct cta_prefix *out;
		size_t m;

		h[0] = host("198.51.100.7", 2);
		h[1] = host("198.51.100.7", 3);
		CHECK_EQ(cta_group_fold(&o, h, 2, NULL, 0, &out, &m), 0);
		CHECK_EQ(m, 1);
		CHECK_EQ(out[0].hosts, 1);
		CHECK_EQ(out[0].connections, 5);
		CHECK_EQ(out[0].first_ns, 2);
		CHECK_EQ(out[0].last_ns, 30);
		free(out);
		h[0] = host("198.51.100.7", 2);
		h[1] = host("198.51.100.7", 3);
		h[2] = host("198.51.100.9", 4);
		CHECK_EQ(cta_group_fold(&o, h, 3, NULL, 0, &out, &m), 0);
		CHECK_EQ(m, 1);
		CHECK_EQ(out[0].len, 24);
		CHECK_EQ(out[0].hosts, 2);
		CHECK_EQ(out[0].connections, 9);
		free(out);
	}
	/* --min-hosts 3: two are not enough */
	o.min_hosts = 3;
	h[0] = host("198.51.100.7", 1);
	h[1] = host("198.51.100.8", 1);
	CHECK_STR(fold(&o, h, 2), "198.51.100.7 198.51.100.8");
	h[2] = host("198.51.100.200", 1);
	CHECK_STR(fold(&o, h, 3), "198.51.100.0/24");
	cta_group_defaults(&o);
	/* IPv6 /64, and the families stay apart (IPv4 first) */
	h[0] = host("2001:db8:a::7", 1);
	h[1] = host("2001:db8:a::8", 1);
	h[2] = host("198.51.100.7", 1);
	CHECK_STR(fold(&o, h, 3), "198.51.100.7 2001:db8:a::/64");
}

/* No prefix over a peer the service denied: its neighbours stay hosts (helper-55). */
static void test_keep_out(void)
{
	struct cta_group_opts o;
	struct cta_prefix h[4], k[2], *out;
	size_t m;
	char a[80];

	cta_group_defaults(&o);
	h[0] = host("198.51.100.130", 1);
	h[1] = host("198.51.100.254", 1);
	k[0] = host("198.51.100.140", 1);
	k[0].len = 32;
	CHECK_EQ(cta_group_fold(&o, h, 2, k, 1, &out, &m), 0);
	CHECK_EQ(m, 2);
	CHECK_STR(m == 2 ? cta_prefix_str(&out[0], a, sizeof(a)) : "", "198.51.100.130");
	CHECK_STR(m == 2 ? cta_prefix_str(&out[1], a, sizeof(a)) : "", "198.51.100.254");
	free(out);
	/* a peer denied elsewhere, or of the other family, changes nothing */
	h[0] = host("198.51.100.130", 1);
	h[1] = host("198.51.100.254", 1);
	k[0] = host("203.0.113.9", 1);
	k[1] = host("2001:db8::9", 1);
	k[0].len = 32;
	k[1].len = 128;
	CHECK_EQ(cta_group_fold(&o, h, 2, k, 2, &out, &m), 0);
	CHECK_EQ(m, 1);
	CHECK_STR(m == 1 ? cta_prefix_str(&out[0], a, sizeof(a)) : "", "198.51.100.0/24");
	free(out);
	/* /25s: the one over the denied peer stays hosts, so no /24 either */
	o.prefix4 = 25;
	h[0] = host("198.51.100.1", 1);
	h[1] = host("198.51.100.2", 1);
	h[2] = host("198.51.100.129", 1);
	h[3] = host("198.51.100.130", 1);
	k[0] = host("198.51.100.127", 1);
	k[0].len = 32;
	CHECK_EQ(cta_group_fold(&o, h, 4, k, 1, &out, &m), 0);
	CHECK_EQ(m, 3);
	CHECK_STR(m == 3 ? cta_prefix_str(&out[2], a, sizeof(a)) : "", "198.51.100.128/25");
	free(out);
}

static void test_merge(void)
{
	struct cta_group_opts o;
	struct cta_prefix h[8];

	cta_group_defaults(&o);
	/* adjacent /64s that are halves of a /63 merge; a third one not adjacent stays */
	h[0] = host("2001:db8:0:0::20", 1);
	h[1] = host("2001:db8:0:0::21", 1);
	h[2] = host("2001:db8:0:1::20", 1);
	h[3] = host("2001:db8:0:1::21", 1);
	h[4] = host("2001:db8:0:3::1", 1);
	h[5] = host("2001:db8:0:3::2", 1);
	CHECK_STR(fold(&o, h, 6), "2001:db8::/63 2001:db8:0:3::/64");
	/* ... and four make a /62 */
	h[6] = host("2001:db8:0:2::1", 1);
	h[7] = host("2001:db8:0:2::2", 1);
	CHECK_STR(fold(&o, h, 8), "2001:db8::/62");
	/* the limit: merge no wider than /63 */
	o.merge6 = 63;
	h[0] = host("2001:db8:0:0::20", 1);
	h[1] = host("2001:db8:0:0::21", 1);
	h[2] = host("2001:db8:0:1::20", 1);
	h[3] = host("2001:db8:0:1::21", 1);
	h[4] = host("2001:db8:0:3::1", 1);
	h[5] = host("2001:db8:0:3::2", 1);
	h[6] = host("2001:db8:0:2::1", 1);
	h[7] = host("2001:db8:0:2::2", 1);
	CHECK_STR(fold(&o, h, 8), "2001:db8::/63 2001:db8:0:2::/63");
	/* a limit equal to the prefix: no merging */
	o.merge6 = 64;
	h[0] = host("2001:db8:0:0::20", 1);
	h[1] = host("2001:db8:0:0::21", 1);
	h[2] = host("2001:db8:0:1::20", 1);
	h[3] = host("2001:db8:0:1::21", 1);
	CHECK_STR(fold(&o, h, 4), "2001:db8::/64 2001:db8:0:1::/64");
	/* IPv4 /25 halves of one /24 merge; hosts never merge with each other */
	cta_group_defaults(&o);
	o.prefix4 = 25;
	h[0] = host("198.51.100.1", 1);
	h[1] = host("198.51.100.2", 1);
	h[2] = host("198.51.100.129", 1);
	h[3] = host("198.51.100.130", 1);
	CHECK_STR(fold(&o, h, 4), "198.51.100.0/24");
	h[0] = host("198.51.100.6", 1);
	h[1] = host("198.51.100.7", 1);
	o.prefix4 = 32;
	CHECK_STR(fold(&o, h, 2), "198.51.100.6 198.51.100.7");
	/* nothing in, nothing out */
	CHECK_STR(fold(&o, h, 0), "");
}

int main(void)
{
	test_fold();
	test_keep_out();
	test_merge();
	return check_report("group");
}
