/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iptables-legacy rules as `iptables-save` prints them, numbered as the kernel numbers
 * them in its TRACE lines: a chain's rules count from 1 in the order of their `-A`
 * lines; `return:N` and `policy:N` are the N-th position, one past the last rule.
 * Also the TRACE prefix itself (`TRACE: filter:INPUT:rule:1 `), which ip_tables logs
 * for every rule a packet with nf_trace set passes (net/ipv4/netfilter/ip_tables.c,
 * trace_packet(); checked on this project's kernel, docs/design.md).
 */
#ifndef CTA_IPTSAVE_H
#define CTA_IPTSAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* XT_TABLE_MAXNAMELEN, XT_EXTENSION_MAXNAMELEN (linux/netfilter/x_tables.h) */
#define CTA_IPT_TABLE_LEN 32
#define CTA_IPT_CHAIN_LEN 29

struct cta_ipt_rule {
	unsigned num; /* 1-based within its chain */
	const char *text; /* the whole line, "-A INPUT -p tcp ... -j ACCEPT" */
	const char *target; /* "ACCEPT", "DROP", a chain's name, ...; "" with none */
	bool is_goto; /* -g: the chain is entered without a way back */
};

struct cta_ipt_chain {
	char name[CTA_IPT_CHAIN_LEN];
	char policy[16]; /* "ACCEPT", "DROP"; "" for a chain of the user's */
	size_t first, n; /* its rules: table's rules[first .. first + n) */
};

struct cta_ipt_table {
	char name[CTA_IPT_TABLE_LEN];
	struct cta_ipt_chain *chains;
	size_t nchains;
	struct cta_ipt_rule *rules;
	size_t nrules;
};

struct cta_iptsave {
	struct cta_ipt_table *tables;
	size_t ntables;
	char *text; /* the input, its lines cut in place; rules point into it */
};

/*
 * Parse TEXT (LEN bytes, not necessarily NUL-terminated), as iptables-save or
 * ip6tables-save print it. On success *OUT is the caller's (cta_iptsave_free).
 * Returns 0, -ENOMEM, or -EBADMSG with *BAD_LINE (1-based) set to the line that is
 * not iptables-save output (a rule before `*table`, a rule of an undeclared chain,
 * a name too long for the kernel, a table twice or without COMMIT).
 */
int cta_iptsave_parse(const char *text, size_t len, struct cta_iptsave **out, unsigned *bad_line);
void cta_iptsave_free(struct cta_iptsave *s);

const struct cta_ipt_table *cta_iptsave_table(const struct cta_iptsave *s, const char *table);
const struct cta_ipt_chain *cta_iptsave_chain(const struct cta_ipt_table *t, const char *chain);
/* Rule NUM (1-based) of CHAIN in TABLE, or NULL. */
const struct cta_ipt_rule *cta_iptsave_rule(const struct cta_iptsave *s, const char *table,
					    const char *chain, unsigned num);

/*
 * Does this ruleset decide anything? False when every table has only built-in chains
 * with policy ACCEPT and no rule (what `iptables-legacy-restore --test` or a bare
 * `iptables-legacy -L` leaves behind).
 */
bool cta_iptsave_decides(const struct cta_iptsave *s);
/* The same of one table: a rule, a chain of the user's, or a policy other than ACCEPT. */
bool cta_ipt_table_decides(const struct cta_ipt_table *t);

/* What a candidate file is meant for. */
enum cta_ipt_file {
	CTA_IPT_FILE_NFT = 0, /* not iptables-restore input: an nft ruleset */
	CTA_IPT_FILE_LEGACY, /* iptables-restore input for iptables-legacy */
	CTA_IPT_FILE_IPTNFT, /* iptables-restore input for iptables-nft */
	CTA_IPT_FILE_UNMARKED, /* iptables-restore input that does not say which */
};

/*
 * Tell TEXT (LEN bytes) apart: nft ruleset, or iptables-restore input (its first line
 * that is neither blank nor a comment starts a table, `*filter`). Which iptables it is
 * for comes from its comments: `(nf_tables)` or `iptables-nft` (iptables-nft-save's
 * header) says iptables-nft; `iptables-legacy`, or iptables-save's or ip6tables-save's
 * own header without `(nf_tables)` (what iptables-legacy-save writes), or suggest's
 * `format iptables`/`format ip6tables` say iptables-legacy. *FAMILY gets AF_INET6 when
 * the comments name ip6tables or the rules IPv6 (icmp6, an address with "::"), else
 * AF_INET.
 */
enum cta_ipt_file cta_ipt_file_kind(const char *text, size_t len, int *family);

enum cta_ipt_trace_type { CTA_IPT_TRACE_RULE, CTA_IPT_TRACE_RETURN, CTA_IPT_TRACE_POLICY };

struct cta_ipt_trace {
	char table[CTA_IPT_TABLE_LEN];
	char chain[CTA_IPT_CHAIN_LEN];
	enum cta_ipt_trace_type type;
	unsigned num;
};

/*
 * One NFLOG prefix `TRACE: TABLE:CHAIN:TYPE:NUM ` (LEN bytes, NUL or not). 0, or
 * -EPROTO when it is not a TRACE line (another logger's prefix), -EBADMSG when it
 * starts like one but is malformed.
 */
int cta_ipt_trace_parse(const char *prefix, size_t len, struct cta_ipt_trace *t);
const char *cta_ipt_trace_type_name(enum cta_ipt_trace_type type);

#endif
