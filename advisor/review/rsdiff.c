// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/review/rsdiff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/buf.h"
#include "advisor/model/listing.h"

#define LCS_MAX 4000 /* rules per chain compared in order; longer chains as sets */

struct obj {
	char kind[32], name[256];
	char *head; /* a chain's "type ... policy ...;" line, or NULL */
	char **lines; /* rules, or the body's lines */
	size_t n;
};

struct tab {
	char family[16], name[256];
	struct obj *objs;
	size_t n;
	size_t start, end; /* its text in the listing: [start, end) */
};

struct list {
	struct tab *t;
	size_t n;
	bool oom;
};

static void *grow(void *p, size_t n, size_t size, bool *oom)
{
	void *q;

	if (n & (n - 1))
		return p; /* room left: capacities are powers of two */
	q = realloc(p, (n ? n * 2 : 1) * size);
	if (!q)
		*oom = true;
	return q;
}

static void obj_free(struct obj *o)
{
	free(o->head);
	for (size_t i = 0; i < o->n; i++)
		free(o->lines[i]);
	free(o->lines);
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->t[i].n; j++)
			obj_free(&l->t[i].objs[j]);
		free(l->t[i].objs);
	}
	free(l->t);
}

static void add_line(struct obj *o, const char *text, bool *oom)
{
	char **v = grow(o->lines, o->n, sizeof(*o->lines), oom);
	char *line = v ? strdup(text) : NULL;

	if (!line) {
		*oom = true;
		return;
	}
	o->lines = v;
	o->lines[o->n++] = line;
}

static int take(const struct cta_listing_item *it, void *data)
{
	struct list *l = data;
	struct tab *t = l->n ? &l->t[l->n - 1] : NULL;
	struct obj *o = t && t->n ? &t->objs[t->n - 1] : NULL;

	switch (it->what) {
	case CTA_LISTING_TABLE:
		if (!(t = grow(l->t, l->n, sizeof(*l->t), &l->oom)))
			return -ENOMEM;
		l->t = t;
		t = &l->t[l->n++];
		memset(t, 0, sizeof(*t));
		snprintf(t->family, sizeof(t->family), "%s", it->family);
		snprintf(t->name, sizeof(t->name), "%s", it->table);
		t->start = it->start;
		break;
	case CTA_LISTING_TABLE_END:
		t->end = it->end;
		break;
	case CTA_LISTING_OBJECT:
		if (!(o = grow(t->objs, t->n, sizeof(*t->objs), &l->oom)))
			return -ENOMEM;
		t->objs = o;
		o = &t->objs[t->n++];
		memset(o, 0, sizeof(*o));
		snprintf(o->kind, sizeof(o->kind), "%s", it->kind);
		snprintf(o->name, sizeof(o->name), "%s", it->name);
		break;
	case CTA_LISTING_HEAD:
		if (!o->head && !(o->head = strdup(it->text)))
			l->oom = true;
		break;
	case CTA_LISTING_LINE:
		add_line(o, it->text, &l->oom);
		break;
	}
	return l->oom ? -ENOMEM : 0;
}

static void parse(const char *text, struct list *l)
{
	if (cta_listing_walk(text, take, l))
		l->oom = true;
}

static bool same_tab(const struct tab *a, const struct tab *b)
{
	return !strcmp(a->family, b->family) && !strcmp(a->name, b->name);
}

static bool same_obj(const struct obj *a, const struct obj *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(a->name, b->name);
}

/*
 * The table of l that t (of from) is: the same name and, for names a listing repeats
 * (never from nft, but a file may), the same occurrence.
 */
static const struct tab *find_tab(const struct list *l, const struct list *from,
				  const struct tab *t)
{
	size_t nth = 0;

	for (const struct tab *x = from->t; x < t; x++)
		nth += same_tab(x, t);
	for (size_t i = 0; i < l->n; i++)
		if (same_tab(&l->t[i], t) && nth-- == 0)
			return &l->t[i];
	return NULL;
}

static const struct obj *find_obj(const struct tab *in, const struct tab *from, const struct obj *o)
{
	size_t nth = 0;

	for (const struct obj *x = from->objs; x < o; x++)
		nth += same_obj(x, o);
	for (size_t i = 0; i < in->n; i++)
		if (same_obj(&in->objs[i], o) && nth-- == 0)
			return &in->objs[i];
	return NULL;
}

static bool skipped(const struct tab *t, const char *prefix)
{
	return prefix && *prefix && !strncmp(t->name, prefix, strlen(prefix));
}

static json_t *change(const char *op, const char *object, const struct tab *t, const char *name)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "op", op, "object", object, "family", t->family,
			      "table", t->name);

	if (c && name)
		json_object_set_new(c, "name", json_string(name));
	return c;
}

static char *body(const struct obj *o)
{
	struct cta_buf b = { 0 };

	for (size_t i = 0; i < o->n; i++) {
		cta_buf_str(&b, o->lines[i]);
		cta_buf_str(&b, "\n");
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

/* Rules removed and added, in order, by a longest common subsequence. */
static void diff_rules(json_t *out, const struct tab *t, const struct obj *a, const struct obj *b)
{
	size_t n = a->n, m = b->n, i, j;
	unsigned short *L;

	if (n > LCS_MAX || m > LCS_MAX || !(L = calloc((n + 1) * (m + 1), sizeof(*L)))) {
		/* too long to align: as sets */
		for (i = 0; i < n; i++) {
			bool kept = false;

			for (j = 0; j < m && !kept; j++)
				kept = !strcmp(a->lines[i], b->lines[j]);
			if (!kept)
				json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
								     "op", "remove", "object",
								     "rule", "family", t->family,
								     "table", t->name, "name",
								     a->name, "text", a->lines[i]));
		}
		for (j = 0; j < m; j++) {
			bool was = false;

			for (i = 0; i < n && !was; i++)
				was = !strcmp(a->lines[i], b->lines[j]);
			if (!was)
				json_array_append_new(out,
						      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "op",
								"add", "object", "rule", "family",
								t->family, "table", t->name, "name",
								b->name, "text", b->lines[j]));
		}
		return;
	}
#define AT(x, y) L[(x) * (m + 1) + (y)]
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			AT(i, j) = !strcmp(a->lines[i], b->lines[j])
					   ? (unsigned short)(AT(i + 1, j + 1) + 1)
				   : AT(i + 1, j) > AT(i, j + 1) ? AT(i + 1, j)
								 : AT(i, j + 1);
	for (i = 0, j = 0; i < n || j < m;) {
		const char *op, *text;

		if (i < n && j < m && !strcmp(a->lines[i], b->lines[j])) {
			i++, j++;
			continue;
		}
		if (j < m && (i == n || AT(i, j + 1) >= AT(i + 1, j))) {
			op = "add";
			text = b->lines[j++];
		} else {
			op = "remove";
			text = a->lines[i++];
		}
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "op", op,
						     "object", "rule", "family", t->family, "table",
						     t->name, "name", a->name, "text", text));
	}
#undef AT
	free(L);
}

static void diff_obj(json_t *out, const struct tab *t, const struct obj *a, const struct obj *b)
{
	if (!strcmp(a->kind, "chain")) {
		const char *x = a->head ? a->head : "", *y = b->head ? b->head : "";

		if (strcmp(x, y)) {
			json_t *c = change("change", "chain", t, a->name);

			json_object_set_new(c, "from", json_string(x));
			json_object_set_new(c, "to", json_string(y));
			json_array_append_new(out, c);
		}
		diff_rules(out, t, a, b);
		return;
	}
	{
		char *x = body(a), *y = body(b);

		if (x && y && strcmp(x, y)) {
			json_t *c = change("change", a->kind, t, a->name);

			json_object_set_new(c, "from", json_string(x));
			json_object_set_new(c, "to", json_string(y));
			json_array_append_new(out, c);
		}
		free(x);
		free(y);
	}
}

static void objects(json_t *out, const char *op, const struct tab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct obj *o = &t->objs[i];
		json_t *c = change(op, o->kind, t, o->name);
		char *x = body(o);

		if (o->head && x) {
			char *y = malloc(strlen(o->head) + strlen(x) + 2);

			if (y)
				sprintf(y, "%s\n%s", o->head, x);
			free(x);
			x = y;
		}
		json_object_set_new(c, "text", json_string(x ? x : ""));
		free(x);
		json_array_append_new(out, c);
	}
}

json_t *cta_rsdiff(const char *before, const char *after, const char *skip_prefix)
{
	struct list a = { 0 }, b = { 0 };
	json_t *out = json_array();

	parse(before, &a);
	parse(after, &b);
	if (!out || a.oom || b.oom) {
		json_decref(out);
		out = NULL;
		goto done;
	}
	for (size_t i = 0; i < a.n; i++) {
		const struct tab *ta = &a.t[i], *tb = find_tab(&b, &a, ta);

		if (skipped(ta, skip_prefix))
			continue;
		if (!tb) {
			json_array_append_new(out, change("remove", "table", ta, NULL));
			continue;
		}
		for (size_t k = 0; k < ta->n; k++) {
			const struct obj *ob = find_obj(tb, ta, &ta->objs[k]);

			if (ob) {
				diff_obj(out, ta, &ta->objs[k], ob);
			} else {
				struct tab one = *ta;

				one.objs = &ta->objs[k];
				one.n = 1;
				objects(out, "remove", &one);
			}
		}
		for (size_t k = 0; k < tb->n; k++)
			if (!find_obj(ta, tb, &tb->objs[k])) {
				struct tab one = *tb;

				one.objs = &tb->objs[k];
				one.n = 1;
				objects(out, "add", &one);
			}
	}
	for (size_t i = 0; i < b.n; i++) {
		if (skipped(&b.t[i], skip_prefix) || find_tab(&a, &b, &b.t[i]))
			continue;
		json_array_append_new(out, change("add", "table", &b.t[i], NULL));
		objects(out, "add", &b.t[i]);
	}
done:
	list_free(&a);
	list_free(&b);
	return out;
}

json_t *cta_rsdiff_tables(const char *listing, const char *skip_prefix)
{
	struct list l = { 0 };
	json_t *out = json_array();

	parse(listing, &l);
	for (size_t i = 0; out && !l.oom && i < l.n; i++) {
		char buf[300];

		if (skipped(&l.t[i], skip_prefix))
			continue;
		snprintf(buf, sizeof(buf), "%s %s", l.t[i].family, l.t[i].name);
		json_array_append_new(out, json_string(buf));
	}
	if (l.oom) {
		json_decref(out);
		out = NULL;
	}
	list_free(&l);
	return out;
}

char *cta_rsdiff_without(const char *listing, const char *skip_prefix)
{
	struct list l = { 0 };
	struct cta_buf b = { 0 };
	size_t at = 0;

	parse(listing, &l);
	for (size_t i = 0; i < l.n && !l.oom; i++) {
		if (!skipped(&l.t[i], skip_prefix) || !l.t[i].end)
			continue;
		cta_buf_add(&b, listing + at, l.t[i].start - at);
		at = l.t[i].end;
	}
	cta_buf_str(&b, listing + at);
	list_free(&l);
	if (l.oom || b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

char *cta_rsdiff_table_text(const char *listing, const char *family, const char *name)
{
	struct list l = { 0 };
	char *out = NULL;

	parse(listing, &l);
	for (size_t i = 0; i < l.n && !l.oom && !out; i++)
		if (!strcmp(l.t[i].family, family) && !strcmp(l.t[i].name, name) && l.t[i].end)
			out = strndup(listing + l.t[i].start, l.t[i].end - l.t[i].start);
	list_free(&l);
	return out;
}

/* A chain's type, hook and priority: its head without the policy (which can change). */
static bool same_hook(const struct obj *a, const struct obj *b)
{
	const char *x = a->head ? a->head : "", *y = b->head ? b->head : "";
	const char *px = strstr(x, " policy "), *py = strstr(y, " policy ");
	size_t nx = px ? (size_t)(px - x) : strlen(x), ny = py ? (size_t)(py - y) : strlen(y);

	return nx == ny && !strncmp(x, y, nx);
}

static const struct tab *tab_named(const struct list *l, const char *family, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->t[i].family, family) && !strcmp(l->t[i].name, name) && l->t[i].end)
			return &l->t[i];
	return NULL;
}

/* Delete what of t the new contents cannot take in place: sets and objects first. */
static void delete_objects(struct cta_buf *b, const struct tab *t, const struct tab *want)
{
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < t->n; i++) {
			const struct obj *o = &t->objs[i], *w;
			bool chain = !strcmp(o->kind, "chain");
			int kind_pass = chain						     ? 2
					: !strcmp(o->kind, "set") || !strcmp(o->kind, "map") ? 0
											     : 1;

			if (kind_pass != pass)
				continue;
			if (chain && (w = find_obj(want, t, o)) && same_hook(o, w))
				continue; /* kept: its rules go with the flush */
			cta_buf_printf(b, "delete %s %s %s %s\n", o->kind, t->family, t->name,
				       o->name);
		}
}

char *cta_rsdiff_replace_tx(const char *now, const char *want, const char *family, const char *name)
{
	struct list a = { 0 }, w = { 0 };
	struct cta_buf b = { 0 };
	const struct tab *ta, *tw;

	parse(now, &a);
	parse(want, &w);
	if (a.oom || w.oom)
		goto out;
	ta = tab_named(&a, family, name);
	tw = tab_named(&w, family, name);
	if (ta && !tw) {
		cta_buf_printf(&b, "delete table %s %s\n", family, name);
	} else if (tw) {
		if (ta) {
			cta_buf_printf(&b, "flush table %s %s\n", family, name);
			delete_objects(&b, ta, tw);
		}
		cta_buf_add(&b, want + tw->start, tw->end - tw->start);
	}
out:
	list_free(&a);
	list_free(&w);
	if (a.oom || w.oom || b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}
