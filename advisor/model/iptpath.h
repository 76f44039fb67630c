/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A packet's way through the iptables-legacy tables at one hook, from the TRACE lines
 * ip_tables logged for it (advisor/model/iptsave.h) and the rules live then: per
 * table, how its base chain ended and which rule (or the policy) ended it.
 *
 * ip_tables logs one line per rule the packet matched: `rule:N` for a rule whose
 * target was taken (a jump goes on in the chain jumped to, ACCEPT, DROP, REJECT, a
 * NAT target end the table), `return:N` at the end of a chain of the user's,
 * `policy:N` at the policy of a built-in chain. An unconditional rule whose target
 * is a plain verdict (`-A TCP -j RETURN`, `-A INPUT -j DROP`) is logged as `return`
 * or `policy` too, with its own number (net/ipv4/netfilter/ip_tables.c,
 * get_chainname_rulenum()): N within the chain's rules means that rule.
 *
 * Pure logic: no kernel, no allocation.
 */
#ifndef CTA_IPTPATH_H
#define CTA_IPTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

#include "advisor/model/iptsave.h"

#define CTA_IPT_TEXT_MAX 512 /* rule text kept; longer is cut, text_cut says so */
#define CTA_IPT_PASSED_MAX 32 /* rules matched on the way that are kept */

enum cta_ipt_verdict {
	CTA_IPT_NONE = 0, /* the table's end was not seen (a lost line, a changed rule) */
	CTA_IPT_ACCEPT, /* ACCEPT, or a NAT target (the packet goes on, translated) */
	CTA_IPT_DROP,
	CTA_IPT_REJECT,
	CTA_IPT_QUEUE, /* QUEUE, NFQUEUE: user space decides */
};

struct cta_ipt_step {
	char chain[CTA_IPT_CHAIN_LEN];
	unsigned num; /* the rule's number in its chain */
};

/* What one legacy table's base chain did to the packet at one hook. */
struct cta_ipt_result {
	uint8_t family; /* AF_INET, AF_INET6 */
	uint8_t hook; /* NF_INET_PRE_ROUTING ... NF_INET_POST_ROUTING */
	int priority; /* the table's: raw -300, mangle -150, nat -100/100, filter 0, security 50 */
	char table[CTA_IPT_TABLE_LEN];
	char chain[CTA_IPT_CHAIN_LEN]; /* the base chain: "INPUT" */
	bool policy_drop; /* the base chain's policy is DROP */
	enum cta_ipt_verdict verdict;
	bool policy; /* the base chain's policy ended it; else rule_num of rule_chain */
	char rule_chain[CTA_IPT_CHAIN_LEN]; /* the chain holding the rule ("TCP") */
	unsigned rule_num; /* 1-based in rule_chain; with policy, the policy's position */
	char target[CTA_IPT_CHAIN_LEN]; /* "ACCEPT", "REJECT", "DNAT"; the policy's with policy */
	char text[CTA_IPT_TEXT_MAX]; /* "-A INPUT -p tcp -j REJECT --reject-with tcp-reset" */
	bool text_cut;
	struct cta_ipt_step passed[CTA_IPT_PASSED_MAX]; /* every rule matched, in order */
	unsigned n_passed, lost_passed;
};

/* The hook of a built-in chain ("INPUT" -> NF_INET_LOCAL_IN), or -1. */
int cta_ipt_chain_hook(const char *chain);
/* The priority ip_tables registers TABLE at HOOK with; false for a table it does not know. */
bool cta_ipt_table_priority(const char *table, unsigned hook, int *prio);
/* "accept", "drop", "reject", "queue", "none" */
const char *cta_ipt_verdict_name(enum cta_ipt_verdict v);

/*
 * Does this line end its table's walk for the packet (a policy, or a rule whose
 * target ends the chain: not a jump, not a target that lets the walk go on)? With a
 * line that S does not hold (a rule changed since), false.
 */
bool cta_ipt_line_ends(const struct cta_iptsave *s, const struct cta_ipt_trace *line);
/* Does S hold what this line names (its table, chain, and rule or the chain's end)? */
bool cta_ipt_line_known(const struct cta_iptsave *s, const struct cta_ipt_trace *line);

/*
 * The walk of one table: LINES[0..N) are its TRACE lines for one packet at one hook,
 * in the order they came; S the rules live then. Fills *OUT (its family from FAMILY).
 * 0; -ENOENT when S has no such table or no line names a built-in chain; -EBADMSG
 * when a line names a chain or rule S does not have (the rules changed: take a new
 * snapshot). The verdict is NONE when the last line does not end the walk.
 */
int cta_ipt_walk(const struct cta_iptsave *s, uint8_t family, const struct cta_ipt_trace *lines,
		 size_t n, struct cta_ipt_result *out);

/*
 * Every table's walk at one hook: LINES may hold several tables' lines (in the order
 * the kernel walked them); results go to OUT (at most MAX), ordered by priority.
 * The number of results, or -errno as cta_ipt_walk.
 */
int cta_ipt_assemble(const struct cta_iptsave *s, uint8_t family, const struct cta_ipt_trace *lines,
		     size_t n, struct cta_ipt_result *out, size_t max);

/*
 * A verdict (or a path stage) as sessions store it: the family shown for it,
 * "iptables-legacy" or "ip6tables-legacy" when it is a legacy table's ("legacy":
 * true), else its "family"; and the number shown for its rule, a legacy rule's
 * number in its chain ("rule_num") or an nf_tables rule's handle.
 */
const char *cta_verdict_family_shown(json_t *o);
long long cta_verdict_rule_id(json_t *o);

#endif
