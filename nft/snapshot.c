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

#include "advisor/lib/buf.h"
#include "nft/nftrun.h"
#include "nft/nlsock.h"
#include "nft/table.h"

struct cta_snapshot {
	struct cta_nlsock *changes;
	bool changed;
	char *text; /* the last listing put together (take), or NULL */
};

int cta_snapshot_new(struct cta_snapshot **out, bool follow)
{
	struct cta_snapshot *s = calloc(1, sizeof(*s));
	unsigned group = NFNLGRP_NFTABLES;
	int err = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
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
	cta_nlsock_free(s->changes);
	free(s->text);
	free(s);
}

/*
 * Run the listing CMD with FLAGS and append its output to out: rule
 * texts and base chains as text, with handles and numeric priorities (and, for
 * take, stateless: counters and quotas would make a rule's text change with
 * traffic). Not the JSON listing: libnftables 1.0.6 reads freed memory while dumping
 * it (valgrind), which corrupted the heap in a test run. 0, -EPERM (refused), -ENOMEM.
 */
static int run_append(const char *cmd, unsigned flags, struct cta_buf *out)
{
	char *text = NULL;
	int err;

	/* in a child process, family by family: nftrun.h says why (xt targets) */
	err = cta_nft_list_cmd(cmd, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_NUMERIC_PRIO | flags,
			       &text);
	if (err)
		return err == -ENOMEM ? err : -EPERM;
	cta_buf_str(out, text);
	free(text);
	return out->oom ? -ENOMEM : 0;
}

/*
 * Is LINE of a listing a table's first, "table FAMILY NAME {"? Then is *own whether it
 * is one of the tool's own tables (record's, blame --live's: their sets hold an
 * element per flow, which nobody reads from a ruleset listing).
 */
static bool table_line(const char *line, bool *own)
{
	const char *name = strchr(line, ' ');
	size_t len;

	if (strncmp(line, "table ", 6) || !name || !(name = strchr(name + 1, ' ')))
		return false;
	name++;
	len = strcspn(name, " \n");
	*own = len >= strlen(CTA_TABLE_NAME) &&
	       !strncmp(name, CTA_TABLE_NAME, strlen(CTA_TABLE_NAME));
	return true;
}

/*
 * `list ruleset`, but the tool's own tables without their set elements. The kernel
 * sends a set's elements in batches and walks the set from its start for each, and
 * libnftables formats every one: with record's counting sets at 60,000 flows, one
 * listing after a ruleset change cost record 3 s of CPU (a host whose fail2ban bans
 * an address every few seconds kept it busy). A terse listing (cta_nft_tables) says
 * which tables there are; those of one family are listed in one child process
 * (cta_nft_list_cmds: a process renders one family's xt targets), each table whole,
 * the tool's terse (no elements). One fork per family, not per table: a fork makes
 * every page of record copy-on-write again (28 ms of its CPU per ruleset change with
 * a fork per table, beside 5 tables). When a table's listing is refused (gone since,
 * or a name `list table` cannot take), `list ruleset` of everything instead: no host
 * table is ever left out.
 */
static int take(struct cta_snapshot *s, const char **text, unsigned flags)
{
	unsigned f = NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_NUMERIC_PRIO | flags;
	char *tables = NULL, *part;
	struct cta_buf out = { 0 };
	int err;

	*text = NULL;
	free(s->text);
	s->text = NULL;
	err = cta_nft_tables(&tables);
	for (char *fam = tables; !err && fam && *fam;
	     fam = strchr(fam, '\n') ? strchr(fam, '\n') + 1 : NULL) {
		struct cta_nft_cmd cmds[64];
		char names[64][300];
		size_t n = 0, flen = strcspn(fam + 6, " ");
		bool first = true;

		if (strncmp(fam, "table ", 6))
			continue;
		/* the first table of its family: gather the family's tables */
		for (const char *l = tables; l != fam && first; l = strchr(l, '\n') + 1)
			first = strncmp(l + 6, fam + 6, flen + 1) != 0;
		for (const char *l = fam; first && l && *l && !err;
		     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			bool own;

			if (strncmp(l, fam, 6 + flen + 1) || !table_line(l, &own))
				continue;
			if (n == 64) {
				err = -EPERM; /* so many: one listing of everything, below */
				break;
			}
			snprintf(names[n], sizeof(names[n]), "list %.*s", (int)strcspn(l, "\n"), l);
			cmds[n] = (struct cta_nft_cmd){ names[n],
							f | (own ? NFT_CTX_OUTPUT_TERSE : 0) };
			n++;
		}
		if (!first || err)
			continue;
		err = cta_nft_list_cmds(cmds, n, &part);
		if (!err) {
			cta_buf_str(&out, part);
			free(part);
			err = out.oom ? -ENOMEM : 0;
		}
	}
	if (err == -EPERM) {
		/* a table that would not list alone: everything, its elements too */
		cta_buf_fini(&out);
		err = run_append("list ruleset", flags, &out);
	}
	free(tables);
	if (err) {
		cta_buf_fini(&out);
		return err;
	}
	s->text = out.p ? out.p : strdup("");
	*text = s->text;
	return s->text ? 0 : -ENOMEM;
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
