// SPDX-License-Identifier: GPL-2.0-or-later
/* A packet's verdict: its nf_tables judgement and its legacy walks, in one path. */
#include <ctype.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/record/ltrace.h"

#include <stdlib.h>

static const char *hook_name(unsigned hook)
{
	static const char *const names[NF_INET_NUMHOOKS] = {
		[NF_INET_PRE_ROUTING] = "prerouting",	[NF_INET_LOCAL_IN] = "input",
		[NF_INET_FORWARD] = "forward",		[NF_INET_LOCAL_OUT] = "output",
		[NF_INET_POST_ROUTING] = "postrouting",
	};

	return hook < NF_INET_NUMHOOKS ? names[hook] : "";
}

/* The order a packet meets hooks in: ingress, prerouting or output, input or forward, postrouting. */
static int rank_of(const char *hook)
{
	if (!strcmp(hook, "ingress")) /* netdev: before every inet hook */
		return -1;
	if (!strcmp(hook, "prerouting") || !strcmp(hook, "output"))
		return 0;
	if (!strcmp(hook, "input") || !strcmp(hook, "forward"))
		return 1;
	return 2;
}

static const char *family_name(uint8_t family)
{
	return family == AF_INET6 ? "ip6" : "ip";
}

static void lower(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* What a rule's target did: "jump TCP", "accept", "reject", "dnat", "continue". */
static void target_verdict(const struct cta_ipt_table *t, const char *target, bool is_goto,
			   char *buf, size_t len)
{
	if (!target[0])
		snprintf(buf, len, "continue");
	else if (t && cta_iptsave_chain(t, target))
		snprintf(buf, len, "%s %s", is_goto ? "goto" : "jump", target);
	else
		lower(buf, len, target);
}

static bool dup(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

static bool passed_rule(const struct cta_iptsave *const rules[2], const struct cta_ltrace_walk *w,
			const struct cta_ipt_step *p, struct cta_vrule *out)
{
	const struct cta_iptsave *s = rules ? rules[w->family == AF_INET6] : NULL;
	const struct cta_ipt_table *t = s ? cta_iptsave_table(s, w->r.table) : NULL;
	const struct cta_ipt_rule *r = s ? cta_iptsave_rule(s, w->r.table, p->chain, p->num) : NULL;
	bool decider = !w->r.policy && p->num == w->r.rule_num &&
		       !strcmp(p->chain, w->r.rule_chain);
	const char *text = r ? r->text : decider ? w->r.text : NULL;
	char v[CTA_IPT_CHAIN_LEN + 8];

	if (r)
		target_verdict(t, r->target, r->is_goto, v, sizeof(v));
	else if (decider) /* the walk kept its target: "accept", "reject", "dnat" */
		lower(v, sizeof(v), w->r.target);
	else
		v[0] = '\0';
	out->handle = p->num;
	return dup(&out->chain, p->chain) && dup(&out->rule, text) && dup(&out->verdict, v);
}

/* The chain type nf_tables would give the walk's table: nat, route (mangle OUTPUT), filter. */
static const char *stage_type(const struct cta_ltrace_walk *w)
{
	if (!strcmp(w->r.table, "nat"))
		return "nat";
	if (!strcmp(w->r.table, "mangle") && w->r.hook == NF_INET_LOCAL_OUT)
		return "route";
	return "filter";
}

/* The walk as a stage of the path; false on ENOMEM (what was filled is freed with it). */
static bool legacy_stage(const struct cta_iptsave *const rules[2], const struct cta_ltrace_walk *w,
			 struct cta_vstage *st)
{
	char p[16];
	bool ok;

	st->legacy = true;
	st->by_policy = w->r.policy;
	st->has_priority = true;
	st->priority = w->r.priority;
	ok = dup(&st->family, family_name(w->family)) && dup(&st->table, w->r.table) &&
	     dup(&st->chain, w->r.chain) && dup(&st->hook, hook_name(w->r.hook)) &&
	     dup(&st->policy, w->r.policy_drop ? "drop" : "accept") &&
	     dup(&st->type, stage_type(w)) &&
	     dup(&st->verdict,
		 w->r.verdict != CTA_IPT_NONE ? cta_ipt_verdict_name(w->r.verdict) : NULL);
	st->rules = ok ? calloc(w->r.n_passed + 1, sizeof(*st->rules)) : NULL;
	ok = st->rules != NULL;
	for (unsigned i = 0; ok && i < w->r.n_passed; i++, st->n_rules++)
		ok = passed_rule(rules, w, &w->r.passed[i], &st->rules[i]);
	if (ok && w->r.policy) {
		struct cta_vrule *r = &st->rules[st->n_rules++];

		lower(p, sizeof(p), w->r.target);
		r->policy = true;
		ok = dup(&r->chain, w->r.chain) && dup(&r->verdict, p);
	}
	return ok;
}

/* Does nft stage ST come after walk W (a later hook, or the same hook later)? */
static bool stage_after(const struct cta_vstage *st, const struct cta_ltrace_walk *w)
{
	int r, rw = rank_of(hook_name(w->r.hook));

	if (!st->hook || !st->has_priority)
		return false;
	r = rank_of(st->hook);
	return r > rw || (r == rw && st->priority > w->r.priority);
}

/* V's path (nft stages, owned) with the walks' stages put where the packet met them. */
static bool merge_path(const struct cta_iptsave *const rules[2], struct cta_verdict *v,
		       const struct cta_ltrace_walk *w, int n)
{
	struct cta_vstage *path = calloc(v->n_path + (size_t)n + 1, sizeof(*path));
	size_t i = 0, at = 0;
	bool ok = path != NULL;

	for (int k = 0; ok && k <= n; k++) {
		for (; i < v->n_path && (k == n || !stage_after(&v->path[i], &w[k])); i++)
			path[at++] = v->path[i];
		if (k < n)
			ok = legacy_stage(rules, &w[k], &path[at++]);
	}
	if (!ok) {
		/* the nft stages are still v's; only the legacy ones are this array's */
		for (size_t k = 0; path && k < at; k++)
			if (path[k].legacy)
				cta_vstage_fini(&path[k]);
		free(path);
		return false;
	}
	free(v->path);
	v->path = path;
	v->n_path = at;
	v->has_path = true;
	return true;
}

static bool is_drop(enum cta_ipt_verdict v)
{
	return v == CTA_IPT_DROP || v == CTA_IPT_REJECT || v == CTA_IPT_QUEUE;
}

/* Which walk decides, or NULL when the nft verdict stands. */
static const struct cta_ltrace_walk *decider(const struct cta_verdict *nft,
					     const struct cta_ltrace_walk *w, int n)
{
	bool nft_dropped = cta_verdict_denies(nft);

	for (int i = 0; i < n; i++)
		if (is_drop(w[i].r.verdict))
			return nft_dropped ? NULL : &w[i];
	if (nft_dropped || nft->type == CTA_VTYPE_RULE)
		return NULL;
	/* the accept without which a DROP policy would have dropped it */
	for (int i = 0; i < n; i++)
		if (w[i].r.verdict == CTA_IPT_ACCEPT && !w[i].r.policy && w[i].r.policy_drop &&
		    strcmp(w[i].r.table, "nat"))
			return &w[i];
	if (nft->type != CTA_VTYPE_NONE)
		return NULL;
	for (int i = 0; i < n; i++)
		if (w[i].r.verdict == CTA_IPT_ACCEPT && !strcmp(w[i].r.table, "filter"))
			return &w[i];
	return NULL;
}

static const uint8_t kinds[] = { [CTA_IPT_NONE] = CTA_VERDICT_NONE,
				 [CTA_IPT_ACCEPT] = CTA_VERDICT_ACCEPT,
				 [CTA_IPT_DROP] = CTA_VERDICT_DROP,
				 [CTA_IPT_REJECT] = CTA_VERDICT_REJECT,
				 [CTA_IPT_QUEUE] = CTA_VERDICT_QUEUE };

/* The walk d as a decider (type RULE or POLICY); false on ENOMEM. */
static bool walk_decider(const struct cta_ltrace_walk *d, struct cta_vdecider *out)
{
	out->type = d->r.policy ? CTA_VTYPE_POLICY : CTA_VTYPE_RULE;
	out->verdict = kinds[d->r.verdict];
	out->legacy = true;
	out->has_handle = !d->r.policy;
	out->handle = d->r.policy ? 0 : d->r.rule_num;
	return dup(&out->hook, hook_name(d->r.hook)) && dup(&out->family, family_name(d->family)) &&
	       dup(&out->table, d->r.table) &&
	       dup(&out->chain, d->r.policy ? d->r.chain : d->r.rule_chain) &&
	       dup(&out->rule, d->r.policy ? NULL : d->r.text);
}

static void decider_free(struct cta_vdecider *d)
{
	free(d->hook);
	free(d->family);
	free(d->table);
	free(d->chain);
	free(d->rule);
	memset(d, 0, sizeof(*d));
}

/*
 * v's deciders with walk d's in: a drop is the one decider; an accept takes the place
 * of its hook's (the nf_tables decision there, or none), or is added. False on ENOMEM.
 */
static bool put_decider(struct cta_verdict *v, const struct cta_ltrace_walk *d)
{
	const char *hook = hook_name(d->r.hook);
	struct cta_vdecider *ds;
	size_t at = v->n_deciders;

	if (d->r.verdict != CTA_IPT_ACCEPT) {
		for (size_t i = 0; i < v->n_deciders; i++)
			decider_free(&v->deciders[i]);
		v->n_deciders = at = 0;
	}
	for (size_t i = 0; i < v->n_deciders; i++)
		if (v->deciders[i].hook && !strcmp(v->deciders[i].hook, hook))
			at = i;
	if (at == v->n_deciders) {
		ds = realloc(v->deciders, (v->n_deciders + 1) * sizeof(*ds));
		if (!ds)
			return false;
		v->deciders = ds;
		memset(&ds[v->n_deciders++], 0, sizeof(*ds));
	}
	decider_free(&v->deciders[at]);
	return walk_decider(d, &v->deciders[at]);
}

static bool set_decider(struct cta_verdict *v, const struct cta_ltrace_walk *d)
{
	if (!put_decider(v, d))
		return false;
	free(v->family);
	free(v->table);
	free(v->chain);
	free(v->rule);
	v->family = v->table = v->chain = v->rule = NULL;
	v->verdict = kinds[d->r.verdict];
	v->type = d->r.policy ? CTA_VTYPE_POLICY : CTA_VTYPE_RULE;
	v->legacy = true;
	v->has_handle = !d->r.policy;
	v->handle = d->r.policy ? 0 : d->r.rule_num;
	return dup(&v->family, family_name(d->family)) && dup(&v->table, d->r.table) &&
	       dup(&v->chain, d->r.policy ? d->r.chain : d->r.rule_chain) &&
	       dup(&v->rule, d->r.policy ? NULL : d->r.text);
}

struct cta_verdict *cta_ltrace_verdict(const struct cta_iptsave *const rules[2],
				       const struct cta_verdict *nft,
				       const struct cta_ltrace_walk *w, int n)
{
	const struct cta_ltrace_walk *d = decider(nft, w, n);
	struct cta_verdict *v = cta_verdict_dup(nft);

	if (v && (!merge_path(rules, v, w, n) || (d && !set_decider(v, d)))) {
		cta_verdict_unref(v);
		return NULL;
	}
	return v;
}

size_t cta_ltrace_key(const struct cta_ltrace_walk *w, int n, char *buf, size_t len)
{
	size_t at = 0;

	for (int i = 0; i < n; i++) {
		const struct cta_ipt_result *r = &w[i].r;
		int k = snprintf(buf + at, len - at, "L%u %u %s %s %d %d %s %u %u %llu;",
				 w[i].family, r->hook, r->table, r->chain, (int)r->verdict,
				 r->policy, r->rule_chain, r->rule_num, r->n_passed,
				 (unsigned long long)w[i].gen);

		if (k < 0 || (size_t)k >= len - at)
			return 0;
		at += (size_t)k;
		for (unsigned p = 0; p < r->n_passed; p++) {
			k = snprintf(buf + at, len - at, "%s:%u,", r->passed[p].chain,
				     r->passed[p].num);
			if (k < 0 || (size_t)k >= len - at)
				return 0;
			at += (size_t)k;
		}
	}
	return at;
}
