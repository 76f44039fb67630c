/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parser of nf_tables trace messages (NFT_MSG_TRACE) into struct cta_trace_event
 * (nft/event.h). libnftnl's parser exit()s on malformed input; this does not.
 */
#ifndef CTA_TRACEMSG_H
#define CTA_TRACEMSG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "nft/event.h"

/* Attributes this kernel sends that the 6.1 uapi headers do not name (design.md). */
#define CTA_NFTA_TRACE_CT_ID 18
#define CTA_NFTA_TRACE_CT_DIRECTION 19
#define CTA_NFTA_TRACE_CT_STATUS 20
#define CTA_NFTA_TRACE_CT_STATE 21

/*
 * Parse one netlink message. The caller has checked nlmsg_len (cta_nlmsg_ok).
 * 0, -EPROTO (not a trace message) or -EBADMSG.
 */
int cta_tracemsg_parse(const struct nlmsghdr *nlh, struct cta_trace_event *ev);

#endif
