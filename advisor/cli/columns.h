/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text in aligned columns, for listings people read (flows' default view): rows are
 * kept until printed, since a column is as wide as its widest cell, so nothing (an
 * IPv6 address, a process name) is ever cut. Numbers can be right-aligned.
 */
#ifndef CTA_COLUMNS_H
#define CTA_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cta_columns;

/*
 * n columns with these headings; right[i]: column i right-aligned (may be NULL). The
 * strings are not copied: they must outlive the table. NULL when out of memory.
 */
struct cta_columns *cta_columns_new(size_t n, const char *const *heads, const bool *right);
void cta_columns_free(struct cta_columns *c);
/* Leave column i out of the output (a HOST column with one host). */
void cta_columns_hide(struct cta_columns *c, size_t i);

/* A row of n cells (copied; NULL is an empty cell). 0 or -ENOMEM. */
int cta_columns_add(struct cta_columns *c, const char *const *cells);
size_t cta_columns_rows(const struct cta_columns *c);

/* The headings and the rows, aligned, two spaces apart, no trailing blanks. 0 or -ENOMEM. */
int cta_columns_print(const struct cta_columns *c, FILE *out);

#endif
