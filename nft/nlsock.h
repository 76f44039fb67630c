/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A netfilter netlink socket subscribed to multicast groups, read in batches
 * (recvmmsg) into buffers allocated once: no allocation per message.
 */
#ifndef CTA_NLSOCK_H
#define CTA_NLSOCK_H

#include <linux/netlink.h>
#include <stdint.h>

struct cta_nlsock;

/* A callback per message; messages are checked whole (cta_nlmsg_ok) first. */
typedef void (*cta_nlsock_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * groups: NFNLGRP_* numbers, n of them; rcvbuf: bytes asked for (SO_RCVBUFFORCE,
 * falling back to SO_RCVBUF), 0 for the default. 0 or -errno.
 */
int cta_nlsock_open(struct cta_nlsock **out, const unsigned *groups, int n, unsigned rcvbuf);
void cta_nlsock_free(struct cta_nlsock *s);
int cta_nlsock_fd(const struct cta_nlsock *s);
unsigned cta_nlsock_rcvbuf(const struct cta_nlsock *s);
/*
 * Send one request with NLM_F_ACK and wait (up to 2 s) for its answer: 0 or the
 * kernel's -errno. For configuration, before anything else arrives on the socket.
 */
int cta_nlsock_talk(struct cta_nlsock *s, struct nlmsghdr *nlh);

/*
 * Hand every message queued now to cb, without blocking. Returns the number of
 * datagrams read, -ENOBUFS when the kernel dropped messages for this socket
 * (those read before stay delivered), or -errno. *truncated counts datagrams cut
 * short by the buffer.
 */
int cta_nlsock_read(struct cta_nlsock *s, cta_nlsock_cb cb, void *data, uint64_t *truncated);

#endif
