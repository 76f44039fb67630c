/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The recording host: its name, interfaces and addresses, and which flows are its own. */
#ifndef CTA_HOST_H
#define CTA_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "advisor/lib/hashidx.h"
#include "nft/event.h"
#include "advisor/model/flow.h"

struct cta_host_addr {
	uint8_t family;
	uint8_t prefixlen;
	union cta_addr addr;
};

struct cta_iface {
	char name[16];
	unsigned index;
	struct cta_host_addr *addrs;
	size_t n_addrs;
};

struct cta_host {
	char hostname[256];
	char kernel[128];
	/*
	 * Who the host is, beyond its name (two machines, or two namespaces of one, may
	 * share a hostname): /etc/machine-id ("" when not known) and the inode of the
	 * network namespace recorded in (0 when not known).
	 */
	char machine_id[33];
	uint64_t netns;
	struct cta_iface *ifaces;
	size_t n_ifaces;
	struct cta_hashidx *by_name; /* interface name -> position; cta_host_add_addr's */
	/*
	 * Routes and policy rules (session version 3 on; none in older ones): those review
	 * rebuilds in its scratch namespace beside the interfaces and addresses.
	 */
	struct cta_route *routes;
	size_t n_routes;
	struct cta_prule *rules;
	size_t n_rules;
};

/* Fill h from this namespace (getifaddrs). 0 or -errno. */
int cta_host_read(struct cta_host *h);
/*
 * Are a and b the same host? By machine id and network namespace where both sessions
 * know them, by hostname where either does not (sessions of format version 1).
 */
bool cta_host_same(const struct cta_host *a, const struct cta_host *b);
void cta_host_fini(struct cta_host *h);
/*
 * Add an address (or with a NULL, only the interface) to the interface called name,
 * creating it: found by a hash index, arrays grown by doubling, so a host of 10^5
 * interfaces is read in linear time. An IPv4 address's label ("eth0:1", as getifaddrs
 * names such an address) goes to its interface, the name before the ':'. 0, -ENOMEM,
 * -ENAMETOOLONG for a name the kernel never gives (IFNAMSIZ - 1 = 15 characters at
 * most) or an empty one, -EINVAL for a label with no interface name (":1").
 */
#define CTA_IFNAME_MAX 15
int cta_host_add_addr(struct cta_host *h, const char *name, unsigned index,
		      const struct cta_host_addr *a);
/* The interface called name, or NULL (the index when it covers them all). */
struct cta_iface *cta_host_iface(const struct cta_host *h, const char *name);
/* Sort the interfaces by name and each one's addresses with cmp (index kept right). */
void cta_host_sort(struct cta_host *h, int (*addr_cmp)(const void *, const void *));

/*
 * Add a route or a policy rule (copied; one equal byte for byte to one there is not
 * added again). 0 or -ENOMEM. The void * forms fit nft/route.h's dump callbacks; the
 * route one leaves out a route the kernel made for an address's own prefix (read the
 * addresses first): the rebuilt address makes it again.
 */
int cta_host_add_route(struct cta_host *h, const struct cta_route *r);
int cta_host_add_prule(struct cta_host *h, const struct cta_prule *p);
int cta_host_route_cb(const struct cta_route *r, void *host);
int cta_host_prule_cb(const struct cta_prule *p, void *host);

/*
 * The interface a flow's first packet came in on, for a replay: the one the trace
 * saw (f->iif) when the host has it; else the reverse path, the interface of the
 * longest-prefix unicast route of the main table to the flow's source (address
 * prefixes count as routes); else the first interface with an address of the family.
 * Never lo. The name (the host's), or NULL when none fits.
 */
const char *cta_host_in_iface(const struct cta_host *h, const struct cta_flow *f);

/* Is addr one of the host's own (or loopback)? */
bool cta_host_is_local(const struct cta_host *h, uint8_t family, const union cta_addr *addr);
/* in / out / forward / local, from the original source and the real responder. */
enum cta_direction cta_host_direction(const struct cta_host *h, const struct cta_flow_key *k);

/* "192.0.2.1" or "2001:db8::1" into buf (INET6_ADDRSTRLEN). */
const char *cta_addr_str(uint8_t family, const union cta_addr *a, char *buf, size_t len);
/* Parse an address of either family; sets *family. 0 or -EINVAL. */
int cta_addr_parse(const char *s, uint8_t *family, union cta_addr *a);

#endif
