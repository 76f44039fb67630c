/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TUPLE as people write one (design.md): "tcp 198.51.100.7:40312 -> 192.0.2.10:22",
 * "udp [2001:db8::7]:5353 -> [2001:db8::1]:53", "icmp 198.51.100.7 -> 192.0.2.10 type
 * 8", or a line pasted from conntrack -L / -E (and from `conntrack-advise flows`).
 * Anything left out matches anything.
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

struct cta_tuple_query {
	uint32_t has; /* CTA_TQ_* */
	uint8_t family;
	uint8_t l4proto; /* always set */
	union cta_addr src, dst;
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
};

struct cta_tuple_error {
	int column; /* 1-based, in the text given */
	char msg[160];
};

/* 0, or -EINVAL with err saying where and what was expected. */
int cta_tuple_parse(const char *text, struct cta_tuple_query *q, struct cta_tuple_error *err);

/* Does the flow's original direction fall under the query? */
bool cta_tuple_match(const struct cta_tuple_query *q, const struct cta_flow *f);

/* The query back as text, in the arrow form; for messages. */
void cta_tuple_format(const struct cta_tuple_query *q, char *buf, size_t len);

#endif
