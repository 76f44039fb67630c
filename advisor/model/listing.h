/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one reader of `nft list ruleset` text, with or without handles, stateless or
 * not: it walks the listing line by line and says what each line is. The ruleset
 * (rule texts by handle, base chains: advisor/model/ruleset.h) and review's comparison
 * of listings (advisor/review/rsdiff.h) are both built on it.
 *
 *   table FAMILY NAME {                  [# handle N]   depth 0
 *           KIND NAME {                  [# handle N]   depth 1: chain, set, map, ...
 *                   type … hook …; policy …;            a base chain's head
 *                   LINE                 [# handle N]   depth 2 and deeper
 *           }
 *   }
 *
 * Names may be quoted ("my chain"); braces inside quoted strings do not count; an
 * owner table's "# progname NAME" is a comment like "# handle N". Lines
 * of blocks that are not tables, and of objects whose head is not understood, are
 * left out.
 */
#ifndef CTA_LISTING_H
#define CTA_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cta_listing_what {
	CTA_LISTING_TABLE, /* a table's first line; start is where it starts */
	CTA_LISTING_TABLE_END, /* its closing line; end is just past it */
	CTA_LISTING_OBJECT, /* "KIND NAME {" inside a table: kind and name are set */
	CTA_LISTING_HEAD, /* a chain's "type … hook …" line */
	CTA_LISTING_LINE, /* any other line inside an object but a lone "}" */
};

struct cta_listing_item {
	enum cta_listing_what what;
	const char *family, *table; /* as written ("inet", "fw") */
	const char *kind, *name; /* the object's ("chain", "input"); "" for tables */
	const char *text; /* the line, trimmed, without its " # handle N" (or head comment) */
	int depth; /* braces open before the line: 2 for a chain's rules */
	bool has_handle;
	uint64_t handle;
	size_t start, end; /* offsets in the text: TABLE's start, TABLE_END's end */
};

/* Return 0 to go on; anything else stops the walk and is returned. */
typedef int (*cta_listing_cb)(const struct cta_listing_item *it, void *data);

/* Walk text, item by item, in order. 0, cb's non-zero return, or -ENOMEM. */
int cta_listing_walk(const char *text, cta_listing_cb cb, void *data);

/*
 * The first rule of text (a listing, with or without handles) with a `notrack`
 * statement (cta_rule_has_word: not in a quoted string), outside the tables whose
 * names begin with skip (NULL: none), into out (len bytes, cut short if need be):
 * "FAMILY TABLE CHAIN [handle N]: RULE". Packets such a rule matches get no conntrack
 * entry. Whether there was one.
 */
bool cta_listing_notrack(const char *text, const char *skip, char *out, size_t len);

#endif
