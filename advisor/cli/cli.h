/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the command files share: global options, exit codes, messages. */
#ifndef CTA_CLI_H
#define CTA_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "advisor/lib/buf.h"
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

/* File names: what cta_expand_sessions() made of the SESSION arguments. */
struct cta_paths {
	char **v;
	size_t n;
};
/*
 * The SESSION arguments as files: a directory stands for its *.json files and a glob
 * the shell left alone for its matches (sorted), anything else for itself. An exit
 * code; the message is said. paths is filled also after a failure: cta_paths_fini.
 */
int cta_expand_sessions(const struct cta_cmd *cmd, char **args, size_t n, struct cta_paths *paths);
void cta_paths_fini(struct cta_paths *paths);

/*
 * Load every session of paths into *out (an array of n; free it with
 * cta_free_sessions, also after a failure). An exit code; the message is said.
 */
int cta_load_sessions(const struct cta_cmd *cmd, char **paths, size_t n, struct cta_session **out);
/*
 * The same for the *n SESSION arguments of a command (cta_expand_sessions): *n is the
 * number of sessions afterwards, for cta_free_sessions(*out, *n).
 */
int cta_load_session_args(const struct cta_cmd *cmd, char **args, size_t *n,
			  struct cta_session **out);
/*
 * Refuse (with a message naming both files, CTA_EXIT_USAGE) sessions two of which hold
 * the same recording: its counts would add up twice. CTA_EXIT_OK otherwise.
 */
int cta_sessions_distinct(const char *what, char *const *paths, const struct cta_session *s,
			  size_t n);
void cta_free_sessions(struct cta_session *s, size_t n);
/*
 * data to path (cta_write_atomic's rules, with mode), or to stdout without one. An
 * exit code; a failure on stdout is left to cta_stdout_finish.
 */
int cta_write_output(const struct cta_cmd *cmd, const char *path, const char *data, size_t len,
		     unsigned mode);

/*
 * A -j document written as it is made, item by item, so that a list of 10^6 flows is
 * never one tree in memory: {"KEY": [ITEM, ...], "version": N}, the same bytes as
 * cta_print_json gives for that document. KEY is a plain word (not escaped).
 * cta_jstream_item takes the item's reference; each returns an exit code (a write
 * error is left to cta_stdout_finish); after a failed item the stream is done.
 */
struct cta_jstream {
	const char *key;
	size_t n;
	struct cta_buf out; /* written to stdout in blocks */
	json_t *wrap; /* {"KEY": [one item]} */
	char *dump; /* wrap dumped, reused */
	size_t cap;
};
void cta_jstream_begin(struct cta_jstream *js, const char *key);
int cta_jstream_item(struct cta_jstream *js, json_t *item);
/*
 * The two halves of cta_jstream_item: render gives the item's text as it stands in
 * the document ("    {" to "    }", valid until the next call; takes the reference),
 * raw adds such a text as the next item.
 */
int cta_jstream_render(struct cta_jstream *js, json_t *item, const char **text, size_t *len);
int cta_jstream_raw(struct cta_jstream *js, const char *text, size_t len);
int cta_jstream_end(struct cta_jstream *js);
/* Free what a stream holds (cta_jstream_end does it; after a failure, the caller). */
void cta_jstream_fini(struct cta_jstream *js);

/*
 * The end of every command: stdout flushed and closed, and checked. rc as it was, or
 * CTA_EXIT_USAGE with the reason said when anything written there was lost (a full
 * disk, /dev/full, an I/O error); a closed pipe (EPIPE) keeps rc, quietly.
 */
int cta_stdout_finish(int rc);

#endif
