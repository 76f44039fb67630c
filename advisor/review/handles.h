/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A candidate's handles, from the live ruleset's numbers to the scratch copy's.
 *
 * review loads a candidate on top of a copy of the live ruleset in a scratch
 * namespace (advisor/cli/candidate.h). nf_tables numbers a table's chains, rules and
 * sets anew as they are created there (one counter per table), so a live table with
 * a history (rules added, then deleted) gets other handles in the copy: `delete rule
 * inet filter input handle 12`, which names a live rule, names another rule of the
 * copy, or none. The copy is the live listing loaded in its order, so the k-th rule
 * of a live chain is the k-th rule of the same chain of the copy, and an object
 * (chain, set, map, flowtable, named counter...) is the one of the same kind and name.
 */
#ifndef CTA_HANDLES_H
#define CTA_HANDLES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The candidate text (nft's language) with each live handle it names put into the
 * copy's numbers: `handle N` and `position N` right after the chain of an add, insert,
 * replace, delete or destroy rule command, and `handle N` right after the table of a
 * delete or destroy of a chain, set, map, flowtable, counter, quota, limit, secmark or
 * synproxy object. live and copy are `nft -a list ruleset` listings of the live ruleset
 * and of its copy. A handle of no live object is left as written (the kernel then says
 * what is wrong). One of a live object that does not pair (a table the copy holds a
 * stand-in of, or did not copy) is left as written too, and its table ("FAMILY NAME")
 * goes to unpaired (len bytes; "" when none): the copy's same number is another rule,
 * so the caller must not load the candidate there. 0 with *out the new text
 * (malloc'd) or NULL when nothing had to change; -ENOMEM.
 */
int cta_handles_renumber(const char *live, const char *copy, const char *candidate, char **out,
			 char *unpaired, size_t len);

/*
 * The other way: review's verdicts come from the copy, so a rule they name has the
 * copy's handle, which on the live host is another rule or none. This pairs the copy's
 * rules with the live ones as above. The copy's tables are as they were before the
 * candidate; the candidate's rules in them have no live handle yet.
 */
struct cta_handles_back;

/*
 * The comment of the rule that stands in for a live table's rules in each of its
 * chains where review could not copy it (advisor/cli/candidate.c): such a rule pairs
 * with no live rule, whatever its place.
 */
#define CTA_STAND_IN_MARK "stands in for the live rules nft cannot load back"

/*
 * The pairs of live and copy (`nft -a list ruleset` listings, the copy's before the
 * candidate loads). 0 with *out (free with cta_handles_back_free), or -ENOMEM.
 */
int cta_handles_back_new(const char *live, const char *copy, struct cta_handles_back **out);
/*
 * after: the copy's listing (with handles) once the candidate is on top. The rules of
 * a live table it deleted (and made anew, as a reload does) have no live handle: the
 * live numbers are other rules' or none, and the host numbers them when the candidate
 * is applied. b may be NULL. 0 or -ENOMEM.
 */
int cta_handles_back_after(struct cta_handles_back *b, const char *after);
/*
 * The live handle of the copy's rule handle in (family, table): 1 with *live; 0 when
 * the table is a live one but the rule is not one of its live rules (the candidate
 * adds it, or made the table anew: no handle until it is applied); -1 when the table
 * is the candidate's own (not a live one: the host will number it as the copy does),
 * a stand-in of a live table nft could not load there, or b is NULL: the handle stands
 * as the copy numbers it.
 */
int cta_handles_back_rule(const struct cta_handles_back *b, const char *family, const char *table,
			  uint64_t handle, uint64_t *live);
void cta_handles_back_free(struct cta_handles_back *b);

#endif
