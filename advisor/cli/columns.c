// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/cli/columns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cta_columns {
	size_t n;
	const char *const *heads;
	bool *right, *hidden;
	char **cells; /* rows * n */
	size_t rows, cap;
};

struct cta_columns *cta_columns_new(size_t n, const char *const *heads, const bool *right)
{
	struct cta_columns *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->n = n;
	c->heads = heads;
	c->right = calloc(n ? n : 1, sizeof(*c->right));
	c->hidden = calloc(n ? n : 1, sizeof(*c->hidden));
	if (!c->right || !c->hidden) {
		cta_columns_free(c);
		return NULL;
	}
	if (right)
		memcpy(c->right, right, n * sizeof(*right));
	return c;
}

void cta_columns_free(struct cta_columns *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->rows * c->n; i++)
		free(c->cells[i]);
	free(c->cells);
	free(c->right);
	free(c->hidden);
	free(c);
}

void cta_columns_hide(struct cta_columns *c, size_t i)
{
	if (i < c->n)
		c->hidden[i] = true;
}

int cta_columns_add(struct cta_columns *c, const char *const *cells)
{
	char **row;

	if (c->rows == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **p = realloc(c->cells, cap * c->n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->cells = p;
		c->cap = cap;
	}
	row = &c->cells[c->rows * c->n];
	for (size_t i = 0; i < c->n; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i--)
				free(row[i]);
			return -ENOMEM;
		}
	}
	c->rows++;
	return 0;
}

size_t cta_columns_rows(const struct cta_columns *c)
{
	return c->rows;
}

/* Columns count in characters, not bytes: a UTF-8 cell ("…") takes its width. */
static int width_of(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_row(const struct cta_columns *c, const char *const *cells, const int *w,
		      FILE *out)
{
	size_t last = c->n;

	/* up to the last cell shown with something in it: no blanks at the end */
	while (last && (c->hidden[last - 1] || !*cells[last - 1]))
		last--;
	bool first = true;

	for (size_t i = 0; i < last; i++) {
		int pad;

		if (c->hidden[i])
			continue;
		if (!first)
			fputs("  ", out);
		first = false;
		pad = w[i] - width_of(cells[i]);
		if (c->right[i])
			fprintf(out, "%*s%s", pad, "", cells[i]);
		else if (i + 1 == last)
			fputs(cells[i], out); /* no trailing blanks */
		else
			fprintf(out, "%s%*s", cells[i], pad, "");
	}
	fputc('\n', out);
}

int cta_columns_print(const struct cta_columns *c, FILE *out)
{
	int *w = calloc(c->n ? c->n : 1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++) {
		w[i] = width_of(c->heads[i]);
		for (size_t r = 0; r < c->rows; r++)
			if (width_of(c->cells[r * c->n + i]) > w[i])
				w[i] = width_of(c->cells[r * c->n + i]);
	}
	print_row(c, c->heads, w, out);
	for (size_t r = 0; r < c->rows; r++)
		print_row(c, (const char *const *)&c->cells[r * c->n], w, out);
	free(w);
	return 0;
}
