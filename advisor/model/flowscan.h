/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a session's flows without building a JSON tree: a scan of the top-level
 * object for the "flows" array, and a strict reader for one flow object. Both only
 * say yes to what the general reader (session.c, jansson) accepts, with the same
 * result; anything else they leave to it, so its messages stay the only ones.
 */
#ifndef CTA_FLOWSCAN_H
#define CTA_FLOWSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advisor/model/flow.h"

/* A cursor through the top-level object, stopping at each element of "flows". */
struct cta_flowscan {
	const char *text, *end, *p;
	size_t flows_start, flows_end; /* the array's '[' and one past its ']' */
	size_t n; /* elements so far */
};

/* Scan to the "flows" array. 0; -EAGAIN when the text is not simple enough (or not JSON). */
int cta_flowscan_begin(const char *text, size_t len, struct cta_flowscan *sc);
/*
 * The next element: 1 with *elem at its '{' (tell where it ended with
 * cta_flowscan_done); 0 after the last, once the rest of the document was scanned
 * too (flows_end is set); -EAGAIN as above.
 */
int cta_flowscan_next(struct cta_flowscan *sc, const char **elem);
void cta_flowscan_done(struct cta_flowscan *sc, const char *elem_end);

/* One past the JSON value starting at p (after whitespace), or NULL if there is none. */
const char *cta_json_skip(const char *p, const char *end);

/*
 * The raw text of a flow's "verdicts" array, its "verdict" object (version 1) and its
 * "process" object (NULL when absent).
 */
struct cta_flow_raw {
	const char *verdicts, *verdict, *process;
	size_t vslen, vlen, plen;
	bool has_host_index; /* "host" was an index in "hosts" (version 2) */
	uint32_t host_index;
};

/*
 * Read the flow object at p. 0: f is filled (verdict and process 0), raw holds the
 * text of its objects, *next is one past the object, host its "host" (a merged
 * session's; "" when absent); -EAGAIN: read it the general way.
 */
int cta_flow_read_fast(const char *p, const char *end, struct cta_flow *f, struct cta_flow_raw *raw,
		       const char **next, char host[256]);

#endif
