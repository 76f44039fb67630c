/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the command files share: global options, exit codes, messages. */
#ifndef CTA_CLI_H
#define CTA_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "advisor/model/session.h"

/* The documented exit codes (design.md, docs/conntrack-advise.8.md). */
enum {
	CTA_EXIT_OK = 0,
	CTA_EXIT_NEGATIVE = 1, /* a negative answer */
	CTA_EXIT_USAGE = 2, /* bad usage or bad input */
	CTA_EXIT_SYSTEM = 3, /* the system refused */
};

/* Version of every -j document. */
#define CTA_JSON_VERSION 1

struct cta_global {
	bool json;
	bool quiet;
	int verbose;
};

struct cta_cmd {
	const char *name;
	int (*run)(int argc, char **argv, const struct cta_global *g);
	const char *summary;
	const char *usage; /* options and examples, for help COMMAND and COMMAND --help */
};

extern const struct cta_cmd cta_cmd_record, cta_cmd_flows, cta_cmd_blame, cta_cmd_suggest,
	cta_cmd_graph, cta_cmd_merge, cta_cmd_review, cta_cmd_apply;

void cta_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "conntrack-advise: COMMAND: ..." plus a hint to --help; returns CTA_EXIT_USAGE. */
int cta_usage_error(const struct cta_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cta_print_usage(const struct cta_cmd *cmd, FILE *out);

/* Dump a -j document to stdout (adds the version field). Takes the reference. */
int cta_print_json(json_t *doc);

/*
 * Load every session of paths into *out (an array of n; free it with
 * cta_free_sessions, also after a failure). An exit code; the message is said.
 */
int cta_load_sessions(const struct cta_cmd *cmd, char **paths, size_t n, struct cta_session **out);
/*
 * Refuse (with a message naming both files, CTA_EXIT_USAGE) sessions two of which hold
 * the same recording: its counts would add up twice. CTA_EXIT_OK otherwise.
 */
int cta_sessions_distinct(const char *what, char *const *paths, const struct cta_session *s,
			  size_t n);
void cta_free_sessions(struct cta_session *s, size_t n);
/* data to path atomically (with mode), or to stdout without one. An exit code. */
int cta_write_output(const struct cta_cmd *cmd, const char *path, const char *data, size_t len,
		     unsigned mode);

#endif
