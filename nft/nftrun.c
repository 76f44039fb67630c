// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nftrun.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cta_nft_list(const char *family, const char *table, bool stateless, char **text)
{
	struct nft_ctx *c = ctx();
	char cmd[600];
	int rc = 0;

	*text = NULL;
	if (!c)
		return -ENOMEM;
	nft_ctx_output_set_flags(c, stateless ? NFT_CTX_OUTPUT_STATELESS : 0);
	if (table)
		snprintf(cmd, sizeof(cmd), "list table %s %s", family, table);
	else
		snprintf(cmd, sizeof(cmd), "list ruleset");
	if (nft_run_cmd_from_buffer(c, cmd)) {
		rc = -EPERM;
	} else {
		const char *out = nft_ctx_get_output_buffer(c);

		*text = strdup(out ? out : "");
		if (!*text)
			rc = -ENOMEM;
	}
	nft_ctx_free(c);
	return rc;
}

int cta_nft_run(const char *text, char **errors)
{
	struct nft_ctx *c = ctx();
	int rc = 0;

	*errors = NULL;
	if (!c)
		return -ENOMEM;
	if (nft_run_cmd_from_buffer(c, text)) {
		*errors = errors_of(c);
		rc = -EINVAL;
	}
	nft_ctx_free(c);
	return rc;
}
