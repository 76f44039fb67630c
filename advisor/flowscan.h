/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a session's flows without building a JSON tree: a scan of the top-level
 * object for the "flows" array, and a strict reader for one flow object. Both only
 * say yes to what the general reader (session.c, jansson) accepts, with the same
 * result; anything else they leave to it, so its messages stay the only ones.
 */
#ifndef CTA_FLOWSCAN_H
#define CTA_FLOWSCAN_H

#include <stddef.h>

#include "flow.h"

struct cta_flowscan {
	size_t flows_start, flows_end; /* the array's '[' and one past its ']' */
	size_t *elems; /* offsets where each element starts */
	size_t n_elems;
};

/*
 * Find the top-level "flows" array and its elements. 0; -EAGAIN when the text is not
 * simple enough (or not JSON): read it the general way; -ENOMEM.
 */
int cta_flowscan_top(const char *text, size_t len, struct cta_flowscan *sc);
void cta_flowscan_fini(struct cta_flowscan *sc);

/* One past the JSON value starting at p (after whitespace), or NULL if there is none. */
const char *cta_json_skip(const char *p, const char *end);

/*
 * Read the flow object at p. 0: f is filled (verdict 0), and *verdict and *vlen give
 * the raw text of its "verdict" object (NULL when absent); -EAGAIN: read it the
 * general way.
 */
int cta_flow_read_fast(const char *p, const char *end, struct cta_flow *f, const char **verdict,
		       size_t *vlen);

#endif
