/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Grouping addresses into subnets: the hosts seen become prefixes where enough of a
 * prefix was seen, so a rule names 198.51.100.0/24 instead of forty hosts.
 */
#ifndef CTA_GROUP_H
#define CTA_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

/* A host (len 32 or 128) or a prefix, with the evidence of what was seen in it. */
struct cta_prefix {
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t len;
	union cta_addr addr; /* host bits zero */
	uint32_t hosts; /* distinct hosts seen in it */
	uint64_t connections, bytes;
	uint64_t first_ns, last_ns;
};

struct cta_group_opts {
	unsigned prefix4, prefix6; /* fold hosts into prefixes this long (24, 64) */
	unsigned min_hosts; /* ... when at least this many distinct hosts were seen (2) */
	unsigned merge4, merge6; /* adjacent prefixes merge no wider than this (16, 48) */
};

void cta_group_defaults(struct cta_group_opts *o);

/*
 * Fold the hosts (len = full length; duplicates allowed, their evidence adds up) into
 * prefixes: a prefix of opts' length replaces its hosts when at least min_hosts
 * distinct ones were seen; then two adjacent prefixes of equal length that together
 * form their parent merge into it, as long as the parent is no wider than the merge
 * limit; a host that stays alone stays a host. No prefix covers an address of
 * KEEP_OUT (n_keep_out of them, full length; NULL for none: the peers the service
 * denied while recording): the hosts of a prefix that would stay hosts, two prefixes
 * that would merge stay two. The input is sorted in place. *out is malloc'd, sorted by
 * family and address, disjoint. 0 or -ENOMEM.
 */
int cta_group_fold(const struct cta_group_opts *o, struct cta_prefix *hosts, size_t n,
		   const struct cta_prefix *keep_out, size_t n_keep_out, struct cta_prefix **out,
		   size_t *n_out);

/* Order by family, address, length. */
int cta_prefix_cmp(const struct cta_prefix *a, const struct cta_prefix *b);
/* Set a to its first len bits. */
void cta_addr_mask(union cta_addr *a, uint8_t family, unsigned len);
/* "198.51.100.0/24", or "198.51.100.7" for a host, into buf (at least 64 bytes). */
const char *cta_prefix_str(const struct cta_prefix *p, char *buf, size_t len);
/* Fold b's evidence into a. */
void cta_prefix_add(struct cta_prefix *a, const struct cta_prefix *b);

#endif
