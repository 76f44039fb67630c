/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rule model: what suggest decided to allow, before any syntax. Built once from
 * the sessions; the nft and iptables emitters both print from it.
 */
#ifndef CTA_IR_H
#define CTA_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advisor/suggest/group.h"
#include "advisor/model/session.h"

enum cta_ir_dir {
	CTA_IR_IN = 0, /* to the host's own addresses: sources matter */
	CTA_IR_OUT, /* from the host: destinations matter */
	CTA_IR_FORWARD, /* through the host: sources and destinations */
	CTA_IR_NDIRS,
};

struct cta_ir_opts {
	struct cta_group_opts group;
	bool restrict_output; /* outbound flows become output rules */
	bool allow_denied; /* denied flows become rules like the others */
	bool per_process; /* outbound rules match the owning uid (meta skuid) */
};

/*
 * One accept rule: a protocol, the service ports (ICMP: types; empty for protocols
 * without ports) and the address groups, all as the filter hook sees them: for a
 * translated flow the destination after DNAT, with dnat set.
 */
struct cta_ir_rule {
	uint8_t dir; /* enum cta_ir_dir */
	uint8_t family;
	uint8_t l4proto;
	bool dnat; /* every flow of the rule was DNATed: match on that too */
	int64_t owner; /* OUT with --per-process: the sockets' uid; -1: any */
	char programs[40]; /* "curl,sshd,+2": the local programs of its flows */
	uint16_t *ports;
	size_t n_ports;
	struct cta_prefix *src; /* IN, FORWARD */
	size_t n_src;
	struct cta_prefix *dst; /* OUT, FORWARD */
	size_t n_dst;
	/* evidence */
	uint64_t flows, connections, bytes, first_ns, last_ns;
	uint64_t limited; /* attempts of its flows that were denied (rate limits) */
	uint32_t peers; /* distinct remote hosts (sources; OUT: destinations) */
	bool was_denied; /* holds flows denied while recording (--allow-denied) */
	unsigned index; /* 1-based among the rules of its direction, for names */
};

/* A denied flow, as a comment: not allowed unless asked. */
struct cta_ir_denied {
	uint8_t dir, family, l4proto;
	uint16_t port; /* or ICMP type; 0 without ports */
	union cta_addr src, dst;
	uint64_t connections, first_ns, last_ns;
	char by[160]; /* "reject by rule inet fw input handle 9" */
	/*
	 * Denied after a DNAT its trace saw (no reply tuple says it): where the DNAT sent
	 * it, as the service it would have reached is keyed (its port; 0: kept)
	 */
	bool dnat;
	union cta_addr dnat_dst;
	uint16_t dnat_port;
};

/*
 * A service whose connections had a conntrack helper ("ftp" on tcp port 21): the
 * suggestion assigns it too, or the helper's related connections (passive FTP's data
 * connections) are no longer expected and the template's ct state related lets none in.
 */
struct cta_ir_helper {
	char name[CTA_HELPER_NAME_MAX];
	uint8_t dir, l4proto; /* dir: IN and FORWARD assign at prerouting, OUT at output */
	uint16_t port;
	uint64_t flows, connections;
};

/*
 * A protection the recorded flows went through that the suggestion does not carry
 * over, once per rule: synproxy (the kernel answers the SYN and proxies the handshake),
 * and notrack (which synproxy needs on the client's SYN). The suggestion's plain accept
 * lets the same connections in without them; it says so, and they go back by hand.
 */
struct cta_ir_protection {
	char kind[16]; /* "synproxy", "notrack" */
	char where[160]; /* "inet filter input" */
	char rule[256]; /* the rule's text, cut to fit */
	uint64_t flows; /* allowed flows whose first packet went through it */
	uint64_t last_flow; /* while building: the number of the flow counted last */
};

/*
 * Flows of one direction and family, for what one file holds of them (suggest's
 * header): the format may write one family only, the template may have no block for
 * a direction.
 */
struct cta_ir_tally {
	uint64_t allowed; /* became rules (with --allow-denied, denied ones too) */
	uint64_t denied; /* denied while recording (with --allow-denied, in allowed too) */
	uint64_t related; /* a helper expected them: ct state related */
	uint64_t limited; /* allowed, though some attempts were denied */
};

struct cta_ir {
	struct cta_ir_rule *rules;
	size_t n_rules;
	struct cta_ir_helper *helpers;
	size_t n_helpers;
	struct cta_ir_protection *protections;
	size_t n_protections;
	struct cta_ir_denied *denied;
	size_t n_denied;
	/* flows that became no rule, and why */
	uint64_t flows_total, flows_local, flows_unknown, flows_out_open;
	uint64_t flows_related; /* a helper expected them: ct state related, never a port */
	uint64_t flows_leftover; /* only leftovers of before the recording: no evidence */
	uint64_t flows_allowed, flows_denied;
	uint64_t flows_limited; /* allowed, though some attempts were denied (rate limits) */
	/* by direction and family (0 IPv4, 1 IPv6); OUT without --restrict-output: denied only */
	struct cta_ir_tally by[CTA_IR_NDIRS][2];
	uint64_t first_ns, last_ns;
};

/* Build the model from every flow of the sessions. 0 or -ENOMEM. */
int cta_ir_build(const struct cta_ir_opts *o, const struct cta_session *sessions, size_t n,
		 struct cta_ir *ir);
void cta_ir_fini(struct cta_ir *ir);

/* Was this flow denied while recording (never let through)? */
bool cta_flow_denied(const struct cta_flow *f, const struct cta_vtally *verdicts);
/*
 * Is every connection of this flow a leftover of the time before the recording
 * (flow.h: already closing at the start-up dump, nothing of it seen since), and none
 * judged? Then it says nothing of what the ruleset let through while recording, and
 * nothing of it needs to keep working: no rule is made of it, review does not replay it.
 */
bool cta_flow_leftover(const struct cta_flow *f, const struct cta_vtally *verdicts);
/* Rules of one direction in model order; counts them. */
size_t cta_ir_count(const struct cta_ir *ir, enum cta_ir_dir dir, uint8_t family);

/* "22", "echo-request"...: a port or ICMP type as nft writes it, into buf. */
const char *cta_ir_port_str(uint8_t family, uint8_t l4proto, uint16_t port, char *buf, size_t len);
/*
 * "12 conns from 3 hosts, 2026-11-23T20:43Z..2026-11-24T08:10Z, by sshd" (fits a
 * comment).
 */
const char *cta_ir_evidence(const struct cta_ir_rule *r, char *buf, size_t len);

#endif
