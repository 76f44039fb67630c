// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-namespace conntrack switches the recording needs: accounting (packet and byte
 * counters) and timestamps. /proc/sys/net follows the caller's network namespace.
 */
#include "nft/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const paths[CTA_SYSCTL_N] = {
	[CTA_SYSCTL_ACCT] = "/proc/sys/net/netfilter/nf_conntrack_acct",
	[CTA_SYSCTL_TIMESTAMP] = "/proc/sys/net/netfilter/nf_conntrack_timestamp",
};

static int read_int(const char *path, int *v)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%d", v) != 1)
		return -EIO;
	return 0;
}

static int write_int(const char *path, int v)
{
	char buf[16];
	int fd = open(path, O_WRONLY | O_CLOEXEC), len, err = 0;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", v);
	if (write(fd, buf, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err;
}

void cta_sysctl_note(struct cta_sysctl *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < CTA_SYSCTL_N; i++)
		if (!read_int(paths[i], &s->old[i])) {
			s->saved[i] = true;
			/* put back, whatever turns it on from now on */
			s->changed[i] = s->old[i] != 1;
		}
}

int cta_sysctl_enable(struct cta_sysctl *s)
{
	for (int i = 0; i < CTA_SYSCTL_N; i++) {
		int now, err = read_int(paths[i], &now);

		if (!err && !s->saved[i]) {
			s->old[i] = now;
			s->saved[i] = true;
			s->changed[i] = now != 1;
		}
		if (!err && now != 1)
			err = write_int(paths[i], 1);
		if (err) {
			cta_sysctl_restore(s);
			return err;
		}
	}
	return 0;
}

void cta_sysctl_restore(struct cta_sysctl *s)
{
	for (int i = 0; i < CTA_SYSCTL_N; i++) {
		if (s->changed[i])
			write_int(paths[i], s->old[i]);
		s->changed[i] = false;
	}
}

const char *cta_sysctl_path(enum cta_sysctl_id id)
{
	return paths[id];
}

int cta_sysctl_ct_fill(unsigned *count, unsigned *max)
{
	int c, m, err = read_int("/proc/sys/net/netfilter/nf_conntrack_count", &c);

	if (!err)
		err = read_int("/proc/sys/net/netfilter/nf_conntrack_max", &m);
	if (err)
		return err;
	*count = c > 0 ? (unsigned)c : 0;
	*max = m > 0 ? (unsigned)m : 0;
	return 0;
}
