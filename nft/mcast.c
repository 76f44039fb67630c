// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/mcast.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/util.h"

#define RELOAD_NS 1000000000ULL /* a reading is good for 1 s */
#define MISS_RELOAD_NS 100000000ULL /* a group not held: read again after 0.1 s */
#define GROUPS_MAX 1024 /* per family: more than any host joins */

struct family_groups {
	union cta_addr g[GROUPS_MAX];
	uint32_t ifindex[GROUPS_MAX]; /* the interface holding each */
	size_t n;
	bool routes; /* a multicast router: any group may be forwarded */
	bool unknown; /* a file could not be read: assume receivable */
	bool read;
	uint64_t read_at;
};

struct cta_mcast {
	struct family_groups v4, v6;
};

int cta_mcast_new(struct cta_mcast **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void cta_mcast_free(struct cta_mcast *m)
{
	free(m);
}

/* A /proc listing, NUL-ended; NULL when unreadable or beyond 256 KiB (every group receivable). */
static char *slurp(const char *path)
{
	char *text;
	size_t len;

	return cta_read_file(path, 256u << 10, &text, &len) ? NULL : text;
}

static void reload(struct family_groups *fg, uint8_t family, uint64_t now_mono)
{
	char *groups = slurp(family == AF_INET ? "/proc/net/igmp" : "/proc/net/igmp6");
	char *vifs = slurp(family == AF_INET ? "/proc/net/ip_mr_vif" : "/proc/net/ip6_mr_vif");
	size_t n;

	fg->read = true;
	fg->read_at = now_mono;
	fg->unknown = !groups;
	n = groups ? cta_mcast_parse_groups(family, groups, fg->g, fg->ifindex, GROUPS_MAX) : 0;
	fg->unknown |= n > GROUPS_MAX; /* not all of them kept: assume any */
	fg->n = n > GROUPS_MAX ? GROUPS_MAX : n;
	/* no vif file: the kernel has no multicast routing */
	fg->routes = vifs && cta_mcast_parse_vifs(vifs);
	free(groups);
	free(vifs);
}

static bool holds(const struct family_groups *fg, uint8_t family, const union cta_addr *group,
		  uint32_t ifindex)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (fg->unknown || fg->routes)
		return true;
	for (size_t i = 0; i < fg->n; i++)
		if ((!ifindex || fg->ifindex[i] == ifindex) && !memcmp(fg->g[i].b, group->b, len))
			return true;
	return false;
}

bool cta_mcast_receivable(struct cta_mcast *m, uint8_t family, const union cta_addr *group,
			  uint32_t ifindex, uint64_t now_mono)
{
	struct family_groups *fg = family == AF_INET ? &m->v4 : &m->v6;

	if (family != AF_INET && family != AF_INET6)
		return true;
	if (!fg->read || now_mono - fg->read_at > RELOAD_NS)
		reload(fg, family, now_mono);
	if (holds(fg, family, group, ifindex))
		return true;
	/* joined since the last reading? (a group joined a moment ago) */
	if (now_mono - fg->read_at > MISS_RELOAD_NS) {
		reload(fg, family, now_mono);
		return holds(fg, family, group, ifindex);
	}
	return false;
}
