/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The signals that end a long wait: SIGINT, SIGTERM, and SIGHUP unless it is ignored
 * (nohup). Blocked and read from a signalfd, so an event loop sees them as one more
 * descriptor and the code after the loop always runs: whatever the kernel was told
 * (sysctls, tables, rulesets) is put back. Block them before changing anything.
 */
#ifndef CTA_SIGNALS_H
#define CTA_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

struct cta_signals {
	sigset_t mask, old; /* what is blocked; the mask before */
	int fd; /* the signalfd (nonblocking, close-on-exec), -1 when not blocked */
};

/*
 * Block the signals and open their signalfd. SIGINT and SIGTERM get their default
 * action back first: a shell starts background jobs with SIGINT ignored, and an
 * ignored signal never reaches a signalfd. hup: SIGHUP too even when ignored (record
 * --rotate starts the next file on it). 0, or -errno with nothing blocked.
 */
int cta_signals_block(struct cta_signals *s, bool hup);

/* Read what came, without waiting: the signal number, or 0 when none did. */
int cta_signals_caught(struct cta_signals *s);

/*
 * Close the signalfd, discard what is pending of the signals (they have been heard:
 * the wait ended), and put the old mask back. Safe on a zeroed struct after a
 * failed block (fd must be -1 then) and twice.
 */
void cta_signals_restore(struct cta_signals *s);

#endif
