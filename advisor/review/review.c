// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/review/review.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/host.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/suggest/ir.h"
#include "advisor/lib/util.h"

#define HOT_SHARE 20 /* a rule deciding this percentage of connections is hot ... */
#define HOT_POSITION 5 /* ... when this many rules or more come before it */
#define POLICY_EXAMPLES 3

bool cta_review_passes(json_t *v)
{
	const char *verdict = cta_jstr(v, "verdict");

	return v && (!strcmp(verdict, "accept") || !strcmp(verdict, "none"));
}

void cta_review_classify(struct cta_review_flow *rf)
{
	/* a connection the kernel confirmed got through (SSH_CONNECTION's too) */
	rf->worked = !cta_flow_denied(&rf->flow, rf->recorded);
	if (!rf->candidate)
		rf->change = CTA_RV_UNJUDGED;
	else if (rf->worked && !cta_review_passes(rf->candidate))
		rf->change = CTA_RV_BREAKS;
	else if (!rf->worked && cta_review_passes(rf->candidate))
		rf->change = CTA_RV_OPENS;
	else
		rf->change = CTA_RV_SAME;
}

int cta_review_ssh_flow(const char *ssh, struct cta_flow *f, uint16_t *ssh_port)
{
	char c[64], s[64];
	unsigned cp, sp;
	uint8_t fc, fs;

	memset(f, 0, sizeof(*f));
	if (!ssh || sscanf(ssh, "%63s %u %63s %u", c, &cp, s, &sp) != 4 || !cp || cp > 65535 ||
	    !sp || sp > 65535 || cta_addr_parse(c, &fc, &f->key.src) ||
	    cta_addr_parse(s, &fs, &f->key.dst) || fc != fs)
		return -EINVAL;
	f->key.family = fc;
	f->key.l4proto = IPPROTO_TCP;
	f->key.dport = (uint16_t)sp;
	f->key.reply_src = f->key.dst;
	f->key.reply_dst = f->key.src;
	f->key.reply_sport = (uint16_t)sp;
	f->sport_min = f->sport_max = f->rdport_min = f->rdport_max = (uint16_t)cp;
	f->direction = CTA_DIR_IN;
	f->reached = CTA_REACHED_ASSURED;
	f->connections = 1;
	*ssh_port = (uint16_t)sp;
	return 0;
}

static int rank(const struct cta_review_flow *r)
{
	/* the session we are on ($SSH_CONNECTION: recorded nowhere), then recorded ones */
	if (r->management && r->change == CTA_RV_BREAKS)
		return r->recorded ? 1 : 0;
	return 2 + (int)r->change;
}

static int review_cmp(const void *pa, const void *pb)
{
	const struct cta_review_flow *a = pa, *b = pb;
	int x = rank(a), y = rank(b);

	if (x != y)
		return x < y ? -1 : 1;
	return cta_flow_cmp(&a->flow, &b->flow);
}

void cta_review_sort(struct cta_review_flow *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), review_cmp);
}

const char *cta_review_change_name(enum cta_review_change c)
{
	switch (c) {
	case CTA_RV_BREAKS:
		return "BREAKS";
	case CTA_RV_OPENS:
		return "opens";
	case CTA_RV_SAME:
		return "ok";
	default:
		return "not judged";
	}
}

/* Did any candidate path pass this rule? */
static bool reached(const struct cta_review_flow *v, size_t n, const char *family,
		    const char *table, const char *chain, uint64_t handle)
{
	for (size_t i = 0; i < n; i++) {
		json_t *stage, *rule;
		size_t a, b;

		json_array_foreach(json_object_get(v[i].candidate, "path"), a, stage) {
			if (strcmp(cta_jstr(stage, "family"), family) ||
			    strcmp(cta_jstr(stage, "table"), table))
				continue;
			json_array_foreach(json_object_get(stage, "rules"), b, rule)
				if (!strcmp(cta_jstr(rule, "chain"), chain) &&
				    (uint64_t)json_integer_value(json_object_get(rule, "handle")) ==
					    handle)
					return true;
		}
	}
	return false;
}

static bool listed(json_t *tables, const char *family, const char *table)
{
	json_t *t;
	size_t i;
	char key[300];

	snprintf(key, sizeof(key), "%s %s", family, table);
	json_array_foreach(tables, i, t)
		if (!strcmp(json_string_value(t), key))
			return true;
	return false;
}

json_t *cta_review_no_evidence(const struct cta_ruleset *rs, json_t *tables,
			       const struct cta_review_flow *v, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; out && i < cta_ruleset_rule_count(rs); i++) {
		const char *table, *chain, *text, *fam;
		uint64_t handle;
		uint8_t family;

		text = cta_ruleset_rule_at(rs, i, &family, &table, &chain, &handle);
		fam = cta_nfproto_name(family);
		if (!listed(tables, fam, table) || reached(v, n, fam, table, chain, handle))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:s}", "family", fam,
						     "table", table, "chain", chain, "handle",
						     (json_int_t)handle, "rule", text));
	}
	return out;
}

void cta_review_flow_text(const struct cta_flow *f, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *proto = cta_proto_name(f->key.l4proto);
	bool v6 = f->key.family == AF_INET6;
	char p[16];

	cta_addr_str(f->key.family, &f->key.src, s, sizeof(s));
	cta_addr_str(f->key.family, &f->key.dst, d, sizeof(d));
	if (!proto) {
		snprintf(p, sizeof(p), "%u", f->key.l4proto);
		proto = p;
	}
	if (cta_proto_has_ports(f->key.l4proto))
		snprintf(buf, len, v6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u", proto, s,
			 f->sport_min, d, f->key.dport);
	else if (cta_proto_is_icmp(f->key.l4proto))
		snprintf(buf, len, "%s %s -> %s type %u", proto, s, d, f->key.icmp_type);
	else
		snprintf(buf, len, "%s %s -> %s", proto, s, d);
}

/* ---------------------------------------------------------------- --live */

struct rule_stat {
	uint64_t reached, decided; /* connections */
	uint64_t flows;
};

struct policy_stat {
	const struct cta_chain_info *chain;
	uint64_t connections, flows;
	const struct cta_flow *examples[POLICY_EXAMPLES];
	size_t n_examples;
};

static int64_t rule_index(const struct cta_ruleset *rs, const char *family, const char *table,
			  const char *chain, uint64_t handle)
{
	int fam = cta_nfproto_from_name(family);

	for (size_t i = 0; fam >= 0 && i < cta_ruleset_rule_count(rs); i++) {
		const char *t, *c;
		uint64_t h;
		uint8_t f;

		cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
		if (f == fam && h == handle && !strcmp(t, table) && !strcmp(c, chain))
			return (int64_t)i;
	}
	return -1;
}

/* How many rules come before rule i in its chain. */
static size_t position(const struct cta_ruleset *rs, size_t i)
{
	const char *t, *c;
	uint64_t h;
	uint8_t f;
	size_t pos = 0;

	cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	for (size_t k = 0; k < i; k++) {
		const char *t2, *c2;
		uint64_t h2;
		uint8_t f2;

		cta_ruleset_rule_at(rs, k, &f2, &t2, &c2, &h2);
		pos += f2 == f && !strcmp(t2, t) && !strcmp(c2, c);
	}
	return pos;
}

static json_t *finding(const char *kind, const struct cta_ruleset *rs, size_t i, uint64_t conns,
		       const char *detail)
{
	const char *t, *c, *text;
	uint64_t h;
	uint8_t f;

	text = cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:s}", "kind", kind, "family",
			 cta_nfproto_name(f), "table", t, "chain", c, "handle", (json_int_t)h,
			 "rule", text, "connections", (json_int_t)conns, "position",
			 (json_int_t)position(rs, i), "detail", detail);
}

static void add_policy(struct policy_stat **ps, size_t *n, const struct cta_chain_info *ci,
		       const struct cta_flow *f)
{
	struct policy_stat *p = NULL;

	for (size_t i = 0; i < *n && !p; i++)
		if ((*ps)[i].chain == ci)
			p = &(*ps)[i];
	if (!p) {
		struct policy_stat *v = realloc(*ps, (*n + 1) * sizeof(**ps));

		if (!v)
			return;
		*ps = v;
		p = &v[(*n)++];
		memset(p, 0, sizeof(*p));
		p->chain = ci;
	}
	p->flows++;
	p->connections += f->connections;
	if (p->n_examples < POLICY_EXAMPLES)
		p->examples[p->n_examples++] = f;
}

/*
 * Why record's traces cannot say whether rule i is used, or NULL when they can: only
 * first packets are traced, so a rule for later packets, loopback, or what NAT did is
 * never "unreached" (removing `ct state established,related accept` on a drop-policy
 * host cuts every connection).
 */
static const char *untraced(const struct cta_ruleset *rs, size_t i, bool translated)
{
	static const char *const lo[] = { "iif \"lo\"", "iifname \"lo\"", "oif \"lo\"",
					  "oifname \"lo\"" };
	const struct cta_chain_info *ci;
	const char *t, *c, *text;
	uint64_t h;
	uint8_t f;

	text = cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	if (!text)
		return NULL;
	if (strstr(text, "ct state") && !strstr(text, "new") &&
	    (strstr(text, "established") || strstr(text, "related") || strstr(text, "vmap")))
		return "matches packets after a connection's first, which record does not trace: "
		       "no evidence either way (keep it)";
	for (size_t k = 0; k < ARRAY_SIZE(lo); k++)
		if (strstr(text, lo[k]))
			return "loopback traffic, which record does not trace: no evidence either "
			       "way (keep it)";
	ci = cta_ruleset_chain(rs, f, t, c);
	if (translated && ((ci && !strcmp(ci->type, "nat")) || strstr(text, "ct status dnat") ||
			   strstr(text, "ct status snat")))
		return "translated connections were recorded (conntrack says so), and the traces "
		       "of NAT do not show every rule that translated: no evidence either way";
	return NULL;
}

/* The decider(s) of v: each accept rule per hook, or the rule that dropped it. */
static void count_decided(const struct cta_ruleset *rs, json_t *v, struct rule_stat *st,
			  uint64_t connections)
{
	json_t *ds = json_object_get(v, "deciders"), *d;
	size_t i;

	if (!ds)
		ds = json_pack("[O]", v);
	else
		json_incref(ds);
	json_array_foreach(ds, i, d) {
		int64_t at;

		if (strcmp(cta_jstr(d, "type"), "rule"))
			continue;
		at = rule_index(rs, cta_jstr(d, "family"), cta_jstr(d, "table"),
				cta_jstr(d, "chain"),
				(uint64_t)json_integer_value(json_object_get(d, "handle")));
		if (at >= 0)
			st[at].decided += connections;
	}
	json_decref(ds);
}

json_t *cta_review_live(const struct cta_ruleset *rs, const struct cta_session *s, size_t n,
			const char *skip_prefix)
{
	bool translated = false;
	size_t nr = cta_ruleset_rule_count(rs), np = 0;
	struct rule_stat *st = calloc(nr ? nr : 1, sizeof(*st));
	struct policy_stat *ps = NULL;
	uint64_t total = 0;
	json_t *out = json_array();

	if (!st || !out) {
		free(st);
		json_decref(out);
		return NULL;
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s[k].n_flows; i++) {
			const struct cta_flow *f = &s[k].flows[i];
			json_t *v = cta_session_verdict(&s[k], f), *stage, *rule;
			const char *type = cta_jstr(v, "type");
			size_t a, b;
			int64_t at;

			translated |= cta_flow_translated(f);
			if (!v || strcmp(cta_jstr(v, "source"), "trace"))
				continue;
			total += f->connections;
			json_array_foreach(json_object_get(v, "path"), a, stage)
				json_array_foreach(json_object_get(stage, "rules"), b, rule) {
					at = rule_index(rs, cta_jstr(stage, "family"),
							cta_jstr(stage, "table"),
							cta_jstr(rule, "chain"),
							(uint64_t)json_integer_value(
								json_object_get(rule, "handle")));
					if (at >= 0) {
						st[at].reached += f->connections;
						st[at].flows++;
					}
				}
			if (!strcmp(type, "rule")) {
				count_decided(rs, v, st, f->connections);
			} else if (!strcmp(type, "policy")) {
				int fam = cta_nfproto_from_name(cta_jstr(v, "family"));
				const struct cta_chain_info *ci =
					fam < 0 ? NULL
						: cta_ruleset_chain(rs, (uint8_t)fam,
								    cta_jstr(v, "table"),
								    cta_jstr(v, "chain"));

				/* a nat or route chain's policy decides nothing */
				if (ci && !strcmp(ci->type, "filter"))
					add_policy(&ps, &np, ci, f);
			}
		}
	for (size_t i = 0; i < nr; i++) {
		const char *t, *c;
		uint64_t h;
		uint8_t f;
		char detail[200];
		const char *why;

		cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
		if (skip_prefix && !strncmp(t, skip_prefix, strlen(skip_prefix)))
			continue;
		if (!st[i].reached && (why = untraced(rs, i, translated))) {
			json_array_append_new(out, finding("untraced", rs, i, 0, why));
		} else if (!st[i].reached) {
			json_array_append_new(out,
					      finding("unreached", rs, i, 0,
						      "no recorded packet reached it: a candidate "
						      "for removal"));
		} else if (total && st[i].decided * 100 >= total * HOT_SHARE &&
			   position(rs, i) >= HOT_POSITION) {
			snprintf(detail, sizeof(detail),
				 "decided %llu of %llu traced connections from behind %zu rules: "
				 "move it up, or fold the rules before it into a set",
				 (unsigned long long)st[i].decided, (unsigned long long)total,
				 position(rs, i));
			json_array_append_new(out, finding("hot", rs, i, st[i].decided, detail));
		}
	}
	for (size_t i = 0; i < np; i++) {
		const struct policy_stat *p = &ps[i];
		char detail[400], ex[200];
		size_t at;

		at = (size_t)snprintf(detail, sizeof(detail),
				      "its policy %s decided %llu flow%s (%llu connections), e.g. ",
				      p->chain->policy, (unsigned long long)p->flows,
				      p->flows == 1 ? "" : "s", (unsigned long long)p->connections);
		for (size_t k = 0; k < p->n_examples && at < sizeof(detail); k++) {
			cta_review_flow_text(p->examples[k], ex, sizeof(ex));
			at += (size_t)snprintf(detail + at, sizeof(detail) - at, "%s%s",
					       k ? "; " : "", ex);
		}
		if (at < sizeof(detail))
			snprintf(detail + at, sizeof(detail) - at,
				 ": if a rule was meant to decide them, it does not match");
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "kind", "policy",
						     "family", cta_nfproto_name(p->chain->family),
						     "table", p->chain->table, "chain",
						     p->chain->name, "connections",
						     (json_int_t)p->connections, "detail", detail));
	}
	free(ps);
	free(st);
	return out;
}
