/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * review's packets: the first packet of a recorded flow, built again, header by
 * header with correct checksums (conntrack takes a packet with a bad one for
 * invalid): a TCP SYN, a UDP datagram, an ICMP or ICMPv6 message of the flow's type,
 * or an IP packet of another protocol; and the connection's later packets (its reply,
 * its next one) the same way.
 */
#ifndef CTA_CRAFT_H
#define CTA_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "advisor/model/flow.h"

#define CTA_CRAFT_MAX 128

#define CTA_CRAFT_SYN 0x02u
#define CTA_CRAFT_ACK 0x10u
#define CTA_CRAFT_ISN 0x43540000u /* the first packet's sequence number: any */

/* One packet: addresses, ports, and what its protocol's header holds. */
struct cta_craft {
	uint8_t family, l4proto; /* AF_INET/AF_INET6, IPPROTO_* */
	union cta_addr src, dst;
	uint16_t sport, dport; /* ICMP: sport is the echo identifier */
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags; /* CTA_CRAFT_SYN, CTA_CRAFT_ACK */
	uint32_t seq, ack; /* TCP, host order */
};

/*
 * The packet into buf (CTA_CRAFT_MAX bytes), starting with the IP header, checksums
 * computed. Returns its length.
 */
size_t cta_craft_packet(const struct cta_craft *c, uint8_t *buf);
/* The flow's first packet as its original direction had it (before any NAT), in c. */
void cta_craft_first(const struct cta_flow *f, struct cta_craft *c);

/*
 * The flow's first packet as its original direction had it (before any NAT): into
 * buf (CTA_CRAFT_MAX bytes), starting with the IP header. Returns its length.
 */
size_t cta_craft_first_packet(const struct cta_flow *f, uint8_t *buf);

/* The Internet checksum of len bytes after sum (a pseudo-header's, or 0). */
uint16_t cta_inet_csum(const void *data, size_t len, uint32_t sum);

#endif
