// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session's fast reader: flows read by the strict scanner (flowscan.c) as it meets
 * them, repeated verdicts and processes parsed once, and the header through jansson
 * without the flows. Whatever it declines goes to the general reader (session_read.c).
 */
#include "advisor/model/session_rd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/flowscan.h"
/*
 * Verdicts repeat: most flows were decided by the same few rules on the same path.
 * Identical verdict texts share one parsed object.
 */
struct vintern {
	struct {
		const char *text;
		size_t len;
		uint32_t index; /* 1 + index in the session's verdicts */
	} * slot;
	size_t mask, used;
};

/* A fast hash of a verdict's bytes, eight at a time. */
static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ULL, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 32);
}

static int vintern_grow(struct vintern *t)
{
	size_t n = t->mask ? (t->mask + 1) * 2 : 64;
	struct vintern old = *t;

	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot) {
		*t = old;
		return -ENOMEM;
	}
	t->mask = n - 1;
	for (size_t i = 0; old.slot && i <= old.mask; i++) {
		size_t j;

		if (!old.slot[i].index)
			continue;
		for (j = fnv(old.slot[i].text, old.slot[i].len) & t->mask; t->slot[j].index;
		     j = (j + 1) & t->mask)
			;
		t->slot[j] = old.slot[i];
	}
	free(old.slot);
	return 0;
}

/* The slot for this text: its index, or an empty slot to fill. */
static size_t vintern_find(const struct vintern *t, const char *text, size_t len)
{
	size_t j = fnv(text, len) & t->mask;

	while (t->slot[j].index && (t->slot[j].len != len || memcmp(t->slot[j].text, text, len)))
		j = (j + 1) & t->mask;
	return j;
}

/*
 * What a flow points at by index: its verdict or its process. Identical texts share
 * one parsed object.
 */
struct objs {
	const char *key;
	int (*check)(struct cta_rd *, json_t *);
	json_t *const **arr; /* the session's array */
	size_t *n, cap;
	struct vintern t;
};

/* Append o (a reference taken) to the array. */
static int objs_add(struct objs *os, json_t *o)
{
	if (*os->n == os->cap) {
		size_t nc = os->cap ? os->cap * 2 : 64;
		json_t **v = realloc((json_t **)*os->arr, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*os->arr = v;
		os->cap = nc;
	}
	((json_t **)*os->arr)[(*os->n)++] = o;
	return 0;
}

/* The object at text (a flow's, its path on rd) as 1 + its index in the array. */
static int fast_obj(struct cta_rd *rd, struct objs *os, const char *text, size_t len,
		    uint32_t *index)
{
	struct vintern *t = &os->t;
	json_error_t jerr;
	json_t *o;
	size_t j;
	int err;

	if ((t->used + 1) * 2 > t->mask + 1 && vintern_grow(t))
		return -ENOMEM;
	j = vintern_find(t, text, len);
	if (t->slot[j].index) {
		*index = t->slot[j].index;
		return 0;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return -EAGAIN;
	cta_jpath_push_key(&rd->path, os->key);
	err = json_is_object(o) ? os->check(rd, o) : -EAGAIN;
	cta_rd_leave(rd);
	if (!err)
		err = objs_add(os, o);
	if (err) {
		json_decref(o);
		return err;
	}
	t->slot[j].text = text;
	t->slot[j].len = len;
	t->slot[j].index = (uint32_t)*os->n;
	t->used++;
	*index = t->slot[j].index;
	return 0;
}

/* The flow's object of this kind, by the general reader, into the array. */
static int slow_obj(struct cta_rd *rd, json_t *fo, struct objs *os, uint32_t *index)
{
	json_t *o;
	int err = cta_rd_obj(rd, fo, os->key, os->check, &o);

	if (err || !o)
		return err;
	err = objs_add(os, o);
	if (err)
		json_decref(o);
	else
		*index = (uint32_t)*os->n;
	return err;
}

/* A flow the strict reader left alone: the general reader on that element alone. */
static int slow_flow(struct cta_rd *rd, const char *p, const char *e, struct objs *vs,
		     struct objs *ps, struct cta_flow *f)
{
	json_error_t jerr;
	json_t *fo;
	int err;

	fo = json_loadb(p, (size_t)(e - p), JSON_REJECT_DUPLICATES, &jerr);
	if (!fo)
		return -EAGAIN; /* a syntax error: the whole document says where */
	err = cta_rd_flow(rd, fo, f);
	if (!err)
		err = slow_obj(rd, fo, vs, &f->verdict);
	if (!err)
		err = slow_obj(rd, fo, ps, &f->process);
	json_decref(fo);
	return err;
}

static int read_flows_fast(struct cta_rd *rd, struct cta_flowscan *sc, struct cta_session *s)
{
	struct objs vs = { "verdict", cta_rd_check_verdict, &s->verdicts, &s->n_verdicts, 0, { 0 } };
	struct objs ps = {
		"process", cta_rd_check_process, &s->processes, &s->n_processes, 0, { 0 }
	};
	const char *end = rd->text + rd->len, *p;
	size_t fcap = 0;
	int err = 0, more;

	s->owns_verdicts = true;
	cta_jpath_push_key(&rd->path, "flows");
	while (!err && (more = cta_flowscan_next(sc, &p)) == 1) {
		struct cta_flow_raw raw;
		const char *next = NULL;
		size_t i = s->n_flows;
		struct cta_flow *f;
		char host[256];

		if (i == fcap) {
			size_t nc = fcap ? fcap * 2 : 1024;
			void *q = realloc(s->flows, nc * sizeof(*s->flows));

			if (!q) {
				err = -ENOMEM;
				break;
			}
			s->flows = q;
			fcap = nc;
		}
		f = &s->flows[i];
		cta_jpath_push_index(&rd->path, i);
		if (cta_flow_read_fast(p, end, f, &raw, &next, host) == 0) {
			if (raw.verdict)
				err = fast_obj(rd, &vs, raw.verdict, raw.vlen, &f->verdict);
			if (!err && raw.process)
				err = fast_obj(rd, &ps, raw.process, raw.plen, &f->process);
			if (!err && host[0])
				err = cta_rd_note_host(rd, host, f);
		} else {
			next = cta_json_skip(p, end);
			err = next ? slow_flow(rd, p, next, &vs, &ps, f) : -EAGAIN;
		}
		cta_jpath_pop(&rd->path);
		if (!err) {
			s->n_flows++;
			cta_flowscan_done(sc, next);
		}
	}
	cta_rd_leave(rd);
	free(vs.t.slot);
	free(ps.t.slot);
	if (!err && more < 0)
		err = more;
	if (!err && !s->flows) {
		s->flows = calloc(1, sizeof(*s->flows));
		if (!s->flows)
			err = -ENOMEM;
	}
	return err;
}

/*
 * The document without its flows, for jansson: the array emptied but its line breaks
 * (and the last line's width) kept, so positions after it stay where they were.
 */
static char *header_text(const char *text, size_t len, const struct cta_flowscan *sc,
			 size_t *out_len)
{
	size_t fs = sc->flows_start, fe = sc->flows_end, nl = 0, tail = 0, n;
	char *h, *q;

	for (size_t i = fs + 1; i + 1 < fe; i++) {
		if (text[i] == '\n') {
			nl++;
			tail = 0;
		} else {
			tail++;
		}
	}
	if (tail > 4096)
		tail = 0; /* a one-line document: columns after the flows may be off */
	n = fs + 1 + nl + tail + 1 + (len - fe);
	h = malloc(n + 1);
	if (!h)
		return NULL;
	memcpy(h, text, fs + 1);
	q = h + fs + 1;
	memset(q, '\n', nl);
	q += nl;
	memset(q, ' ', tail);
	q += tail;
	*q++ = ']';
	memcpy(q, text + fe, len - fe);
	h[n] = '\0';
	*out_len = n;
	return h;
}

/* Everything but the flows: the header fields, from the document without its flows. */
static int parse_fast(struct cta_rd *rd, struct cta_session *s)
{
	struct cta_flowscan sc;
	json_error_t jerr;
	char *head;
	size_t hlen;
	json_t *top;
	int rc = cta_flowscan_begin(rd->text, rd->len, &sc);

	if (!rc)
		rc = read_flows_fast(rd, &sc, s);
	if (rc)
		return rc;
	head = header_text(rd->text, rd->len, &sc, &hlen);
	if (!head)
		return -ENOMEM;
	top = json_loadb(head, hlen, JSON_REJECT_DUPLICATES, &jerr);
	free(head);
	if (!top)
		return cta_rd_syntax_error(rd->name, &jerr, rd->err);
	rc = cta_rd_top(rd, top, s);
	json_decref(top);
	if (!rc)
		rc = cta_rd_resolve_hosts(rd, s);
	return rc;
}

/* A read that failed leaves nothing behind, and says so when memory ran out. */
#define TREE_CHECK_MAX (64u << 20)

int cta_session_parse(const char *name, const char *text, size_t len, struct cta_session *s,
		      struct cta_err *err)
{
	struct cta_rd rd = { .name = name, .text = text, .len = len, .err = err };
	int rc;

	memset(s, 0, sizeof(*s));
	err->msg[0] = '\0';
	rc = parse_fast(&rd, s);
	cta_rd_fini(&rd);
	if (rc == -EAGAIN || (rc && rc != -ENOMEM && len <= TREE_CHECK_MAX)) {
		/*
		 * Not simple enough for the scan, or wrong: the whole document as one tree,
		 * whose first complaint (a syntax error anywhere comes before any field's)
		 * is the one to give. A document too big for a tree keeps the scan's
		 * complaint, which is as exact but may not be the first.
		 */
		cta_session_fini(s);
		return cta_session_parse_tree(name, text, len, s, err);
	}
	return rc ? cta_rd_failed(name, rc, s, err) : 0;
}
