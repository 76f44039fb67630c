// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/snapshot.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "nft/nlsock.h"

struct cta_snapshot {
	struct nft_ctx *nft;
	struct cta_nlsock *changes;
	bool changed;
};

int cta_snapshot_new(struct cta_snapshot **out, bool follow)
{
	struct cta_snapshot *s = calloc(1, sizeof(*s));
	unsigned group = NFNLGRP_NFTABLES;
	int err = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!s->nft || nft_ctx_buffer_output(s->nft) || nft_ctx_buffer_error(s->nft)) {
		cta_snapshot_free(s);
		return -ENOMEM;
	}
	if (follow)
		err = cta_nlsock_open(&s->changes, &group, 1, 1 << 20);
	if (err) {
		cta_snapshot_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void cta_snapshot_free(struct cta_snapshot *s)
{
	if (!s)
		return;
	if (s->nft)
		nft_ctx_free(s->nft);
	cta_nlsock_free(s->changes);
	free(s);
}

/*
 * One listing gives rule texts and base chains: text, stateless (counters and quotas
 * would make a rule's text change with traffic), numeric priorities. Not the JSON
 * listing: libnftables 1.0.6 reads freed memory while dumping it (valgrind), which
 * corrupted the heap in a test run.
 */
static int take(struct cta_snapshot *s, const char **text, unsigned flags)
{
	*text = NULL;
	nft_ctx_output_set_flags(s->nft,
				 NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_NUMERIC_PRIO | flags);
	if (nft_run_cmd_from_buffer(s->nft, "list ruleset") != 0) {
		nft_ctx_get_error_buffer(s->nft);
		return -EPERM;
	}
	*text = nft_ctx_get_output_buffer(s->nft);
	return *text ? 0 : -ENOMEM;
}

int cta_snapshot_take(struct cta_snapshot *s, const char **text)
{
	return take(s, text, NFT_CTX_OUTPUT_STATELESS);
}

int cta_snapshot_take_counted(struct cta_snapshot *s, const char **text)
{
	return take(s, text, 0);
}

int cta_snapshot_fd(const struct cta_snapshot *s)
{
	return s->changes ? cta_nlsock_fd(s->changes) : -1;
}

static void on_change(const struct nlmsghdr *nlh, void *data)
{
	struct cta_snapshot *s = data;

	const struct nlattr *a;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN)
		return;
	/* our own commits (the seen sets flushed) change no verdict */
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID && mnl_attr_get_payload_len(a) >= 4 &&
		    ntohl(mnl_attr_get_u32(a)) == (uint32_t)getpid())
			return;
	}
	s->changed = true;
}

bool cta_snapshot_changed(struct cta_snapshot *s)
{
	bool changed;

	if (!s->changes)
		return false;
	/* an overrun lost some messages: a change among them is assumed */
	if (cta_nlsock_read(s->changes, on_change, s, NULL) == -ENOBUFS)
		s->changed = true;
	changed = s->changed;
	s->changed = false;
	return changed;
}
