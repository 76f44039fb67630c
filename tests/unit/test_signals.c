// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The signal helper: blocked signals arrive on the signalfd, not as their default
 * action; restoring discards what is pending (it was heard) and gives the mask back.
 */
#include <signal.h>

#include "check.h"
#include "advisor/lib/signals.h"

static bool blocked(int sig)
{
	sigset_t now;

	sigprocmask(SIG_SETMASK, NULL, &now);
	return sigismember(&now, sig);
}

int main(void)
{
	struct cta_signals s;
	bool before[3];

	/* as a terminal leaves it: run under nohup, the test would start with SIGHUP ignored */
	signal(SIGHUP, SIG_DFL);
	before[0] = blocked(SIGINT);
	before[1] = blocked(SIGTERM);
	before[2] = blocked(SIGHUP);

	/* ignored, as a shell leaves SIGINT for background jobs: the default comes back */
	signal(SIGINT, SIG_IGN);
	CHECK_EQ(cta_signals_block(&s, false), 0);
	CHECK(s.fd >= 0);
	CHECK(blocked(SIGINT) && blocked(SIGTERM) && blocked(SIGHUP));
	CHECK_EQ(cta_signals_caught(&s), 0);
	raise(SIGTERM); /* would end the test without the block */
	CHECK_EQ(cta_signals_caught(&s), SIGTERM);
	CHECK_EQ(cta_signals_caught(&s), 0);
	raise(SIGINT); /* pending at restore: discarded, not delivered */
	cta_signals_restore(&s);
	CHECK_EQ(s.fd, -1);
	CHECK(blocked(SIGINT) == before[0] && blocked(SIGTERM) == before[1] &&
	      blocked(SIGHUP) == before[2]);
	cta_signals_restore(&s); /* twice is fine */

	/* SIGHUP ignored (nohup) stays ignored and out of the mask */
	signal(SIGHUP, SIG_IGN);
	CHECK_EQ(cta_signals_block(&s, false), 0);
	CHECK(blocked(SIGINT) && !blocked(SIGHUP));
	raise(SIGHUP);
	CHECK_EQ(cta_signals_caught(&s), 0);
	cta_signals_restore(&s);
	/* unless asked for (record --rotate): then it comes through, ignored or not */
	CHECK_EQ(cta_signals_block(&s, true), 0);
	CHECK(blocked(SIGHUP));
	raise(SIGHUP);
	CHECK_EQ(cta_signals_caught(&s), SIGHUP);
	cta_signals_restore(&s);
	return check_report("signals");
}
