/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CTA_CTMSG_H
#define CTA_CTMSG_H

#include <linux/netlink.h>
#include <stdbool.h>

#include "event.h"

/*
 * Turn one ctnetlink message into an event. The caller has checked that nlmsg_len
 * fits the buffer (mnl_nlmsg_ok); everything inside is checked here.
 * dump: the message is part of a dump reply, not an event.
 * Returns 0, -EBADMSG (malformed), -EPROTO (not a conntrack entry message) or
 * -EAFNOSUPPORT (a family other than IPv4/IPv6).
 */
int cta_ctmsg_parse(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev);

#endif
