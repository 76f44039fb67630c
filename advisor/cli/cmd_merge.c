// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/cli/cli.h"
#include "advisor/model/merge.h"
#include "advisor/model/session.h"
#include "advisor/lib/util.h"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_merge = {
	"merge",
	run,
	"combine sessions of several hosts or days into one",
	"Usage: conntrack-advise merge [-o FILE] SESSION...\n"
	"\n"
	"Writes one session holding every flow of the given ones, and which host saw it:\n"
	"the result lists every host (\"hosts\") and each flow names its \"host\". The same\n"
	"flow seen by the same host in several sessions becomes one, its counts added (the\n"
	"count of each verdict too), its times and port ranges widened. Merging is\n"
	"associative and deterministic: merged sessions merge again to the same bytes.\n"
	"suggest, graph and flows read the result like any session.\n"
	"\n"
	"  -o FILE   write FILE atomically (mode 0600) instead of standard output\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise merge -o week.json mon.json tue.json wed.json\n"
	"  conntrack-advise merge -o fleet.json web1.json web2.json && conntrack-advise suggest fleet.json\n",
};

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *out = NULL;
	struct cta_session *s = NULL, m;
	char *text = NULL;
	size_t n, len = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_merge, stdout);
			return CTA_EXIT_OK;
		default:
			return cta_usage_error(&cta_cmd_merge, "unknown option");
		}
	}
	if (g->json)
		return cta_usage_error(&cta_cmd_merge, "-j: merge writes a session, which is JSON");
	n = (size_t)(argc - optind);
	if (!n)
		return cta_usage_error(&cta_cmd_merge, "no SESSION given");
	rc = cta_load_session_args(&cta_cmd_merge, argv + optind, &n, &s);
	/* a recording given twice was refused there: its counts would double */
	if (!rc) {
		if (cta_session_merge(s, n, &m) || cta_session_format(&m, &text, &len)) {
			cta_msg("merge: out of memory");
			rc = CTA_EXIT_SYSTEM;
		}
		if (!rc && !g->quiet)
			fprintf(stderr,
				"conntrack-advise: merge: %zu flow%s of %zu host%s from %zu session%s\n",
				m.n_flows, m.n_flows == 1 ? "" : "s", m.n_hosts,
				m.n_hosts == 1 ? "" : "s", n, n == 1 ? "" : "s");
		cta_session_fini(&m);
	}
	if (!rc)
		rc = cta_write_output(&cta_cmd_merge, out, text, len, 0600);
	free(text);
	cta_free_sessions(s, n);
	return rc;
}
