// SPDX-License-Identifier: GPL-2.0-or-later
/* What several commands do alike: read sessions, write what they made. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/cli/cli.h"
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
	return CTA_EXIT_OK;
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
			cta_msg("%s: %s: %s", cmd->name, path, cta_write_strerror(rc));
			return CTA_EXIT_USAGE;
		}
		return CTA_EXIT_OK;
	}
	/* a failure stays on stdout's error flag: cta_stdout_finish says it */
	if (len)
		fwrite(data, 1, len, stdout);
	return CTA_EXIT_OK;
}

int cta_stdout_finish(int rc)
{
	int err = 0;

	if (fflush(stdout) != 0)
		err = errno;
	if (ferror(stdout) && !err)
		err = -1; /* failed earlier; the flush had nothing left to say why */
	if (fclose(stdout) != 0 && !err)
		err = errno;
	if (!err)
		return rc;
	/* a reader that went away (| head) ends a command quietly (SIGPIPE ignored) */
	if (err == EPIPE)
		return rc;
	cta_msg("standard output: %s: what was written is incomplete",
		err > 0 ? strerror(err) : "a write failed");
	return CTA_EXIT_USAGE;
}
