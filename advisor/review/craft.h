/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * review's packets: the first packet of a recorded flow, built again, header by
 * header with correct checksums (conntrack takes a packet with a bad one for
 * invalid): a TCP SYN, a UDP datagram, an ICMP or ICMPv6 message of the flow's type,
 * or an IP packet of another protocol.
 */
#ifndef CTA_CRAFT_H
#define CTA_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "advisor/model/flow.h"

#define CTA_CRAFT_MAX 128

/*
 * The flow's first packet as its original direction had it (before any NAT): into
 * buf (CTA_CRAFT_MAX bytes), starting with the IP header. Returns its length.
 */
size_t cta_craft_first_packet(const struct cta_flow *f, uint8_t *buf);

/* The Internet checksum of len bytes after sum (a pseudo-header's, or 0). */
uint16_t cta_inet_csum(const void *data, size_t len, uint32_t sum);

#endif
