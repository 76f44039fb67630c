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

static int list(unsigned flags, const char *family, const char *table, char **text)
{
	struct nft_ctx *c = ctx();
	char cmd[600];
	int rc = 0;

	*text = NULL;
	if (!c)
		return -ENOMEM;
	nft_ctx_output_set_flags(c, flags);
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
