// SPDX-License-Identifier: GPL-2.0-or-later
/* A packet's walk through the legacy tables at one hook, from its TRACE lines. */
#include "advisor/model/iptpath.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <string.h>
#include <sys/socket.h>

static const char *const hook_chains[NF_INET_NUMHOOKS] = {
	[NF_INET_PRE_ROUTING] = "PREROUTING",	[NF_INET_LOCAL_IN] = "INPUT",
	[NF_INET_FORWARD] = "FORWARD",		[NF_INET_LOCAL_OUT] = "OUTPUT",
	[NF_INET_POST_ROUTING] = "POSTROUTING",
};

const char *cta_verdict_family_shown(json_t *o)
{
	const char *f = json_string_value(json_object_get(o, "family"));

	if (json_is_true(json_object_get(o, "legacy")))
		return f && !strcmp(f, "ip6") ? "ip6tables-legacy" : "iptables-legacy";
	return f ? f : "";
}

long long cta_verdict_rule_id(json_t *o)
{
	bool legacy = json_is_true(json_object_get(o, "legacy"));

	return (long long)json_integer_value(json_object_get(o, legacy ? "rule_num" : "handle"));
}

int cta_ipt_chain_hook(const char *chain)
{
	for (int h = 0; h < NF_INET_NUMHOOKS; h++)
		if (!strcmp(chain, hook_chains[h]))
			return h;
	return -1;
}

/* NF_IP_PRI_* (linux/netfilter_ipv4.h; the IPv6 values are the same). */
bool cta_ipt_table_priority(const char *table, unsigned hook, int *prio)
{
	if (!strcmp(table, "raw"))
		*prio = -300;
	else if (!strcmp(table, "mangle"))
		*prio = -150;
	else if (!strcmp(table, "nat")) /* destination NAT before filter, source NAT after */
		*prio = hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT ? -100 : 100;
	else if (!strcmp(table, "filter"))
		*prio = 0;
	else if (!strcmp(table, "security"))
		*prio = 50;
	else
		return false;
	return true;
}

const char *cta_ipt_verdict_name(enum cta_ipt_verdict v)
{
	static const char *const names[] = { "none", "accept", "drop", "reject", "queue" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "none";
}

/* Targets that end the walk through the table, and what they do to the packet. */
static enum cta_ipt_verdict target_verdict(const char *target, bool *ends)
{
	static const char *const accepting[] = { "ACCEPT",   "DNAT",   "SNAT",	"MASQUERADE",
						 "REDIRECT", "NETMAP", "TPROXY" };

	*ends = true;
	for (size_t i = 0; i < sizeof(accepting) / sizeof(accepting[0]); i++)
		if (!strcmp(target, accepting[i]))
			return CTA_IPT_ACCEPT;
	if (!strcmp(target, "DROP"))
		return CTA_IPT_DROP;
	if (!strcmp(target, "REJECT"))
		return CTA_IPT_REJECT;
	if (!strcmp(target, "QUEUE") || !strcmp(target, "NFQUEUE"))
		return CTA_IPT_QUEUE;
	*ends = false; /* a jump, RETURN, LOG, MARK, CT, no target: the walk goes on */
	return CTA_IPT_NONE;
}

/*
 * The rule a line stands for, or NULL for the end of a chain (its return or its
 * policy). *BAD when the chain, or a rule line's number, is not in S.
 */
static const struct cta_ipt_rule *line_rule(const struct cta_ipt_table *t,
					    const struct cta_ipt_trace *line,
					    const struct cta_ipt_chain **chain, bool *bad)
{
	const struct cta_ipt_chain *c = cta_iptsave_chain(t, line->chain);

	*chain = c;
	*bad = !c || line->num == 0;
	if (*bad)
		return NULL;
	if (line->num <= c->n)
		return &t->rules[c->first + line->num - 1];
	/* past the last rule: the chain's end; a rule line cannot be there */
	*bad = line->type == CTA_IPT_TRACE_RULE || line->num != c->n + 1 ||
	       (line->type == CTA_IPT_TRACE_POLICY) != (c->policy[0] != '\0');
	return NULL;
}

bool cta_ipt_line_known(const struct cta_iptsave *s, const struct cta_ipt_trace *line)
{
	const struct cta_ipt_table *t = cta_iptsave_table(s, line->table);
	const struct cta_ipt_chain *c;
	bool bad = true;

	if (t)
		(void)line_rule(t, line, &c, &bad);
	return !bad;
}

bool cta_ipt_line_ends(const struct cta_iptsave *s, const struct cta_ipt_trace *line)
{
	const struct cta_ipt_table *t = cta_iptsave_table(s, line->table);
	const struct cta_ipt_chain *c;
	const struct cta_ipt_rule *r;
	bool bad, ends;

	if (!t)
		return false;
	r = line_rule(t, line, &c, &bad);
	if (bad)
		return false;
	if (!r) /* a chain's end: the policy ends the walk, a return goes back */
		return line->type == CTA_IPT_TRACE_POLICY;
	(void)target_verdict(r->target, &ends);
	return ends;
}

/* Copy a name that fits (the parser checked the lengths). */
static void set(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void set_rule(struct cta_ipt_result *out, const char *chain, unsigned num,
		     const struct cta_ipt_rule *r)
{
	size_t n = strlen(r->text);

	set(out->rule_chain, sizeof(out->rule_chain), chain);
	out->rule_num = num;
	set(out->target, sizeof(out->target), r->target);
	out->text_cut = n >= sizeof(out->text);
	set(out->text, sizeof(out->text), r->text);
}

/* The walk's start: the table, its base chain, hook and priority. */
static int walk_start(const struct cta_iptsave *s, uint8_t family,
		      const struct cta_ipt_trace *lines, size_t n, struct cta_ipt_result *out,
		      const struct cta_ipt_table **t)
{
	const struct cta_ipt_chain *base = NULL;
	int hook = -1;

	memset(out, 0, sizeof(*out));
	out->family = family;
	*t = n ? cta_iptsave_table(s, lines[0].table) : NULL;
	if (!*t)
		return -ENOENT;
	/* the first line of a built-in chain names the hook (a walk starts in one) */
	for (size_t i = 0; i < n && hook < 0; i++) {
		hook = cta_ipt_chain_hook(lines[i].chain);
		base = hook >= 0 ? cta_iptsave_chain(*t, lines[i].chain) : NULL;
	}
	if (hook < 0 || !base)
		return -ENOENT;
	if (!cta_ipt_table_priority((*t)->name, (unsigned)hook, &out->priority))
		out->priority = 0; /* a table ip_tables does not ship: say 0, as filter */
	out->hook = (uint8_t)hook;
	set(out->table, sizeof(out->table), (*t)->name);
	set(out->chain, sizeof(out->chain), base->name);
	out->policy_drop = !strcmp(base->policy, "DROP");
	return 0;
}

int cta_ipt_walk(const struct cta_iptsave *s, uint8_t family, const struct cta_ipt_trace *lines,
		 size_t n, struct cta_ipt_result *out)
{
	const struct cta_ipt_table *t;
	int err = walk_start(s, family, lines, n, out, &t);

	for (size_t i = 0; !err && i < n; i++) {
		const struct cta_ipt_chain *c;
		bool bad, ends = true;
		const struct cta_ipt_rule *r = line_rule(t, &lines[i], &c, &bad);

		if (bad || strcmp(lines[i].table, t->name))
			return -EBADMSG;
		out->verdict = CTA_IPT_NONE;
		out->policy = false;
		if (r) {
			if (out->n_passed < CTA_IPT_PASSED_MAX) {
				struct cta_ipt_step *p = &out->passed[out->n_passed++];

				set(p->chain, sizeof(p->chain), c->name);
				p->num = lines[i].num;
			} else {
				out->lost_passed++;
			}
			out->verdict = target_verdict(r->target, &ends);
			if (ends)
				set_rule(out, c->name, lines[i].num, r);
		} else if (lines[i].type == CTA_IPT_TRACE_POLICY) {
			out->policy = true;
			set(out->rule_chain, sizeof(out->rule_chain), c->name);
			out->rule_num = lines[i].num;
			set(out->target, sizeof(out->target), c->policy);
			out->verdict = target_verdict(c->policy, &ends);
			out->text[0] = '\0';
		}
	}
	return err;
}

int cta_ipt_assemble(const struct cta_iptsave *s, uint8_t family, const struct cta_ipt_trace *lines,
		     size_t n, struct cta_ipt_result *out, size_t max)
{
	size_t nout = 0, start = 0;

	for (size_t i = 1; i <= n; i++) {
		struct cta_ipt_result r;
		size_t at;
		int err;

		if (i < n && !strcmp(lines[i].table, lines[start].table))
			continue;
		err = cta_ipt_walk(s, family, lines + start, i - start, &r);
		if (err)
			return err;
		start = i;
		if (nout == max)
			continue;
		/* by priority: tables at a hook run in that order, the kernel's lines too */
		for (at = nout; at > 0 && out[at - 1].priority > r.priority; at--)
			out[at] = out[at - 1];
		out[at] = r;
		nout++;
	}
	return (int)nout;
}
