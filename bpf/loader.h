/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process monitor: loads bpf/procmon.bpf.c (through its libbpf skeleton),
 * attaches its cgroup socket hooks to the cgroup v2 root and its tracepoint, and
 * hands every socket event, a struct cta_sock_event (nft/event.h) with the process's
 * executable path, user name and cgroup path looked up, to a callback. Everything it
 * attached goes when it is freed (or the process dies): the attachments are BPF links
 * owned by its file descriptors.
 */
#ifndef CTA_BPF_LOADER_H
#define CTA_BPF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

struct cta_procmon;

typedef void (*cta_procmon_cb)(const struct cta_sock_event *ev, void *data);

/*
 * Load and attach, for sockets of the calling thread's network namespace only.
 * 0, or -errno with why saying, for people, what was missing (BTF, privileges,
 * cgroup v2, or a build without eBPF: -EOPNOTSUPP).
 */
int cta_procmon_open(struct cta_procmon **pm, cta_procmon_cb cb, void *data, char *why,
		     size_t whylen);
void cta_procmon_free(struct cta_procmon *pm);

/* Readable when events wait; cta_procmon_read hands them all over. 0 or -errno. */
int cta_procmon_fd(const struct cta_procmon *pm);
int cta_procmon_read(struct cta_procmon *pm);

/* Events handed over, sockets found at the start, events the kernel had no room for. */
uint64_t cta_procmon_events(const struct cta_procmon *pm);
uint64_t cta_procmon_scanned(const struct cta_procmon *pm);
uint64_t cta_procmon_lost(const struct cta_procmon *pm);

#endif
