/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growing text buffer that remembers running out of memory instead of failing each call. */
#ifndef CTA_BUF_H
#define CTA_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct cta_buf {
	char *p; /* NUL-terminated once anything was added */
	size_t len, cap;
	bool oom;
};

void cta_buf_add(struct cta_buf *b, const char *s, size_t n);
void cta_buf_str(struct cta_buf *b, const char *s);
void cta_buf_printf(struct cta_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cta_buf_fini(struct cta_buf *b);

#endif
