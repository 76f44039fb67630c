// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: iptables-save text and TRACE prefixes; every rule found is found again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/iptsave.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_iptsave *s;
	struct cta_ipt_trace t;
	unsigned bad;

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
	cta_iptsave_free(s);
	return 0;
}
