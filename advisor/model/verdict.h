/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What decided a flow, and who owns it on this host: typed values the whole core
 * passes around (record, flow table, session, suggest, review, the printers). JSON is
 * only their form on disk and in -j output: cta_verdict_to_json/_from_json and
 * cta_process_to_json/_from_json (the session code) are the one place each is spelled.
 *
 * Both are immutable once made and shared by reference count, as many flows have the
 * same verdict (the same path through the same rules) and the same process.
 */
#ifndef CTA_VERDICT_H
#define CTA_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

enum cta_vkind {
	CTA_VERDICT_NONE = 0, /* nothing decided what we saw */
	CTA_VERDICT_ACCEPT,
	CTA_VERDICT_DROP,
	CTA_VERDICT_REJECT, /* a drop by a rule whose text says reject */
	CTA_VERDICT_QUEUE,
	CTA_VERDICT_STOLEN,
};

/*
 * What decided: a rule, a base chain's policy, nobody known (NFLOG alone), nothing;
 * open: accepted, and no chain on its path would have dropped it (docs/deciders.md).
 */
enum cta_vtype {
	CTA_VTYPE_NONE = 0,
	CTA_VTYPE_RULE,
	CTA_VTYPE_POLICY,
	CTA_VTYPE_UNKNOWN,
	CTA_VTYPE_OPEN,
};

/* Where the verdict was learnt; NONE: the verdict does not say. */
enum cta_vsource {
	CTA_VSOURCE_NONE = 0,
	CTA_VSOURCE_TRACE,
	CTA_VSOURCE_NFLOG,
	CTA_VSOURCE_KERNEL, /* the kernel counted it denied (nft/kcount.h); nobody named why */
	CTA_VSOURCE_REPLAY, /* review's scratch namespace: never in a session */
};

/* One rule the packet matched in a stage, or the chain's policy. */
struct cta_vrule {
	char *chain;
	char *rule; /* as `nft -a list ruleset` prints it; NULL: not known */
	char *verdict; /* "accept", "jump web", "continue"...; a policy entry: the policy */
	uint64_t handle; /* in a legacy stage: the rule's number in its chain */
	bool policy; /* the chain's policy, not a rule */
	char *nat; /* a nat chain's rule that translated: "dnat", "snat"...; or NULL */
	char *to; /* with nat: the address it translated to, as the next chain saw it */
};

/* One base chain the packet passed (and the chains it jumped to from there). */
struct cta_vstage {
	char *family, *table, *chain;
	char *hook, *policy; /* NULL: not known to be a base chain */
	char *verdict; /* what the stage did; NULL: it passed the packet on */
	char *type; /* the chain's type: "filter", "nat", "route"; NULL: not known */
	int64_t priority;
	bool has_priority;
	bool legacy; /* an iptables-legacy table's base chain (family "ip" or "ip6") */
	bool by_policy; /* with verdict: its policy ended the chain, not a rule */
	/*
	 * An accept-policy chain accepted by a rule, and a later rule on its way drops:
	 * the accept was needed (decide.h). Known where the verdict is made from a
	 * trace, for merging legacy walks into it; not kept in the session.
	 */
	bool drop_after;
	struct cta_vrule *rules;
	size_t n_rules;
};

/*
 * What decided at one hook (docs/deciders.md): a rule or policy (type RULE, POLICY),
 * or type NONE: no chain at that hook would have dropped the packet.
 */
struct cta_vdecider {
	char *hook; /* "input"...; "" when the packet crossed no filter chain */
	uint8_t type; /* enum cta_vtype: RULE, POLICY or NONE */
	uint8_t verdict; /* enum cta_vkind */
	bool has_handle;
	bool legacy; /* an iptables-legacy table's rule or policy: handle is its rule_num */
	uint64_t handle;
	char *family, *table, *chain, *rule; /* NULL with type NONE; rule: NULL if unknown */
};

struct cta_verdict {
	unsigned refs;
	uint8_t verdict; /* enum cta_vkind */
	uint8_t type; /* enum cta_vtype */
	uint8_t source; /* enum cta_vsource */
	bool has_handle, has_uid, has_gid, has_path;
	/*
	 * Decided by an iptables-legacy table: handle is then the rule's number in its
	 * chain (as iptables -L --line-numbers and the kernel's TRACE lines count), the
	 * rule its iptables-save text. On disk: "legacy": true and "rule_num".
	 */
	bool legacy;
	char *family, *table, *chain; /* where the deciding rule or policy is; or NULL */
	char *rule; /* the deciding rule's text; NULL: not known */
	uint64_t handle;
	uint32_t uid, gid; /* a denied flow's local sender, as NFLOG gave it */
	uint64_t steps_not_kept; /* rules matched beyond those kept per packet */
	struct cta_vstage *path; /* the base chains passed, in order */
	size_t n_path;
	/* one per hook an accepted packet crossed, or the chain that dropped it */
	struct cta_vdecider *deciders;
	size_t n_deciders;
};

/* The local process on this host's end of a flow. */
struct cta_process {
	unsigned refs;
	bool has_pid, has_uid, has_gid;
	uint32_t pid, uid, gid;
	char *comm, *exe, *user, *cgroup; /* NULL: not known */
};

const char *cta_verdict_name(enum cta_vkind v);
/*
 * A verdict's or a stage's family as people read it: "iptables-legacy" or
 * "ip6tables-legacy" for a legacy table's, else FAMILY ("-" when NULL).
 */
const char *cta_vfamily_shown(const char *family, bool legacy);
/* "accept"... into *v. 0 or -EINVAL. */
int cta_verdict_from_name(const char *name, enum cta_vkind *v);
const char *cta_vtype_name(enum cta_vtype t);
const char *cta_vsource_name(enum cta_vsource s);

/* A new verdict, zeroed, one reference held by the caller; NULL on ENOMEM. */
struct cta_verdict *cta_verdict_new(void);
/* A deep copy (one reference), e.g. to give a shared verdict a sender; NULL on ENOMEM. */
struct cta_verdict *cta_verdict_dup(const struct cta_verdict *v);
struct cta_verdict *cta_verdict_ref(struct cta_verdict *v);
/*
 * Where a DNAT (or redirect) on V's traced path sent the packet, as the next chain saw
 * it ("192.0.2.2:80", "[2001:db8::2]:80", an address alone), or NULL (none, or V NULL).
 * Owned by V. A flow denied after the translation has no reply tuple that says it.
 */
const char *cta_verdict_dnat_to(const struct cta_verdict *v);
/*
 * Did V's path pass rule HANDLE of CHAIN in TABLE of FAMILY ("inet", "ip"...)? With
 * LEGACY, only legacy stages count and HANDLE is the rule's number in its chain.
 */
bool cta_verdict_passed(const struct cta_verdict *v, bool legacy, const char *family,
			const char *table, const char *chain, uint64_t handle);
/* Free what a path stage owns (its strings and rules), not the stage itself. */
void cta_vstage_fini(struct cta_vstage *st);
/* Drop a reference; the last frees it. NULL is fine. */
void cta_verdict_unref(struct cta_verdict *v);
/* Field by field, path included. */
bool cta_verdict_equal(const struct cta_verdict *a, const struct cta_verdict *b);
/* The same verdict by the same decider (rule handle or policy): counted together. */
bool cta_verdict_same_decider(const struct cta_verdict *a, const struct cta_verdict *b);
/* Did it let the flow through? (accept) Deny it? (drop, reject, queue, stolen) */
bool cta_verdict_accepts(const struct cta_verdict *v);
bool cta_verdict_denies(const struct cta_verdict *v);

static inline void cta_verdict_unrefp(struct cta_verdict **v)
{
	cta_verdict_unref(*v);
}

struct cta_process *cta_process_new(void);
struct cta_process *cta_process_ref(struct cta_process *p);
void cta_process_unref(struct cta_process *p);
/*
 * The process a socket event named (one reference), its empty strings left out; a
 * name that is not UTF-8 keeps the process without its names (comm "?"). NULL on
 * ENOMEM.
 */
struct cta_process *cta_process_from_event(const struct cta_proc *pr);

static inline void cta_process_unrefp(struct cta_process **p)
{
	cta_process_unref(*p);
}

bool cta_process_equal(const struct cta_process *a, const struct cta_process *b);
/*
 * The program's command name with anything but letters, digits and ._+- made '_', for
 * rule comments and listings ("" when none is known).
 */
const char *cta_process_program(const struct cta_process *p, char *buf, size_t len);

/*
 * A flow's verdicts, one count per (verdict, decider): 3 connections accepted by rule
 * 7, 2 rejected by rule 9. A count is of connections (or denied attempts) whose first
 * packet was judged so.
 */
struct cta_vcount {
	struct cta_verdict *v; /* a reference of its own */
	uint64_t n;
};

struct cta_vtally {
	struct cta_vcount *g;
	uint32_t n, cap;
};

/*
 * n more connections judged v. A new decider takes a reference of v, a known one keeps
 * the verdict it has (the first path seen). 0 or -ENOMEM.
 */
int cta_vtally_add(struct cta_vtally *t, struct cta_verdict *v, uint64_t n);
/*
 * Up to n connections taken from t's counts of verdicts match says yes to, first
 * counts first (a decider left with none goes, its reference dropped): what a later
 * look named otherwise. How many were taken.
 */
uint64_t cta_vtally_take(struct cta_vtally *t, bool (*match)(const struct cta_verdict *v),
			 uint64_t n);
/* Every count of src added to dst. 0 or -ENOMEM. */
int cta_vtally_merge(struct cta_vtally *dst, const struct cta_vtally *src);
void cta_vtally_fini(struct cta_vtally *t);
/* Order: most connections first, then accept before the rest, then by decider. */
void cta_vtally_sort(struct cta_vtally *t);
/* The verdict most connections got (the first such); NULL when none. */
const struct cta_verdict *cta_vtally_main(const struct cta_vtally *t);
/* Connections accepted, and connections denied. */
uint64_t cta_vtally_accepted(const struct cta_vtally *t);
uint64_t cta_vtally_denied(const struct cta_vtally *t);
/* The same counts of the same verdicts, in any order. */
bool cta_vtally_equal(const struct cta_vtally *a, const struct cta_vtally *b);

#endif
