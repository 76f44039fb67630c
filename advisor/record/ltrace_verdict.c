// SPDX-License-Identifier: GPL-2.0-or-later
/* A packet's verdict: its nf_tables judgement and its legacy walks, in one path. */
#include <ctype.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/record/decide.h"
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

/*
 * Would the walk's base chain have gone on to a drop without its accept: a rule after
 * the accepting one, or after a jump on the way to it, that drops or rejects (for an
 * accept-policy chain; decide.h).
 */
static bool legacy_drop_after(const struct cta_iptsave *const rules[2],
			      const struct cta_ltrace_walk *w)
{
	const struct cta_iptsave *s = rules ? rules[w->family == AF_INET6] : NULL;
	const struct cta_ipt_table *t = s ? cta_iptsave_table(s, w->r.table) : NULL;

	if (!t || w->r.policy || w->r.policy_drop || w->r.verdict != CTA_IPT_ACCEPT)
		return false;
	for (unsigned i = 0; i < w->r.n_passed; i++) {
		const struct cta_ipt_step *p = &w->r.passed[i];
		const struct cta_ipt_chain *c = cta_iptsave_chain(t, p->chain);
		const struct cta_ipt_rule *r = cta_iptsave_rule(s, w->r.table, p->chain, p->num);
		bool decider = p->num == w->r.rule_num && !strcmp(p->chain, w->r.rule_chain);

		if (!c || !r || (!decider && !cta_iptsave_chain(t, r->target)))
			continue;
		for (size_t k = p->num; k < c->n; k++) {
			const char *target = t->rules[c->first + k].target;

			if (!strcmp(target, "DROP") || !strcmp(target, "REJECT"))
				return true;
		}
	}
	return false;
}

/* The walk as a stage of the path; false on ENOMEM (what was filled is freed with it). */
static bool legacy_stage(const struct cta_iptsave *const rules[2], const struct cta_ltrace_walk *w,
			 struct cta_vstage *st)
{
	char p[16];
	bool ok;

	st->legacy = true;
	st->by_policy = w->r.policy;
	st->drop_after = legacy_drop_after(rules, w);
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

static enum cta_chain_kind kind_of(const char *type)
{
	if (type && !strcmp(type, "nat"))
		return CTA_CHAIN_NAT;
	if (type && !strcmp(type, "route"))
		return CTA_CHAIN_ROUTE;
	return CTA_CHAIN_FILTER;
}

/* What a stage of the path did, as decide.h takes it. */
static void stage_result(const struct cta_vstage *st, struct cta_stage_result *r)
{
	enum cta_vkind k = CTA_VERDICT_NONE;

	if (st->verdict && cta_verdict_from_name(st->verdict, &k))
		k = CTA_VERDICT_NONE;
	r->hook = st->hook ? st->hook : "";
	r->kind = kind_of(st->type);
	r->policy_drop = st->policy && !strcmp(st->policy, "drop");
	r->verdict = k;
	r->by_policy = st->by_policy;
	r->drop_after = st->drop_after;
}

/* The rule or policy that ended stage ST (its last entry) as the decider at HOOK. */
static bool stage_decider(const struct cta_vstage *st, enum cta_vkind verdict, const char *hook,
			  struct cta_vdecider *d)
{
	const struct cta_vrule *e = st->n_rules ? &st->rules[st->n_rules - 1] : NULL;

	d->type = !e || e->policy ? CTA_VTYPE_POLICY : CTA_VTYPE_RULE;
	d->verdict = (uint8_t)verdict;
	d->legacy = st->legacy;
	d->has_handle = e && !e->policy;
	d->handle = d->has_handle ? e->handle : 0;
	return dup(&d->hook, hook) && dup(&d->family, st->family) && dup(&d->table, st->table) &&
	       dup(&d->chain, d->has_handle ? e->chain : st->chain) &&
	       dup(&d->rule, d->has_handle ? e->rule : NULL);
}

static void decider_fini(struct cta_vdecider *d)
{
	free(d->hook);
	free(d->family);
	free(d->table);
	free(d->chain);
	free(d->rule);
	memset(d, 0, sizeof(*d));
}

/* V's top level names its first decider (or none); its old one is dropped. */
static bool name_first(struct cta_verdict *v)
{
	const struct cta_vdecider *first = NULL;

	free(v->family);
	free(v->table);
	free(v->chain);
	free(v->rule);
	v->family = v->table = v->chain = v->rule = NULL;
	v->has_handle = v->legacy = false;
	v->handle = 0;
	for (size_t i = 0; i < v->n_deciders && !first; i++)
		if (v->deciders[i].type != CTA_VTYPE_NONE)
			first = &v->deciders[i];
	if (!first)
		return true;
	v->type = first->type;
	v->legacy = first->legacy;
	v->has_handle = first->has_handle;
	v->handle = first->handle;
	return dup(&v->family, first->family) && dup(&v->table, first->table) &&
	       dup(&v->chain, first->chain) && dup(&v->rule, first->rule);
}

/* V's verdict and deciders anew, by decide.h, over its whole path. False on ENOMEM. */
static bool decide_path(struct cta_verdict *v)
{
	struct cta_stage_result *res = calloc(v->n_path + 1, sizeof(*res));
	struct cta_decision dc;
	bool ok = res != NULL, filter = false;

	for (size_t k = 0; ok && k < v->n_path; k++) {
		stage_result(&v->path[k], &res[k]);
		filter |= res[k].kind == CTA_CHAIN_FILTER && res[k].verdict != CTA_VERDICT_NONE;
	}
	/* walks through nat or route chains only are steps of the path: nothing to decide */
	if (!ok || !filter) {
		free(res);
		return ok;
	}
	cta_decide(res, (int)v->n_path, &dc);
	for (size_t i = 0; i < v->n_deciders; i++)
		decider_fini(&v->deciders[i]);
	free(v->deciders);
	v->deciders = NULL;
	v->n_deciders = 0;
	if (dc.n && !(v->deciders = calloc((size_t)dc.n, sizeof(*v->deciders))))
		ok = false;
	v->verdict = (uint8_t)dc.verdict;
	v->type = dc.verdict == CTA_VERDICT_NONE ? CTA_VTYPE_NONE : CTA_VTYPE_OPEN;
	for (int i = 0; ok && i < dc.n; i++) {
		struct cta_vdecider *d = &v->deciders[v->n_deciders++];
		int k = dc.d[i].stage;

		if (k < 0) {
			d->type = CTA_VTYPE_NONE;
			ok = dup(&d->hook, dc.d[i].hook);
		} else {
			ok = stage_decider(&v->path[k], res[k].verdict, dc.d[i].hook, d);
		}
	}
	free(res);
	return ok && name_first(v);
}

struct cta_verdict *cta_ltrace_verdict(const struct cta_iptsave *const rules[2],
				       const struct cta_verdict *nft,
				       const struct cta_ltrace_walk *w, int n)
{
	struct cta_verdict *v = cta_verdict_dup(nft);

	if (v && (!merge_path(rules, v, w, n) || !decide_path(v))) {
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
