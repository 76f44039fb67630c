// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/pkt.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int cta_pkt_tuple(const uint8_t *net, size_t netlen, const uint8_t *l4, size_t l4len,
		  uint8_t *family, uint8_t *l4proto, struct cta_tuple *t)
{
	memset(t, 0, sizeof(*t));
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
		if (!l4 && (be16(net + 6) & 0x1fff))
			return 0;
		if (!l4 && netlen >= ihl)
			l4 = net + ihl, l4len = netlen - ihl;
	} else if ((net[0] >> 4) == 6) {
		if (netlen < 40)
			return -EBADMSG;
		*family = AF_INET6;
		*l4proto = net[6]; /* extension headers are not walked: trace gives l4 itself */
		memcpy(t->src.b, net + 8, 16);
		memcpy(t->dst.b, net + 24, 16);
		if (!l4)
			l4 = net + 40, l4len = netlen - 40;
	} else {
		return -EBADMSG;
	}
	if (!l4)
		return 0;
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
