/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trace events into judgements: one per traced packet, with its path through the
 * base chains and the verdict that decided it. The kernel reuses trace ids, events
 * of packets interleave, and nothing says a packet is finished: a packet is done at
 * a terminal verdict, when a new packet takes over its id, or after a quiet spell.
 */
#ifndef CTA_TRACE_H
#define CTA_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "advisor/model/ruleset.h"
#include "advisor/model/verdict.h"
#include "nft/tracemsg.h"

#define CTA_PATH_MAX 48 /* steps kept per packet; more are counted, not kept */

/* One trace event that matters for the story: a rule that matched, or a policy. */
struct cta_step {
	uint8_t family; /* NFPROTO_* of the table */
	bool stage; /* the first event of a base chain: a new stage of the path */
	bool has_tuple; /* with stage: tuple is the packet as that base chain saw it */
	bool policy; /* the base chain's policy decided */
	bool has_handle;
	uint64_t handle;
	int32_t verdict; /* NF_* or NFT_* */
	/*
	 * Names as the trace gave them ("" for no jump target): the tracer's own copies,
	 * one per distinct name, valid while the tracer lives (a step is about 90 bytes,
	 * not three names of CTA_NAME_MAX: 256 packets in flight of 48 steps each)
	 */
	const char *table, *chain, *target;
	struct cta_tuple tuple; /* with has_tuple: after any NAT before this chain */
};

struct cta_judgement {
	uint8_t family, l4proto; /* AF_INET/AF_INET6 and IPPROTO_* of the packet */
	struct cta_tuple tuple; /* as the packet came: before any NAT */
	bool has_isn; /* a TCP SYN: isn is its sequence number (cta_pkt_tcp_isn) */
	uint32_t isn;
	bool has_ct;
	uint32_t ct_id;
	uint8_t ct_dir;
	uint32_t ct_state; /* with has_ct: NF_CT_STATE_BIT() of the packet's ct state */
	/*
	 * Sent by the kernel on a connection's behalf, not by a socket or a peer:
	 * synproxy's SYN to the server, which leaves the output hook carrying synproxy's
	 * conntrack template (the own chain at output, -350, runs before any rule could
	 * set one), and the same packet again as it comes back in on lo. Not a flow's
	 * first packet: the client's SYN, which the synproxy rule answered, is.
	 */
	bool by_kernel;
	uint32_t iif, oif; /* ifindexes the trace gave first (in, out); 0 none */
	/*
	 * The own table's counting chains it reached (CTA_REACHED_*, nft/table.h): past
	 * every chain of input, or of postrouting, and from a local socket. They tell the
	 * hooks a packet crossed when no chain of the host's saw it (IPv6 on a host whose
	 * tables are all `ip`). 0 without counting chains (blame --live). Before steps: start()
	 * clears what comes before them.
	 */
	uint8_t reached;
	enum cta_vkind verdict;
	int decider; /* index in steps of what ended it: its drop, or its latest accept */
	struct cta_step steps[CTA_PATH_MAX];
	int n_steps, lost_steps;
	uint64_t judged_ns;
};

#define CTA_REACHED_INPUT 1u
#define CTA_REACHED_POSTROUTING 2u
#define CTA_REACHED_OUTPUT 4u
/*
 * Counted where it entered: the rule of count_prerouting or count_output that updates
 * an entered set returned (a rule that could not count it does not). Its denial, if
 * it was denied after, is the kernel's to list (nft/kcount.h).
 */
#define CTA_REACHED_ENTERED 8u

typedef void (*cta_judgement_cb)(const struct cta_judgement *j, void *data);

struct cta_tracer;

/*
 * own_table: events from this table (family inet) are the tool's marking rules: they
 * start packets and give their headers, and are left out of the path.
 */
struct cta_tracer *cta_tracer_new(const char *own_table, cta_judgement_cb cb, void *data);
void cta_tracer_free(struct cta_tracer *t);
/* Feed one event received at now_ns (CLOCK_MONOTONIC or any steady clock). */
int cta_tracer_feed(struct cta_tracer *t, const struct cta_trace_event *ev, uint64_t now_ns);
/* Finish packets quiet for idle_ns or more (all of them with 0). */
void cta_tracer_flush(struct cta_tracer *t, uint64_t now_ns, uint64_t idle_ns);

/* Does rs know the text of every rule on the judgement's path? (If not: list again.) */
bool cta_judgement_rules_known(const struct cta_judgement *j, const struct cta_ruleset *rs);

/*
 * The judgement as a verdict (one reference; NULL on ENOMEM): what it was; what decided
 * by netfilter's rules (decide.h): type rule or policy (family, table, chain, handle,
 * rule text of the first decider), or open (accepted, and no chain on its path would
 * drop it); the deciders, one per hook crossed when accepted; and the path: every base
 * chain crossed with hook, priority, type, policy and its verdict there, the rules
 * matched on the way, NAT steps with the address they translated to. Texts and chain
 * details come from rs.
 */
struct cta_verdict *cta_judgement_verdict(const struct cta_judgement *j,
					  const struct cta_ruleset *rs, enum cta_vsource source);
/* The same in its session form (cta_verdict_to_json), for live blame and replay. */
json_t *cta_judgement_to_json(const struct cta_judgement *j, const struct cta_ruleset *rs);
/*
 * Everything of j that cta_judgement_to_json() reads, as bytes: judgements with equal
 * keys give equal JSON under one ruleset, so a recorder can build it once and share
 * it. The key's length, or 0 when it does not fit in len.
 */
size_t cta_judgement_key(const struct cta_judgement *j, char *buf, size_t len);

#endif
