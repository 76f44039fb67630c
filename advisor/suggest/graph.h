/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow map: who talks to whom, as a Graphviz DOT graph built from the same rule
 * model suggest uses (sources grouped into subnets, services grouped by sources).
 */
#ifndef CTA_GRAPH_H
#define CTA_GRAPH_H

#include "advisor/lib/buf.h"
#include "advisor/suggest/ir.h"
#include "advisor/model/session.h"

/* The DOT text of the model of sessions s[0..n) into out (its oom flag tells). */
void cta_graph_dot(const struct cta_ir *ir, const struct cta_session *s, size_t n,
		   struct cta_buf *out);

#endif
