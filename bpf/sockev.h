/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF programs' ring buffer records (bpf/procmon.h) as the kernel layer's socket
 * event value, struct cta_sock_event (nft/event.h). No libbpf here: the fuzzer and
 * the unit tests decode records without loading anything.
 */
#ifndef CTA_BPF_SOCKEV_H
#define CTA_BPF_SOCKEV_H

#include <stddef.h>

#include "nft/event.h"

/*
 * A ring buffer record of bpf/procmon.bpf.c (struct cta_bpf_event) into ev, its
 * strings cut at their arrays' ends and the exe holding the file name the kernel had.
 * 0, or -EBADMSG for a record of another size, kind, family or protocol.
 */
int cta_sock_event_from_bpf(const void *rec, size_t len, struct cta_sock_event *ev);

/* An IPv4-mapped IPv6 socket's addresses (::ffff:a.b.c.d) as the IPv4 they are. */
void cta_sock_event_normalize(struct cta_sock_event *ev);

#endif
