// SPDX-License-Identifier: GPL-2.0-or-later
#include "util.h"

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

int cta_parse_time(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	unsigned ms = 0;
	const char *end;
	time_t sec;

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
