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
 * Turn one ctnetlink message into an event, by hand on libmnl, allocating nothing:
 * the event hot path (nft/ct.c), where the library costs too much (docs/design.md,
 * "Conntrack messages").
 * The caller has checked that nlmsg_len fits the buffer (cta_nlmsg_ok); everything
 * inside is checked here. dump: the message is part of a dump reply, not an event.
 * Returns 0, -EBADMSG (malformed), -EPROTO (not a conntrack entry message) or
 * -EAFNOSUPPORT (a family other than IPv4/IPv6).
 */
int cta_ctmsg_parse(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev);

/*
 * The same through libnetfilter_conntrack, for dumps: nfct_nlmsg_parse() into one reused
 * struct nf_conntrack, its getters into the event. The library exit()s on an
 * attribute of a known type with the wrong length (and reads past an unterminated
 * helper name), so the message is checked first against the library's own rules
 * (cta_ctmsg_check). Allocates nothing per message unless the message carries a
 * security context, connection labels or helper data (the library copies those).
 */
struct cta_ctmsg;

/* 0, or -ENOMEM. */
int cta_ctmsg_new(struct cta_ctmsg **out);
void cta_ctmsg_free(struct cta_ctmsg *m);

/* As cta_ctmsg_parse(), plus -ENOMEM (the library could not copy an attribute). */
int cta_ctmsg_read(struct cta_ctmsg *m, const struct nlmsghdr *nlh, bool dump,
		   struct cta_event *ev);

/*
 * Would libnetfilter_conntrack parse this conntrack message safely? Every attribute
 * it reads, at every depth, has the type and exact length it validates (else it
 * exits), strings it copies end in NUL, and no protoinfo attribute falls outside
 * its table. Needs nlmsg_len >= the nfgenmsg (cta_ctmsg_head). 0 or -EBADMSG.
 */
int cta_ctmsg_check(const struct nlmsghdr *nlh);

/* Shared by both parsers. */
/* The header: event type, family; ev zeroed first. 0 or the errors above. */
int cta_ctmsg_head(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev);
/* Without a reply tuple the entry is not translated: the reply mirrors the original. */
void cta_ctmsg_mirror(struct cta_event *ev);

#endif
