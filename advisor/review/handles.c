// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/review/handles.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/buf.h"
#include "advisor/model/listing.h"

/*
 * A rule (kind "chain", name its chain, index its place), an object of a listing, or
 * (table) a table's own line, its handle the net's number of that table.
 */
struct entry {
	char *family, *table, *kind, *name;
	bool rule, table_line;
	bool stand_in; /* rule: the copy's stand-in (CTA_STAND_IN_MARK) */
	size_t index; /* rule: 0-based place in its chain */
	size_t count; /* rule: how many rules its chain has */
	uint64_t handle;
};

struct entries {
	struct entry *v;
	size_t n, cap;
	size_t chain_first; /* the current object's first entry */
	size_t chain_rules; /* how many of its rules so far */
};

static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].family);
		free(e->v[i].table);
		free(e->v[i].kind);
		free(e->v[i].name);
	}
	free(e->v);
}

static struct entry *entry_add(struct entries *e, const struct cta_listing_item *it, bool rule)
{
	struct entry *x;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		struct entry *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		e->v = v;
		e->cap = cap;
	}
	x = &e->v[e->n];
	*x = (struct entry){ strdup(it->family),
			     strdup(it->table),
			     strdup(it->kind),
			     strdup(it->name),
			     rule,
			     false,
			     rule && strstr(it->text, CTA_STAND_IN_MARK) != NULL,
			     0,
			     0,
			     it->handle };
	if (!x->family || !x->table || !x->kind || !x->name) {
		free(x->family);
		free(x->table);
		free(x->kind);
		free(x->name);
		return NULL;
	}
	e->n++;
	return x;
}

/* The current chain's rules learn how many there are; the next object begins. */
static void chain_end(struct entries *e)
{
	for (size_t i = e->chain_first; i < e->n; i++)
		if (e->v[i].rule)
			e->v[i].count = e->chain_rules;
	e->chain_first = e->n;
	e->chain_rules = 0;
}

static int collect(const struct cta_listing_item *it, void *data)
{
	struct entries *e = data;
	struct entry *x;

	if (it->what == CTA_LISTING_OBJECT || it->what == CTA_LISTING_TABLE ||
	    it->what == CTA_LISTING_TABLE_END)
		chain_end(e);
	if (it->what == CTA_LISTING_TABLE && it->has_handle) {
		if (!(x = entry_add(e, it, false)))
			return -ENOMEM;
		x->table_line = true;
	} else if (it->what == CTA_LISTING_OBJECT && it->has_handle) {
		if (!entry_add(e, it, false))
			return -ENOMEM;
	} else if (it->what == CTA_LISTING_LINE && it->depth == 2 && it->has_handle &&
		   !strcmp(it->kind, "chain")) {
		if (!(x = entry_add(e, it, true)))
			return -ENOMEM;
		x->index = e->chain_rules++;
	}
	return 0;
}

static int entries_of(const char *listing, struct entries *e)
{
	int rc;

	memset(e, 0, sizeof(*e));
	rc = cta_listing_walk(listing, collect, e);
	chain_end(e);
	return rc;
}

/* An object or rule of (family, table); not the table's own line. */
static bool of_table(const struct entry *e, const char *family, const char *table)
{
	return !e->table_line && !strcmp(e->family, family) && !strcmp(e->table, table);
}

/* Do live entry l and copy entry c, each the k-th of its table, stand for one thing? */
static bool same_entry(const struct entry *l, const struct entry *c)
{
	/* a stand-in's rule is none of the live ones, even alone in a chain of one rule */
	return c->rule == l->rule && !c->stand_in && !l->stand_in && !strcmp(c->kind, l->kind) &&
	       !strcmp(c->name, l->name) &&
	       (!c->rule || (c->index == l->index && c->count == l->count));
}

/*
 * The copy's handle for the live one of (family, table), or 0: none pairs with it. The
 * k-th entry (object or rule) of a live table pairs with the copy's k-th of the same
 * table, when that is the same object, or the same rule of a chain of as many rules
 * (not a stand-in's); lists are in the listings' order, which loading keeps.
 */
static uint64_t paired(const struct entries *live, const struct entries *copy, const char *family,
		       const char *table, uint64_t handle, bool rule, bool *unpaired)
{
	const struct entry *l = NULL, *c;
	size_t k = 0, i;

	for (i = 0; i < live->n && !l; i++) {
		if (!of_table(&live->v[i], family, table))
			continue;
		if (live->v[i].handle == handle && live->v[i].rule == rule)
			l = &live->v[i];
		else
			k++;
	}
	if (!l)
		return 0;
	/* a live one from here: not paired, the copy's same number would be another's */
	*unpaired = true;
	for (i = 0; i < copy->n; i++)
		if (of_table(&copy->v[i], family, table) && !k--)
			break;
	if (i == copy->n)
		return 0;
	c = &copy->v[i];
	if (!same_entry(l, c))
		return 0;
	*unpaired = false;
	return c->handle;
}

/* ---- the candidate's commands ---- */

struct tok {
	size_t start, end; /* offsets in the candidate */
};

#define TOKS_MAX 16 /* a command's first words: enough to reach its handle */

/* A name as written, quotes off, into buf. */
static void unquoted(const char *text, const struct tok *t, char *buf, size_t len)
{
	size_t s = t->start, e = t->end;

	if (e - s >= 2 && text[s] == '"' && text[e - 1] == '"')
		s++, e--;
	snprintf(buf, len, "%.*s", (int)(e - s), text + s);
}

static bool tok_is(const char *text, const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->end - t->start == n && !memcmp(text + t->start, word, n);
}

static bool tok_in(const char *text, const struct tok *t, const char *const *words)
{
	for (; *words; words++)
		if (tok_is(text, t, *words))
			return true;
	return false;
}

static bool tok_number(const char *text, const struct tok *t, uint64_t *v)
{
	char buf[24], *end;

	if (t->end - t->start == 0 || t->end - t->start >= sizeof(buf))
		return false;
	memcpy(buf, text + t->start, t->end - t->start);
	buf[t->end - t->start] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !*end && !errno;
}

static const char *const families[] = { "ip", "ip6", "inet", "arp", "bridge", "netdev", NULL };
static const char *const rule_verbs[] = { "add", "insert", "replace", "delete", "destroy", NULL };
static const char *const objects[] = { "chain", "set",	 "map",	    "flowtable", "counter",
				       "quota", "limit", "secmark", "synproxy",	 NULL };

struct renumber {
	const char *text;
	struct entries live, copy;
	struct cta_buf out;
	char *unpaired; /* the first live table a handle named does not pair in: "FAMILY NAME" */
	size_t unpaired_len;
	size_t copied; /* text up to here is in out */
	bool changed;
};

/*
 * One command's words t[0..n): the handle it names, if any, put into the copy's
 * numbers (written into out, with the text before it).
 */
static void command(struct renumber *r, const struct tok *t, size_t n)
{
	const char *text = r->text;
	char family[16] = "ip", table[256];
	size_t i = 0, after;
	bool rule, stood = false;
	uint64_t handle, to;

	if (n && tok_is(text, &t[0], "rule"))
		i = 0; /* `rule ...` is `add rule ...` */
	else if (n && tok_in(text, &t[0], rule_verbs))
		i = 1;
	else
		return;
	if (i >= n)
		return;
	rule = tok_is(text, &t[i], "rule");
	if (!rule && (!(tok_is(text, &t[0], "delete") || tok_is(text, &t[0], "destroy")) ||
		      !tok_in(text, &t[i], objects)))
		return;
	i++;
	/* [family] table, and a rule's chain: the handle word follows them */
	after = i + (rule ? 2 : 1);
	if (i < n && tok_in(text, &t[i], families) && after + 1 < n &&
	    (tok_is(text, &t[after + 1], "handle") || tok_is(text, &t[after + 1], "position"))) {
		unquoted(text, &t[i], family, sizeof(family));
		i++;
		after++;
	}
	if (after + 1 >= n)
		return;
	if (!tok_is(text, &t[after], "handle") && !(rule && tok_is(text, &t[after], "position")))
		return;
	if (!tok_number(text, &t[after + 1], &handle))
		return;
	/* handles are a table's: the live one names its rule or object, wherever it is */
	unquoted(text, &t[i], table, sizeof(table));
	to = paired(&r->live, &r->copy, family, table, handle, rule, &stood);
	if (stood && !r->unpaired[0])
		snprintf(r->unpaired, r->unpaired_len, "%s %s", family, table);
	if (!to || to == handle)
		return;
	cta_buf_add(&r->out, text + r->copied, t[after + 1].start - r->copied);
	cta_buf_printf(&r->out, "%" PRIu64, to);
	r->copied = t[after + 1].end;
	r->changed = true;
}

/* Each command of the candidate: split at ';' and line ends, comments left out. */
static void commands(struct renumber *r)
{
	const char *text = r->text;
	struct tok t[TOKS_MAX];
	size_t n = 0, p = 0;
	int depth = 0;

	while (text[p]) {
		char ch = text[p];

		if (ch == '\n' || ch == ';' || ch == '#') {
			if (depth == 0)
				command(r, t, n);
			n = 0;
			if (ch == '#')
				while (text[p] && text[p] != '\n')
					p++;
			else
				p++;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			p++;
			continue;
		}
		if (ch == '{' || ch == '}') {
			/* inside a block (table x { ... }) there are no handles to name */
			depth += ch == '{' ? 1 : -1;
			p++;
			continue;
		}
		if (n < TOKS_MAX)
			t[n].start = p;
		if (ch == '"') {
			p++;
			while (text[p] && text[p] != '"' && text[p] != '\n')
				p++;
			if (text[p] == '"')
				p++;
		} else {
			while (text[p] && !strchr(" \t\r\n;#{}\"", text[p]))
				p++;
		}
		if (n < TOKS_MAX)
			t[n++].end = p;
	}
	if (depth == 0)
		command(r, t, n);
}

int cta_handles_renumber(const char *live, const char *copy, const char *candidate, char **out,
			 char *unpaired, size_t len)
{
	struct renumber r = { .text = candidate, .unpaired = unpaired, .unpaired_len = len };
	int rc;

	*out = NULL;
	if (len)
		unpaired[0] = '\0';
	rc = entries_of(live, &r.live);
	if (!rc)
		rc = entries_of(copy, &r.copy);
	if (!rc) {
		commands(&r);
		if (r.changed) {
			cta_buf_str(&r.out, candidate + r.copied);
			if (r.out.oom) {
				rc = -ENOMEM;
			} else {
				*out = r.out.p;
				r.out.p = NULL;
			}
		}
		cta_buf_fini(&r.out);
	}
	entries_free(&r.live);
	entries_free(&r.copy);
	return rc;
}

/* ---- back: from the copy's numbers to the live ones ---- */

struct back_pair {
	size_t table; /* index in tables */
	uint64_t copy, live;
};

struct back_table {
	char *family, *name;
	uint64_t handle; /* the copy's table, before the candidate */
	bool whole; /* the live table loaded whole: its rules pair */
	bool anew; /* the candidate deleted it (and made it anew, or not) */
};

struct cta_handles_back {
	struct back_table *tables;
	size_t n_tables;
	struct back_pair *pairs; /* by table, then copy handle */
	size_t n_pairs, cap_pairs;
};

/* The entries of (family, table), contiguous in a listing: their first index; n their count. */
static size_t table_entries(const struct entries *e, const char *family, const char *table,
			    size_t *n)
{
	size_t i = 0, j;

	while (i < e->n && !of_table(&e->v[i], family, table))
		i++;
	for (j = i; j < e->n && of_table(&e->v[j], family, table); j++)
		;
	*n = j - i;
	return i;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct back_pair *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return x->copy < y->copy ? -1 : x->copy > y->copy;
}

/*
 * Pair the rules of the copy's table t (b->tables[t]) with the live table's: 1 when it
 * is the live table loaded whole (every entry the same), else 0 (a stand-in, or a table
 * the live ruleset does not have) and nothing paired; -ENOMEM.
 */
static int back_table_pairs(struct cta_handles_back *b, size_t t, const struct entries *live,
			    const struct entries *copy)
{
	const struct back_table *bt = &b->tables[t];
	size_t nl, nc, fl = table_entries(live, bt->family, bt->name, &nl),
		       fc = table_entries(copy, bt->family, bt->name, &nc), n = b->n_pairs;

	if (nl != nc)
		return 0;
	for (size_t k = 0; k < nc; k++)
		if (!same_entry(&live->v[fl + k], &copy->v[fc + k]))
			return 0;
	for (size_t k = 0; k < nc; k++) {
		if (!copy->v[fc + k].rule)
			continue;
		if (b->n_pairs == b->cap_pairs) {
			size_t cap = b->cap_pairs ? 2 * b->cap_pairs : 64;
			struct back_pair *v = realloc(b->pairs, cap * sizeof(*v));

			if (!v) {
				b->n_pairs = n;
				return -ENOMEM;
			}
			b->pairs = v;
			b->cap_pairs = cap;
		}
		b->pairs[b->n_pairs++] =
			(struct back_pair){ t, copy->v[fc + k].handle, live->v[fl + k].handle };
	}
	return 1;
}

int cta_handles_back_new(const char *live, const char *copy, struct cta_handles_back **out)
{
	struct entries l, c;
	struct cta_handles_back *b = calloc(1, sizeof(*b));
	int rc = b ? 0 : -ENOMEM;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	memset(&c, 0, sizeof(c));
	if (!rc)
		rc = entries_of(live, &l);
	if (!rc)
		rc = entries_of(copy, &c);
	for (size_t i = 0; !rc && i < c.n; i++) {
		struct back_table *v;

		if (!c.v[i].table_line)
			continue;
		v = realloc(b->tables, (b->n_tables + 1) * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			break;
		}
		b->tables = v;
		v[b->n_tables] = (struct back_table){ strdup(c.v[i].family), strdup(c.v[i].table),
						      c.v[i].handle, false, false };
		rc = v[b->n_tables].family && v[b->n_tables].name
			     ? back_table_pairs(b, b->n_tables, &l, &c)
			     : -ENOMEM;
		if (rc < 0) {
			free(v[b->n_tables].family);
			free(v[b->n_tables].name);
			break;
		}
		/* a stand-in too: made anew, its rules have no live handle either */
		v[b->n_tables++].whole = rc == 1;
		rc = 0;
	}
	entries_free(&l);
	entries_free(&c);
	if (rc) {
		cta_handles_back_free(b);
		return rc;
	}
	if (b->n_pairs)
		qsort(b->pairs, b->n_pairs, sizeof(*b->pairs), pair_cmp);
	*out = b;
	return 0;
}

int cta_handles_back_after(struct cta_handles_back *b, const char *after)
{
	struct entries a;
	int rc;

	if (!b)
		return 0;
	rc = entries_of(after, &a);
	for (size_t t = 0; !rc && t < b->n_tables; t++) {
		struct back_table *bt = &b->tables[t];
		bool same = false;

		for (size_t i = 0; i < a.n && !same; i++)
			same = a.v[i].table_line && a.v[i].handle == bt->handle &&
			       !strcmp(a.v[i].family, bt->family) &&
			       !strcmp(a.v[i].table, bt->name);
		bt->anew = !same;
	}
	entries_free(&a);
	return rc;
}

int cta_handles_back_rule(const struct cta_handles_back *b, const char *family, const char *table,
			  uint64_t handle, uint64_t *live)
{
	struct back_pair key = { 0, handle, 0 }, *p;
	size_t t;

	if (!b || !family || !table)
		return -1;
	for (t = 0; t < b->n_tables; t++)
		if (!strcmp(b->tables[t].family, family) && !strcmp(b->tables[t].name, table))
			break;
	if (t == b->n_tables)
		return -1;
	if (b->tables[t].anew) /* its live numbers are gone; the host numbers it on apply */
		return 0;
	if (!b->tables[t].whole)
		return -1;
	key.table = t;
	p = b->n_pairs ? bsearch(&key, b->pairs, b->n_pairs, sizeof(*p), pair_cmp) : NULL;
	if (!p)
		return 0;
	*live = p->live;
	return 1;
}

void cta_handles_back_free(struct cta_handles_back *b)
{
	if (!b)
		return;
	for (size_t t = 0; t < b->n_tables; t++) {
		free(b->tables[t].family);
		free(b->tables[t].name);
	}
	free(b->tables);
	free(b->pairs);
	free(b);
}
