/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TUPLE as people write one (design.md): "tcp 198.51.100.7:40312 -> 192.0.2.10:22",
 * "udp [2001:db8::7]:5353 -> [2001:db8::1]:53", "icmp 198.51.100.7 -> 192.0.2.10 type
 * 8" (with "id N": one echo identifier), "TCP 198.51.100.0/24 → 192.0.2.10:ssh", "tcp any -> 192.0.2.10 port 22", or a
 * line pasted from conntrack -L / -E, from `conntrack-advise flows` or from
 * `nft monitor trace` ("... ip saddr A ip daddr B ... tcp sport N tcp dport M ...").
 * Anything left out matches anything. Service names come from the services database
 * (/etc/services, getservbyname).
 */
#ifndef CTA_TUPLE_H
#define CTA_TUPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"
#include "advisor/model/flow.h"

#define CTA_TQ_FAMILY (1u << 0)
#define CTA_TQ_SRC (1u << 1)
#define CTA_TQ_DST (1u << 2)
#define CTA_TQ_SPORT (1u << 3)
#define CTA_TQ_DPORT (1u << 4)
#define CTA_TQ_TYPE (1u << 5) /* ICMP type */
#define CTA_TQ_CODE (1u << 6) /* ICMP code */
/*
 * ICMP echo identifier: what conntrack keys an echo's connection by besides the
 * addresses (`id=` in conntrack -L, after type= and code=); the flow model keeps it
 * where ports go (flowtab.h: a connection's sport)
 */
#define CTA_TQ_ID (1u << 7)

struct cta_tuple_query {
	uint32_t has; /* CTA_TQ_* */
	uint8_t family;
	uint8_t l4proto; /* always set */
	union cta_addr src, dst;
	/* with CTA_TQ_SRC/DST: a subnet of this many leading bits (the rest zero); 0: the
	 * whole address */
	uint8_t src_plen, dst_plen;
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id; /* with CTA_TQ_ID */
};

struct cta_tuple_error {
	int column; /* 1-based, in the text given */
	char msg[160];
};

/* 0, or -EINVAL with err saying where and what was expected. */
int cta_tuple_parse(const char *text, struct cta_tuple_query *q, struct cta_tuple_error *err);

/*
 * Does the flow's original direction fall under the query? Its source may be the one
 * the connections came from or the one SNAT gave them (the reply's destination); its
 * destination address and port either as the client sent them or as DNAT translated
 * them (the reply's source), both of the same side. The source port is not
 * looked at (a flow holds connections from many): cta_tuple_sport_seen() says whether
 * the flow's connections came from it.
 */
bool cta_tuple_match(const struct cta_tuple_query *q, const struct cta_flow *f);
/*
 * False when the query names a source port (ICMP: an echo identifier) outside the
 * flow's recorded ones.
 */
bool cta_tuple_sport_seen(const struct cta_tuple_query *q, const struct cta_flow *f);
/* The query for the other direction: addresses and ports swapped, ICMP echo turned. */
void cta_tuple_reverse(const struct cta_tuple_query *q, struct cta_tuple_query *r);

/* The query back as text, in the arrow form; for messages. */
void cta_tuple_format(const struct cta_tuple_query *q, char *buf, size_t len);

/*
 * An ICMP (l4proto IPPROTO_ICMP) or ICMPv6 type: a number 0..255, or the name nft
 * gives it (its icmp_type and icmpv6_type symbols; "router-advertisement" and
 * "redirect" also name ICMPv6's). false when S is neither.
 */
bool cta_icmp_type_parse(const char *s, uint8_t l4proto, uint8_t *out);

#endif
