// SPDX-License-Identifier: GPL-2.0-or-later
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/suggest/emit.h"
#include "advisor/suggest/graph.h"
#include "advisor/lib/util.h"

/* A DOT string: quotes and backslashes escaped. */
static void quoted(struct cta_buf *out, const char *s)
{
	cta_buf_add(out, "\"", 1);
	for (; *s; s++) {
		if (*s == '\n')
			cta_buf_add(out, "\\n", 2); /* DOT's own line break */
		else if (*s == '"' || *s == '\\')
			cta_buf_add(out, "\\", 1);
		if ((unsigned char)*s >= 0x20)
			cta_buf_add(out, s, 1);
	}
	cta_buf_add(out, "\"", 1);
}

/* Thicker for more connections: 1 for one, about 6 for a million. */
static double width(uint64_t conns)
{
	double w = 1 + log10((double)(conns ? conns : 1));

	return w > 7 ? 7 : w;
}

static void peer_id(const struct cta_prefix *p, char *buf, size_t len)
{
	char a[80];

	snprintf(buf, len, "peer %s", cta_prefix_str(p, a, sizeof(a)));
}

static void peer_node(struct cta_buf *out, const struct cta_prefix *p)
{
	char id[96], a[80], label[160];
	unsigned full = p->family == AF_INET ? 32 : 128;

	peer_id(p, id, sizeof(id));
	cta_prefix_str(p, a, sizeof(a));
	if (p->len == full)
		snprintf(label, sizeof(label), "%s", a);
	else
		snprintf(label, sizeof(label), "%s\n%u host%s", a, (unsigned)p->hosts,
			 p->hosts == 1 ? "" : "s");
	cta_buf_str(out, "\t");
	quoted(out, id);
	cta_buf_str(out, " [label=");
	quoted(out, label);
	cta_buf_printf(out, ", shape=box, style=\"rounded,filled\", fillcolor=\"%s\"];\n",
		       p->len == full ? "#eef3fb" : "#d7e4f6");
}

/* "tcp 22, 80" or "icmp echo-request" */
static void service_label(const struct cta_ir_rule *r, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", cta_emit_proto_word(r->l4proto));

	for (size_t i = 0; i < r->n_ports && n < len; i++) {
		char p[32];

		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : " ",
				      cta_ir_port_str(r->family, r->l4proto, r->ports[i], p,
						      sizeof(p)));
	}
	if (r->dnat && n < len)
		snprintf(buf + n, len - n, " (DNAT)");
}

/*
 * The map's peers: every prefix and host of the model, each drawn once, inside the
 * widest of them that holds it (a host a rule names alone is still in its subnet's box).
 */
struct peers {
	struct cta_prefix *p; /* sorted, distinct */
	size_t n;
};

static bool holds(const struct cta_prefix *wide, const struct cta_prefix *p)
{
	union cta_addr a = p->addr;

	if (wide->family != p->family || wide->len > p->len)
		return false;
	cta_addr_mask(&a, p->family, wide->len);
	return !memcmp(&a, &wide->addr, sizeof(a));
}

/* The box p is drawn in: the widest peer holding it (p itself when none does). */
static const struct cta_prefix *box_of(const struct peers *ps, const struct cta_prefix *p)
{
	const struct cta_prefix *best = NULL;

	for (size_t i = 0; i < ps->n; i++)
		if (holds(&ps->p[i], p) && (!best || ps->p[i].len < best->len))
			best = &ps->p[i];
	return best ? best : p;
}

static void host_prefix(struct cta_prefix *p, uint8_t family, const union cta_addr *a)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->len = family == AF_INET ? 32 : 128;
	p->addr = *a;
	p->hosts = 1;
}

static int cmp_prefix(const void *a, const void *b)
{
	return cta_prefix_cmp(a, b);
}

static int collect_peers(const struct cta_ir *ir, struct peers *ps)
{
	size_t n = 0, k = 0;
	struct cta_prefix *all;

	for (size_t i = 0; i < ir->n_rules; i++)
		n += ir->rules[i].n_src + ir->rules[i].n_dst;
	n += 2 * ir->n_denied;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return -1;
	for (size_t i = 0; i < ir->n_rules; i++) {
		const struct cta_ir_rule *r = &ir->rules[i];

		for (size_t j = 0; j < r->n_src; j++)
			all[k++] = r->src[j];
		for (size_t j = 0; j < r->n_dst; j++)
			all[k++] = r->dst[j];
	}
	for (size_t i = 0; i < ir->n_denied; i++) {
		const struct cta_ir_denied *d = &ir->denied[i];

		/* an inbound denial's peer is its source; an outbound one's its destination */
		host_prefix(&all[k++], d->family, d->dir == CTA_IR_OUT ? &d->dst : &d->src);
		if (d->dir == CTA_IR_FORWARD)
			host_prefix(&all[k++], d->family, &d->dst);
	}
	if (k)
		qsort(all, k, sizeof(*all), cmp_prefix);
	ps->n = 0;
	for (size_t i = 0; i < k; i++)
		if (!ps->n || all[i].family != all[ps->n - 1].family ||
		    all[i].len != all[ps->n - 1].len ||
		    memcmp(&all[i].addr, &all[ps->n - 1].addr, sizeof(all[i].addr)))
			all[ps->n++] = all[i];
	ps->p = all;
	return 0;
}

/*
 * The map's edges, one per (from, to, what): the rules of a service that a subnet's
 * hosts reach apart become one edge with their counts added; the denied flows between
 * two boxes become one red edge, their services listed in its label.
 */
struct gedge {
	char from[96], to[200], what[160];
	char who[160]; /* hosts and prefixes narrower than the from/to box, "" for the box */
	char by[160]; /* denied: what denied them, "" when several things did */
	uint64_t conns, bytes;
	bool denied, by_many;
	bool whole; /* the box itself is a peer of it: no narrower hosts to name */
	bool who_to; /* the hosts named are at the edge's end ("to …"), not its start */
};

struct edges {
	struct gedge *e;
	size_t n, cap;
	bool oom;
};

static struct gedge *edge_get(struct edges *es, const char *from, const char *to, const char *what,
			      bool denied)
{
	struct gedge *e;

	for (size_t i = 0; i < es->n; i++)
		if (es->e[i].denied == denied && !strcmp(es->e[i].from, from) &&
		    !strcmp(es->e[i].to, to) && (denied || !strcmp(es->e[i].what, what)))
			return &es->e[i];
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 32;

		e = realloc(es->e, cap * sizeof(*e));
		if (!e) {
			es->oom = true;
			return NULL;
		}
		es->e = e;
		es->cap = cap;
	}
	e = &es->e[es->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->from, sizeof(e->from), "%s", from);
	snprintf(e->to, sizeof(e->to), "%s", to);
	snprintf(e->what, sizeof(e->what), "%s", denied ? "" : what);
	e->denied = denied;
	return e;
}

/* Add item to a ", "-separated list of at most max items unless it is there; "…" past it. */
static void list_add(char *list, size_t len, const char *item, unsigned max)
{
	static const char more[] = "\xe2\x80\xa6"; /* … */
	size_t n = strlen(list), k = strlen(item);
	unsigned items = n ? 1 : 0;
	const char *p = list;

	while ((p = strstr(p, item))) {
		if ((p == list || p[-1] == ' ') && (p[k] == ',' || !p[k]))
			return;
		p += k;
	}
	for (p = list; (p = strstr(p, ", ")); p += 2)
		items++;
	if (n >= 3 && !strcmp(list + n - 3, more))
		return;
	if (items < max && n + k + 6 < len)
		snprintf(list + n, len - n, "%s%s", n ? ", " : "", item);
	else if (n + sizeof(more) < len)
		snprintf(list + n, len - n, "%s", more);
}

/* An edge of peer p: from its box; the label names p when the box is wider. */
static void allowed(struct edges *es, const struct peers *ps, const struct cta_prefix *p,
		    bool p_is_from, const char *other, const char *what)
{
	const struct cta_prefix *box = box_of(ps, p);
	char id[96], a[80];
	struct gedge *e;

	peer_id(box, id, sizeof(id));
	e = edge_get(es, p_is_from ? id : other, p_is_from ? other : id, what, false);
	if (!e)
		return;
	e->conns += p->connections;
	e->bytes += p->bytes;
	e->who_to = !p_is_from;
	if (box->len == p->len)
		e->whole = true;
	else
		list_add(e->who, sizeof(e->who), cta_prefix_str(p, a, sizeof(a)), 3);
}

static void rule_edges(struct edges *es, const struct peers *ps, const struct cta_ir_rule *r)
{
	char svc[160], to[200], label[200];

	service_label(r, svc, sizeof(svc));
	if (r->dir == CTA_IR_IN) {
		snprintf(to, sizeof(to), "service %s", svc);
		for (size_t i = 0; i < r->n_src; i++)
			allowed(es, ps, &r->src[i], true, to, "");
	} else if (r->dir == CTA_IR_OUT) {
		for (size_t i = 0; i < r->n_dst; i++)
			allowed(es, ps, &r->dst[i], false, "this host", svc);
	} else {
		snprintf(label, sizeof(label), "forwarded %s", svc);
		for (size_t i = 0; i < r->n_src; i++)
			for (size_t j = 0; j < r->n_dst; j++) {
				peer_id(box_of(ps, &r->dst[j]), to, sizeof(to));
				allowed(es, ps, &r->src[i], true, to, label);
			}
	}
}

static void denied_edge(struct edges *es, const struct peers *ps, const struct cta_ir_denied *d)
{
	struct cta_prefix p, q;
	char id[96], to[96], port[32], svc[64];
	struct gedge *e;

	const struct cta_prefix *box;
	char a[80];

	host_prefix(&p, d->family, d->dir == CTA_IR_OUT ? &d->dst : &d->src);
	box = box_of(ps, &p);
	peer_id(box, id, sizeof(id));
	if (d->dir == CTA_IR_FORWARD) {
		host_prefix(&q, d->family, &d->dst);
		peer_id(box_of(ps, &q), to, sizeof(to));
	} else {
		snprintf(to, sizeof(to), "this host");
	}
	e = d->dir == CTA_IR_OUT ? edge_get(es, "this host", id, "", true)
				 : edge_get(es, id, to, "", true);
	if (!e)
		return;
	e->who_to = d->dir == CTA_IR_OUT;
	if (box->len != p.len)
		list_add(e->who, sizeof(e->who), cta_prefix_str(&p, a, sizeof(a)), 3);
	/* a protocol without ports has no service number to show */
	if (cta_proto_has_ports(d->l4proto) || cta_proto_is_icmp(d->l4proto))
		cta_ir_port_str(d->family, d->l4proto, d->port, port, sizeof(port));
	else
		port[0] = '\0';
	snprintf(svc, sizeof(svc), "%s%s%s", cta_emit_proto_word(d->l4proto), *port ? " " : "",
		 port);
	list_add(e->what, sizeof(e->what), svc, 8);
	e->conns += d->connections;
	if (!e->by[0] && !e->by_many)
		snprintf(e->by, sizeof(e->by), "%s", d->by);
	else if (strcmp(e->by, d->by)) {
		e->by_many = true;
		e->by[0] = '\0';
	}
}

static void print_edge(struct cta_buf *out, const struct gedge *e)
{
	char b[32], label[700];
	size_t n = 0;

	if (e->denied)
		n = (size_t)snprintf(label, sizeof(label), "DENIED %s\n", e->what);
	else if (*e->what)
		n = (size_t)snprintf(label, sizeof(label), "%s\n", e->what);
	if (*e->who && !e->whole && n < sizeof(label))
		n += (size_t)snprintf(label + n, sizeof(label) - n, "%s %s\n",
				      e->who_to ? "to" : "from", e->who);
	if (n < sizeof(label))
		n += (size_t)snprintf(label + n, sizeof(label) - n, "%llu conn%s",
				      (unsigned long long)e->conns, e->conns == 1 ? "" : "s");
	cta_human_bytes(e->bytes, b, sizeof(b));
	if (n < sizeof(label))
		snprintf(label + n, sizeof(label) - n, ", %s",
			 e->denied ? (e->by_many ? "by several rules" : e->by) : b);
	cta_buf_str(out, "\t");
	quoted(out, e->from);
	cta_buf_str(out, " -> ");
	quoted(out, e->to);
	cta_buf_str(out, " [label=");
	quoted(out, label);
	if (e->denied)
		cta_buf_str(out, ", style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", "
				 "constraint=false];\n");
	else
		cta_buf_printf(out, ", penwidth=%.1f];\n", width(e->conns));
}

/* Peers in their boxes, then the edges between boxes. */
static void peers_and_edges(struct cta_buf *out, const struct cta_ir *ir)
{
	struct peers ps = { 0 };
	struct edges es = { 0 };

	if (collect_peers(ir, &ps)) {
		out->oom = true;
		return;
	}
	for (size_t i = 0; i < ps.n; i++)
		if (box_of(&ps, &ps.p[i]) == &ps.p[i])
			peer_node(out, &ps.p[i]);
	for (size_t i = 0; i < ir->n_rules; i++)
		rule_edges(&es, &ps, &ir->rules[i]);
	for (size_t i = 0; i < ir->n_denied; i++)
		denied_edge(&es, &ps, &ir->denied[i]);
	for (size_t i = 0; i < es.n; i++)
		print_edge(out, &es.e[i]);
	if (es.oom)
		out->oom = true;
	free(es.e);
	free(ps.p);
}

void cta_graph_dot(const struct cta_ir *ir, const struct cta_session *s, size_t n,
		   struct cta_buf *out)
{
	char hosts[512] = "", a[40], z[40];
	const char *seen[32];
	size_t hl = 0, n_seen = 0;
	uint64_t start = 0, end = 0;

	for (size_t i = 0; i < n; i++) {
		/* a merged session names all its hosts */
		const struct cta_host *hs = s[i].n_hosts ? s[i].hosts : &s[i].host;
		size_t nh = s[i].n_hosts ? s[i].n_hosts : 1;

		for (size_t k = 0; k < nh; k++) {
			bool dup = false;

			for (size_t j = 0; j < n_seen && !dup; j++)
				dup = !strcmp(seen[j], hs[k].hostname);
			if (dup || n_seen == ARRAY_SIZE(seen) || hl >= sizeof(hosts) - 1)
				continue;
			seen[n_seen++] = hs[k].hostname;
			hl += (size_t)snprintf(hosts + hl, sizeof(hosts) - hl, "%s%s",
					       hl ? ", " : "", hs[k].hostname);
		}
		if (s[i].start_ns && (!start || s[i].start_ns < start))
			start = s[i].start_ns;
		if (s[i].end_ns > end)
			end = s[i].end_ns;
	}
	cta_format_time(start, a, sizeof(a));
	cta_format_time(end, z, sizeof(z));
	cta_buf_str(out, "digraph flows {\n");
	cta_buf_printf(out, "\tgraph [rankdir=LR, fontname=\"sans-serif\", labelloc=t, label=");
	{
		char label[760], lim[48] = "";

		if (ir->flows_limited)
			snprintf(lim, sizeof(lim), ", %llu of them partly denied",
				 (unsigned long long)ir->flows_limited);
		snprintf(label, sizeof(label),
			 "flows of %s, %s to %s (%llu allowed%s, %llu denied)", hosts, a, z,
			 (unsigned long long)(ir->flows_allowed + ir->flows_out_open), lim,
			 (unsigned long long)ir->flows_denied);
		quoted(out, label);
	}
	cta_buf_str(out, "];\n\tnode [fontname=\"sans-serif\", fontsize=10];\n"
			 "\tedge [fontname=\"sans-serif\", fontsize=9, color=\"#34495e\"];\n");
	/* the host and its services */
	cta_buf_str(out, "\tsubgraph cluster_host {\n\t\tlabel=");
	quoted(out, hosts);
	cta_buf_str(out, ";\n\t\tstyle=\"rounded,filled\";\n\t\tfillcolor=\"#f4f6f7\";\n"
			 "\t\t\"this host\" [label=\"this host\", shape=box, style=bold];\n");
	for (size_t i = 0; i < ir->n_rules; i++) {
		char id[200], svc[160];
		bool dup = false;

		if (ir->rules[i].dir != CTA_IR_IN)
			continue;
		service_label(&ir->rules[i], svc, sizeof(svc));
		/* IPv4 and IPv6 rules of one service share its node */
		for (size_t j = 0; j < i && !dup; j++) {
			char other[160];

			if (ir->rules[j].dir != CTA_IR_IN)
				continue;
			service_label(&ir->rules[j], other, sizeof(other));
			dup = !strcmp(svc, other);
		}
		if (dup)
			continue;
		snprintf(id, sizeof(id), "service %s", svc);
		cta_buf_str(out, "\t\t");
		quoted(out, id);
		cta_buf_str(out, " [label=");
		quoted(out, svc);
		cta_buf_str(out, ", shape=ellipse, style=filled, fillcolor=\"#d5f5e3\"];\n");
	}
	cta_buf_str(out, "\t}\n");
	peers_and_edges(out, ir);
	cta_buf_str(out, "}\n");
}
