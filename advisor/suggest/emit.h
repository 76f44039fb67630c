/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printing the rule model into a template: nft (emit_nft.c) and iptables-restore (emit_ipt.c). */
#ifndef CTA_EMIT_H
#define CTA_EMIT_H

#include "advisor/lib/buf.h"
#include "advisor/suggest/ir.h"
#include "advisor/suggest/template.h"

enum cta_format {
	CTA_FORMAT_NFT = 0,
	CTA_FORMAT_IPTABLES, /* IPv4 rules, iptables-restore */
	CTA_FORMAT_IP6TABLES, /* IPv6 rules, ip6tables-restore */
};

struct cta_emit {
	const struct cta_ir *ir;
	const struct cta_tmpl *tmpl;
	enum cta_format format;
	const char *template_name;
	const char *table; /* nft table name */
	bool restrict_output;
	const char *header; /* lines said first, each already starting with "# " */
	unsigned max_denied; /* denied flows listed per chain before "and N more" */
};

/* The whole file into out (its oom flag tells of a failure). */
void cta_emit(const struct cta_emit *e, struct cta_buf *out);

/* Shared by the emitters. */
uint8_t cta_emit_family(const struct cta_emit *e); /* 0: both (nft) */
/* Does the format write this family (nft: both)? */
bool cta_emit_family_ok(const struct cta_emit *e, uint8_t family);
/* Has the template a block for the rules of DIR ({{input}} always; {{output}}, {{forward}})? */
bool cta_emit_has_block(const struct cta_emit *e, enum cta_ir_dir dir);
/* Does the rule go in this file: its family, and a block of the template to hold it? */
bool cta_emit_wanted(const struct cta_emit *e, const struct cta_ir_rule *r);
/* "tcp", "udp", "icmp", "icmpv6", or "p47": a word for names */
const char *cta_emit_proto_word(uint8_t l4proto);
/* in_tcp_22, out_udp_53_dnat, fwd3: the stem of a rule's group names */
void cta_emit_stem(const struct cta_ir_rule *r, char *buf, size_t len);
/* The denied flows of one direction, as comment lines under a heading. */
void cta_emit_denied(const struct cta_emit *e, enum cta_ir_dir dir, const char *indent,
		     struct cta_buf *out);
/*
 * The denied flows of the directions the template has no block for, as "#   " comment
 * lines tagged with their direction, without a heading: for the header to list.
 */
void cta_emit_denied_unplaced(const struct cta_emit *e, struct cta_buf *out);
/* "2 hosts, 9 conns" for a group entry. */
const char *cta_emit_entry_evidence(const struct cta_prefix *p, char *buf, size_t len);

void cta_emit_nft_fill(void *ctx, enum cta_ph ph, const char *indent, struct cta_buf *out);
void cta_emit_ipt_fill(void *ctx, enum cta_ph ph, const char *indent, struct cta_buf *out);

#endif
