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

/* Parse a DURATION ("90", "30s", "10m", "2h", "1d") into milliseconds. */
int cta_parse_duration(const char *s, uint64_t *ms);

/* Parse a decimal unsigned integer in [min, max]. */
int cta_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Wall clock and monotonic clock in nanoseconds. */
uint64_t cta_now_real_ns(void);
uint64_t cta_now_mono_ns(void);
/*
 * NOW - THEN in ns, 0 when THEN is later: a time read before an event was stamped
 * (the clock read, then messages judged at a later reading) is no wrap to 2^64.
 */
static inline uint64_t cta_elapsed_ns(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/*
 * The file name of a rotated recording's period starting at ns (wall clock): pattern
 * through strftime() in UTC ("s-%Y%m%d.json" gives "s-20261129.json"); a pattern
 * without '%' in its last component gets "-%Y%m%dT%H%M%SZ" before its extension.
 * 0, -ENAMETOOLONG (buf of size too small) or -EINVAL (no file name).
 */
int cta_rotated_name(const char *pattern, uint64_t ns, char *buf, size_t size);

/*
 * Counts for people, rounded down: "999", "1.2k", "34k", "1.2M" (powers of 1000); and
 * bytes: "512 B", "6.8 KiB", "34 KiB", "3.4 MiB" (powers of 1024). One decimal under
 * 10 of the unit. -j output stays exact; these are for the terminal.
 */
void cta_human_count(uint64_t n, char *buf, size_t len);
void cta_human_bytes(uint64_t n, char *buf, size_t len);

/* "2026-11-23T18:44:49.123Z" into buf (at least 32 bytes); 0 gives "". */
void cta_format_time(uint64_t ns, char *buf, size_t len);
/* The reverse; -EINVAL when s is not of that form. */
int cta_parse_time(const char *s, uint64_t *ns);

/*
 * What the tool writes to, and how: a regular file (or nothing yet) is replaced
 * atomically; a character device or a pipe (/dev/null, /dev/stdout on a terminal, a
 * FIFO) is written through, never replaced nor truncated; a symbolic link is followed
 * only when it and every link after it belong to the caller or to root, and then its
 * target gets the same rule (a regular file target is replaced, the link stays);
 * anything else (a directory, a block device, a socket) is refused.
 *
 * cta_output_resolve: CTA_OUT_FILE with real set to the file to replace (the link's
 * target), CTA_OUT_STREAM (real = path), or -ELOOP (a link of another user), -EINVAL
 * (a kind of file that is refused), -EISDIR, -ENOENT (a dangling link), -errno.
 */
enum { CTA_OUT_FILE = 1, CTA_OUT_STREAM = 2 };
int cta_output_resolve(const char *path, char *real, size_t len);

/*
 * cta_write_atomic's error when PATH's directory is there but will not take the
 * temporary file beside PATH (procfs and sysfs make none and say ENOENT; a directory
 * the caller may not write): -(CTA_EWRITE_TMP | errno), for cta_write_strerror.
 */
#define CTA_EWRITE_TMP 0x10000

/*
 * The tool's words for those errors (-ELOOP, -EINVAL, CTA_EWRITE_TMP's, ...), else
 * strerror. A static buffer: valid until the next call.
 */
const char *cta_write_strerror(int err);

/*
 * Write len bytes to path by the rule above: a file is replaced atomically (a
 * temporary file beside it, fsync, rename, fsync of the directory, with the given
 * mode; temporaries left by a killed earlier write of the same file are removed first);
 * a device or pipe is written through. 0 or -errno (with CTA_EWRITE_TMP: the temporary
 * file could not be made; say it with cta_write_strerror).
 */
/* All LEN bytes of DATA to FD, across short writes and EINTR. 0 or -errno. */
int cta_write_all(int fd, const void *data, size_t len);
/*
 * The whole of the file at path into *text (malloc'd, NUL-ended; *len bytes without
 * the NUL). 0, -errno, or -EFBIG when it holds more than max bytes (nothing kept: a
 * cut text would be read as if whole).
 */
int cta_read_file(const char *path, size_t max, char **text, size_t *len);
int cta_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Open path to append to, by the same rule (a file is created with mode). fd or -errno. */
int cta_open_append(const char *path, unsigned mode);

/*
 * How long (ms) to let messages gather after reading before waiting for more, when
 * msgs messages came in the last span_ns: one wake-up then reads hundreds of messages
 * in a few recvmmsg() calls instead of one each. Waking up per message is most of the
 * cost of an event (epoll, the scheduler, the syscalls), and each wake-up starts with
 * cold caches, so the pause aims at CTA_GATHER_MSGS messages a wake-up at the rate
 * just seen: 50 ms up to 10000 messages a second, 10 ms from 50000. Much larger
 * batches no longer fit the caches (bench/). The receive buffers hold far more: 10 ms
 * of 200000 conntrack events a second is 2000 messages, about 2 MiB, and the
 * recorder's sockets get 64 MiB (conntrack events), 32 (traces) and 16 (NFLOG), twice
 * what they ask for.
 */
#define CTA_GATHER_MSGS 500
#define CTA_GATHER_MIN_MS 10
#define CTA_GATHER_MAX_MS 50
int cta_gather_ms(uint64_t msgs, uint64_t span_ns);

#endif
