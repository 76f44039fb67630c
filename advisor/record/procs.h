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
#include "advisor/model/verdict.h"

struct cta_procs;

struct cta_procs *cta_procs_new(void);
void cta_procs_free(struct cta_procs *p);

/* Learn from one socket event. 0 or -ENOMEM. */
int cta_procs_add(struct cta_procs *p, const struct cta_sock_event *ev);

/*
 * The process on this host's end of a flow (borrowed: the same value for the same
 * process; take a reference to keep it), or NULL when none is known (or the flow is
 * forwarded).
 */
struct cta_process *cta_procs_for_flow(const struct cta_procs *p, const struct cta_flow *f);

/* Sockets and processes held, for tests and stats. */
size_t cta_procs_sockets(const struct cta_procs *p);
size_t cta_procs_processes(const struct cta_procs *p);

#endif
