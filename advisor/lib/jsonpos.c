// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/lib/jsonpos.h"

#include <stdio.h>
#include <string.h>

void cta_jpath_push_key(struct cta_jpath *p, const char *key)
{
	if (p->depth < CTA_JPATH_MAX)
		p->c[p->depth].key = key, p->c[p->depth].index = 0;
	p->depth++;
}

void cta_jpath_push_index(struct cta_jpath *p, size_t index)
{
	if (p->depth < CTA_JPATH_MAX)
		p->c[p->depth].key = NULL, p->c[p->depth].index = index;
	p->depth++;
}

void cta_jpath_pop(struct cta_jpath *p)
{
	if (p->depth > 0)
		p->depth--;
}

void cta_jpath_format(const struct cta_jpath *p, char *buf, size_t len)
{
	size_t off = 0;
	int n = p->depth < CTA_JPATH_MAX ? p->depth : CTA_JPATH_MAX;

	if (!len)
		return;
	buf[0] = '\0';
	if (!n) {
		snprintf(buf, len, "(top level)");
		return;
	}
	for (int i = 0; i < n && off < len; i++) {
		int w = p->c[i].key
				? snprintf(buf + off, len - off, "%s%s", i ? "." : "", p->c[i].key)
				: snprintf(buf + off, len - off, "[%zu]", p->c[i].index);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

struct scan {
	const char *s;
	size_t len, pos;
};

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]) && sc->s[sc->pos])
		sc->pos++;
}

static bool peek(struct scan *sc, char c)
{
	skip_ws(sc);
	return sc->pos < sc->len && sc->s[sc->pos] == c;
}

/* Past a string starting at pos; out (if any) gets its raw contents (no unescaping). */
static bool skip_string(struct scan *sc, const char **raw, size_t *rawlen)
{
	size_t start;

	if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
		return false;
	start = ++sc->pos;
	while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
		if (sc->s[sc->pos] == '\\')
			sc->pos++;
		sc->pos++;
	}
	if (sc->pos >= sc->len)
		return false;
	if (raw)
		*raw = sc->s + start, *rawlen = sc->pos - start;
	sc->pos++;
	return true;
}

/* Past one value of any kind; iterative, so depth costs nothing. */
static bool skip_value(struct scan *sc)
{
	size_t depth = 0;

	skip_ws(sc);
	do {
		if (sc->pos >= sc->len)
			return false;
		switch (sc->s[sc->pos]) {
		case '"':
			if (!skip_string(sc, NULL, NULL))
				return false;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (!depth)
				return false;
			depth--;
			break;
		default:
			if (!depth) {
				/* a scalar: up to the next delimiter */
				while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->s[sc->pos]))
					sc->pos++;
				return true;
			}
		}
		sc->pos++;
	} while (depth);
	return true;
}

/* Move to the member named key of the object at pos. */
static bool enter_key(struct scan *sc, const char *key)
{
	size_t klen = strlen(key);

	if (!peek(sc, '{'))
		return false;
	sc->pos++;
	while (!peek(sc, '}')) {
		const char *raw;
		size_t rawlen;

		if (!skip_string(sc, &raw, &rawlen) || !peek(sc, ':'))
			return false;
		sc->pos++;
		skip_ws(sc);
		if (rawlen == klen && !memcmp(raw, key, klen))
			return true;
		if (!skip_value(sc))
			return false;
		if (peek(sc, ','))
			sc->pos++;
	}
	return false;
}

static bool enter_index(struct scan *sc, size_t index)
{
	if (!peek(sc, '['))
		return false;
	sc->pos++;
	for (size_t i = 0; !peek(sc, ']'); i++) {
		if (i == index)
			return true;
		if (!skip_value(sc))
			return false;
		if (peek(sc, ','))
			sc->pos++;
	}
	return false;
}

bool cta_jsonpos_find(const char *text, size_t len, const struct cta_jpath *p, int *line, int *col)
{
	struct scan sc = { text, len, 0 };
	size_t found;
	int n = p->depth < CTA_JPATH_MAX ? p->depth : CTA_JPATH_MAX;

	skip_ws(&sc);
	if (sc.pos >= len)
		return false;
	found = sc.pos;
	for (int i = 0; i < n; i++) {
		bool ok = p->c[i].key ? enter_key(&sc, p->c[i].key)
				      : enter_index(&sc, p->c[i].index);

		if (!ok)
			break;
		skip_ws(&sc);
		found = sc.pos;
	}
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < found; i++) {
		if (text[i] == '\n')
			(*line)++, *col = 1;
		else
			(*col)++;
	}
	return true;
}

struct frame {
	bool obj;
	size_t index; /* arrays: the element's */
	const char *key; /* objects: the member's, raw */
	size_t klen;
};

/* The path of ST[0..N) into BUF. */
static void format_frames(const struct frame *st, int n, bool deeper, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (!n)
		snprintf(buf, len, "(top level)");
	for (int i = 0; i < n && off < len; i++) {
		int w = st[i].obj ? snprintf(buf + off, len - off, "%s%.*s", i ? "." : "",
					     (int)st[i].klen, st[i].key ? st[i].key : "")
				  : snprintf(buf + off, len - off, "[%zu]", st[i].index);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (deeper && off < len)
		snprintf(buf + off, len - off, "…");
}

void cta_jsonpos_path_at(const char *text, size_t len, size_t offset, char *buf, size_t buflen,
			 int *line, int *col)
{
	struct frame st[CTA_JPATH_MAX];
	struct scan sc = { text, len < offset ? len : offset, 0 };
	int depth = 0; /* may pass CTA_JPATH_MAX: the frames below it are not kept */
	bool want_key = false;

	while (sc.pos < sc.len) {
		struct frame *top = depth > 0 && depth <= CTA_JPATH_MAX ? &st[depth - 1] : NULL;
		const char *raw;
		size_t rawlen;

		switch (text[sc.pos]) {
		case '"':
			if (!skip_string(&sc, &raw, &rawlen))
				sc.pos = sc.len;
			else if (want_key && top)
				top->key = raw, top->klen = rawlen;
			want_key = false;
			continue;
		case '{':
		case '[':
			if (depth < CTA_JPATH_MAX)
				st[depth] = (struct frame){ .obj = text[sc.pos] == '{' };
			depth++;
			want_key = text[sc.pos] == '{';
			break;
		case '}':
		case ']':
			depth -= depth > 0;
			break;
		case ',':
			if (top && !top->obj)
				top->index++;
			want_key = top && top->obj;
			break;
		}
		sc.pos++;
	}
	if (buflen)
		format_frames(st, depth < CTA_JPATH_MAX ? depth : CTA_JPATH_MAX,
			      depth > CTA_JPATH_MAX, buf, buflen);
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < sc.len; i++) {
		if (text[i] == '\n')
			(*line)++, *col = 1;
		else
			(*col)++;
	}
}
