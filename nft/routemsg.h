/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parsers of rtnetlink route and rule messages (RTM_NEWROUTE, RTM_NEWRULE, as a
 * dump gives them) into struct cta_route and struct cta_prule (nft/event.h). Pure:
 * no socket; every attribute is checked before it is read.
 */
#ifndef CTA_ROUTEMSG_H
#define CTA_ROUTEMSG_H

#include <linux/netlink.h>

#include "nft/event.h"

/*
 * A route message into r (zeroed first; r->dev is left "": the caller names r->oif).
 * 1: a route review may rebuild (r->kernel: one the kernel made, from an address or
 * for a point-to-point peer); 0: one it need not (the local table, cached clones,
 * multicast, other families); -EBADMSG: malformed.
 */
int cta_routemsg_parse(const struct nlmsghdr *nlh, struct cta_route *r);
/* A rule message into p, the same way (0: one of the kernel's default rules). */
int cta_prulemsg_parse(const struct nlmsghdr *nlh, struct cta_prule *p);

#endif
