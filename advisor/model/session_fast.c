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
 * What flows point at: verdicts and processes. Identical texts share one value: kept
 * here (verdicts, which the flows' counts reference) or in the session's array
 * (processes, which flows index).
 */
struct objs {
	const char *key;
	bool process;
	void **v;
	size_t n, cap;
	struct vintern t;
};

static void objs_fini(struct objs *os)
{
	for (size_t i = 0; !os->process && i < os->n; i++)
		cta_verdict_unref(os->v[i]);
	if (!os->process)
		free(os->v);
	free(os->t.slot);
}

/* Append o (its reference taken) to the array. */
static int objs_add(struct objs *os, void *o)
{
	if (os->n == os->cap) {
		size_t nc = os->cap ? os->cap * 2 : 64;
		void **v = realloc(os->v, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		os->v = v;
		os->cap = nc;
	}
	os->v[os->n++] = o;
	return 0;
}

static void obj_unref(const struct objs *os, void *o)
{
	if (os->process)
		cta_process_unref(o);
	else
		cta_verdict_unref(o);
}

/* The object at text (a flow's, its path on rd): 1 + its index in the array. */
static int fast_obj(struct cta_rd *rd, struct objs *os, const char *text, size_t len,
		    uint32_t *index)
{
	struct vintern *t = &os->t;
	json_error_t jerr;
	json_t *o;
	void *val = NULL;
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
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return -EAGAIN;
	}
	cta_jpath_push_key(&rd->path, os->key);
	err = os->process ? cta_rd_process(rd, o, (struct cta_process **)&val)
			  : cta_rd_verdict(rd, o, (struct cta_verdict **)&val);
	cta_rd_leave(rd);
	json_decref(o);
	if (!err)
		err = objs_add(os, val);
	if (err) {
		obj_unref(os, val);
		return err;
	}
	t->slot[j] = (typeof(t->slot[j])){ text, len, (uint32_t)os->n };
	t->used++;
	*index = t->slot[j].index;
	return 0;
}

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p past the literal lit (after whitespace), or NULL. */
static const char *lit(const char *p, const char *end, const char *l)
{
	size_t n = strlen(l);

	p = ws(p, end);
	return (size_t)(end - p) >= n && !memcmp(p, l, n) ? p + n : NULL;
}

/* A plain decimal up to INT64_MAX, as jansson reads it; NULL otherwise. */
static const char *count(const char *p, const char *end, uint64_t *n)
{
	const char *q;

	p = ws(p, end);
	if (p >= end || *p < '0' || *p > '9' ||
	    (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9'))
		return NULL;
	for (*n = 0, q = p; q < end && *q >= '0' && *q <= '9' && q - p < 18; q++)
		*n = *n * 10 + (uint64_t)(*q - '0');
	return q < end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9')) ? NULL
											    : q;
}

/*
 * A flow's "verdicts" as the writer puts them, [{"connections":N,"verdict":{...}},...],
 * into t; -EAGAIN for anything else (the general reader then has it).
 */
static int fast_verdicts(struct cta_rd *rd, struct objs *vs, const char *p, size_t len,
			 struct cta_vtally *t)
{
	const char *end = p + len, *q;
	int err = 0;

	p = lit(p, end, "[");
	if (p && (q = lit(p, end, "]")))
		return ws(q, end) == end ? 0 : -EAGAIN;
	cta_jpath_push_key(&rd->path, "verdicts");
	for (size_t i = 0; p && !err; i++) {
		uint64_t n;
		uint32_t index;

		p = lit(p, end, "{");
		p = p ? lit(p, end, "\"connections\"") : NULL;
		p = p ? lit(p, end, ":") : NULL;
		p = p ? count(p, end, &n) : NULL;
		p = p ? lit(p, end, ",") : NULL;
		p = p ? lit(p, end, "\"verdict\"") : NULL;
		p = p ? lit(p, end, ":") : NULL;
		p = p ? ws(p, end) : NULL;
		q = p ? cta_json_skip(p, end) : NULL;
		if (!q || *p != '{')
			break;
		cta_jpath_push_index(&rd->path, i);
		err = fast_obj(rd, vs, p, (size_t)(q - p), &index);
		cta_jpath_pop(&rd->path);
		if (!err)
			err = cta_vtally_add(t, vs->v[index - 1], n);
		p = lit(q, end, "}");
		if (p && (q = lit(p, end, "]")))
			break;
		p = p ? lit(p, end, ",") : NULL;
	}
	cta_rd_leave(rd);
	if (!err && (!p || !q || ws(q, end) != end))
		err = -EAGAIN;
	return err;
}

/* The flow's verdicts and process, from the text the scanner kept. */
static int fast_refs(struct cta_rd *rd, struct objs *vs, struct objs *ps,
		     const struct cta_flow_raw *raw, struct cta_flow *f, struct cta_vtally *t)
{
	uint32_t index;
	int err = 0;

	if (raw->verdicts) {
		err = fast_verdicts(rd, vs, raw->verdicts, raw->vslen, t);
	} else if (raw->verdict) {
		/* version 1: one verdict, for every connection the flow had */
		err = fast_obj(rd, vs, raw->verdict, raw->vlen, &index);
		if (!err)
			err = cta_vtally_add(t, vs->v[index - 1],
					     f->connections ? f->connections : 1);
	}
	if (!err && raw->process)
		err = fast_obj(rd, ps, raw->process, raw->plen, &f->process);
	return err;
}

/* A flow the strict reader left alone: the general reader on that element alone. */
static int slow_flow(struct cta_rd *rd, const char *p, const char *e, struct objs *ps,
		     struct cta_flow *f, struct cta_vtally *t)
{
	struct cta_process *pr = NULL;
	json_error_t jerr;
	json_t *fo;
	int err;

	fo = json_loadb(p, (size_t)(e - p), JSON_REJECT_DUPLICATES, &jerr);
	if (!fo)
		return -EAGAIN; /* a syntax error: the whole document says where */
	err = cta_rd_flow(rd, fo, f);
	if (!err)
		err = cta_rd_flow_verdicts(rd, fo, f->connections, t);
	if (!err)
		err = cta_rd_flow_process(rd, fo, &pr);
	if (!err && pr) {
		err = objs_add(ps, pr);
		if (err)
			cta_process_unref(pr);
		else
			f->process = (uint32_t)ps->n;
	}
	json_decref(fo);
	return err;
}

/* Room for flow i and its verdicts. */
static int grow_flows(struct cta_session *s, size_t *fcap)
{
	size_t nc = *fcap ? *fcap * 2 : 1024;
	void *q;

	if (s->n_flows < *fcap)
		return 0;
	q = realloc(s->flows, nc * sizeof(*s->flows));
	if (!q)
		return -ENOMEM;
	s->flows = q;
	q = realloc((void *)s->verdicts, nc * sizeof(*s->verdicts));
	if (!q)
		return -ENOMEM;
	s->verdicts = q;
	*fcap = nc;
	return 0;
}

/* One flow at p, the fast way where the scanner takes it. */
static int one_flow(struct cta_rd *rd, struct objs *vs, struct objs *ps, const char *p,
		    const char **next, struct cta_session *s)
{
	const char *end = rd->text + rd->len;
	struct cta_flow *f = &s->flows[s->n_flows];
	struct cta_vtally *t = (struct cta_vtally *)&s->verdicts[s->n_verdicts];
	struct cta_flow_raw raw;
	char host[256];
	int err;

	memset(t, 0, sizeof(*t));
	if (cta_flow_read_fast(p, end, f, &raw, next, host) == 0) {
		err = fast_refs(rd, vs, ps, &raw, f, t);
		if (raw.has_host_index)
			f->host = CTA_RD_HOST_INDEX | raw.host_index;
		else if (!err && host[0])
			err = cta_rd_note_host(rd, host, f);
	} else {
		*next = cta_json_skip(p, end);
		err = *next ? slow_flow(rd, p, *next, ps, f, t) : -EAGAIN;
	}
	if (t->n)
		f->verdict = (uint32_t)++s->n_verdicts;
	return err;
}

static int read_flows_fast(struct cta_rd *rd, struct cta_flowscan *sc, struct cta_session *s)
{
	struct objs vs = { .key = "verdict" };
	struct objs ps = { .key = "process", .process = true };
	const char *p;
	size_t fcap = 0;
	int err = 0, more;

	s->owns_verdicts = true;
	cta_jpath_push_key(&rd->path, "flows");
	while (!err && (more = cta_flowscan_next(sc, &p)) == 1) {
		const char *next = NULL;

		err = grow_flows(s, &fcap);
		if (err)
			break;
		cta_jpath_push_index(&rd->path, s->n_flows);
		err = one_flow(rd, &vs, &ps, p, &next, s);
		cta_jpath_pop(&rd->path);
		if (!err) {
			s->n_flows++;
			cta_flowscan_done(sc, next);
		}
	}
	s->processes = (struct cta_process *const *)ps.v;
	s->n_processes = ps.n;
	cta_rd_leave(rd);
	objs_fini(&vs);
	objs_fini(&ps);
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
	if (!top)
		rc = cta_rd_syntax_error(rd->name, head, hlen, &jerr, rd->err);
	free(head);
	if (!top)
		return rc;
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
