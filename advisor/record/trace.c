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

#define IN_FLIGHT 256 /* packets being assembled at once */
#define MARK_PREFIX "trace_" /* the own table's marking chains */

struct pkt {
	bool have_tuple, pending_stage;
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
	bool own = ev->table_family == NFPROTO_INET && !strcmp(ev->table, t->own);
	bool marks = own && !strncmp(ev->chain, MARK_PREFIX, strlen(MARK_PREFIX)) &&
		     (ev->flags & CTA_TRF_HEADERS);
	bool headers = ev->flags & CTA_TRF_HEADERS;
	int i = lookup(t, ev->id);
	struct cta_step *s;
	struct pkt *p;

	/* a new packet: marked by us, an id not in flight, or other headers on this id */
	if (i >= 0 &&
	    (marks || (headers && t->pkts[i].have_tuple && !same_tuple(&t->pkts[i], ev)))) {
		finish(t, i, now_ns);
		i = -1;
	}
	if (i < 0)
		i = start(t, ev->id, now_ns);
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

static json_t *step_json(const struct cta_step *s, const struct cta_ruleset *rs)
{
	const char *text = rule_text(s, rs);
	char v[CTA_NAME_MAX + 8];
	json_t *o;

	if (s->policy)
		return json_pack("{s:s,s:s}", "chain", s->chain, "policy",
				 cta_verdict_name(verdict_of(s->verdict)));
	step_verdict(s, v, sizeof(v));
	o = json_pack("{s:s,s:I,s:o,s:s}", "chain", s->chain, "handle", (json_int_t)s->handle,
		      "rule", text ? json_string(text) : json_null(), "verdict", v);
	if (o && s->verdict >= 0)
		json_object_set_new(
			o, "verdict",
			json_string(cta_verdict_name(refine(verdict_of(s->verdict), text))));
	return o;
}

static json_t *stage_json(const struct cta_step *first, const struct cta_ruleset *rs)
{
	const struct cta_chain_info *ci =
		rs ? cta_ruleset_chain(rs, first->family, first->table, first->chain) : NULL;
	json_t *o = json_pack("{s:s,s:s,s:s}", "family", cta_nfproto_name(first->family), "table",
			      first->table, "chain", first->chain);

	if (o && ci && ci->base) {
		json_object_set_new(o, "hook", json_string(ci->hook));
		json_object_set_new(o, "priority", json_integer(ci->prio));
		json_object_set_new(o, "policy", json_string(ci->policy));
	}
	if (o)
		json_object_set_new(o, "rules", json_array());
	return o;
}

json_t *cta_judgement_to_json(const struct cta_judgement *j, const struct cta_ruleset *rs)
{
	json_t *o, *path = json_array(), *stage = NULL;
	const struct cta_step *d = j->decider >= 0 ? &j->steps[j->decider] : NULL;
	const char *text = d ? rule_text(d, rs) : NULL;

	for (int i = 0; i < j->n_steps && path; i++) {
		const struct cta_step *s = &j->steps[i];

		if (s->stage || !stage) {
			stage = stage_json(s, rs);
			json_array_append_new(path, stage);
		}
		json_array_append_new(json_object_get(stage, "rules"), step_json(s, rs));
		if (terminal(s->verdict) || s->verdict == NF_ACCEPT)
			json_object_set_new(stage, "verdict",
					    json_string(cta_verdict_name(refine(
						    verdict_of(s->verdict), rule_text(s, rs)))));
	}
	o = json_pack("{s:s,s:s}", "verdict", cta_verdict_name(refine(j->verdict, text)), "type",
		      !d	  ? "none"
		      : d->policy ? "policy"
				  : "rule");
	if (!o || !path) {
		json_decref(o);
		json_decref(path);
		return NULL;
	}
	if (d) {
		json_object_set_new(o, "family", json_string(cta_nfproto_name(d->family)));
		json_object_set_new(o, "table", json_string(d->table));
		json_object_set_new(o, "chain", json_string(d->chain));
		if (!d->policy) {
			json_object_set_new(o, "handle", json_integer((json_int_t)d->handle));
			json_object_set_new(o, "rule", text ? json_string(text) : json_null());
		}
	}
	json_object_set_new(o, "path", path);
	if (j->lost_steps)
		json_object_set_new(o, "steps_not_kept", json_integer(j->lost_steps));
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
