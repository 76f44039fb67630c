/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CTA_UTIL_H
#define CTA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Parse a DURATION ("90", "30s", "10m", "2h") into milliseconds. */
int cta_parse_duration(const char *s, uint64_t *ms);

/* Parse a decimal unsigned integer in [min, max]. */
int cta_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Wall clock and monotonic clock in nanoseconds. */
uint64_t cta_now_real_ns(void);
uint64_t cta_now_mono_ns(void);

/* "2026-11-23T18:44:49.123Z" into buf (at least 32 bytes); 0 gives "". */
void cta_format_time(uint64_t ns, char *buf, size_t len);
/* The reverse; -EINVAL when s is not of that form. */
int cta_parse_time(const char *s, uint64_t *ns);

/*
 * Write len bytes to path atomically: a temporary file beside it, fsync, rename,
 * fsync of the directory. The file gets the given mode. 0 or -errno.
 */
int cta_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
