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
