/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session: what one recording saw. Versioned JSON on disk, documented field by
 * field in docs/session-format.md.
 */
#ifndef CTA_SESSION_H
#define CTA_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advisor/lib/err.h"
#include "advisor/model/flow.h"
#include "advisor/model/host.h"
#include "advisor/model/verdict.h"

#define CTA_SESSION_FORMAT "conntrack-advise-session"
#define CTA_SESSION_VERSION 5
/* a recording id: 128 random bits in hex */
#define CTA_RECORDING_ID_LEN 33

struct cta_record_options {
	uint64_t duration_ms; /* 0: until a signal */
	uint64_t checkpoint_ms;
	uint64_t rcvbuf; /* bytes asked for */
	int trace; /* enum cta_trace_mode */
	unsigned nflog_group; /* 0: none */
	uint64_t processes; /* 1: the eBPF process attribution ran (a whole word: no padding) */
};

struct cta_session_stats {
	uint64_t events_new, events_update, events_destroy;
	uint64_t dumps, dump_entries, dump_retries;
	uint64_t messages, bad_messages;
	uint64_t overruns, resyncs, swept;
	uint64_t rcvbuf; /* bytes the kernel granted */
	uint64_t open_connections; /* at the end of the recording */
	uint64_t trace_events, trace_bad, trace_overruns, judgements;
	uint64_t nflog_packets, nflog_overruns, denied, ruleset_snapshots;
	uint64_t process_events, process_scanned, process_lost, process_sockets;
	/* counted in the kernel (nft/kcount.h): first packets in and out, denied */
	uint64_t kernel_entered, kernel_left, kernel_denied, kernel_listings, kernel_largest;
	uint64_t kernel_uncounted, kernel_unsure, kernel_unseen;
	uint64_t undelivered; /* first packets to a multicast group nobody here joined */
};

struct cta_session {
	char generator[64];
	struct cta_host host;
	/* a merged session: every host that saw its flows (flow.host indexes this) */
	struct cta_host *hosts;
	size_t n_hosts;
	uint64_t start_ns, end_ns;
	bool complete; /* false in a checkpoint written while recording */
	struct cta_record_options options;
	struct cta_session_stats stats;
	struct cta_flow *flows;
	size_t n_flows;
	/* flows' verdict - 1 indexes this; owned when loaded, borrowed when recording */
	const struct cta_vtally *verdicts;
	size_t n_verdicts;
	/* flows' process - 1 indexes this; owned (or borrowed) with the verdicts */
	struct cta_process *const *processes;
	size_t n_processes;
	bool owns_verdicts;
	/* the recordings it holds (one; a merged session: each one merged), sorted */
	char (*ids)[CTA_RECORDING_ID_LEN];
	size_t n_ids;
};

/* A new recording id (random) into id. 0 or -errno. */
int cta_recording_id_new(char id[CTA_RECORDING_ID_LEN]);

void cta_session_fini(struct cta_session *s);

/*
 * One flow as JSON: the session file's form, also what `flows -j` prints. verdicts,
 * process: the flow's (from its owner's stores), or NULL.
 */
json_t *cta_flow_to_json(const struct cta_flow *f, const struct cta_vtally *verdicts,
			 const struct cta_process *process);
/*
 * The same, writing each verdict and process once per memo and sharing it among the
 * flows that point at it (as interned values do): for many flows, one memo over all
 * of them. memo may be NULL.
 */
struct cta_json_memo;
struct cta_json_memo *cta_json_memo_new(void);
void cta_json_memo_free(struct cta_json_memo *m);
static inline void cta_json_memo_freep(struct cta_json_memo **m)
{
	cta_json_memo_free(*m);
}
json_t *cta_flow_to_json_memo(const struct cta_flow *f, const struct cta_vtally *verdicts,
			      const struct cta_process *process, struct cta_json_memo *memo);

/* The verdicts of one of a session's flows, or NULL. */
const struct cta_vtally *cta_session_verdicts(const struct cta_session *s,
					      const struct cta_flow *f);
/* The verdict most of its connections got, or NULL. */
const struct cta_verdict *cta_session_verdict(const struct cta_session *s,
					      const struct cta_flow *f);
/* The process of one of a session's flows, or NULL. */
const struct cta_process *cta_session_process(const struct cta_session *s,
					      const struct cta_flow *f);

/*
 * The session's form of a verdict and of a process: the only code that spells their
 * keys. to_json: a new object, NULL on ENOMEM. from_json: *out a new value (one
 * reference); 0, or -EBADMSG with err saying which field is wrong, or -ENOMEM.
 */
json_t *cta_verdict_to_json(const struct cta_verdict *v);
/* One decider of a verdict as its "deciders" entry holds it. New JSON, or NULL. */
json_t *cta_vdecider_to_json(const struct cta_vdecider *d);
int cta_verdict_from_json(json_t *o, struct cta_verdict **out, struct cta_err *err);
json_t *cta_process_to_json(const struct cta_process *p);
int cta_process_from_json(json_t *o, struct cta_process **out, struct cta_err *err);

/*
 * The whole document, flows in the order given, one per line. *out is malloc'd.
 * 0 or -ENOMEM.
 */
int cta_session_format(const struct cta_session *s, char **out, size_t *len);

/* Read a session from a file ("-": stdin). 0, -EBADMSG with err filled, or -errno. */
int cta_session_load(const char *path, struct cta_session *s, struct cta_err *err);
/*
 * The same from memory; name is used in messages. Flows are read by a strict scanner
 * where it can, by jansson where it declines (advisor/flowscan.h).
 */
int cta_session_parse(const char *name, const char *text, size_t len, struct cta_session *s,
		      struct cta_err *err);
/* The same through jansson alone: the fuzzer checks that the two always agree. */
int cta_session_parse_tree(const char *name, const char *text, size_t len, struct cta_session *s,
			   struct cta_err *err);

#endif
