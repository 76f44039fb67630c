/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Can this network namespace receive multicast to a group at all?
 *
 * A packet to a multicast group that no interface here joined is discarded by the
 * routing stack between prerouting and input (ip_route_input_mc / ip6_mc_input), after
 * every filter chain of prerouting let it through, unless the host routes multicast
 * (a multicast routing daemon holds the kernel's vif table). record's table then counts
 * a first packet that entered the filter hooks and never left them, which is no
 * firewall's doing: mDNS (224.0.0.251, ff02::fb), SSDP and LLMNR from the peers of a
 * host that runs none of them. The groups are read from /proc/net/igmp and igmp6 of the
 * reader's namespace, the vifs from /proc/net/ip_mr_vif and ip6_mr_vif (absent without
 * multicast routing in the kernel).
 */
#ifndef CTA_MCAST_H
#define CTA_MCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

struct cta_mcast;

/* 0 with *out (free with cta_mcast_free), or -ENOMEM. Nothing is read until asked. */
int cta_mcast_new(struct cta_mcast **out);
void cta_mcast_free(struct cta_mcast *m);

/*
 * Does the interface ifindex (0: any) hold group (AF_INET or AF_INET6, the address in
 * network order), or does the host route multicast of that family? The kernel checks
 * the group on the interface a packet came in on (ip_check_mc_rcu, ipv6_chk_mcast_addr).
 * The files are read again when the last reading is older than 1 s (now_mono, ns), or
 * 0.1 s when it did not have the group. A file that cannot be read makes the answer
 * true (the packet may have been delivered).
 */
bool cta_mcast_receivable(struct cta_mcast *m, uint8_t family, const union cta_addr *group,
			  uint32_t ifindex, uint64_t now_mono);

/*
 * The parsers, for the tests: the groups of an igmp (family AF_INET) or igmp6 listing
 * into out and the index of the interface holding each into ifindex (up to max;
 * network order), how many there were; and whether a vif listing has an entry under
 * its header.
 */
size_t cta_mcast_parse_groups(uint8_t family, const char *text, union cta_addr *out,
			      uint32_t *ifindex, size_t max);
bool cta_mcast_parse_vifs(const char *text);

/* Is addr (family, network order) a multicast address: 224.0.0.0/4, ff00::/8? */
bool cta_addr_is_multicast(uint8_t family, const union cta_addr *addr);

#endif
