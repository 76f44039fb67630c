// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "advisor/lib/util.h"

static const char *const vkind_names[] = {
	[CTA_VERDICT_NONE] = "none",   [CTA_VERDICT_ACCEPT] = "accept",
	[CTA_VERDICT_DROP] = "drop",   [CTA_VERDICT_REJECT] = "reject",
	[CTA_VERDICT_QUEUE] = "queue", [CTA_VERDICT_STOLEN] = "stolen",
};

const char *cta_verdict_name(enum cta_vkind v)
{
	return (unsigned)v < ARRAY_SIZE(vkind_names) ? vkind_names[v] : "none";
}

const char *cta_vfamily_shown(const char *family, bool legacy)
{
	if (legacy)
		return family && !strcmp(family, "ip6") ? "ip6tables-legacy" : "iptables-legacy";
	return family ? family : "-";
}

int cta_verdict_from_name(const char *name, enum cta_vkind *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(vkind_names); i++)
		if (!strcmp(name, vkind_names[i])) {
			*v = (enum cta_vkind)i;
			return 0;
		}
	return -EINVAL;
}

const char *cta_vtype_name(enum cta_vtype t)
{
	static const char *const names[] = {
		[CTA_VTYPE_NONE] = "none",     [CTA_VTYPE_RULE] = "rule",
		[CTA_VTYPE_POLICY] = "policy", [CTA_VTYPE_UNKNOWN] = "unknown",
		[CTA_VTYPE_OPEN] = "open",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "none";
}

const char *cta_vsource_name(enum cta_vsource s)
{
	static const char *const names[] = {
		[CTA_VSOURCE_TRACE] = "trace",
		[CTA_VSOURCE_NFLOG] = "nflog",
		[CTA_VSOURCE_KERNEL] = "kernel",
		[CTA_VSOURCE_REPLAY] = "replay",
	};

	return s > CTA_VSOURCE_NONE && s <= CTA_VSOURCE_REPLAY ? names[s] : NULL;
}

struct cta_verdict *cta_verdict_new(void)
{
	struct cta_verdict *v = calloc(1, sizeof(*v));

	if (v)
		v->refs = 1;
	return v;
}

struct cta_verdict *cta_verdict_ref(struct cta_verdict *v)
{
	if (v)
		v->refs++;
	return v;
}

void cta_vstage_fini(struct cta_vstage *st)
{
	for (size_t i = 0; i < st->n_rules; i++) {
		free(st->rules[i].chain);
		free(st->rules[i].rule);
		free(st->rules[i].verdict);
		free(st->rules[i].nat);
		free(st->rules[i].to);
	}
	free(st->rules);
	free(st->family);
	free(st->table);
	free(st->chain);
	free(st->hook);
	free(st->policy);
	free(st->verdict);
	free(st->type);
}

static void decider_fini(struct cta_vdecider *d)
{
	free(d->hook);
	free(d->family);
	free(d->table);
	free(d->chain);
	free(d->rule);
}

void cta_verdict_unref(struct cta_verdict *v)
{
	if (!v || --v->refs)
		return;
	for (size_t i = 0; i < v->n_path; i++)
		cta_vstage_fini(&v->path[i]);
	free(v->path);
	for (size_t i = 0; i < v->n_deciders; i++)
		decider_fini(&v->deciders[i]);
	free(v->deciders);
	free(v->family);
	free(v->table);
	free(v->chain);
	free(v->rule);
	free(v);
}

/* A copy of s (NULL stays NULL); false when out of memory. */
static int dup_str(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

static bool dup_stage(struct cta_vstage *d, const struct cta_vstage *s)
{
	bool ok;

	*d = *s;
	d->rules = NULL;
	d->n_rules = 0;
	ok = dup_str(&d->family, s->family) & dup_str(&d->table, s->table) &
	     dup_str(&d->chain, s->chain) & dup_str(&d->hook, s->hook) &
	     dup_str(&d->policy, s->policy) & dup_str(&d->verdict, s->verdict) &
	     dup_str(&d->type, s->type);
	if (ok && s->n_rules) {
		d->rules = calloc(s->n_rules, sizeof(*d->rules));
		ok = d->rules != NULL;
	}
	for (size_t i = 0; ok && i < s->n_rules; i++, d->n_rules++) {
		d->rules[i] = s->rules[i];
		ok = dup_str(&d->rules[i].chain, s->rules[i].chain) &
		     dup_str(&d->rules[i].rule, s->rules[i].rule) &
		     dup_str(&d->rules[i].verdict, s->rules[i].verdict) &
		     dup_str(&d->rules[i].nat, s->rules[i].nat) &
		     dup_str(&d->rules[i].to, s->rules[i].to);
	}
	return ok;
}

static bool dup_decider(struct cta_vdecider *d, const struct cta_vdecider *s)
{
	*d = *s;
	return dup_str(&d->hook, s->hook) & dup_str(&d->family, s->family) &
	       dup_str(&d->table, s->table) & dup_str(&d->chain, s->chain) &
	       dup_str(&d->rule, s->rule);
}

struct cta_verdict *cta_verdict_dup(const struct cta_verdict *v)
{
	struct cta_verdict *d = cta_verdict_new();
	bool ok;

	if (!d)
		return NULL;
	*d = *v;
	d->refs = 1;
	d->path = NULL;
	d->n_path = 0;
	d->deciders = NULL;
	d->n_deciders = 0;
	ok = dup_str(&d->family, v->family) & dup_str(&d->table, v->table) &
	     dup_str(&d->chain, v->chain) & dup_str(&d->rule, v->rule);
	if (ok && v->n_path) {
		d->path = calloc(v->n_path, sizeof(*d->path));
		ok = d->path != NULL;
	}
	for (size_t i = 0; ok && i < v->n_path; i++, d->n_path++)
		ok = dup_stage(&d->path[i], &v->path[i]);
	if (ok && v->n_deciders) {
		d->deciders = calloc(v->n_deciders, sizeof(*d->deciders));
		ok = d->deciders != NULL;
	}
	for (size_t i = 0; ok && i < v->n_deciders; i++, d->n_deciders++)
		ok = dup_decider(&d->deciders[i], &v->deciders[i]);
	if (!ok) {
		cta_verdict_unref(d);
		return NULL;
	}
	return d;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool rule_eq(const struct cta_vrule *a, const struct cta_vrule *b)
{
	return a->handle == b->handle && a->policy == b->policy && str_eq(a->chain, b->chain) &&
	       str_eq(a->rule, b->rule) && str_eq(a->verdict, b->verdict) &&
	       str_eq(a->nat, b->nat) && str_eq(a->to, b->to);
}

static bool decider_eq(const struct cta_vdecider *a, const struct cta_vdecider *b)
{
	return a->type == b->type && a->verdict == b->verdict && a->has_handle == b->has_handle &&
	       a->legacy == b->legacy && a->handle == b->handle && str_eq(a->hook, b->hook) &&
	       str_eq(a->family, b->family) && str_eq(a->table, b->table) &&
	       str_eq(a->chain, b->chain) && str_eq(a->rule, b->rule);
}

static bool stage_eq(const struct cta_vstage *a, const struct cta_vstage *b)
{
	if (!str_eq(a->family, b->family) || !str_eq(a->table, b->table) ||
	    !str_eq(a->chain, b->chain) || !str_eq(a->hook, b->hook) ||
	    !str_eq(a->policy, b->policy) || !str_eq(a->verdict, b->verdict) ||
	    !str_eq(a->type, b->type) || a->by_policy != b->by_policy ||
	    a->has_priority != b->has_priority || a->priority != b->priority ||
	    a->legacy != b->legacy || a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->n_rules; i++)
		if (!rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

bool cta_verdict_equal(const struct cta_verdict *a, const struct cta_verdict *b)
{
	if (a == b)
		return true;
	if (!a || !b || !cta_verdict_same_decider(a, b) || a->source != b->source ||
	    !str_eq(a->rule, b->rule) || a->has_uid != b->has_uid || a->uid != b->uid ||
	    a->has_gid != b->has_gid || a->gid != b->gid || a->has_path != b->has_path ||
	    a->steps_not_kept != b->steps_not_kept || a->n_path != b->n_path ||
	    a->n_deciders != b->n_deciders)
		return false;
	for (size_t i = 0; i < a->n_path; i++)
		if (!stage_eq(&a->path[i], &b->path[i]))
			return false;
	for (size_t i = 0; i < a->n_deciders; i++)
		if (!decider_eq(&a->deciders[i], &b->deciders[i]))
			return false;
	return true;
}

bool cta_verdict_same_decider(const struct cta_verdict *a, const struct cta_verdict *b)
{
	return a->verdict == b->verdict && a->type == b->type && a->legacy == b->legacy &&
	       a->has_handle == b->has_handle && a->handle == b->handle &&
	       str_eq(a->family, b->family) && str_eq(a->table, b->table) &&
	       str_eq(a->chain, b->chain);
}

bool cta_verdict_accepts(const struct cta_verdict *v)
{
	return v && v->verdict == CTA_VERDICT_ACCEPT;
}

bool cta_verdict_denies(const struct cta_verdict *v)
{
	return v && v->verdict != CTA_VERDICT_ACCEPT && v->verdict != CTA_VERDICT_NONE;
}

struct cta_process *cta_process_new(void)
{
	struct cta_process *p = calloc(1, sizeof(*p));

	if (p)
		p->refs = 1;
	return p;
}

struct cta_process *cta_process_ref(struct cta_process *p)
{
	if (p)
		p->refs++;
	return p;
}

void cta_process_unref(struct cta_process *p)
{
	if (!p || --p->refs)
		return;
	free(p->comm);
	free(p->exe);
	free(p->user);
	free(p->cgroup);
	free(p);
}

bool cta_process_equal(const struct cta_process *a, const struct cta_process *b)
{
	if (a == b)
		return true;
	return a && b && a->has_pid == b->has_pid && a->pid == b->pid && a->has_uid == b->has_uid &&
	       a->uid == b->uid && a->has_gid == b->has_gid && a->gid == b->gid &&
	       str_eq(a->comm, b->comm) && str_eq(a->exe, b->exe) && str_eq(a->user, b->user) &&
	       str_eq(a->cgroup, b->cgroup);
}

const char *cta_process_program(const struct cta_process *p, char *buf, size_t len)
{
	const char *comm = p ? p->comm : NULL;
	size_t i = 0;

	if (!len)
		return buf;
	for (; comm && comm[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)comm[i];

		buf[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
					 c == '+' || c == '-'
				 ? (char)c
				 : '_';
	}
	buf[i] = '\0';
	return buf;
}

/* Is s (of at most n bytes) UTF-8, as a session can hold it? */
static bool utf8(const char *s, size_t n)
{
	json_t *t = json_stringn(s, strnlen(s, n));
	bool ok = t != NULL;

	json_decref(t);
	return ok;
}

/* A copy of the string in buf[n] (NULL when empty); false when out of memory. */
static int copy_field(char **dst, const char *buf, size_t n)
{
	*dst = buf[0] ? strndup(buf, n) : NULL;
	return !buf[0] || *dst;
}

struct cta_process *cta_process_from_event(const struct cta_proc *pr)
{
	struct cta_process *p = cta_process_new();
	bool ok;

	if (!p)
		return NULL;
	p->has_pid = p->has_uid = p->has_gid = true;
	p->pid = pr->pid;
	p->uid = pr->uid;
	p->gid = pr->gid;
	if (!utf8(pr->comm, sizeof(pr->comm)) || !utf8(pr->exe, sizeof(pr->exe)) ||
	    !utf8(pr->user, sizeof(pr->user)) || !utf8(pr->cgroup, sizeof(pr->cgroup)))
		ok = (p->comm = strdup("?")) != NULL;
	else
		ok = (p->comm = strndup(pr->comm, sizeof(pr->comm))) &&
		     copy_field(&p->exe, pr->exe, sizeof(pr->exe)) &
			     copy_field(&p->user, pr->user, sizeof(pr->user)) &
			     copy_field(&p->cgroup, pr->cgroup, sizeof(pr->cgroup));
	if (!ok) {
		cta_process_unref(p);
		return NULL;
	}
	return p;
}

int cta_vtally_add(struct cta_vtally *t, struct cta_verdict *v, uint64_t n)
{
	if (!v)
		return 0;
	for (uint32_t i = 0; i < t->n; i++)
		if (cta_verdict_same_decider(t->g[i].v, v)) {
			/* a count stays one a session can hold (readers take up to INT64_MAX) */
			t->g[i].n = n > INT64_MAX - t->g[i].n ? INT64_MAX : t->g[i].n + n;
			return 0;
		}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 1;
		struct cta_vcount *g = realloc(t->g, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		t->g = g;
		t->cap = cap;
	}
	t->g[t->n].v = cta_verdict_ref(v);
	t->g[t->n++].n = n;
	return 0;
}

uint64_t cta_vtally_take(struct cta_vtally *t, bool (*match)(const struct cta_verdict *v),
			 uint64_t n)
{
	uint64_t taken = 0;
	uint32_t k = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		if (taken < n && match(t->g[i].v)) {
			uint64_t m = t->g[i].n < n - taken ? t->g[i].n : n - taken;

			t->g[i].n -= m;
			taken += m;
		}
		if (!t->g[i].n) {
			cta_verdict_unref(t->g[i].v);
			continue;
		}
		t->g[k++] = t->g[i];
	}
	t->n = k;
	return taken;
}

int cta_vtally_merge(struct cta_vtally *dst, const struct cta_vtally *src)
{
	int err = 0;

	for (uint32_t i = 0; src && i < src->n && !err; i++)
		err = cta_vtally_add(dst, src->g[i].v, src->g[i].n);
	return err;
}

void cta_vtally_fini(struct cta_vtally *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		cta_verdict_unref(t->g[i].v);
	free(t->g);
	memset(t, 0, sizeof(*t));
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int vcount_cmp(const void *pa, const void *pb)
{
	const struct cta_vcount *a = pa, *b = pb;
	int c;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if (a->v->verdict != b->v->verdict)
		return a->v->verdict < b->v->verdict ? -1 : 1;
	if (a->v->type != b->v->type)
		return a->v->type < b->v->type ? -1 : 1;
	c = cmp_str(a->v->family, b->v->family);
	if (!c)
		c = cmp_str(a->v->table, b->v->table);
	if (!c)
		c = cmp_str(a->v->chain, b->v->chain);
	if (!c && a->v->handle != b->v->handle)
		c = a->v->handle < b->v->handle ? -1 : 1;
	return c;
}

void cta_vtally_sort(struct cta_vtally *t)
{
	if (t->n > 1)
		qsort(t->g, t->n, sizeof(*t->g), vcount_cmp);
}

const struct cta_verdict *cta_vtally_main(const struct cta_vtally *t)
{
	const struct cta_vcount *best = NULL;

	for (uint32_t i = 0; t && i < t->n; i++)
		if (!best || t->g[i].n > best->n)
			best = &t->g[i];
	return best ? best->v : NULL;
}

uint64_t cta_vtally_accepted(const struct cta_vtally *t)
{
	uint64_t n = 0;

	for (uint32_t i = 0; t && i < t->n; i++)
		n += cta_verdict_accepts(t->g[i].v) ? t->g[i].n : 0;
	return n;
}

uint64_t cta_vtally_denied(const struct cta_vtally *t)
{
	uint64_t n = 0;

	for (uint32_t i = 0; t && i < t->n; i++)
		n += cta_verdict_denies(t->g[i].v) ? t->g[i].n : 0;
	return n;
}

bool cta_vtally_equal(const struct cta_vtally *a, const struct cta_vtally *b)
{
	uint32_t na = a ? a->n : 0, nb = b ? b->n : 0;

	if (na != nb)
		return false;
	/* in any order: a decider is counted once in a tally */
	for (uint32_t i = 0; i < na; i++) {
		bool found = false;

		for (uint32_t j = 0; j < nb && !found; j++)
			found = a->g[i].n == b->g[j].n && cta_verdict_equal(a->g[i].v, b->g[j].v);
		if (!found)
			return false;
	}
	return true;
}

const char *cta_verdict_dnat_to(const struct cta_verdict *v)
{
	for (size_t a = 0; v && a < v->n_path; a++)
		for (size_t b = 0; b < v->path[a].n_rules; b++) {
			const struct cta_vrule *r = &v->path[a].rules[b];

			if (r->nat && r->to &&
			    (!strcmp(r->nat, "dnat") || !strcmp(r->nat, "redirect")))
				return r->to;
		}
	return NULL;
}

bool cta_verdict_passed(const struct cta_verdict *v, bool legacy, const char *family,
			const char *table, const char *chain, uint64_t handle)
{
	for (size_t i = 0; v && i < v->n_path; i++) {
		const struct cta_vstage *st = &v->path[i];

		if (st->legacy != legacy || cmp_str(st->family, family) ||
		    cmp_str(st->table, table))
			continue;
		for (size_t k = 0; k < st->n_rules; k++)
			if (!st->rules[k].policy && st->rules[k].handle == handle &&
			    !cmp_str(st->rules[k].chain, chain))
				return true;
	}
	return false;
}
