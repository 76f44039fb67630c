// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packet headers into a tuple (nft/pkt.h): IPv6's extension headers are walked to the
 * transport, as conntrack does: an MLD report behind a hop-by-hop header (its router
 * alert) is ICMPv6 type 143, not protocol 0, from a whole packet (NFLOG's). A trace's
 * network header, cut at 40 bytes, cannot say. A fragment but the first has no
 * transport header; headers cut short give none.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "nft/pkt.h"

/* IPv6 fe80::1 -> ff02::16, next header nh, payload length plen; 40 bytes at p */
static void ip6(uint8_t *p, uint8_t nh, uint16_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 1;
	inet_pton(AF_INET6, "fe80::1", p + 8);
	inet_pton(AF_INET6, "ff02::16", p + 24);
}

int main(void)
{
	/* IPv6, hop-by-hop (router alert, padded to 8), ICMPv6 MLDv2 report (type 143) */
	uint8_t mld[40 + 8 + 8] = { 0 };
	uint8_t *hbh = mld + 40, *icmp = mld + 48;
	uint8_t family = 0, proto = 0;
	struct cta_tuple t;

	ip6(mld, IPPROTO_HOPOPTS, 16);
	hbh[0] = IPPROTO_ICMPV6;
	hbh[1] = 0; /* 8 bytes */
	hbh[2] = 5; /* router alert */
	hbh[3] = 2;
	hbh[6] = 1; /* PadN */
	icmp[0] = 143;
	/* a whole packet */
	CHECK_EQ(cta_pkt_tuple(mld, sizeof(mld), NULL, 0, &family, &proto, &t), 0);
	CHECK_EQ(family, AF_INET6);
	CHECK_EQ(proto, IPPROTO_ICMPV6);
	CHECK_EQ(t.icmp_type, 143);
	/* the network header up to the transport, the transport apart */
	CHECK_EQ(cta_pkt_tuple(mld, 48, icmp, 8, &family, &proto, &t), 0);
	CHECK_EQ(proto, IPPROTO_ICMPV6);
	CHECK_EQ(t.icmp_type, 143);
	/*
	 * a trace: the kernel cuts its network header at 40 bytes (nf_tables_trace.c,
	 * NFT_TRACETYPE_NETWORK_HSIZE), so what follows the hop-by-hop header is not known
	 */
	CHECK_EQ(cta_pkt_tuple(mld, 40, icmp, 8, &family, &proto, &t), 0);
	CHECK_EQ(proto, IPPROTO_HOPOPTS);
	/* cut inside the hop-by-hop header: what was read, no transport */
	CHECK_EQ(cta_pkt_tuple(mld, 44, NULL, 0, &family, &proto, &t), 0);
	CHECK_EQ(proto, IPPROTO_HOPOPTS);
	CHECK_EQ(t.icmp_type, 0);

	/* UDP behind destination options and a first fragment: ports; a later one: none */
	{
		uint8_t p[40 + 8 + 8 + 8] = { 0 };

		ip6(p, IPPROTO_DSTOPTS, 24);
		p[40] = IPPROTO_FRAGMENT;
		p[48] = IPPROTO_UDP;
		p[56] = 0x9c; /* source port 40000 */
		p[57] = 0x40;
		p[58] = 0x00; /* destination port 53 */
		p[59] = 53;
		CHECK_EQ(cta_pkt_tuple(p, sizeof(p), NULL, 0, &family, &proto, &t), 0);
		CHECK_EQ(proto, IPPROTO_UDP);
		CHECK_EQ(t.sport, 40000);
		CHECK_EQ(t.dport, 53);
		p[50] = 0x05; /* fragment offset 160: a later fragment */
		p[51] = 0x00;
		CHECK_EQ(cta_pkt_tuple(p, sizeof(p), NULL, 0, &family, &proto, &t), 0);
		CHECK_EQ(proto, IPPROTO_UDP);
		CHECK_EQ(t.dport, 0);
	}
	/* a hop-by-hop header whose length runs past the packet */
	{
		uint8_t p[40 + 8] = { 0 };

		ip6(p, IPPROTO_HOPOPTS, 8);
		p[40] = IPPROTO_TCP;
		p[41] = 3; /* 32 bytes */
		CHECK_EQ(cta_pkt_tuple(p, sizeof(p), NULL, 0, &family, &proto, &t), 0);
		CHECK_EQ(proto, IPPROTO_HOPOPTS);
		CHECK_EQ(t.dport, 0);
	}
	return check_report("pkt");
}
