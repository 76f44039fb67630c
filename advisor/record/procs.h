/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which local process owns a flow. The eBPF programs (bpf/) tell which process
 * connected, sent, received, bound or listened on which socket; this table keeps the
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

enum cta_sock_kind {
	CTA_SOCK_CONNECT = 1, /* connect(): remote known, local port maybe not yet */
	CTA_SOCK_ESTABLISHED, /* a TCP connect() ended: the whole tuple */
	CTA_SOCK_LISTEN, /* a TCP socket listens */
	CTA_SOCK_BIND, /* a UDP socket bound a port */
	CTA_SOCK_SEND, /* an unconnected UDP send */
	CTA_SOCK_RECV, /* an unconnected UDP receive */
	CTA_SOCK_KIND_MAX = CTA_SOCK_RECV,
};

/* A process as the session shows it; empty strings are unknown. */
struct cta_proc {
	uint32_t pid, uid, gid;
	char comm[16];
	char exe[256]; /* the executable's path (or only its file name, if it had exited) */
	char user[64]; /* uid's name */
	char cgroup[256]; /* cgroup v2 path, "/system.slice/ssh.service" */
};

struct cta_sock_event {
	uint8_t kind; /* enum cta_sock_kind */
	uint8_t family; /* AF_INET, AF_INET6 (IPv4-mapped IPv6 addresses become IPv4) */
	uint8_t l4proto;
	uint16_t lport, rport; /* 0: not known */
	union cta_addr laddr, raddr; /* zero: any / not known */
	struct cta_proc proc;
	uint64_t cgroup_id; /* for the loader to find the cgroup's path */
};

/*
 * A ring buffer record of bpf/procmon.bpf.c (struct cta_bpf_event) into ev, its
 * strings cut at their arrays' ends and the exe holding the file name the kernel had.
 * 0, or -EBADMSG for a record of another size, kind, family or protocol.
 */
int cta_sock_event_from_bpf(const void *rec, size_t len, struct cta_sock_event *ev);

/* An IPv4-mapped IPv6 socket's addresses (::ffff:a.b.c.d) as the IPv4 they are. */
void cta_sock_event_normalize(struct cta_sock_event *ev);

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
