/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the eBPF programs (procmon.bpf.c) tell user space, one record per socket
 * event, through a ring buffer. Shared by both sides: fixed-size __u* types only.
 */
#ifndef CTA_BPF_PROCMON_H
#define CTA_BPF_PROCMON_H

#ifndef __bpf__
#include <linux/types.h>
#endif

enum cta_bpf_kind {
	CTA_BPF_CONNECT = 1, /* connect(): remote known, local port maybe not yet */
	CTA_BPF_ESTABLISHED, /* a TCP connect() ended (established or refused): full tuple */
	CTA_BPF_LISTEN, /* a TCP socket listens */
	CTA_BPF_BIND, /* a UDP socket bound a port */
	CTA_BPF_SEND, /* an unconnected UDP send */
	CTA_BPF_RECV, /* an unconnected UDP receive */
};

#define CTA_BPF_COMM_LEN 16
#define CTA_BPF_EXE_LEN 32

/* Who did it: the thread in process context, kept with the socket for later. */
struct cta_bpf_owner {
	__u64 cgroup_id; /* cgroup v2 */
	__u32 pid; /* thread group id: the process */
	__u32 uid, gid;
	char comm[CTA_BPF_COMM_LEN]; /* the thread's name */
	char exe[CTA_BPF_EXE_LEN]; /* the executable's file name, without its directory */
};

struct cta_bpf_event {
	struct cta_bpf_owner owner;
	__u8 kind; /* enum cta_bpf_kind */
	__u8 family; /* AF_INET, AF_INET6 */
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP */
	__u8 pad;
	__u16 lport, rport; /* host order; 0: not known */
	__u8 laddr[16], raddr[16]; /* network order; IPv4 in the first 4; zero: any */
};

#endif
