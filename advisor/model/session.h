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

#define CTA_SESSION_FORMAT "conntrack-advise-session"
#define CTA_SESSION_VERSION 1

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
	json_t *const *verdicts;
	size_t n_verdicts;
	/* flows' process - 1 indexes this; owned (or borrowed) with the verdicts */
	json_t *const *processes;
	size_t n_processes;
	bool owns_verdicts;
};

void cta_session_fini(struct cta_session *s);

/*
 * One flow as JSON: the session file's form, also what `flows -j` prints. verdict,
 * process: the flow's (from its owner's stores), or NULL.
 */
json_t *cta_flow_to_json(const struct cta_flow *f, json_t *verdict, json_t *process);
/* The verdict of one of a session's flows, or NULL. */
json_t *cta_session_verdict(const struct cta_session *s, const struct cta_flow *f);
/* The process of one of a session's flows, or NULL. */
json_t *cta_session_process(const struct cta_session *s, const struct cta_flow *f);

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
