// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/suggest/emit.h"
#include "advisor/lib/util.h"

uint8_t cta_emit_family(const struct cta_emit *e)
{
	switch (e->format) {
	case CTA_FORMAT_IPTABLES:
		return AF_INET;
	case CTA_FORMAT_IP6TABLES:
		return AF_INET6;
	default:
		return 0;
	}
}

bool cta_emit_family_ok(const struct cta_emit *e, uint8_t family)
{
	uint8_t fam = cta_emit_family(e);

	return !fam || family == fam;
}

bool cta_emit_has_block(const struct cta_emit *e, enum cta_ir_dir dir)
{
	if (dir == CTA_IR_FORWARD)
		return cta_tmpl_has(e->tmpl, CTA_PH_FORWARD);
	if (dir == CTA_IR_OUT)
		return cta_tmpl_has(e->tmpl, CTA_PH_OUTPUT);
	return true;
}

bool cta_emit_wanted(const struct cta_emit *e, const struct cta_ir_rule *r)
{
	return cta_emit_family_ok(e, r->family) && cta_emit_has_block(e, r->dir);
}

const char *cta_emit_proto_word(uint8_t l4proto)
{
	static char buf[8];

	if (l4proto == 58)
		return "icmpv6";
	if (cta_proto_name(l4proto) && (cta_proto_has_ports(l4proto) || l4proto == 1))
		return cta_proto_name(l4proto);
	snprintf(buf, sizeof(buf), "p%u", (unsigned)l4proto);
	return buf;
}

void cta_emit_stem(const struct cta_ir_rule *r, char *buf, size_t len)
{
	static const char *const dirs[] = { "in", "out", "fwd" };

	if (r->dir == CTA_IR_FORWARD) {
		snprintf(buf, len, "fwd%u", r->index);
		return;
	}
	/* a service is in one rule per family and dnat: its first port names it */
	char port[16] = "";

	if (r->n_ports)
		snprintf(port, sizeof(port), "_%u", (unsigned)r->ports[0]);
	snprintf(buf, len, "%s_%s%s%s", dirs[r->dir], cta_emit_proto_word(r->l4proto), port,
		 r->dnat ? "_dnat" : "");
}

const char *cta_emit_entry_evidence(const struct cta_prefix *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u host%s, %llu conn%s", (unsigned)p->hosts, p->hosts == 1 ? "" : "s",
		 (unsigned long long)p->connections, p->connections == 1 ? "" : "s");
	return buf;
}

/*
 * The denied flows of DIR as comment lines under HEADING (said before the first),
 * each tagged with TAG ("" or " (forward)"); up to e->max_denied, then how many more.
 */
static void denied_lines(const struct cta_emit *e, enum cta_ir_dir dir, const char *indent,
			 const char *heading, const char *tag, struct cta_buf *out)
{
	const struct cta_ir *ir = e->ir;
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < ir->n_denied; i++) {
		const struct cta_ir_denied *d = &ir->denied[i];
		char s[64], t[64], port[32], when[40];

		if (d->dir != dir || !cta_emit_family_ok(e, d->family))
			continue;
		if (shown == e->max_denied) {
			more++;
			continue;
		}
		if (!shown++ && heading)
			cta_buf_printf(out, "%s# %s\n", indent, heading);
		cta_addr_str(d->family, &d->src, s, sizeof(s));
		cta_addr_str(d->family, &d->dst, t, sizeof(t));
		cta_format_time(d->first_ns, when, sizeof(when));
		cta_buf_printf(out, "%s#   %s %s -> %s", indent, cta_emit_proto_word(d->l4proto), s,
			       t);
		if (cta_proto_has_ports(d->l4proto) || cta_proto_is_icmp(d->l4proto))
			cta_buf_printf(out, " %s %s",
				       cta_proto_is_icmp(d->l4proto) ? "type" : "port",
				       cta_ir_port_str(d->family, d->l4proto, d->port, port,
						       sizeof(port)));
		cta_buf_printf(out, "%s: %llu conn%s from %.16sZ, %s\n", tag,
			       (unsigned long long)d->connections, d->connections == 1 ? "" : "s",
			       when, d->by);
	}
	if (more)
		cta_buf_printf(
			out, "%s#   ... and %zu more (conntrack-advise flows SESSION lists them)\n",
			indent, more);
}

void cta_emit_denied(const struct cta_emit *e, enum cta_ir_dir dir, const char *indent,
		     struct cta_buf *out)
{
	/* an open output chain lets them through: its policy, not a rule, allows them */
	bool open = dir == CTA_IR_OUT && !e->restrict_output;

	denied_lines(e, dir, indent,
		     open ? "denied while recording, yet allowed here (output stays open "
			    "without --restrict-output):"
			  : "denied while recording, so not allowed here (--allow-denied "
			    "allows them):",
		     "", out);
}

void cta_emit_denied_unplaced(const struct cta_emit *e, struct cta_buf *out)
{
	static const char *const tag[CTA_IR_NDIRS] = { " (in)", " (out)", " (forward)" };

	if (e->ir->n_denied &&
	    (!cta_emit_has_block(e, CTA_IR_OUT) || !cta_emit_has_block(e, CTA_IR_FORWARD)))
		for (int d = 0; d < CTA_IR_NDIRS; d++)
			if (!cta_emit_has_block(e, (enum cta_ir_dir)d))
				denied_lines(e, (enum cta_ir_dir)d, "", NULL, tag[d], out);
}

void cta_emit(const struct cta_emit *e, struct cta_buf *out)
{
	if (e->header)
		cta_buf_str(out, e->header);
	cta_tmpl_render(e->tmpl,
			e->format == CTA_FORMAT_NFT ? cta_emit_nft_fill : cta_emit_ipt_fill,
			(void *)e, out);
}
