/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_diag (inet_diag) replies: the sockets that exist when a recording starts, so
 * that services which were listening before it get their process too.
 */
#ifndef CTA_DIAGMSG_H
#define CTA_DIAGMSG_H

#include <linux/netlink.h>
#include <stdint.h>

#include "nft/event.h"

struct cta_diag_sock {
	uint8_t family, l4proto;
	uint8_t state; /* TCP_* (TCP_LISTEN: 10); UDP: 7 unconnected, 1 connected */
	uint16_t lport, rport; /* host order */
	union cta_addr laddr, raddr;
	uint32_t uid, inode;
};

/*
 * One SOCK_DIAG_BY_FAMILY reply message of a dump of l4proto sockets. The caller has
 * checked nlmsg_len (cta_nlmsg_ok). 0, or -EBADMSG (short, another family).
 */
int cta_diagmsg_parse(const struct nlmsghdr *nlh, uint8_t l4proto, struct cta_diag_sock *s);

#endif
