/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tuple of a packet from its headers, as trace events and NFLOG carry them. */
#ifndef CTA_PKT_H
#define CTA_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

/*
 * net: the network header (IPv4 or IPv6, told by its version nibble); l4: the
 * transport header, or NULL to find it behind net (a whole packet, as NFLOG gives
 * it). Fills family, l4proto (the transport's, behind any IPv6 extension headers)
 * and the tuple (ports, or ICMP type/code/id in sport/icmp_*). 0, or -EBADMSG when the
 * headers are too short or not IP.
 */
int cta_pkt_tuple(const uint8_t *net, size_t netlen, const uint8_t *l4, size_t l4len,
		  uint8_t *family, uint8_t *l4proto, struct cta_tuple *t);
/*
 * The same headers: a TCP SYN (not a SYN-ACK)? Then true, with its sequence number in
 * *isn: the one a connection's SYNs share and that a new connection of the same
 * tuple (a source port used again) changes (RFC 9293 3.4.1).
 */
bool cta_pkt_tcp_isn(const uint8_t *net, size_t netlen, const uint8_t *l4, size_t l4len,
		     uint32_t *isn);

#endif
