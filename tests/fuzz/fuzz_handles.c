// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: a live listing, its copy's listing and a candidate (split at the first two
 * NULs; parts missing are the input again), as review renumbers the candidate's
 * handles, and puts the copy's back (the third part standing for the copy after the
 * candidate). A copy numbered like the live ruleset changes nothing either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/review/handles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *part[3] = { NULL, NULL, NULL }, *out = NULL, unpaired[64];
	struct cta_handles_back *back = NULL;
	uint64_t live;
	const char *p = (const char *)data, *end = p + size;

	if (size > 1 << 16)
		return 0;
	for (int i = 0; i < 3; i++) {
		const char *nul = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;

		part[i] = p < end ? strndup(p, nul ? (size_t)(nul - p) : (size_t)(end - p))
				  : strndup((const char *)data, size);
		if (!part[i])
			goto out;
		p = nul ? nul + 1 : end;
	}
	if (!cta_handles_renumber(part[0], part[1], part[2], &out, unpaired, sizeof(unpaired)))
		free(out);
	out = NULL;
	if (!cta_handles_renumber(part[0], part[0], part[2], &out, unpaired, sizeof(unpaired)) &&
	    out)
		abort();
	if (!cta_handles_back_new(part[0], part[1], &back)) {
		cta_handles_back_after(back, part[2]);
		for (uint64_t h = 0; h < 16; h++)
			cta_handles_back_rule(back, "inet", "filter", h, &live);
		cta_handles_back_free(back);
	}
	/* a copy like the live ruleset: every rule it pairs is its own number */
	if (!cta_handles_back_new(part[0], part[0], &back)) {
		for (uint64_t h = 0; h < 16; h++)
			if (cta_handles_back_rule(back, "inet", "filter", h, &live) == 1 &&
			    live != h)
				abort();
		cta_handles_back_free(back);
	}
out:
	for (int i = 0; i < 3; i++)
		free(part[i]);
	return 0;
}
