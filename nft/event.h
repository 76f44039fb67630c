/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one value kernel sources hand to the advisor. Plain data: no pointers, so an
 * event can be copied, stored in a test and compared byte for byte.
 */
#ifndef CTA_EVENT_H
#define CTA_EVENT_H

#include <stdint.h>

enum cta_event_type {
	CTA_EV_CT_NEW = 1,
	CTA_EV_CT_UPDATE,
	CTA_EV_CT_DESTROY,
	CTA_EV_CT_DUMP, /* an entry seen in a dump: state, not a change */
};

/* An address in network byte order; IPv4 uses the first 4 bytes, the rest zero. */
union cta_addr {
	uint8_t b[16];
	uint32_t w[4];
};

struct cta_tuple {
	union cta_addr src, dst;
	uint16_t sport, dport; /* host order; for ICMP: sport = id, dport = 0 */
	uint8_t icmp_type, icmp_code;
};

#define CTA_EVF_COUNTERS (1u << 0) /* packets/bytes valid */
#define CTA_EVF_TSTART (1u << 1)
#define CTA_EVF_TSTOP (1u << 2)
#define CTA_EVF_TCPSTATE (1u << 3)
#define CTA_EVF_STATUS (1u << 4)
#define CTA_EVF_ID (1u << 5)

struct cta_event {
	uint8_t type; /* enum cta_event_type */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t l4proto; /* IPPROTO_* */
	uint8_t tcp_state; /* TCP_CONNTRACK_*, with CTA_EVF_TCPSTATE */
	uint32_t flags; /* CTA_EVF_* */
	uint32_t id; /* conntrack id */
	uint32_t status; /* IPS_* bits */
	uint16_t zone;
	struct cta_tuple orig, reply;
	uint64_t packets[2], bytes[2]; /* [0] original, [1] reply direction */
	uint64_t tstart_ns, tstop_ns; /* kernel timestamps, wall clock */
	uint64_t seen_ns; /* when the tool received it, wall clock */
};

#endif
