// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"

#include "advisor/lib/buf.h"
#include "advisor/cli/cli.h"
#include "advisor/suggest/emit.h"
#include "advisor/suggest/ir.h"
#include "advisor/model/ruleset.h"
#include "advisor/model/session.h"
#include "advisor/suggest/template.h"
#include "advisor/lib/util.h"
#include "nft/sshd.h"

#define MAX_DENIED_LISTED 50

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_suggest = {
	"suggest",
	run,
	"write a ruleset that allows what the sessions observed",
	"Usage: conntrack-advise suggest [--format nft|iptables|ip6tables] [--template NAME|FILE]\n"
	"         [-o FILE] [--table NAME] [--restrict-output] [--per-process] [--allow-denied]\n"
	"         [--prefix4 LEN] [--prefix6 LEN] [--min-hosts N] [--merge4 LEN] [--merge6 LEN]\n"
	"         [--replace 'FAMILY TABLE']... [--force] SESSION...\n"
	"\n"
	"Turns the flows of one or more sessions (several days, several hosts of one role:\n"
	"they are merged) into a firewall: the template's base ruleset (default deny, loopback,\n"
	"established/related, the ICMP and ICMPv6 that must pass) plus one accept rule per\n"
	"group of observed services, each with its evidence as a comment. Output is the same\n"
	"bytes for the same sessions.\n"
	"\n"
	"  --format nft        a file 'nft -f' loads (default): table inet NAME, named sets\n"
	"  --format iptables   iptables-restore input (IPv4 flows), iptables-legacy\n"
	"  --format ip6tables  ip6tables-restore input (IPv6 flows)\n"
	"  --template NAME     server (default), workstation or router; or a FILE of your own\n"
	"                      (placeholders: " CTA_DOC_DIR "/templates.md)\n"
	"  --table NAME        the nft table to (re)create (default filter)\n"
	"  --replace 'FAMILY TABLE'\n"
	"                      also delete this live table (e.g. 'inet fw', the host's own\n"
	"                      firewall) in the same transaction: without it, the host's\n"
	"                      filter tables stay in force beside the suggestion and a packet\n"
	"                      passes only if every one lets it through (nft format only)\n"
	"  -o FILE             write FILE atomically instead of standard output\n"
	"  --restrict-output   output policy drop, observed outbound services allowed\n"
	"  --per-process       outbound rules per owning user (meta skuid / -m owner), from\n"
	"                      the processes the recording saw (implies --restrict-output)\n"
	"  --allow-denied      also allow flows that were denied while recording\n"
	"  --prefix4 LEN       fold IPv4 sources into /LEN subnets (default 24) ...\n"
	"  --prefix6 LEN       ... and IPv6 ones into /LEN (default 64) ...\n"
	"  --min-hosts N       ... when at least N distinct hosts of one were seen (default 2)\n"
	"                      and it holds no peer the same service denied\n"
	"  --merge4 LEN        adjacent IPv4 subnets merge, no wider than /LEN (default 16)\n"
	"  --merge6 LEN        adjacent IPv6 subnets merge, no wider than /LEN (default 48)\n"
	"  --force             write the ruleset even when the sessions hold no flow, or\n"
	"                      (sessions of this host) none to a port sshd listens on here\n"
	"\n"
	"Inbound flows allow their (protocol, port) from their grouped sources; forwarded\n"
	"flows (router) their source group to their destination; translated flows are matched\n"
	"as the filter hook sees them (after DNAT, with 'ct status dnat'). Denied flows are\n"
	"listed as comments, not allowed: after their chain's rules, or in the header when\n"
	"the template has no chain block for them. The header counts what the rules hold\n"
	"and what they leave out, and why (forwarded flows under the server template, the\n"
	"other family with --format iptables). Local (loopback) flows need no rule.\n"
	"Leftovers (every connection already closing when the recording began, TIME_WAIT\n"
	"and the like, with no packet since) are no evidence: counted in the header, no\n"
	"rule. Each rule's comment names the local programs of its flows where the\n"
	"recording saw them.\n"
	"With --per-process, outbound flows of different users get rules of their own,\n"
	"each matching its uid; flows whose process is unknown keep a rule without it.\n"
	"\n"
	"Exit status: 0 written; 1 not written: the sessions hold no flow, or those of this\n"
	"host none to a port sshd listens on here (--force writes it); 2 bad usage, a bad\n"
	"session or template, or the output could not be written.\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise suggest session.json > ruleset.nft && nft -c -f ruleset.nft\n"
	"  conntrack-advise suggest --template router -o gw.nft mon.json tue.json\n"
	"  conntrack-advise suggest --format iptables session.json | iptables-legacy-restore --test\n",
};

#define MAX_REPLACE 16

struct options {
	enum cta_format format;
	bool force;
	const char *template, *table, *out;
	struct cta_ir_opts ir;
	char replace[MAX_REPLACE][80]; /* "FAMILY NAME": 7 + 1 + 64 and the NUL */
	size_t n_replace;
};

static int parse_format(const char *s, enum cta_format *f)
{
	if (!strcmp(s, "nft"))
		*f = CTA_FORMAT_NFT;
	else if (!strcmp(s, "iptables"))
		*f = CTA_FORMAT_IPTABLES;
	else if (!strcmp(s, "ip6tables"))
		*f = CTA_FORMAT_IP6TABLES;
	else
		return -EINVAL;
	return 0;
}

static bool valid_table(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	/* nft's identifiers: '-' and '.' too after the first (fail2ban's "f2b-table") */
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (i && (s[i] == '-' || s[i] == '.'))))
			return false;
	return true;
}

/* --replace 'FAMILY TABLE' (or FAMILY:TABLE) into o->replace. */
static int replace_opt(struct options *o, const char *arg)
{
	char fam[8], name[65];

	if (sscanf(arg, "%7[a-z0-9] %64s", fam, name) != 2 &&
	    sscanf(arg, "%7[a-z0-9]:%64s", fam, name) != 2)
		fam[0] = '\0';
	if (!*fam || cta_nfproto_from_name(fam) < 0 || !valid_table(name))
		return cta_usage_error(&cta_cmd_suggest,
				       "--replace: '%s' is not 'FAMILY TABLE' (like 'inet fw')",
				       arg);
	if (o->n_replace == MAX_REPLACE)
		return cta_usage_error(&cta_cmd_suggest, "--replace: at most %d tables",
				       MAX_REPLACE);
	snprintf(o->replace[o->n_replace++], sizeof(o->replace[0]), "%s %s", fam, name);
	return 0;
}

static int uint_opt(const char *name, const char *arg, unsigned max, unsigned *out)
{
	uint64_t v;

	if (cta_parse_uint(arg, 0, max, &v) < 0)
		return cta_usage_error(&cta_cmd_suggest, "%s: '%s' is not a number from 0 to %u",
				       name, arg, max);
	*out = (unsigned)v;
	return 0;
}

/* The grouping options (--prefix4, --prefix6, --min-hosts, --merge4, --merge6), by getopt letter C. */
static int group_opt(int c, const char *arg, struct cta_group_opts *g)
{
	switch (c) {
	case '4':
		return uint_opt("--prefix4", arg, 32, &g->prefix4);
	case '6':
		return uint_opt("--prefix6", arg, 128, &g->prefix6);
	case 'm':
		return uint_opt("--min-hosts", arg, UINT_MAX, &g->min_hosts);
	case 'a':
		return uint_opt("--merge4", arg, 32, &g->merge4);
	default:
		return uint_opt("--merge6", arg, 128, &g->merge6);
	}
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "template", required_argument, NULL, 't' },
		{ "table", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "restrict-output", no_argument, NULL, 'R' },
		{ "allow-denied", no_argument, NULL, 'D' },
		{ "per-process", no_argument, NULL, 'P' },
		{ "prefix4", required_argument, NULL, '4' },
		{ "prefix6", required_argument, NULL, '6' },
		{ "min-hosts", required_argument, NULL, 'm' },
		{ "merge4", required_argument, NULL, 'a' },
		{ "merge6", required_argument, NULL, 'b' },
		{ "replace", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, rc = 0;

	while (!rc && (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &o->format) < 0)
				return cta_usage_error(&cta_cmd_suggest,
						       "--format: '%s' is not nft, iptables or "
						       "ip6tables",
						       optarg);
			break;
		case 't':
			o->template = optarg;
			break;
		case 'T':
			if (!valid_table(optarg))
				return cta_usage_error(
					&cta_cmd_suggest,
					"--table: '%s' is not a table name (letters, "
					"digits, _, and - or . after the first; up to 63)",
					optarg);
			o->table = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'R':
			o->ir.restrict_output = true;
			break;
		case 'D':
			o->ir.allow_denied = true;
			break;
		case 'P':
			o->ir.per_process = true;
			o->ir.restrict_output = true;
			break;
		case '4':
		case '6':
		case 'm':
		case 'a':
		case 'b':
			rc = group_opt(c, optarg, &o->ir.group);
			break;
		case 'r':
			rc = replace_opt(o, optarg);
			break;
		case 'F':
			o->force = true;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_suggest, stdout);
			return -1;
		default:
			return cta_usage_error(&cta_cmd_suggest, "unknown option");
		}
	}
	return rc;
}

static const char *const format_ext[] = { "nft", "iptables", "ip6tables" };

/* Where the named templates are: beside the sources when run from the build tree. */
static const char *template_dir(void)
{
	const char *env = getenv("CONNTRACK_ADVISE_TEMPLATES");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		size_t root = strlen(CTA_BUILD_ROOT);

		exe[n] = '\0';
		if (!strncmp(exe, CTA_BUILD_ROOT, root) && exe[root] == '/')
			return CTA_SOURCE_TEMPLATES_DIR;
	}
	return CTA_TEMPLATES_DIR;
}

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	struct cta_buf b = { 0 };
	char chunk[8192];
	size_t n;

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cta_buf_add(&b, chunk, n);
	if (ferror(f) || b.oom) {
		int e = b.oom ? -ENOMEM : -EIO;

		fclose(f);
		cta_buf_fini(&b);
		return e;
	}
	fclose(f);
	*text = b.p ? b.p : strdup("");
	*len = b.len;
	return *text ? 0 : -ENOMEM;
}

static int load_template(const struct options *o, struct cta_tmpl **t, const char **name)
{
	enum cta_tmpl_syntax syn = o->format == CTA_FORMAT_NFT ? CTA_TMPL_NFT : CTA_TMPL_IPTABLES;
	bool is_file = strchr(o->template, '/') || strchr(o->template, '.');
	char path[PATH_MAX], *text = NULL;
	struct cta_err err;
	size_t len = 0;
	int rc;

	if (is_file)
		snprintf(path, sizeof(path), "%s", o->template);
	else
		snprintf(path, sizeof(path), "%s/%s.%s", template_dir(), o->template,
			 format_ext[o->format]);
	rc = read_file(path, &text, &len);
	if (rc == -ENOENT && !is_file) {
		cta_msg("suggest: no template '%s' for --format %s (%s not found; the templates "
			"are server, workstation and router)",
			o->template, format_ext[o->format], path);
		return CTA_EXIT_USAGE;
	}
	if (rc) {
		cta_msg("suggest: %s: %s", path, strerror(-rc));
		return rc == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
	}
	rc = cta_tmpl_parse(path, text, len, syn, t, &err);
	free(text);
	if (rc) {
		cta_msg("suggest: %s", err.msg);
		return rc == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
	}
	/* the template's own name, as the ruleset's comments say it */
	*name = is_file ? (strrchr(o->template, '/') ? strrchr(o->template, '/') + 1 : o->template)
			: o->template;
	return 0;
}

/* What one file holds of the flows, and what it leaves out (the header's counts). */
struct shown {
	uint64_t allowed, denied, related, limited;
	uint64_t unplaced; /* denied, listed in the header: no block for their direction */
	uint64_t denied_open; /* denied outbound, let through by the open output policy */
	uint64_t left[CTA_IR_NDIRS]; /* no block of the template for their direction */
	uint64_t other_family; /* --format iptables: the IPv6 ones; ip6tables: IPv4 */
};

static void count_shown(const struct options *o, const struct cta_emit *e, struct shown *c)
{
	const struct cta_ir *ir = e->ir;
	uint64_t related = 0;

	memset(c, 0, sizeof(*c));
	for (int d = 0; d < CTA_IR_NDIRS; d++)
		for (int f = 0; f < 2; f++) {
			const struct cta_ir_tally *t = &ir->by[d][f];
			/* with --allow-denied, denied flows are in allowed (or outbound open) */
			uint64_t denied = o->ir.allow_denied ? 0 : t->denied;

			related += t->related;
			if (!cta_emit_family_ok(e, f ? AF_INET6 : AF_INET)) {
				c->other_family += t->allowed + t->related + denied;
			} else if (d == CTA_IR_OUT && !o->ir.restrict_output) {
				c->related += t->related;
				c->denied_open += denied;
				c->unplaced += cta_emit_has_block(e, CTA_IR_OUT) ? 0 : denied;
			} else if (cta_emit_has_block(e, (enum cta_ir_dir)d)) {
				c->allowed += t->allowed;
				c->limited += t->limited;
				c->related += t->related;
				c->denied += o->ir.allow_denied ? t->denied : denied;
			} else {
				c->left[d] += t->allowed + t->related;
				c->denied += denied;
				c->unplaced += denied;
			}
		}
	/* related flows of no direction (loopback): the template allows them */
	c->related += ir->flows_related - related;
}

/* The flows the file leaves out, by why: ",\n#   N forwarded, left out: ..." */
static void header_left_out(const struct options *o, const char *tname, const struct shown *c,
			    struct cta_buf *b)
{
	if (c->left[CTA_IR_FORWARD])
		cta_buf_printf(b,
			       ",\n#   %llu forwarded, left out: template %s has no forward rules "
			       "({{forward}}); --template router writes them",
			       (unsigned long long)c->left[CTA_IR_FORWARD], tname);
	if (c->left[CTA_IR_OUT])
		cta_buf_printf(b,
			       ",\n#   %llu outbound, left out: template %s has no output rules "
			       "({{output}})",
			       (unsigned long long)c->left[CTA_IR_OUT], tname);
	/* never the other format's name: review reads a file's family from its comments */
	if (c->other_family)
		cta_buf_printf(b, ",\n#   %llu %s, left out: this format writes %s rules only",
			       (unsigned long long)c->other_family,
			       o->format == CTA_FORMAT_IPTABLES ? "IPv6" : "IPv4",
			       o->format == CTA_FORMAT_IPTABLES ? "IPv4" : "IPv6");
	if (c->denied_open)
		cta_buf_printf(b,
			       ",\n#   %llu outbound denied while recording, yet allowed: output "
			       "stays open without --restrict-output",
			       (unsigned long long)c->denied_open);
}

/* What the recording saw that the ruleset does not carry over: helpers, protections. */
static void header_not_carried(const struct options *o, const struct cta_ir *ir, struct cta_buf *b)
{
	for (size_t i = 0; i < ir->n_helpers; i++)
		cta_buf_printf(b, ",\n#   helper %s on %s port %u (%s): %s", ir->helpers[i].name,
			       cta_emit_proto_word(ir->helpers[i].l4proto), ir->helpers[i].port,
			       ir->helpers[i].dir == CTA_IR_OUT ? "out" : "in",
			       o->format == CTA_FORMAT_NFT ? "kept, in chain helpers_in/out"
							   : "NOT carried over: iptables needs "
							     "-t raw ... -j CT --helper");
	for (size_t i = 0; i < ir->n_protections; i++)
		cta_buf_printf(b,
			       ",\n#   NOT carried over: %s, %s: %s (%llu flow%s went through it)",
			       ir->protections[i].kind, ir->protections[i].where,
			       ir->protections[i].rule,
			       (unsigned long long)ir->protections[i].flows,
			       ir->protections[i].flows == 1 ? "" : "s");
}

static void header(const struct options *o, const struct cta_emit *e, const struct cta_session *s,
		   size_t n, struct cta_buf *b)
{
	const struct cta_ir *ir = e->ir;
	struct shown c;

	count_shown(o, e, &c);
	cta_buf_printf(b,
		       "# Suggested by conntrack-advise %s from %zu session%s (template %s, "
		       "format %s).\n",
		       CTA_VERSION, n, n == 1 ? "" : "s", e->template_name, format_ext[o->format]);
	for (size_t i = 0; i < n; i++) {
		char a[40], z[40];

		cta_format_time(s[i].start_ns, a, sizeof(a));
		cta_format_time(s[i].end_ns, z, sizeof(z));
		if (s[i].n_hosts > 1) {
			/* a merged session: every host it holds, not the first alone */
			cta_buf_str(b, "# Session: merged, hosts");
			for (size_t h = 0; h < s[i].n_hosts; h++)
				cta_buf_printf(b, "%s %s", h ? "," : "", s[i].hosts[h].hostname);
			cta_buf_printf(b, ", %s to %s, %zu flow%s%s\n", a, z, s[i].n_flows,
				       s[i].n_flows == 1 ? "" : "s",
				       s[i].complete ? "" : " (incomplete)");
			continue;
		}
		cta_buf_printf(b, "# Session: host %s, %s to %s, %zu flow%s%s\n",
			       s[i].host.hostname, a, z, s[i].n_flows, s[i].n_flows == 1 ? "" : "s",
			       s[i].complete ? "" : " (incomplete)");
	}
	cta_buf_printf(b, "# Flows: %llu allowed by the rules below, %llu denied (",
		       (unsigned long long)c.allowed, (unsigned long long)c.denied);
	if (o->ir.allow_denied)
		cta_buf_str(b, "allowed too: --allow-denied)");
	else if (!c.unplaced)
		cta_buf_str(b, "listed, not allowed)");
	else if (c.unplaced == c.denied)
		cta_buf_str(b, "listed just below, not allowed)");
	else
		cta_buf_printf(b, "listed, not allowed: %llu just below, the rest in their chains)",
			       (unsigned long long)c.unplaced);
	header_left_out(o, e->template_name, &c, b);
	if (c.limited)
		cta_buf_printf(b,
			       ",\n#   %llu allowed though some of their attempts were denied "
			       "(a rate limit, a ban: see flows)",
			       (unsigned long long)c.limited);
	if (ir->flows_local)
		cta_buf_printf(b, ",\n#   %llu local (the template allows loopback)",
			       (unsigned long long)ir->flows_local);
	if (ir->flows_out_open)
		cta_buf_printf(b,
			       ",\n#   %llu outbound (output stays open without --restrict-output)",
			       (unsigned long long)ir->flows_out_open);
	if (ir->flows_unknown)
		cta_buf_printf(b, ",\n#   %llu of unknown direction (no rule)",
			       (unsigned long long)ir->flows_unknown);
	if (c.related)
		cta_buf_printf(
			b,
			",\n#   %llu related (a conntrack helper expected them: allowed by ct "
			"state related, never by their port)",
			(unsigned long long)c.related);
	if (ir->flows_leftover)
		cta_buf_printf(b,
			       ",\n#   %llu leftover (closing when the recording began, no packet "
			       "since: no rule)",
			       (unsigned long long)ir->flows_leftover);
	header_not_carried(o, ir, b);
	cta_buf_str(b, ".\n");
	if (c.unplaced) {
		cta_buf_printf(b, "# Denied while recording, not allowed, in no chain below:\n");
		cta_emit_denied_unplaced(e, b);
	}
	cta_buf_str(b, "# Each rule's comment is its evidence: connections, distinct hosts, "
		       "first..last seen (UTC).\n");
}

/* The protections the suggestion leaves out (ir.h), said once on stderr. */
static void warn_protections(const struct cta_ir *ir)
{
	char list[512] = "";
	size_t at = 0;

	for (size_t i = 0; i < ir->n_protections && at < sizeof(list); i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s (%s)",
				       i == 0			    ? ""
				       : i + 1 == ir->n_protections ? " and "
								    : ", ",
				       ir->protections[i].kind, ir->protections[i].where);
	if (ir->n_protections)
		cta_msg("suggest: warning: the recorded flows went through %s, which the "
			"suggestion does not carry over: its accept rules let those connections in "
			"without them; add them back by hand (its header names the rules)",
			list);
}

/*
 * --replace of a table whose nat chains translated recorded flows (firewalld keeps
 * its nat chains in `inet firewalld`, beside its filter chains): the suggestion writes
 * no NAT rules, so deleting it drops those translations. Said on stderr; review says
 * which flows would break.
 */
static void warn_replaced_nat(const struct options *o, const struct cta_session *s, size_t n)
{
	for (size_t r = 0; r < o->n_replace; r++) {
		size_t flows = 0;
		const char *nat = NULL;

		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < s[i].n_flows; k++) {
				const struct cta_vtally *t =
					cta_session_verdicts(&s[i], &s[i].flows[k]);
				bool counted = false;

				for (uint32_t g = 0; t && g < t->n && !counted; g++)
					for (size_t a = 0; a < t->g[g].v->n_path && !counted; a++) {
						const struct cta_vstage *st = &t->g[g].v->path[a];
						char name[80];

						snprintf(name, sizeof(name), "%s %s",
							 st->family ? st->family : "",
							 st->table ? st->table : "");
						for (size_t b = 0; b < st->n_rules && !counted; b++)
							if (st->rules[b].nat &&
							    !strcmp(name, o->replace[r])) {
								nat = st->rules[b].nat;
								counted = true;
							}
					}
				flows += counted;
			}
		if (flows)
			cta_msg("suggest: warning: --replace '%s' deletes the nat chains that "
				"translated %zu recorded flow%s (%s%s): the suggestion writes no NAT "
				"rules, so they would lose their translation; keep that table, or add "
				"its nat chains back by hand (review names the flows)",
				o->replace[r], flows, flows == 1 ? "" : "s", nat,
				flows > 1 ? ", ..." : "");
	}
}

/* --replace: the live tables deleted with the suggestion, in its transaction. */
static void emit_replace(const struct options *o, struct cta_buf *b)
{
	if (!o->n_replace)
		return;
	cta_buf_str(b, "\n# --replace: these live tables go in the same transaction as the "
		       "ruleset above\n# (nft -f applies the whole file or nothing), so it "
		       "alone filters; 'table' first\n# makes the delete safe where one is "
		       "not there.\n");
	for (size_t i = 0; i < o->n_replace; i++) {
		char own[80];

		/* the suggestion's own table is replaced by the template already */
		snprintf(own, sizeof(own), "inet %s", o->table);
		if (strcmp(o->replace[i], own))
			cta_buf_printf(b, "table %s\ndelete table %s\n", o->replace[i],
				       o->replace[i]);
	}
}

/*
 * A ruleset that would lock everyone out is not written without --force: one from
 * sessions without a flow (the template's default drop and nothing allowed), or one
 * for this host without an inbound flow to a port its sshd listens on. 0 or an exit
 * code, said.
 */
static int lockout_check(const struct cta_session *s, size_t n)
{
	char here[256] = "";
	size_t flows = 0;
	bool this_host = false;
	struct cta_sshd sshd;

	gethostname(here, sizeof(here) - 1);
	for (size_t k = 0; k < n; k++) {
		flows += s[k].n_flows;
		this_host |= !strcmp(s[k].host.hostname, here);
	}
	if (!flows) {
		cta_msg("suggest: the session%s hold%s no flow: the ruleset would allow no service "
			"at all (default drop); record while the host is in use, or give --force "
			"to write it anyway",
			n == 1 ? "" : "s", n == 1 ? "s" : "");
		return CTA_EXIT_NEGATIVE;
	}
	if (!this_host || cta_sshd_find(&sshd)) {
		if (this_host)
			cta_sshd_fini(&sshd);
		return 0;
	}
	for (size_t p = 0; p < sshd.n_ports; p++) {
		bool seen = false;

		for (size_t k = 0; k < n && !seen; k++)
			for (size_t i = 0; i < s[k].n_flows && !seen; i++) {
				const struct cta_flow *f = &s[k].flows[i];

				/* a leftover makes no rule: it does not keep SSH open */
				seen = f->direction == CTA_DIR_IN &&
				       f->key.l4proto == IPPROTO_TCP &&
				       f->key.reply_sport == sshd.ports[p] &&
				       !cta_flow_leftover(f, cta_session_verdicts(&s[k], f));
			}
		if (!seen) {
			cta_msg("suggest: sshd listens on port %u here, and the recording of this "
				"host has no flow to it: the ruleset would drop SSH to this host; "
				"record while SSH is used, or give --force to write it anyway",
				(unsigned)sshd.ports[p]);
			cta_sshd_fini(&sshd);
			return CTA_EXIT_NEGATIVE;
		}
	}
	cta_sshd_fini(&sshd);
	return 0;
}

/* What the template leaves out, said once on stderr. */
static void warn_missing(const char *tname, const struct cta_tmpl *t, const struct cta_ir *ir)
{
	size_t fwd = cta_ir_count(ir, CTA_IR_FORWARD, 0), out = cta_ir_count(ir, CTA_IR_OUT, 0);

	if (fwd && !cta_tmpl_has(t, CTA_PH_FORWARD))
		cta_msg("suggest: warning: template %s has no {{forward}}: %zu rule%s for forwarded "
			"flows left out (--template router allows them)",
			tname, fwd, fwd == 1 ? "" : "s");
	if (ir->n_helpers && !cta_tmpl_has(t, CTA_PH_SETS) && cta_tmpl_has(t, CTA_PH_INPUT))
		cta_msg("suggest: warning: template %s has no {{sets}}: the conntrack helpers seen "
			"(%s...) are not assigned, so their related connections will be dropped",
			tname, ir->helpers[0].name);
	if (out && !cta_tmpl_has(t, CTA_PH_OUTPUT))
		cta_msg("suggest: warning: template %s has no {{output}}: %zu rule%s for outbound "
			"flows left out",
			tname, out, out == 1 ? "" : "s");
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	struct options o = { .format = CTA_FORMAT_NFT, .template = "server", .table = "filter" };
	struct cta_session *s = NULL;
	struct cta_tmpl *t = NULL;
	struct cta_buf text = { 0 }, head = { 0 };
	struct cta_ir ir = { 0 };
	const char *tname = NULL;
	size_t n;
	int rc;

	cta_group_defaults(&o.ir.group);
	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? CTA_EXIT_OK : rc;
	if (g->json)
		return cta_usage_error(&cta_cmd_suggest, "-j: suggest prints a ruleset, not JSON");
	n = (size_t)(argc - optind);
	if (!n)
		return cta_usage_error(&cta_cmd_suggest, "no SESSION given");
	if (o.n_replace && o.format != CTA_FORMAT_NFT)
		return cta_usage_error(&cta_cmd_suggest, "--replace goes with --format nft");
	if (!o.ir.group.min_hosts)
		o.ir.group.min_hosts = 1;
	rc = load_template(&o, &t, &tname);
	if (rc)
		return rc;
	rc = cta_load_session_args(&cta_cmd_suggest, argv + optind, &n, &s);
	if (!rc && !o.force)
		rc = lockout_check(s, n);
	if (!rc && cta_ir_build(&o.ir, s, n, &ir)) {
		cta_msg("suggest: out of memory");
		rc = CTA_EXIT_SYSTEM;
	}
	if (!rc) {
		struct cta_emit e = {
			.ir = &ir,
			.tmpl = t,
			.format = o.format,
			.template_name = tname,
			.table = o.table,
			.restrict_output = o.ir.restrict_output,
			.max_denied = MAX_DENIED_LISTED,
		};

		header(&o, &e, s, n, &head);
		e.header = head.p;
		cta_emit(&e, &text);
		emit_replace(&o, &text);
		warn_replaced_nat(&o, s, n);
		warn_missing(tname, t, &ir);
		warn_protections(&ir);
		if (text.oom || head.oom) {
			cta_msg("suggest: out of memory");
			rc = CTA_EXIT_SYSTEM;
		} else {
			rc = cta_write_output(&cta_cmd_suggest, o.out, text.p, text.len, 0644);
		}
	}
	cta_ir_fini(&ir);
	cta_free_sessions(s, n);
	cta_buf_fini(&text);
	cta_buf_fini(&head);
	cta_tmpl_free(t);
	return rc;
}
