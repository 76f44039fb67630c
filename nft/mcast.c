// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/mcast.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

/* The whole of a /proc file (small: NULL beyond 256 KiB, or unreadable), NUL-ended. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, cap = 4096;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + len, 1, cap - len - 1, f);

		len += got;
		if (got == 0 || len + 1 < cap)
			break;
		if (cap >= 256 * 1024) { /* not all of it: as if unreadable (receivable) */
			free(buf);
			buf = NULL;
			break;
		}
		char *b = realloc(buf, cap * 2);

		if (!b) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = b;
		cap *= 2;
	}
	if (buf)
		buf[len] = '\0';
	fclose(f);
	return buf;
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
