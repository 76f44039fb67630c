// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: the session reader, and the formatter on whatever it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/suggest/emit.h"
#include "advisor/suggest/graph.h"
#include "advisor/model/merge.h"
#include "advisor/suggest/ir.h"
#include "advisor/model/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* whatever flows it holds, suggest builds a model and prints it */
static void suggest(const struct cta_session *s)
{
	static const char *const tmpls[] = {
		[CTA_FORMAT_NFT] = "{{sets}}\n{{input}}\n{{output}}\n{{forward}}\n",
		[CTA_FORMAT_IPTABLES] = "{{chains}}\n{{input}}\n{{output}}\n{{forward}}\n",
		[CTA_FORMAT_IP6TABLES] = "{{chains}}\n{{input}}\n{{output}}\n{{forward}}\n",
	};
	struct cta_ir_opts o = { .restrict_output = true, .allow_denied = s->n_flows & 1 };
	struct cta_ir ir;
	struct cta_err err;

	cta_group_defaults(&o.group);
	if (cta_ir_build(&o, s, 1, &ir))
		return;
	for (int f = CTA_FORMAT_NFT; f <= CTA_FORMAT_IP6TABLES; f++) {
		struct cta_tmpl *t = NULL;
		struct cta_buf out = { 0 };

		if (cta_tmpl_parse("t", tmpls[f], strlen(tmpls[f]),
				   f == CTA_FORMAT_NFT ? CTA_TMPL_NFT : CTA_TMPL_IPTABLES, &t,
				   &err))
			abort();
		struct cta_emit e = { .ir = &ir,
				      .tmpl = t,
				      .format = (enum cta_format)f,
				      .template_name = "t",
				      .table = "t",
				      .max_denied = 3 };

		cta_emit(&e, &out);
		cta_buf_fini(&out);
		cta_tmpl_free(t);
	}
	struct cta_buf dot = { 0 };

	cta_graph_dot(&ir, s, 1, &dot);
	cta_buf_fini(&dot);
	cta_ir_fini(&ir);
}

/* Flow a of x is flow b of y: the same fields, verdict and process (by value: where
 * each was interned may differ, as equal objects written differently are two). */
static bool same_flow(const struct cta_session *x, struct cta_flow a, const struct cta_session *y,
		      struct cta_flow b)
{
	if (!cta_vtally_equal(cta_session_verdicts(x, &a), cta_session_verdicts(y, &b)))
		return false;
	if (!cta_process_equal(cta_session_process(x, &a), cta_session_process(y, &b)))
		return false;
	a.verdict = b.verdict = 0;
	a.process = b.process = 0;
	return !memcmp(&a, &b, sizeof(a));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_session s;
	struct cta_err err;
	char *text = NULL;
	size_t len;

	struct cta_session tree;
	struct cta_err terr;
	int rc = cta_session_parse("fuzz.json", (const char *)data, size, &s, &err);
	int trc = cta_session_parse_tree("fuzz.json", (const char *)data, size, &tree, &terr);

	/* the scanner and jansson agree: on yes, on the flows, on the message */
	if (rc != trc || (rc && strcmp(err.msg, terr.msg)))
		abort();
	if (!rc) {
		if (tree.n_flows != s.n_flows || tree.n_verdicts < s.n_verdicts)
			abort();
		for (size_t i = 0; i < s.n_flows; i++)
			if (!same_flow(&s, s.flows[i], &tree, tree.flows[i]))
				abort();
		cta_session_fini(&tree);
	}
	if (rc)
		return 0;
	/* accepted: it must format, and read back to the same */
	if (cta_session_format(&s, &text, &len) == 0) {
		struct cta_session again;

		if (cta_session_parse("again.json", text, len, &again, &err) != 0 ||
		    again.n_flows != s.n_flows)
			abort();
		for (size_t i = 0; i < s.n_flows; i++)
			if (!same_flow(&s, s.flows[i], &again, again.flows[i]))
				abort();
		cta_session_fini(&again);
		free(text);
	}
	suggest(&s);
	/* merged with itself, it must write a session that reads back */
	{
		struct cta_session two[2] = { s, s }, m, back;
		char *mt = NULL;
		size_t ml;

		if (cta_session_merge(two, 2, &m) == 0) {
			if (cta_session_format(&m, &mt, &ml) == 0) {
				if (cta_session_parse("merged.json", mt, ml, &back, &err) != 0 ||
				    back.n_flows != m.n_flows)
					abort();
				cta_session_fini(&back);
				free(mt);
			}
			cta_session_fini(&m);
		}
	}
	cta_session_fini(&s);
	return 0;
}
