/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Merging sessions (several hosts, several days) into one that keeps which host saw
 * what. Associative and deterministic: the same sessions, in any grouping and order,
 * give the same session.
 */
#ifndef CTA_MERGE_H
#define CTA_MERGE_H

#include "advisor/model/session.h"

/*
 * out is a new session (free with cta_session_fini). 0, -ENOMEM, or -EEXIST when one
 * recording is in two of the inputs (cta_session_merge_dup() says which): its flows
 * would count twice. Sessions of format version 1 carry no recording id and are not
 * checked.
 */
int cta_session_merge(const struct cta_session *in, size_t n, struct cta_session *out);
/* A recording two inputs share: true with their positions *a < *b and its id. */
bool cta_session_merge_dup(const struct cta_session *in, size_t n, size_t *a, size_t *b,
			   const char **id);

#endif
