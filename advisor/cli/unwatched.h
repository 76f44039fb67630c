/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What record, blame --live and review --live say of the chains the recording does not
 * (fully) watch: netdev, bridge, arp, ingress (advisor/model/ruleset.h), read from the
 * live ruleset, and what their rules counted meanwhile.
 */
#ifndef CTA_UNWATCHED_H
#define CTA_UNWATCHED_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The live ruleset's chains the recording does not watch (netdev, bridge, arp,
 * ingress: cta_ruleset_unwatched_text), into buf. Their count; 0 also when the
 * ruleset cannot be listed.
 */
size_t cta_unwatched_live(bool ingress_traced, char *buf, size_t len);

struct cta_ruleset;
/* The live ruleset with its counters (NULL when it cannot be listed or has no chain
 * the recording does not watch): the "before" of cta_unwatched_counted_since. */
struct cta_ruleset *cta_live_counted(void);
/*
 * The rules of unwatched chains whose counters grew since before (taken by
 * cta_live_counted, freed here; NULL: none), as cta_ruleset_unwatched_counted says
 * them, into buf. How many.
 */
size_t cta_unwatched_counted_since(struct cta_ruleset *before, char *buf, size_t len);

#endif
