/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Denied TCP connects one by one, as the kernel's SYN sets list them (nft/kcount.h).
 * The counting sets count a flow's denied packets: for TCP, SYNs, a connect's first
 * and its retransmits (1 s, 3 s, 7 s... after it). What makes a denied SYN an attempt
 * of its own is a connection identity (source port and initial sequence number) not
 * seen before. The judge names the denied attempts it counted from traces and NFLOG
 * (cta_syns_own); the SYN sets give those of the SYNs of flows already let through,
 * which NFLOG does not log and the trace sees a few of (a rate limit's, a meter's).
 * The judge asks, for a flow's denied packets no trace or NFLOG packet claimed, how
 * many are attempts (cta_syns_attempts).
 */
#ifndef CTA_SYNS_H
#define CTA_SYNS_H

#include <stdbool.h>
#include <stdint.h>

#include "advisor/record/denials.h"
#include "nft/event.h"
#include "nft/kcount.h"

/*
 * An identity is kept this long after it was last listed or seen: longer than the
 * widest gap between a SYN's retransmits with Linux's default tcp_syn_retries (6: the
 * last two come 32 s and 64 s apart), so a retransmit whose element expired in the
 * meantime is known again when it comes back.
 */
#define CTA_SYNS_KEEP_NS 130000000000ULL

struct cta_syns_stats {
	uint64_t listings; /* complete listings of the SYN sets */
	uint64_t identities; /* denied connects the sets listed in two listings */
	uint64_t attempts; /* of those, handed out as attempts nothing else claimed */
	uint64_t retransmits; /* unclaimed denied packets found retransmits */
	uint64_t unsure; /* unclaimed denied packets left attempts: sets full or unlisted */
	uint64_t full; /* listings that found a set (nearly) full: SYNs may have gone unmarked */
};

struct cta_syns;

struct cta_syns *cta_syns_new(void);
void cta_syns_free(struct cta_syns *s);

/* Before a listing's elements come in (cta_kcount_read_syns). */
void cta_syns_next_listing(struct cta_syns *s);
/* One element of the listing. now_mono: monotonic ns. 0 or -ENOMEM. */
int cta_syns_add(struct cta_syns *s, const struct cta_kcount_syn *e, uint64_t now_mono);
/*
 * The listing is over: complete (every element read) or not, and whether a set was
 * full. Either failure, or complete listings more than half the sets' timeout apart
 * (a connect may have been in none twice), makes the flows' unclaimed packets attempts
 * again (an upper bound) for CTA_SYNS_KEEP_NS. Forgets identities older than that.
 */
void cta_syns_listed(struct cta_syns *s, bool complete, bool full, uint64_t now_mono);
/*
 * The recording ends: no listing comes after the last, so a connect it listed once (a
 * SYN dropped in its last second) is as good as one listed twice.
 */
void cta_syns_final(struct cta_syns *s);
/*
 * The judge denies this TCP connect (t: its original tuple, isn: its SYN's sequence
 * number; a trace or NFLOG packet saw it): its SYNs are none of cta_syns_attempts'
 * business. A connect the judge let through whose SYN the sets list (its first SYN
 * dropped, a retransmit let through) is still handed out. One of a flow the sets have
 * not listed is kept only while fewer than 65,536 connects are. More than 262,144
 * connects in all (listed or owned) make the sets untrusted for CTA_SYNS_KEEP_NS.
 * now_mono: monotonic ns. 1: cta_syns_attempts handed it out already (a trace of a
 * late retransmit: the judge then counts its packets, not another attempt); 0; or
 * -ENOMEM.
 */
int cta_syns_own(struct cta_syns *s, uint8_t family, const struct cta_tuple *t, uint32_t isn,
		 uint64_t now_mono);
/*
 * Of `packets` denied packets of TCP flow k that no trace or NFLOG packet claimed, how
 * many are attempts: identities listed in two listings that were neither owned nor
 * handed out before, up to packets; the rest are retransmits of attempts counted
 * already. All of them when the SYN sets did not list the flow in CTA_SYNS_KEEP_NS
 * (NFLOG logs its SYNs: those are lost messages) or could not be trusted then (full,
 * unlisted, listed far apart); the connects listed so far then go with them.
 */
uint64_t cta_syns_attempts(struct cta_syns *s, const struct cta_denial_key *k, uint64_t packets,
			   uint64_t now_mono);
const struct cta_syns_stats *cta_syns_stats(const struct cta_syns *s);

#endif
