// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deciders by netfilter's rules, over the base chains a packet crossed: the layouts of
 * issue 16 (fail2ban beside inet filter, a router with dnat and masquerade) and the
 * corners (policies that accept, accept-policy chains with a drop after the accept).
 */
#include "check.h"
#include "advisor/record/decide.h"

#define ACC CTA_VERDICT_ACCEPT
#define DROP CTA_VERDICT_DROP
#define F CTA_CHAIN_FILTER
#define NAT CTA_CHAIN_NAT

/* fail2ban's accept-policy chain falls through; inet filter's accept rule decides */
static void two_tables(void)
{
	const struct cta_stage_result st[] = {
		{ "input", F, false, ACC, true, false }, /* ip fail2ban input */
		{ "input", F, true, ACC, false, false }, /* inet filter input: tcp dport 22 */
	};
	struct cta_decision d;

	cta_decide(st, 2, &d);
	CHECK_EQ(d.verdict, ACC);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 1);
	CHECK_STR(d.d[0].hook, "input");
	/* the other order of priorities: the same answer */
	const struct cta_stage_result rev[] = { st[1], st[0] };
	cta_decide(rev, 2, &d);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 0);
}

/* a reject in a chain before the accepting one is final */
static void denied_first(void)
{
	const struct cta_stage_result st[] = {
		{ "input", F, false, CTA_VERDICT_REJECT, false, false },
	};
	struct cta_decision d;

	cta_decide(st, 1, &d);
	CHECK_EQ(d.verdict, CTA_VERDICT_REJECT);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 0);
}

/* router: nat chains accept by their dnat/masquerade rules and decide nothing */
static void router(void)
{
	const struct cta_stage_result fwd[] = {
		{ "prerouting", NAT, false, ACC, false, false }, /* dnat */
		{ "forward", F, true, ACC, false, false }, /* ct status dnat accept */
		{ "postrouting", NAT, false, ACC, true, false }, /* policy */
	}, lan[] = {
		{ "prerouting", NAT, false, ACC, true, false },
		{ "forward", F, true, ACC, false, false }, /* iifname "lan0" accept */
		{ "postrouting", NAT, false, ACC, false, false }, /* masquerade */
	}, dropped[] = {
		{ "prerouting", NAT, false, ACC, false, false }, /* dnat */
		{ "forward", F, true, DROP, false, false }, /* ip saddr 198.51.100.8 drop */
	};
	struct cta_decision d;

	cta_decide(fwd, 3, &d);
	CHECK_EQ(d.verdict, ACC);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 1);
	CHECK_STR(d.d[0].hook, "forward");
	cta_decide(lan, 3, &d);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 1);
	cta_decide(dropped, 2, &d);
	CHECK_EQ(d.verdict, DROP);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 1);
}

/* nothing would drop it: said per hook, or once when no filter chain was crossed */
static void nobody(void)
{
	const struct cta_stage_result open[] = {
		{ "input", F, false, ACC, true, false },
		{ "input", F, false, ACC, false, false }, /* an accept with no drop after it */
	}, nat_only[] = {
		{ "prerouting", NAT, false, ACC, false, false },
		{ "postrouting", NAT, false, ACC, false, false },
	};
	struct cta_decision d;

	cta_decide(open, 2, &d);
	CHECK_EQ(d.verdict, ACC);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, -1);
	CHECK_STR(d.d[0].hook, "input");
	cta_decide(nat_only, 2, &d);
	CHECK_EQ(d.verdict, ACC);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, -1);
	CHECK_STR(d.d[0].hook, "");
	cta_decide(NULL, 0, &d);
	CHECK_EQ(d.verdict, CTA_VERDICT_NONE);
	CHECK_EQ(d.n, 0);
}

/* an accept-policy chain with a drop after the accept counts, below a drop policy */
static void weights(void)
{
	const struct cta_stage_result st[] = {
		{ "input", F, false, ACC, false, true },
		{ "input", F, true, ACC, false, false },
	}, alone[] = {
		{ "input", F, false, ACC, false, true },
	}, two_hooks[] = {
		{ "forward", F, true, ACC, false, false },
		{ "postrouting", F, false, ACC, true, false },
		{ "postrouting", F, true, ACC, false, false },
	};
	struct cta_decision d;

	cta_decide(st, 2, &d);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.d[0].stage, 1);
	cta_decide(alone, 1, &d);
	CHECK_EQ(d.d[0].stage, 0);
	cta_decide(two_hooks, 3, &d);
	CHECK_EQ(d.n, 2);
	CHECK_EQ(d.d[0].stage, 0);
	CHECK_STR(d.d[0].hook, "forward");
	CHECK_EQ(d.d[1].stage, 2);
	CHECK_STR(d.d[1].hook, "postrouting");
}

int main(void)
{
	two_tables();
	denied_first();
	router();
	nobody();
	weights();
	return check_report("decide");
}
