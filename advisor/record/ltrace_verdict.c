// SPDX-License-Identifier: GPL-2.0-or-later
/* A packet's verdict: its nf_tables judgement and its legacy walks, in one path. */
#include <ctype.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/record/ltrace.h"

static const char *hook_name(unsigned hook)
{
	static const char *const names[NF_INET_NUMHOOKS] = {
		[NF_INET_PRE_ROUTING] = "prerouting",	[NF_INET_LOCAL_IN] = "input",
		[NF_INET_FORWARD] = "forward",		[NF_INET_LOCAL_OUT] = "output",
		[NF_INET_POST_ROUTING] = "postrouting",
	};

	return hook < NF_INET_NUMHOOKS ? names[hook] : "";
}

/* The order a packet meets hooks in: prerouting or output, input or forward, postrouting. */
static int rank_of(const char *hook)
{
	if (!strcmp(hook, "prerouting") || !strcmp(hook, "output"))
		return 0;
	if (!strcmp(hook, "input") || !strcmp(hook, "forward"))
		return 1;
	return 2;
}

static const char *family_name(uint8_t family)
{
	return family == AF_INET6 ? "ip6" : "ip";
}

static void lower(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* What a rule's target did: "jump TCP", "accept", "reject", "dnat", "continue". */
static void target_verdict(const struct cta_ipt_table *t, const char *target, bool is_goto,
			   char *buf, size_t len)
{
	if (!target[0])
		snprintf(buf, len, "continue");
	else if (t && cta_iptsave_chain(t, target))
		snprintf(buf, len, "%s %s", is_goto ? "goto" : "jump", target);
	else
		lower(buf, len, target);
}

static json_t *passed_json(const struct cta_ltrace *l, const struct cta_ltrace_walk *w,
			   const struct cta_ipt_step *p)
{
	const struct cta_iptsave *s = cta_ltrace_rules(l, w->family);
	const struct cta_ipt_table *t = s ? cta_iptsave_table(s, w->r.table) : NULL;
	const struct cta_ipt_rule *r = s ? cta_iptsave_rule(s, w->r.table, p->chain, p->num) : NULL;
	bool decider = !w->r.policy && p->num == w->r.rule_num &&
		       !strcmp(p->chain, w->r.rule_chain);
	const char *text = r ? r->text : decider ? w->r.text : NULL;
	char v[CTA_IPT_CHAIN_LEN + 8];

	if (r)
		target_verdict(t, r->target, r->is_goto, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "%s", decider ? cta_ipt_verdict_name(w->r.verdict) : "");
	return json_pack("{s:s,s:I,s:o,s:s}", "chain", p->chain, "rule_num", (json_int_t)p->num,
			 "rule", text ? json_string(text) : json_null(), "verdict", v);
}

static json_t *stage_json(const struct cta_ltrace *l, const struct cta_ltrace_walk *w)
{
	json_t *o = json_pack("{s:s,s:b,s:s,s:s,s:s,s:i,s:s,s:[]}", "family",
			      family_name(w->family), "legacy", 1, "table", w->r.table, "chain",
			      w->r.chain, "hook", hook_name(w->r.hook), "priority", w->r.priority,
			      "policy", w->r.policy_drop ? "drop" : "accept", "rules");
	json_t *rules = json_object_get(o, "rules");
	char p[16];

	for (unsigned i = 0; rules && i < w->r.n_passed; i++)
		json_array_append_new(rules, passed_json(l, w, &w->r.passed[i]));
	if (rules && w->r.policy) {
		lower(p, sizeof(p), w->r.target);
		json_array_append_new(rules,
				      json_pack("{s:s,s:s}", "chain", w->r.chain, "policy", p));
	}
	if (o && w->r.verdict != CTA_IPT_NONE)
		json_object_set_new(o, "verdict", json_string(cta_ipt_verdict_name(w->r.verdict)));
	return o;
}

/* The nft path with the legacy stages put where the packet met them. */
static json_t *merged_path(const struct cta_ltrace *l, json_t *nft_path,
			   const struct cta_ltrace_walk *w, int n)
{
	json_t *path = json_array(), *st;
	size_t i = 0, len = json_array_size(nft_path);

	for (int k = 0; path && k <= n; k++) {
		/* nft stages that come before walk k (all that are left, after the last) */
		for (; i < len; i++) {
			st = json_array_get(nft_path, i);
			if (k < n && json_object_get(st, "hook")) {
				int r = rank_of(json_string_value(json_object_get(st, "hook"))),
				    rw = rank_of(hook_name(w[k].r.hook));
				json_int_t prio =
					json_integer_value(json_object_get(st, "priority"));

				if (r > rw || (r == rw && prio > w[k].r.priority))
					break;
			}
			json_array_append(path, st);
		}
		if (k < n)
			json_array_append_new(path, stage_json(l, &w[k]));
	}
	return path;
}

static bool is_drop(enum cta_ipt_verdict v)
{
	return v == CTA_IPT_DROP || v == CTA_IPT_REJECT || v == CTA_IPT_QUEUE;
}

/* Which walk decides, or NULL when the nft verdict stands. */
static const struct cta_ltrace_walk *decider(json_t *nft, const struct cta_ltrace_walk *w, int n)
{
	const char *v = json_string_value(json_object_get(nft, "verdict"));
	const char *type = json_string_value(json_object_get(nft, "type"));
	bool nft_dropped = v && strcmp(v, "accept") && strcmp(v, "none");

	for (int i = 0; i < n; i++)
		if (is_drop(w[i].r.verdict))
			return nft_dropped ? NULL : &w[i];
	if (nft_dropped || (type && !strcmp(type, "rule")))
		return NULL;
	/* the accept without which a DROP policy would have dropped it */
	for (int i = 0; i < n; i++)
		if (w[i].r.verdict == CTA_IPT_ACCEPT && !w[i].r.policy && w[i].r.policy_drop &&
		    strcmp(w[i].r.table, "nat"))
			return &w[i];
	if (type && strcmp(type, "none"))
		return NULL;
	for (int i = 0; i < n; i++)
		if (w[i].r.verdict == CTA_IPT_ACCEPT && !strcmp(w[i].r.table, "filter"))
			return &w[i];
	return NULL;
}

json_t *cta_ltrace_verdict(const struct cta_ltrace *l, json_t *nft, const struct cta_ltrace_walk *w,
			   int n)
{
	const struct cta_ltrace_walk *d = decider(nft, w, n);
	json_t *o = json_copy(nft), *path;

	if (!o)
		return NULL;
	path = merged_path(l, json_object_get(nft, "path"), w, n);
	if (!path) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "path", path);
	if (!d)
		return o;
	json_object_del(o, "handle");
	json_object_set_new(o, "verdict", json_string(cta_ipt_verdict_name(d->r.verdict)));
	json_object_set_new(o, "type", json_string(d->r.policy ? "policy" : "rule"));
	json_object_set_new(o, "family", json_string(family_name(d->family)));
	json_object_set_new(o, "legacy", json_true());
	json_object_set_new(o, "table", json_string(d->r.table));
	if (d->r.policy) {
		json_object_set_new(o, "chain", json_string(d->r.chain));
		json_object_del(o, "rule");
	} else {
		json_object_set_new(o, "chain", json_string(d->r.rule_chain));
		json_object_set_new(o, "rule_num", json_integer(d->r.rule_num));
		json_object_set_new(o, "rule", json_string(d->r.text));
	}
	return o;
}

size_t cta_ltrace_key(const struct cta_ltrace_walk *w, int n, char *buf, size_t len)
{
	size_t at = 0;

	for (int i = 0; i < n; i++) {
		const struct cta_ipt_result *r = &w[i].r;
		int k = snprintf(buf + at, len - at, "L%u %u %s %s %d %d %s %u %u;", w[i].family,
				 r->hook, r->table, r->chain, (int)r->verdict, r->policy,
				 r->rule_chain, r->rule_num, r->n_passed);

		if (k < 0 || (size_t)k >= len - at)
			return 0;
		at += (size_t)k;
		for (unsigned p = 0; p < r->n_passed; p++) {
			k = snprintf(buf + at, len - at, "%s:%u,", r->passed[p].chain,
				     r->passed[p].num);
			if (k < 0 || (size_t)k >= len - at)
				return 0;
			at += (size_t)k;
		}
	}
	return at;
}
