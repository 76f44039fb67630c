// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recorded trace events of tests/data/trace (see test_tracemsg.c for the lab)
 * assembled into judgements: five SYNs, one accepted through a jump, two rejected,
 * two dropped by the policy.
 */
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <stdlib.h>

#include "check.h"
#include "nft/ctmsg.h"
#include "advisor/record/trace.h"

static struct cta_judgement got[8];
static int n_got;

static void on_judgement(const struct cta_judgement *j, void *data)
{
	(void)data;
	if (n_got < 8)
		got[n_got] = *j;
	n_got++;
}

static const char listing[] = "table inet fw { # handle 2\n"
			      "\tchain input { # handle 1\n"
			      "\t\ttype filter hook input priority 0; policy drop;\n"
			      "\t\tct state established,related accept # handle 3\n"
			      "\t\tiif \"lo\" accept # handle 4\n"
			      "\t\tjump svc # handle 5\n"
			      "\t}\n"
			      "\n"
			      "\tchain svc { # handle 2\n"
			      "\t\ttcp dport 22 accept # handle 6\n"
			      "\t\ttcp dport 80 reject # handle 7\n"
			      "\t}\n"
			      "}\n";
static int feed_all(struct cta_tracer *t)
{
	const char *src = getenv("SRCDIR");
	char path[4096], buf[8192];
	int fed = 0;

	for (int i = 0; i < 29; i++) {
		struct cta_trace_event ev;
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/tests/data/trace/%03d.nl", src ? src : ".", i);
		f = fopen(path, "rb");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (!cta_nlmsg_ok((const void *)buf, (int)n) ||
		    cta_tracemsg_parse((const void *)buf, &ev))
			continue;
		/* the lab marked packets from "tr"/"pre"; the tool's own are these */
		if (!strcmp(ev.table, "tr")) {
			strcpy(ev.table, "conntrack_advise");
			strcpy(ev.chain, "trace_prerouting");
		}
		cta_tracer_feed(t, &ev, (uint64_t)i * 1000);
		fed++;
	}
	return fed;
}

static const char *s(json_t *o, const char *path)
{
	return json_string_value(json_object_get(o, path));
}

int main(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	json_t *j, *stage, *rules;

	cta_ruleset_add_text(rs, listing);
	CHECK_EQ(feed_all(t), 29);
	cta_tracer_flush(t, 1000000, 0);
	CHECK_EQ(n_got, 5);

	/*
	 * Drops end a packet at once; an accept only ends its base chain, so the SYN to
	 * 22 is done at the flush: judgements come in the order packets are done.
	 */
	memmove(&got[5], &got[4], sizeof(got[0]));
	memmove(&got[1], &got[0], 4 * sizeof(got[0]));
	got[0] = got[5];

	/* 22: accepted in svc through input's jump */
	CHECK_EQ(got[0].verdict, CTA_VERDICT_ACCEPT);
	CHECK_EQ(got[0].tuple.dport, 22);
	CHECK_EQ(got[0].l4proto, IPPROTO_TCP);
	CHECK(got[0].has_ct && got[0].ct_id == 1071615025u);
	CHECK_EQ(got[0].n_steps, 2);
	j = cta_judgement_to_json(&got[0], rs);
	CHECK_STR(s(j, "verdict"), "accept");
	CHECK_STR(s(j, "type"), "rule");
	CHECK_STR(s(j, "family"), "inet");
	CHECK_STR(s(j, "table"), "fw");
	CHECK_STR(s(j, "chain"), "svc");
	CHECK_EQ(json_integer_value(json_object_get(j, "handle")), 6);
	CHECK_STR(s(j, "rule"), "tcp dport 22 accept");
	CHECK_EQ(json_array_size(json_object_get(j, "path")), 1);
	stage = json_array_get(json_object_get(j, "path"), 0);
	CHECK_STR(s(stage, "chain"), "input");
	CHECK_STR(s(stage, "hook"), "input");
	CHECK_EQ(json_integer_value(json_object_get(stage, "priority")), 0);
	CHECK_STR(s(stage, "verdict"), "accept");
	rules = json_object_get(stage, "rules");
	CHECK_EQ(json_array_size(rules), 2);
	CHECK_STR(s(json_array_get(rules, 0), "verdict"), "jump svc");
	CHECK_STR(s(json_array_get(rules, 0), "rule"), "jump svc");
	CHECK_STR(s(json_array_get(rules, 1), "chain"), "svc");
	json_decref(j);

	/* 80, twice (a retransmit): a drop the rule text calls reject */
	for (int i = 1; i <= 2; i++) {
		CHECK_EQ(got[i].verdict, CTA_VERDICT_DROP);
		CHECK_EQ(got[i].tuple.dport, 80);
		CHECK_EQ(got[i].ct_id, 3613851226u);
		j = cta_judgement_to_json(&got[i], rs);
		CHECK_STR(s(j, "verdict"), "reject");
		CHECK_EQ(json_integer_value(json_object_get(j, "handle")), 7);
		CHECK_STR(s(j, "rule"), "tcp dport 80 reject");
		json_decref(j);
	}
	/* 443, twice: nothing matched in svc, input's policy dropped it */
	for (int i = 3; i <= 4; i++) {
		CHECK_EQ(got[i].verdict, CTA_VERDICT_DROP);
		CHECK_EQ(got[i].tuple.dport, 443);
		j = cta_judgement_to_json(&got[i], rs);
		CHECK_STR(s(j, "verdict"), "drop");
		CHECK_STR(s(j, "type"), "policy");
		CHECK_STR(s(j, "chain"), "input");
		CHECK(json_object_get(j, "handle") == NULL);
		stage = json_array_get(json_object_get(j, "path"), 0);
		rules = json_object_get(stage, "rules");
		CHECK_EQ(json_array_size(rules), 2); /* the jump, then the policy */
		CHECK_STR(s(json_array_get(rules, 1), "policy"), "drop");
		json_decref(j);
	}
	/*
	 * Keys: the retransmits (same path, other packets) share one, so their JSON is
	 * built once; every other pair of paths differs, and equal keys mean equal JSON.
	 */
	{
		char k[5][4096];
		size_t n[5];

		for (int i = 0; i < 5; i++)
			n[i] = cta_judgement_key(&got[i], k[i], sizeof(k[i]));
		for (int i = 0; i < 5; i++)
			CHECK(n[i] > 0);
		for (int a = 0; a < 5; a++) {
			for (int b = a + 1; b < 5; b++) {
				bool same = n[a] == n[b] && !memcmp(k[a], k[b], n[a]);
				json_t *ja = cta_judgement_to_json(&got[a], rs),
				       *jb = cta_judgement_to_json(&got[b], rs);

				CHECK_EQ(same, (a == 1 && b == 2) || (a == 3 && b == 4));
				if (same)
					CHECK(json_equal(ja, jb));
				json_decref(ja);
				json_decref(jb);
			}
		}
		/* any field the JSON shows changes the key; a key too long is none */
		got[5] = got[1];
		got[5].steps[got[5].n_steps - 1].handle++;
		CHECK(cta_judgement_key(&got[5], k[0], sizeof(k[0])) != n[1] ||
		      memcmp(k[0], k[1], n[1]));
		CHECK_EQ(cta_judgement_key(&got[1], k[0], 8), 0);
	}

	/* without a ruleset the story is there, the texts are not */
	j = cta_judgement_to_json(&got[0], NULL);
	CHECK(json_is_null(json_object_get(j, "rule")));
	json_decref(j);
	cta_ruleset_free(rs);
	cta_tracer_free(t);
	return check_report("trace");
}
