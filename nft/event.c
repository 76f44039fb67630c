// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/event.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

bool cta_proto_has_ports(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE || p == IPPROTO_SCTP ||
	       p == IPPROTO_DCCP;
}

bool cta_proto_is_icmp(uint8_t p)
{
	return p == IPPROTO_ICMP || p == IPPROTO_ICMPV6;
}

bool cta_icmp_has_id(uint8_t p, uint8_t type)
{
	if (p == IPPROTO_ICMP)
		return type == 0 || type == 8 || (type >= 13 && type <= 18);
	return p == IPPROTO_ICMPV6 && (type == 128 || type == 129 || type == 139 || type == 140);
}

static const char *const names[] = {
	[CTA_TRACE_NONE] = "none",
	[CTA_TRACE_NEW] = "new",
	[CTA_TRACE_ALL] = "all",
	[CTA_TRACE_MATCH] = "match",
};

const char *cta_trace_mode_name(int mode)
{
	return mode >= 0 && mode <= CTA_TRACE_MATCH ? names[mode] : "none";
}

int cta_trace_mode_from_name(const char *name)
{
	for (int i = 0; i <= CTA_TRACE_MATCH; i++)
		if (!strcmp(names[i], name))
			return i;
	return -EINVAL;
}
