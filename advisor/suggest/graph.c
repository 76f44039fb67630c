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

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KB", "MB", "GB", "TB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
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

static void edge(struct cta_buf *out, const char *from, const char *to, const char *what,
		 uint64_t conns, uint64_t bytes)
{
	char b[32], label[256];

	human_bytes(bytes, b, sizeof(b));
	snprintf(label, sizeof(label), "%s%s%llu conn%s, %s", what, *what ? "\n" : "",
		 (unsigned long long)conns, conns == 1 ? "" : "s", b);
	cta_buf_str(out, "\t");
	quoted(out, from);
	cta_buf_str(out, " -> ");
	quoted(out, to);
	cta_buf_str(out, " [label=");
	quoted(out, label);
	cta_buf_printf(out, ", penwidth=%.1f];\n", width(conns));
}

static void rule_edges(struct cta_buf *out, const struct cta_ir_rule *r)
{
	char svc[160], id[96], to[200];

	service_label(r, svc, sizeof(svc));
	if (r->dir == CTA_IR_IN) {
		snprintf(to, sizeof(to), "service %s", svc);
		for (size_t i = 0; i < r->n_src; i++) {
			peer_id(&r->src[i], id, sizeof(id));
			edge(out, id, to, "", r->src[i].connections, r->src[i].bytes);
		}
	} else if (r->dir == CTA_IR_OUT) {
		for (size_t i = 0; i < r->n_dst; i++) {
			peer_id(&r->dst[i], id, sizeof(id));
			edge(out, "this host", id, svc, r->dst[i].connections, r->dst[i].bytes);
		}
	} else {
		char label[200];

		snprintf(label, sizeof(label), "forwarded %s", svc);
		for (size_t i = 0; i < r->n_src; i++)
			for (size_t j = 0; j < r->n_dst; j++) {
				peer_id(&r->src[i], id, sizeof(id));
				peer_id(&r->dst[j], to, sizeof(to));
				edge(out, id, to, label, r->src[i].connections, r->src[i].bytes);
			}
	}
}

/* Every peer node once, in a stable order. */
static int cmp_prefix(const void *a, const void *b)
{
	return cta_prefix_cmp(a, b);
}

static void peers(struct cta_buf *out, const struct cta_ir *ir)
{
	size_t n = 0, k = 0;
	struct cta_prefix *all;

	for (size_t i = 0; i < ir->n_rules; i++)
		n += ir->rules[i].n_src + ir->rules[i].n_dst;
	n += ir->n_denied;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all) {
		out->oom = true;
		return;
	}
	for (size_t i = 0; i < ir->n_rules; i++) {
		const struct cta_ir_rule *r = &ir->rules[i];

		for (size_t j = 0; j < r->n_src; j++)
			all[k++] = r->src[j];
		for (size_t j = 0; j < r->n_dst; j++)
			all[k++] = r->dst[j];
	}
	for (size_t i = 0; i < ir->n_denied; i++) {
		const struct cta_ir_denied *d = &ir->denied[i];
		struct cta_prefix *p = &all[k++];

		p->family = d->family;
		p->len = d->family == AF_INET ? 32 : 128;
		/* an inbound denial's peer is its source; an outbound one's its destination */
		p->addr = d->dir == CTA_IR_OUT ? d->dst : d->src;
		p->hosts = 1;
	}
	if (k)
		qsort(all, k, sizeof(*all), cmp_prefix);
	for (size_t i = 0; i < k; i++)
		if (!i || all[i].family != all[i - 1].family || all[i].len != all[i - 1].len ||
		    memcmp(&all[i].addr, &all[i - 1].addr, sizeof(all[i].addr)))
			peer_node(out, &all[i]);
	free(all);
}

static void denied_edges(struct cta_buf *out, const struct cta_ir *ir)
{
	for (size_t i = 0; i < ir->n_denied; i++) {
		const struct cta_ir_denied *d = &ir->denied[i];
		struct cta_prefix p = { .family = d->family,
					.len = d->family == AF_INET ? 32 : 128 };
		char id[96], to[96], port[32], label[320];

		p.addr = d->dir == CTA_IR_OUT ? d->dst : d->src;
		peer_id(&p, id, sizeof(id));
		/* a protocol without ports has no service number to show */
		if (cta_proto_has_ports(d->l4proto) || cta_proto_is_icmp(d->l4proto))
			cta_ir_port_str(d->family, d->l4proto, d->port, port, sizeof(port));
		else
			port[0] = '\0';
		snprintf(label, sizeof(label), "DENIED %s%s%s\n%llu conn%s, %s",
			 cta_emit_proto_word(d->l4proto), *port ? " " : "", port,
			 (unsigned long long)d->connections, d->connections == 1 ? "" : "s", d->by);
		if (d->dir == CTA_IR_FORWARD) {
			p.addr = d->dst;
			peer_id(&p, to, sizeof(to));
			/* the destination may be no allowed peer: make sure it exists */
			peer_node(out, &p);
		} else {
			snprintf(to, sizeof(to), "this host");
		}
		cta_buf_str(out, "\t");
		quoted(out, d->dir == CTA_IR_OUT ? "this host" : id);
		cta_buf_str(out, " -> ");
		quoted(out, d->dir == CTA_IR_OUT ? id : to);
		cta_buf_str(out, " [label=");
		quoted(out, label);
		cta_buf_str(out, ", style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", "
				 "constraint=false];\n");
	}
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
	peers(out, ir);
	for (size_t i = 0; i < ir->n_rules; i++)
		rule_edges(out, &ir->rules[i]);
	denied_edges(out, ir);
	cta_buf_str(out, "}\n");
}
