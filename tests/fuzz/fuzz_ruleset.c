// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: ruleset listings; lookups on what was read. */
#include <linux/netfilter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_ruleset *rs = cta_ruleset_new();
	char *text = malloc(size + 1);

	if (!rs || !text) {
		cta_ruleset_free(rs);
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	(void)cta_ruleset_add_text(rs, text);
	(void)cta_ruleset_rule(rs, NFPROTO_INET, "fw", "input", 4);
	(void)cta_ruleset_chain(rs, NFPROTO_INET, "fw", "input");
	free(text);
	cta_ruleset_free(rs);
	return 0;
}
