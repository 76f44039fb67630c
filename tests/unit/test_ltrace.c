// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A packet's nf_tables verdict with its legacy walks (cta_ltrace_verdict): the stages
 * in hook and priority order, and who decides by netfilter's rules.
 */
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/session.h"
#include "advisor/record/ltrace.h"
#include "check.h"

/* v written as JSON and read back is v: rule_num and legacy kept beside the deciders. */
static void roundtrip(const struct cta_verdict *v)
{
	json_t *o = cta_verdict_to_json(v);
	struct cta_verdict *back = NULL;
	struct cta_err e;

	CHECK(o != NULL);
	CHECK(o && json_object_get(o, "rule_num") && !json_object_get(o, "handle"));
	CHECK(o && json_object_get(json_array_get(json_object_get(o, "deciders"), 0), "rule_num"));
	CHECK_EQ(o ? cta_verdict_from_json(o, &back, &e) : -1, 0);
	CHECK(back && cta_verdict_equal(v, back));
	cta_verdict_unref(back);
	json_decref(o);
}

static struct cta_iptsave *load(const char *name)
{
	char path[512], *buf;
	struct cta_iptsave *s = NULL;
	unsigned bad;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/legacy/%s", getenv("SRCDIR"), name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
		(void)cta_iptsave_parse(buf, (size_t)n, &s, &bad);
	free(buf);
	fclose(f);
	return s;
}

/* The walk of the given lines ("filter:INPUT:rule:6", ...) of one packet. */
static struct cta_ltrace_walk walk(const struct cta_iptsave *s, const char *const *pre, size_t n)
{
	struct cta_ltrace_walk w = { .family = AF_INET, .l4proto = IPPROTO_TCP };
	struct cta_ipt_trace l[8];

	for (size_t i = 0; i < n; i++) {
		char p[128];

		snprintf(p, sizeof(p), "TRACE: %s ", pre[i]);
		CHECK_EQ(cta_ipt_trace_parse(p, strlen(p), &l[i]), 0);
	}
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &w.r), 0);
	return w;
}

#define WALK(s, ...)                                  \
	walk(s, (const char *const[]){ __VA_ARGS__ }, \
	     sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

/* An nft verdict: none, or decided in chain "late" (input, priority 10). */
static struct cta_verdict *nft(enum cta_vkind kind, enum cta_vtype type)
{
	struct cta_verdict *v = cta_verdict_new();

	v->verdict = (uint8_t)kind;
	v->type = (uint8_t)type;
	v->has_path = true;
	if (type == CTA_VTYPE_NONE)
		return v;
	v->family = strdup("inet");
	v->table = strdup("fw");
	v->chain = strdup("late");
	v->has_handle = type == CTA_VTYPE_RULE;
	v->handle = 7;
	v->path = calloc(1, sizeof(*v->path));
	v->n_path = 1;
	v->path[0].family = strdup("inet");
	v->path[0].table = strdup("fw");
	v->path[0].chain = strdup("late");
	v->path[0].hook = strdup("input");
	v->path[0].has_priority = true;
	v->path[0].priority = 10;
	/* the stage as a trace makes it: type, policy, how it ended, the entry that did */
	v->path[0].type = strdup("filter");
	v->path[0].policy = strdup(type == CTA_VTYPE_POLICY ? cta_verdict_name(kind) : "drop");
	v->path[0].verdict = strdup(cta_verdict_name(kind));
	v->path[0].by_policy = type == CTA_VTYPE_POLICY;
	v->path[0].rules = calloc(1, sizeof(*v->path[0].rules));
	v->path[0].n_rules = 1;
	v->path[0].rules[0].chain = strdup("late");
	v->path[0].rules[0].verdict = strdup(cta_verdict_name(kind));
	v->path[0].rules[0].policy = type == CTA_VTYPE_POLICY;
	v->path[0].rules[0].handle = type == CTA_VTYPE_RULE ? 7 : 0;
	return v;
}

static void test_legacy_only(const struct cta_iptsave *s)
{
	struct cta_ltrace_walk w =
		WALK(s, "filter:INPUT:rule:6", "filter:TCP:return:3", "filter:INPUT:rule:8");
	struct cta_verdict *n = nft(CTA_VERDICT_NONE, CTA_VTYPE_NONE);
	struct cta_verdict *v = cta_ltrace_verdict(NULL, n, &w, 1);

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ(v->verdict, CTA_VERDICT_REJECT);
	CHECK_EQ(v->type, CTA_VTYPE_RULE);
	CHECK(v->legacy && v->has_handle && v->handle == 8);
	CHECK_STR(v->family, "ip");
	CHECK_STR(v->chain, "INPUT");
	CHECK_STR(v->rule, "-A INPUT -p tcp -j REJECT --reject-with tcp-reset");
	CHECK_EQ(v->n_path, 1);
	CHECK(v->path[0].legacy);
	CHECK_STR(v->path[0].hook, "input");
	CHECK_STR(v->path[0].policy, "drop");
	CHECK_STR(v->path[0].verdict, "reject");
	CHECK_EQ(v->path[0].n_rules, 2);
	CHECK_EQ(v->path[0].rules[1].handle, 8);
	CHECK_STR(v->path[0].type, "filter");
	CHECK(!v->path[0].by_policy);
	/* the legacy reject is the one decider, as the top level names it */
	CHECK_EQ(v->n_deciders, 1);
	if (v->n_deciders == 1) {
		CHECK(v->deciders[0].legacy && v->deciders[0].handle == 8);
		CHECK_EQ(v->deciders[0].type, CTA_VTYPE_RULE);
		CHECK_EQ(v->deciders[0].verdict, CTA_VERDICT_REJECT);
		CHECK_STR(v->deciders[0].hook, "input");
		CHECK_STR(v->deciders[0].table, "filter");
	}
	roundtrip(v);
	CHECK(!n->legacy && n->n_path == 0); /* the nft verdict is left as it was */
	cta_verdict_unref(v);
	cta_verdict_unref(n);
}

static void test_mixed(const struct cta_iptsave *s)
{
	struct cta_ltrace_walk pol = WALK(s, "filter:OUTPUT:policy:1");
	struct cta_ltrace_walk ssh = WALK(s, "filter:INPUT:rule:6", "filter:TCP:rule:1");
	struct cta_ltrace_walk rej = WALK(s, "filter:INPUT:rule:8");
	struct cta_verdict *n, *v;

	pol.r.hook = NF_INET_LOCAL_IN; /* as if INPUT's policy: accept, nothing decided */
	/* nft named its own accept rule: it stays; the legacy chain (0) comes before (10) */
	n = nft(CTA_VERDICT_ACCEPT, CTA_VTYPE_RULE);
	v = cta_ltrace_verdict(NULL, n, &pol, 1);
	CHECK(v && !v->legacy && v->handle == 7 && v->n_path == 2);
	CHECK(v && v->path[0].legacy && !v->path[1].legacy);
	cta_verdict_unref(v);
	/* nft accepted by its policy; the legacy accept of a DROP-policy chain decides */
	cta_verdict_unref(n);
	n = nft(CTA_VERDICT_ACCEPT, CTA_VTYPE_POLICY);
	v = cta_ltrace_verdict(NULL, n, &ssh, 1);
	CHECK(v && v->legacy && v->handle == 1 && v->verdict == CTA_VERDICT_ACCEPT);
	CHECK_STR(v ? v->chain : NULL, "TCP");
	CHECK(v && v->n_deciders == 1 && v->deciders[0].legacy && v->deciders[0].handle == 1);
	cta_verdict_unref(v);
	/* a legacy reject is final, whatever nft said of the packet before */
	v = cta_ltrace_verdict(NULL, n, &rej, 1);
	CHECK(v && v->legacy && v->verdict == CTA_VERDICT_REJECT && v->handle == 8);
	cta_verdict_unref(v);
	/* a netdev ingress chain comes before every legacy chain */
	cta_verdict_unref(n);
	n = nft(CTA_VERDICT_ACCEPT, CTA_VTYPE_RULE);
	free(n->path[0].hook);
	n->path[0].hook = strdup("ingress");
	n->path[0].priority = 500;
	v = cta_ltrace_verdict(NULL, n, &pol, 1);
	CHECK(v && v->n_path == 2 && !v->path[0].legacy && v->path[1].legacy);
	cta_verdict_unref(v);
	/*
	 * nft accepted by a rule of an accept-policy chain with nothing after it that
	 * drops: that accept decided nothing; the legacy accept of a DROP-policy chain did
	 */
	cta_verdict_unref(n);
	n = nft(CTA_VERDICT_ACCEPT, CTA_VTYPE_RULE);
	free(n->path[0].policy);
	n->path[0].policy = strdup("accept");
	v = cta_ltrace_verdict(NULL, n, &ssh, 1);
	CHECK(v && v->legacy && v->handle == 1 && v->verdict == CTA_VERDICT_ACCEPT);
	CHECK(v && v->n_deciders == 1 && v->deciders[0].legacy);
	CHECK_STR(v ? v->chain : NULL, "TCP");
	cta_verdict_unref(v);
	/* an nft drop stands */
	cta_verdict_unref(n);
	n = nft(CTA_VERDICT_DROP, CTA_VTYPE_RULE);
	v = cta_ltrace_verdict(NULL, n, &ssh, 1);
	CHECK(v && !v->legacy && v->verdict == CTA_VERDICT_DROP);
	cta_verdict_unref(v);
	cta_verdict_unref(n);
}

static void test_nat(void)
{
	struct cta_iptsave *s = load("docker.rules");
	struct cta_ltrace_walk w[2];
	struct cta_verdict *n, *v;
	char key[4096];

	if (!s)
		return;
	w[0] = WALK(s, "nat:PREROUTING:rule:1", "nat:DOCKER:rule:2");
	w[1] = WALK(s, "filter:FORWARD:rule:1", "filter:DOCKER-USER:return:2",
		    "filter:FORWARD:rule:2", "filter:DOCKER-ISOLATION-STAGE-1:return:2",
		    "filter:FORWARD:rule:4", "filter:DOCKER:rule:1");
	n = nft(CTA_VERDICT_NONE, CTA_VTYPE_NONE);
	/* the DNAT is a step, never the decider: DOCKER's accept is (FORWARD drops) */
	v = cta_ltrace_verdict(NULL, n, w, 2);
	CHECK(v && v->legacy && v->verdict == CTA_VERDICT_ACCEPT && v->n_path == 2);
	CHECK_STR(v ? v->chain : NULL, "DOCKER");
	CHECK_STR(v ? v->table : NULL, "filter");
	CHECK_STR(v ? v->path[0].table : NULL, "nat");
	CHECK_STR(v ? v->path[0].rules[1].verdict : NULL, "dnat");
	cta_verdict_unref(v);
	/* the DNAT alone: nothing decided */
	v = cta_ltrace_verdict(NULL, n, w, 1);
	CHECK(v && !v->legacy && v->type == CTA_VTYPE_NONE && v->n_path == 1);
	cta_verdict_unref(v);
	CHECK(cta_ltrace_key(w, 2, key, sizeof(key)) > 0);
	CHECK_EQ(cta_ltrace_key(w, 2, key, 8), 0);
	cta_verdict_unref(n);
	cta_iptsave_free(s);
}

int main(void)
{
	struct cta_iptsave *s = load("case-legacy.v4");

	CHECK(s != NULL);
	if (s) {
		test_legacy_only(s);
		test_mixed(s);
	}
	cta_iptsave_free(s);
	test_nat();
	return check_report("ltrace");
}
