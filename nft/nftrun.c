// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nftrun.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "advisor/lib/buf.h"

static struct nft_ctx *ctx(void)
{
	struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);

	if (c && (nft_ctx_buffer_output(c) || nft_ctx_buffer_error(c))) {
		nft_ctx_free(c);
		c = NULL;
	}
	return c;
}

static char *errors_of(struct nft_ctx *c)
{
	const char *e = nft_ctx_get_error_buffer(c);
	char *out = strdup(e && *e ? e : "nft refused it\n");
	size_t n = out ? strlen(out) : 0;

	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

int cta_nft_check_file(const char *path, char **errors)
{
	struct nft_ctx *c = ctx();
	int rc = 0;

	*errors = NULL;
	if (!c)
		return -ENOMEM;
	nft_ctx_set_dry_run(c, true);
	if (nft_run_cmd_from_filename(c, path)) {
		*errors = errors_of(c);
		rc = -EINVAL;
	}
	nft_ctx_free(c);
	return rc;
}

/* The child's side of in_child(): each command's output to OUT in turn; its exit status. */
static int child_lists(const struct cta_nft_cmd *cmds, size_t n, int out)
{
	struct nft_ctx *c = ctx();
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	/* libxtables' complaints ("XT target DNAT not found") go nowhere */
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	if (!c)
		return 3;
	for (size_t i = 0; i < n; i++) {
		const char *text;
		size_t len, at = 0;

		nft_ctx_output_set_flags(c, cmds[i].flags);
		if (nft_run_cmd_from_buffer(c, cmds[i].cmd))
			return 2;
		text = nft_ctx_get_output_buffer(c);
		len = text ? strlen(text) : 0;
		while (at < len) {
			ssize_t w = write(out, text + at, len - at);

			if (w < 0 && errno != EINTR)
				return 3;
			at += w > 0 ? (size_t)w : 0;
		}
	}
	return 0;
}

/*
 * Run the listings CMDS[0..n) one after the other in a child process of this one
 * (fork, no exec), their outputs appended to B. 0, -EPERM (nft refused one), -ENOMEM
 * or -errno.
 */
static int in_child(const struct cta_nft_cmd *cmds, size_t n, struct cta_buf *b)
{
	int p[2], status;
	char chunk[16384];
	ssize_t got;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		close(p[0]);
		_exit(child_lists(cmds, n, p[1]));
	}
	close(p[1]);
	while ((got = read(p[0], chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		cta_buf_add(b, chunk, (size_t)got);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 3 || got < 0)
		return -EIO;
	if (WEXITSTATUS(status) == 2)
		return -EPERM;
	return b->oom ? -ENOMEM : 0;
}

/*
 * What a listing's buffer b ends as: with rc 0 (and b whole), *text takes b's text
 * ("" when nothing came) and 0 is returned; otherwise b is freed and rc (-ENOMEM when
 * b ran out of memory) returned.
 */
static int hand_over(struct cta_buf *b, int rc, char **text)
{
	if (!rc && b->oom)
		rc = -ENOMEM;
	if (!rc && !b->p && !(b->p = strdup("")))
		rc = -ENOMEM;
	if (rc) {
		cta_buf_fini(b);
		return rc;
	}
	*text = b->p;
	return 0;
}

int cta_nft_tables(char **text)
{
	struct cta_buf b = { 0 }, names = { 0 };
	int rc;

	*text = NULL;
	/*
	 * a terse listing, in a child: "list tables" fetches every set's elements (0.3 s
	 * beside a set of 60,000), a terse listing none; its rules render in the child
	 */
	rc = in_child(&(struct cta_nft_cmd){ "list ruleset", NFT_CTX_OUTPUT_TERSE }, 1, &b);
	for (const char *l = b.p; !rc && l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		/* "table ip nat {" -> "table ip nat" */
		size_t n = strcspn(l, "{\n");

		while (n && l[n - 1] == ' ')
			n--;
		if (!strncmp(l, "table ", 6))
			cta_buf_printf(&names, "%.*s\n", (int)n, l);
	}
	cta_buf_fini(&b);
	return hand_over(&names, rc, text);
}

int cta_nft_list_cmds(const struct cta_nft_cmd *cmds, size_t n, char **text)
{
	struct cta_buf b = { 0 };
	int rc = n ? in_child(cmds, n, &b) : 0;

	*text = NULL;
	return hand_over(&b, rc, text);
}

int cta_nft_list_cmd(const char *cmd, unsigned flags, char **text)
{
	struct cta_buf b = { 0 };
	char *tables = NULL, fam[8][16];
	const char *line;
	size_t n = 0;
	int rc = 0;

	*text = NULL;
	if (strcmp(cmd, "list ruleset"))
		return cta_nft_list_cmds(&(struct cta_nft_cmd){ cmd, flags }, 1, text);
	/* family by family, each once, in the order their tables come */
	rc = cta_nft_tables(&tables);
	for (line = tables; !rc && line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char f[16], one[40];
		size_t k;

		if (sscanf(line, "table %15s", f) != 1)
			continue;
		for (k = 0; k < n && strcmp(fam[k], f); k++)
			;
		if (k < n || n == 8)
			continue;
		snprintf(fam[n++], sizeof(fam[0]), "%s", f);
		snprintf(one, sizeof(one), "list ruleset %s", f);
		rc = in_child(&(struct cta_nft_cmd){ one, flags }, 1, &b);
	}
	free(tables);
	return hand_over(&b, rc, text);
}

static int list(unsigned flags, const char *family, const char *table, char **text)
{
	char cmd[600];

	if (table)
		snprintf(cmd, sizeof(cmd), "list table %s %s", family, table);
	else
		snprintf(cmd, sizeof(cmd), "list ruleset");
	return cta_nft_list_cmd(cmd, flags, text);
}

int cta_nft_list(const char *family, const char *table, bool stateless, char **text)
{
	return list(stateless ? NFT_CTX_OUTPUT_STATELESS : 0, family, table, text);
}

int cta_nft_list_json(const char *family, const char *table, char **text)
{
	return list(NFT_CTX_OUTPUT_STATELESS | NFT_CTX_OUTPUT_JSON, family, table, text);
}

int cta_nft_list_ruleset(enum cta_nft_listing how, char **text)
{
	static const unsigned flags[] = {
		[CTA_NFT_LIST_FULL] = 0,
		[CTA_NFT_LIST_STATELESS] = NFT_CTX_OUTPUT_STATELESS,
		[CTA_NFT_LIST_HANDLES] = NFT_CTX_OUTPUT_STATELESS | NFT_CTX_OUTPUT_HANDLE |
					 NFT_CTX_OUTPUT_NUMERIC_PRIO,
	};

	return list(flags[how], NULL, NULL, text);
}

int cta_nft_run(const char *text, char **errors)
{
	struct nft_ctx *c = ctx();
	int rc = 0;

	*errors = NULL;
	if (!c)
		return -ENOMEM;
	/* JSON (cta_nft_list_json's): libnftables 1.0.6 parses it as such when its
	 * output is JSON too, as `nft -j -f` sets it */
	if (text[strspn(text, " \t\r\n")] == '{')
		nft_ctx_output_set_flags(c, nft_ctx_output_get_flags(c) | NFT_CTX_OUTPUT_JSON);
	if (nft_run_cmd_from_buffer(c, text)) {
		*errors = errors_of(c);
		rc = -EINVAL;
	}
	nft_ctx_free(c);
	return rc;
}

int cta_nft_run_file(const char *path, char **errors)
{
	struct nft_ctx *c = ctx();
	int rc = 0;

	*errors = NULL;
	if (!c)
		return -ENOMEM;
	if (nft_run_cmd_from_filename(c, path)) {
		*errors = errors_of(c);
		rc = -EINVAL;
	}
	nft_ctx_free(c);
	return rc;
}
