/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verdicts onto flows. A trace judgement or an NFLOG packet whose connection is in the
 * flow table (found by conntrack id, or by original tuple) belongs to that flow: it was
 * let through. One whose connection is not there yet waits, by original tuple: confirmed
 * soon after, it was accepted; never confirmed, the flow was denied and becomes a flow
 * of its own with the verdict that denied it (or, with NFLOG alone, the fact that
 * something did). The tuple, not the conntrack id, is the key: NFLOG carries no id
 * without CONFIG_NETFILTER_NETLINK_GLUE_CT, and a retransmitted attempt is the same
 * attempt.
 */
#ifndef CTA_JUDGE_H
#define CTA_JUDGE_H

#include <jansson.h>
#include <stdint.h>

#include "advisor/model/flowtab.h"
#include "advisor/model/host.h"
#include "advisor/record/denials.h"
#include "advisor/record/syns.h"
#include "nft/nflog.h"
#include "advisor/record/trace.h"

struct cta_judge_stats {
	uint64_t judgements; /* traced packets judged */
	uint64_t replies; /* judgements of reply-direction packets, not flows' first */
	uint64_t established; /* of packets whose connection had seen a reply: not first */
	uint64_t by_kernel; /* of packets the kernel sent for a connection (synproxy): not first */
	uint64_t nflog; /* NFLOG packets */
	uint64_t denied; /* attempts never confirmed: denied */
	uint64_t accepted_late; /* waited, then confirmed */
	uint64_t untracked; /* accepted, never tracked by conntrack: not flows */
	uint64_t retransmits; /* packets of attempts already recorded as denied */
	uint64_t passed; /* with kernel counts: waited, and the kernel counted no denial */
	uint64_t unsure; /* packets NFLOG alone saw, of flows the kernel could not count: let go */
	uint64_t unseen; /* connections the kernel let through that no event or dump showed */
	uint64_t undelivered; /* packets to a multicast group nobody here joined: no denial */
};

struct cta_judge;

struct cta_judge *cta_judge_new(struct cta_flowtab *ft, const struct cta_host *host);
void cta_judge_free(struct cta_judge *j);

/*
 * A traced packet's verdict (the reference is taken). It may be shared with other
 * flows: the judge never changes it, and a copy carries a denied flow's owner. It is
 * counted once per connection, beside the verdicts other connections of the flow got.
 */
int cta_judge_trace(struct cta_judge *j, const struct cta_judgement *jd,
		    struct cta_verdict *verdict, uint64_t now_mono, uint64_t now_real);
int cta_judge_nflog(struct cta_judge *j, const struct cta_nflog_packet *p, uint64_t now_mono,
		    uint64_t now_real);
/*
 * After each conntrack event (NEW, DESTROY, dump entry), once the flow table has taken
 * it: a verdict waiting for this connection goes to its flow.
 */
int cta_judge_conntrack(struct cta_judge *j, const struct cta_event *ev);
/*
 * Decide denials by the kernel's counts (advisor/record/denials.h), not by time: an
 * attempt is denied only if the kernel counted a first packet of its flow that
 * entered and never left; a trace or NFLOG packet waiting for its connection then
 * only says which rule did it. One the kernel did not count as denied in 5 s and two
 * listings of the sets begun after it (2 s for a flow it could not count) was let
 * through: record reads no NEW events, so it
 * waits for its connection's DESTROY or a dump begun after it (cta_judge_dump_end),
 * unless the counts say its flow left untranslated: then its tuple keys its
 * connection's flow, which takes it when due; if neither showed it, what it tells goes
 * to its flow, made pending when no connection of it is known (an untracked packet's
 * is let go). A first packet the kernel counted entering (its trace saw the count
 * rule, or NFLOG alone saw it and no packet of its flow left since) whose denial is
 * not listed when due waits two listings more for it (a count can come late) and is
 * never denied by time. Only an attempt a trace saw dropped takes a denial of a flow the kernel
 * could not count. One its trace saw
 * accepted takes a denial only when due, and only if no packet of its flow left the
 * filter hooks since it began.
 * NULL: by time, as without counts (a kernel that cannot list them: record reads NEW
 * events then). d must outlive j.
 */
void cta_judge_use_counts(struct cta_judge *j, struct cta_denials *d);
/*
 * With kernel counts and the SYN sets (nft/kcount.h): a TCP flow's denied packets
 * nothing claimed are attempts only as far as the sets tell new connects
 * (advisor/record/syns.h); the connects the judge denies from traces and NFLOG are
 * given to s (cta_syns_own). NULL (or never called): each is an attempt. s must
 * outlive j.
 */
void cta_judge_use_syns(struct cta_judge *j, struct cta_syns *s);
/*
 * Can the host receive multicast to group (family, network order) on interface ifindex
 * (0: any) at all (nft/mcast.h: the interface joined it, or the host routes multicast)?
 * When not, the stack discarded a first packet that came in to it between prerouting
 * and input whatever the firewall said: a denial the kernel counted for it, or NFLOG
 * saw, that no trace saw dropped by a rule is no denial (stats undelivered) and books
 * no flow. Asked as an attempt's first message comes, with the interface it came in on
 * (a group joined after the packet does not change what happened to it); never for a
 * packet a local socket sent (no input interface, or a source address of the host's:
 * a sender need not join). NULL (or never called): every group receivable.
 */
typedef bool (*cta_judge_mcast_fn)(uint8_t family, const union cta_addr *group, uint32_t ifindex,
				   uint64_t now_mono, void *data);
void cta_judge_use_mcast(struct cta_judge *j, cta_judge_mcast_fn fn, void *data);
/*
 * With kernel counts: waiting attempts get the denials counted for their flow (those
 * of a flow the kernel could not count are denied after wait_ns only if their trace
 * saw them dropped, else counted unsure); denials no attempt claimed in
 * 5 s (all with wait_ns 0) become denied flows without a rule. Without: attempts
 * waiting longer than wait_ns (all with 0) were denied.
 */
int cta_judge_expire(struct cta_judge *j, uint64_t now_mono, uint64_t wait_ns);
/*
 * At the end (after the last dump, events and listings): flows the kernel counted
 * through the filter hooks (nft/kcount.h) of which the flow table has no connection at
 * all, because their NEW and DESTROY events were both lost in an overrun and the
 * entries were gone before the resync dump, become flows with the connections the
 * kernel counted (the first sets: each connection's very first packet) and the first
 * packets that left (stats.unseen: the connections). Not a flow that left translated
 * (the nat sets). Without them, advice from the recording would leave out a service
 * the host served. 0 or -ENOMEM.
 */
int cta_judge_unseen(struct cta_judge *j);
/*
 * A conntrack dump begins, and ended (complete: it listed every entry). A first packet
 * let through (no denial counted) of a translated flow is credited to its flow once a
 * dump begun after it completed: its connection, open then, was listed; ended before,
 * its DESTROY came.
 */
void cta_judge_dump_begin(struct cta_judge *j);
void cta_judge_dump_end(struct cta_judge *j, bool complete);
/*
 * Does a first packet wait for a dump to show its connection (record then dumps,
 * checkpoint or not)? One the last cta_judge_expire found due and could not let
 * through before a dump shows its connection: of a flow whose first packets left
 * translated (NAT) or are not listed yet, or without a conntrack id. One of a flow
 * that left untranslated goes to its tuple's flow when due, and stays (credited) until
 * its connection shows up; more than 65536 such also ask for a dump. O(1).
 */
bool cta_judge_waiting(const struct cta_judge *j);
const struct cta_judge_stats *cta_judge_stats(const struct cta_judge *j);

/*
 * The flows (CTA_DOUBT_MAX at most) whose denied packets the kernel counted, no trace
 * or NFLOG packet claimed and no trace named a rule for, since the last call; TCP's
 * aside (their SYNs sent again are traced). For record to have their packets traced
 * at random (cta_table_doubt), so that a rule that drops some of them (a rate limit)
 * gets named. *keys is the judge's, good until its next cta_judge_expire. Returns how
 * many, and forgets them.
 */
size_t cta_judge_take_doubts(struct cta_judge *j, const struct cta_kcount_elem **keys);

#endif
