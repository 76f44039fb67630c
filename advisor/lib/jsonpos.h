/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where in a JSON text does a value sit? jansson gives positions for syntax errors
 * only; this finds the line and column of a value by its path, so errors about a
 * field's content can point at it too.
 */
#ifndef CTA_JSONPOS_H
#define CTA_JSONPOS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define CTA_JPATH_MAX 16

struct cta_jpath {
	struct {
		const char *key; /* NULL: an array index */
		size_t index;
	} c[CTA_JPATH_MAX];
	int depth;
};

void cta_jpath_push_key(struct cta_jpath *p, const char *key);
void cta_jpath_push_index(struct cta_jpath *p, size_t index);
void cta_jpath_pop(struct cta_jpath *p);
/* "flows[3].orig.src"; "(top level)" for the empty path. */
void cta_jpath_format(const struct cta_jpath *p, char *buf, size_t len);

/*
 * 1-based line and column of the value at path p in text (valid JSON). Where the path
 * goes further than the text, the deepest value found. false if text is not JSON.
 */
bool cta_jsonpos_find(const char *text, size_t len, const struct cta_jpath *p, int *line, int *col);

/*
 * The path of the value that starts at byte OFFSET of TEXT (JSON, valid up to OFFSET),
 * formatted into BUF as cta_jpath_format does it ("flows[3].packets.orig"; keys as
 * written, escapes kept); and OFFSET's 1-based line and column. For a value jansson
 * refused, whose path a tree cannot give. Paths deeper than CTA_JPATH_MAX end with "…".
 */
void cta_jsonpos_path_at(const char *text, size_t len, size_t offset, char *buf, size_t buflen,
			 int *line, int *col);

/* Does the JSON array a hold the string s (a NULL array holds nothing)? */
static inline bool cta_jarray_has(json_t *a, const char *s)
{
	json_t *t;
	size_t i;

	json_array_foreach(a, i, t)
		if (json_string_value(t) && !strcmp(json_string_value(t), s))
			return true;
	return false;
}

/* A string member of a JSON object, or "" when it is absent or not a string. */
static inline const char *cta_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

#endif
