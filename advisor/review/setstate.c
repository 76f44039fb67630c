// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The elements of live sets and maps a candidate would drop: state filled at run
 * time (fail2ban's bans, a meter's entries) that no ruleset file carries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/buf.h"
#include "advisor/model/listing.h"
#include "advisor/review/review.h"

/* One set or map of a listing and its elements, each cut to its key. */
struct eset {
	char family[16], table[256], kind[8], name[256];
	char **elems;
	size_t n;
};

struct esets {
	struct eset *v;
	size_t n;
	struct cta_buf text; /* the current set's "elements = { ... }" lines */
	bool in_elems, oom;
};

static void esets_free(struct esets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->v[i].n; k++)
			free(s->v[i].elems[k]);
		free(s->v[i].elems);
	}
	free(s->v);
	cta_buf_fini(&s->text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An element's key: its text without what follows it (timeout, expires, comment...). */
static void add_elem(struct eset *e, const char *p, size_t len, bool *oom)
{
	static const char *const tails[] = { " timeout ", " expires ", " comment ", " counter ",
					     " quota " };
	char **v, *s;

	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		const char *t = memmem(p, len, tails[i], strlen(tails[i]));

		if (t)
			len = (size_t)(t - p);
	}
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (!len)
		return;
	v = realloc(e->elems, (e->n + 1) * sizeof(*v));
	s = v ? strndup(p, len) : NULL;
	if (v)
		e->elems = v;
	if (!s) {
		*oom = true;
		return;
	}
	e->elems[e->n++] = s;
}

/* The collected "elements = { a, b ... }" text into the last set's elements, sorted. */
static void split_elems(struct esets *s)
{
	struct eset *e = &s->v[s->n - 1];
	const char *p = s->text.p ? strchr(s->text.p, '{') : NULL;
	const char *end = s->text.p ? strrchr(s->text.p, '}') : NULL;
	int depth = 0;
	bool quoted = false;

	if (!p || !end || end < p)
		return;
	for (const char *q = ++p; q <= end; q++) {
		if (*q == '"')
			quoted = !quoted;
		else if (!quoted && *q == '{')
			depth++;
		else if (!quoted && *q == '}' && depth)
			depth--;
		else if (!quoted && !depth && (*q == ',' || q == end)) {
			add_elem(e, p, (size_t)(q - p), &s->oom);
			p = q + 1;
		}
	}
	if (e->n)
		qsort(e->elems, e->n, sizeof(*e->elems), cmp_str);
}

static int take(const struct cta_listing_item *it, void *data)
{
	struct esets *s = data;
	bool set = it->kind && (!strcmp(it->kind, "set") || !strcmp(it->kind, "map"));

	if (s->in_elems && (it->what != CTA_LISTING_LINE || it->depth < 2)) {
		split_elems(s);
		s->in_elems = false;
	}
	if (it->what == CTA_LISTING_OBJECT && set) {
		struct eset *v = realloc(s->v, (s->n + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		v = &s->v[s->n++];
		memset(v, 0, sizeof(*v));
		snprintf(v->family, sizeof(v->family), "%s", it->family);
		snprintf(v->table, sizeof(v->table), "%s", it->table);
		snprintf(v->kind, sizeof(v->kind), "%s", it->kind);
		snprintf(v->name, sizeof(v->name), "%s", it->name);
	} else if (it->what == CTA_LISTING_LINE && set && s->n &&
		   (s->in_elems || !strncmp(it->text, "elements = {", 12))) {
		if (!s->in_elems)
			s->text.len = 0;
		s->in_elems = true;
		cta_buf_printf(&s->text, "%s ", it->text);
	}
	return s->oom || s->text.oom ? -ENOMEM : 0;
}

static int read_sets(const char *listing, struct esets *s)
{
	int rc = cta_listing_walk(listing ? listing : "", take, s);

	if (!rc && s->in_elems)
		split_elems(s);
	return rc || s->oom ? -ENOMEM : 0;
}

static const struct eset *find(const struct esets *s, const struct eset *e)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].family, e->family) && !strcmp(s->v[i].table, e->table) &&
		    !strcmp(s->v[i].kind, e->kind) && !strcmp(s->v[i].name, e->name))
			return &s->v[i];
	return NULL;
}

/* How many of a's elements b lacks (both sorted); *first: the first of them. */
static size_t missing(const struct eset *a, const struct eset *b, const char **first)
{
	size_t n = 0, j = 0;

	for (size_t i = 0; i < a->n; i++) {
		int c = 1;

		while (b && j < b->n && (c = strcmp(b->elems[j], a->elems[i])) < 0)
			j++;
		if (c) {
			if (!n++)
				*first = a->elems[i];
		}
	}
	return n;
}

json_t *cta_review_sets_lost(const char *live, const char *after)
{
	struct esets a = { 0 }, b = { 0 };
	json_t *out = NULL;

	if (read_sets(live, &a) || read_sets(after, &b))
		goto done;
	out = json_array();
	for (size_t i = 0; out && i < a.n; i++) {
		const struct eset *e = &a.v[i];
		const char *first = NULL;
		size_t lost = missing(e, find(&b, e), &first);

		if (lost && json_array_append_new(
				    out, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "family",
						   e->family, "table", e->table, "kind", e->kind,
						   "name", e->name, "elements", (json_int_t)e->n,
						   "lost", (json_int_t)lost, "example", first))) {
			json_decref(out);
			out = NULL;
		}
	}
done:
	esets_free(&a);
	esets_free(&b);
	return out;
}
