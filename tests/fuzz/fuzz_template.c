// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: rule templates, in both syntaxes, and rendering whatever parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/suggest/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fill(void *ctx, enum cta_ph ph, const char *indent, struct cta_buf *out)
{
	(void)ctx;
	cta_buf_printf(out, "%s<%s>\n", indent, cta_ph_name(ph));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int syn = CTA_TMPL_NFT; syn <= CTA_TMPL_IPTABLES; syn++) {
		struct cta_tmpl *t = NULL;
		struct cta_err err;
		struct cta_buf out = { 0 };

		if (cta_tmpl_parse("fuzz", (const char *)data, size, (enum cta_tmpl_syntax)syn, &t,
				   &err))
			continue;
		if (!cta_tmpl_has(t, CTA_PH_INPUT))
			abort(); /* parse promises an {{input}} */
		cta_tmpl_render(t, fill, NULL, &out);
		/* every placeholder was replaced: no "{{" survives rendering */
		if (out.p && strstr(out.p, "{{"))
			abort();
		cta_buf_fini(&out);
		cta_tmpl_free(t);
	}
	return 0;
}
