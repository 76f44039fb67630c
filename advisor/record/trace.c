// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/trace.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/util.h"
#include "advisor/model/session.h"

#define IN_FLIGHT 256 /* packets being assembled at once */
#define MARK_PREFIX "trace_" /* the own table's marking chains */

struct pkt {
	bool have_tuple, pending_stage;
	bool at_ingress; /* marked by the own netdev chain, not yet by the inet one */
	int accept_step; /* the latest accept (rule or policy): the decider if nothing drops */
	struct cta_judgement j; /* large: ~38 KB with its steps */
};

/* What the per-event scans look at, apart from the large packets: a few cache lines. */
struct slot {
	bool used;
	uint32_t id;
	uint64_t last_ns;
};

struct cta_tracer {
	char own[CTA_NAME_MAX];
	cta_judgement_cb cb;
	void *data;
	struct slot slots[IN_FLIGHT];
	struct pkt pkts[IN_FLIGHT];
};

struct cta_tracer *cta_tracer_new(const char *own_table, cta_judgement_cb cb, void *data)
{
	struct cta_tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->own, sizeof(t->own), "%s", own_table ? own_table : "");
	t->cb = cb;
	t->data = data;
	return t;
}

void cta_tracer_free(struct cta_tracer *t)
{
	free(t);
}

static void finish(struct cta_tracer *t, int i, uint64_t now_ns)
{
	struct pkt *p = &t->pkts[i];
	struct cta_judgement *j = &p->j;

	if (j->decider < 0 && p->accept_step >= 0) {
		j->verdict = CTA_VERDICT_ACCEPT;
		j->decider = p->accept_step;
	}
	j->judged_ns = now_ns;
	t->slots[i].used = false;
	t->cb(j, t->data);
}

static int start(struct cta_tracer *t, uint32_t id, uint64_t now_ns)
{
	int i, free_i = -1, oldest = -1;
	struct pkt *p;

	for (i = 0; i < IN_FLIGHT && free_i < 0; i++) {
		if (!t->slots[i].used)
			free_i = i;
		else if (oldest < 0 || t->slots[i].last_ns < t->slots[oldest].last_ns)
			oldest = i;
	}
	if (free_i < 0) {
		/* too many at once: the quietest is surely done */
		finish(t, oldest, now_ns);
		free_i = oldest;
	}
	p = &t->pkts[free_i];
	p->have_tuple = p->pending_stage = false;
	p->accept_step = -1;
	memset(&p->j, 0, offsetof(struct cta_judgement, steps));
	p->j.n_steps = p->j.lost_steps = 0;
	p->j.decider = -1;
	t->slots[free_i] = (struct slot){ .used = true, .id = id, .last_ns = now_ns };
	return free_i;
}

static int lookup(const struct cta_tracer *t, uint32_t id)
{
	for (int i = 0; i < IN_FLIGHT; i++)
		if (t->slots[i].used && t->slots[i].id == id)
			return i;
	return -1;
}

static bool same_tuple(const struct pkt *p, const struct cta_trace_event *ev)
{
	return p->j.family == ev->family && p->j.l4proto == ev->l4proto &&
	       !memcmp(&p->j.tuple, &ev->tuple, sizeof(ev->tuple));
}

static bool terminal(int32_t verdict)
{
	int32_t v = verdict & NF_VERDICT_MASK;

	return verdict >= 0 && (v == NF_DROP || v == NF_QUEUE || v == NF_STOLEN);
}

static enum cta_vkind verdict_of(int32_t verdict)
{
	switch (verdict < 0 ? verdict : verdict & NF_VERDICT_MASK) {
	case NF_ACCEPT:
		return CTA_VERDICT_ACCEPT;
	case NF_DROP:
		return CTA_VERDICT_DROP;
	case NF_QUEUE:
		return CTA_VERDICT_QUEUE;
	case NF_STOLEN:
		return CTA_VERDICT_STOLEN;
	default:
		return CTA_VERDICT_NONE;
	}
}

int cta_tracer_feed(struct cta_tracer *t, const struct cta_trace_event *ev, uint64_t now_ns)
{
	bool own = (ev->table_family == NFPROTO_INET || ev->table_family == NFPROTO_NETDEV) &&
		   !strcmp(ev->table, t->own);
	bool marks = own && ev->table_family == NFPROTO_INET &&
		     !strncmp(ev->chain, MARK_PREFIX, strlen(MARK_PREFIX)) &&
		     (ev->flags & CTA_TRF_HEADERS);
	bool headers = ev->flags & CTA_TRF_HEADERS;
	int i = lookup(t, ev->id);
	struct cta_step *s;
	struct pkt *p;

	/* a new packet: marked by us, an id not in flight, or other headers on this id */
	/* marked at ingress first (blame --live): the inet mark is the same packet going on */
	if (i >= 0 && marks && t->pkts[i].at_ingress && same_tuple(&t->pkts[i], ev))
		t->pkts[i].at_ingress = marks = false;
	else if (own && ev->table_family == NFPROTO_NETDEV && headers)
		marks = true; /* the ingress mark starts every packet it marks */
	if (i >= 0 &&
	    (marks || (headers && t->pkts[i].have_tuple && !same_tuple(&t->pkts[i], ev)))) {
		finish(t, i, now_ns);
		i = -1;
	}
	if (i < 0) {
		i = start(t, ev->id, now_ns);
		t->pkts[i].at_ingress = marks && ev->table_family == NFPROTO_NETDEV;
	}
	p = &t->pkts[i];
	t->slots[i].last_ns = now_ns;
	if (headers && !p->have_tuple) {
		p->j.family = ev->family;
		p->j.l4proto = ev->l4proto;
		p->j.tuple = ev->tuple;
		p->have_tuple = true;
	}
	if ((ev->flags & CTA_TRF_CT) && !p->j.has_ct) {
		p->j.has_ct = true;
		p->j.ct_id = ev->ct_id;
		p->j.ct_dir = ev->ct_dir;
	}
	if (own)
		return 0;
	if (headers)
		p->pending_stage = true;
	/* the end of a chain with nothing matched: part of no story */
	if (ev->type != NFT_TRACETYPE_POLICY && !(ev->flags & CTA_TRF_HANDLE))
		return 0;
	if (p->j.n_steps == CTA_PATH_MAX) {
		p->j.lost_steps++;
		return 0;
	}
	s = &p->j.steps[p->j.n_steps];
	memset(s, 0, sizeof(*s));
	s->family = ev->table_family;
	s->stage = p->pending_stage;
	p->pending_stage = false;
	s->policy = ev->type == NFT_TRACETYPE_POLICY;
	s->has_handle = ev->flags & CTA_TRF_HANDLE;
	s->handle = ev->handle;
	s->verdict = s->policy ? (int32_t)ev->policy : ev->verdict;
	memcpy(s->table, ev->table, sizeof(s->table));
	memcpy(s->chain, ev->chain, sizeof(s->chain));
	memcpy(s->target, ev->jump_target, sizeof(s->target));
	if (terminal(s->verdict)) {
		p->j.verdict = verdict_of(s->verdict);
		p->j.decider = p->j.n_steps++;
		finish(t, i, now_ns);
		return 0;
	}
	if (s->verdict == NF_ACCEPT)
		p->accept_step = p->j.n_steps;
	p->j.n_steps++;
	return 0;
}

void cta_tracer_flush(struct cta_tracer *t, uint64_t now_ns, uint64_t idle_ns)
{
	for (int i = 0; i < IN_FLIGHT; i++)
		if (t->slots[i].used && (!idle_ns || now_ns - t->slots[i].last_ns >= idle_ns))
			finish(t, i, now_ns);
}

bool cta_judgement_rules_known(const struct cta_judgement *j, const struct cta_ruleset *rs)
{
	for (int i = 0; i < j->n_steps; i++) {
		const struct cta_step *s = &j->steps[i];

		if (s->has_handle &&
		    !cta_ruleset_rule(rs, s->family, s->table, s->chain, s->handle))
			return false;
	}
	return true;
}

static void step_verdict(const struct cta_step *s, char *buf, size_t len)
{
	switch (s->verdict) {
	case NFT_JUMP:
		snprintf(buf, len, "jump %s", s->target);
		return;
	case NFT_GOTO:
		snprintf(buf, len, "goto %s", s->target);
		return;
	case NFT_RETURN:
		snprintf(buf, len, "return");
		return;
	case NFT_CONTINUE:
	case NFT_BREAK:
		snprintf(buf, len, "continue");
		return;
	default:
		snprintf(buf, len, "%s", cta_verdict_name(verdict_of(s->verdict)));
	}
}

static const char *rule_text(const struct cta_step *s, const struct cta_ruleset *rs)
{
	if (!s->has_handle || !rs)
		return NULL;
	return cta_ruleset_rule(rs, s->family, s->table, s->chain, s->handle);
}

/* drop by a rule that says reject, as the trace cannot tell them apart */
static enum cta_vkind refine(enum cta_vkind v, const char *text)
{
	if (v == CTA_VERDICT_DROP && text && strstr(text, "reject"))
		return CTA_VERDICT_REJECT;
	return v;
}

/* A copy of s, or NULL for NULL; false when out of memory. */
static bool dup_or_null(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

/* One rule the packet matched (or the policy), as the verdict's path keeps it. */
static bool step_rule(const struct cta_step *s, const struct cta_ruleset *rs, struct cta_vrule *r)
{
	const char *text = rule_text(s, rs);
	char v[CTA_NAME_MAX + 8];

	r->policy = s->policy;
	r->handle = s->policy ? 0 : s->handle;
	if (s->policy)
		snprintf(v, sizeof(v), "%s", cta_verdict_name(verdict_of(s->verdict)));
	else if (s->verdict >= 0)
		snprintf(v, sizeof(v), "%s",
			 cta_verdict_name(refine(verdict_of(s->verdict), text)));
	else
		step_verdict(s, v, sizeof(v));
	return dup_or_null(&r->chain, s->chain) && dup_or_null(&r->verdict, v) &&
	       dup_or_null(&r->rule, s->policy ? NULL : text);
}

/* A base chain the packet entered at step first, with room for its n rules. */
static bool new_stage(const struct cta_step *first, const struct cta_ruleset *rs, size_t n,
		      struct cta_vstage *st)
{
	const struct cta_chain_info *ci =
		rs ? cta_ruleset_chain(rs, first->family, first->table, first->chain) : NULL;

	if (ci && ci->base) {
		st->has_priority = true;
		st->priority = ci->prio;
		if (!dup_or_null(&st->hook, ci->hook) || !dup_or_null(&st->policy, ci->policy))
			return false;
	}
	st->rules = calloc(n, sizeof(*st->rules));
	return st->rules && dup_or_null(&st->family, cta_nfproto_name(first->family)) &&
	       dup_or_null(&st->table, first->table) && dup_or_null(&st->chain, first->chain);
}

/* Steps from i to the next stage's first. */
static size_t stage_len(const struct cta_judgement *j, int i)
{
	size_t n = 1;

	while (i + (int)n < j->n_steps && !j->steps[i + (int)n].stage)
		n++;
	return n;
}

/* The path through every base chain, into v. */
static bool judgement_path(const struct cta_judgement *j, const struct cta_ruleset *rs,
			   struct cta_verdict *v)
{
	struct cta_vstage *st = NULL;

	v->has_path = true;
	v->path = calloc((size_t)j->n_steps + 1, sizeof(*v->path));
	if (!v->path)
		return false;
	for (int i = 0; i < j->n_steps; i++) {
		const struct cta_step *s = &j->steps[i];

		if (s->stage || !st) {
			st = &v->path[v->n_path++];
			if (!new_stage(s, rs, stage_len(j, i), st))
				return false;
		}
		if (!step_rule(s, rs, &st->rules[st->n_rules++]))
			return false;
		if (terminal(s->verdict) || s->verdict == NF_ACCEPT) {
			free(st->verdict);
			st->verdict = strdup(
				cta_verdict_name(refine(verdict_of(s->verdict), rule_text(s, rs))));
			if (!st->verdict)
				return false;
		}
	}
	return true;
}

struct cta_verdict *cta_judgement_verdict(const struct cta_judgement *j,
					  const struct cta_ruleset *rs, enum cta_vsource source)
{
	const struct cta_step *d = j->decider >= 0 ? &j->steps[j->decider] : NULL;
	const char *text = d ? rule_text(d, rs) : NULL;
	struct cta_verdict *v = cta_verdict_new();
	bool ok;

	if (!v)
		return NULL;
	v->verdict = (uint8_t)refine(j->verdict, text);
	v->type = !d ? CTA_VTYPE_NONE : d->policy ? CTA_VTYPE_POLICY : CTA_VTYPE_RULE;
	v->source = (uint8_t)source;
	v->steps_not_kept = j->lost_steps > 0 ? (uint64_t)j->lost_steps : 0;
	ok = judgement_path(j, rs, v);
	if (ok && d) {
		ok = dup_or_null(&v->family, cta_nfproto_name(d->family)) &&
		     dup_or_null(&v->table, d->table) && dup_or_null(&v->chain, d->chain);
		v->has_handle = !d->policy;
		v->handle = d->policy ? 0 : d->handle;
		if (ok && !d->policy)
			ok = dup_or_null(&v->rule, text);
	}
	if (!ok) {
		cta_verdict_unref(v);
		return NULL;
	}
	return v;
}

json_t *cta_judgement_to_json(const struct cta_judgement *j, const struct cta_ruleset *rs)
{
	struct cta_verdict *v = cta_judgement_verdict(j, rs, CTA_VSOURCE_NONE);
	json_t *o = v ? cta_verdict_to_json(v) : NULL;

	cta_verdict_unref(v);
	return o;
}

/* appends to buf at *at; once something does not fit, *at stays at len */
static void __attribute__((format(printf, 4, 5)))
key_add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	*at = n < 0 || (size_t)n >= len - *at ? len : *at + (size_t)n;
}

size_t cta_judgement_key(const struct cta_judgement *j, char *buf, size_t len)
{
	size_t at = 0;

	key_add(buf, len, &at, "%d %d %d %d;", (int)j->verdict, j->decider, j->n_steps,
		j->lost_steps);
	for (int i = 0; i < j->n_steps; i++) {
		const struct cta_step *s = &j->steps[i];

		/* names with their lengths: any byte in them stays unambiguous */
		key_add(buf, len, &at, "%u %d %d %d %llu %d %zu:%s%zu:%s%zu:%s;", s->family,
			s->stage, s->policy, s->has_handle, (unsigned long long)s->handle,
			(int)s->verdict, strlen(s->table), s->table, strlen(s->chain), s->chain,
			strlen(s->target), s->target);
	}
	return at < len ? at : 0;
}
