// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: two ruleset listings (split at the first NUL, or the input twice), as
 * review and apply read them. A listing compared with itself has no change; every
 * table it names can be cut out of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/review/rsdiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a, *b, *w;
	const uint8_t *nul = memchr(data, 0, size);
	size_t na = nul ? (size_t)(nul - data) : size;
	json_t *d, *t, *name;
	size_t i;

	if (size > 1 << 16)
		return 0;
	a = strndup((const char *)data, na);
	b = nul ? strndup((const char *)nul + 1, size - na - 1) : strdup(a ? a : "");
	if (!a || !b)
		goto out;
	d = cta_rsdiff(a, b, "conntrack_advise");
	json_decref(d);
	d = cta_rsdiff(a, a, "conntrack_advise");
	if (d && json_array_size(d))
		abort();
	json_decref(d);
	t = cta_rsdiff_tables(a, NULL);
	json_array_foreach(t, i, name) {
		char fam[16], tab[256], *text;

		if (sscanf(json_string_value(name), "%15s %255s", fam, tab) != 2)
			continue;
		text = cta_rsdiff_table_text(a, fam, tab);
		if (text && strncmp(text, "table ", 6))
			abort();
		free(text);
	}
	json_decref(t);
	w = cta_rsdiff_without(a, "conntrack_advise");
	free(w);
out:
	free(a);
	free(b);
	return 0;
}
