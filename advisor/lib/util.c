// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

int cta_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		err = -errno;
	while (!err && len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return fsync_dir_of(path);
}

int cta_gather_ms(uint64_t msgs, uint64_t span_ns)
{
	uint64_t ms = msgs ? span_ns / 1000 * CTA_GATHER_MSGS / msgs / 1000 : CTA_GATHER_MAX_MS;

	if (ms < CTA_GATHER_MIN_MS)
		return CTA_GATHER_MIN_MS;
	return ms > CTA_GATHER_MAX_MS ? CTA_GATHER_MAX_MS : (int)ms;
}
