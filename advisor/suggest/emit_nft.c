// SPDX-License-Identifier: GPL-2.0-or-later
/* The rule model as nft syntax: named interval sets for address groups. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/suggest/emit.h"

static const char *fam_word(uint8_t family)
{
	return family == AF_INET ? "ip" : "ip6";
}

static const char *fam_suffix(uint8_t family)
{
	return family == AF_INET ? "v4" : "v6";
}

/* A group of one is written inline; more become a set of this name. */
static void set_name(const struct cta_ir_rule *r, const char *side, char *buf, size_t len)
{
	char stem[48];

	cta_emit_stem(r, stem, sizeof(stem));
	snprintf(buf, len, "%s%s%s_%s", stem, *side ? "_" : "", side, fam_suffix(r->family));
}

static void put_set(const char *indent, const struct cta_ir_rule *r, const char *side,
		    const struct cta_prefix *p, size_t n, struct cta_buf *out)
{
	char name[64], a[80], ev[64];

	if (n < 2)
		return;
	set_name(r, side, name, sizeof(name));
	cta_buf_printf(out, "%sset %s {\n", indent, name);
	cta_buf_printf(out, "%s\ttype %s\n", indent,
		       r->family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	cta_buf_printf(out, "%s\tflags interval\n", indent);
	cta_buf_printf(out, "%s\telements = {\n", indent);
	for (size_t i = 0; i < n; i++)
		cta_buf_printf(out, "%s\t\t%s comment \"%s\",\n", indent,
			       cta_prefix_str(&p[i], a, sizeof(a)),
			       cta_emit_entry_evidence(&p[i], ev, sizeof(ev)));
	cta_buf_printf(out, "%s\t}\n%s}\n", indent, indent);
}

static void put_sets(const struct cta_emit *e, const char *indent, struct cta_buf *out)
{
	const struct cta_ir *ir = e->ir;

	for (size_t i = 0; i < ir->n_rules; i++) {
		const struct cta_ir_rule *r = &ir->rules[i];
		bool fwd = r->dir == CTA_IR_FORWARD;

		if (!cta_emit_wanted(e, r))
			continue;
		put_set(indent, r, fwd ? "src" : "", r->src, r->n_src, out);
		put_set(indent, r, fwd ? "dst" : "", r->dst, r->n_dst, out);
	}
}

/*
 * The conntrack helpers the recording saw on services: one object per helper and
 * protocol, assigned where the services' first packets pass before conntrack confirms
 * them (prerouting for in and forward, output for out).
 */
static void put_helpers(const struct cta_ir *ir, const char *indent, struct cta_buf *out)
{
	static const char *const hook[CTA_IR_NDIRS] = {
		[CTA_IR_IN] = "prerouting", [CTA_IR_OUT] = "output"
	};
	const char *proto;

	for (size_t i = 0; i < ir->n_helpers; i++) {
		const struct cta_ir_helper *h = &ir->helpers[i];
		bool first = true;

		for (size_t k = 0; k < i && first; k++)
			first = strcmp(ir->helpers[k].name, h->name) ||
				ir->helpers[k].l4proto != h->l4proto;
		if (!first)
			continue;
		proto = cta_emit_proto_word(h->l4proto);
		cta_buf_printf(out, "%sct helper %s-%s {\n%s\ttype \"%s\" protocol %s\n%s}\n",
			       indent, h->name, proto, indent, h->name, proto, indent);
	}
	for (int d = CTA_IR_IN; d <= CTA_IR_OUT; d++) {
		bool any = false;

		for (size_t i = 0; i < ir->n_helpers; i++) {
			const struct cta_ir_helper *h = &ir->helpers[i];

			if (h->dir != d)
				continue;
			if (!any)
				cta_buf_printf(
					out,
					"%schain helpers_%s {\n%s\ttype filter hook %s priority "
					"filter; policy accept;\n",
					indent, d == CTA_IR_IN ? "in" : "out", indent, hook[d]);
			any = true;
			proto = cta_emit_proto_word(h->l4proto);
			cta_buf_printf(
				out,
				"%s\t%s dport %u ct helper set \"%s-%s\" comment \"%llu conn%s "
				"had the %s helper\"\n",
				indent, proto, h->port, h->name, proto,
				(unsigned long long)h->connections, h->connections == 1 ? "" : "s",
				h->name);
		}
		if (any)
			cta_buf_printf(out, "%s}\n", indent);
	}
}

/* "ip saddr @in_tcp_22_v4 " or "ip saddr 198.51.100.7 " */
static void put_match(const struct cta_ir_rule *r, const char *dirword, const char *side,
		      const struct cta_prefix *p, size_t n, struct cta_buf *out)
{
	char buf[80];

	if (!n)
		return;
	if (n == 1) {
		cta_buf_printf(out, "%s %s %s ", fam_word(r->family), dirword,
			       cta_prefix_str(p, buf, sizeof(buf)));
		return;
	}
	set_name(r, side, buf, sizeof(buf));
	cta_buf_printf(out, "%s %s @%s ", fam_word(r->family), dirword, buf);
}

static void put_service(const struct cta_ir_rule *r, struct cta_buf *out)
{
	char p[32];
	bool icmp = cta_proto_is_icmp(r->l4proto);

	if (!cta_proto_has_ports(r->l4proto) && !icmp) {
		cta_buf_printf(out, "meta l4proto %u ", (unsigned)r->l4proto);
		return;
	}
	if (icmp)
		cta_buf_printf(out, "%s type ", r->l4proto == 58 ? "icmpv6" : "icmp");
	else
		cta_buf_printf(out, "%s dport ", cta_proto_name(r->l4proto));
	if (r->n_ports > 1)
		cta_buf_str(out, "{ ");
	for (size_t i = 0; i < r->n_ports; i++)
		cta_buf_printf(out, "%s%s", i ? ", " : "",
			       cta_ir_port_str(r->family, r->l4proto, r->ports[i], p, sizeof(p)));
	cta_buf_str(out, r->n_ports > 1 ? " } " : " ");
}

static void put_rules(const struct cta_emit *e, enum cta_ir_dir dir, const char *indent,
		      struct cta_buf *out)
{
	const struct cta_ir *ir = e->ir;

	for (size_t i = 0; i < ir->n_rules; i++) {
		const struct cta_ir_rule *r = &ir->rules[i];
		char ev[128];

		if (r->dir != dir)
			continue;
		cta_buf_str(out, indent);
		put_match(r, "saddr", dir == CTA_IR_FORWARD ? "src" : "", r->src, r->n_src, out);
		put_match(r, "daddr", dir == CTA_IR_FORWARD ? "dst" : "", r->dst, r->n_dst, out);
		put_service(r, out);
		if (r->owner >= 0)
			cta_buf_printf(out, "meta skuid %lld ", (long long)r->owner);
		if (r->dnat)
			cta_buf_str(out, "ct status dnat ");
		cta_buf_printf(out, "accept comment \"%s\"\n", cta_ir_evidence(r, ev, sizeof(ev)));
	}
	cta_emit_denied(e, dir, indent, out);
}

void cta_emit_nft_fill(void *ctx, enum cta_ph ph, const char *indent, struct cta_buf *out)
{
	const struct cta_emit *e = ctx;

	switch (ph) {
	case CTA_PH_TABLE:
		cta_buf_str(out, e->table);
		break;
	case CTA_PH_TEMPLATE:
		cta_buf_str(out, e->template_name);
		break;
	case CTA_PH_OUTPUT_POLICY:
		cta_buf_str(out, e->restrict_output ? "drop" : "accept");
		break;
	case CTA_PH_SETS:
		put_sets(e, indent, out);
		put_helpers(e->ir, indent, out);
		break;
	case CTA_PH_INPUT:
		put_rules(e, CTA_IR_IN, indent, out);
		break;
	case CTA_PH_OUTPUT:
		put_rules(e, CTA_IR_OUT, indent, out);
		break;
	case CTA_PH_FORWARD:
		put_rules(e, CTA_IR_FORWARD, indent, out);
		break;
	default:
		break;
	}
}
