// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

int cta_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cta_parse_duration(const char *s, uint64_t *ms)
{
	char num[24];
	size_t n = 0;
	uint64_t v, unit = 1000;
	int err;

	if (!s)
		return -EINVAL;
	while (s[n] && isdigit((unsigned char)s[n]))
		n++;
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	switch (s[n]) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60 * 1000;
		break;
	case 'h':
		unit = 3600 * 1000;
		break;
	case 'd':
		unit = 24 * 3600 * 1000;
		break;
	default:
		return -EINVAL;
	}
	if (s[n] && s[n + 1])
		return -EINVAL;
	/* a year is more than anyone records for; it keeps the products small */
	err = cta_parse_uint(num, 0, 366ULL * 24 * 3600, &v);
	if (err)
		return err;
	if (v * unit > 366ULL * 24 * 3600 * 1000)
		return -ERANGE;
	*ms = v * unit;
	return 0;
}

int cta_rotated_name(const char *pattern, uint64_t ns, char *buf, size_t size)
{
	static const char stamp[] = "-%Y%m%dT%H%M%SZ";
	char fmt[PATH_MAX];
	const char *base = strrchr(pattern, '/'), *dot;
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	base = base ? base + 1 : pattern;
	if (!*base)
		return -EINVAL;
	if (strchr(base, '%')) {
		if (strlen(pattern) >= sizeof(fmt))
			return -ENAMETOOLONG;
		strcpy(fmt, pattern);
	} else {
		/* no date in the name: one goes before the extension */
		dot = strrchr(base, '.');
		n = dot && dot != base ? (size_t)(dot - pattern) : strlen(pattern);
		if ((size_t)snprintf(fmt, sizeof(fmt), "%.*s%s%s", (int)n, pattern, stamp,
				     pattern + n) >= sizeof(fmt))
			return -ENAMETOOLONG;
	}
	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	n = strftime(buf, size, fmt, &tm);
	/* 0 is also what a pattern giving "" returns: neither is a file name */
	return n ? 0 : -ENAMETOOLONG;
}

/* n / unit with one decimal under 10 ("3.4"), none from 10 ("34"), rounded down */
static void scaled(uint64_t n, uint64_t unit, const char *suffix, char *buf, size_t len)
{
	/* no overflow: the remainder is below unit, and unit * 10 fits (unit <= 2^60) */
	uint64_t tenths = n / unit * 10 + n % unit * 10 / unit;

	if (tenths < 100)
		snprintf(buf, len, "%llu.%llu%s", (unsigned long long)(tenths / 10),
			 (unsigned long long)(tenths % 10), suffix);
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)(n / unit), suffix);
}

void cta_human_count(uint64_t n, char *buf, size_t len)
{
	static const char *const sfx[] = { "k", "M", "G", "T", "P", "E" };
	uint64_t unit = 1000;
	size_t i = 0;

	if (n < 1000) {
		snprintf(buf, len, "%llu", (unsigned long long)n);
		return;
	}
	while (i + 1 < ARRAY_SIZE(sfx) && n / unit >= 1000) {
		unit *= 1000;
		i++;
	}
	scaled(n, unit, sfx[i], buf, len);
}

void cta_human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const sfx[] = { " KiB", " MiB", " GiB", " TiB", " PiB", " EiB" };
	uint64_t unit = 1024;
	size_t i = 0;

	if (n < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)n);
		return;
	}
	while (i + 1 < ARRAY_SIZE(sfx) && n / unit >= 1024) {
		unit *= 1024;
		i++;
	}
	scaled(n, unit, sfx[i], buf, len);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t cta_now_real_ns(void)
{
	return now_ns(CLOCK_REALTIME);
}

uint64_t cta_now_mono_ns(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

void cta_format_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char base[24];

	if (!ns || !gmtime_r(&sec, &tm) ||
	    !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm)) {
		if (len)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%s.%03uZ", base, (unsigned)(ns / 1000000ULL % 1000));
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * The form the tool writes, "2026-11-23T18:44:49.123Z", without strptime and timegm
 * (a session of a million flows has two million of these). Anything else: -EAGAIN,
 * and the general path decides.
 */
static int parse_time_fast(const char *s, uint64_t *ns)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = digits(s, 4), mo, d, h, mi, sec, ms = 0;
	size_t n = strlen(s);
	uint64_t secs;

	if ((n != 20 && n != 24) || y < 1970 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z')
		return -EAGAIN;
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (n == 24 && (s[19] != '.' || (ms = digits(s + 20, 3)) < 0))
		return -EAGAIN;
	if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
	    sec > 59)
		return -EAGAIN;
	if ((unsigned)d > mdays[mo - 1] + (mo == 2 && (y % 4 == 0 && (y % 100 || y % 400 == 0))))
		return -EAGAIN;
	secs = (uint64_t)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400ULL +
	       (uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)sec;
	if (secs >= UINT64_MAX / 1000000000ULL)
		return -ERANGE;
	*ns = secs * 1000000000ULL + (uint64_t)ms * 1000000ULL;
	return 0;
}

int cta_parse_time(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	unsigned ms = 0;
	const char *end;
	time_t sec;

	int rc = parse_time_fast(s, ns);

	if (rc != -EAGAIN)
		return rc;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	if (*end == '.') {
		if (!isdigit((unsigned char)end[1]) || !isdigit((unsigned char)end[2]) ||
		    !isdigit((unsigned char)end[3]))
			return -EINVAL;
		ms = (unsigned)((end[1] - '0') * 100 + (end[2] - '0') * 10 + (end[3] - '0'));
		end += 4;
	}
	if (strcmp(end, "Z") != 0)
		return -EINVAL;
	sec = timegm(&tm);
	/* nanoseconds since 1970 in 64 bits end in 2554: refuse what cannot round-trip */
	if (sec < 0 || (uint64_t)sec >= UINT64_MAX / 1000000000ULL)
		return -ERANGE;
	*ns = (uint64_t)sec * 1000000000ULL + ms * 1000000ULL;
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, err = 0;

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Follow path's chain of symbolic links while each belongs to the caller or to root
 * (the rule fs.protected_symlinks applies in sticky directories, here everywhere: a
 * link another user planted never steers the tool). -ELOOP for a link that does not.
 */
static int links_trusted(const char *path)
{
	char cur[PATH_MAX], next[PATH_MAX];

	if (strlen(path) >= sizeof(cur))
		return -ENAMETOOLONG;
	strcpy(cur, path);
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		ssize_t n;

		if (lstat(cur, &st) < 0)
			return errno == ENOENT ? 0 : -errno;
		if (!S_ISLNK(st.st_mode))
			return 0;
		if (st.st_uid != geteuid() && st.st_uid != 0)
			return -ELOOP;
		n = readlink(cur, next, sizeof(next) - 1);
		if (n < 0)
			return -errno;
		next[n] = '\0';
		if (next[0] != '/') {
			char *slash = strrchr(cur, '/');
			size_t keep = slash ? (size_t)(slash - cur) + 1 : 0;

			if (keep + (size_t)n >= sizeof(cur))
				return -ENAMETOOLONG;
			memmove(cur + keep, next, (size_t)n + 1);
		} else {
			strcpy(cur, next);
		}
	}
	return -ELOOP;
}

int cta_output_resolve(const char *path, char *real, size_t len)
{
	struct stat st;
	int err;

	if (!path || !*path)
		return -ENOENT;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return -errno;
		if (snprintf(real, len, "%s", path) >= (int)len)
			return -ENAMETOOLONG;
		return CTA_OUT_FILE;
	}
	if (S_ISLNK(st.st_mode)) {
		err = links_trusted(path);
		if (err)
			return err;
		if (stat(path, &st) < 0)
			return -errno; /* ENOENT: a dangling link */
	}
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (snprintf(real, len, "%s", path) >= (int)len)
			return -ENAMETOOLONG;
		return CTA_OUT_STREAM;
	}
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (len < PATH_MAX)
		return -ENAMETOOLONG;
	/* the file itself, or a trusted link's target: that is what gets replaced */
	if (!realpath(path, real))
		return -errno;
	return CTA_OUT_FILE;
}

const char *cta_write_strerror(int err)
{
	static char buf[300];

	if (err < 0 && (-err & CTA_EWRITE_TMP)) {
		int e = -err & ~CTA_EWRITE_TMP;

		snprintf(buf, sizeof(buf),
			 "cannot be written as the tool writes files (a new file beside it, "
			 "renamed over it): %s%s",
			 e == ENOENT ? "its directory makes no new files (as in /proc and /sys)"
				     : "its directory refused the new file: ",
			 e == ENOENT ? "" : strerror(e));
		return buf;
	}
	switch (err) {
	case -ELOOP:
		return "a symbolic link that belongs to another user (refused; give the path "
		       "it points to)";
	case -EINVAL:
		return "not a regular file, character device or pipe (refused)";
	case -EISDIR:
		return "a directory";
	default:
		return strerror(-err);
	}
}

int cta_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A character device or a pipe: written through, never replaced nor truncated. */
static int write_stream(const char *path, const void *data, size_t len)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
		close(fd);
		return -EINVAL; /* swapped for something else meanwhile */
	}
	err = cta_write_all(fd, data, len);
	if (close(fd) < 0 && !err && errno != EINTR)
		err = -errno;
	return err;
}

/*
 * A temporary file of an earlier write of the same file that was killed between its
 * fsync and its rename: "NAME.tmp.XXXXXX" beside it, ours (same owner), and no longer
 * locked by a writer (each holds flock on its temporary until the rename).
 */
static void remove_stale_tmps(const char *path)
{
	char copy[PATH_MAX], *base;
	struct dirent *de;
	size_t blen;
	DIR *d;

	if (strlen(path) >= sizeof(copy))
		return;
	strcpy(copy, path);
	base = strrchr(copy, '/');
	if (base)
		*base++ = '\0';
	d = opendir(base ? (copy[0] ? copy : "/") : ".");
	if (!base)
		base = copy;
	if (!d)
		return;
	blen = strlen(base);
	while ((de = readdir(d))) {
		struct stat st;
		ino_t ino;
		int fd;

		if (strncmp(de->d_name, base, blen) || strncmp(de->d_name + blen, ".tmp.", 5) ||
		    strlen(de->d_name + blen + 5) != 6)
			continue;
		/* only a regular file of ours is opened at all (a device's open can act) */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		ino = st.st_ino;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_ino == ino &&
		    !flock(fd, LOCK_EX | LOCK_NB))
			unlinkat(dirfd(d), de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

/*
 * mkostemp's -errno beside PATH, marked CTA_EWRITE_TMP when PATH's directory is there:
 * then it is the directory that refused the temporary file (/proc says ENOENT).
 */
static int tmp_failed(const char *path, int err)
{
	char copy[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(copy))
		return err;
	strcpy(copy, path);
	if (stat(dirname(copy), &st) < 0 || !S_ISDIR(st.st_mode))
		return err; /* no such directory: the plain error says it */
	return -(CTA_EWRITE_TMP | -err);
}

static int write_replace(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	remove_stale_tmps(path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return tmp_failed(path, -errno);
	/* locked while it is ours; a cleaner that took it in between left no link */
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0)
		err = -errno;
	else if (st.st_nlink == 0)
		err = -EAGAIN;
	if (!err && fchmod(fd, mode) < 0)
		err = -errno;
	if (!err)
		err = cta_write_all(fd, data, len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return fsync_dir_of(path);
}

int cta_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char real[PATH_MAX];
	int kind = cta_output_resolve(path, real, sizeof(real));

	if (kind < 0)
		return kind;
	if (kind == CTA_OUT_STREAM)
		return write_stream(real, data, len);
	return write_replace(real, data, len, mode);
}

int cta_open_append(const char *path, unsigned mode)
{
	char real[PATH_MAX];
	struct stat st;
	int kind = cta_output_resolve(path, real, sizeof(real)), fd;

	if (kind < 0)
		return kind;
	if (kind == CTA_OUT_STREAM)
		fd = open(real, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	else
		fd = open(real, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
			  mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 ||
	    (kind == CTA_OUT_STREAM ? !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
				    : !S_ISREG(st.st_mode))) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int cta_gather_ms(uint64_t msgs, uint64_t span_ns)
{
	uint64_t ms = msgs ? span_ns / 1000 * CTA_GATHER_MSGS / msgs / 1000 : CTA_GATHER_MAX_MS;

	if (ms < CTA_GATHER_MIN_MS)
		return CTA_GATHER_MIN_MS;
	return ms > CTA_GATHER_MAX_MS ? CTA_GATHER_MAX_MS : (int)ms;
}

int cta_read_file(const char *path, size_t max, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 4096, n = 0;
	char *buf = NULL, *p;
	int err = 0;

	*text = NULL;
	*len = 0;
	if (!f)
		return -errno;
	for (;;) {
		if (!(p = realloc(buf, cap + 1))) {
			err = -ENOMEM;
			break;
		}
		buf = p;
		n += fread(buf + n, 1, cap - n, f);
		if (n > max) {
			err = -EFBIG;
			break;
		}
		if (n < cap) {
			err = ferror(f) ? -EIO : 0;
			break;
		}
		cap *= 2;
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}
