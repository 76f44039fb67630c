// SPDX-License-Identifier: GPL-2.0-or-later
/* What several commands do alike: read sessions, write what they made. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/cli/cli.h"
#include "advisor/model/merge.h"
#include "advisor/lib/util.h"

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
