// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#if HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#endif

#include "advisor/lib/buf.h"
#include "advisor/cli/cli.h"
#include "advisor/suggest/graph.h"
#include "advisor/suggest/ir.h"
#include "advisor/model/session.h"
#include "advisor/lib/util.h"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_graph = {
	"graph",
	run,
	"draw who talks to whom: a Graphviz graph of the sessions' flows",
	"Usage: conntrack-advise graph [--format dot|svg] [-o FILE] SESSION...\n"
	"\n"
	"A map of the traffic the sessions saw: the host and its services, the sources\n"
	"grouped into subnets as suggest groups them (a box per subnet or host), the\n"
	"remote services the host used, forwarded flows; edges labelled and drawn thicker\n"
	"by connections, with their bytes; denied flows as dashed red edges that say what\n"
	"denied them.\n"
	"\n"
	"  --format dot   Graphviz DOT text (default): 'dot -Tpng' and friends draw it\n"
	"  --format svg   laid out and drawn here by the Graphviz library (in builds with\n"
	"                 it: 'conntrack-advise version' says +graphviz)\n"
	"  -o FILE        write FILE atomically instead of standard output\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise graph session.json > flows.dot\n"
	"  conntrack-advise graph --format svg -o flows.svg monday.json tuesday.json\n",
};

#if HAVE_GRAPHVIZ
/* Lay the DOT text out with dot and render it as SVG. 0, or -EINVAL / -ENOMEM. */
static int render_svg(const char *dot, char **svg, size_t *len)
{
	GVC_t *gvc = gvContext();
	Agraph_t *gr;
	unsigned int n = 0;
	int rc = -EINVAL;

	*svg = NULL;
	if (!gvc)
		return -ENOMEM;
	gr = agmemread(dot);
	if (gr && gvLayout(gvc, gr, "dot") == 0) {
		if (gvRenderData(gvc, gr, "svg", svg, &n) == 0 && *svg) {
			*len = n;
			rc = 0;
		}
		gvFreeLayout(gvc, gr);
	}
	if (gr)
		agclose(gr);
	gvFreeContext(gvc);
	return rc;
}
#endif

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cta_ir_opts o = { .restrict_output = true };
	const char *out = NULL;
	bool svg = false;
	struct cta_session *s = NULL;
	struct cta_buf dot = { 0 };
	struct cta_ir ir = { 0 };
	size_t n;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "svg"))
				svg = true;
			else if (strcmp(optarg, "dot"))
				return cta_usage_error(&cta_cmd_graph,
						       "--format: '%s' is not dot or svg", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_graph, stdout);
			return CTA_EXIT_OK;
		default:
			return cta_usage_error(&cta_cmd_graph, "unknown option");
		}
	}
	if (g->json)
		return cta_usage_error(&cta_cmd_graph, "-j: graph prints DOT or SVG, not JSON");
#if !HAVE_GRAPHVIZ
	if (svg)
		return cta_usage_error(&cta_cmd_graph,
				       "--format svg: this build has no Graphviz library (libgvc); "
				       "use --format dot and 'dot -Tsvg'");
#endif
	n = (size_t)(argc - optind);
	if (!n)
		return cta_usage_error(&cta_cmd_graph, "no SESSION given");
	cta_group_defaults(&o.group);
	rc = cta_load_session_args(&cta_cmd_graph, argv + optind, &n, &s);
	if (!rc && cta_ir_build(&o, s, n, &ir)) {
		cta_msg("graph: out of memory");
		rc = CTA_EXIT_SYSTEM;
	}
	if (!rc) {
		cta_graph_dot(&ir, s, n, &dot);
		if (dot.oom) {
			cta_msg("graph: out of memory");
			rc = CTA_EXIT_SYSTEM;
		}
	}
	if (!rc && !svg)
		rc = cta_write_output(&cta_cmd_graph, out, dot.p, dot.len, 0644);
#if HAVE_GRAPHVIZ
	if (!rc && svg) {
		char *text = NULL;
		size_t len = 0;

		if (render_svg(dot.p, &text, &len)) {
			cta_msg("graph: Graphviz could not lay the graph out");
			rc = CTA_EXIT_SYSTEM;
		} else {
			rc = cta_write_output(&cta_cmd_graph, out, text, len, 0644);
		}
		gvFreeRenderData(text);
	}
#endif
	cta_ir_fini(&ir);
	cta_free_sessions(s, n);
	cta_buf_fini(&dot);
	return rc;
}
