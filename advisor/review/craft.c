// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/review/craft.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define PAYLOAD 8 /* UDP and other protocols: a few bytes of data */

static uint32_t add16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

uint16_t cta_inet_csum(const void *data, size_t len, uint32_t sum)
{
	sum = add16(data, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The pseudo-header's sum for a transport checksum. */
static uint32_t pseudo(const struct cta_craft *c, size_t l4len)
{
	size_t alen = c->family == AF_INET ? 4 : 16;
	uint32_t sum = add16(c->src.b, alen, 0);

	sum = add16(c->dst.b, alen, sum);
	return sum + c->l4proto + (uint32_t)l4len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The transport part; its length. */
static size_t l4(const struct cta_craft *c, uint8_t *p)
{
	size_t n;

	switch (c->l4proto) {
	case IPPROTO_TCP:
		n = 20;
		memset(p, 0, n);
		put16(p, c->sport);
		put16(p + 2, c->dport);
		put32(p + 4, c->seq);
		put32(p + 8, c->ack);
		p[12] = 5 << 4; /* no options */
		p[13] = c->tcp_flags;
		put16(p + 14, 64240);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		n = 8 + PAYLOAD;
		memset(p, 0, n);
		put16(p, c->sport);
		put16(p + 2, c->dport);
		/* UDP-Lite: the length field is the checksum coverage, 0 = all */
		put16(p + 4, c->l4proto == IPPROTO_UDP ? (uint16_t)n : 0);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		n = 8 + PAYLOAD;
		memset(p, 0, n);
		p[0] = c->icmp_type;
		p[1] = c->icmp_code;
		put16(p + 4, c->sport); /* echo identifier */
		put16(p + 6, 1);
		break;
	default:
		n = PAYLOAD;
		memset(p, 0, n);
		return n;
	}
	{
		/* ICMP (IPv4) alone has no pseudo-header */
		uint32_t sum = c->l4proto == IPPROTO_ICMP ? 0 : pseudo(c, n);
		size_t at = c->l4proto == IPPROTO_TCP					 ? 16
			    : c->l4proto == IPPROTO_ICMP || c->l4proto == IPPROTO_ICMPV6 ? 2
											 : 6;
		uint16_t sum16 = cta_inet_csum(p, n, sum);

		/* UDP sends a computed 0 as all ones (0 means "none") */
		if (sum16 == 0 && c->l4proto == IPPROTO_UDP)
			sum16 = 0xffff;
		memcpy(p + at, &sum16, 2);
	}
	return n;
}

size_t cta_craft_packet(const struct cta_craft *c, uint8_t *buf)
{
	size_t hl = c->family == AF_INET ? 20 : 40, n;

	memset(buf, 0, CTA_CRAFT_MAX);
	n = l4(c, buf + hl);
	if (c->family == AF_INET) {
		uint16_t sum;

		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(hl + n));
		put16(buf + 4, 0x4354); /* identification */
		put16(buf + 6, 0x4000); /* don't fragment */
		buf[8] = 64;
		buf[9] = c->l4proto;
		memcpy(buf + 12, c->src.b, 4);
		memcpy(buf + 16, c->dst.b, 4);
		sum = cta_inet_csum(buf, hl, 0);
		memcpy(buf + 10, &sum, 2);
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)n);
		buf[6] = c->l4proto;
		buf[7] = 64;
		memcpy(buf + 8, c->src.b, 16);
		memcpy(buf + 24, c->dst.b, 16);
	}
	return hl + n;
}

void cta_craft_first(const struct cta_flow *f, struct cta_craft *c)
{
	const struct cta_flow_key *k = &f->key;

	memset(c, 0, sizeof(*c));
	c->family = k->family;
	c->l4proto = k->l4proto;
	c->src = k->src;
	c->dst = k->dst;
	c->sport = f->sport_min; /* ICMP: the echo identifier */
	c->dport = k->dport;
	c->icmp_type = k->icmp_type;
	c->icmp_code = k->icmp_code;
	c->tcp_flags = CTA_CRAFT_SYN;
	c->seq = CTA_CRAFT_ISN;
}

size_t cta_craft_first_packet(const struct cta_flow *f, uint8_t *buf)
{
	struct cta_craft c;

	cta_craft_first(f, &c);
	return cta_craft_packet(&c, buf);
}
