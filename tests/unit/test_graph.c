// SPDX-License-Identifier: GPL-2.0-or-later
/* The flow map of the demo session: golden DOT (CTA_UPDATE_GOLDEN=1 rewrites it). */
#include <stdlib.h>

#include "check.h"
#include "advisor/suggest/graph.h"
#include "advisor/suggest/ir.h"
#include "advisor/model/session.h"

static char *render(const char *path)
{
	struct cta_session s;
	struct cta_err err;
	struct cta_ir_opts o = { .restrict_output = true };
	struct cta_ir ir;
	struct cta_buf out = { 0 };

	cta_group_defaults(&o.group);
	if (cta_session_load(path, &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	if (cta_ir_build(&o, &s, 1, &ir) == 0) {
		cta_graph_dot(&ir, &s, 1, &out);
		cta_ir_fini(&ir);
	}
	cta_session_fini(&s);
	return out.oom ? NULL : out.p;
}

int main(void)
{
	const char *src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	char in[4096], golden[4096];
	char *got, *again;

	snprintf(in, sizeof(in), "%s/tests/data/demo-session.json", src);
	snprintf(golden, sizeof(golden), "%s/tests/data/demo-session.dot", src);
	got = render(in);
	again = render(in);
	CHECK(got && again && !strcmp(got, again));
	if (got && getenv("CTA_UPDATE_GOLDEN")) {
		FILE *f = fopen(golden, "we");

		CHECK(f && fputs(got, f) >= 0 && !fclose(f));
	} else if (got) {
		FILE *f = fopen(golden, "re");
		char *want = calloc(1, 1 << 20);

		CHECK(f && want);
		if (f && want) {
			size_t n = fread(want, 1, (1 << 20) - 1, f);

			want[n] = '\0';
			if (strcmp(got, want)) {
				fprintf(stderr, "%s differs; got:\n%s\n", golden, got);
				CHECK(!"golden DOT");
			}
		}
		if (f)
			fclose(f);
		free(want);
		/* what the map must show: a subnet, a service, the denied flows, dashed */
		CHECK(strstr(got, "\"peer 198.51.100.0/24\" -> \"service tcp 80\""));
		CHECK(strstr(got, "DENIED tcp 23"));
		CHECK(strstr(got, "style=dashed"));
		/* a host in one box: 198.51.100.7 is drawn in its /24, named on its edges */
		CHECK(!strstr(got, "\"peer 198.51.100.7\" [label"));
		CHECK(strstr(got, "\"peer 198.51.100.0/24\" -> \"service tcp 22\" [label=\"from "
				  "198.51.100.7\\n3 conns"));
	}
	free(got);
	free(again);
	return check_report("graph");
}
