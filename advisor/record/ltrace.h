/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iptables-legacy tables, followed while recording, in blame --live and review --live:
 * their rules (iptables-legacy-save, taken again when they change), the nf_log
 * binding that sends ip_tables' TRACE lines to NFLOG group 0, and the lines, turned
 * into walks (advisor/model/iptpath.h) that a packet's nf_tables judgement takes up.
 *
 * No rule is ever added to the user's legacy tables: the tool's own nf_tables chain
 * sets nf_trace on the packets it traces, and ip_tables logs every rule such a packet
 * passes through the logger bound to its family.
 */
#ifndef CTA_LTRACE_H
#define CTA_LTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "advisor/lib/err.h"
#include "advisor/model/iptpath.h"
#include "advisor/model/verdict.h"
#include "nft/event.h"
#include "nft/nflog.h"

/* One legacy table's walk for a packet: the packet as that hook saw it, and the result. */
struct cta_ltrace_walk {
	uint8_t family, l4proto; /* AF_INET, AF_INET6; IPPROTO_* */
	struct cta_tuple tuple;
	uint64_t seen_ns; /* when its last line came (the caller's clock) */
	uint64_t gen; /* which reading of the rules it was walked through (their texts) */
	struct cta_ipt_result r;
};

#define CTA_LTRACE_WALKS_MAX 16 /* walks one packet can take: tables by hooks */

struct cta_ltrace;

/*
 * Follow the legacy tables of this namespace. *OUT is NULL (and 0 returned) when no
 * legacy rule decides anything here (no table, or only empty tables with policy
 * ACCEPT). OWN_SOCKET: read the TRACE lines from a socket of its own on group 0 (else
 * a caller bound to group 0 itself hands them to cta_ltrace_feed; record, blame --live
 * and the replay all use a socket of its own: the own table never logs to group 0). Binds
 * nfnetlink_log for IPv4 and IPv6 (cta_ltrace_free puts back what was there).
 * 0 or -errno with ERR's message: -EBUSY when another program holds group 0,
 * -ENOENT without iptables-legacy-save, the binding's or the socket's error.
 */
int cta_ltrace_open(struct cta_ltrace **out, bool own_socket, struct cta_err *err);
/* Puts the nf_log binding back as it was; takes NULL. */
void cta_ltrace_free(struct cta_ltrace *l);
/* The group 0 socket to poll, or -1 (no socket of its own). */
int cta_ltrace_fd(const struct cta_ltrace *l);
/* Read the lines queued on the socket now (non-blocking). 0, -ENOBUFS (lines lost), -errno. */
int cta_ltrace_read(struct cta_ltrace *l, uint64_t now_ns);
/* One NFLOG packet from group 0; not a TRACE line: ignored. */
void cta_ltrace_feed(struct cta_ltrace *l, const struct cta_nflog_packet *p, uint64_t now_ns);

/*
 * The walks of the packet whose tuple (as it came, before NAT) is T: walks with that
 * tuple, or with one side of it and its source port (NAT changed the other), in hook
 * and priority order,
 * taken out. The number of walks put in OUT (at most MAX).
 */
int cta_ltrace_take(struct cta_ltrace *l, uint8_t family, uint8_t l4proto,
		    const struct cta_tuple *t, struct cta_ltrace_walk *out, int max);
/* Forget walks no packet took within AGE_NS, and close walks quiet that long. */
void cta_ltrace_expire(struct cta_ltrace *l, uint64_t now_ns, uint64_t age_ns);
/* The rules of FAMILY as last read; NULL when none. */
const struct cta_iptsave *cta_ltrace_rules(const struct cta_ltrace *l, int family);

struct cta_ltrace_stats {
	uint64_t lines, walks, unknown; /* unknown: lines the rules did not hold */
	uint64_t snapshots;
};
const struct cta_ltrace_stats *cta_ltrace_stats(const struct cta_ltrace *l);

/*
 * A packet's verdict with its legacy walks: NFT is the verdict of its nf_tables
 * judgement (borrowed: it may be shared); the walks' base chains join its path in hook
 * and priority order, and the whole path is decided by decide.h, legacy chains like
 * nf_tables ones: a drop or reject anywhere is final, an accept decides its hook when
 * its chain would have dropped the packet otherwise; nat never decides. With no
 * filter chain's end seen on the path, NFT's decision stands. Rule texts on the
 * path come from RULES (IPv4's and IPv6's, as cta_ltrace_rules gives them; NULL: the
 * deciding rule's text only). A legacy decider has legacy set and its rule number as
 * handle. Pure (ltrace_verdict.c): a new reference, or NULL on ENOMEM.
 */
struct cta_verdict *cta_ltrace_verdict(const struct cta_iptsave *const rules[2],
				       const struct cta_verdict *nft,
				       const struct cta_ltrace_walk *w, int n);
/* cta_ltrace_rules of both families, for cta_ltrace_verdict. */
void cta_ltrace_rules2(const struct cta_ltrace *l, const struct cta_iptsave *rules[2]);

/*
 * The walks as bytes: equal keys give equal cta_ltrace_verdict() output for one nft
 * verdict and one set of rules (for a cache of verdicts). Its length, or 0 when it
 * does not fit in LEN.
 */
size_t cta_ltrace_key(const struct cta_ltrace_walk *w, int n, char *buf, size_t len);

struct cta_judgement;
struct cta_ruleset;
/*
 * A live packet's verdict (blame --live, review's replay): its nf_tables judgement J
 * under ruleset RS, with the legacy walks LT holds for it (LT NULL: none), learnt from
 * SOURCE. A new reference, or NULL on ENOMEM.
 */
struct cta_verdict *cta_ltrace_judgement(struct cta_ltrace *lt, const struct cta_judgement *j,
					 const struct cta_ruleset *rs, enum cta_vsource source);

#endif
