// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/suggest/template.h"

struct seg {
	enum cta_ph ph;
	size_t off, len; /* text, or a block's indentation */
};

struct cta_tmpl {
	char *text;
	struct seg *segs;
	size_t n_segs, cap;
	bool has[CTA_PH_N];
};

static const struct {
	const char *name;
	bool block;
	bool nft, ipt; /* valid in which syntax */
} phs[CTA_PH_N] = {
	[CTA_PH_TABLE] = { "table", false, true, false },
	[CTA_PH_TEMPLATE] = { "template", false, true, true },
	[CTA_PH_OUTPUT_POLICY] = { "output_policy", false, true, true },
	[CTA_PH_SETS] = { "sets", true, true, false },
	[CTA_PH_CHAINS] = { "chains", true, false, true },
	[CTA_PH_INPUT] = { "input", true, true, true },
	[CTA_PH_OUTPUT] = { "output", true, true, true },
	[CTA_PH_FORWARD] = { "forward", true, true, true },
};

const char *cta_ph_name(enum cta_ph ph)
{
	return ph > CTA_PH_TEXT && ph < CTA_PH_N ? phs[ph].name : "text";
}

bool cta_tmpl_has(const struct cta_tmpl *t, enum cta_ph ph)
{
	return ph < CTA_PH_N && t->has[ph];
}

void cta_tmpl_free(struct cta_tmpl *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->segs);
	free(t);
}

static int add_seg(struct cta_tmpl *t, enum cta_ph ph, size_t off, size_t len)
{
	if (ph == CTA_PH_TEXT && !len)
		return 0;
	if (t->n_segs == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		void *p = realloc(t->segs, nc * sizeof(*t->segs));

		if (!p)
			return -ENOMEM;
		t->segs = p;
		t->cap = nc;
	}
	t->segs[t->n_segs++] = (struct seg){ ph, off, len };
	return 0;
}

static int fail(struct cta_err *err, const char *name, const char *text, size_t at, const char *fmt,
		const char *arg)
{
	unsigned line = 1, col = 1;
	char what[512];

	for (size_t i = 0; i < at; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(what, sizeof(what), fmt, arg);
	snprintf(err->msg, sizeof(err->msg), "%s:%u:%u: %s", name, line, col, what);
	return -EBADMSG;
}

static bool blank(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static int lookup(const char *s, size_t n, enum cta_tmpl_syntax syn)
{
	for (int ph = CTA_PH_TEXT + 1; ph < CTA_PH_N; ph++)
		if (strlen(phs[ph].name) == n && !memcmp(phs[ph].name, s, n))
			return (syn == CTA_TMPL_NFT ? phs[ph].nft : phs[ph].ipt) ? ph : -1;
	return -1;
}

static int parse(struct cta_tmpl *t, const char *name, const char *s, size_t len,
		 enum cta_tmpl_syntax syn, struct cta_err *err)
{
	size_t lit = 0, line = 0;

	for (size_t i = 0; i < len; i++) {
		size_t end, stop, nl;
		char word[40];
		int ph;

		if (s[i] == '\0')
			return fail(err, name, s, i, "%sa NUL byte", "");
		if (s[i] == '\n') {
			line = i + 1;
			continue;
		}
		if (s[i] != '{' || i + 1 >= len || s[i + 1] != '{')
			continue;
		for (end = i + 2; end < len && s[end] != '}' && s[end] != '\n'; end++)
			;
		if (end + 1 >= len || s[end] != '}' || s[end + 1] != '}')
			return fail(err, name, s, i, "%s'{{' without '}}' on the same line", "");
		snprintf(word, sizeof(word), "%.*s", (int)(end - i - 2 > 30 ? 30 : end - i - 2),
			 s + i + 2);
		ph = lookup(s + i + 2, end - i - 2, syn);
		if (ph < 0)
			return fail(
				err, name, s, i,
				syn == CTA_TMPL_NFT
					? "unknown placeholder {{%s}} for an nft template "
					  "(known: table, template, output_policy, sets, input, "
					  "output, forward)"
					: "unknown placeholder {{%s}} for an iptables template "
					  "(known: template, output_policy, chains, input, output, "
					  "forward)",
				word);
		stop = end + 2;
		if (!phs[ph].block) {
			if (add_seg(t, CTA_PH_TEXT, lit, i - lit) || add_seg(t, ph, 0, 0))
				return -ENOMEM;
			t->has[ph] = true;
			lit = stop;
			i = stop - 1;
			continue;
		}
		for (nl = stop; nl < len && s[nl] != '\n'; nl++)
			;
		if (!blank(s, line, i) || !blank(s, stop, nl))
			return fail(err, name, s, i, "{{%s}} must stand alone on its line", word);
		if (t->has[ph])
			return fail(err, name, s, i, "{{%s}} appears twice", word);
		if (add_seg(t, CTA_PH_TEXT, lit, line - lit) || add_seg(t, ph, line, i - line))
			return -ENOMEM;
		t->has[ph] = true;
		lit = nl < len ? nl + 1 : len;
		line = lit;
		i = lit - 1;
	}
	return add_seg(t, CTA_PH_TEXT, lit, len - lit) ? -ENOMEM : 0;
}

int cta_tmpl_parse(const char *name, const char *text, size_t len, enum cta_tmpl_syntax syn,
		   struct cta_tmpl **out, struct cta_err *err)
{
	struct cta_tmpl *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	err->msg[0] = '\0';
	if (!t)
		return -ENOMEM;
	t->text = malloc(len + 1);
	if (!t->text) {
		free(t);
		return -ENOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	rc = parse(t, name, t->text, len, syn, err);
	if (!rc && !t->has[CTA_PH_INPUT])
		rc = fail(err, name, t->text, 0, "%sthe template has no {{input}}", "");
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
		cta_tmpl_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void cta_tmpl_render(const struct cta_tmpl *t, cta_tmpl_fill_fn fill, void *ctx,
		     struct cta_buf *out)
{
	for (size_t i = 0; i < t->n_segs; i++) {
		const struct seg *sg = &t->segs[i];
		char indent[128];

		if (sg->ph == CTA_PH_TEXT) {
			cta_buf_add(out, t->text + sg->off, sg->len);
			continue;
		}
		snprintf(indent, sizeof(indent), "%.*s", (int)sg->len, t->text + sg->off);
		fill(ctx, sg->ph, indent, out);
	}
}
