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
 * The values before anything of the tool's: call before its table is made, whose
 * `ct original packets` switches accounting on in the kernel (nf_ct_set_acct) for good.
 * A sysctl not there yet (conntrack not loaded) is read by enable instead.
 */
void cta_sysctl_note(struct cta_sysctl *s);
/*
 * Turn on nf_conntrack_acct and nf_conntrack_timestamp for this namespace, keeping
 * the old values (cta_sysctl_note's, or the ones now). Call after conntrack is
 * loaded (the sysctls exist only then). 0 or -errno; on error nothing stays changed.
 */
int cta_sysctl_enable(struct cta_sysctl *s);
/* Put back what enable changed; safe to call twice. */
void cta_sysctl_restore(struct cta_sysctl *s);
const char *cta_sysctl_path(enum cta_sysctl_id id);
/*
 * How full conntrack's table is in the caller's namespace: nf_conntrack_count (entries
 * allocated now, dying ones that wait for their DESTROY to be delivered included) and
 * nf_conntrack_max (0: no limit), from /proc/sys/net/netfilter. 0 or -errno.
 */
int cta_sysctl_ct_fill(unsigned *count, unsigned *max);

#endif
