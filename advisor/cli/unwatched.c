// SPDX-License-Identifier: GPL-2.0-or-later
/* The chains the recording does not watch, read from the live ruleset: advisor/cli/unwatched.h. */
#include "advisor/cli/unwatched.h"

#include <linux/capability.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "advisor/model/ruleset.h"
#include "nft/snapshot.h"

/*
 * Can the ruleset be listed? Without CAP_NET_ADMIN libnftables says so on stderr
 * itself, before the command's own one-line reason: ask first.
 */
static bool may_list(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	return syscall(SYS_capget, &h, d) == 0 && (d[0].effective & (1u << CAP_NET_ADMIN));
}

size_t cta_unwatched_live(bool ingress_traced, char *buf, size_t len)
{
	struct cta_snapshot *snap = NULL;
	struct cta_ruleset *rs = cta_ruleset_new();
	const char *text;
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	if (rs && may_list() && cta_snapshot_new(&snap, false) == 0 &&
	    cta_snapshot_take(snap, &text) == 0 && cta_ruleset_add_text(rs, text) == 0)
		n = cta_ruleset_unwatched_text(rs, ingress_traced, buf, len);
	cta_snapshot_free(snap);
	cta_ruleset_free(rs);
	return n;
}

struct cta_ruleset *cta_live_counted(void)
{
	struct cta_snapshot *snap = NULL;
	struct cta_ruleset *rs = cta_ruleset_new();
	const char *text;
	char none[8];

	if (!rs || !may_list() || cta_snapshot_new(&snap, false) ||
	    cta_snapshot_take_counted(snap, &text) || cta_ruleset_add_text(rs, text) ||
	    !cta_ruleset_unwatched_text(rs, false, none, sizeof(none))) {
		cta_ruleset_free(rs);
		rs = NULL;
	}
	cta_snapshot_free(snap);
	return rs;
}

size_t cta_unwatched_counted_since(struct cta_ruleset *before, char *buf, size_t len)
{
	struct cta_ruleset *after = before ? cta_live_counted() : NULL;
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	if (after)
		n = cta_ruleset_unwatched_counted(before, after, buf, len);
	cta_ruleset_free(after);
	cta_ruleset_free(before);
	return n;
}
