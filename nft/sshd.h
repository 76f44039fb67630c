/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SSH daemon of this network namespace: the TCP ports an `sshd` process listens on
 * (sock_diag, then /proc/PID/fd for which process holds each listening socket) and the
 * connections established to them. What the lockout guards of review, apply and
 * suggest protect besides $SSH_CONNECTION.
 */
#ifndef CTA_SSHD_H
#define CTA_SSHD_H

#include <stddef.h>
#include <stdint.h>

#include "nft/diagmsg.h"

#define CTA_SSHD_MAX_PORTS 16

struct cta_sshd {
	uint16_t ports[CTA_SSHD_MAX_PORTS]; /* host order, each once */
	size_t n_ports;
	struct cta_diag_sock *sessions; /* established connections to those ports; malloc'd */
	size_t n_sessions;
};

/*
 * Fill s (zeroed first; free with cta_sshd_fini, also after a failure). A process is
 * the daemon when its name (comm) is "sshd". 0, or -errno (sock_diag refused).
 */
int cta_sshd_find(struct cta_sshd *s);
void cta_sshd_fini(struct cta_sshd *s);

#endif
