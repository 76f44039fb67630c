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
static uint32_t pseudo(const struct cta_flow_key *k, uint8_t proto, size_t l4len)
{
	size_t alen = k->family == AF_INET ? 4 : 16;
	uint32_t sum = add16(k->src.b, alen, 0);

	sum = add16(k->dst.b, alen, sum);
	return sum + proto + (uint32_t)l4len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The transport part; its length. */
static size_t l4(const struct cta_flow *f, uint8_t *p)
{
	const struct cta_flow_key *k = &f->key;
	size_t n;

	switch (k->l4proto) {
	case IPPROTO_TCP:
		n = 20;
		memset(p, 0, n);
		put16(p, f->sport_min);
		put16(p + 2, k->dport);
		put16(p + 4, 0x4354); /* sequence number: any */
		p[12] = 5 << 4; /* no options */
		p[13] = 0x02; /* SYN */
		put16(p + 14, 64240);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		n = 8 + PAYLOAD;
		memset(p, 0, n);
		put16(p, f->sport_min);
		put16(p + 2, k->dport);
		/* UDP-Lite: the length field is the checksum coverage, 0 = all */
		put16(p + 4, k->l4proto == IPPROTO_UDP ? (uint16_t)n : 0);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		n = 8 + PAYLOAD;
		memset(p, 0, n);
		p[0] = k->icmp_type;
		p[1] = k->icmp_code;
		put16(p + 4, f->sport_min); /* echo identifier */
		put16(p + 6, 1);
		break;
	default:
		n = PAYLOAD;
		memset(p, 0, n);
		return n;
	}
	{
		/* ICMP (IPv4) alone has no pseudo-header */
		uint32_t sum = k->l4proto == IPPROTO_ICMP ? 0 : pseudo(k, k->l4proto, n);
		size_t at = k->l4proto == IPPROTO_TCP					 ? 16
			    : k->l4proto == IPPROTO_ICMP || k->l4proto == IPPROTO_ICMPV6 ? 2
											 : 6;
		uint16_t c = cta_inet_csum(p, n, sum);

		/* UDP sends a computed 0 as all ones (0 means "none") */
		if (c == 0 && k->l4proto == IPPROTO_UDP)
			c = 0xffff;
		memcpy(p + at, &c, 2);
	}
	return n;
}

size_t cta_craft_first_packet(const struct cta_flow *f, uint8_t *buf)
{
	const struct cta_flow_key *k = &f->key;
	size_t hl = k->family == AF_INET ? 20 : 40, n;
	uint8_t proto = k->l4proto;

	memset(buf, 0, CTA_CRAFT_MAX);
	n = l4(f, buf + hl);
	if (k->family == AF_INET) {
		uint16_t c;

		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(hl + n));
		put16(buf + 4, 0x4354); /* identification */
		put16(buf + 6, 0x4000); /* don't fragment */
		buf[8] = 64;
		buf[9] = proto;
		memcpy(buf + 12, k->src.b, 4);
		memcpy(buf + 16, k->dst.b, 4);
		c = cta_inet_csum(buf, hl, 0);
		memcpy(buf + 10, &c, 2);
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)n);
		buf[6] = proto;
		buf[7] = 64;
		memcpy(buf + 8, k->src.b, 16);
		memcpy(buf + 24, k->dst.b, 16);
	}
	return hl + n;
}
