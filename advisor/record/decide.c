// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/decide.h"

#include <string.h>

static bool final(enum cta_vkind v)
{
	return v == CTA_VERDICT_DROP || v == CTA_VERDICT_REJECT || v == CTA_VERDICT_QUEUE ||
	       v == CTA_VERDICT_STOLEN;
}

/* How much an accept by this chain counts: 2 it was needed, 1 it may have been, 0 not. */
static int weight(const struct cta_stage_result *s)
{
	if (s->kind != CTA_CHAIN_FILTER || s->verdict != CTA_VERDICT_ACCEPT || s->by_policy)
		return 0;
	return s->policy_drop ? 2 : s->drop_after ? 1 : 0;
}

static bool same_hook(const struct cta_stage_result *a, const struct cta_stage_result *b)
{
	return !strcmp(a->hook ? a->hook : "", b->hook ? b->hook : "");
}

/* The decider at the hook of stage first (a filter chain): the weightiest accept there. */
static struct cta_decider at_hook(const struct cta_stage_result *st, int n, int first)
{
	struct cta_decider d = { -1, st[first].hook ? st[first].hook : "" };
	int best = 0;

	for (int k = first; k < n; k++) {
		int w = same_hook(&st[k], &st[first]) ? weight(&st[k]) : 0;

		if (w > best) {
			best = w;
			d.stage = k;
		}
	}
	return d;
}

static bool hook_done(const struct cta_decision *out, const char *hook)
{
	for (int k = 0; k < out->n; k++)
		if (!strcmp(out->d[k].hook, hook ? hook : ""))
			return true;
	return false;
}

void cta_decide(const struct cta_stage_result *st, int n, struct cta_decision *out)
{
	bool accepted = false;

	memset(out, 0, sizeof(*out));
	out->verdict = CTA_VERDICT_NONE;
	for (int i = 0; i < n; i++) {
		if (final(st[i].verdict)) {
			/* final in any chain: nothing after it saw the packet */
			out->verdict = st[i].verdict;
			out->d[out->n++] = (struct cta_decider){ i, st[i].hook ? st[i].hook : "" };
			return;
		}
		accepted |= st[i].verdict == CTA_VERDICT_ACCEPT;
	}
	if (!accepted)
		return;
	out->verdict = CTA_VERDICT_ACCEPT;
	/* one decider per hook with a filter chain, in the order the packet crossed them */
	for (int i = 0; i < n && out->n < CTA_DECIDERS_MAX; i++)
		if (st[i].kind == CTA_CHAIN_FILTER && !hook_done(out, st[i].hook))
			out->d[out->n++] = at_hook(st, n, i);
	if (!out->n)
		out->d[out->n++] = (struct cta_decider){ -1, "" };
}
