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

/* Run text as one transaction. 0, or -EINVAL with *errors (malloc'd). */
int cta_nft_run(const char *text, char **errors);

#endif
