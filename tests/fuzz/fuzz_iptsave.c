// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: iptables-save text and TRACE prefixes; every rule found is found again;
 * what kind of file it is; and walks through the parsed rules: every rule's line, and
 * every chain's end, alone and after the base chains' first rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/iptpath.h"
#include "advisor/model/iptsave.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lines for every rule and every chain's end of each table, walked one chain at a time. */
static void walks(const struct cta_iptsave *s)
{
	static struct cta_ipt_result r; /* big: not on the stack */
	struct cta_ipt_trace l[2];

	for (size_t i = 0; i < s->ntables; i++) {
		const struct cta_ipt_table *tb = &s->tables[i];

		for (size_t j = 0; j < tb->nchains; j++) {
			const struct cta_ipt_chain *c = &tb->chains[j];

			for (unsigned n = 1; n <= c->n + 1; n++) {
				memset(l, 0, sizeof(l));
				snprintf(l[1].table, sizeof(l[1].table), "%s", tb->name);
				snprintf(l[1].chain, sizeof(l[1].chain), "%s", c->name);
				l[1].num = n;
				l[1].type = n <= c->n	   ? CTA_IPT_TRACE_RULE
					    : c->policy[0] ? CTA_IPT_TRACE_POLICY
							   : CTA_IPT_TRACE_RETURN;
				l[0] = l[1];
				l[0].num = 1;
				l[0].type = CTA_IPT_TRACE_RULE;
				if (!cta_ipt_line_known(s, &l[1]))
					abort();
				(void)cta_ipt_line_ends(s, &l[1]);
				(void)cta_ipt_walk(s, 2, &l[1], 1, &r);
				if (cta_ipt_walk(s, 2, l, 2, &r) == 0 && r.n_passed > 2)
					abort();
				(void)cta_ipt_assemble(s, 2, l, 2, &r, 1);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_iptsave *s;
	struct cta_ipt_trace t;
	unsigned bad;
	int fam;

	(void)cta_ipt_file_kind((const char *)data, size, &fam);
	if (cta_ipt_trace_parse((const char *)data, size, &t) == 0 &&
	    (t.num == 0 || !t.table[0] || !t.chain[0]))
		abort();
	if (cta_iptsave_parse((const char *)data, size, &s, &bad) != 0) {
		if (s || bad > size + 2)
			abort();
		return 0;
	}
	for (size_t i = 0; i < s->ntables; i++) {
		const struct cta_ipt_table *tb = &s->tables[i];

		for (size_t j = 0; j < tb->nchains; j++)
			for (unsigned n = 1; n <= tb->chains[j].n; n++) {
				const struct cta_ipt_rule *r =
					cta_iptsave_rule(s, tb->name, tb->chains[j].name, n);
				if (!r || r->num != n || strncmp(r->text, "-A ", 3))
					abort();
			}
	}
	(void)cta_iptsave_decides(s);
	walks(s);
	cta_iptsave_free(s);
	return 0;
}
