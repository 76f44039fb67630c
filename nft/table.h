/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tool's own nf_tables table, `inet conntrack_advise`, created with the owner
 * flag: the kernel deletes it when the socket that created it closes, whatever
 * happens to the process. Keep the object alive for the whole session.
 *
 *   chain new_prerouting, new_output   (priority mangle, after conntrack)
 *       counter (of packets in ct state new)    conntrack runs
 *       [log group G]: first packets to NFLOG, of flows never let through (not in
 *       left4/6)
 *   chain trace_prerouting, trace_output   (priority -350, before raw: every other
 *       base chain of the namespace is traced)
 *       --trace new, by protocol (TCP, ICMP and ICMPv6 in the regular chains
 *       trace_HOOK_tcp, _icmp, _icmpv6, reached by goto, nft/table.c add_trace_new):
 *       the first packet of each flow, once in 30 s (sets seen4 and
 *       seen6, both directions added), TCP SYNs 5 and then 1 a second per flow (sets
 *       syn4 and syn6), retransmits of dropped SYNs (in syns4/6) 5 and then 1 a
 *       second per flow (sets retrace4 and retrace6), the packets of flows in doubt
 *       (sets doubt4 and doubt6, cta_table_doubt) one in 4 at random within the
 *       same per-flow budget, at most trace_rate new flows a second (limit object
 *       trace_rate); --trace all: every packet;
 *       a match (blame --live): the packets of one tuple
 *   chain count_prerouting, count_output (priority -199, just after conntrack) and
 *   chain count_input, count_postrouting (priority INT_MAX, after everything)
 *       first packets of each flow where they enter and where they leave the filter
 *       hooks, counted in the sets entered4/6 and left4/6; where they leave, also the
 *       translated flows (nat4/6) and each connection's very first packet (first4/6)
 *       (nft/kcount.h); each of these sets twice, generation 0 and 1 (entered4_1...),
 *       the rules counting into one of them (cta_table_count_into)
 *   (the new_* and count_* chains begin with `ct state ! new return`; count_prerouting
 *   and count_input go on with `meta iiftype loopback return`, after count_input's
 *   SYN rules)
 * or, with devices given (blame --live where ingress chains are), `netdev NAME` with a
 * chain ingress_DEVICE per device at hook ingress, priority INT32_MIN, marking the
 * packets of the match.
 */
#ifndef CTA_TABLE_H
#define CTA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

#define CTA_TABLE_NAME "conntrack_advise"
/*
 * The own table's chains that count first packets leaving the filter hooks, at the
 * latest priority of input and postrouting, and entering from local sockets (output,
 * -199): a traced packet that reached them crossed those hooks (advisor/record/trace.c).
 * Without counting (blame --live) the two at the end are there, empty.
 */
#define CTA_CHAIN_LEFT_INPUT "count_input"
#define CTA_CHAIN_LEFT_POSTROUTING "count_postrouting"
#define CTA_CHAIN_ENTERED_OUTPUT "count_output"
/* ... and from the network, at prerouting (-199); not packets looped back (lo) */
#define CTA_CHAIN_ENTERED_PREROUTING "count_prerouting"
#define CTA_CHAIN_TRACE_OUTPUT "trace_output" /* marks local sockets' packets */
#define CTA_SEEN_TIMEOUT_MS 30000u /* --trace new traces a flow again after this */
#define CTA_TRACE_RATE_OBJ "trace_rate" /* --trace new's budget: a limit object */
#define CTA_TABLE_DEFAULT_TRACE_RATE 1000 /* record: new flows traced a second, at most */
#define CTA_TABLE_DEFAULT_NFLOG_GROUP 4711 /* record: first packets of unseen flows */

/* What blame --live traces: unset parts match anything. */
struct cta_trace_match {
	uint8_t family; /* AF_INET / AF_INET6, 0 = either */
	uint8_t l4proto; /* 0 = any */
	bool has_src, has_dst, has_sport, has_dport, has_icmp_type, has_icmp_code, has_icmp_id;
	union cta_addr src, dst;
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id; /* an ICMP echo's identifier (transport header bytes 4-5) */
};

struct cta_table_config {
	const char *name; /* NULL: CTA_TABLE_NAME */
	bool conntrack; /* the ct state new chains (record); blame --live needs none */
	bool count; /* the counting sets and chains (record): denials counted, nft/kcount.h */
	enum cta_trace_mode trace;
	struct cta_trace_match match; /* with CTA_TRACE_MATCH */
	/*
	 * With CTA_TRACE_NEW: at most this many new flows marked for tracing a second
	 * (TCP flows' SYNs included), one budget for all; 0: no limit. A flow over it is
	 * not marked seen: its next packet (a reply's too: the marking runs before
	 * conntrack) is traced if the budget has room then.
	 */
	uint32_t trace_rate;
	uint16_t nflog_group; /* 0: no log statements */
	/*
	 * Devices given: a netdev table of that name instead, a chain per device at hook
	 * ingress (priority INT32_MIN, before any other) marking match's packets for
	 * tracing (blame --live, where ingress chains may take a packet first).
	 */
	const char *const *devices;
	size_t n_devices;
};

struct cta_table;

struct cta_table_error {
	char object[64]; /* which message of the batch failed, e.g. "chain new_output" */
};

/*
 * Create the table in one batch. Returns 0 or -errno: -EPERM no CAP_NET_ADMIN,
 * -EBUSY the table is owned by another socket (another conntrack-advise here),
 * -EOPNOTSUPP/-EINVAL/-ENOENT the kernel refused a feature. On error, err->object
 * names the part the kernel refused.
 */
int cta_table_new(struct cta_table **out, const struct cta_table_config *cfg,
		  struct cta_table_error *err);
/*
 * --trace new: forget which flows were traced (the seen sets), so that each is traced
 * again: after a ruleset change, whose verdicts may differ. name: the table's (NULL:
 * CTA_TABLE_NAME). 0 or -errno.
 */
int cta_table_flush_seen(struct cta_table *t, const char *name);
#define CTA_DOUBT_TIMEOUT_MS 60000u /* a flow in doubt is traced at random this long */
#define CTA_DOUBT_MAX 64 /* flows put in doubt at once (cta_table_doubt) */
struct cta_kcount_elem;
/*
 * --trace new with counting: the flows keys[0..n) (family, l4proto, addresses, dport;
 * the rest unused), of a port protocol but TCP (UDP, SCTP...), were denied packets
 * the kernel counted that no trace named a rule for. For CTA_DOUBT_TIMEOUT_MS their
 * packets are traced at random, within a budget per flow and the trace budget, so
 * that a rule that drops some of them (a rate limit) gets named: in one transaction
 * they go into the doubt sets, then each out of the seen sets (a transaction each:
 * one not there is none to take out). TCP's dropped SYNs are traced as they are
 * sent again (the retrace sets), ICMP's first packets by echo identifier. n at most
 * CTA_DOUBT_MAX, else -E2BIG. name: the table's (NULL: CTA_TABLE_NAME). 0 or -errno.
 */
int cta_table_doubt(struct cta_table *t, const char *name, const struct cta_kcount_elem *keys,
		    size_t n);
/*
 * With counting (cfg->count; cfg as the table was made with): make the counting and
 * NFLOG rules count into generation gen's sets (nft/kcount.h), in one transaction:
 * a packet sees the rules of one generation or the other in each chain, never none.
 * The other generation's sets stay as they are, and no rule adds to them once every
 * packet that saw the old rules is through (an RCU grace period: record waits a
 * second). The rules get new handles. 0 or -errno.
 */
int cta_table_count_into(struct cta_table *t, const struct cta_table_config *cfg, int gen);
/*
 * Empty generation gen's counting sets (not the uncounted ones), in one transaction:
 * each is deleted and made again (-EBUSY while a rule refers to it: only for a
 * generation no rule counts into). 0 or -errno.
 */
int cta_table_flush_counting(struct cta_table *t, const char *name, int gen);
void cta_table_free(struct cta_table *t);

#endif
