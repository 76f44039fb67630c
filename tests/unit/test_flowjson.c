// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * -j flows writes each flow's own fields itself (advisor/cli/flowjson.c) for speed:
 * its text must be, byte for byte, cta_flow_to_json's object (the session code, the
 * one place the keys are spelled) as jansson dumps it in the document. Every flow of
 * every session fixture, with its verdicts and process, with and without a host.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "advisor/cli/cli.h"
#include "advisor/cli/flowjson.h"
#include "advisor/lib/util.h"
#include "advisor/model/session.h"

/* cli.c's messages go through main.c's cta_msg: here, to stderr */
void cta_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *const fixtures[] = {
	"tests/data/demo-session.json",	  "tests/data/session-v1.json",
	"tests/data/session-v2.json",	  "tests/data/session-v3.json",
	"tests/data/session-v4.json",	  "tests/data/session-v5.json",
	"tests/data/suggest/many.json",	  "tests/data/suggest/procs.json",
	"tests/data/suggest/router.json", "tests/data/suggest/v4.json",
	"tests/data/suggest/v6.json",	  "tests/data/suggest/onehost.json",
};

static void check_session(const char *path, struct cta_jstream *js)
{
	/* its cache goes by address: one per session, made while the session lives */
	_cleanup_(cta_flowjson_freep) struct cta_flowjson *fj = cta_flowjson_new();
	struct cta_session s;
	struct cta_err err;
	size_t same = 0;

	CHECK(fj != NULL);
	if (!fj || cta_session_load(path, &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		CHECK(0);
		return;
	}
	for (size_t i = 0; i < s.n_flows; i++)
		for (int with_host = 0; with_host < 2; with_host++) {
			const struct cta_flow *f = &s.flows[i];
			const struct cta_vtally *t = cta_session_verdicts(&s, f);
			const struct cta_process *p = cta_session_process(&s, f);
			const char *host = with_host ? "web1 \"quoted\"" : NULL;
			json_t *o = cta_flow_to_json(f, t, p);
			const char *want, *got;
			size_t wlen, glen;
			char *copy;

			if (o && host)
				json_object_set_new(o, "host", json_string(host));
			CHECK_EQ(cta_jstream_render(js, o, &want, &wlen), 0);
			copy = strndup(want, wlen);
			CHECK_EQ(cta_flowjson_text(fj, f, t, p, host, &got, &glen), 0);
			if (copy && glen == wlen && !memcmp(got, copy, wlen)) {
				same++;
			} else {
				fprintf(stderr,
					"%s flow %zu differs:\n--- want\n%s\n--- got\n%.*s\n", path,
					i, copy ? copy : "", (int)glen, got);
				CHECK(0);
			}
			free(copy);
		}
	CHECK_EQ(same, 2 * s.n_flows);
	cta_session_fini(&s);
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	struct cta_jstream js;
	char path[4096];

	cta_jstream_begin(&js, "flows");
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", src ? src : ".", fixtures[i]);
		check_session(path, &js);
	}
	cta_jstream_fini(&js);
	return check_report("flowjson");
}
