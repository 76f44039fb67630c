/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live ruleset, with handles, through libnftables; and a socket on the
 * nf_tables group, so a new generation (any committed change) is noticed.
 */
#ifndef CTA_SNAPSHOT_H
#define CTA_SNAPSHOT_H

#include <stdbool.h>

#include "advisor/model/ruleset.h"

struct cta_snapshot;

/* follow: also open the change socket (record; blame --live needs none). */
int cta_snapshot_new(struct cta_snapshot **out, bool follow);
void cta_snapshot_free(struct cta_snapshot *s);

/* List the ruleset into rs (texts are added, never dropped). 0 or -errno. */
int cta_snapshot_take(struct cta_snapshot *s, struct cta_ruleset *rs);

/* The change socket, for epoll; -1 when not following. */
int cta_snapshot_fd(const struct cta_snapshot *s);
/* Drain the change socket; true if a new generation was committed since. */
bool cta_snapshot_changed(struct cta_snapshot *s);

#endif
