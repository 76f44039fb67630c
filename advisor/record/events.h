/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event stream of `record --events`: one JSON object per line for each connection
 * that starts or ends, for log shippers (docs/events.md, docs/schema/event.schema.json).
 */
#ifndef CTA_EVENTS_H
#define CTA_EVENTS_H

#include "advisor/lib/buf.h"
#include "nft/event.h"
#include "advisor/model/flow.h"

/*
 * Append the line for a conntrack NEW ("start") or DESTROY ("end") event; nothing for
 * others. host: the recording host's name; dir: the flow's direction.
 */
void cta_events_line(const struct cta_event *ev, const char *host, enum cta_direction dir,
		     struct cta_buf *out);

#endif
