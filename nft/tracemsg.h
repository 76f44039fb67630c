/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One nf_tables trace event (NFT_MSG_TRACE), validated and flattened. The kernel
 * sends several per traced packet: one per rule that matched, per chain end, per
 * base chain policy. libnftnl's parser exit()s on malformed input; this does not.
 */
#ifndef CTA_TRACEMSG_H
#define CTA_TRACEMSG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "nft/event.h"

#define CTA_NAME_MAX 256 /* NFT_NAME_MAXLEN */

/* Attributes this kernel sends that the 6.1 uapi headers do not name (design.md). */
#define CTA_NFTA_TRACE_CT_ID 18
#define CTA_NFTA_TRACE_CT_DIRECTION 19
#define CTA_NFTA_TRACE_CT_STATE 21

#define CTA_TRF_HANDLE (1u << 0)
#define CTA_TRF_VERDICT (1u << 1)
#define CTA_TRF_POLICY (1u << 2)
#define CTA_TRF_HEADERS (1u << 3) /* the packet's tuple below is valid */
#define CTA_TRF_CT (1u << 4) /* ct_id, ct_dir, ct_state valid */
#define CTA_TRF_IIF (1u << 5)
#define CTA_TRF_OIF (1u << 6)

struct cta_trace_event {
	uint32_t flags; /* CTA_TRF_* */
	uint32_t id; /* the kernel's per-packet id: reused, so correlate with headers */
	uint8_t type; /* NFT_TRACETYPE_* */
	uint8_t table_family; /* NFPROTO_* of the table */
	uint8_t nfproto; /* NFPROTO_IPV4/IPV6: what the packet is */
	uint8_t ct_dir; /* IP_CT_DIR_* */
	char table[CTA_NAME_MAX], chain[CTA_NAME_MAX];
	char jump_target[CTA_NAME_MAX]; /* for jump and goto verdicts */
	uint64_t handle;
	int32_t verdict; /* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_CONTINUE, ... */
	uint32_t policy; /* with NFT_TRACETYPE_POLICY */
	uint32_t iif, oif;
	uint32_t ct_id, ct_state;
	/* the packet, from its headers (the first event of each base chain has them) */
	uint8_t family, l4proto;
	struct cta_tuple tuple;
};

/*
 * Parse one netlink message. The caller has checked nlmsg_len (cta_nlmsg_ok).
 * 0, -EPROTO (not a trace message) or -EBADMSG.
 */
int cta_tracemsg_parse(const struct nlmsghdr *nlh, struct cta_trace_event *ev);

#endif
