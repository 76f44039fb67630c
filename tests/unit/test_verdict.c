// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Typed verdicts and processes: their session form both ways, their counts per
 * decider, and the judge adding to the right count (a rate-limited service: 3
 * connections accepted, 2 rejected; one stray denied attempt among a thousand
 * accepted connections turns nothing into a drop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/session.h"
#include "advisor/record/judge.h"
#include "advisor/lib/util.h"
#include "advisor/suggest/ir.h"

#define S 1000000000ULL

static const char verdict_text[] =
	"{\"verdict\": \"reject\", \"type\": \"rule\", \"source\": \"trace\", \"family\": \"inet\","
	" \"table\": \"filter\", \"chain\": \"ssh_in\", \"handle\": 11,"
	" \"rule\": \"meter ssh_rate { ip saddr limit rate over 2/minute burst 3 packets }"
	" counter reject with tcp reset\","
	" \"deciders\": [{\"hook\": \"input\", \"type\": \"rule\", \"family\": \"inet\","
	" \"table\": \"filter\", \"chain\": \"ssh_in\", \"handle\": 11, \"rule\": null,"
	" \"verdict\": \"reject\"}],"
	" \"path\": [{\"family\": \"inet\", \"table\": \"t\", \"chain\": \"pre\","
	" \"hook\": \"prerouting\", \"priority\": -100, \"type\": \"nat\", \"policy\": \"accept\","
	" \"rules\": [{\"chain\": \"pre\", \"handle\": 3, \"rule\": \"dnat ip to 192.0.2.2:80\","
	" \"verdict\": \"accept\", \"nat\": \"dnat\", \"to\": \"192.0.2.2:80\"}],"
	" \"verdict\": \"accept\", \"by\": \"rule\"},"
	" {\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\","
	" \"hook\": \"input\", \"priority\": 0, \"policy\": \"drop\", \"rules\": ["
	" {\"chain\": \"input\", \"handle\": 4, \"rule\": \"tcp dport vmap { 22 : jump ssh_in }\","
	" \"verdict\": \"jump ssh_in\"},"
	" {\"chain\": \"ssh_in\", \"handle\": 11, \"rule\": null, \"verdict\": \"reject\"},"
	" {\"chain\": \"other\", \"policy\": \"accept\"}], \"verdict\": \"reject\","
	" \"by\": \"rule\"}],"
	" \"steps_not_kept\": 2, \"uid\": 1000, \"gid\": 100}";

static const char process_text[] =
	"{\"pid\": 4242, \"comm\": \"sshd\", \"exe\": \"/usr/sbin/sshd\","
	" \"uid\": 0, \"user\": \"root\", \"gid\": 0,"
	" \"cgroup\": \"/system.slice/ssh.service\"}";

static struct cta_verdict *verdict_from(const char *text)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	struct cta_verdict *v = NULL;
	struct cta_err err;

	CHECK(o != NULL);
	CHECK_EQ(cta_verdict_from_json(o, &v, &err), 0);
	json_decref(o);
	return v;
}

static void test_round_trip(void)
{
	json_error_t jerr;
	json_t *vo = json_loads(verdict_text, 0, &jerr), *po = json_loads(process_text, 0, &jerr);
	struct cta_verdict *v = NULL, *back = NULL, *copy;
	struct cta_process *p = NULL, *pback = NULL;
	struct cta_err err;
	json_t *out;

	CHECK_EQ(cta_verdict_from_json(vo, &v, &err), 0);
	if (!v)
		return;
	CHECK_EQ(v->verdict, CTA_VERDICT_REJECT);
	CHECK_EQ(v->type, CTA_VTYPE_RULE);
	CHECK_EQ(v->source, CTA_VSOURCE_TRACE);
	CHECK_STR(v->chain, "ssh_in");
	CHECK_EQ(v->handle, 11);
	CHECK_EQ(v->n_path, 2);
	CHECK_STR(v->path[0].type, "nat");
	CHECK_STR(v->path[0].rules[0].nat, "dnat");
	CHECK_STR(v->path[0].rules[0].to, "192.0.2.2:80");
	CHECK_EQ(v->path[1].n_rules, 3);
	CHECK(v->path[1].rules[1].rule == NULL);
	CHECK(v->path[1].rules[2].policy);
	CHECK_EQ(v->path[1].priority, 0);
	CHECK(!v->path[1].by_policy);
	CHECK_EQ(v->n_deciders, 1);
	CHECK_STR(v->deciders[0].hook, "input");
	CHECK_EQ(v->deciders[0].type, CTA_VTYPE_RULE);
	CHECK_EQ(v->deciders[0].handle, 11);
	CHECK(v->has_uid && v->uid == 1000 && v->gid == 100);
	/* to JSON and back: the same value, and the same object as read */
	out = cta_verdict_to_json(v);
	CHECK(json_equal(out, vo));
	CHECK_EQ(cta_verdict_from_json(out, &back, &err), 0);
	CHECK(cta_verdict_equal(v, back));
	copy = cta_verdict_dup(v);
	CHECK(cta_verdict_equal(v, copy));
	copy->handle = 12;
	CHECK(!cta_verdict_equal(v, copy));
	CHECK(!cta_verdict_same_decider(v, copy));
	json_decref(out);

	CHECK_EQ(cta_process_from_json(po, &p, &err), 0);
	CHECK(p && p->has_pid && p->pid == 4242 && p->has_uid && p->uid == 0);
	out = p ? cta_process_to_json(p) : NULL;
	CHECK(json_equal(out, po));
	CHECK_EQ(cta_process_from_json(out, &pback, &err), 0);
	CHECK(cta_process_equal(p, pback));
	json_decref(out);

	cta_verdict_unref(v);
	cta_verdict_unref(back);
	cta_verdict_unref(copy);
	cta_process_unref(p);
	cta_process_unref(pback);
	json_decref(vo);
	json_decref(po);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "{\"verdict\": \"maybe\", \"type\": \"none\"}",
		  "(json): verdict: \"maybe\" is not a verdict" },
		{ "{\"verdict\": \"drop\", \"type\": \"rule\", \"chain\": \"c\"}",
		  "(json): (top level): missing field \"table\"" },
		{ "{\"verdict\": \"drop\", \"type\": \"rule\", \"table\": \"t\", \"chain\": \"c\"}",
		  "(json): (top level): missing field \"handle\"" },
		{ "{\"verdict\": \"drop\", \"type\": \"none\", \"path\": [1]}",
		  "(json): path[0]: expected an object" },
		{ "{\"verdict\": \"drop\", \"type\": \"none\", \"source\": \"guess\"}",
		  "(json): source: \"guess\" is not trace or nflog" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_error_t jerr;
		json_t *o = json_loads(cases[i].text, 0, &jerr);
		struct cta_verdict *v = NULL;
		struct cta_err err;

		CHECK_EQ(cta_verdict_from_json(o, &v, &err), -EBADMSG);
		CHECK(v == NULL);
		CHECK_STR(err.msg, cases[i].msg);
		json_decref(o);
	}
}

static void test_tally(void)
{
	struct cta_verdict *acc = verdict_from("{\"verdict\": \"accept\", \"type\": \"rule\","
					       " \"family\": \"inet\", \"table\": \"filter\","
					       " \"chain\": \"ssh_in\", \"handle\": 12}");
	struct cta_verdict *rej = verdict_from(verdict_text);
	struct cta_verdict *rej2 = cta_verdict_dup(rej);
	struct cta_vtally t = { 0 }, u = { 0 };

	rej2->steps_not_kept = 9; /* another path, the same decider */
	CHECK_EQ(cta_vtally_add(&t, rej, 1), 0);
	CHECK_EQ(cta_vtally_add(&t, acc, 3), 0);
	CHECK_EQ(cta_vtally_add(&t, rej2, 1), 0);
	CHECK_EQ(t.n, 2);
	CHECK_EQ(cta_vtally_accepted(&t), 3);
	CHECK_EQ(cta_vtally_denied(&t), 2);
	CHECK(cta_vtally_main(&t) == acc);
	cta_vtally_sort(&t);
	CHECK(t.g[0].v == acc && t.g[0].n == 3);
	CHECK(t.g[1].v == rej && t.g[1].n == 2);
	/* merged twice: every count doubles, no decider twice */
	CHECK_EQ(cta_vtally_merge(&u, &t), 0);
	CHECK_EQ(cta_vtally_merge(&u, &t), 0);
	CHECK_EQ(u.n, 2);
	CHECK_EQ(cta_vtally_accepted(&u), 6);
	CHECK_EQ(cta_vtally_denied(&u), 4);
	cta_vtally_fini(&t);
	cta_vtally_fini(&u);
	cta_verdict_unref(acc);
	cta_verdict_unref(rej);
	cta_verdict_unref(rej2);
}

static struct cta_judgement traced(uint16_t sport, enum cta_vkind kind)
{
	struct cta_judgement jd;

	memset(&jd, 0, sizeof(jd));
	jd.family = AF_INET;
	jd.l4proto = IPPROTO_TCP;
	inet_pton(AF_INET, "198.51.100.7", jd.tuple.src.b);
	inet_pton(AF_INET, "192.0.2.10", jd.tuple.dst.b);
	jd.tuple.sport = sport;
	jd.tuple.dport = 22;
	jd.verdict = kind;
	jd.decider = -1;
	return jd;
}

/* The conntrack NEW event of an accepted connection. */
static struct cta_event confirmed(const struct cta_judgement *jd, uint32_t id)
{
	struct cta_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CTA_EV_CT_NEW;
	ev.family = jd->family;
	ev.l4proto = jd->l4proto;
	ev.id = id;
	ev.flags = CTA_EVF_ID;
	ev.orig = jd->tuple;
	ev.reply.src = jd->tuple.dst;
	ev.reply.dst = jd->tuple.src;
	ev.reply.sport = jd->tuple.dport;
	ev.reply.dport = jd->tuple.sport;
	ev.seen_ns = 1;
	return ev;
}

/* One connection: traced, then confirmed (accepted) or never (denied). */
static void connection(struct cta_judge *j, struct cta_flowtab *ft, struct cta_host *h,
		       struct cta_verdict *v, uint16_t sport, uint64_t now)
{
	struct cta_judgement jd =
		traced(sport, v->verdict == CTA_VERDICT_ACCEPT ? v->verdict : CTA_VERDICT_DROP);

	CHECK_EQ(cta_judge_trace(j, &jd, cta_verdict_ref(v), now, now), 0);
	if (v->verdict == CTA_VERDICT_ACCEPT) {
		struct cta_event ev = confirmed(&jd, sport);

		CHECK_EQ(cta_flowtab_apply(ft, &ev, h), 0);
		CHECK_EQ(cta_judge_conntrack(j, &ev), 0);
		/* the same connection traced again (trace all): counted once */
		CHECK_EQ(cta_judge_trace(j,
					 &(struct cta_judgement){ .family = AF_INET,
								  .l4proto = IPPROTO_TCP,
								  .tuple = jd.tuple,
								  .has_ct = true,
								  .ct_id = sport,
								  .verdict = v->verdict,
								  .decider = -1 },
					 cta_verdict_ref(v), now, now),
			 0);
	}
}

static void test_judge_counts(void)
{
	struct cta_host host = { 0 };
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_judge *j = cta_judge_new(ft, &host);
	struct cta_verdict *acc = verdict_from("{\"verdict\": \"accept\", \"type\": \"rule\","
					       " \"source\": \"trace\", \"family\": \"inet\","
					       " \"table\": \"filter\", \"chain\": \"ssh_in\","
					       " \"handle\": 12}");
	struct cta_verdict *rej = verdict_from("{\"verdict\": \"reject\", \"type\": \"rule\","
					       " \"source\": \"trace\", \"family\": \"inet\","
					       " \"table\": \"filter\", \"chain\": \"ssh_in\","
					       " \"handle\": 11}");
	const struct cta_vtally *t;
	const struct cta_flow *f;
	uint64_t now = 10 * S;

	inet_pton(AF_INET, "192.0.2.10", a.addr.b);
	cta_host_add_addr(&host, "eth0", 2, &a);
	/* ssh rate-limited: 3 connections accepted, then 2 rejected */
	for (uint16_t i = 0; i < 3; i++)
		connection(j, ft, &host, acc, (uint16_t)(40000 + i), now);
	for (uint16_t i = 3; i < 5; i++)
		connection(j, ft, &host, rej, (uint16_t)(40000 + i), now);
	CHECK_EQ(cta_judge_expire(j, now + 5 * S, 2 * S), 0);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	f = &cta_flowtab_flows(ft)[0];
	t = cta_flowtab_verdicts_of(ft, f);
	CHECK_EQ(f->connections, 5);
	CHECK(t && t->n == 2);
	CHECK_EQ(cta_vtally_accepted(t), 3);
	CHECK_EQ(cta_vtally_denied(t), 2);
	CHECK(!cta_flow_denied(f, t));

	/* a thousand more accepted, one more stray denial: still an accepted service */
	for (uint16_t i = 5; i < 1005; i++)
		connection(j, ft, &host, acc, (uint16_t)(40000 + i), now);
	connection(j, ft, &host, rej, 50000, now);
	CHECK_EQ(cta_judge_expire(j, now + 10 * S, 2 * S), 0);
	f = &cta_flowtab_flows(ft)[0];
	t = cta_flowtab_verdicts_of(ft, f);
	CHECK_EQ(cta_vtally_accepted(t), 1003);
	CHECK_EQ(cta_vtally_denied(t), 3);
	CHECK(cta_vtally_main(t)->verdict == CTA_VERDICT_ACCEPT);
	CHECK(!cta_flow_denied(f, t));

	cta_verdict_unref(acc);
	cta_verdict_unref(rej);
	cta_judge_free(j);
	cta_flowtab_free(ft);
	cta_host_fini(&host);
}

int main(void)
{
	test_round_trip();
	test_errors();
	test_tally();
	test_judge_counts();
	return check_report("verdict");
}
