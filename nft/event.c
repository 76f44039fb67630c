// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/event.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
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

static const char *const route_types[] = {
	[RTN_UNICAST] = "unicast",     [RTN_LOCAL] = "local",
	[RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast",
	[RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
	[RTN_PROHIBIT] = "prohibit",   [RTN_THROW] = "throw",
};

static const char *const rule_actions[] = {
	[FR_ACT_TO_TBL] = "lookup",	  [FR_ACT_NOP] = "nop",
	[FR_ACT_BLACKHOLE] = "blackhole", [FR_ACT_UNREACHABLE] = "unreachable",
	[FR_ACT_PROHIBIT] = "prohibit",
};

static int from_name(const char *const *table, size_t n, const char *name, uint8_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (table[i] && !strcmp(table[i], name)) {
			*out = (uint8_t)i;
			return 0;
		}
	return -EINVAL;
}

const char *cta_route_type_name(uint8_t type)
{
	return type < sizeof(route_types) / sizeof(*route_types) ? route_types[type] : NULL;
}

int cta_route_type_from_name(const char *name, uint8_t *type)
{
	return from_name(route_types, sizeof(route_types) / sizeof(*route_types), name, type);
}

const char *cta_prule_action_name(uint8_t action)
{
	return action < sizeof(rule_actions) / sizeof(*rule_actions) ? rule_actions[action] : NULL;
}

int cta_prule_action_from_name(const char *name, uint8_t *action)
{
	return from_name(rule_actions, sizeof(rule_actions) / sizeof(*rule_actions), name, action);
}
