/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * blame --live: a table of its own (owner flag) whose only rule marks packets of one
 * tuple for tracing; the judgement of the first such packet that opens a connection is
 * the answer (cta_live_blame).
 */
#ifndef CTA_LIVE_H
#define CTA_LIVE_H

#include <stdint.h>

#include "advisor/model/session.h"
#include "nft/table.h"
#include "advisor/record/trace.h"

#define CTA_LIVE_TABLE_NAME "conntrack_advise_blame"

struct cta_trace_event; /* nft/tracemsg.h */

/* The packet an answer is about, as it was seen first (before NAT). */
struct cta_live_packet {
	uint8_t family, l4proto;
	struct cta_tuple tuple;
	/*
	 * A packet of a connection conntrack already tracked (established, as its trace
	 * said): the TUPLE named that connection (a source port, an echo identifier), or
	 * no new connection of it came before the wait ended. The answer is what let this
	 * packet through, not what let its connection in.
	 */
	bool established;
};

/* What the caller hears while cta_live_blame() waits; each member may be NULL. */
struct cta_live_hooks {
	/* -v: each trace message read, parsed */
	void (*on_trace)(const struct cta_trace_event *ev, void *data);
	/* a packet of a tracked connection came and was kept aside: the wait goes on */
	void (*on_later)(void *data);
	void *data;
};

/*
 * Wait up to timeout_ms for a packet matching m that opens a connection (or is not
 * tracked at all). A packet of a connection conntrack already tracks is the answer
 * when m names one connection (a source port, or an ICMP echo identifier), or else
 * when no such packet came before the timeout or the signal (packet->established).
 * hooks (may be NULL) are called from within, on this thread.
 * Where the kernel's traces carry no conntrack, the first packet is the answer.
 * 0 with *verdict (a reference, as cta_judgement_verdict makes it; NULL when its
 * judgement could not be made: ENOMEM) and *packet set; -ETIMEDOUT, or -EINTR on
 * SIGINT, SIGTERM or SIGHUP (advisor/lib/signals.h), when no packet came at all; or
 * -errno with err filled (kernel refused: exit 3).
 * iptables-legacy tables that decide something are followed too (their chains join
 * the path, advisor/record/ltrace.h); when they cannot be, the answer comes without
 * them and err says why (a warning, with 0 returned).
 */
int cta_live_blame(const struct cta_trace_match *m, uint64_t timeout_ms,
		   const struct cta_live_hooks *hooks, struct cta_verdict **verdict,
		   struct cta_live_packet *packet, struct cta_err *err);

#endif
