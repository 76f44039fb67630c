// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/lib/signals.h"

#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

int cta_signals_block(struct cta_signals *s, bool hup_always)
{
	struct sigaction hup;
	int err;

	s->fd = -1;
	sigemptyset(&s->mask);
	sigaddset(&s->mask, SIGINT);
	sigaddset(&s->mask, SIGTERM);
	/* SIGHUP ignored (nohup) stays ignored: it never reaches a signalfd anyway */
	if (hup_always || (sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler != SIG_IGN)) {
		signal(SIGHUP, SIG_DFL);
		sigaddset(&s->mask, SIGHUP);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (sigprocmask(SIG_BLOCK, &s->mask, &s->old) < 0)
		return -errno;
	s->fd = signalfd(-1, &s->mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->fd < 0) {
		err = -errno;
		sigprocmask(SIG_SETMASK, &s->old, NULL);
		return err;
	}
	return 0;
}

int cta_signals_caught(struct cta_signals *s)
{
	struct signalfd_siginfo si;

	if (s->fd < 0 || read(s->fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

void cta_signals_restore(struct cta_signals *s)
{
	static const struct timespec now = { 0, 0 };

	if (s->fd < 0)
		return;
	close(s->fd);
	s->fd = -1;
	/* a pending one would take its default action the moment the mask is back */
	while (sigtimedwait(&s->mask, NULL, &now) > 0)
		;
	sigprocmask(SIG_SETMASK, &s->old, NULL);
}
