// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/pkt.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * IPv6's extension headers from offset *off of net (nexthdr *proto): walked to the
 * transport's protocol, as conntrack finds it (ipv6_skip_exthdr): hop-by-hop options
 * (an MLD report's router alert), routing, destination options, fragment, AH. *off
 * ends where the transport header begins. False for a fragment but the first (its
 * protocol, no transport header), or headers cut short (the last protocol read).
 */
static bool skip_exthdrs(const uint8_t *net, size_t netlen, size_t *off, uint8_t *proto)
{
	for (;;) {
		size_t len;

		switch (*proto) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (*off + 2 > netlen)
				return false;
			len = ((size_t)net[*off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (*off + 2 > netlen)
				return false;
			len = ((size_t)net[*off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (*off + 8 > netlen)
				return false;
			if (be16(net + *off + 2) & 0xfff8) {
				*proto = net[*off]; /* a later fragment: its protocol, no header */
				return false;
			}
			len = 8;
			break;
		default:
			return true;
		}
		if (*off + len > netlen)
			return false;
		*proto = net[*off];
		*off += len;
	}
}

/*
 * The transport header of the packet whose network header is net: l4 when given,
 * else what follows the network header (IPv4's options, IPv6's extension headers
 * skipped); NULL for a later fragment or none. Fills family and l4proto (behind any
 * IPv6 extension headers net holds: NFLOG's whole packet does; a trace's network
 * header is cut at 40 bytes, NFT_TRACETYPE_NETWORK_HSIZE in nf_tables_trace.c, so
 * its l4proto stays the first extension header's), and the addresses of t. -EBADMSG
 * when the headers are too short or not IP.
 */
static int transport(const uint8_t *net, size_t netlen, const uint8_t **l4, size_t *l4len,
		     uint8_t *family, uint8_t *l4proto, struct cta_tuple *t)
{
	if (netlen < 1)
		return -EBADMSG;
	if ((net[0] >> 4) == 4) {
		size_t ihl = (size_t)(net[0] & 0x0f) * 4;

		if (netlen < 20 || ihl < 20)
			return -EBADMSG;
		*family = AF_INET;
		*l4proto = net[9];
		memcpy(t->src.b, net + 12, 4);
		memcpy(t->dst.b, net + 16, 4);
		/* a later fragment has no transport header of its own */
		if (!*l4 && (be16(net + 6) & 0x1fff))
			return 0;
		if (!*l4 && netlen >= ihl)
			*l4 = net + ihl, *l4len = netlen - ihl;
	} else if ((net[0] >> 4) == 6) {
		size_t off = 40;
		bool whole;

		if (netlen < 40)
			return -EBADMSG;
		*family = AF_INET6;
		*l4proto = net[6];
		memcpy(t->src.b, net + 8, 16);
		memcpy(t->dst.b, net + 24, 16);
		whole = skip_exthdrs(net, netlen, &off, l4proto);
		if (!*l4 && whole)
			*l4 = net + off, *l4len = netlen - off;
	} else {
		return -EBADMSG;
	}
	return 0;
}

int cta_pkt_tuple(const uint8_t *net, size_t netlen, const uint8_t *l4, size_t l4len,
		  uint8_t *family, uint8_t *l4proto, struct cta_tuple *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = transport(net, netlen, &l4, &l4len, family, l4proto, t);
	if (err || !l4)
		return err;
	if (cta_proto_has_ports(*l4proto) && l4len >= 4) {
		t->sport = be16(l4);
		t->dport = be16(l4 + 2);
	} else if (cta_proto_is_icmp(*l4proto) && l4len >= 2) {
		t->icmp_type = l4[0];
		t->icmp_code = l4[1];
		if (l4len >= 6 && cta_icmp_has_id(*l4proto, t->icmp_type))
			t->sport = be16(l4 + 4); /* echo id, as conntrack keeps it */
	}
	return 0;
}

bool cta_pkt_tcp_isn(const uint8_t *net, size_t netlen, const uint8_t *l4, size_t l4len,
		     uint32_t *isn)
{
	uint8_t family, l4proto;
	struct cta_tuple t;

	if (transport(net, netlen, &l4, &l4len, &family, &l4proto, &t) || !l4 ||
	    l4proto != IPPROTO_TCP || l4len < 14)
		return false;
	if ((l4[13] & 0x12) != 0x02) /* SYN, not SYN-ACK */
		return false;
	*isn = be32(l4 + 4);
	return true;
}
