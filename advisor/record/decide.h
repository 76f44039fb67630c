/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who decided a packet, by netfilter's own rules. A packet passes a hook only if
 * every base chain registered there lets it through: a drop or reject in any one is
 * final, an accept only ends that chain. So a denied packet was decided by the rule
 * (or policy) of the chain that dropped it; an accepted one, at each hook it crossed,
 * by the explicit accept of a filter chain that would otherwise have dropped it (its
 * policy is drop). A chain whose policy accepted it decided nothing, and nat and
 * route chains translate or reroute, they never decide.
 *
 * Pure logic over the base chains a packet crossed, in the order it crossed them
 * (hook, then priority): no kernel, no ruleset, no JSON.
 */
#ifndef CTA_DECIDE_H
#define CTA_DECIDE_H

#include <stdbool.h>

#include "advisor/model/verdict.h" /* enum cta_vkind */

#define CTA_DECIDERS_MAX 8 /* hooks a packet can cross, with room to spare */

enum cta_chain_kind {
	CTA_CHAIN_FILTER = 0, /* also what an unknown chain is taken for */
	CTA_CHAIN_NAT,
	CTA_CHAIN_ROUTE,
};

/* What one base chain did to the packet. */
struct cta_stage_result {
	const char *hook; /* "input", "forward", ...; "" when not known */
	enum cta_chain_kind kind;
	bool policy_drop; /* the chain's policy is drop */
	enum cta_vkind verdict; /* how the chain ended; NONE when its end was not seen */
	bool by_policy; /* the policy ended it, not a rule */
	/*
	 * An accept-policy chain accepted by a rule, and a later rule of that chain
	 * drops or rejects: without the accept the chain might have dropped it.
	 */
	bool drop_after;
};

struct cta_decider {
	int stage; /* index of the deciding chain; -1: no chain at hook would drop it */
	const char *hook; /* the hook it stands for ("" when no filter chain was crossed) */
};

struct cta_decision {
	enum cta_vkind verdict; /* of the packet: the first final verdict, else accept */
	int n; /* deciders: one for a denied packet, one per hook crossed if accepted */
	struct cta_decider d[CTA_DECIDERS_MAX];
};

/*
 * Decide from the n base chains the packet crossed, in order. With n == 0, or no
 * chain's end seen, the verdict is NONE and there is no decider. Never fails.
 */
void cta_decide(const struct cta_stage_result *st, int n, struct cta_decision *out);

#endif
