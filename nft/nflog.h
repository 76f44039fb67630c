/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NFLOG: the first packet of each new flow, logged by the own table's `ct state new`
 * rules with its conntrack id. A flow whose conntrack entry is never confirmed was
 * denied (dropped, rejected): NFLOG sees it even with tracing off.
 */
#ifndef CTA_NFLOG_H
#define CTA_NFLOG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "nft/event.h"
#include "nft/nlsock.h"

/* One NFULNL_MSG_PACKET message into a struct cta_nflog_packet (nft/event.h). 0, -EPROTO (another message) or -EBADMSG. */
int cta_nflogmsg_parse(const struct nlmsghdr *nlh, struct cta_nflog_packet *p);

/* Is this NFLOG group bound by some socket in this namespace (/proc/net/netfilter)? */
bool cta_nflog_group_taken(uint16_t group);

/* The longest the kernel holds a logged packet back before sending it. */
#define CTA_NFLOG_FLUSH_MS 100

/* A socket bound to NFLOG group, copying 128 bytes and the conntrack of each packet. */
int cta_nflog_open(struct cta_nlsock **out, uint16_t group, unsigned rcvbuf);

#endif
