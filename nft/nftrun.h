/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnftables in this network namespace, for review and apply: a dry run of a file
 * (the kernel checks the whole transaction and aborts it), listings, and running a
 * transaction of text.
 */
#ifndef CTA_NFTRUN_H
#define CTA_NFTRUN_H

#include <stdbool.h>

/*
 * 0: the kernel would take the file as it is; -EINVAL with *errors (malloc'd) holding
 * nft's messages (file:line:col: Error: ...); -ENOMEM.
 */
int cta_nft_check_file(const char *path, char **errors);

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
