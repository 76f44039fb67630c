// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowtab.h"
#include "session.h"
#include "util.h"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_flows = {
	"flows",
	run,
	"list the flows of one or more session files",
	"Usage: conntrack-advise [-j] flows SESSION...\n"
	"\n"
	"Lists the flows recorded in the sessions (merged where several sessions saw the\n"
	"same flow), sorted by protocol, source, destination, source port and destination\n"
	"port, one per line in a form close to 'conntrack -L -o extended':\n"
	"\n"
	"  FAMILY NUM PROTO NUM DIRECTION src= dst= sport= dport= packets= bytes=\n"
	"      src= dst= sport= dport= packets= bytes= [STATE] conns= first= last=\n"
	"      [verdict= by=FAMILY/TABLE/CHAIN/HANDLE|policy]\n"
	"\n"
	"The second src=/dst= group is the reply direction: where it is not the mirror of\n"
	"the first, the flow was translated (NAT). A source port range (40000-40999) means\n"
	"several connections from different ports. verdict= is what decided the flow's\n"
	"first packet (traced while recording; 'blame' tells the whole path); by=unknown:\n"
	"denied, seen by NFLOG, no trace names the rule. SESSION '-' reads standard input.\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise flows session.json\n"
	"  conntrack-advise flows monday.json tuesday.json | grep 'dport=22 '\n"
	"  conntrack-advise -j flows session.json | jq '.flows[] | select(.direction==\"in\")'\n",
};

static void print_range(const char *name, json_t *o, const char *lo, const char *hi)
{
	json_int_t a = json_integer_value(json_object_get(o, lo));
	json_int_t b = json_integer_value(json_object_get(o, hi));

	if (a == b)
		printf(" %s=%lld", name, (long long)a);
	else
		printf(" %s=%lld-%lld", name, (long long)a, (long long)b);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* verdict=V by=FAMILY/TABLE/CHAIN/HANDLE (or /policy); nothing when none was seen */
static void print_verdict(json_t *v)
{
	const char *type = str(v, "type");

	if (!v)
		return;
	printf(" verdict=%s", str(v, "verdict"));
	if (!strcmp(type, "rule"))
		printf(" by=%s/%s/%s/%lld", str(v, "family"), str(v, "table"), str(v, "chain"),
		       num(v, "handle"));
	else if (!strcmp(type, "policy"))
		printf(" by=%s/%s/%s/policy", str(v, "family"), str(v, "table"), str(v, "chain"));
	else if (!strcmp(str(v, "source"), "nflog"))
		printf(" by=unknown");
}

/* One flow, from its JSON form: the same model as -j prints. */
static void print_flow(json_t *f, const struct cta_flow *flow)
{
	json_t *orig = json_object_get(f, "orig"), *reply = json_object_get(f, "reply");
	json_t *pk = json_object_get(f, "packets"), *by = json_object_get(f, "bytes");
	const char *state = str(f, "state");
	bool ports = cta_proto_has_ports(flow->key.l4proto);
	bool icmp = cta_proto_is_icmp(flow->key.l4proto);

	printf("%-8s %u %-8s %u %-7s src=%s dst=%s", str(f, "family"),
	       (unsigned)flow->key.family, str(f, "protocol"), (unsigned)flow->key.l4proto,
	       str(f, "direction"), str(orig, "src"), str(orig, "dst"));
	if (ports) {
		print_range("sport", orig, "sport_min", "sport_max");
		printf(" dport=%lld", num(orig, "dport"));
	} else if (icmp) {
		printf(" type=%lld code=%lld", num(orig, "type"), num(orig, "code"));
		print_range("id", orig, "id_min", "id_max");
	}
	printf(" packets=%lld bytes=%lld", num(pk, "orig"), num(by, "orig"));
	if (reply) {
		printf(" src=%s dst=%s", str(reply, "src"), str(reply, "dst"));
		if (ports) {
			printf(" sport=%lld", num(reply, "sport"));
			print_range("dport", reply, "dport_min", "dport_max");
		}
	} else {
		printf(" src=%s dst=%s", str(orig, "dst"), str(orig, "src"));
		if (ports) {
			printf(" sport=%lld", num(orig, "dport"));
			print_range("dport", orig, "sport_min", "sport_max");
		}
	}
	printf(" packets=%lld bytes=%lld", num(pk, "reply"), num(by, "reply"));
	if (!strcmp(state, "assured"))
		fputs(" [ASSURED]", stdout);
	else if (!strcmp(state, "unreplied"))
		fputs(" [UNREPLIED]", stdout);
	printf(" conns=%lld first=%s last=%s", num(f, "connections"), str(f, "first_seen"),
	       str(f, "last_seen"));
	print_verdict(json_object_get(f, "verdict"));
	putchar('\n');
}

static int load_all(int n, char **paths, struct cta_flowtab *ft, const struct cta_global *g)
{
	for (int i = 0; i < n; i++) {
		struct cta_session s;
		struct cta_err err;
		int rc = cta_session_load(paths[i], &s, &err);

		if (rc) {
			cta_msg("%s", err.msg);
			return rc == -EBADMSG || rc == -ENOENT || rc == -EISDIR || rc == -EACCES
				       ? CTA_EXIT_USAGE
				       : CTA_EXIT_SYSTEM;
		}
		if (!s.complete && !g->quiet)
			cta_msg("note: %s is a checkpoint of a recording that did not finish "
				"(flows up to its \"end\" time)",
				paths[i]);
		for (size_t j = 0; j < s.n_flows && !rc; j++)
			rc = cta_flowtab_merge(ft, &s.flows[j], cta_session_verdict(&s, &s.flows[j]));
		cta_session_fini(&s);
		if (rc) {
			cta_msg("out of memory");
			return CTA_EXIT_SYSTEM;
		}
	}
	return CTA_EXIT_OK;
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(cta_flowtab_freep) struct cta_flowtab *ft = NULL;
	_cleanup_(freep) struct cta_flow *flows = NULL;
	json_t *arr = NULL;
	size_t n = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			cta_print_usage(&cta_cmd_flows, stdout);
			return CTA_EXIT_OK;
		}
		return cta_usage_error(&cta_cmd_flows, "bad option");
	}
	if (optind >= argc)
		return cta_usage_error(&cta_cmd_flows, "needs at least one SESSION file");
	ft = cta_flowtab_new();
	if (!ft)
		return CTA_EXIT_SYSTEM;
	rc = load_all(argc - optind, argv + optind, ft, g);
	if (rc)
		return rc;
	flows = cta_flowtab_sorted(ft, &n);
	if (!flows)
		return CTA_EXIT_SYSTEM;
	if (g->json && !(arr = json_array()))
		return CTA_EXIT_SYSTEM;
	for (size_t i = 0; i < n; i++) {
		json_t *f = cta_flow_to_json(&flows[i], cta_flowtab_verdict(ft, &flows[i]));

		if (!f) {
			json_decref(arr);
			return CTA_EXIT_SYSTEM;
		}
		if (arr) {
			json_array_append_new(arr, f);
			continue;
		}
		print_flow(f, &flows[i]);
		json_decref(f);
	}
	if (arr)
		return cta_print_json(json_pack("{s:o}", "flows", arr));
	if (fflush(stdout) != 0)
		return CTA_EXIT_SYSTEM;
	return CTA_EXIT_OK;
}
