// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The floor of the event path, for bench/: receives conntrack DESTROY events (and NEW
 * ones with "new") exactly as `conntrack-advise record` does (the same socket code,
 * receive buffer, batches and gathering pause) and throws them away unread. What it
 * costs per event is what any reader of ctnetlink events pays the kernel on this
 * machine; what record costs above it is its own work.
 *
 *   ctdrain [RCVBUF [new]]  (RCVBUF 0: record's default) until SIGINT or SIGTERM; then prints "NEW ALL OVERRUNS":
 *                           NEW events, messages of any type, overruns (ENOBUFS).
 *                           DESTROY events only, as record by default; with "new",
 *                           NEW events too, as record --events
 */
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "nft/nlsock.h"
#include "advisor/record/recorder.h"
#include "advisor/lib/util.h"

struct counts {
	uint64_t new, all;
};

/* Only the header's type is looked at. */
static void count(const struct nlmsghdr *nlh, void *data)
{
	struct counts *c = data;

	c->all++;
	c->new += (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_NEW;
}

int main(int argc, char **argv)
{
	/* record's default --rcvbuf and groups (nft/ct.c) */
	unsigned rcvbuf = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 0;
	unsigned groups[] = { NFNLGRP_CONNTRACK_DESTROY, NFNLGRP_CONNTRACK_NEW };
	unsigned n_groups = argc > 2 && !strcmp(argv[2], "new") ? 2 : 1;
	struct epoll_event ev = { .events = EPOLLIN };
	struct counts c = { 0 };
	uint64_t seen = 0, overruns = 0, truncated = 0, last = cta_now_mono_ns();
	struct cta_nlsock *s;
	sigset_t mask;
	int err, sfd, ep, urgent;

	if (!rcvbuf)
		rcvbuf = CTA_RECORD_RCVBUF;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	err = cta_nlsock_open(&s, groups, n_groups, rcvbuf);
	if (err) {
		fprintf(stderr, "ctdrain: %s\n", strerror(-err));
		return 1;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	urgent = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = sfd;
	if (sfd < 0 || ep < 0 || urgent < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0 ||
	    epoll_ctl(urgent, EPOLL_CTL_ADD, sfd, &ev) < 0)
		return 1;
	ev.data.fd = cta_nlsock_fd(s);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return 1;
	for (;;) {
		struct epoll_event e;
		uint64_t now;

		if (epoll_wait(ep, &e, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (e.data.fd == sfd)
			break;
		while ((err = cta_nlsock_read(s, count, &c, &truncated)) == -ENOBUFS)
			overruns++;
		if (err < 0) {
			fprintf(stderr, "ctdrain: %s\n", strerror(-err));
			return 1;
		}
		/* the recorder's pause: a signal ends it early */
		now = cta_now_mono_ns();
		epoll_wait(urgent, &e, 1, cta_gather_ms(c.all - seen, now - last));
		last = now;
		seen = c.all;
	}
	printf("%llu %llu %llu\n", (unsigned long long)c.new, (unsigned long long)c.all,
	       (unsigned long long)overruns);
	cta_nlsock_free(s);
	return 0;
}
