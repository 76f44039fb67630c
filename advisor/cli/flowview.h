/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flows' default view: one short line per flow in aligned columns, counts in human
 * units. Built from the flows' JSON (the model -j prints), printed once every row is
 * known, since a column is as wide as its widest cell: addresses are never cut.
 */
#ifndef CTA_FLOWVIEW_H
#define CTA_FLOWVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct cta_flowview;

/* hosts: a HOST column (flows of several hosts). NULL when out of memory. */
struct cta_flowview *cta_flowview_new(bool hosts);
void cta_flowview_free(struct cta_flowview *v);

/* One flow (as cta_flow_to_json makes it, with "host" when hosts). 0 or -ENOMEM. */
int cta_flowview_add(struct cta_flowview *v, json_t *flow);

/* The header and every row, aligned; nothing at all without rows. */
void cta_flowview_print(const struct cta_flowview *v, FILE *out);

#endif
