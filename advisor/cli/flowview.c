// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/cli/flowview.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/util.h"
#include "advisor/model/host.h"

enum { C_HOST, C_PROTO, C_DIR, C_SRC, C_DST, C_CONNS, C_PKTS, C_BYTES, C_VERDICTS, C_PROC, C_N };

/* →/←: the original direction, then the reply */
static const char *const heads[C_N] = {
	"HOST",	 "PROTO",	"DIR",	     "SOURCE",	 "DESTINATION",
	"CONNS", "PACKETS →/←", "BYTES →/←", "VERDICTS", "PROCESS",
};
static const bool right[C_N] = { [C_CONNS] = true, [C_PKTS] = true, [C_BYTES] = true };

struct cta_columns *cta_flowview_new(bool hosts)
{
	struct cta_columns *c = cta_columns_new(C_N, heads, right);

	if (c && !hosts)
		cta_columns_hide(c, C_HOST);
	return c;
}

/*
 * ADDR:PORT ([V6]:PORT), ADDR type N; where the reply came from elsewhere (DNAT), "(to
 * ...)": from the reply tuple, or for a flow with none (denied after the DNAT), from the
 * trace of its verdict T
 */
static void destination(const struct cta_flow *f, const struct cta_vtally *t, char *buf, size_t len)
{
	const struct cta_flow_key *k = &f->key;
	bool ports = cta_proto_has_ports(k->l4proto), v6 = k->family == AF_INET6;
	char a[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	int n;

	cta_addr_str(k->family, &k->dst, a, sizeof(a));
	if (ports)
		n = snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a, k->dport);
	else if (cta_proto_is_icmp(k->l4proto))
		n = snprintf(buf, len, "%s type %u", a, k->icmp_type);
	else
		n = snprintf(buf, len, "%s", a);
	if (n < 0 || (size_t)n >= len)
		return;
	if (f->reached == CTA_REACHED_UNREPLIED &&
	    !memcmp(&k->reply_src, &k->dst, sizeof(k->dst)) &&
	    cta_verdict_dnat_to(cta_vtally_main(t))) {
		snprintf(buf + n, len - (size_t)n, " (to %s)",
			 cta_verdict_dnat_to(cta_vtally_main(t)));
		return;
	}
	/* SNAT alone (the answers went elsewhere) shows in -o extended */
	if (memcmp(&k->reply_src, &k->dst, sizeof(k->dst)) ||
	    (ports && k->reply_sport != k->dport)) {
		cta_addr_str(k->family, &k->reply_src, r, sizeof(r));
		if (ports)
			snprintf(buf + n, len - (size_t)n, v6 ? " (to [%s]:%u)" : " (to %s:%u)", r,
				 k->reply_sport);
		else
			snprintf(buf + n, len - (size_t)n, " (to %s)", r);
	}
}

/* "accept 3" or "accept 3, reject 2": connections by verdict, most first; "-" for none */
static void verdicts(const struct cta_vtally *t, char *buf, size_t len)
{
	struct cta_vtally sorted = t ? *t : (struct cta_vtally){ 0 };
	_cleanup_(freep) struct cta_vcount *g = calloc(sorted.n + 1, sizeof(*g));
	size_t n = 0;

	snprintf(buf, len, "-");
	if (!g || !sorted.n)
		return;
	memcpy(g, t->g, t->n * sizeof(*g));
	sorted.g = g;
	cta_vtally_sort(&sorted);
	for (uint32_t i = 0; i < sorted.n && n < len; i++) {
		char c[16];

		cta_human_count(g[i].n, c, sizeof(c));
		n += (size_t)snprintf(buf + n, len - n, "%s%s %s", i ? ", " : "",
				      cta_verdict_name(g[i].v->verdict), c);
	}
}

/* ", leftover 1" after the verdicts (or in place of "-"): connections closing at the start */
static void leftovers(const struct cta_flow *f, char *buf, size_t len)
{
	size_t at = strcmp(buf, "-") ? strlen(buf) : 0;
	char c[16];

	if (!f->leftover || at >= len)
		return;
	cta_human_count(f->leftover, c, sizeof(c));
	snprintf(buf + at, len - at, "%sleftover %s", at ? ", " : "", c);
}

/* sshd[812], uid 1000 (NFLOG gave the owner only), -forwarded-, - */
static void process(const struct cta_process *p, const struct cta_flow *f, char *buf, size_t len)
{
	char name[16];

	if (f->direction == CTA_DIR_FORWARD)
		snprintf(buf, len, "-forwarded-");
	else if (p && p->comm)
		snprintf(buf, len, "%s[%u]", cta_process_program(p, name, sizeof(name)), p->pid);
	else if (p && p->has_uid)
		snprintf(buf, len, "uid %u", p->uid);
	else
		snprintf(buf, len, "-");
}

/* Both directions: "18/12", "6.8 KiB/6.5 KiB". */
static void both(const uint64_t v[2], void (*fmt)(uint64_t, char *, size_t), char *buf, size_t len)
{
	char a[32], b[32];

	fmt(v[0], a, sizeof(a));
	fmt(v[1], b, sizeof(b));
	snprintf(buf, len, "%s/%s", a, b);
}

int cta_flowview_add(struct cta_columns *c, const struct cta_flow *f, const struct cta_vtally *t,
		     const struct cta_process *p, const char *host)
{
	char src[INET6_ADDRSTRLEN], dst[2 * INET6_ADDRSTRLEN + 24], conns[16], pk[72], by[72];
	char vs[160], proc[48], num[8];
	const char *proto = cta_proto_name(f->key.l4proto);
	const char *cells[C_N];

	if (!proto) {
		snprintf(num, sizeof(num), "%u", f->key.l4proto);
		proto = num;
	}
	cta_addr_str(f->key.family, &f->key.src, src, sizeof(src));
	destination(f, t, dst, sizeof(dst));
	cta_human_count(f->connections, conns, sizeof(conns));
	both(f->packets, cta_human_count, pk, sizeof(pk));
	both(f->bytes, cta_human_bytes, by, sizeof(by));
	verdicts(t, vs, sizeof(vs));
	leftovers(f, vs, sizeof(vs));
	process(p, f, proc, sizeof(proc));
	cells[C_HOST] = host;
	cells[C_PROTO] = proto;
	cells[C_DIR] = cta_direction_name(f->direction);
	cells[C_SRC] = src;
	cells[C_DST] = dst;
	cells[C_CONNS] = conns;
	cells[C_PKTS] = pk;
	cells[C_BYTES] = by;
	cells[C_VERDICTS] = vs;
	cells[C_PROC] = proc;
	return cta_columns_add(c, cells);
}
