// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule model as iptables-restore input (iptables-legacy has no sets without
 * ipset): an address group of more than one entry becomes a user chain of ACCEPT
 * rules, one per prefix, that the service rule jumps to.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/suggest/emit.h"

#define MULTIPORT_MAX 15 /* xt_multiport: ports per rule */

static const char *const builtin[] = { "INPUT", "OUTPUT", "FORWARD" };

/* The group chain's name: the rule's stem, with _src/_dst when forwarded. */
static void chain_name(const struct cta_ir_rule *r, const char *side, char *buf, size_t len)
{
	char stem[48];

	cta_emit_stem(r, stem, sizeof(stem));
	snprintf(buf, len, "%s%s%s", stem, *side ? "_" : "", side);
}

/* The side a group chain is made for, or NULL when no chain is needed. */
static const char *group_side(const struct cta_ir_rule *r)
{
	if (r->dir == CTA_IR_OUT)
		return r->n_dst > 1 ? "" : NULL;
	if (r->n_src > 1)
		return r->dir == CTA_IR_FORWARD ? "src" : "";
	return NULL;
}

static void put_chains(const struct cta_emit *e, struct cta_buf *out)
{
	for (size_t i = 0; i < e->ir->n_rules; i++) {
		const struct cta_ir_rule *r = &e->ir->rules[i];
		const char *side = group_side(r);
		char name[64];

		if (!cta_emit_wanted(e, r) || !side)
			continue;
		chain_name(r, side, name, sizeof(name));
		cta_buf_printf(out, ":%s - [0:0]\n", name);
	}
}

static void put_addr(const char *opt, const struct cta_prefix *p, struct cta_buf *out)
{
	char a[80];
	unsigned full = p->family == AF_INET ? 32 : 128;

	cta_prefix_str(p, a, sizeof(a));
	cta_buf_printf(out, " %s %s%s", opt, a,
		       p->len == full ? (full == 32 ? "/32" : "/128") : "");
}

static void put_proto(const struct cta_ir_rule *r, const uint16_t *ports, size_t n,
		      struct cta_buf *out)
{
	if (r->l4proto == 1) {
		cta_buf_printf(out, " -p icmp --icmp-type %u", (unsigned)ports[0]);
		return;
	}
	if (r->l4proto == 58) {
		cta_buf_printf(out, " -p ipv6-icmp -m icmp6 --icmpv6-type %u", (unsigned)ports[0]);
		return;
	}
	if (!cta_proto_has_ports(r->l4proto)) {
		cta_buf_printf(out, " -p %u", (unsigned)r->l4proto);
		return;
	}
	cta_buf_printf(out, " -p %s -m multiport --dports ", cta_proto_name(r->l4proto));
	for (size_t i = 0; i < n; i++)
		cta_buf_printf(out, "%s%u", i ? "," : "", (unsigned)ports[i]);
}

/* One service rule (several when ports, ICMP types or destinations need it). */
static void put_rule(const struct cta_ir_rule *r, struct cta_buf *out)
{
	const char *side = group_side(r), *chain = builtin[r->dir];
	bool icmp = cta_proto_is_icmp(r->l4proto);
	size_t step = icmp ? 1 : MULTIPORT_MAX;
	size_t n_dst = r->dir == CTA_IR_FORWARD ? r->n_dst : 1;
	char target[64], ev[128];
	uint16_t none = 0;

	cta_ir_evidence(r, ev, sizeof(ev));
	if (side)
		chain_name(r, side, target, sizeof(target));
	else
		snprintf(target, sizeof(target), "ACCEPT");
	for (size_t d = 0; d < n_dst; d++) {
		for (size_t p = 0; p < (r->n_ports ? r->n_ports : 1); p += step) {
			size_t n = r->n_ports - p < step ? r->n_ports - p : step;

			cta_buf_printf(out, "-A %s", chain);
			if (r->dir != CTA_IR_OUT && r->n_src == 1)
				put_addr("-s", &r->src[0], out);
			if (r->dir == CTA_IR_FORWARD)
				put_addr("-d", &r->dst[d], out);
			if (r->dir == CTA_IR_OUT && r->n_dst == 1)
				put_addr("-d", &r->dst[0], out);
			put_proto(r, r->n_ports ? r->ports + p : &none, r->n_ports ? n : 0, out);
			if (r->owner >= 0)
				cta_buf_printf(out, " -m owner --uid-owner %lld",
					       (long long)r->owner);
			if (r->dnat)
				cta_buf_str(out, " -m conntrack --ctstate DNAT");
			cta_buf_printf(out, " -m comment --comment \"%s\" -j %s\n", ev, target);
		}
	}
	if (!side)
		return;
	/* the group itself: one ACCEPT per prefix, with what was seen from it */
	const struct cta_prefix *g = r->dir == CTA_IR_OUT ? r->dst : r->src;
	size_t ng = r->dir == CTA_IR_OUT ? r->n_dst : r->n_src;

	for (size_t i = 0; i < ng; i++) {
		cta_buf_printf(out, "-A %s", target);
		put_addr(r->dir == CTA_IR_OUT ? "-d" : "-s", &g[i], out);
		cta_buf_printf(out, " -m comment --comment \"%s\" -j ACCEPT\n",
			       cta_emit_entry_evidence(&g[i], ev, sizeof(ev)));
	}
}

static void put_rules(const struct cta_emit *e, enum cta_ir_dir dir, struct cta_buf *out)
{
	for (size_t i = 0; i < e->ir->n_rules; i++)
		if (e->ir->rules[i].dir == dir && cta_emit_wanted(e, &e->ir->rules[i]))
			put_rule(&e->ir->rules[i], out);
	cta_emit_denied(e, dir, "", out);
}

void cta_emit_ipt_fill(void *ctx, enum cta_ph ph, const char *indent, struct cta_buf *out)
{
	const struct cta_emit *e = ctx;

	(void)indent; /* iptables-restore lines are never indented */
	switch (ph) {
	case CTA_PH_TEMPLATE:
		cta_buf_str(out, e->template_name);
		break;
	case CTA_PH_OUTPUT_POLICY:
		cta_buf_str(out, e->restrict_output ? "DROP" : "ACCEPT");
		break;
	case CTA_PH_CHAINS:
		put_chains(e, out);
		break;
	case CTA_PH_INPUT:
		put_rules(e, CTA_IR_IN, out);
		break;
	case CTA_PH_OUTPUT:
		put_rules(e, CTA_IR_OUT, out);
		break;
	case CTA_PH_FORWARD:
		put_rules(e, CTA_IR_FORWARD, out);
		break;
	default:
		break;
	}
}
