/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sockets that exist when a recording starts (sock_diag) and the processes that
 * hold them (/proc/PID/fd), as the socket events the eBPF programs would have given
 * had they been there: services listening since long before get their program too.
 */
#ifndef CTA_SOCKSCAN_H
#define CTA_SOCKSCAN_H

#include "nft/event.h"

typedef void (*cta_sockscan_cb)(const struct cta_sock_event *ev, void *data);

/* Every TCP and UDP socket of this network namespace with a process: 0 or -errno. */
int cta_sockscan(cta_sockscan_cb cb, void *data);

#endif
