/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which local process owns a flow. The eBPF programs (bpf/) tell which process
 * connected, sent, received, bound or listened on which socket, as struct
 * cta_sock_event values (nft/event.h) handed to a callback; this table keeps the
 * latest owner of each socket role and answers, for a flow, the process on this
 * host's end of it: the client for outbound flows, the listening (or bound) program
 * for inbound ones. Forwarded flows have none.
 */
#ifndef CTA_PROCS_H
#define CTA_PROCS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"
#include "advisor/model/flow.h"

struct cta_procs;

struct cta_procs *cta_procs_new(void);
void cta_procs_free(struct cta_procs *p);

/* Learn from one socket event. 0 or -ENOMEM. */
int cta_procs_add(struct cta_procs *p, const struct cta_sock_event *ev);

/*
 * The process on this host's end of a flow, as a session's "process" object (a
 * borrowed reference, the same object for the same process), or NULL when none is
 * known (or the flow is forwarded).
 */
json_t *cta_procs_for_flow(const struct cta_procs *p, const struct cta_flow *f);

/* A process as its JSON object; NULL when out of memory. */
json_t *cta_proc_to_json(const struct cta_proc *pr);

/*
 * The program of a session's "process" object, for rule comments and listings: its
 * command name with anything but letters, digits and ._+- made '_' ("" if none).
 */
const char *cta_program_name(json_t *process, char *buf, size_t len);

/* Sockets and processes held, for tests and stats. */
size_t cta_procs_sockets(const struct cta_procs *p);
size_t cta_procs_processes(const struct cta_procs *p);

#endif
