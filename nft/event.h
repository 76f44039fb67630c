/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event values of the kernel layer: every kernel source (nft/ and bpf/) turns its
 * messages into one of these, and the advisor consumes nothing else from it.
 *
 *   struct cta_event          a conntrack event or dump entry      nft/ct.c, nft/ctmsg.c
 *   struct cta_trace_event    one nf_tables trace message          nft/tracemsg.c
 *   struct cta_nflog_packet   one packet logged by NFLOG           nft/nflogmsg.c
 *   struct cta_sock_event     a socket and the process behind it   bpf/loader.c, bpf/sockscan.c
 *   struct cta_route          a route of the host                  nft/routemsg.c
 *   struct cta_prule          a policy routing rule of the host    nft/routemsg.c
 *
 * Plain data: no pointers, so an event can be copied, stored in a test and compared
 * byte for byte. The parsers and sockets that produce them have their own headers;
 * the few functions declared here (nft/event.c) only name and classify values.
 */
#ifndef CTA_EVENT_H
#define CTA_EVENT_H

#include <stdbool.h>
#include <stdint.h>

/* An address in network byte order; IPv4 uses the first 4 bytes, the rest zero. */
union cta_addr {
	uint8_t b[16];
	uint32_t w[4];
};

struct cta_tuple {
	union cta_addr src, dst;
	uint16_t sport, dport; /* host order; for ICMP: sport = id, dport = 0 */
	uint8_t icmp_type, icmp_code;
};

/* Protocols whose tuple has ports (TCP, UDP, UDP-Lite, SCTP, DCCP); nft/event.c. */
bool cta_proto_has_ports(uint8_t l4proto);
/* ICMP and ICMPv6: type, code and (for echo) the identifier instead of ports. */
bool cta_proto_is_icmp(uint8_t l4proto);
/*
 * Does an ICMP/ICMPv6 message of this type carry an identifier (echo, timestamp,
 * information, node information: the ones conntrack keys by it)? Neighbour discovery
 * has flags there, not an identifier.
 */
bool cta_icmp_has_id(uint8_t l4proto, uint8_t type);

/* ---- conntrack: events and dump entries (nft/ct.h, nft/ctmsg.h) ---- */

enum cta_event_type {
	CTA_EV_CT_NEW = 1,
	CTA_EV_CT_UPDATE,
	CTA_EV_CT_DESTROY,
	CTA_EV_CT_DUMP, /* an entry seen in a dump: state, not a change */
};

#define CTA_EVF_COUNTERS (1u << 0) /* packets/bytes valid */
#define CTA_EVF_TSTART (1u << 1)
#define CTA_EVF_TSTOP (1u << 2)
#define CTA_EVF_TCPSTATE (1u << 3)
#define CTA_EVF_STATUS (1u << 4)
#define CTA_EVF_ID (1u << 5)
#define CTA_EVF_MASTER (1u << 6) /* master valid: a helper expected this connection */
#define CTA_EVF_HELPER (1u << 7) /* helper valid: a conntrack helper watches it */

#define CTA_HELPER_NAME_MAX 16 /* NF_CT_HELPER_NAME_LEN, with the NUL */

struct cta_event {
	uint8_t type; /* enum cta_event_type */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t l4proto; /* IPPROTO_* */
	uint8_t tcp_state; /* TCP_CONNTRACK_*, with CTA_EVF_TCPSTATE */
	uint32_t flags; /* CTA_EVF_* */
	uint32_t id; /* conntrack id */
	uint32_t status; /* IPS_* bits */
	uint16_t zone;
	uint8_t master_l4proto; /* with CTA_EVF_MASTER */
	struct cta_tuple orig, reply;
	uint64_t packets[2], bytes[2]; /* [0] original, [1] reply direction */
	uint64_t tstart_ns, tstop_ns; /* kernel timestamps, wall clock */
	uint64_t seen_ns; /* when the tool received it, wall clock */
	/* RELATED connections (CTA_TUPLE_MASTER): the original tuple of their master */
	struct cta_tuple master;
	char helper[CTA_HELPER_NAME_MAX]; /* CTA_HELP's name, "ftp"; NEW events and dumps */
};

/* ---- nf_tables traces (nft/tracemsg.h; the own table's rules: nft/table.h) ---- */

/* Which packets the own table traces. */
enum cta_trace_mode { CTA_TRACE_NONE = 0, CTA_TRACE_NEW, CTA_TRACE_ALL, CTA_TRACE_MATCH };

/* "none", "new", "all", "match", and back (-EINVAL). */
const char *cta_trace_mode_name(int mode);
int cta_trace_mode_from_name(const char *name);

#define CTA_NAME_MAX 256 /* NFT_NAME_MAXLEN */

#define CTA_TRF_HANDLE (1u << 0)
#define CTA_TRF_VERDICT (1u << 1)
#define CTA_TRF_POLICY (1u << 2)
#define CTA_TRF_HEADERS (1u << 3) /* the packet's tuple below is valid */
#define CTA_TRF_CT (1u << 4) /* ct_id, ct_dir, ct_state valid */
#define CTA_TRF_IIF (1u << 5)
#define CTA_TRF_OIF (1u << 6)
#define CTA_TRF_ISN (1u << 7) /* a TCP SYN: isn valid (with CTA_TRF_HEADERS) */

/*
 * One nf_tables trace event (NFT_MSG_TRACE), validated and flattened. The kernel
 * sends several per traced packet: one per rule that matched, per chain end, per
 * base chain policy.
 */
struct cta_trace_event {
	uint32_t flags; /* CTA_TRF_* */
	uint32_t id; /* the kernel's per-packet id: reused, so correlate with headers */
	uint8_t type; /* NFT_TRACETYPE_* */
	uint8_t table_family; /* NFPROTO_* of the table */
	uint8_t nfproto; /* NFPROTO_IPV4/IPV6: what the packet is */
	uint8_t ct_dir; /* IP_CT_DIR_* */
	char table[CTA_NAME_MAX], chain[CTA_NAME_MAX];
	char jump_target[CTA_NAME_MAX]; /* for jump and goto verdicts */
	uint64_t handle;
	int32_t verdict; /* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_CONTINUE, ... */
	uint32_t policy; /* with NFT_TRACETYPE_POLICY */
	uint32_t iif, oif;
	uint32_t ct_id, ct_state;
	uint32_t ct_status; /* with CTA_TRF_CT: IPS_* bits, 0 when the kernel sent none */
	/* the packet, from its headers (the first event of each base chain has them) */
	uint8_t family, l4proto;
	struct cta_tuple tuple;
	uint32_t isn; /* with CTA_TRF_ISN: a TCP SYN's sequence number (cta_pkt_tcp_isn) */
};

/* ---- NFLOG: the first packet of each new flow (nft/nflog.h) ---- */

#define CTA_NFLOG_PREFIX_MAX 128 /* NF_LOG_PREFIXLEN, with its NUL */

struct cta_nflog_packet {
	uint8_t family, l4proto;
	struct cta_tuple tuple;
	bool has_isn; /* a TCP SYN: isn is its sequence number (cta_pkt_tcp_isn) */
	uint32_t isn;
	bool has_ct, has_uid, has_gid;
	uint32_t ct_id, uid, gid;
	uint8_t hook; /* NF_INET_*: where it was logged */
	uint32_t indev, outdev; /* NFULA_IFINDEX_INDEV/OUTDEV; 0 none */
	/*
	 * NFULA_PREFIX, NUL-terminated; "" without one. ip_tables' TRACE lines arrive
	 * this way (`TRACE: filter:INPUT:rule:1 `, advisor/model/iptsave.h).
	 */
	char prefix[CTA_NFLOG_PREFIX_MAX];
};

/* ---- routes and policy rules (nft/routemsg.h, nft/route.h) ---- */

#define CTA_IFNAMSIZ 16 /* IFNAMSIZ, with the NUL */
#define CTA_UNSUPPORTED_MAX 24

/*
 * One route of the host (RTM_NEWROUTE), as review rebuilds it: every table but local,
 * and the local routes added to it by hand (AnyIP: `ip route add local NET dev lo`).
 * unsupported names what it has that a rebuild would not carry ("multipath", "nexthop
 * object", "encap"): "" when none.
 */
struct cta_route {
	uint8_t family; /* AF_INET, AF_INET6 */
	uint8_t dst_len;
	uint8_t type; /* RTN_* */
	uint8_t scope; /* RT_SCOPE_* */
	bool has_gateway, has_prefsrc, onlink;
	bool kernel; /* made by the kernel (proto kernel): an address's own, or a peer's */
	uint32_t table; /* RT_TABLE_MAIN = 254 */
	uint32_t metric;
	uint32_t oif; /* ifindex; 0: none */
	union cta_addr dst, gateway, prefsrc;
	char dev[CTA_IFNAMSIZ]; /* oif's name, where known; "" none */
	char unsupported[CTA_UNSUPPORTED_MAX];
};

/*
 * One policy routing rule (RTM_NEWRULE), the kernel's defaults (local, main, default
 * lookups) left out. unsupported as for routes ("uidrange", "ipproto", "goto", ...).
 */
struct cta_prule {
	uint8_t family;
	uint8_t action; /* FR_ACT_* */
	uint8_t src_len, dst_len, tos;
	bool invert, has_fwmark, has_suppress;
	uint32_t priority, table;
	uint32_t fwmark, fwmask; /* with has_fwmark */
	uint32_t suppress_prefixlen; /* with has_suppress */
	union cta_addr src, dst;
	char iif[CTA_IFNAMSIZ], oif[CTA_IFNAMSIZ]; /* "" any */
	char unsupported[CTA_UNSUPPORTED_MAX];
};

/* "unicast", "blackhole"... for RTN_*; NULL for a type without a name here. And back. */
const char *cta_route_type_name(uint8_t type);
int cta_route_type_from_name(const char *name, uint8_t *type);
/* "lookup", "blackhole", "unreachable", "prohibit", "nop" for FR_ACT_*; and back. */
const char *cta_prule_action_name(uint8_t action);
int cta_prule_action_from_name(const char *name, uint8_t *action);

/* ---- sockets and their processes (bpf/loader.h, bpf/sockscan.h, bpf/sockev.h) ---- */

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

#endif
