/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rule templates: a base ruleset in nft or iptables-restore syntax with {{name}}
 * placeholders where suggest puts what it generated (docs/templates.md).
 */
#ifndef CTA_TEMPLATE_H
#define CTA_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "advisor/lib/buf.h"
#include "advisor/model/session.h"

enum cta_tmpl_syntax {
	CTA_TMPL_NFT = 0,
	CTA_TMPL_IPTABLES, /* iptables-restore and ip6tables-restore */
};

enum cta_ph {
	CTA_PH_TEXT = 0, /* literal template text */
	/* inline: replaced where they stand */
	CTA_PH_TABLE,
	CTA_PH_TEMPLATE,
	CTA_PH_OUTPUT_POLICY,
	/* blocks: alone on their line, which their lines replace (same indentation) */
	CTA_PH_SETS,
	CTA_PH_CHAINS,
	CTA_PH_INPUT,
	CTA_PH_OUTPUT,
	CTA_PH_FORWARD,
	CTA_PH_N,
};

struct cta_tmpl;

/* Parse a template; name is used in messages. 0, -EBADMSG with err filled, -ENOMEM. */
int cta_tmpl_parse(const char *name, const char *text, size_t len, enum cta_tmpl_syntax syn,
		   struct cta_tmpl **out, struct cta_err *err);
void cta_tmpl_free(struct cta_tmpl *t);
/* Does the template have this placeholder? */
bool cta_tmpl_has(const struct cta_tmpl *t, enum cta_ph ph);
const char *cta_ph_name(enum cta_ph ph);

/*
 * Fill a placeholder: append its text (inline) or its lines, each starting with
 * indent and ending in '\n' (blocks). Nothing appended removes a block's line.
 */
typedef void (*cta_tmpl_fill_fn)(void *ctx, enum cta_ph ph, const char *indent,
				 struct cta_buf *out);
void cta_tmpl_render(const struct cta_tmpl *t, cta_tmpl_fill_fn fill, void *ctx,
		     struct cta_buf *out);

#endif
