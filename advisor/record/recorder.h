/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recording: own table, conntrack dump and events, flow table, checkpoints.
 * Single-threaded: one epoll over the event socket, a signalfd and a timerfd.
 */
#ifndef CTA_RECORDER_H
#define CTA_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "advisor/model/session.h"
#include "nft/table.h"

struct cta_record_status {
	bool final; /* the last call: the session is written */
	uint64_t elapsed_ms;
	uint64_t flows;
	uint64_t open_connections;
	uint64_t events_per_s;
	uint64_t lost; /* overruns so far */
};

/* The conntrack event socket's receive buffer asked for by default (the kernel doubles it). */
#define CTA_RECORD_RCVBUF (32u << 20)

struct cta_record_config {
	const char *output; /* NULL: the session goes to out_fd at the end */
	int out_fd;
	const char *out_name; /* out_fd's name for messages; NULL: standard output */
	int events_fd; /* -1, or where each connection's start and end go (--events) */
	const char *events_name; /* for messages */
	uint64_t duration_ms; /* 0: until SIGINT/SIGTERM */
	uint64_t checkpoint_ms;
	/*
	 * 0, or the length of a period: output is then a pattern (cta_rotated_name()), each
	 * period gets a complete session file of its own, periods end at multiples of this
	 * since the epoch (1d: midnight UTC), and SIGHUP ends one early.
	 */
	uint64_t rotate_ms;
	unsigned rcvbuf; /* conntrack event socket; --rcvbuf, CTA_RECORD_RCVBUF by default */
	struct cta_table_config table; /* trace mode, NFLOG group */
	bool no_bpf; /* no process attribution */
	bool no_reliable; /* conntrack events lost to overruns, resynced (nft/ct.h) */
	const char *generator;
	/* called about once a second */
	void (*on_status)(const struct cta_record_status *st, void *data);
	/* something the user should hear of (an overrun, a failed checkpoint) */
	void (*on_notice)(const char *msg, void *data);
	/* NULL, or -v: the table created, each ruleset snapshot, messages per socket */
	void (*on_verbose)(const char *msg, void *data);
	void *data;
};

enum cta_record_fail {
	CTA_RECORD_OK = 0,
	CTA_RECORD_SYSTEM, /* the kernel or the system refused: exit 3 */
	CTA_RECORD_OUTPUT, /* the output file could not be written: exit 2 */
};

/*
 * Record until a signal or the duration. 0 or -errno; on error *fail says whose
 * fault it was and err says what happened, for people. Nothing is left in the kernel
 * either way, and the sysctls are restored.
 */
int cta_record_run(const struct cta_record_config *cfg, enum cta_record_fail *fail,
		   struct cta_err *err);

#endif
