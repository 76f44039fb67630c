// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/listing.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "advisor/lib/buf.h"
#include "advisor/lib/util.h"
#include "advisor/model/ruleset.h"

struct walk {
	struct cta_listing_item it;
	char family[16], table[256], kind[32], name[256];
	bool in_table, in_object;
	int depth;
};

/* A name as nft prints it: bare (up to a space or '{'), or in double quotes. */
static bool take_name(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++)
			if (n + 1 < len)
				out[n++] = *s;
		if (*s != '"')
			return false;
		s++;
	} else {
		for (; *s && !isspace((unsigned char)*s) && *s != '{'; s++)
			if (n + 1 < len)
				out[n++] = *s;
	}
	out[n] = '\0';
	*p = s;
	return n > 0;
}

/* Braces opened minus closed, outside quoted strings. */
static int brace_delta(const char *s)
{
	int d = 0;

	for (; *s; s++) {
		if (*s == '"') {
			while (*++s && *s != '"')
				;
			if (!*s)
				break;
		} else if (*s == '{') {
			d++;
		} else if (*s == '}') {
			d--;
		}
	}
	return d;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * What nft appends to a line as a comment. A head (depth 0 or 1) loses everything after
 * its "{": " # handle N", an owner table's " # progname NAME", or both. Any other line
 * loses only its last " # handle N": a "#" before it is data (a comment string).
 */
static void cut_comment(char *line, int depth, struct cta_listing_item *it)
{
	char *mark = NULL, *p = line;

	it->has_handle = false;
	if (depth <= 1 && (mark = strstr(line, " { # ")) != NULL) {
		it->has_handle = sscanf(mark + 5, "handle %" SCNu64, &it->handle) == 1;
		mark[2] = '\0';
		return;
	}
	while ((p = strstr(p, " # handle ")) != NULL)
		mark = p++;
	if (mark && cta_parse_uint(mark + 10, 0, UINT64_MAX, &it->handle) == 0) {
		it->has_handle = true;
		*mark = '\0';
		rtrim(line);
	}
}

/* "table FAMILY NAME {" */
static bool table_head(struct walk *w, const char *line)
{
	const char *p = line + 6;

	return !strncmp(line, "table ", 6) && take_name(&p, w->family, sizeof(w->family)) &&
	       *p++ == ' ' && take_name(&p, w->table, sizeof(w->table));
}

/* "KIND... NAME {": the kind words and the name (quoted or the last word). */
static bool object_head(struct walk *w, const char *line)
{
	size_t n = strlen(line);
	const char *name, *end;

	if (n < 3 || strcmp(line + n - 2, " {"))
		return false;
	end = line + n - 2;
	if (end[-1] == '"') {
		for (name = end - 1; name > line && name[-1] != '"'; name--)
			;
		if (name == line || name - 1 == line || name[-2] != ' ')
			return false;
		snprintf(w->name, sizeof(w->name), "%.*s", (int)(end - 1 - name), name);
		name--; /* the opening quote */
	} else {
		for (name = end; name > line && name[-1] != ' '; name--)
			;
		if (name == line)
			return false;
		snprintf(w->name, sizeof(w->name), "%.*s", (int)(end - name), name);
	}
	snprintf(w->kind, sizeof(w->kind), "%.*s", (int)(name - 1 - line), line);
	return w->kind[0] && w->name[0];
}

/* What the line is, given the depth before it; -1 for nothing to tell. */
static int classify(struct walk *w, const char *line, int delta)
{
	int d = w->depth;

	if (d == 0) {
		w->in_table = delta > 0 && table_head(w, line);
		return w->in_table ? CTA_LISTING_TABLE : -1;
	}
	if (!w->in_table)
		return -1;
	if (d == 1) {
		w->in_object = delta > 0 && object_head(w, line);
		return w->in_object ? CTA_LISTING_OBJECT : -1;
	}
	if (!w->in_object || !strcmp(line, "}") || !*line)
		return -1;
	if (d == 2 && !strcmp(w->kind, "chain") && !strncmp(line, "type ", 5) &&
	    strstr(line, " hook "))
		return CTA_LISTING_HEAD;
	return CTA_LISTING_LINE;
}

static int step(struct walk *w, char *line, size_t start, size_t end, cta_listing_cb cb, void *data)
{
	int what, delta, err = 0;

	cut_comment(line, w->depth, &w->it);
	delta = brace_delta(line);
	what = classify(w, line, delta);
	w->it.depth = w->depth;
	w->it.text = line;
	w->it.start = start;
	w->it.end = end;
	if (what == CTA_LISTING_TABLE)
		w->kind[0] = w->name[0] = '\0';
	if (what >= 0) {
		w->it.what = (enum cta_listing_what)what;
		err = cb(&w->it, data);
	}
	w->depth += delta;
	if (w->depth < 0)
		w->depth = 0;
	if (w->depth <= 1)
		w->in_object = false;
	if (!err && w->in_table && w->depth == 0) {
		w->in_table = false;
		w->it.what = CTA_LISTING_TABLE_END;
		err = cb(&w->it, data);
	}
	return err;
}

int cta_listing_walk(const char *text, cta_listing_cb cb, void *data)
{
	struct walk w = {
		.it = { .family = w.family, .table = w.table, .kind = w.kind, .name = w.name }
	};
	struct cta_buf line = { 0 };
	int err = 0;

	for (const char *p = text; p && *p && !err;) {
		const char *e = strchr(p, '\n'), *s = p;
		const char *next = e ? e + 1 : p + strlen(p);

		if (!e)
			e = next;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		line.len = 0;
		cta_buf_add(&line, s, (size_t)(e - s)); /* NUL-terminated, even when empty */
		if (line.oom) {
			err = -ENOMEM;
			break;
		}
		rtrim(line.p);
		err = step(&w, line.p, (size_t)(s - text), (size_t)(next - text), cb, data);
		p = next;
	}
	cta_buf_fini(&line);
	return err;
}

struct notrack_find {
	const char *skip;
	char *out;
	size_t len;
};

static int find_notrack(const struct cta_listing_item *it, void *data)
{
	struct notrack_find *f = data;

	if (it->what != CTA_LISTING_LINE || strcmp(it->kind, "chain") ||
	    (f->skip && !strncmp(it->table, f->skip, strlen(f->skip))) ||
	    !cta_rule_has_word(it->text, "notrack"))
		return 0;
	if (it->has_handle)
		snprintf(f->out, f->len, "%s %s %s handle %llu: %s", it->family, it->table,
			 it->name, (unsigned long long)it->handle, it->text);
	else
		snprintf(f->out, f->len, "%s %s %s: %s", it->family, it->table, it->name, it->text);
	return 1;
}

bool cta_listing_notrack(const char *text, const char *skip, char *out, size_t len)
{
	struct notrack_find f = { skip, out, len };

	if (len)
		out[0] = '\0';
	/* the walk only where the word is (record lists the ruleset at every change) */
	return text && len && strstr(text, "notrack") &&
	       cta_listing_walk(text, find_notrack, &f) == 1;
}
