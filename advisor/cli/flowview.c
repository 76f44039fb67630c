// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/cli/flowview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/util.h"
#include "advisor/record/procs.h"

enum col { HOST, PROTO, DIR, SRC, DST, CONNS, PACKETS, BYTES, VERDICT, PROCESS, NCOLS };

static const char *const heads[NCOLS] = {
	"HOST", "PROTO", "DIR", "SOURCE", "DESTINATION", "CONNS", "PACKETS", "BYTES", "VERDICT",
	"PROCESS",
};
/* numbers are right-aligned, so their digits line up */
static const bool right[NCOLS] = { [CONNS] = true, [PACKETS] = true, [BYTES] = true };

struct row {
	char *cell[NCOLS];
};

struct cta_flowview {
	bool hosts;
	struct row *rows;
	size_t n, cap;
};

struct cta_flowview *cta_flowview_new(bool hosts)
{
	struct cta_flowview *v = calloc(1, sizeof(*v));

	if (v)
		v->hosts = hosts;
	return v;
}

void cta_flowview_free(struct cta_flowview *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		for (int c = 0; c < NCOLS; c++)
			free(v->rows[i].cell[c]);
	free(v->rows);
	free(v);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static unsigned long long num(json_t *o, const char *key)
{
	return (unsigned long long)json_integer_value(json_object_get(o, key));
}

/* ADDR, [V6ADDR] when a port follows */
static void addr(char *buf, size_t len, const char *a, bool port_follows)
{
	snprintf(buf, len, port_follows && strchr(a, ':') ? "[%s]" : "%s", a);
}

/* 192.0.2.10:22, [2001:db8::1]:53, 192.0.2.10 type 8; a DNAT flow: "… (to 203.0.113.20:80)" */
static char *destination(json_t *f)
{
	json_t *o = json_object_get(f, "orig"), *r = json_object_get(f, "reply");
	char a[80], real[80], *out = NULL;
	bool port = json_object_get(o, "dport") != NULL;
	int n;

	addr(a, sizeof(a), str(o, "dst"), port);
	if (port)
		n = asprintf(&out, "%s:%llu", a, num(o, "dport"));
	else if (json_object_get(o, "type"))
		n = asprintf(&out, "%s type %llu", a, num(o, "type"));
	else
		n = asprintf(&out, "%s", a);
	/* the reply comes from elsewhere: the destination was translated */
	if (n > 0 && r && strcmp(str(r, "src"), str(o, "dst"))) {
		char *with = NULL;

		addr(real, sizeof(real), str(r, "src"), port);
		if (port)
			n = asprintf(&with, "%s (to %s:%llu)", out, real, num(r, "sport"));
		else
			n = asprintf(&with, "%s (to %s)", out, real);
		free(out);
		out = n > 0 ? with : NULL;
	}
	return n > 0 ? out : NULL;
}

/* 18/12 and 6.8 KiB/6.5 KiB: original direction, then reply */
static char *both(json_t *o, void (*fmt)(uint64_t, char *, size_t))
{
	char a[32], b[32], *out;

	fmt(num(o, "orig"), a, sizeof(a));
	fmt(num(o, "reply"), b, sizeof(b));
	return asprintf(&out, "%s/%s", a, b) > 0 ? out : NULL;
}

/* accept #7 (by rule handle 7), drop policy, drop ? (NFLOG saw it denied), - */
static char *verdict(json_t *v)
{
	const char *type = str(v, "type");
	char *out;
	int n;

	if (!v)
		return strdup("-");
	if (!strcmp(type, "rule"))
		n = asprintf(&out, "%s #%llu", str(v, "verdict"), num(v, "handle"));
	else if (!strcmp(type, "policy"))
		n = asprintf(&out, "%s policy", str(v, "verdict"));
	else
		n = asprintf(&out, "%s ?", str(v, "verdict"));
	return n > 0 ? out : NULL;
}

/* sshd[812], -forwarded-, uid 1000 (NFLOG's owner only), - */
static char *process(json_t *f)
{
	json_t *p = json_object_get(f, "process");
	char name[16], *out;
	int n;

	if (!strcmp(str(f, "direction"), "forward"))
		return strdup("-forwarded-");
	if (json_object_get(p, "comm"))
		n = asprintf(&out, "%s[%llu]", cta_program_name(p, name, sizeof(name)),
			     num(p, "pid"));
	else if (json_object_get(p, "uid"))
		n = asprintf(&out, "uid %llu", num(p, "uid"));
	else
		return strdup("-");
	return n > 0 ? out : NULL;
}

int cta_flowview_add(struct cta_flowview *v, json_t *f)
{
	struct row r = { 0 };
	char count[32];

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct row *rows = realloc(v->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		v->rows = rows;
		v->cap = cap;
	}
	cta_human_count(num(f, "connections"), count, sizeof(count));
	r.cell[HOST] = strdup(v->hosts ? str(f, "host") : "");
	r.cell[PROTO] = strdup(str(f, "protocol"));
	r.cell[DIR] = strdup(str(f, "direction"));
	r.cell[SRC] = strdup(str(json_object_get(f, "orig"), "src"));
	r.cell[DST] = destination(f);
	r.cell[CONNS] = strdup(count);
	r.cell[PACKETS] = both(json_object_get(f, "packets"), cta_human_count);
	r.cell[BYTES] = both(json_object_get(f, "bytes"), cta_human_bytes);
	r.cell[VERDICT] = verdict(json_object_get(f, "verdict"));
	r.cell[PROCESS] = process(f);
	for (int c = 0; c < NCOLS; c++)
		if (!r.cell[c]) {
			for (int k = 0; k < NCOLS; k++)
				free(r.cell[k]);
			return -ENOMEM;
		}
	v->rows[v->n++] = r;
	return 0;
}

static void cell(FILE *out, const char *s, int width, int c, bool last)
{
	if (right[c])
		fprintf(out, "%*s", width, s);
	else if (last)
		fputs(s, out); /* no trailing blanks */
	else
		fprintf(out, "%-*s", width, s);
	if (!last)
		fputs("  ", out);
}

void cta_flowview_print(const struct cta_flowview *v, FILE *out)
{
	int width[NCOLS];
	int first = v->hosts ? HOST : PROTO;

	if (!v->n)
		return;
	for (int c = 0; c < NCOLS; c++) {
		width[c] = (int)strlen(heads[c]);
		for (size_t i = 0; i < v->n; i++)
			if ((int)strlen(v->rows[i].cell[c]) > width[c])
				width[c] = (int)strlen(v->rows[i].cell[c]);
	}
	for (int c = first; c < NCOLS; c++)
		cell(out, heads[c], width[c], c, c == NCOLS - 1);
	fputc('\n', out);
	for (size_t i = 0; i < v->n; i++) {
		for (int c = first; c < NCOLS; c++)
			cell(out, v->rows[i].cell[c], width[c], c, c == NCOLS - 1);
		fputc('\n', out);
	}
}
