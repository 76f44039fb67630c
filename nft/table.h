/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tool's own nf_tables table, `inet conntrack_advise`, created with the owner
 * flag: the kernel deletes it when the socket that created it closes, whatever
 * happens to the process. Keep the object alive for the whole session.
 */
#ifndef CTA_TABLE_H
#define CTA_TABLE_H

#include <stdint.h>

#define CTA_TABLE_NAME "conntrack_advise"

struct cta_table;

struct cta_table_error {
	char object[64]; /* which message of the batch failed, e.g. "chain new_output" */
};

/*
 * Create the table and its chains in one batch. Returns 0 or -errno:
 * -EPERM no CAP_NET_ADMIN, -EBUSY/-EEXIST the table is there already (another recorder in
 * this namespace), -EOPNOTSUPP/-EINVAL the kernel refused a feature. On error,
 * err->object names the part the kernel refused.
 */
int cta_table_new(struct cta_table **out, struct cta_table_error *err);
void cta_table_free(struct cta_table *t);

#endif
