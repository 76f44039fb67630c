// SPDX-License-Identifier: GPL-2.0-or-later
/* Which way a flow goes, judged from the host's own addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/host.h"

static enum cta_direction dir(const struct cta_host *h, const char *src, const char *dst)
{
	struct cta_flow_key k = { 0 };
	uint8_t fam;

	cta_addr_parse(src, &fam, &k.src);
	cta_addr_parse(dst, &fam, &k.dst);
	k.family = fam;
	k.reply_src = k.dst;
	k.reply_dst = k.src;
	return cta_host_direction(h, &k);
}

/*
 * Many interfaces: each found again by its name, addresses added to the right one,
 * and a name the kernel never gives refused rather than cut into another.
 */
static void test_many(void)
{
	struct cta_host h = { 0 };
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 32 };
	char name[32];
	bool all = true;

	for (unsigned i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "veth%u", i);
		a.addr.w[0] = htonl(0xc6336400u + i);
		CHECK_EQ(cta_host_add_addr(&h, name, i + 2, NULL), 0);
		CHECK_EQ(cta_host_add_addr(&h, name, i + 2, &a), 0);
	}
	CHECK_EQ(h.n_ifaces, 20000);
	for (unsigned i = 0; i < 20000; i++) {
		const struct cta_iface *ifc;

		snprintf(name, sizeof(name), "veth%u", i);
		ifc = cta_host_iface(&h, name);
		all &= ifc && ifc->index == i + 2 && ifc->n_addrs == 1 &&
		       ifc->addrs[0].addr.w[0] == htonl(0xc6336400u + i);
	}
	CHECK(all);
	CHECK(cta_host_iface(&h, "nosuch") == NULL);
	CHECK_EQ(cta_host_add_addr(&h, "a-name-of-16-chr", 9, NULL), -ENAMETOOLONG);
	CHECK_EQ(cta_host_add_addr(&h, "a-name-of-15-ch", 9, NULL), 0);
	CHECK_EQ(cta_host_add_addr(&h, "", 9, NULL), -ENAMETOOLONG);
	CHECK_EQ(h.n_ifaces, 20001);
	/*
	 * an IPv4 address with a label (ip addr add ... label veth7:1): getifaddrs names
	 * it by its label, which is no interface; it is veth7's (review's scratch
	 * namespace made an interface "veth7:1": EINVAL). A session of before says so too.
	 */
	a.addr.w[0] = htonl(0xcb007101u);
	CHECK_EQ(cta_host_add_addr(&h, "veth7:1", 9, &a), 0);
	CHECK_EQ(h.n_ifaces, 20001);
	CHECK(cta_host_iface(&h, "veth7:1") == NULL);
	CHECK(cta_host_iface(&h, "veth7") && cta_host_iface(&h, "veth7")->n_addrs == 2);
	CHECK_EQ(cta_host_add_addr(&h, ":1", 9, NULL), -EINVAL);
	cta_host_fini(&h);
}

static void add_addr(struct cta_host *h, const char *dev, unsigned index, const char *ip,
		     unsigned len)
{
	struct cta_host_addr a = { .prefixlen = (uint8_t)len };

	cta_addr_parse(ip, &a.family, &a.addr);
	CHECK_EQ(cta_host_add_addr(h, dev, index, &a), 0);
}

static void add_route(struct cta_host *h, const char *dst, unsigned len, const char *dev)
{
	struct cta_route r = { .dst_len = (uint8_t)len, .type = 1, .table = 254 };

	cta_addr_parse(dst, &r.family, &r.dst);
	snprintf(r.dev, sizeof(r.dev), "%s", dev);
	CHECK_EQ(cta_host_add_route(h, &r), 0);
}

static const char *in_iface(const struct cta_host *h, const char *src, const char *iif)
{
	struct cta_flow f = { 0 };
	uint8_t fam;
	const char *name;

	cta_addr_parse(src, &fam, &f.key.src);
	f.key.family = fam;
	snprintf(f.iif, sizeof(f.iif), "%s", iif);
	name = cta_host_in_iface(h, &f);
	return name ? name : "(none)";
}

/*
 * Issue 21's tunnel: wg0 holds 192.0.2.50/32 with 192.0.2.128/25 routed into it, and
 * eth0's subnet 192.0.2.0/24 also holds the peer. The recorded iif first, then the
 * longest prefix (route or address), then the first interface of the family; never lo.
 */
static void test_in_iface(void)
{
	struct cta_host h = { 0 };

	add_addr(&h, "lo", 1, "127.0.0.1", 8);
	add_addr(&h, "eth0", 2, "192.0.2.1", 24);
	add_addr(&h, "wg0", 3, "192.0.2.50", 32);
	/* a session before routes: the subnet that holds the source, as before */
	CHECK_STR(in_iface(&h, "192.0.2.130", ""), "eth0");
	CHECK_STR(in_iface(&h, "192.0.2.130", "wg0"), "wg0");
	add_route(&h, "192.0.2.128", 25, "wg0");
	CHECK_STR(in_iface(&h, "192.0.2.130", ""), "wg0");
	CHECK_STR(in_iface(&h, "192.0.2.7", ""), "eth0");
	/* the trace's word beats the routes; an interface the host lacks, or lo, does not */
	CHECK_STR(in_iface(&h, "192.0.2.130", "eth0"), "eth0");
	CHECK_STR(in_iface(&h, "192.0.2.130", "gone0"), "wg0");
	CHECK_STR(in_iface(&h, "192.0.2.130", "lo"), "wg0");
	/* nothing holds it: the first interface with an address of the family */
	CHECK_STR(in_iface(&h, "198.51.100.9", ""), "eth0");
	add_route(&h, "0.0.0.0", 0, "wg0");
	CHECK_STR(in_iface(&h, "198.51.100.9", ""), "wg0");
	/* a route other than main's, or of lo, is no reverse path */
	{
		struct cta_route r = { .family = AF_INET, .dst_len = 32, .type = 1, .table = 100 };

		cta_addr_parse("192.0.2.7", &r.family, &r.dst);
		snprintf(r.dev, sizeof(r.dev), "wg0");
		CHECK_EQ(cta_host_add_route(&h, &r), 0);
		CHECK_EQ(cta_host_add_route(&h, &r), 0); /* once */
		CHECK_EQ(h.n_routes, 3);
	}
	CHECK_STR(in_iface(&h, "192.0.2.7", ""), "eth0");
	CHECK_STR(in_iface(&h, "2001:db8::7", ""), "(none)");
	cta_host_fini(&h);
}

/* The kernel's routes: an address's own prefix is left to the address, a peer's kept. */
static void test_kernel_routes(void)
{
	struct cta_host h = { 0 };
	struct cta_route own = { .dst_len = 24, .type = 1, .table = 254, .kernel = true };
	struct cta_route peer = { .dst_len = 32, .type = 1, .table = 254, .kernel = true };
	struct cta_route other = own;

	add_addr(&h, "eth0", 2, "192.0.2.1", 24);
	add_addr(&h, "ppp0", 3, "203.0.113.1", 32);
	cta_addr_parse("192.0.2.0", &own.family, &own.dst);
	snprintf(own.dev, sizeof(own.dev), "eth0");
	cta_addr_parse("203.0.113.9", &peer.family, &peer.dst);
	snprintf(peer.dev, sizeof(peer.dev), "ppp0");
	other = own;
	snprintf(other.dev, sizeof(other.dev), "ppp0"); /* the prefix, on another interface */
	CHECK_EQ(cta_host_route_cb(&own, &h), 0);
	CHECK_EQ(cta_host_route_cb(&peer, &h), 0);
	CHECK_EQ(cta_host_route_cb(&other, &h), 0);
	CHECK_EQ(h.n_routes, 2);
	CHECK(h.n_routes == 2 && !h.routes[0].kernel && !strcmp(h.routes[0].dev, "ppp0"));
	/* the peer's route is its reverse path */
	CHECK_STR(in_iface(&h, "203.0.113.9", ""), "ppp0");
	cta_host_fini(&h);
}

int main(void)
{
	struct cta_host h = { 0 };
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };

	inet_pton(AF_INET, "192.0.2.10", a.addr.b);
	cta_host_add_addr(&h, "eth0", 2, &a);
	a = (struct cta_host_addr){ .family = AF_INET6, .prefixlen = 64 };
	inet_pton(AF_INET6, "2001:db8::10", a.addr.b);
	cta_host_add_addr(&h, "eth0", 2, &a);

	CHECK_EQ(dir(&h, "198.51.100.7", "192.0.2.10"), CTA_DIR_IN);
	CHECK_EQ(dir(&h, "192.0.2.10", "203.0.113.20"), CTA_DIR_OUT);
	CHECK_EQ(dir(&h, "192.0.2.10", "192.0.2.10"), CTA_DIR_LOCAL);
	CHECK_EQ(dir(&h, "127.0.0.1", "127.0.0.1"), CTA_DIR_LOCAL);
	CHECK_EQ(dir(&h, "198.51.100.7", "203.0.113.20"), CTA_DIR_FORWARD);
	CHECK_EQ(dir(&h, "2001:db8:a::7", "2001:db8::10"), CTA_DIR_IN);
	CHECK_EQ(dir(&h, "2001:db8:a::7", "2001:db8:b::20"), CTA_DIR_FORWARD);
	/* multicast and broadcast are received, not forwarded; sent ones go out */
	CHECK_EQ(dir(&h, "192.0.2.7", "224.0.0.251"), CTA_DIR_IN);
	CHECK_EQ(dir(&h, "192.0.2.7", "192.0.2.255"), CTA_DIR_IN);
	CHECK_EQ(dir(&h, "0.0.0.0", "255.255.255.255"), CTA_DIR_IN);
	CHECK_EQ(dir(&h, "fe80::7", "ff02::fb"), CTA_DIR_IN);
	CHECK_EQ(dir(&h, "192.0.2.10", "224.0.0.251"), CTA_DIR_OUT);
	/* the broadcast address of a network the host is not on is someone else's */
	CHECK_EQ(dir(&h, "198.51.100.7", "203.0.113.255"), CTA_DIR_FORWARD);
	cta_host_fini(&h);
	test_many();
	test_in_iface();
	test_kernel_routes();
	return check_report("host");
}
