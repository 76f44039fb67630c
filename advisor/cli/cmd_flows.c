// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/cli/cli.h"
#include "advisor/cli/flowjson.h"
#include "advisor/cli/flowview.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/session.h"
#include "advisor/lib/util.h"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_flows = {
	"flows",
	run,
	"list the flows of one or more session files",
	"Usage: conntrack-advise [-j] flows [-o extended] SESSION...\n"
	"\n"
	"Lists the flows recorded in the sessions (merged where several sessions of one host\n"
	"saw the same flow), sorted by protocol, source, destination, source port and\n"
	"destination port: one short line per flow in aligned columns, counts in human\n"
	"units (1.2k, 3.4 MiB; -j gives them exact):\n"
	"\n"
	"  PROTO DIR SOURCE DESTINATION CONNS PACKETS →/← BYTES →/← VERDICTS PROCESS\n"
	"\n"
	"→/← are the original and the reply direction; DESTINATION is ADDR:PORT (ICMP: its\n"
	"type), '(to ADDR:PORT)' where a DNAT sent it elsewhere; VERDICTS counts connections\n"
	"by what decided their first packet ('accept 3, reject 2'), and 'leftover N' those\n"
	"already closing when the recording began with no packet since (no evidence:\n"
	"suggest and review leave them out); PROCESS is the program on\n"
	"this host's end (eBPF), 'uid N' where NFLOG gave only the owner, -forwarded-. With\n"
	"sessions of several hosts (or a merged session) a HOST column comes first.\n"
	"A SESSION may be a directory (its *.json: a recording service's rotated files) or a\n"
	"quoted glob; '-' reads standard input.\n"
	"\n"
	"  -o extended   the long line, close to 'conntrack -L -o extended', exact counts:\n"
	"      FAMILY NUM PROTO NUM DIRECTION src= dst= sport= dport= packets= bytes=\n"
	"      src= dst= sport= dport= packets= bytes= [STATE] conns= [leftover=] first= last=\n"
	"      [process=NAME[PID] user=|uid=] [verdict= by=FAMILY/TABLE/CHAIN/HANDLE|policy\n"
	"      [verdict_conns=N]]... [helper=] [related=PROTO/SRC->DST:PORT] [host=]\n"
	"    The second src=/dst= group is the reply direction (NAT where it is not the\n"
	"    mirror); a source port range means several connections; by=none-would-drop:\n"
	"    accepted, and no chain on its path would drop it; by=unknown: denied, seen by\n"
	"    NFLOG, no trace names the rule; helper= is the conntrack helper of its\n"
	"    connections; related= marks a connection a helper expected, and names its\n"
	"    master.\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise flows session.json\n"
	"  conntrack-advise flows /var/lib/conntrack-advise/\n"
	"  conntrack-advise flows -o extended monday.json tuesday.json | grep 'dport=22 '\n"
	"  conntrack-advise -j flows session.json | jq '.flows[] | select(.direction==\"in\")'\n",
};

static void print_range(const char *name, uint16_t a, uint16_t b)
{
	if (a == b)
		printf(" %s=%u", name, a);
	else
		printf(" %s=%u-%u", name, a, b);
}

/*
 * verdict=V by=FAMILY/TABLE/CHAIN/HANDLE (or /policy, or none-would-drop: accepted and
 * no chain on its path would drop it); nothing when none was seen
 */
static void print_verdict(const struct cta_verdict *v)
{
	printf(" verdict=%s", cta_verdict_name(v->verdict));
	if (v->type == CTA_VTYPE_RULE)
		printf(" by=%s/%s/%s/%llu", cta_vfamily_shown(v->family, v->legacy), v->table,
		       v->chain, (unsigned long long)v->handle);
	else if (v->type == CTA_VTYPE_POLICY)
		printf(" by=%s/%s/%s/policy", cta_vfamily_shown(v->family, v->legacy), v->table,
		       v->chain);
	else if (v->type == CTA_VTYPE_OPEN)
		printf(" by=none-would-drop");
	else if (v->source == CTA_VSOURCE_NFLOG || v->source == CTA_VSOURCE_KERNEL)
		printf(" by=unknown");
}

/* each verdict, most connections first; several: each with verdict_conns=N */
static void print_verdicts(const struct cta_vtally *t)
{
	struct cta_vtally sorted = t ? *t : (struct cta_vtally){ 0 };
	_cleanup_(freep) struct cta_vcount *g = calloc(sorted.n + 1, sizeof(*g));

	if (!g || !sorted.n)
		return;
	memcpy(g, t->g, t->n * sizeof(*g));
	sorted.g = g;
	cta_vtally_sort(&sorted);
	for (uint32_t i = 0; i < sorted.n; i++) {
		print_verdict(g[i].v);
		if (sorted.n > 1)
			printf(" verdict_conns=%llu", (unsigned long long)g[i].n);
	}
}

/* process=NAME[PID] user=NAME (or uid=N); forwarded flows have none, and say so */
static void print_process(const struct cta_process *p, const struct cta_flow *flow)
{
	char name[16];

	if (flow->direction == CTA_DIR_FORWARD) {
		fputs(" process=-forwarded-", stdout);
		return;
	}
	if (!p)
		return;
	if (p->comm)
		printf(" process=%s[%u]", cta_process_program(p, name, sizeof(name)), p->pid);
	if (p->user)
		printf(" user=%s", p->user);
	else if (p->has_uid)
		printf(" uid=%u", p->uid);
}

/* helper=ftp (as conntrack -L says it); related=tcp/198.51.100.7->192.0.2.10:21 */
static void print_helper(const struct cta_flow *f)
{
	char m[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *proto = cta_proto_name(f->master.l4proto);

	if (f->helper[0])
		printf(" helper=%s", f->helper);
	if (!f->related)
		return;
	if (!f->master.l4proto) {
		fputs(" related=?", stdout);
		return;
	}
	printf(f->key.family == AF_INET6 ? " related=%s/%s->[%s]" : " related=%s/%s->%s",
	       proto ? proto : "?", cta_addr_str(f->key.family, &f->master.src, m, sizeof(m)),
	       cta_addr_str(f->key.family, &f->master.dst, d, sizeof(d)));
	if (cta_proto_has_ports(f->master.l4proto))
		printf(":%u", f->master.dport);
}

static const char *addr(uint8_t family, const union cta_addr *a, char *buf)
{
	return cta_addr_str(family, a, buf, INET6_ADDRSTRLEN);
}

static void print_time(const char *name, uint64_t ns)
{
	char t[40] = "-";

	if (ns)
		cta_format_time(ns, t, sizeof(t));
	printf(" %s=%s", name, t);
}

/*
 * Where a DNAT its trace saw sent a flow that has no reply tuple of its own (denied
 * after the DNAT: conntrack never confirmed it): "ADDR:PORT", "[ADDR6]:PORT" or
 * "ADDR" (trace.c's endpoint text) into *a and *port (unchanged without one). false
 * when there is none or it does not parse.
 */
static bool traced_dnat(const struct cta_flow *f, const struct cta_vtally *t, union cta_addr *a,
			uint16_t *port)
{
	const char *to = cta_verdict_dnat_to(cta_vtally_main(t)), *colon;
	char buf[INET6_ADDRSTRLEN + 8];
	uint64_t p;
	uint8_t fam;

	if (!to || f->reached != CTA_REACHED_UNREPLIED ||
	    memcmp(&f->key.reply_src, &f->key.dst, sizeof(f->key.dst)) ||
	    snprintf(buf, sizeof(buf), "%s", to) >= (int)sizeof(buf))
		return false;
	colon = buf[0] == '['				? strstr(buf, "]:")
		: strchr(buf, ':') == strrchr(buf, ':') ? strchr(buf, ':')
							: NULL;
	if (colon) {
		if (cta_parse_uint(colon + (buf[0] == '[' ? 2 : 1), 0, 65535, &p))
			return false;
		buf[colon - buf] = '\0';
	}
	if (cta_addr_parse(buf[0] == '[' ? buf + 1 : buf, &fam, a) || fam != f->key.family)
		return false;
	if (colon)
		*port = (uint16_t)p;
	return true;
}

/*
 * The reply direction: who answered (after DNAT), where answers went (after SNAT); for
 * a flow denied after a DNAT, whom the DNAT sent it to (traced_dnat).
 */
static void print_reply(const struct cta_flow *f, const struct cta_vtally *t, bool ports)
{
	const struct cta_flow_key *k = &f->key;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	union cta_addr src = k->reply_src;
	uint16_t sport = k->reply_sport;

	traced_dnat(f, t, &src, &sport);
	printf(" src=%s dst=%s", addr(k->family, &src, a), addr(k->family, &k->reply_dst, b));
	if (ports) {
		printf(" sport=%u", sport);
		print_range("dport", f->rdport_min, f->rdport_max);
	}
}

/* One flow, as conntrack -L would, from the same values -j prints. */
static void print_flow(const struct cta_flow *f, const struct cta_vtally *t,
		       const struct cta_process *p, const char *host)
{
	const struct cta_flow_key *k = &f->key;
	bool ports = cta_proto_has_ports(k->l4proto), icmp = cta_proto_is_icmp(k->l4proto);
	const char *proto = cta_proto_name(k->l4proto);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], num[8];

	if (!proto) {
		snprintf(num, sizeof(num), "%u", k->l4proto);
		proto = num;
	}
	printf("%-8s %u %-8s %u %-7s src=%s dst=%s", k->family == AF_INET ? "ipv4" : "ipv6",
	       k->family, proto, k->l4proto, cta_direction_name(f->direction),
	       addr(k->family, &k->src, a), addr(k->family, &k->dst, b));
	if (ports) {
		print_range("sport", f->sport_min, f->sport_max);
		printf(" dport=%u", k->dport);
	} else if (icmp) {
		printf(" type=%u code=%u", k->icmp_type, k->icmp_code);
		if (cta_icmp_has_id(k->l4proto, k->icmp_type)) /* echo and its kin only */
			print_range("id", f->sport_min, f->sport_max);
	}
	printf(" packets=%llu bytes=%llu", (unsigned long long)f->packets[0],
	       (unsigned long long)f->bytes[0]);
	print_reply(f, t, ports);
	printf(" packets=%llu bytes=%llu", (unsigned long long)f->packets[1],
	       (unsigned long long)f->bytes[1]);
	if (f->reached == CTA_REACHED_ASSURED)
		fputs(" [ASSURED]", stdout);
	else if (f->reached == CTA_REACHED_UNREPLIED)
		fputs(" [UNREPLIED]", stdout);
	printf(" conns=%llu", (unsigned long long)f->connections);
	if (f->leftover)
		printf(" leftover=%llu", (unsigned long long)f->leftover);
	print_time("first", f->first_ns);
	print_time("last", f->last_ns);
	print_process(p, f);
	print_verdicts(t);
	print_helper(f);
	if (host)
		printf(" host=%s", host);
	putchar('\n');
}

/* The flows of one host (by name and identity): flows two hosts saw stay two flows. */
struct host_flows {
	struct cta_host id; /* name and identity only: no interfaces */
	struct cta_flowtab *ft;
};

struct hosts {
	struct host_flows *h;
	size_t n;
	/* the recordings read so far, and from which file: one given twice is refused */
	struct {
		char id[CTA_RECORDING_ID_LEN];
		const char *path;
	} * rec;
	size_t n_rec;
};

static void hosts_free(struct hosts *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		cta_flowtab_free(hs->h[i].ft);
	free(hs->h);
	free(hs->rec);
}

static struct cta_flowtab *host_table(struct hosts *hs, const struct cta_host *host)
{
	struct host_flows *h;

	for (size_t i = 0; i < hs->n; i++)
		if (cta_host_same(&hs->h[i].id, host))
			return hs->h[i].ft;
	h = realloc(hs->h, (hs->n + 1) * sizeof(*h));
	if (!h)
		return NULL;
	hs->h = h;
	h = &hs->h[hs->n];
	memset(h, 0, sizeof(*h));
	memcpy(h->id.hostname, host->hostname, sizeof(h->id.hostname));
	memcpy(h->id.machine_id, host->machine_id, sizeof(h->id.machine_id));
	h->id.netns = host->netns;
	h->ft = cta_flowtab_new();
	if (!h->ft)
		return NULL;
	hs->n++;
	return h->ft;
}

static int cmp_host(const void *pa, const void *pb)
{
	const struct cta_host *a = &((const struct host_flows *)pa)->id;
	const struct cta_host *b = &((const struct host_flows *)pb)->id;
	int c = strcmp(a->hostname, b->hostname);

	if (!c)
		c = strcmp(a->machine_id, b->machine_id);
	if (!c && a->netns != b->netns)
		c = a->netns < b->netns ? -1 : 1;
	return c;
}

/* The recordings of s, noted; one read before: refused (its counts would double). */
static int note_recordings(struct hosts *hs, const struct cta_session *s, const char *path)
{
	void *p = realloc(hs->rec, (hs->n_rec + s->n_ids + 1) * sizeof(*hs->rec));

	if (!p)
		return CTA_EXIT_SYSTEM;
	hs->rec = p;
	for (size_t i = 0; i < s->n_ids; i++) {
		for (size_t j = 0; j < hs->n_rec; j++)
			if (!strcmp(hs->rec[j].id, s->ids[i])) {
				cta_msg("flows: %s and %s hold the same recording (%s): its "
					"connections would count twice",
					hs->rec[j].path, path, s->ids[i]);
				return CTA_EXIT_USAGE;
			}
		memcpy(hs->rec[hs->n_rec].id, s->ids[i], CTA_RECORDING_ID_LEN);
		hs->rec[hs->n_rec++].path = path;
	}
	return CTA_EXIT_OK;
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
		rc = note_recordings(hs, &s, paths[i]);
		if (rc) {
			cta_session_fini(&s);
			return rc;
		}
		if (!s.complete && !g->quiet)
			cta_msg("note: %s is a checkpoint of a recording that did not finish "
				"(flows up to its \"end\" time)",
				paths[i]);
		for (size_t j = 0; j < s.n_flows && !rc; j++) {
			const struct cta_flow *f = &s.flows[j];
			/* a merged session says which of its hosts saw the flow */
			const struct cta_host *host =
				s.n_hosts && f->host < s.n_hosts ? &s.hosts[f->host] : &s.host;
			struct cta_flowtab *ft = host_table(hs, host);

			rc = ft ? cta_flowtab_merge(ft, f, cta_session_verdicts(&s, f),
						    (struct cta_process *)cta_session_process(&s,
											      f))
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

/*
 * One host's flows: streamed (-j), added to the view (the default), or printed whole
 * (-o extended). host: said when there are several.
 */
static int list_host(struct cta_flowtab *ft, const char *host, struct cta_jstream *js,
		     struct cta_flowjson *fj, struct cta_columns *view)
{
	_cleanup_(freep) struct cta_flow *flows = NULL;
	size_t n = 0;

	flows = cta_flowtab_sorted(ft, &n);
	if (!flows)
		return CTA_EXIT_SYSTEM;
	for (size_t i = 0; i < n; i++) {
		const struct cta_vtally *t = cta_flowtab_verdicts_of(ft, &flows[i]);
		const struct cta_process *p = cta_flowtab_process(ft, &flows[i]);

		if (view) {
			if (cta_flowview_add(view, &flows[i], t, p, host))
				return CTA_EXIT_SYSTEM;
			continue;
		}
		if (!js) {
			print_flow(&flows[i], t, p, host);
			continue;
		}
		if (cta_flowjson_item(fj, js, &flows[i], t, p, host))
			return CTA_EXIT_SYSTEM;
	}
	return CTA_EXIT_OK;
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cta_flowjson *fj = NULL;
	struct cta_columns *view = NULL;
	struct cta_paths paths;
	struct hosts hs = { 0 };
	bool extended = false;
	struct cta_jstream js;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'h') {
			cta_print_usage(&cta_cmd_flows, stdout);
			return CTA_EXIT_OK;
		}
		if (c == 'o' && !strcmp(optarg, "extended")) {
			extended = true;
			continue;
		}
		if (c == 'o')
			return cta_usage_error(&cta_cmd_flows,
					       "-o: '%s' is no output format (extended)", optarg);
		return cta_usage_error(&cta_cmd_flows, "bad option");
	}
	if (optind >= argc)
		return cta_usage_error(&cta_cmd_flows, "needs at least one SESSION file");
	rc = cta_expand_sessions(&cta_cmd_flows, argv + optind, (size_t)(argc - optind), &paths);
	if (!rc)
		rc = load_all((int)paths.n, paths.v, &hs, g);
	cta_paths_fini(&paths);
	/* -j: streamed, one flow at a time (a tree of 10^6 flows took 3.7 GB) */
	if (g->json)
		cta_jstream_begin(&js, "flows");
	if (!rc && g->json && !(fj = cta_flowjson_new()))
		rc = CTA_EXIT_SYSTEM;
	if (!rc && !g->json && !extended && !(view = cta_flowview_new(hs.n > 1)))
		rc = CTA_EXIT_SYSTEM;
	for (size_t i = 0; i < hs.n && !rc; i++)
		rc = list_host(hs.h[i].ft, hs.n > 1 ? hs.h[i].id.hostname : NULL,
			       g->json ? &js : NULL, fj, view);
	hosts_free(&hs);
	cta_flowjson_free(fj);
	if (!rc && view && cta_columns_rows(view) && cta_columns_print(view, stdout))
		rc = CTA_EXIT_SYSTEM;
	cta_columns_free(view);
	if (rc && g->json)
		cta_jstream_fini(&js);
	if (rc)
		return rc;
	if (g->json)
		return cta_jstream_end(&js);
	if (fflush(stdout) != 0)
		return CTA_EXIT_SYSTEM;
	return CTA_EXIT_OK;
}
