// SPDX-License-Identifier: GPL-2.0-or-later
/* What several commands do alike: read sessions, write what they made. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "advisor/cli/cli.h"
#include "advisor/model/merge.h"
#include "advisor/lib/util.h"
#include "advisor/model/ruleset.h"
#include "nft/snapshot.h"

int cta_load_sessions(const struct cta_cmd *cmd, char **paths, size_t n, struct cta_session **out)
{
	struct cta_session *s = calloc(n ? n : 1, sizeof(*s));

	*out = s;
	if (!s) {
		cta_msg("%s: out of memory", cmd->name);
		return CTA_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct cta_err err;
		int e = cta_session_load(paths[i], &s[i], &err);

		if (e) {
			cta_msg("%s: %s", cmd->name, err.msg);
			return e == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
		}
	}
	return cta_sessions_distinct(cmd->name, paths, s, n);
}

int cta_sessions_distinct(const char *what, char *const *paths, const struct cta_session *s,
			  size_t n)
{
	size_t a, b;
	const char *id;

	if (!cta_session_merge_dup(s, n, &a, &b, &id))
		return CTA_EXIT_OK;
	cta_msg("%s: %s and %s hold the same recording (%s): its connections would count twice",
		what, paths[a], paths[b], id);
	return CTA_EXIT_USAGE;
}

void cta_free_sessions(struct cta_session *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		cta_session_fini(&s[i]);
	free(s);
}

int cta_write_output(const struct cta_cmd *cmd, const char *path, const char *data, size_t len,
		     unsigned mode)
{
	int rc;

	if (path) {
		rc = cta_write_atomic(path, data ? data : "", len, mode);
		if (rc) {
			cta_msg("%s: %s: %s", cmd->name, path, strerror(-rc));
			return CTA_EXIT_USAGE;
		}
		return CTA_EXIT_OK;
	}
	if ((len && fwrite(data, 1, len, stdout) != len) || fflush(stdout)) {
		cta_msg("%s: standard output: %s", cmd->name, strerror(errno));
		return CTA_EXIT_USAGE;
	}
	return CTA_EXIT_OK;
}

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
