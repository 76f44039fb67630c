/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnftables in this network namespace, for review and apply: a dry run of a file
 * (the kernel checks the whole transaction and aborts it), listings, and running a
 * transaction of text.
 */
#ifndef CTA_NFTRUN_H
#define CTA_NFTRUN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * 0: the kernel would take the file as it is; -EINVAL with *errors (malloc'd) holding
 * nft's messages (file:line:col: Error: ...); -ENOMEM.
 */
int cta_nft_check_file(const char *path, char **errors);

/*
 * Run CMD, a listing ("list ruleset", "list table ip nat", ...), with output FLAGS
 * (NFT_CTX_OUTPUT_*) and give its text, malloc'd. In a child process (fork, no exec):
 * libnftables renders iptables-nft's xt matches and targets through libxtables, whose
 * state is global and made for the first family it renders (nftables 1.0.6, src/xt.c):
 * in one process, after an IPv4 table's xt targets, an IPv6 table's are "not found"
 * (on stderr) and its rules print without them (Docker's IPv6 DNAT as a bare counter),
 * and the other way round. So "list ruleset" goes family by family ("list ruleset ip",
 * "list ruleset ip6"... from "list tables", in their order), each in a child of its
 * own; libxtables' stderr goes nowhere. 0, -EPERM (nft refused it), -ENOMEM, -errno.
 */
int cta_nft_list_cmd(const char *cmd, unsigned flags, char **text);

/*
 * The tables there are, "table FAMILY NAME" per line, malloc'd: from a terse listing
 * in a child process ("list tables" fetches every set's elements, 0.3 s beside a set
 * of 60,000; a terse listing none). 0, -EPERM, -ENOMEM, -errno.
 */
int cta_nft_tables(char **text);

/* One listing command and its output flags (NFT_CTX_OUTPUT_*). */
struct cta_nft_cmd {
	const char *cmd;
	unsigned flags;
};

/*
 * Run the listings CMDS[0..n), all of tables of one family (see cta_nft_list_cmd: a
 * process renders one family's xt targets), one after the other in one child process;
 * their outputs appended in turn into *text, malloc'd. 0, -EPERM (nft refused one),
 * -ENOMEM, -errno.
 */
int cta_nft_list_cmds(const struct cta_nft_cmd *cmds, size_t n, char **text);

/* The ruleset (or, with family and table, one table) as text, malloc'd. 0 or -errno. */
int cta_nft_list(const char *family, const char *table, bool stateless, char **text);

/*
 * One table, stateless, as nft's JSON (libnftables-json(5)), malloc'd: nft loads it
 * back where it does not always load its text (nft 1.0.6 lists a DNAT to an address
 * range as a prefix, `dnat to 192.0.2.2/31:443`, and its parser refuses that), though
 * not an iptables-nft table's xt matches. 0 or -errno.
 */
int cta_nft_list_json(const char *family, const char *table, char **text);

/* Run text (nft's language, or its JSON) as one transaction. 0, or -EINVAL with *errors (malloc'd). */
int cta_nft_run(const char *text, char **errors);
/* The same with the file at path, as nft -f would run it. */
int cta_nft_run_file(const char *path, char **errors);

/*
 * The whole ruleset as `nft list ruleset`, malloc'd: as it is (counters, quotas: for
 * loading elsewhere), stateless (for comparing), or stateless with handles and numeric
 * priorities (for naming rules). 0 or -errno.
 */
enum cta_nft_listing { CTA_NFT_LIST_FULL, CTA_NFT_LIST_STATELESS, CTA_NFT_LIST_HANDLES };
int cta_nft_list_ruleset(enum cta_nft_listing how, char **text);

#endif
