/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Merging sessions (several hosts, several days) into one that keeps which host saw
 * what. Associative and deterministic: the same sessions, in any grouping and order,
 * give the same session.
 */
#ifndef CTA_MERGE_H
#define CTA_MERGE_H

#include "advisor/model/session.h"

/* out is a new session (free with cta_session_fini). 0 or -ENOMEM. */
int cta_session_merge(const struct cta_session *in, size_t n, struct cta_session *out);

#endif
