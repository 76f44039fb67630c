// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "advisor/lib/util.h"

static void test_duration(void)
{
	uint64_t ms = 0;

	CHECK_EQ(cta_parse_duration("90", &ms), 0);
	CHECK_EQ(ms, 90000);
	CHECK_EQ(cta_parse_duration("30s", &ms), 0);
	CHECK_EQ(ms, 30000);
	CHECK_EQ(cta_parse_duration("10m", &ms), 0);
	CHECK_EQ(ms, 600000);
	CHECK_EQ(cta_parse_duration("2h", &ms), 0);
	CHECK_EQ(ms, 7200000);
	CHECK_EQ(cta_parse_duration("0", &ms), 0);
	CHECK_EQ(ms, 0);
	CHECK_EQ(cta_parse_duration("", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("s", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("10x", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("10ms", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("-5", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("1.5m", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("99999999999999999999", &ms), -ERANGE);
	CHECK_EQ(cta_parse_duration("999999999999999999999999", &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("8000h", &ms), 0);
	CHECK_EQ(ms, 8000ULL * 3600 * 1000);
	CHECK_EQ(cta_parse_duration("9000000h", &ms), -ERANGE);
	CHECK_EQ(cta_parse_duration(NULL, &ms), -EINVAL);
	CHECK_EQ(cta_parse_duration("1d", &ms), 0);
	CHECK_EQ(ms, 86400000);
	CHECK_EQ(cta_parse_duration("367d", &ms), -ERANGE);
}

static void test_human(void)
{
	char b[32];

	cta_human_count(0, b, sizeof(b));
	CHECK_STR(b, "0");
	cta_human_count(999, b, sizeof(b));
	CHECK_STR(b, "999");
	cta_human_count(1000, b, sizeof(b));
	CHECK_STR(b, "1.0k");
	cta_human_count(1299, b, sizeof(b));
	CHECK_STR(b, "1.2k");
	cta_human_count(34567, b, sizeof(b));
	CHECK_STR(b, "34k");
	cta_human_count(999999, b, sizeof(b));
	CHECK_STR(b, "999k");
	cta_human_count(1000000, b, sizeof(b));
	CHECK_STR(b, "1.0M");
	cta_human_count(UINT64_MAX, b, sizeof(b));
	CHECK_STR(b, "18E");
	cta_human_bytes(512, b, sizeof(b));
	CHECK_STR(b, "512 B");
	cta_human_bytes(1023, b, sizeof(b));
	CHECK_STR(b, "1023 B");
	cta_human_bytes(6960, b, sizeof(b));
	CHECK_STR(b, "6.7 KiB");
	cta_human_bytes(35 * 1024, b, sizeof(b));
	CHECK_STR(b, "35 KiB");
	cta_human_bytes(3565158, b, sizeof(b));
	CHECK_STR(b, "3.3 MiB");
	cta_human_bytes(1024ULL * 1024 * 1024 * 5, b, sizeof(b));
	CHECK_STR(b, "5.0 GiB");
	cta_human_bytes(UINT64_MAX, b, sizeof(b));
	CHECK_STR(b, "15 EiB");
}

static void test_rotated_name(void)
{
	const uint64_t t = 1795963505ULL * 1000000000ULL + 5; /* 2026-11-29T14:45:05Z */
	char buf[64];

	CHECK_EQ(cta_rotated_name("/var/lib/x/s-%Y%m%d.json", t, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/var/lib/x/s-20261129.json");
	/* no date: one before the extension, or at the end */
	CHECK_EQ(cta_rotated_name("dir.d/session.json", t, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "dir.d/session-20261129T144505Z.json");
	CHECK_EQ(cta_rotated_name("dir.d/session", t, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "dir.d/session-20261129T144505Z");
	CHECK_EQ(cta_rotated_name(".hidden", t, buf, sizeof(buf)), 0);
	CHECK_STR(buf, ".hidden-20261129T144505Z");
	/* a date in a directory name is no date in the file name */
	CHECK_EQ(cta_rotated_name("%Y/s.json", t, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2026/s-20261129T144505Z.json");
	CHECK_EQ(cta_rotated_name("dir/", t, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(cta_rotated_name("a-long-name-%Y%m%d%H%M%S.json", t, buf, 12), -ENAMETOOLONG);
}

static void test_uint(void)
{
	uint64_t v;

	CHECK_EQ(cta_parse_uint("4096", 4096, 8192, &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(cta_parse_uint("4095", 4096, 8192, &v), -ERANGE);
	CHECK_EQ(cta_parse_uint("12a", 0, 100, &v), -EINVAL);
	CHECK_EQ(cta_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
}

static void test_time(void)
{
	char buf[40];
	uint64_t ns = 1795459489123000000ULL, back = 0;

	cta_format_time(ns, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-23T18:44:49.123Z");
	CHECK_EQ(cta_parse_time(buf, &back), 0);
	CHECK_EQ(back, ns);
	CHECK_EQ(cta_parse_time("2026-11-23T18:44:49Z", &back), 0);
	CHECK_EQ(back, 1795459489000000000ULL);
	CHECK_EQ(cta_parse_time("2026-11-23 18:44:49Z", &back), -EINVAL);
	CHECK_EQ(cta_parse_time("2026-11-23T18:44:49.12Z", &back), -EINVAL);
	CHECK_EQ(cta_parse_time("2026-11-23T18:44:49.123", &back), -EINVAL);
	CHECK_EQ(cta_parse_time("yesterday", &back), -EINVAL);
	/* found by the fuzzer: past 2554 the nanoseconds overflow 64 bits */
	CHECK_EQ(cta_parse_time("4052-11-23T18:59:39.949Z", &back), -ERANGE);
	CHECK_EQ(cta_parse_time("2554-01-01T00:00:00Z", &back), 0);
	CHECK_EQ(cta_parse_time("1969-12-31T23:59:59Z", &back), -ERANGE);
	cta_format_time(0, buf, sizeof(buf));
	CHECK_STR(buf, "");
	/* the fast path for the tool's own form agrees with gmtime across the range */
	uint64_t x = 12345, bad = 0;

	for (int i = 0; i < 20000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		ns = (x >> 11) % (UINT64_MAX / 1000000000ULL - 1) * 1000000000ULL +
		     (x % 1000) * 1000000ULL;
		cta_format_time(ns, buf, sizeof(buf));
		if (cta_parse_time(buf, &back) || back != ns)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(cta_parse_time("2024-02-29T00:00:00Z", &back), 0);
	CHECK_EQ(back, 1709164800000000000ULL);
	/* not a date: the general path normalizes it, as it always did */
	CHECK_EQ(cta_parse_time("2023-02-29T00:00:00Z", &back), 0);
	CHECK_EQ(back, 1677628800000000000ULL);
}

static void test_atomic(void)
{
	char dir[] = "/tmp/cta-unit-XXXXXX", path[64], buf[16] = { 0 };
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	CHECK_EQ(cta_write_atomic(path, "first", 5, 0600), 0);
	CHECK_EQ(cta_write_atomic(path, "second", 6, 0600), 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(st.st_size, 6);
	fd = open(path, O_RDONLY);
	CHECK(read(fd, buf, sizeof(buf) - 1) == 6);
	close(fd);
	CHECK_STR(buf, "second");
	/* a directory that is not there: an error, and nothing left behind */
	snprintf(path, sizeof(path), "%s/missing/out.json", dir);
	CHECK_EQ(cta_write_atomic(path, "x", 1, 0600), -ENOENT);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	unlink(path);
	CHECK_EQ(rmdir(dir), 0); /* empty: no temporary file was left */
	/* a file there whose directory makes no temporary file: said so, not "no such file" */
	CHECK_EQ(cta_write_atomic("/proc/version", "x", 1, 0600), -(CTA_EWRITE_TMP | ENOENT));
	CHECK(strstr(cta_write_strerror(-(CTA_EWRITE_TMP | ENOENT)), "makes no new files"));
	CHECK(strstr(cta_write_strerror(-(CTA_EWRITE_TMP | EACCES)), "Permission denied"));
	CHECK_STR(cta_write_strerror(-ENOENT), "No such file or directory");
}

static bool is_kind(const char *path, mode_t kind)
{
	struct stat st;

	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == kind;
}

static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * What -o and --events may write to: devices and pipes are written through and stay
 * what they are, a link of one's own is written through (the target replaced, the
 * link kept), a link of another user, a dangling link and a directory are refused.
 */
static void test_targets(void)
{
	char dir[] = "/tmp/cta-unit-XXXXXX", path[96], target[96], buf[32];
	int status;
	pid_t child;

	CHECK(mkdtemp(dir) != NULL);
	/* a FIFO: a reader gets the data, the FIFO stays */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);
	child = fork();
	if (child == 0) {
		char got[16] = "";

		read_file(path, got, sizeof(got));
		_exit(strcmp(got, "piped") != 0);
	}
	CHECK_EQ(cta_write_atomic(path, "piped", 5, 0600), 0);
	if (!is_kind(path, S_IFIFO))
		kill(child, SIGKILL); /* replaced: its reader would wait for ever */
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(is_kind(path, S_IFIFO));
	unlink(path);
	/* character devices (made here, never /dev's own): written through, kept */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/null", dir);
		CHECK_EQ(mknod(path, S_IFCHR | 0666, makedev(1, 3)), 0);
		CHECK_EQ(cta_write_atomic(path, "x", 1, 0600), 0);
		CHECK(is_kind(path, S_IFCHR));
		unlink(path);
		snprintf(path, sizeof(path), "%s/full", dir);
		CHECK_EQ(mknod(path, S_IFCHR | 0666, makedev(1, 7)), 0);
		CHECK_EQ(cta_write_atomic(path, "x", 1, 0600), -ENOSPC);
		CHECK(is_kind(path, S_IFCHR));
		unlink(path);
	}
	/* a link of one's own to a file: the file gets it, the link stays */
	snprintf(target, sizeof(target), "%s/real.nft", dir);
	snprintf(path, sizeof(path), "%s/link.nft", dir);
	CHECK_EQ(cta_write_atomic(target, "old", 3, 0644), 0);
	CHECK_EQ(symlink("real.nft", path), 0);
	CHECK_EQ(cta_write_atomic(path, "new", 3, 0644), 0);
	CHECK(is_kind(path, S_IFLNK));
	read_file(target, buf, sizeof(buf));
	CHECK_STR(buf, "new");
	/* another user's link: refused, the target untouched */
	if (geteuid() == 0) {
		CHECK_EQ(lchown(path, 65534, 65534), 0);
		CHECK_EQ(cta_write_atomic(path, "evil", 4, 0644), -ELOOP);
		CHECK(is_kind(path, S_IFLNK));
		read_file(target, buf, sizeof(buf));
		CHECK_STR(buf, "new");
		CHECK_EQ(cta_open_append(path, 0600), -ELOOP);
	}
	unlink(path);
	/* a dangling link and a directory: refused */
	CHECK_EQ(symlink("nowhere", path), 0);
	CHECK_EQ(cta_write_atomic(path, "x", 1, 0600), -ENOENT);
	CHECK(is_kind(path, S_IFLNK));
	unlink(path);
	CHECK_EQ(cta_write_atomic(dir, "x", 1, 0600), -EISDIR);
	/* appending: to a new file, then to it again */
	snprintf(path, sizeof(path), "%s/events", dir);
	for (int i = 0; i < 2; i++) {
		int fd = cta_open_append(path, 0600);

		CHECK(fd >= 0);
		CHECK(write(fd, "ab", 2) == 2);
		close(fd);
	}
	read_file(path, buf, sizeof(buf));
	CHECK_STR(buf, "abab");
	unlink(path);
	unlink(target);
	CHECK_EQ(rmdir(dir), 0);
}

/* A temporary left by a killed write of the same file goes; one still locked stays. */
static void test_stale_tmp(void)
{
	char dir[] = "/tmp/cta-unit-XXXXXX", path[96], stale[128], busy[128];
	int fd, held;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	snprintf(stale, sizeof(stale), "%s.tmp.AbC123", path);
	snprintf(busy, sizeof(busy), "%s.tmp.XyZ789", path);
	fd = open(stale, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	close(fd);
	held = open(busy, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(held >= 0 && flock(held, LOCK_EX) == 0);
	CHECK_EQ(cta_write_atomic(path, "x", 1, 0600), 0);
	CHECK(access(stale, F_OK) != 0);
	CHECK(access(busy, F_OK) == 0);
	close(held);
	unlink(busy);
	unlink(path);
	CHECK_EQ(rmdir(dir), 0);
}

/* The pause after a read: about CTA_GATHER_MSGS messages a wake-up, within bounds. */
static void test_gather(void)
{
	const uint64_t ms = 1000000ULL;

	CHECK_EQ(cta_gather_ms(0, 100 * ms), CTA_GATHER_MAX_MS); /* nothing came: idle */
	CHECK_EQ(cta_gather_ms(1, 5000 * ms), CTA_GATHER_MAX_MS);
	CHECK_EQ(cta_gather_ms(100, 10 * ms), CTA_GATHER_MAX_MS); /* 10000/s */
	CHECK_EQ(cta_gather_ms(250, 10 * ms), 20); /* 25000/s */
	CHECK_EQ(cta_gather_ms(500, 10 * ms), CTA_GATHER_MIN_MS); /* 50000/s */
	CHECK_EQ(cta_gather_ms(20000, 10 * ms), CTA_GATHER_MIN_MS); /* 2 million/s */
	CHECK_EQ(cta_gather_ms(500, 0), CTA_GATHER_MIN_MS);
	/* no overflow at the extremes */
	CHECK_EQ(cta_gather_ms(1, UINT64_MAX), CTA_GATHER_MAX_MS);
	CHECK_EQ(cta_gather_ms(UINT64_MAX, UINT64_MAX), CTA_GATHER_MIN_MS);
}

/* a whole file, one beyond its limit refused (not cut), a missing one */
static void test_read_file(void)
{
	char dir[] = "/tmp/cta-unit-XXXXXX", path[64], big[10000];
	char *text = (char *)"unset";
	size_t len = 1;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	memset(big, 'x', sizeof(big));
	CHECK_EQ(cta_write_atomic(path, big, sizeof(big), 0600), 0);
	CHECK_EQ(cta_read_file(path, sizeof(big), &text, &len), 0);
	CHECK_EQ(len, sizeof(big));
	CHECK(text && text[len] == '\0' && text[len - 1] == 'x');
	free(text);
	CHECK_EQ(cta_read_file(path, sizeof(big) - 1, &text, &len), -EFBIG);
	CHECK(text == NULL && len == 0);
	unlink(path);
	CHECK_EQ(cta_read_file(path, 100, &text, &len), -ENOENT);
	rmdir(dir);
}

int main(void)
{
	test_read_file();
	test_gather();
	test_duration();
	test_rotated_name();
	test_human();
	test_uint();
	test_time();
	test_atomic();
	test_targets();
	test_stale_tmp();
	return check_report("util");
}
