/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table: conntrack events in, flows out. Beneath the flows it keeps the
 * connections it has seen by conntrack id, so counters (which the kernel reports
 * only in DESTROY events and dumps) are added once, as deltas.
 */
#ifndef CTA_FLOWTAB_H
#define CTA_FLOWTAB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"
#include "advisor/model/flow.h"
#include "advisor/model/host.h"
#include "advisor/model/verdict.h"
#include "advisor/lib/util.h"

struct cta_flowtab;

struct cta_flowtab_stats {
	uint64_t events[CTA_EV_CT_DUMP + 1]; /* by enum cta_event_type */
	uint64_t swept; /* connections that vanished during an overrun, closed by a dump */
};

struct cta_flowtab *cta_flowtab_new(void);
/*
 * Keep no index by original tuple (one hash insert less per connection), for a
 * recording where nothing joins by tuple: cta_flowtab_conn_by_tuple() then answers
 * -1. Only on an empty table.
 */
void cta_flowtab_no_tuple_index(struct cta_flowtab *ft);
/* Fetch into the cache what cta_flowtab_apply(ev) will look up: it runs soon. */
void cta_flowtab_prefetch(const struct cta_flowtab *ft, const struct cta_event *ev);
void cta_flowtab_free(struct cta_flowtab *ft);
static inline void cta_flowtab_freep(struct cta_flowtab **ft)
{
	cta_flowtab_free(*ft);
}

/* Apply one conntrack event. host decides the direction of new flows. 0 or -ENOMEM. */
int cta_flowtab_apply(struct cta_flowtab *ft, const struct cta_event *ev,
		      const struct cta_host *host);

/*
 * The wall clock (ns) at which the event subscription began. From then on, a DESTROY
 * of a connection never seen whose start (CTA_ATTR_TIMESTAMP_START, nf_conntrack_timestamp)
 * is earlier, or unknown, is a leftover of the time before (it ended before the
 * start-up dump listed it); a later one is a connection of the recording whose NEW was
 * lost or came inside the DESTROY. 0 (the default): every one is of the recording.
 */
void cta_flowtab_set_since(struct cta_flowtab *ft, uint64_t real_ns);

/*
 * A dump is a full picture of the kernel's table: between begin and end, apply the
 * dump's events; end (now_ns: a monotonic clock, ns) closes every open connection the
 * dump did not contain (it ended while its DESTROY was still on its way, or lost) and
 * returns how many it closed. A closed one waits a minute for its DESTROY, which still
 * gives its last counters; then it is forgotten.
 *
 * startup: the dump taken as the recording starts. A TCP connection it brings that is
 * already closing (FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE) is a leftover of
 * the time before: counted in its flow's connections and leftover, with no state,
 * packets or bytes, until an event shows it live during the recording (a NEW event;
 * for FIN_WAIT and CLOSE_WAIT, grown counters or another TCP state at a later dump).
 */
void cta_flowtab_dump_begin(struct cta_flowtab *ft, bool startup);
uint64_t cta_flowtab_dump_end(struct cta_flowtab *ft, uint64_t now_ns);
/*
 * A dump that failed: nothing is closed, and connections that ended during it go (see
 * cta_flowtab_apply) as they would at its end.
 */
void cta_flowtab_dump_abort(struct cta_flowtab *ft);
/*
 * Keep the connections dumps closed at least until until_ns (dump_end's clock), however
 * long ago: the kernel still holds ends (an overrun with reliable delivery; it resends
 * the newest first), and one that came after its connection was forgotten would be
 * counted again.
 */
void cta_flowtab_hold_swept(struct cta_flowtab *ft, uint64_t until_ns);
/*
 * Connections the last dump closed that no DESTROY has ended since: a DESTROY that
 * comes for one still gives its last counters (and takes it off stats.swept).
 */
size_t cta_flowtab_swept_waiting(const struct cta_flowtab *ft);

/*
 * Fold a finished flow (from a session) in, merging with an equal key: its verdict
 * counts add up; process (may be NULL) is kept, referenced, only if the flow had none.
 * 0 or -ENOMEM.
 */
int cta_flowtab_merge(struct cta_flowtab *ft, const struct cta_flow *f,
		      const struct cta_vtally *verdicts, struct cta_process *process);

/* The flow of the open connection with this conntrack id, or -1. */
int64_t cta_flowtab_conn_flow(const struct cta_flowtab *ft, uint32_t ct_id);
/*
 * The flow of the open connection with this conntrack id and original tuple t (a
 * packet's, as cta_flowtab_conn_by_tuple takes it), or -1. Ids are 32-bit hashes
 * (nf_ct_get_id): a packet's entry may share one with another connection's.
 */
int64_t cta_flowtab_conn_flow_of(const struct cta_flowtab *ft, uint32_t ct_id, uint8_t family,
				 uint8_t l4proto, const struct cta_tuple *t);
/*
 * For the event stream (record --events): mark the connection of ev (its id and tuple)
 * as having its start line. 1 if it had it already (or has ended during a dump), 0 if
 * not, -1 if no such connection is kept (never seen, or ended).
 */
int cta_flowtab_mark_started(struct cta_flowtab *ft, const struct cta_event *ev);
/* The flow of the open connection with this original tuple, or -1. */
int64_t cta_flowtab_conn_by_tuple(const struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
				  const struct cta_tuple *t);
/* The flow of ev (as cta_flowtab_apply keys it), or -1. */
int64_t cta_flowtab_flow_of(const struct cta_flowtab *ft, const struct cta_event *ev);
/*
 * The flow of this packet tuple (reply direction the mirror), made without a
 * connection if there is none yet: for the verdict of a first packet let through
 * before its connection's DESTROY or a dump shows it. Until one does, the flow is
 * pending (cta_flowtab_pending): not one of the session's flows. Position, or -ENOMEM.
 */
int64_t cta_flowtab_flow_for(struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
			     const struct cta_tuple *t, const struct cta_host *host);
/*
 * A flow cta_flowtab_flow_for made that no connection, attempt or packet was counted
 * for yet: left out. (A flow read from a file never is, whatever it counts.)
 */
static inline bool cta_flowtab_pending(const struct cta_flow *f)
{
	return f->pending;
}
/*
 * A flow that never reached conntrack (denied): packets on the flow of this packet
 * tuple (reply direction the mirror), and attempts more attempts (connections; 0 for
 * retransmits of one already counted). Position, or -ENOMEM.
 */
int64_t cta_flowtab_add_denied(struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
			       const struct cta_tuple *t, const struct cta_host *host,
			       uint64_t seen_ns, uint64_t packets, uint64_t attempts);
/*
 * A flow the kernel let through that no conntrack event or dump showed (record's
 * stop: its NEW and DESTROY were lost in an overrun, and the entry was gone before
 * the resync dump): connections of it with packets first packets (state new) in all,
 * as cta_flowtab_add_denied adds attempts. Position, or -ENOMEM.
 */
int64_t cta_flowtab_add_unseen(struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
			       const struct cta_tuple *t, const struct cta_host *host,
			       uint64_t seen_ns, uint64_t packets, uint64_t connections);
/* Where the flow's first packet came in and went out (names; NULL or "" not known): kept
 * once known. */
void cta_flowtab_set_ifaces(struct cta_flowtab *ft, size_t pos, const char *iif, const char *oif);
/*
 * The flow at pos went the way its first packet's hooks say (CTA_DIR_IN: it reached
 * input), whatever its addresses say: a TPROXY'd connection to a foreign address, or
 * one to a local address that DNAT sent on and the forward hook denied.
 */
void cta_flowtab_set_direction(struct cta_flowtab *ft, size_t pos, enum cta_direction dir);
/*
 * n more connections of flow pos were judged v (counted with those of the same
 * decider; the table takes references of its own). 0 or -ENOMEM.
 */
int cta_flowtab_add_verdict(struct cta_flowtab *ft, size_t pos, struct cta_verdict *v, uint64_t n);
/*
 * Of flow pos's verdict counts, up to n connections of verdicts match says yes to
 * are counted as v instead (the table takes a reference of its own): a denial counted
 * before its rule was known, which a trace named since. How many, or -ENOMEM.
 */
int64_t cta_flowtab_rename_verdicts(struct cta_flowtab *ft, size_t pos,
				    bool (*match)(const struct cta_verdict *v),
				    struct cta_verdict *v, uint64_t n);
/* The verdict counts of a flow of this table (or a sorted copy of one), or NULL. */
const struct cta_vtally *cta_flowtab_verdicts_of(const struct cta_flowtab *ft,
						 const struct cta_flow *f);
/*
 * Was the open connection with this conntrack id's verdict counted already? Marks it
 * counted; false for a connection not known.
 */
bool cta_flowtab_conn_judged(struct cta_flowtab *ft, uint32_t ct_id);

/* The process on this host's end of the flow (the reference is taken). */
int cta_flowtab_set_process(struct cta_flowtab *ft, size_t pos, struct cta_process *process);
struct cta_process *cta_flowtab_process(const struct cta_flowtab *ft, const struct cta_flow *f);
struct cta_process *const *cta_flowtab_processes(const struct cta_flowtab *ft, size_t *n);

size_t cta_flowtab_count(const struct cta_flowtab *ft);
/* Of them, those not pending: the session's flows. */
size_t cta_flowtab_recorded(const struct cta_flowtab *ft);
/* Connections open right now, as far as the table knows. */
size_t cta_flowtab_open_connections(const struct cta_flowtab *ft);
/* The flows, in insertion order; valid until the next change. */
const struct cta_flow *cta_flowtab_flows(const struct cta_flowtab *ft);
/* A sorted copy (cta_flow_cmp) of the flows not pending, for output. The caller frees it. */
struct cta_flow *cta_flowtab_sorted(const struct cta_flowtab *ft, size_t *n);
const struct cta_flowtab_stats *cta_flowtab_stats(const struct cta_flowtab *ft);

#endif
