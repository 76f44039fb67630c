// SPDX-License-Identifier: GPL-2.0-or-later
/* review --live on iptables-legacy rules: unreached and hot rules, policies that decided. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/review/review.h"

#define HOT_SHARE 20 /* as for nf_tables rules (review.c) */
#define HOT_POSITION 5
#define POLICY_EXAMPLES 3

struct lstat {
	uint64_t reached, decided;
};

struct lpolicy {
	const struct cta_ipt_table *table;
	const struct cta_ipt_chain *chain;
	uint64_t flows, connections;
	const struct cta_flow *examples[POLICY_EXAMPLES];
	size_t n_examples;
};

struct lreview {
	const struct cta_iptsave *ipt;
	const char *family; /* "ip", "ip6" */
	struct lstat *st; /* per rule: tables' rules one after the other */
	size_t *base; /* per table: where its rules start in st */
	struct lpolicy *pol;
	size_t npol;
	uint64_t total;
};

/* The index of rule NUM of CHAIN in TABLE, or -1. */
static long index_of(const struct lreview *r, const char *table, const char *chain, long long num)
{
	for (size_t t = 0; t < r->ipt->ntables; t++) {
		const struct cta_ipt_table *tb = &r->ipt->tables[t];
		const struct cta_ipt_chain *c;

		if (strcmp(tb->name, table))
			continue;
		c = cta_iptsave_chain(tb, chain);
		if (!c || num < 1 || (size_t)num > c->n)
			return -1;
		return (long)(r->base[t] + c->first + (size_t)num - 1);
	}
	return -1;
}

static bool ours(const struct lreview *r, bool legacy, const char *family)
{
	return legacy && family && !strcmp(family, r->family);
}

static void add_policy(struct lreview *r, const struct cta_verdict *v, const struct cta_flow *f,
		       uint64_t conns)
{
	const struct cta_ipt_table *t = cta_iptsave_table(r->ipt, v->table);
	const struct cta_ipt_chain *c = t ? cta_iptsave_chain(t, v->chain) : NULL;
	struct lpolicy *p = NULL;

	if (!c)
		return;
	for (size_t i = 0; i < r->npol && !p; i++)
		if (r->pol[i].chain == c)
			p = &r->pol[i];
	if (!p) {
		struct lpolicy *np = realloc(r->pol, (r->npol + 1) * sizeof(*np));

		if (!np)
			return;
		r->pol = np;
		p = &np[r->npol++];
		memset(p, 0, sizeof(*p));
		p->table = t;
		p->chain = c;
	}
	p->flows++;
	p->connections += conns;
	if (p->n_examples < POLICY_EXAMPLES)
		p->examples[p->n_examples++] = f;
}

static void count_verdict(struct lreview *r, const struct cta_flow *f, const struct cta_verdict *v,
			  uint64_t n)
{
	long at;

	if (v->source != CTA_VSOURCE_TRACE)
		return;
	r->total += n;
	for (size_t a = 0; a < v->n_path; a++) {
		const struct cta_vstage *st = &v->path[a];

		for (size_t b = 0; ours(r, st->legacy, st->family) && b < st->n_rules; b++) {
			if (st->rules[b].policy)
				continue;
			at = index_of(r, st->table, st->rules[b].chain,
				      (long long)st->rules[b].handle);
			if (at >= 0)
				r->st[at].reached += n;
		}
	}
	if (!ours(r, v->legacy, v->family))
		return;
	if (v->type == CTA_VTYPE_RULE) {
		at = index_of(r, v->table, v->chain, (long long)v->handle);
		if (at >= 0)
			r->st[at].decided += n;
	} else if (v->type == CTA_VTYPE_POLICY) {
		add_policy(r, v, f, n);
	}
}

static bool unseen_at(const struct cta_ipt_table *t, const struct cta_ipt_rule *rule, bool v6,
		      int depth, int *visits);

/* The word after KEY (" -p ", "--icmpv6-type ") in a rule's text, into buf; "" none. */
static void value_after(const char *text, const char *key, char *buf, size_t len)
{
	const char *p = strstr(text, key);
	size_t k = 0;

	if (p)
		for (p += strlen(key); *p && *p != ' ' && k + 1 < len; p++)
			buf[k++] = *p;
	buf[k] = '\0';
}

/*
 * Can an ip6tables rule match neighbour discovery or MLD (ICMPv6 conntrack leaves
 * untracked: never a traced first packet)? Not when it names another protocol, a
 * conntrack state (the untracked one aside), or ICMPv6 types that are not those.
 */
static bool may_match_nd(const char *x)
{
	static const char *const nd[] = { "130",
					  "131",
					  "132",
					  "133",
					  "134",
					  "135",
					  "136",
					  "143",
					  "router-solicitation",
					  "router-advertisement",
					  "neighbour-solicitation",
					  "neighbor-solicitation",
					  "neighbour-advertisement",
					  "neighbor-advertisement",
					  "redirect" };
	char proto[32], type[64];

	value_after(x, " -p ", proto, sizeof(proto));
	if (proto[0] && !strstr(x, "! -p ") && strcmp(proto, "ipv6-icmp") &&
	    strcmp(proto, "icmpv6") && strcmp(proto, "58"))
		return false;
	if (strstr(x, "--ctstate ") && !strstr(x, "UNTRACKED"))
		return false;
	value_after(x, "--icmpv6-type ", type, sizeof(type));
	if (!type[0] || strstr(x, "! --icmpv6-type"))
		return true;
	for (size_t i = 0; i < sizeof(nd) / sizeof(nd[0]); i++)
		if (!strncmp(type, nd[i], strlen(nd[i])))
			return true;
	return false;
}

/* Is CHAIN of t run only from FORWARD (itself, or called only from such chains)? */
static bool forward_only(const struct cta_ipt_table *t, const char *chain, int depth)
{
	bool called = false;

	if (!strcmp(chain, "FORWARD"))
		return true;
	for (size_t ci = 0; ci < t->nchains; ci++)
		if (!strcmp(t->chains[ci].name, chain) && t->chains[ci].policy[0])
			return false; /* another built-in chain */
	if (depth > 16)
		return false;
	for (size_t ci = 0; ci < t->nchains; ci++) {
		const struct cta_ipt_chain *c = &t->chains[ci];

		for (size_t k = 0; k < c->n; k++) {
			if (strcmp(t->rules[c->first + k].target, chain))
				continue;
			if (!forward_only(t, c->name, depth + 1))
				return false;
			called = true;
		}
	}
	return called;
}

/* The chain of t that holds rule (one of t's rules), or "". */
static const char *chain_of(const struct cta_ipt_table *t, const struct cta_ipt_rule *rule)
{
	size_t at = (size_t)(rule - t->rules);

	for (size_t ci = 0; ci < t->nchains; ci++)
		if (at >= t->chains[ci].first && at < t->chains[ci].first + t->chains[ci].n)
			return t->chains[ci].name;
	return "";
}

/*
 * Only first packets are traced: a rule that can only match later ones (conntrack's
 * ESTABLISHED, RELATED or INVALID), loopback, or a nat table's rule (conntrack
 * applies NAT to the rest of the connection), and in ip6tables one that can match
 * neighbour discovery (never tracked; not in chains only FORWARD runs: it is
 * link-local), is never shown unreached; nor a jump to
 * a chain (8 deep, 64 chains looked into at most) that holds one (ufw's `-A OUTPUT -j ufw-before-output`, crossed by
 * every reply).
 */
static bool unseen_by_design(const struct cta_ipt_table *t, const struct cta_ipt_rule *rule,
			     bool v6)
{
	int visits = 64;

	/* neighbour discovery is link-local: never in a chain only FORWARD runs */
	return unseen_at(t, rule, v6 && !forward_only(t, chain_of(t, rule), 0), 0, &visits);
}

static bool unseen_at(const struct cta_ipt_table *t, const struct cta_ipt_rule *rule, bool v6,
		      int depth, int *visits)
{
	const char *x = rule->text;

	if (!strcmp(t->name, "nat") || strstr(x, "ESTABLISHED") || strstr(x, "RELATED") ||
	    strstr(x, "INVALID") || strstr(x, " -i lo ") || strstr(x, " -o lo ") ||
	    strstr(x, "--state ") || (v6 && may_match_nd(x)))
		return true;
	for (size_t ci = 0; depth < 8 && rule->target[0] && ci < t->nchains; ci++) {
		const struct cta_ipt_chain *c = &t->chains[ci];

		if (c->policy[0] || strcmp(c->name, rule->target))
			continue;
		if (--*visits < 0)
			return false;
		for (size_t k = 0; k < c->n; k++)
			if (unseen_at(t, &t->rules[c->first + k], v6, depth + 1, visits))
				return true;
	}
	return false;
}

/*
 * What a rule no traced packet matched is: a candidate for removal when it lets
 * packets through; a DROP or REJECT rule denied nothing recorded, but removing it lets
 * through what it denies.
 */
static const char *legacy_unmatched(const struct cta_ipt_table *t, const struct cta_ipt_chain *c,
				    size_t k)
{
	const char *target = t->rules[c->first + k].target;

	if (!strcmp(target, "DROP") || !strcmp(target, "REJECT"))
		return "no recorded packet matched it: it denied nothing that was recorded, "
		       "but removing it lets through what it denies (keep it unless that is "
		       "meant)";
	return "no recorded packet matched it: a candidate for removal";
}

static json_t *finding(const struct lreview *r, const char *kind, const struct cta_ipt_table *t,
		       const struct cta_ipt_chain *c, size_t k, uint64_t conns, const char *detail)
{
	return json_pack("{s:s,s:s,s:b,s:s,s:s,s:I,s:s,s:I,s:I,s:s}", "kind", kind, "family",
			 r->family, "legacy", 1, "table", t->name, "chain", c->name, "rule_num",
			 (json_int_t)(k + 1), "rule", t->rules[c->first + k].text, "connections",
			 (json_int_t)conns, "position", (json_int_t)k, "detail", detail);
}

static void rule_findings(const struct lreview *r, json_t *out)
{
	char detail[200];

	for (size_t t = 0; t < r->ipt->ntables; t++) {
		const struct cta_ipt_table *tb = &r->ipt->tables[t];

		for (size_t ci = 0; ci < tb->nchains; ci++) {
			const struct cta_ipt_chain *c = &tb->chains[ci];

			for (size_t k = 0; k < c->n; k++) {
				const struct lstat *s = &r->st[r->base[t] + c->first + k];

				if (!s->reached && !unseen_by_design(tb, &tb->rules[c->first + k],
								     !strcmp(r->family, "ip6"))) {
					json_array_append_new(out,
							      finding(r, "unreached", tb, c, k, 0,
								      legacy_unmatched(tb, c, k)));
				} else if (r->total && s->decided * 100 >= r->total * HOT_SHARE &&
					   k >= HOT_POSITION) {
					snprintf(detail, sizeof(detail),
						 "decided %llu of %llu traced connections from "
						 "behind %zu rules: move it up",
						 (unsigned long long)s->decided,
						 (unsigned long long)r->total, k);
					json_array_append_new(out, finding(r, "hot", tb, c, k,
									   s->decided, detail));
				}
			}
		}
	}
}

static void policy_findings(const struct lreview *r, json_t *out)
{
	for (size_t i = 0; i < r->npol; i++) {
		const struct lpolicy *p = &r->pol[i];
		char detail[400], ex[200];
		size_t at;

		at = (size_t)snprintf(
			detail, sizeof(detail),
			"its policy %s decided %llu flow%s (%llu connection%s), e.g. ",
			p->chain->policy, (unsigned long long)p->flows, p->flows == 1 ? "" : "s",
			(unsigned long long)p->connections, p->connections == 1 ? "" : "s");
		for (size_t k = 0; k < p->n_examples && at < sizeof(detail); k++) {
			cta_review_flow_text(p->examples[k], ex, sizeof(ex));
			at += (size_t)snprintf(detail + at, sizeof(detail) - at, "%s%s",
					       k ? "; " : "", ex);
		}
		if (at < sizeof(detail))
			snprintf(detail + at, sizeof(detail) - at,
				 ": if a rule was meant to decide them, it does not match");
		json_array_append_new(out, json_pack("{s:s,s:s,s:b,s:s,s:s,s:I,s:s}", "kind",
						     "policy", "family", r->family, "legacy", 1,
						     "table", p->table->name, "chain",
						     p->chain->name, "connections",
						     (json_int_t)p->connections, "detail", detail));
	}
}

int cta_review_live_legacy(const struct cta_iptsave *ipt, int family, const struct cta_session *s,
			   size_t n, json_t *out)
{
	struct lreview r = { .ipt = ipt, .family = family == AF_INET6 ? "ip6" : "ip" };
	size_t nrules = 0;

	r.base = calloc(ipt->ntables ? ipt->ntables : 1, sizeof(*r.base));
	for (size_t t = 0; r.base && t < ipt->ntables; t++) {
		r.base[t] = nrules;
		nrules += ipt->tables[t].nrules;
	}
	r.st = calloc(nrules ? nrules : 1, sizeof(*r.st));
	if (!r.base || !r.st) {
		free(r.base);
		free(r.st);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s[k].n_flows; i++) {
			const struct cta_flow *f = &s[k].flows[i];
			const struct cta_vtally *t = cta_session_verdicts(&s[k], f);

			/* one verdict: all the flow's connections (review.c does the same) */
			for (uint32_t g = 0; t && g < t->n; g++)
				count_verdict(&r, f, t->g[g].v,
					      t->n == 1 ? f->connections : t->g[g].n);
		}
	rule_findings(&r, out);
	policy_findings(&r, out);
	free(r.pol);
	free(r.st);
	free(r.base);
	return 0;
}

/* Did a candidate path pass rule NUM of CHAIN in TABLE of FAMILY's legacy tables? */
static bool legacy_reached(const struct cta_review_flow *v, size_t n, const char *family,
			   const char *table, const char *chain, unsigned num)
{
	for (size_t i = 0; i < n; i++)
		if (cta_verdict_passed(v[i].candidate, true, family, table, chain, num) ||
		    cta_verdict_passed(v[i].later, true, family, table, chain, num) ||
		    cta_verdict_passed(v[i].later_next, true, family, table, chain, num))
			return true;
	return false;
}

/*
 * Can no replayed first packet reach this rule (iptables-save's text)? One for loopback
 * (`-i lo`, `-o lo`), or for conntrack states without NEW (`--ctstate
 * RELATED,ESTABLISHED`, `--state INVALID`): as review leaves such nft rules out of "no
 * evidence" (untraced, review.c), so these.
 */
static bool legacy_untraced(const char *text)
{
	char buf[1024], *w, *save = NULL, prev[32] = "";
	bool negated = false;

	snprintf(buf, sizeof(buf), "%s", text ? text : "");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!negated && (!strcmp(prev, "-i") || !strcmp(prev, "-o")) && !strcmp(w, "lo"))
			return true;
		if (!negated && (!strcmp(prev, "--ctstate") || !strcmp(prev, "--state")) &&
		    !strstr(w, "NEW") && !strstr(w, "UNTRACKED"))
			return true;
		/* `! -i lo`, `-m conntrack ! --ctstate ...`: the "!" goes with the next option */
		if (!strcmp(w, "!"))
			negated = true;
		else if (w[0] == '-' && strcmp(prev, "!"))
			negated = false;
		snprintf(prev, sizeof(prev), "%s", w);
	}
	return false;
}

json_t *cta_review_no_evidence_legacy(const struct cta_iptsave *cand, int family,
				      const struct cta_review_flow *v, size_t n)
{
	const char *fam = family == AF_INET6 ? "ip6" : "ip";
	json_t *out = json_array();

	for (size_t t = 0; out && t < cand->ntables; t++) {
		const struct cta_ipt_table *tb = &cand->tables[t];

		for (size_t ci = 0; ci < tb->nchains; ci++) {
			const struct cta_ipt_chain *c = &tb->chains[ci];

			for (size_t k = 0; k < c->n; k++)
				if (!legacy_reached(v, n, fam, tb->name, c->name,
						    (unsigned)k + 1) &&
				    !legacy_untraced(tb->rules[c->first + k].text))
					json_array_append_new(
						out,
						json_pack("{s:s,s:b,s:s,s:s,s:I,s:s}", "family",
							  fam, "legacy", 1, "table", tb->name,
							  "chain", c->name, "rule_num",
							  (json_int_t)(k + 1), "rule",
							  tb->rules[c->first + k].text));
		}
	}
	return out;
}
