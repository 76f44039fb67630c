/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listening to nf_tables traces, for record, blame --live and review's replay alike:
 * the tool's own table (owner flag) whose rules mark packets for tracing, a socket on
 * the trace group, the ruleset listed with handles (a trace names rules by handle
 * only), and the tracer that turns the events into judgements, finishing a packet
 * that has been quiet for CTA_LISTEN_IDLE_NS.
 *
 * Set up in this order: the socket (listen before marking: no trace passes unheard),
 * the table, then the listing (it knows every rule there is when tracing starts), and
 * with ingress, where the listing has ingress chains, a netdev table of the same name
 * that marks packets on their devices before those chains decide (best effort).
 * Everything opened stays in the network namespace the caller was in.
 */
#ifndef CTA_LISTEN_H
#define CTA_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

#include "advisor/model/ruleset.h"
#include "advisor/record/trace.h"
#include "nft/table.h"

/*
 * A packet whose trace events have stopped this long has passed every hook: the
 * kernel emits all of a packet's events within one softirq (loopback: the next one),
 * milliseconds at most. Quiet is measured from the reading of the events, so callers
 * read the socket dry before they flush; the recorder's gathering pause (up to
 * CTA_GATHER_MAX_MS) and tick (200 ms) then do not count, and 300 ms leaves a wide
 * margin while blame --live and review answer quickly. (The recorder used 500 ms,
 * flushing without reading first.)
 */
#define CTA_LISTEN_IDLE_NS 300000000ULL

struct cta_listen;

struct cta_listen_config {
	const struct cta_table_config *table; /* its trace mode NONE: no trace socket */
	unsigned rcvbuf; /* the trace socket's receive buffer, bytes; 0: the default */
	bool follow; /* notice ruleset changes (a socket on the nf_tables group) */
	bool ingress; /* mark at ingress too, where the ruleset has ingress chains */
	/*
	 * note iptables-nft-save's line on each rule with xt expressions, at every listing
	 * (advisor/model/ruleset.h, CTA_RULE_NOTE_XT; nft/xtcopy.h cta_xt_rules_saved)
	 */
	bool xt_saved;
	cta_judgement_cb on_judgement; /* a packet finished; rules on its path are named */
	/*
	 * optional: each trace event as read (for -v); each listing taken, its text (NULL
	 * when err, valid during the call; err: 0 or -errno)
	 */
	void (*on_trace)(const struct cta_trace_event *ev, void *data);
	void (*on_listed)(uint64_t listings, const char *text, int err, void *data);
	void *data;
};

/* The part of the setup that failed, for the caller's message. */
struct cta_listen_error {
	enum { CTA_LISTEN_TRACES, CTA_LISTEN_RULESET, CTA_LISTEN_TABLE } step;
	char object[64]; /* with CTA_LISTEN_TABLE: the part the kernel refused */
};

struct cta_listen_stats {
	uint64_t events, bad; /* trace messages fed to the tracer, and unreadable ones */
	uint64_t overruns; /* receive buffer overruns: traces lost */
	uint64_t listings; /* ruleset listings taken (the first one included) */
};

/*
 * Set it all up (see above). 0, or -errno with err->step saying what failed (then
 * nothing stays: the table goes with its socket). -EPERM: no CAP_NET_ADMIN; -EBUSY:
 * the table is owned by another socket.
 */
int cta_listen_new(struct cta_listen **out, const struct cta_listen_config *cfg,
		   struct cta_listen_error *err);
/* Close everything; the kernel deletes the table. NULL is fine. */
void cta_listen_free(struct cta_listen *l);

/* The trace socket, for poll/epoll; -1 without one. */
int cta_listen_fd(const struct cta_listen *l);
/* The ruleset change socket (with follow); -1 without one. */
int cta_listen_changes_fd(const struct cta_listen *l);

/*
 * Feed every trace message queued now to the tracer (judgements may follow), without
 * blocking. The number of datagrams read; -ENOBUFS when the kernel dropped some
 * (counted; those read stay fed); or -errno.
 */
int cta_listen_read(struct cta_listen *l);
/*
 * Finish the packets quiet for CTA_LISTEN_IDLE_NS at now_ns (CLOCK_MONOTONIC), or all
 * of them. Read the socket first.
 */
void cta_listen_flush(struct cta_listen *l, uint64_t now_ns, bool all);

/* With follow: drain the change socket and list the ruleset again if it changed (true). */
bool cta_listen_follow(struct cta_listen *l);

/*
 * The rules as listed (texts of rules since replaced stay): for judgements' JSON. A
 * judgement naming a rule it does not know makes the listener list again before the
 * callback, so what the callback reads is as fresh as can be.
 */
const struct cta_ruleset *cta_listen_ruleset(const struct cta_listen *l);
const struct cta_listen_stats *cta_listen_stats(const struct cta_listen *l);
/* The own table, for callers that read its counters or sets. */
struct cta_table *cta_listen_table(struct cta_listen *l);
/*
 * With ingress: 0 when packets are marked at ingress or no ingress chain needs it,
 * or -errno when the kernel refused the netdev table (those chains stay unwatched).
 */
int cta_listen_ingress_err(const struct cta_listen *l);
/*
 * Has the table its counting sets (table config count)? A kernel that refuses them gets
 * the table without; cta_listen_new's err->object then names the refused part.
 */
bool cta_listen_counting(const struct cta_listen *l);

#endif
