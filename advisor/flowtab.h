/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table: conntrack events in, flows out. Beneath the flows it keeps the
 * connections it has seen by conntrack id, so counters (which the kernel reports
 * only in DESTROY events and dumps) are added once, as deltas.
 */
#ifndef CTA_FLOWTAB_H
#define CTA_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "flow.h"
#include "host.h"
#include "util.h"

struct cta_flowtab;

struct cta_flowtab_stats {
	uint64_t events[CTA_EV_CT_DUMP + 1]; /* by enum cta_event_type */
	uint64_t swept; /* connections that vanished during an overrun, closed by a dump */
};

struct cta_flowtab *cta_flowtab_new(void);
void cta_flowtab_free(struct cta_flowtab *ft);
static inline void cta_flowtab_freep(struct cta_flowtab **ft)
{
	cta_flowtab_free(*ft);
}

/* Apply one conntrack event. host decides the direction of new flows. 0 or -ENOMEM. */
int cta_flowtab_apply(struct cta_flowtab *ft, const struct cta_event *ev,
		      const struct cta_host *host);

/*
 * A dump is a full picture of the kernel's table: between begin and end, apply the
 * dump's events; end closes every open connection the dump did not contain (it ended
 * while events were being lost) and returns how many it closed.
 */
void cta_flowtab_dump_begin(struct cta_flowtab *ft);
uint64_t cta_flowtab_dump_end(struct cta_flowtab *ft);

/* Fold a finished flow (from a session) in, merging with an equal key. 0 or -ENOMEM. */
int cta_flowtab_merge(struct cta_flowtab *ft, const struct cta_flow *f);

size_t cta_flowtab_count(const struct cta_flowtab *ft);
/* Connections open right now, as far as the table knows. */
size_t cta_flowtab_open_connections(const struct cta_flowtab *ft);
/* The flows, in insertion order; valid until the next change. */
const struct cta_flow *cta_flowtab_flows(const struct cta_flowtab *ft);
/* A sorted copy (cta_flow_cmp), for output. The caller frees it. */
struct cta_flow *cta_flowtab_sorted(const struct cta_flowtab *ft, size_t *n);
const struct cta_flowtab_stats *cta_flowtab_stats(const struct cta_flowtab *ft);

#endif
