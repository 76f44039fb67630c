// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/cli/cli.h"
#include "advisor/model/flowtab.h"
#include "advisor/record/procs.h"
#include "advisor/model/session.h"
#include "advisor/lib/util.h"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_flows = {
	"flows",
	run,
	"list the flows of one or more session files",
	"Usage: conntrack-advise [-j] flows SESSION...\n"
	"\n"
	"Lists the flows recorded in the sessions (merged where several sessions of one host\n"
	"saw the same flow), sorted by protocol, source, destination, source port and\n"
	"destination port, one per line in a form close to 'conntrack -L -o extended':\n"
	"\n"
	"  FAMILY NUM PROTO NUM DIRECTION src= dst= sport= dport= packets= bytes=\n"
	"      src= dst= sport= dport= packets= bytes= [STATE] conns= first= last=\n"
	"      [process=NAME[PID] user=|uid=] [verdict= by=FAMILY/TABLE/CHAIN/HANDLE|policy]\n"
	"      [host=]\n"
	"\n"
	"The second src=/dst= group is the reply direction: where it is not the mirror of\n"
	"the first, the flow was translated (NAT). A source port range (40000-40999) means\n"
	"several connections from different ports. verdict= is what decided the flow's\n"
	"first packet (traced while recording; 'blame' tells the whole path); by=unknown:\n"
	"denied, seen by NFLOG, no trace names the rule. With sessions of several hosts (or a\n"
	"merged session), each host's flows are listed apart and end in host=NAME.\n"
	"process= is the program on this host's end of the flow (the client of an outbound\n"
	"flow, the listening program of an inbound one), where the recording saw it (eBPF);\n"
	"forwarded flows have none: process=-forwarded-. Without eBPF, uid= alone is the\n"
	"owner NFLOG gave for an outbound flow.\n"
	"SESSION '-' reads standard input.\n"
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

/*
 * verdict=V by=FAMILY/TABLE/CHAIN/HANDLE (or /policy, or none-would-drop: accepted and
 * no chain on its path would drop it); nothing when none was seen
 */
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
	else if (!strcmp(type, "open"))
		printf(" by=none-would-drop");
	else if (!strcmp(str(v, "source"), "nflog"))
		printf(" by=unknown");
}

/* process=NAME[PID] user=NAME (or uid=N); forwarded flows have none, and say so */
static void print_process(json_t *p, const struct cta_flow *flow)
{
	char name[16];

	if (flow->direction == CTA_DIR_FORWARD) {
		fputs(" process=-forwarded-", stdout);
		return;
	}
	if (!p)
		return;
	if (json_object_get(p, "comm"))
		printf(" process=%s[%lld]", cta_program_name(p, name, sizeof(name)), num(p, "pid"));
	if (json_object_get(p, "user"))
		printf(" user=%s", str(p, "user"));
	else if (json_object_get(p, "uid"))
		printf(" uid=%lld", num(p, "uid"));
}

/* One flow, from its JSON form: the same model as -j prints. */
static void print_flow(json_t *f, const struct cta_flow *flow)
{
	json_t *orig = json_object_get(f, "orig"), *reply = json_object_get(f, "reply");
	json_t *pk = json_object_get(f, "packets"), *by = json_object_get(f, "bytes");
	const char *state = str(f, "state");
	bool ports = cta_proto_has_ports(flow->key.l4proto);
	bool icmp = cta_proto_is_icmp(flow->key.l4proto);

	printf("%-8s %u %-8s %u %-7s src=%s dst=%s", str(f, "family"), (unsigned)flow->key.family,
	       str(f, "protocol"), (unsigned)flow->key.l4proto, str(f, "direction"),
	       str(orig, "src"), str(orig, "dst"));
	if (ports) {
		print_range("sport", orig, "sport_min", "sport_max");
		printf(" dport=%lld", num(orig, "dport"));
	} else if (icmp) {
		printf(" type=%lld code=%lld", num(orig, "type"), num(orig, "code"));
		if (json_object_get(orig, "id_min")) /* only echo and its kin have one */
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
	print_process(json_object_get(f, "process"), flow);
	print_verdict(json_object_get(f, "verdict"));
	if (json_object_get(f, "host"))
		printf(" host=%s", str(f, "host"));
	putchar('\n');
}

/* The flows of one host: flows two hosts saw stay two flows. */
struct host_flows {
	char name[256];
	struct cta_flowtab *ft;
};

struct hosts {
	struct host_flows *h;
	size_t n;
};

static void hosts_free(struct hosts *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		cta_flowtab_free(hs->h[i].ft);
	free(hs->h);
}

static struct cta_flowtab *host_table(struct hosts *hs, const char *name)
{
	struct host_flows *h;

	for (size_t i = 0; i < hs->n; i++)
		if (!strcmp(hs->h[i].name, name))
			return hs->h[i].ft;
	h = realloc(hs->h, (hs->n + 1) * sizeof(*h));
	if (!h)
		return NULL;
	hs->h = h;
	h = &hs->h[hs->n];
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->ft = cta_flowtab_new();
	if (!h->ft)
		return NULL;
	hs->n++;
	return h->ft;
}

static int cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct host_flows *)a)->name, ((const struct host_flows *)b)->name);
}

static int load_all(int n, char **paths, struct hosts *hs, const struct cta_global *g)
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
		for (size_t j = 0; j < s.n_flows && !rc; j++) {
			const struct cta_flow *f = &s.flows[j];
			/* a merged session says which of its hosts saw the flow */
			const char *host = s.n_hosts && f->host < s.n_hosts
						   ? s.hosts[f->host].hostname
						   : s.host.hostname;
			struct cta_flowtab *ft = host_table(hs, host);

			rc = ft ? cta_flowtab_merge(ft, f, cta_session_verdict(&s, f),
						    cta_session_process(&s, f))
				: -ENOMEM;
		}
		cta_session_fini(&s);
		if (rc) {
			cta_msg("out of memory");
			return CTA_EXIT_SYSTEM;
		}
	}
	if (hs->n > 1)
		qsort(hs->h, hs->n, sizeof(*hs->h), cmp_host);
	return CTA_EXIT_OK;
}

/* One host's flows: printed, or added to arr (-j). host: said when there are several. */
static int list_host(struct cta_flowtab *ft, const char *host, json_t *arr)
{
	_cleanup_(freep) struct cta_flow *flows = NULL;
	size_t n = 0;

	flows = cta_flowtab_sorted(ft, &n);
	if (!flows)
		return CTA_EXIT_SYSTEM;
	for (size_t i = 0; i < n; i++) {
		json_t *f = cta_flow_to_json(&flows[i], cta_flowtab_verdict(ft, &flows[i]),
					     cta_flowtab_process(ft, &flows[i]));

		if (!f)
			return CTA_EXIT_SYSTEM;
		if (host)
			json_object_set_new(f, "host", json_string(host));
		if (arr) {
			json_array_append_new(arr, f);
			continue;
		}
		print_flow(f, &flows[i]);
		json_decref(f);
	}
	return CTA_EXIT_OK;
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct hosts hs = { 0 };
	json_t *arr = NULL;
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
	rc = load_all(argc - optind, argv + optind, &hs, g);
	if (!rc && g->json && !(arr = json_array()))
		rc = CTA_EXIT_SYSTEM;
	for (size_t i = 0; i < hs.n && !rc; i++)
		rc = list_host(hs.h[i].ft, hs.n > 1 ? hs.h[i].name : NULL, arr);
	hosts_free(&hs);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	if (arr)
		return cta_print_json(json_pack("{s:o}", "flows", arr));
	if (fflush(stdout) != 0)
		return CTA_EXIT_SYSTEM;
	return CTA_EXIT_OK;
}
