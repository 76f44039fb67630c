/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live ruleset as text, with handles, through libnftables; and a socket on the
 * nf_tables group, so a new generation (any committed change) is noticed. The text
 * is plain data: the model parses it (advisor/model/ruleset.h).
 */
#ifndef CTA_SNAPSHOT_H
#define CTA_SNAPSHOT_H

#include <stdbool.h>

struct cta_snapshot;

/* follow: also open the change socket (record; blame --live needs none). */
int cta_snapshot_new(struct cta_snapshot **out, bool follow);
void cta_snapshot_free(struct cta_snapshot *s);

/*
 * List the live ruleset: `nft -a -s list ruleset` with numeric priorities (rule
 * handles, no counters or quotas), the form cta_ruleset_add_text reads; the tool's
 * own tables (conntrack_advise*) without their sets' elements (each table then listed
 * on its own; snapshot.c). *text is the snapshot's, valid until the next take or
 * cta_snapshot_free. 0, -EPERM (the listing was refused) or -ENOMEM.
 */
int cta_snapshot_take(struct cta_snapshot *s, const char **text);

/*
 * The same listing with the rules' counters and quotas (not stateless): what the
 * chains the tool does not watch counted. As cta_snapshot_take.
 */
int cta_snapshot_take_counted(struct cta_snapshot *s, const char **text);

/* The change socket, for epoll; -1 when not following. */
int cta_snapshot_fd(const struct cta_snapshot *s);
/* Drain the change socket; true if a new generation was committed since. */
bool cta_snapshot_changed(struct cta_snapshot *s);

#endif
