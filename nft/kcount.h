/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counting in the kernel: how many first packets of each flow entered the filter
 * hooks and how many left them. The tool's table (nft/table.h, cfg.count) keeps the
 * sets entered4/left4 and entered6/left6 (and uncounted4/6, nat4/6 and first4/6, below), one element per
 * flow keyed by the conntrack original tuple's source, destination, protocol and
 * destination port (for ICMP: type and code), each with a counter of packets in
 * state new:
 *
 *   entered: prerouting and output, priority -199, just after conntrack;
 *   left:    input and postrouting, priority INT_MAX, after every other chain and
 *            after conntrack confirmed the entry;
 *   neither: what loopback brings back to prerouting and input.
 *
 * So an inbound packet leaves at input, a forwarded or outbound one at postrouting. A
 * local one (over loopback) enters at output and leaves at postrouting: conntrack
 * confirms it there, so a drop at input leaves a connection, not a denial. A first
 * packet that entered and did not leave was dropped on the way: by a rule, or by the
 * stack between the hooks (no route, for one). Denied = entered - left, per flow,
 * with no time window: nothing is sent per packet, record lists the sets when it
 * wants.
 *
 * The counted sets have no timeout: an element's count is the flow's since its set
 * was last emptied, and what a listing adds is the difference to the one before. (A
 * listing that resets the counters, NFT_MSG_GETSETELEM_RESET, lost one element's
 * count per message on 6.18: the element that did not fit was reset and sent again
 * with 0. Timeouts cannot be read back exactly: an element that expired and came
 * again looks like the old one grown.) A set holds CTA_KCOUNT_SET_SIZE flows at most;
 * packets of flows beyond that, like those the kernel had no memory to count, mark
 * their flow in the uncounted set. And a listing costs more than its elements: the
 * kernel dumps a set in batches of one message buffer (32 KiB at most, some 300
 * elements) and walks the set from its start for each, skipping what it sent
 * (measured on 6.18: 50,000 elements 0.25 s of kernel time, 200,000 elements 1.9 s),
 * so record lists large sets less often (advisor/record/recorder.c, list_due). To
 * keep them small, the sets (not the uncounted ones) come in two generations: the
 * rules count into one, and when it grows large record turns them to the other,
 * reads the old one a last time once no packet can add to it, and empties it
 * (recorder.c, turn_generation). A flow's counts are the sum over both.
 */
#ifndef CTA_KCOUNT_H
#define CTA_KCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "nft/event.h"

#define CTA_KCOUNT_TIMEOUT_MS 600000u /* uncounted sets: 10 minutes after the last miss */
#define CTA_KCOUNT_SET_SIZE 1048576u /* flows per set; beyond, new flows go uncounted */

enum cta_kcount_point {
	CTA_KCOUNT_ENTERED = 0,
	CTA_KCOUNT_LEFT,
	/*
	 * Flows with a first packet one of the other sets could not count: the kernel
	 * had no per-CPU memory ready for a new element's counter (it allocates it
	 * atomically, and a burst of new flows outruns its refill). Their counts are
	 * short, so their balance proves nothing. No counter: their elements need none.
	 */
	CTA_KCOUNT_UNCOUNTED,
	/*
	 * Flows with a first packet that left translated (ct status snat or dnat, at
	 * input and postrouting) or delivered here to an address not this host's (fib
	 * daddr type unicast at input: TPROXY): their original tuple does not say where
	 * they went, so
	 * one no conntrack event showed cannot be recovered from the counts (record's
	 * stats.kernel.unseen). No counter, no timeout.
	 */
	CTA_KCOUNT_NAT,
	/*
	 * Of the first packets that left (input, postrouting), each connection's very
	 * first (ct original packets 1; nf_conntrack_acct on): every packet of a
	 * connection is in state new until its first reply, so a one-way stream or a
	 * retransmitted SYN is several in left4/left6 and one here. Counted, no timeout.
	 */
	CTA_KCOUNT_FIRST,
};
#define CTA_KCOUNT_POINTS 5 /* the sets per family */
/*
 * Generations: every set but the uncounted ones is there twice, gen 0 named as above
 * ("entered4"), gen 1 with "_1" ("entered4_1"). The table's rules count into one of
 * them, the other is empty or retiring (nft/table.h, cta_table_count_into).
 */
#define CTA_KCOUNT_GENS 2

/* One element of a counting set: a flow and its packets since the last listing. */
struct cta_kcount_elem {
	uint8_t point; /* enum cta_kcount_point: which set */
	uint8_t gen; /* of which generation (0 for the uncounted sets) */
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t l4proto;
	uint8_t icmp_type, icmp_code; /* ICMP and ICMPv6; dport 0 */
	uint16_t dport; /* host order */
	union cta_addr src, dst; /* original direction */
	uint64_t packets; /* counted sets: since the generation's set was last flushed */
};

typedef void (*cta_kcount_cb)(const struct cta_kcount_elem *e, void *data);

/*
 * "entered4", "left6", "uncounted4", "nat6_1"...: the set for this point, family and
 * generation (the uncounted sets: the one there is, whatever gen says).
 */
const char *cta_kcount_set_name(int point, bool v6, int gen);

/*
 * Parse one NFT_MSG_NEWSETELEM message of a counting set's listing: cb for each
 * element (zero counts too). The caller checked nlmsg_len (cta_nlmsg_ok). Returns the
 * number of elements, or -EBADMSG (malformed; elements before it were delivered) or
 * -EPROTO (another message, another set).
 */
int cta_kcountmsg_parse(const struct nlmsghdr *nlh, cta_kcount_cb cb, void *data);

struct cta_kcount;

struct cta_kcount_stats {
	uint64_t listings; /* complete listings of all the sets */
	uint64_t elements; /* elements in the last listing (all sets) */
	uint64_t largest; /* most elements one set held at any listing so far */
	/* at the last listing, most elements one set of each generation held (the
	 * uncounted ones aside) */
	uint64_t largest_in[CTA_KCOUNT_GENS];
};

/*
 * Denied TCP connects, one by one (syns4, syns6): where first packets enter (new_prerouting
 * and new_output, priority -150; not what loopback brings back to prerouting), a TCP SYN
 * of a flow already let through (its key in the generation's left set: NFLOG logs the
 * others) puts its connection's identity into the set, the conntrack original
 * saddr . daddr . sport . dport and the SYN's sequence number, which its retransmits
 * share and another connect from the same port does not; where it leaves (left4/left6's
 * chains) the SYN takes it out again (dynset delete: Linux 5.17). What stays was
 * dropped on the way: one element per denied connect, however many retransmits, kept
 * CTA_KCOUNT_SYN_TIMEOUT_MS after its last SYN. A SYN that enters while its identity
 * is there (a retransmit of a dropped SYN) also puts it into resyn4/resyn6, which it
 * does not leave: a connect whose first SYN was dropped and whose retransmit was let
 * through (a rate limit) is a denied connect all the same. A SYN a set has no room
 * for is not marked: cta_kcount_read_syns says when a set is nearly full.
 */
#define CTA_KCOUNT_SYN_TIMEOUT_MS 10000u
#define CTA_KCOUNT_SYN_SET_SIZE 65536u

/* One element of a SYN set: a denied connect (all in network order but family). */
struct cta_kcount_syn {
	uint8_t family; /* AF_INET / AF_INET6 */
	uint16_t sport, dport; /* host order */
	uint32_t isn; /* host order: the SYN's sequence number */
	union cta_addr src, dst;
};

typedef void (*cta_kcount_syn_cb)(const struct cta_kcount_syn *e, void *data);

/* "syns4", "syns6", or (again) "resyn4", "resyn6". */
const char *cta_kcount_syn_set_name(bool v6, bool again);
/*
 * Parse one NFT_MSG_NEWSETELEM message of a SYN set's listing: cb for each element.
 * Returns the number of elements, -EBADMSG or -EPROTO (as cta_kcountmsg_parse).
 */
int cta_kcountmsg_parse_syns(const struct nlmsghdr *nlh, cta_kcount_syn_cb cb, void *data);

/* A socket for listing the counting sets of table (NULL: CTA_TABLE_NAME). 0 or -errno. */
int cta_kcount_open(struct cta_kcount **out, const char *table);
void cta_kcount_free(struct cta_kcount *kc);

/*
 * List every counting set of both generations, the entered ones first: then a packet
 * counted in a left set was counted when it entered in this listing or an earlier
 * one, so entered - left never counts a packet in flight as denied. cb sees each
 * element. Returns the elements delivered, or -errno.
 */
int cta_kcount_read(struct cta_kcount *kc, cta_kcount_cb cb, void *data);
const struct cta_kcount_stats *cta_kcount_stats(const struct cta_kcount *kc);
/*
 * List the SYN sets (syns and resyn, both families): cb sees each element. *full is
 * set when a set held 90% of CTA_KCOUNT_SYN_SET_SIZE or more: the kernel's limit
 * counts elements a packet deleted or that expired until its garbage collection
 * frees them (about a second), so SYNs may have gone unmarked before the listing
 * shows the set full. Returns the elements delivered, or -errno (-ENOENT: a table
 * without them).
 */
int cta_kcount_read_syns(struct cta_kcount *kc, cta_kcount_syn_cb cb, void *data, bool *full);

#endif
