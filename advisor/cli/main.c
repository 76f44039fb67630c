// SPDX-License-Identifier: GPL-2.0-or-later
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "advisor/cli/cli.h"
#include "config.h"
#include "advisor/lib/util.h"

static int cmd_version(int argc, char **argv, const struct cta_global *g);
static int cmd_help(int argc, char **argv, const struct cta_global *g);

static const struct cta_cmd cta_cmd_version = {
	"version",
	cmd_version,
	"print the version",
	"Usage: conntrack-advise [-j] version\n",
};
static const struct cta_cmd cta_cmd_help = {
	"help",
	cmd_help,
	"show help for a command",
	"Usage: conntrack-advise help [COMMAND]\n",
};

static const struct cta_cmd *const cmds[] = {
	&cta_cmd_record, &cta_cmd_flows, &cta_cmd_blame, &cta_cmd_suggest, &cta_cmd_review,
	&cta_cmd_apply,	 &cta_cmd_graph, &cta_cmd_merge, &cta_cmd_version, &cta_cmd_help,
};

void cta_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("conntrack-advise: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cta_usage_error(const struct cta_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "conntrack-advise: %s%s", cmd ? cmd->name : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'conntrack-advise %s%s--help'.\n", cmd ? cmd->name : "",
		cmd ? " " : "");
	return CTA_EXIT_USAGE;
}

void cta_print_usage(const struct cta_cmd *cmd, FILE *out)
{
	fputs(cmd->usage, out);
}

int cta_print_json(json_t *doc)
{
	int err;

	if (!doc)
		return CTA_EXIT_SYSTEM;
	json_object_set_new(doc, "version", json_integer(CTA_JSON_VERSION));
	err = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	fputc('\n', stdout);
	return err ? CTA_EXIT_SYSTEM : CTA_EXIT_OK;
}

static void main_usage(FILE *out)
{
	fputs("Usage: conntrack-advise [-j|--json] [-v] [-q] COMMAND [ARGS]\n"
	      "\n"
	      "An nftables-native firewall rule advisor: records what really crosses this\n"
	      "host, lists it, names the rule that accepted or dropped each flow, and\n"
	      "writes the ruleset (nft or iptables) that allows what was observed.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(out, "  %-9s %s\n", cmds[i]->name, cmds[i]->summary);
	fputs("\n"
	      "Options:\n"
	      "  -j, --json     one JSON document on stdout (schemas in " CTA_DOC_DIR "/schema)\n"
	      "  -v, --verbose  more on stderr: record's table, ruleset snapshots, turns\n"
	      "                 of its counting sets, conntrack dumps and message counts;\n"
	      "                 blame's trace messages\n"
	      "  -q, --quiet    no progress or summaries on stderr\n"
	      "  -h, --help     this text; 'conntrack-advise help COMMAND' for one command\n"
	      "-j, -q and -v may also follow the command ('flows -j s.json').\n"
	      "\n"
	      "Exit status: 0 success, 1 a negative answer, 2 bad usage or input,\n"
	      "3 the system refused (no CAP_NET_ADMIN, a kernel feature missing).\n",
	      out);
}

static const struct cta_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

/* Is argv the command word and --help or -h alone? */
static bool asks_help(int argc, char **argv)
{
	return argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
}

static int cmd_version(int argc, char **argv, const struct cta_global *g)
{
	if (asks_help(argc, argv)) {
		cta_print_usage(&cta_cmd_version, stdout);
		return CTA_EXIT_OK;
	}
	if (argc > 1)
		return cta_usage_error(&cta_cmd_version, "takes no arguments");
	/* what this build has: libnftables always; eBPF and Graphviz when built with them */
	if (g->json)
		return cta_print_json(json_pack("{s:s,s:s,s:{s:b,s:b,s:b}}", "name",
						"conntrack-advise", "release", CTA_VERSION,
						"features", "libnftables", 1, "bpf", HAVE_BPF,
						"graphviz", HAVE_GRAPHVIZ));
	printf("conntrack-advise %s +libnftables %cbpf %cgraphviz\n", CTA_VERSION,
	       HAVE_BPF ? '+' : '-', HAVE_GRAPHVIZ ? '+' : '-');
	return CTA_EXIT_OK;
}

static int cmd_help(int argc, char **argv, const struct cta_global *g)
{
	const struct cta_cmd *cmd;

	(void)g;
	if (asks_help(argc, argv)) {
		cta_print_usage(&cta_cmd_help, stdout);
		return CTA_EXIT_OK;
	}
	if (argc < 2) {
		main_usage(stdout);
		return CTA_EXIT_OK;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return cta_usage_error(NULL, "unknown command '%s'", argv[1]);
	cta_print_usage(cmd, stdout);
	return CTA_EXIT_OK;
}

/* Is arg one of the global options (-j, -q, -v, bundled like -jv, or their long forms)? */
static bool global_opt(const char *arg, struct cta_global *g)
{
	if (!strcmp(arg, "--json") || !strcmp(arg, "--quiet") || !strcmp(arg, "--verbose"))
		return global_opt(arg[2] == 'j' ? "-j" : arg[2] == 'q' ? "-q" : "-v", g);
	if (arg[0] != '-' || !arg[1] || arg[strspn(arg + 1, "jqv") + 1])
		return false;
	for (const char *c = arg + 1; *c; c++) {
		if (*c == 'j')
			g->json = true;
		else if (*c == 'q')
			g->quiet = true;
		else
			g->verbose++;
	}
	return true;
}

/*
 * Global options after the command word too (git and ip users write 'flows -j'): they
 * are taken out of the command's arguments, up to a "--". No command has options of
 * its own by those letters.
 */
static int take_global_opts(int argc, char **argv, struct cta_global *g)
{
	int n = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!global_opt(argv[i], g))
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },    { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },   { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, {},
	};
	struct cta_global g = { 0 };
	const struct cta_cmd *cmd;
	int c;

	/* '+': stop at the command word; each command parses its own options */
	while ((c = getopt_long(argc, argv, "+jvqh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			g.json = true;
			break;
		case 'v':
			g.verbose++;
			break;
		case 'q':
			g.quiet = true;
			break;
		case 'h':
			main_usage(stdout);
			return cta_stdout_finish(CTA_EXIT_OK);
		case 'V':
			return cta_stdout_finish(cmd_version(1, argv, &g));
		default:
			fputs("Try 'conntrack-advise --help'.\n", stderr);
			return CTA_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		main_usage(stderr);
		return CTA_EXIT_USAGE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return cta_usage_error(NULL, "unknown command '%s'", argv[optind]);
	argc -= optind;
	argv += optind;
	argc = take_global_opts(argc, argv, &g);
	optind = 0; /* reset getopt for the command's own options */
	return cta_stdout_finish(cmd->run(argc, argv, &g));
}
