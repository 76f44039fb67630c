// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
/* after netinet/in.h: linux/netfilter.h would define struct in_addr again */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/cli/cli.h"
#include "advisor/cli/unwatched.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/record/live.h"
#include "advisor/model/session.h"
#include "advisor/model/tuple.h"
#include "advisor/lib/util.h"
#include "nft/tracemsg.h"

#define DEFAULT_TIMEOUT_MS 30000

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_blame = {
	"blame",
	run,
	"name the rule that accepted or dropped a flow, and its path",
	"Usage: conntrack-advise [-j] blame --session FILE 'TUPLE'...\n"
	"       conntrack-advise [-j] blame --live [--timeout DURATION] 'TUPLE'\n"
	"\n"
	"Which table, chain, rule (handle and text) and verdict decided a flow, and the\n"
	"path its first packet took through every base chain (family, table, chain, hook,\n"
	"priority), with the rules it matched on the way: jumps, gotos, verdict maps.\n"
	"\n"
	"  --session FILE    answer from a recording (record traces first packets); one:\n"
	"                    merge several first\n"
	"  --live            answer from the kernel: trace the next packet of TUPLE that\n"
	"                    opens a connection (a packet of one already established when\n"
	"                    TUPLE has a source port or an ICMP echo identifier, or no\n"
	"                    new one comes in time)\n"
	"  --timeout DUR     how long --live waits for that packet (default 30s)\n"
	"\n"
	"A TUPLE is written as people see flows, quoted for the shell (-> is a redirection):\n"
	"  'tcp 198.51.100.7:40312 -> 192.0.2.10:22'     'tcp 198.51.100.7 -> 192.0.2.10:22'\n"
	"  'udp [2001:db8::7]:5353 -> [2001:db8::1]:53'  'icmp 198.51.100.7 -> 192.0.2.10 type 8'\n"
	"  'TCP 198.51.100.0/24 → 192.0.2.10:ssh'       'tcp any -> 192.0.2.10 port 22'\n"
	"  'icmp 198.51.100.7 -> 192.0.2.10 type 8 id 4242' (an echo, by its identifier)\n"
	"or a line pasted from conntrack -L / -E, 'conntrack-advise flows -o extended' or\n"
	"'nft monitor trace'. Ports may be service names (/etc/services); a subnet source answers for\n"
	"every flow from it. Parts left out match anything: without a source port (ICMP: an\n"
	"echo identifier), every connection of the flow; one outside the range the\n"
	"recording saw is said to be so.\n"
	"A TUPLE written in the reply direction gets the flows of the other direction named.\n"
	"Several quoted TUPLEs are answered one after the other; words not quoted form one.\n"
	"\n"
	"Exit status 0 when every TUPLE got a verdict; 1 when one matched no flow or no\n"
	"netfilter verdict was seen for it (blame does not guess); 2 for a TUPLE that cannot\n"
	"be read (the message gives the column); 3 when the system refused.\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise blame --session session.json 'tcp 198.51.100.7 -> 192.0.2.10:8080'\n"
	"  conntrack-advise blame --live --timeout 1m 'udp 203.0.113.20 -> 192.0.2.10:53'\n"
	"  conntrack-advise -j blame --session s.json \"$(conntrack -L | grep dport=22 | head -1)\"\n",
};

static const char *or_unknown(const char *text)
{
	return text ? text : "(text not known)";
}

/* One rule the packet matched: "chain rule 4: TEXT  ->  VERDICT", NAT with its result. */
static void print_rule(const struct cta_vrule *r)
{
	if (r->policy) {
		printf("    %s policy: %s\n", r->chain ? r->chain : "-",
		       r->verdict ? r->verdict : "-");
		return;
	}
	printf("    %s rule %llu: %s  ->  ", r->chain ? r->chain : "-",
	       (unsigned long long)r->handle, or_unknown(r->rule));
	if (r->nat && r->to)
		printf("%s to %s\n", r->nat, r->to);
	else if (r->nat)
		printf("%s\n", r->nat);
	else
		printf("%s\n", r->verdict ? r->verdict : "-");
}

/* Every base chain crossed, in hook and priority order, with its verdict there. */
static void print_path(const struct cta_verdict *v)
{
	for (size_t i = 0; i < v->n_path; i++) {
		const struct cta_vstage *st = &v->path[i];

		printf("  %s %s %s", cta_vfamily_shown(st->family, st->legacy),
		       st->table ? st->table : "-", st->chain ? st->chain : "-");
		if (st->hook)
			printf("  (hook %s, priority %lld, %s, policy %s)", st->hook,
			       (long long)st->priority, st->type ? st->type : "filter",
			       st->policy ? st->policy : "-");
		if (st->verdict)
			printf(": %s by %s", st->verdict, st->by_policy ? "its policy" : "a rule");
		putchar('\n');
		for (size_t k = 0; k < st->n_rules; k++)
			print_rule(&st->rules[k]);
	}
}

/* Does the verdict name what decided (a rule, a policy, or nothing would drop it)? */
static bool decided_by(const struct cta_verdict *v)
{
	return v && (v->type == CTA_VTYPE_RULE || v->type == CTA_VTYPE_POLICY ||
		     v->type == CTA_VTYPE_OPEN);
}

/* "by rule 5 of inet filter input: tcp dport 22 accept", or "by the policy of ..." */
static void print_by(uint8_t type, uint64_t handle, const char *family, const char *table,
		     const char *chain, const char *rule)
{
	if (type == CTA_VTYPE_POLICY)
		printf("by the policy of %s %s %s\n", family, table, chain);
	else
		printf("by rule %llu of %s %s %s: %s\n", (unsigned long long)handle, family, table,
		       chain, or_unknown(rule));
}

/* The decider(s): one for a denied packet, one per hook an accepted one crossed. */
static void print_deciders(const struct cta_verdict *v)
{
	bool first = true;

	if (v->type == CTA_VTYPE_OPEN) {
		printf("  accepted: no chain ");
		for (size_t i = 0; i < v->n_deciders; i++) {
			const char *hook = v->deciders[i].hook;

			if (hook && *hook)
				printf("%s%s", i ? ", " : "at ", hook);
			else
				printf("on its path");
		}
		printf(" would drop it\n");
		return;
	}
	printf("  verdict: %s, ", cta_verdict_name(v->verdict));
	print_by(v->type, v->handle, cta_vfamily_shown(v->family, v->legacy), v->table, v->chain,
		 v->rule);
	for (size_t i = 0; i < v->n_deciders; i++) {
		const struct cta_vdecider *d = &v->deciders[i];

		if (first && d->type != CTA_VTYPE_NONE) {
			first = false; /* the verdict line's */
			continue;
		}
		printf("  and at %s: ", d->hook ? d->hook : "-");
		if (d->type == CTA_VTYPE_NONE)
			printf("no chain there would drop it\n");
		else
			print_by(d->type, d->handle, d->family, d->table, d->chain, d->rule);
	}
}

/*
 * The story of one verdict; RECORDED: of a session's flow (not --live's packet), F
 * that flow (NULL: not known).
 */
static void print_verdict(const struct cta_verdict *v, bool recorded, const struct cta_flow *f)
{
	if (!decided_by(v)) {
		if (v && v->source == CTA_VSOURCE_NFLOG)
			printf("  denied: its connection was never confirmed (NFLOG saw the first "
			       "packet), but no trace says by which rule%s\n",
			       recorded ? " (the recording traced none, or not this flow: over "
					  "--trace-rate, or its trace lost)"
					: "");
		else if (v && v->source == CTA_VSOURCE_KERNEL)
			printf("  denied: the kernel counted first packets that never left the "
			       "filter hooks, but no trace or NFLOG packet says by which rule\n");
		else if (f && f->leftover && f->leftover >= f->connections)
			printf("  no netfilter verdict was seen for it: every connection of it "
			       "was a leftover, already closing when the recording began, its "
			       "first packet long before\n");
		else
			printf("  no netfilter verdict was seen for it%s\n",
			       recorded ? " (not traced: its connections opened before the "
					  "recording began; or record traces a flow's first packet "
					  "once in 30 s as it arrives, before NAT, so of a DNAT "
					  "to several addresses only one's flow may have been; "
					  "or over --trace-rate, its trace lost, or a recording "
					  "with --trace none)"
					: "");
		return;
	}
	print_path(v);
	print_deciders(v);
	if (v->has_uid)
		printf("  sent by uid %u\n", v->uid);
}

/* Each verdict the flow's connections got, most first; several: how many got which. */
static void print_verdicts(const struct cta_vtally *t, const struct cta_flow *f)
{
	struct cta_vtally sorted = t ? *t : (struct cta_vtally){ 0 };
	_cleanup_(freep) struct cta_vcount *g = calloc(sorted.n + 1, sizeof(*g));

	if (sorted.n <= 1 || !g) {
		print_verdict(cta_vtally_main(t), true, f);
		return;
	}
	memcpy(g, t->g, t->n * sizeof(*g));
	sorted.g = g;
	cta_vtally_sort(&sorted);
	for (uint32_t i = 0; i < sorted.n; i++) {
		printf("  %llu connection%s:\n", (unsigned long long)g[i].n,
		       g[i].n == 1 ? "" : "s");
		print_verdict(g[i].v, true, f);
	}
}

/* Whose flow it is on this host, where the recording saw it. */
static void print_process(const struct cta_process *p, const struct cta_flow *f,
			  const struct cta_verdict *v)
{
	if (f->direction == CTA_DIR_FORWARD) {
		printf("  process: none, the flow was forwarded\n");
		return;
	}
	if (!p)
		return;
	if (!p->comm) {
		/* a denied flow's verdict says it already */
		if (v && v->has_uid)
			return;
		printf("  sent by uid %u (NFLOG; the program was not seen)\n", p->uid);
		return;
	}
	printf("  process: %s, pid %u, uid %u", p->comm, p->pid, p->uid);
	if (p->user)
		printf(" (%s)", p->user);
	if (p->exe)
		printf(", %s", p->exe);
	if (p->cgroup)
		printf(", cgroup %s", p->cgroup);
	putchar('\n');
}

/* The flow's line, as `flows` says it, shorter. */
static void print_flow_head(const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], num[8];
	const char *proto = cta_proto_name(k->l4proto);

	if (!proto) {
		snprintf(num, sizeof(num), "%u", k->l4proto);
		proto = num;
	}
	cta_addr_str(k->family, &k->src, src, sizeof(src));
	cta_addr_str(k->family, &k->dst, dst, sizeof(dst));
	if (cta_proto_has_ports(k->l4proto))
		printf(k->family == AF_INET6 ? "%s [%s] -> [%s]:%u" : "%s %s -> %s:%u", proto, src,
		       dst, k->dport);
	else if (cta_proto_is_icmp(k->l4proto))
		printf("%s %s -> %s type %u", proto, src, dst, k->icmp_type);
	else
		printf("%s %s -> %s", proto, src, dst);
	printf("  (%s, %llu connection%s, %s)\n", cta_direction_name(f->direction),
	       (unsigned long long)f->connections, f->connections == 1 ? "" : "s",
	       cta_reached_name(f->reached));
	if (f->related) {
		char m[200];

		/* its port was its master's choice: the helper, not a port rule, let it in */
		cta_flow_master_text(f, m, sizeof(m));
		printf("  related to %s: a conntrack helper expected it\n", m);
	}
	if (f->helper[0])
		printf("  conntrack helper: %s (the connections it expects are related)\n",
		       f->helper);
	if (f->leftover)
		printf("  leftover: %llu of its connections %s already closing when the recording "
		       "began, and nothing of %s passed while recording: no verdict\n",
		       (unsigned long long)f->leftover, f->leftover == 1 ? "was" : "were",
		       f->leftover == 1 ? "it" : "them");
}

/* The verdict fields at the top of a -j entry, as the issue asks: verdict, type, ... path. */
static json_t *entry(const struct cta_verdict *v, const char *tuple)
{
	json_t *e = v ? cta_verdict_to_json(v)
		      : json_pack("{s:s,s:s}", "verdict", "none", "type", "none");

	if (e)
		json_object_set_new(e, "tuple", json_string(tuple));
	return e;
}

/*
 * A source port (ICMP: an echo identifier) outside the flow's recorded connections:
 * said, not hidden.
 */
static void sport_note(const struct cta_tuple_query *q, const struct cta_flow *f, json_t *e)
{
	bool icmp = cta_proto_is_icmp(f->key.l4proto);
	const char *what = icmp ? "echo identifier" : "source port";
	const char *from = icmp ? "had echo identifier" : "came from port";
	unsigned given = icmp ? q->icmp_id : q->sport;

	if (cta_tuple_sport_seen(q, f))
		return;
	if (e) {
		json_object_set_new(e, "sport_seen", json_false());
		return;
	}
	if (f->sport_min == f->sport_max)
		printf("  %s %u was not seen: the recorded connections %s %u\n", what, given, from,
		       f->sport_min);
	else
		printf("  %s %u was not seen: the recorded connections %ss %u-%u\n", what, given,
		       from, f->sport_min, f->sport_max);
}

/*
 * No flow matched: the flows of the other direction, if the tuple was written from the
 * reply's side. Printed after "no recorded flow matches", or in e's "reverse" (-j).
 */
static void reverse_hint(const struct cta_session *s, const struct cta_tuple_query *q,
			 const char *text, json_t *e)
{
	struct cta_tuple_query r;
	json_t *arr = json_array();
	size_t found = 0;

	cta_tuple_reverse(q, &r);
	for (size_t i = 0; arr && i < s->n_flows; i++) {
		json_t *f;

		/* the tuple's destination port is the reverse's source port: it must be one seen */
		if (!cta_tuple_match(&r, &s->flows[i]) || !cta_tuple_sport_seen(&r, &s->flows[i]))
			continue;
		if (!e && !found++)
			printf("%s: no recorded flow matches; the reverse direction matches:\n",
			       text);
		if (!e) {
			fputs("  ", stdout);
			print_flow_head(&s->flows[i]);
			continue;
		}
		f = cta_flow_to_json(&s->flows[i], cta_session_verdicts(s, &s->flows[i]),
				     cta_session_process(s, &s->flows[i]));
		if (f)
			json_array_append_new(arr, f);
	}
	if (!e && !found)
		printf("%s: no recorded flow matches\n", text);
	if (e && json_array_size(arr))
		json_object_set(e, "reverse", arr);
	json_decref(arr);
}

static int blame_session(const char *path, char **tuples, int n, const struct cta_global *g)
{
	struct cta_session s;
	struct cta_err err;
	_cleanup_(freep) struct cta_tuple_query *qs = calloc((size_t)n, sizeof(*qs));
	json_t *out;
	int rc, answer = CTA_EXIT_OK;

	if (!qs)
		return CTA_EXIT_SYSTEM;
	/* every TUPLE is read before anything is answered: a bad one prints nothing */
	for (int t = 0; t < n; t++) {
		struct cta_tuple_error terr;

		if (cta_tuple_parse(tuples[t], &qs[t], &terr)) {
			cta_msg("blame: TUPLE %d:%d: %s", t + 1, terr.column, terr.msg);
			return CTA_EXIT_USAGE;
		}
	}
	rc = cta_session_load(path, &s, &err);
	if (rc) {
		cta_msg("%s", err.msg);
		return rc == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
	}
	out = g->json ? json_array() : NULL;
	for (int t = 0; t < n; t++) {
		const struct cta_tuple_query *q = &qs[t];
		char text[256];
		bool matched = false, decided = false;

		cta_tuple_format(q, text, sizeof(text));
		for (size_t i = 0; i < s.n_flows; i++) {
			const struct cta_flow *fl = &s.flows[i];
			const struct cta_vtally *vt = cta_session_verdicts(&s, fl);
			const struct cta_verdict *v = cta_vtally_main(vt);
			const struct cta_process *p = cta_session_process(&s, fl);

			if (!cta_tuple_match(q, fl))
				continue;
			matched = true;
			decided |= decided_by(v);
			if (out) {
				json_t *e = entry(v, text);

				json_object_set_new(e, "flow", cta_flow_to_json(fl, vt, p));
				/* a merged session: which host saw it */
				if (s.n_hosts > 1 && fl->host < s.n_hosts)
					json_object_set_new(
						e, "host", json_string(s.hosts[fl->host].hostname));
				sport_note(q, fl, e);
				json_array_append_new(out, e);
				continue;
			}
			print_flow_head(fl);
			if (s.n_hosts > 1 && fl->host < s.n_hosts)
				printf("  host: %s\n", s.hosts[fl->host].hostname);
			sport_note(q, fl, NULL);
			print_process(p, fl, v);
			print_verdicts(vt, fl);
		}
		if (!matched && !g->json)
			reverse_hint(&s, q, text, NULL);
		if (!matched && out) {
			json_t *e = json_pack("{s:s,s:s,s:s,s:[]}", "tuple", text, "verdict",
					      "none", "type", "none", "path");

			reverse_hint(&s, q, text, e);
			json_array_append_new(out, e);
		}
		if (!decided)
			answer = CTA_EXIT_NEGATIVE;
	}
	cta_session_fini(&s);
	if (out) {
		int prc = cta_print_json(json_pack("{s:o}", "blame", out));

		return prc ? prc : answer;
	}
	return answer;
}

/* The tuple as the kernel should match it: what was given, nothing more. */
static void to_match(const struct cta_tuple_query *q, struct cta_trace_match *m)
{
	memset(m, 0, sizeof(*m));
	m->family = (q->has & CTA_TQ_FAMILY) ? q->family : 0;
	m->l4proto = q->l4proto;
	m->has_src = q->has & CTA_TQ_SRC;
	m->has_dst = q->has & CTA_TQ_DST;
	m->src = q->src;
	m->dst = q->dst;
	m->has_sport = (q->has & CTA_TQ_SPORT) && cta_proto_has_ports(q->l4proto);
	m->has_dport = (q->has & CTA_TQ_DPORT) && cta_proto_has_ports(q->l4proto);
	m->sport = q->sport;
	m->dport = q->dport;
	m->has_icmp_type = (q->has & CTA_TQ_TYPE) && cta_proto_is_icmp(q->l4proto);
	m->icmp_type = q->icmp_type;
	m->has_icmp_code = (q->has & CTA_TQ_CODE) && cta_proto_is_icmp(q->l4proto);
	m->icmp_code = q->icmp_code;
	m->has_icmp_id = (q->has & CTA_TQ_ID) && cta_proto_is_icmp(q->l4proto);
	m->icmp_id = q->icmp_id;
}

static const char *verdict_name(int32_t v)
{
	switch (v) {
	case NF_ACCEPT:
		return "accept";
	case NF_DROP:
		return "drop";
	case NF_QUEUE:
		return "queue";
	case NFT_CONTINUE:
		return "continue";
	case NFT_BREAK:
		return "break";
	case NFT_JUMP:
		return "jump";
	case NFT_GOTO:
		return "goto";
	case NFT_RETURN:
		return "return";
	default:
		return "?";
	}
}

/* -v: each trace message --live reads, one line on stderr. */
static void on_trace(const struct cta_trace_event *ev, void *data)
{
	static const char *const types[] = { "?", "policy", "return", "rule" };
	char pkt[2 * INET6_ADDRSTRLEN + 48] = "", s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	char what[64] = "";

	(void)data;
	if (ev->flags & CTA_TRF_HEADERS) {
		cta_addr_str(ev->family, &ev->tuple.src, s, sizeof(s));
		cta_addr_str(ev->family, &ev->tuple.dst, d, sizeof(d));
		snprintf(pkt, sizeof(pkt), "  packet %s %s:%u -> %s:%u",
			 cta_proto_name(ev->l4proto) ? cta_proto_name(ev->l4proto) : "?", s,
			 ev->tuple.sport, d, ev->tuple.dport);
	}
	if (ev->flags & CTA_TRF_HANDLE)
		snprintf(what, sizeof(what), " handle %llu", (unsigned long long)ev->handle);
	cta_msg("trace id %08x %s %s %s: %s%s%s%s%s%s%s", ev->id,
		cta_nfproto_name(ev->table_family) ? cta_nfproto_name(ev->table_family) : "?",
		ev->table, ev->chain, ev->type < ARRAY_SIZE(types) ? types[ev->type] : "?", what,
		ev->flags & CTA_TRF_VERDICT ? " verdict " : "",
		ev->flags & CTA_TRF_VERDICT ? verdict_name(ev->verdict) : "",
		ev->flags & CTA_TRF_VERDICT && ev->jump_target[0] ? " " : "",
		ev->flags & CTA_TRF_VERDICT ? ev->jump_target : "", pkt);
}

/*
 * No packet reached a watched hook (timeout, or -EINTR): say so, with the chains the
 * tool does not watch, which may have taken it, and which of their rules counted
 * packets meanwhile (grown). Exit 1.
 */
static int no_packet(const char *text, int rc, const char *grown, const struct cta_global *g)
{
	char unwatched[1024];

	cta_unwatched_live(true, unwatched, sizeof(unwatched));
	if (g->json)
		return cta_print_json(json_pack("{s:[{s:s,s:s,s:s,s:[],s:s,s:s}]}", "blame",
						"tuple", text, "verdict", "none", "type", "none",
						"path", "not_watched", unwatched,
						"counted_unwatched", grown))
			       ?: CTA_EXIT_NEGATIVE;
	printf("%s: no packet of it %s; no verdict\n", text,
	       rc == -EINTR   ? "before the interruption"
	       : unwatched[0] ? "reached a watched hook in time"
			      : "arrived in time");
	if (unwatched[0])
		printf("  not watched: %s: one of these may have decided it\n", unwatched);
	if (grown[0])
		printf("  counted while waiting (any packet, not only this one's): %s\n", grown);
	return CTA_EXIT_NEGATIVE;
}

/*
 * The packet as a TUPLE, the arrow form blame takes back: with its ports, or its ICMP
 * type, code and echo identifier (the trace gives that where ports go, nft/pkt.c).
 */
static void packet_query(const struct cta_live_packet *pkt, struct cta_tuple_query *pq)
{
	memset(pq, 0, sizeof(*pq));
	pq->has = CTA_TQ_FAMILY | CTA_TQ_SRC | CTA_TQ_DST;
	pq->family = pkt->family;
	pq->l4proto = pkt->l4proto;
	pq->src = pkt->tuple.src;
	pq->dst = pkt->tuple.dst;
	if (cta_proto_has_ports(pkt->l4proto)) {
		pq->has |= CTA_TQ_SPORT | CTA_TQ_DPORT;
		pq->sport = pkt->tuple.sport;
		pq->dport = pkt->tuple.dport;
	} else if (cta_proto_is_icmp(pkt->l4proto)) {
		pq->has |= CTA_TQ_TYPE | CTA_TQ_CODE;
		pq->icmp_type = pkt->tuple.icmp_type;
		pq->icmp_code = pkt->tuple.icmp_code;
		if (cta_icmp_has_id(pkt->l4proto, pkt->tuple.icmp_type)) {
			pq->has |= CTA_TQ_ID;
			pq->icmp_id = pkt->tuple.sport;
		}
	}
}

/* -j: the packet seen, beside the verdict, before any NAT (blame.schema.json: packet) */
static json_t *packet_json(const struct cta_live_packet *pkt)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *proto = cta_proto_name(pkt->l4proto);
	struct cta_tuple_query pq;
	json_t *o;

	packet_query(pkt, &pq);
	cta_addr_str(pkt->family, &pkt->tuple.src, src, sizeof(src));
	cta_addr_str(pkt->family, &pkt->tuple.dst, dst, sizeof(dst));
	o = json_pack("{s:o,s:s,s:s}", "protocol",
		      proto ? json_string(proto) : json_integer(pkt->l4proto), "src", src, "dst",
		      dst);
	if (!o)
		return NULL;
	if (pq.has & CTA_TQ_SPORT) {
		json_object_set_new(o, "sport", json_integer(pq.sport));
		json_object_set_new(o, "dport", json_integer(pq.dport));
	}
	if (pq.has & CTA_TQ_TYPE) {
		json_object_set_new(o, "type", json_integer(pq.icmp_type));
		json_object_set_new(o, "code", json_integer(pq.icmp_code));
	}
	if (pq.has & CTA_TQ_ID)
		json_object_set_new(o, "id", json_integer(pq.icmp_id));
	json_object_set_new(o, "established", json_boolean(pkt->established));
	return o;
}

static void on_later(void *data)
{
	(void)data;
	cta_msg("a packet of an established connection came: it says nothing of what let the "
		"connection in; waiting for a new connection");
}

static int blame_live(const char *tuple, uint64_t timeout_ms, const struct cta_global *g)
{
	struct cta_tuple_query q;
	struct cta_tuple_error terr;
	struct cta_trace_match m;
	struct cta_err err;
	struct cta_ruleset *counted;
	char text[256], grown[1024];
	_cleanup_(cta_verdict_unrefp) struct cta_verdict *tv = NULL;
	struct cta_live_packet pkt;
	struct cta_live_hooks hooks = { 0 };
	struct cta_tuple_query pq;
	char seen[256];
	json_t *e;
	bool decided;
	int rc;

	if (cta_tuple_parse(tuple, &q, &terr)) {
		cta_msg("blame: TUPLE 1:%d: %s", terr.column, terr.msg);
		return CTA_EXIT_USAGE;
	}
	/* the kernel would match bytes 4-5 of any ICMP message: an error's, ND's too */
	if ((q.has & CTA_TQ_ID) && !(q.has & CTA_TQ_TYPE))
		return cta_usage_error(NULL, "blame --live: an echo identifier goes with its type "
					     "('type 8 id N'; ICMPv6: 'type 128 id N')");
	if ((q.has & (CTA_TQ_SRC | CTA_TQ_DST)) && !(q.has & CTA_TQ_FAMILY))
		return cta_usage_error(NULL, "blame --live: give both addresses of the TUPLE");
	if (q.src_plen || q.dst_plen)
		return cta_usage_error(NULL, "blame --live: one packet has one address, not a "
					     "subnet: give the host's");
	cta_tuple_format(&q, text, sizeof(text));
	to_match(&q, &m);
	if (!g->quiet)
		cta_msg("waiting up to %llu s for a packet of %s",
			(unsigned long long)(timeout_ms / 1000), text);
	hooks.on_trace = g->verbose ? on_trace : NULL;
	hooks.on_later = g->quiet ? NULL : on_later;
	counted = cta_live_counted();
	rc = cta_live_blame(&m, timeout_ms, &hooks, &tv, &pkt, &err);
	cta_unwatched_counted_since(counted, grown, sizeof(grown));
	if (rc == -ETIMEDOUT || rc == -EINTR)
		return no_packet(text, rc, grown, g);
	if (rc) {
		cta_msg("blame: %s", err.msg);
		return CTA_EXIT_SYSTEM;
	}
	decided = decided_by(tv);
	if (g->json) {
		e = entry(tv, text);
		if (e)
			json_object_set_new(e, "packet", packet_json(&pkt));
		rc = cta_print_json(json_pack("{s:[o]}", "blame", e));
		return rc ? rc : decided ? CTA_EXIT_OK : CTA_EXIT_NEGATIVE;
	}
	packet_query(&pkt, &pq);
	cta_tuple_format(&pq, seen, sizeof(seen));
	printf("%s  (live: %s)\n", text, seen);
	if (pkt.established)
		printf("  a packet of a connection already established (%s): this is what let "
		       "the packet through, not what let its connection in\n",
		       m.has_sport || m.has_icmp_id
			       ? "the TUPLE names that connection"
			       : "no new connection came before the wait ended");
	print_verdict(tv, false, NULL);
	return decided ? CTA_EXIT_OK : CTA_EXIT_NEGATIVE;
}

/* Quoted TUPLEs (with spaces) are one each; bare words make one TUPLE together. */
static char **collect(int argc, char **argv, int *n)
{
	bool each = true;
	char **out;
	size_t len = 1;

	for (int i = 0; i < argc; i++) {
		each &= strchr(argv[i], ' ') != NULL;
		len += strlen(argv[i]) + 1;
	}
	out = calloc((size_t)argc + 1, sizeof(*out));
	if (!out)
		return NULL;
	if (each) {
		for (int i = 0; i < argc; i++)
			out[i] = strdup(argv[i]);
		*n = argc;
		return out;
	}
	out[0] = calloc(1, len);
	for (int i = 0; i < argc && out[0]; i++) {
		strcat(out[0], argv[i]);
		if (i + 1 < argc)
			strcat(out[0], " ");
	}
	*n = 1;
	return out;
}

static void free_tuples(char **t, int n)
{
	for (int i = 0; t && i < n; i++)
		free(t[i]);
	free(t);
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "live", no_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *session = NULL;
	bool live = false, timeout_given = false;
	uint64_t timeout_ms = DEFAULT_TIMEOUT_MS;
	char **tuples;
	int c, n = 0, rc;

	/* '+': a TUPLE may start with words getopt would take for options */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			/* one recording: a second would be read instead, its flows alone */
			if (session)
				return cta_usage_error(
					&cta_cmd_blame,
					"--session given twice: blame reads one "
					"recording (conntrack-advise merge -o m.json "
					"A B, then blame --session m.json)");
			session = optarg;
			break;
		case 'l':
			live = true;
			break;
		case 't':
			if (cta_parse_duration(optarg, &timeout_ms) < 0 || !timeout_ms)
				return cta_usage_error(
					&cta_cmd_blame,
					"--timeout: '%s' is not a duration (like 30s, 2m)", optarg);
			timeout_given = true;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_blame, stdout);
			return CTA_EXIT_OK;
		default:
			return cta_usage_error(&cta_cmd_blame, "bad option");
		}
	}
	if (!!session == live)
		return cta_usage_error(&cta_cmd_blame, "give either --session FILE or --live");
	if (timeout_given && !live)
		return cta_usage_error(&cta_cmd_blame, "--timeout goes with --live");
	if (optind >= argc)
		return cta_usage_error(&cta_cmd_blame, "needs a TUPLE");
	tuples = collect(argc - optind, argv + optind, &n);
	if (!tuples || !tuples[0])
		return CTA_EXIT_SYSTEM;
	if (live && n > 1) {
		free_tuples(tuples, n);
		return cta_usage_error(&cta_cmd_blame, "--live answers one TUPLE at a time");
	}
	rc = live ? blame_live(tuples[0], timeout_ms, g) : blame_session(session, tuples, n, g);
	free_tuples(tuples, n);
	return rc;
}
