/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flows' default view: one short line per flow in aligned columns (protocol,
 * direction, source, destination:port, connections, packets and bytes both ways,
 * connections by verdict, process), counts in human units. `flows -o extended` keeps
 * the long conntrack-like line; -j stays exact.
 */
#ifndef CTA_FLOWVIEW_H
#define CTA_FLOWVIEW_H

#include "advisor/cli/columns.h"
#include "advisor/model/flow.h"
#include "advisor/model/verdict.h"

/* The view's columns; the HOST one is hidden unless hosts. NULL when out of memory. */
struct cta_columns *cta_flowview_new(bool hosts);

/* One flow's row (t, p and host may be NULL). 0 or -ENOMEM. */
int cta_flowview_add(struct cta_columns *c, const struct cta_flow *f, const struct cta_vtally *t,
		     const struct cta_process *p, const char *host);

#endif
