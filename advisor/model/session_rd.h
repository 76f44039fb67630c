/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the session readers (session_read.c, session_fast.c): the reading state and
 * the checks both use, so a field is judged by one piece of code whichever reader met
 * it. Not for use outside advisor/model/session_*.c.
 */
#ifndef CTA_SESSION_RD_H
#define CTA_SESSION_RD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advisor/lib/jsonpos.h"
#include "advisor/model/session.h"

struct cta_rd {
	const char *name, *text;
	size_t len;
	struct cta_jpath path;
	struct cta_err *err;
	/* the flows' "host" names, until "hosts" is read: flow.host = 1 + index here */
	char **hostnames;
	size_t n_hostnames;
};

/* Fill rd->err with "name:line:col: path: what" at rd->path. -EBADMSG. */
int __attribute__((format(printf, 2, 3))) cta_rd_fail(struct cta_rd *rd, const char *fmt, ...);
/*
 * Find obj.key of the given type and push its path (the caller pops with
 * cta_rd_leave()). Absent and optional: *out = NULL, nothing pushed, 0.
 */
int cta_rd_enter(struct cta_rd *rd, json_t *obj, const char *key, json_type type, bool required,
		 json_t **out);
void cta_rd_leave(struct cta_rd *rd);
int cta_rd_uint(struct cta_rd *rd, json_t *obj, const char *key, bool required, uint64_t max,
		uint64_t *out);
int cta_rd_string(struct cta_rd *rd, json_t *obj, const char *key, bool required, const char **out);
/* flow.host while reading: a host given by its index in "hosts" (version 2) */
#define CTA_RD_HOST_INDEX 0x80000000u

/* The flow's host by name, noted for cta_rd_resolve_hosts(). 0 or -ENOMEM. */
int cta_rd_note_host(struct cta_rd *rd, const char *name, struct cta_flow *f);
/* Every flow's host name to its index in the session's hosts. */
int cta_rd_resolve_hosts(struct cta_rd *rd, struct cta_session *s);
void cta_rd_fini(struct cta_rd *rd);
/* One flow object's own fields (not its verdict or process) into f. */
int cta_rd_flow(struct cta_rd *rd, json_t *fo, struct cta_flow *f);
/* session_route.c: an optional interface name; a host's "routes" and "rules". */
int cta_rd_ifname(struct cta_rd *rd, json_t *obj, const char *key, char buf[CTA_IFNAMSIZ]);
int cta_rd_routing(struct cta_rd *rd, json_t *ho, struct cta_host *h);
/* A verdict or process object into a new value (session_verdict.c). */
int cta_rd_verdict(struct cta_rd *rd, json_t *o, struct cta_verdict **out);
int cta_rd_process(struct cta_rd *rd, json_t *o, struct cta_process **out);
/* The flow's "process" (NULL when absent). */
int cta_rd_flow_process(struct cta_rd *rd, json_t *fo, struct cta_process **out);
/*
 * The flow's "verdicts" counts into t; a version-1 flow's one "verdict" counts for
 * all its connections.
 */
int cta_rd_flow_verdicts(struct cta_rd *rd, json_t *fo, uint64_t connections, struct cta_vtally *t);
/* Everything but the flows: the header fields. */
int cta_rd_top(struct cta_rd *rd, json_t *top, struct cta_session *s);
/*
 * jansson's complaint about TEXT (LEN bytes, what it was given) as NAME:LINE:COL: …; a
 * number out of range names its field and the number. -EBADMSG.
 */
int cta_rd_syntax_error(const char *name, const char *text, size_t len, const json_error_t *jerr,
			struct cta_err *err);
/* A read that failed leaves nothing behind, and says so when memory ran out. */
int cta_rd_failed(const char *name, int rc, struct cta_session *s, struct cta_err *err);

#endif
