/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CTA_CTMSG_H
#define CTA_CTMSG_H

#include <linux/netlink.h>
#include <stdbool.h>

#include "nft/event.h"

/*
 * Is nlmsg_len one the kernel would send? It pads every attribute, so the length is
 * a multiple of 4; libmnl's attribute walk bounds attributes by the aligned end, so
 * an unaligned length would let one reach up to 3 bytes past the message (found by
 * ASan on the fuzz corpus).
 */
static inline bool cta_nlmsg_len_ok(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_len & 3) == 0;
}

/*
 * Does a whole, well-formed message start at nlh within len bytes? libmnl 1.0.4's
 * mnl_nlmsg_ok() casts nlmsg_len to int, so a length of 2^31 or more passes and the
 * next message lands outside the buffer; found by the fuzzer. Use this instead.
 */
static inline bool cta_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)len && cta_nlmsg_len_ok(nlh);
}

/*
 * Turn one ctnetlink message into an event. The caller has checked that nlmsg_len
 * fits the buffer (cta_nlmsg_ok); everything inside is checked here.
 * dump: the message is part of a dump reply, not an event.
 * Returns 0, -EBADMSG (malformed), -EPROTO (not a conntrack entry message) or
 * -EAFNOSUPPORT (a family other than IPv4/IPv6).
 */
int cta_ctmsg_parse(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev);

#endif
