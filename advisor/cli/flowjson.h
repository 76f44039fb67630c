/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -j flows' items, fast: each flow's own fields (names, addresses, times, numbers)
 * written directly, its process and verdicts, which thousands of flows share, dumped
 * by jansson once each (cta_process_to_json, cta_verdict_to_json) and their text
 * reused. The bytes are those of cta_flow_to_json's object dumped in the document:
 * unit-flowjson compares them, flow by flow, on the session fixtures.
 */
#ifndef CTA_FLOWJSON_H
#define CTA_FLOWJSON_H

#include "advisor/cli/cli.h"
#include "advisor/model/flow.h"
#include "advisor/model/verdict.h"

struct cta_flowjson;

/*
 * The cache goes by address: the verdicts, processes and host names given must live
 * (and stay where they are) as long as fj. NULL when out of memory.
 */
struct cta_flowjson *cta_flowjson_new(void);
void cta_flowjson_free(struct cta_flowjson *fj);
static inline void cta_flowjson_freep(struct cta_flowjson **fj)
{
	cta_flowjson_free(*fj);
}

/*
 * One flow's text as it stands in the document ("    {" to "    }"; valid until the
 * next call), host its "host" key or NULL. An exit code.
 */
int cta_flowjson_text(struct cta_flowjson *fj, const struct cta_flow *f, const struct cta_vtally *t,
		      const struct cta_process *p, const char *host, const char **text,
		      size_t *len);
/* The same, added to the stream. An exit code. */
int cta_flowjson_item(struct cta_flowjson *fj, struct cta_jstream *js, const struct cta_flow *f,
		      const struct cta_vtally *t, const struct cta_process *p, const char *host);

#endif
