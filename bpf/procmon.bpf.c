// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which process owns a socket, told to user space as the socket is used: cgroup socket
 * hooks (connect, sendmsg, recvmsg, post_bind) run in the caller's context, and the
 * TCP state tracepoint (tp_btf) tells listening sockets apart and gives a client's
 * whole tuple once the kernel chose its source port. Kprobes and fentry are not used:
 * this project's kernels lack the one and refuse the other.
 *
 * The hooks only look: every cgroup program returns 1 (go on), so attaching them to
 * the cgroup v2 root changes nothing for any program. Events of network namespaces
 * other than the recording's are skipped here, in the kernel.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "procmon.h"

#define AF_INET 2
#define AF_INET6 10
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define TCP_LISTEN 10

char LICENSE[] SEC("license") = "GPL";

/* The recording's network namespace (SO_NETNS_COOKIE); 0: every namespace. */
const volatile __u64 netns_cookie = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* The owner of a connecting socket, for when its tuple is complete (softirq). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cta_bpf_owner);
} owners SEC(".maps");

/* What was told already: a process sending to one peer a million times is one event. */
struct seen_key {
	__u32 pid;
	__u8 kind, family, protocol, pad;
	__u16 lport, rport;
	__u8 laddr[16], raddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct seen_key);
	__type(value, __u8);
} seen SEC(".maps");

/* Events the ring buffer had no room for: [0] */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static void fill_owner(struct cta_bpf_owner *o)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const unsigned char *name = BPF_CORE_READ(t, mm, exe_file, f_path.dentry, d_name.name);
	__u64 ug = bpf_get_current_uid_gid();

	o->cgroup_id = bpf_get_current_cgroup_id();
	o->pid = bpf_get_current_pid_tgid() >> 32;
	o->uid = (__u32)ug;
	o->gid = ug >> 32;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	if (!name || bpf_probe_read_kernel_str(o->exe, sizeof(o->exe), name) < 0)
		o->exe[0] = '\0';
}

/* The key under which e is remembered as told. */
static void seen_key_of(const struct cta_bpf_event *e, struct seen_key *k)
{
	k->pid = e->owner.pid;
	k->kind = e->kind;
	k->family = e->family;
	k->protocol = e->protocol;
	__builtin_memcpy(k->laddr, e->laddr, 16);
	if (e->kind == CTA_BPF_LISTEN || e->kind == CTA_BPF_BIND || e->kind == CTA_BPF_RECV) {
		/* a service is its local port, whoever its peers are */
		k->lport = e->lport;
	} else {
		/* a client is its peer: its own port changes with each socket */
		k->rport = e->rport;
		__builtin_memcpy(k->raddr, e->raddr, 16);
	}
}

/* To user space, unless told already; what finds no room is counted in lost. */
static void submit(const struct cta_bpf_event *e)
{
	struct seen_key k = { 0 };
	__u32 zero = 0;
	__u8 one = 1;
	__u64 *n;

	seen_key_of(e, &k);
	if (bpf_map_lookup_elem(&seen, &k))
		return;
	if (bpf_ringbuf_output(&events, (void *)e, sizeof(*e), 0) == 0) {
		bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
		return;
	}
	n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		(*n)++;
}

static int ours_sock_addr(struct bpf_sock_addr *ctx)
{
	return !netns_cookie || bpf_get_netns_cookie(ctx) == netns_cookie;
}

/* A socket's local address and port, as the cgroup hooks see it. */
static __always_inline void sock_local(struct bpf_sock *sk, int v6, struct cta_bpf_event *e)
{
	e->lport = sk->src_port;
	if (v6) {
		__u32 a[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };

		__builtin_memcpy(e->laddr, a, 16);
	} else {
		__u32 a = sk->src_ip4;

		__builtin_memcpy(e->laddr, &a, 4);
	}
}

/* A sock_addr hook's event: the peer is the user's address; the local side the socket's. */
static void sock_addr_event(struct bpf_sock_addr *ctx, __u8 kind, int v6)
{
	struct cta_bpf_event e = { 0 };
	struct bpf_sock *sk = ctx->sk;

	if (!ours_sock_addr(ctx))
		return;
	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return;
	fill_owner(&e.owner);
	e.kind = kind;
	e.family = v6 ? AF_INET6 : AF_INET;
	e.protocol = ctx->protocol;
	e.rport = bpf_ntohs(ctx->user_port);
	if (v6) {
		__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			       ctx->user_ip6[3] };
		__builtin_memcpy(e.raddr, a, 16);
	} else {
		__u32 a = ctx->user_ip4;
		__builtin_memcpy(e.raddr, &a, 4);
	}
	if (sk)
		sock_local(sk, v6, &e);
	submit(&e);
}

/* connect(): told, and the owner kept with a TCP socket for its tuple later. */
static int on_connect(struct bpf_sock_addr *ctx, int v6)
{
	struct cta_bpf_owner *o;

	if (!ours_sock_addr(ctx))
		return 1;
	if (ctx->protocol == IPPROTO_TCP && ctx->sk) {
		o = bpf_sk_storage_get(&owners, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (o)
			fill_owner(o);
	}
	sock_addr_event(ctx, CTA_BPF_CONNECT, v6);
	return 1;
}

SEC("cgroup/connect4")
int cta_connect4(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, 0);
}

SEC("cgroup/connect6")
int cta_connect6(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, 1);
}

SEC("cgroup/sendmsg4")
int cta_sendmsg4(struct bpf_sock_addr *ctx)
{
	sock_addr_event(ctx, CTA_BPF_SEND, 0);
	return 1;
}

SEC("cgroup/sendmsg6")
int cta_sendmsg6(struct bpf_sock_addr *ctx)
{
	sock_addr_event(ctx, CTA_BPF_SEND, 1);
	return 1;
}

SEC("cgroup/recvmsg4")
int cta_recvmsg4(struct bpf_sock_addr *ctx)
{
	sock_addr_event(ctx, CTA_BPF_RECV, 0);
	return 1;
}

SEC("cgroup/recvmsg6")
int cta_recvmsg6(struct bpf_sock_addr *ctx)
{
	sock_addr_event(ctx, CTA_BPF_RECV, 1);
	return 1;
}

/* bind() of a UDP socket: a service (TCP ones become services when they listen). */
static int on_post_bind(struct bpf_sock *sk, int v6)
{
	struct cta_bpf_event e = { 0 };

	if (netns_cookie && bpf_get_netns_cookie(sk) != netns_cookie)
		return 1;
	if (sk->protocol != IPPROTO_UDP)
		return 1;
	fill_owner(&e.owner);
	e.kind = CTA_BPF_BIND;
	e.family = v6 ? AF_INET6 : AF_INET;
	e.protocol = IPPROTO_UDP;
	sock_local(sk, v6, &e);
	submit(&e);
	return 1;
}

SEC("cgroup/post_bind4")
int cta_post_bind4(struct bpf_sock *sk)
{
	return on_post_bind(sk, 0);
}

SEC("cgroup/post_bind6")
int cta_post_bind6(struct bpf_sock *sk)
{
	return on_post_bind(sk, 1);
}

/* The socket's own addresses and ports, as the kernel has them now. */
static void sock_tuple(const struct sock *sk, struct cta_bpf_event *e)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	e->family = family;
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(e->laddr, &l, 4);
		__builtin_memcpy(e->raddr, &r, 4);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(cta_sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct cta_bpf_event e = { 0 };
	struct cta_bpf_owner *o;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (netns_cookie && BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie) != netns_cookie)
		return 0;
	if (newstate == TCP_LISTEN) {
		/* listen(): in the listening process */
		fill_owner(&e.owner);
		e.kind = CTA_BPF_LISTEN;
	} else if (oldstate == TCP_SYN_SENT &&
		   (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)) {
		/* a connect() ended, in softirq maybe: its owner was kept at connect() */
		o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, 0);
		if (!o)
			return 0;
		e.owner = *o;
		e.kind = CTA_BPF_ESTABLISHED;
	} else {
		return 0;
	}
	e.protocol = IPPROTO_TCP;
	sock_tuple(sk, &e);
	if (e.kind == CTA_BPF_LISTEN)
		e.rport = 0;
	submit(&e);
	return 0;
}
