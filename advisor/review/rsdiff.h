/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a ruleset change does, object by object: two `nft list ruleset` listings
 * (stateless; handles are read and left out), read by advisor/model/listing.h,
 * compared as tables, their chains, sets, maps and other
 * objects, and each chain's rules in order (a longest common subsequence, so a rule
 * inserted on top is one added rule, not a whole chain changed).
 */
#ifndef CTA_RSDIFF_H
#define CTA_RSDIFF_H

#include <jansson.h>
#include <stdbool.h>

/*
 * The differences from before to after as a JSON array, each element
 * {"op": "add"|"remove"|"change", "object": "table"|"chain"|"set"|"map"|"rule"|...,
 *  "family", "table", "name" (not for tables; for a rule its chain), and "text" (add,
 *  remove: the object's or rule's text) or "from"/"to" (change: a chain's type, hook,
 *  priority and policy line, or an object's whole body)}. Tables whose name starts
 * with skip_prefix (the tool's own) are left out. NULL when out of memory.
 */
json_t *cta_rsdiff(const char *before, const char *after, const char *skip_prefix);

/* The (family, name) of every table the listing holds, as a JSON array of "FAMILY NAME". */
json_t *cta_rsdiff_tables(const char *listing, const char *skip_prefix);

/* The listing without the tables whose name starts with skip_prefix; malloc'd. */
char *cta_rsdiff_without(const char *listing, const char *skip_prefix);

/* One table's part of a listing ("table FAMILY NAME {" to its "}"), malloc'd, or NULL. */
char *cta_rsdiff_table_text(const char *listing, const char *family, const char *name);

/*
 * A transaction (nft text) that makes the table family/name of the listing `now` what
 * it is in `want`, in place: the table is kept, and so is every chain whose type, hook
 * and priority stay (a base chain made anew is registered after the other chains of
 * its hook and priority, which changes the order they run in, and the listing's). Its
 * rules are flushed; its sets, maps and other objects are deleted and made again from
 * `want` (with the state `want` gives them: elements, counters); chains `want` lacks,
 * or hooks differently, are deleted. A table `want` lacks is deleted, one `now` lacks
 * is made. "" when neither has it. malloc'd; NULL when out of memory.
 */
char *cta_rsdiff_replace_tx(const char *now, const char *want, const char *family,
			    const char *name);

#endif
