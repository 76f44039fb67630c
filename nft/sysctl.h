/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CTA_SYSCTL_H
#define CTA_SYSCTL_H

#include <stdbool.h>

enum cta_sysctl_id { CTA_SYSCTL_ACCT, CTA_SYSCTL_TIMESTAMP, CTA_SYSCTL_N };

struct cta_sysctl {
	int old[CTA_SYSCTL_N];
	bool saved[CTA_SYSCTL_N];
	bool changed[CTA_SYSCTL_N];
};

/*
 * Turn on nf_conntrack_acct and nf_conntrack_timestamp for this namespace, keeping
 * the old values. Call after conntrack is loaded (the sysctls exist only then).
 * 0 or -errno; on error nothing stays changed.
 */
int cta_sysctl_enable(struct cta_sysctl *s);
/* Put back what enable changed; safe to call twice. */
void cta_sysctl_restore(struct cta_sysctl *s);
const char *cta_sysctl_path(enum cta_sysctl_id id);

#endif
