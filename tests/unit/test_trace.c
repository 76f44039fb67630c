// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recorded trace events of tests/data/trace (see test_tracemsg.c for the lab)
 * assembled into judgements: five SYNs, one accepted through a jump, two rejected,
 * two dropped by the policy.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

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

/* The router of issue 16: a dnat in nat_pre, the decision in filt_fwd, masquerade. */
static const char router[] = "table inet t { # handle 9\n"
			     "\tchain filt_fwd { # handle 1\n"
			     "\t\ttype filter hook forward priority 0; policy drop;\n"
			     "\t\tip saddr 198.51.100.8 drop # handle 4\n"
			     "\t\tct status dnat accept # handle 5\n"
			     "\t}\n"
			     "\tchain nat_pre { # handle 2\n"
			     "\t\ttype nat hook prerouting priority -100; policy accept;\n"
			     "\t\ttcp dport 8080 dnat ip to 192.0.2.2:80 # handle 7\n"
			     "\t}\n"
			     "\tchain nat_post { # handle 3\n"
			     "\t\ttype nat hook postrouting priority 100; policy accept;\n"
			     "\t\toifname \"wan0\" masquerade # handle 8\n"
			     "\t}\n"
			     "}\n";

static struct cta_trace_event ev_of(const char *table, const char *chain, bool headers,
				    const char *dst, uint16_t dport)
{
	struct cta_trace_event ev = { .id = 77,
				      .type = NFT_TRACETYPE_RULE,
				      .table_family = NFPROTO_INET,
				      .family = AF_INET,
				      .l4proto = IPPROTO_TCP };

	snprintf(ev.table, sizeof(ev.table), "%s", table);
	snprintf(ev.chain, sizeof(ev.chain), "%s", chain);
	if (headers) {
		ev.flags |= CTA_TRF_HEADERS;
		inet_pton(AF_INET, "198.51.100.7", ev.tuple.src.b);
		inet_pton(AF_INET, dst, ev.tuple.dst.b);
		ev.tuple.sport = 40000;
		ev.tuple.dport = dport;
	}
	return ev;
}

/* One packet across NAT: one judgement, the dnat a step, the forward accept the decider. */
static void test_nat(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_trace_event e[5];
	struct cta_verdict *v;

	n_got = 0;
	cta_ruleset_add_text(rs, router);
	e[0] = ev_of("conntrack_advise", "trace_prerouting", true, "198.51.100.1", 8080);
	e[1] = ev_of("t", "nat_pre", true, "198.51.100.1", 8080);
	e[1].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[1].handle = 7;
	e[1].verdict = NF_ACCEPT;
	e[2] = ev_of("t", "filt_fwd", true, "192.0.2.2", 80); /* after DNAT: same packet */
	e[2].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[2].handle = 5;
	e[2].verdict = NF_ACCEPT;
	e[3] = ev_of("t", "nat_post", true, "192.0.2.2", 80);
	e[3].type = NFT_TRACETYPE_POLICY;
	e[3].flags |= CTA_TRF_POLICY;
	e[3].policy = NF_ACCEPT;
	for (int i = 0; i < 4; i++)
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(got[0].tuple.dport, 8080); /* as the client sent it */
	v = cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE);
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_RULE);
		CHECK_STR(v->chain, "filt_fwd");
		CHECK_EQ(v->handle, 5);
		CHECK_EQ(v->n_path, 3);
		CHECK_STR(v->path[0].type, "nat");
		CHECK_STR(v->path[0].rules[0].nat, "dnat");
		CHECK_STR(v->path[0].rules[0].to, "192.0.2.2:80");
		CHECK_STR(v->path[2].verdict, "accept");
		CHECK(v->path[2].by_policy);
		CHECK_EQ(v->n_deciders, 1);
		CHECK_STR(v->deciders[0].hook, "forward");
		cta_verdict_unref(v);
	}
	/* another packet on the id, both sides changed: a new packet, not a NAT step */
	n_got = 0;
	e[4] = ev_of("t", "nat_pre", true, "203.0.113.5", 53);
	inet_pton(AF_INET, "203.0.113.9", e[4].tuple.src.b);
	for (int i = 1; i < 3; i++)
		cta_tracer_feed(t, &e[i], 200 + (uint64_t)i);
	cta_tracer_feed(t, &e[4], 300);
	cta_tracer_flush(t, 400, 0);
	CHECK_EQ(n_got, 2);
	cta_ruleset_free(rs);
	cta_tracer_free(t);
}

/*
 * Podman's netavark on IPv6: `dnat ip to` first, which meets the IPv6 packet and goes
 * on (verdict continue: nothing translated), then `dnat ip6 to`, which translates. Only
 * the second is the path's dnat.
 */
static const char dual[] = "table inet t { # handle 9\n"
			   "\tchain filt_fwd { # handle 1\n"
			   "\t\ttype filter hook forward priority 0; policy drop;\n"
			   "\t\tct status dnat accept # handle 5\n"
			   "\t}\n"
			   "\tchain nat_pre { # handle 2\n"
			   "\t\ttype nat hook prerouting priority -100; policy accept;\n"
			   "\t\ttcp dport 8080 dnat ip to 192.0.2.3:80 # handle 7\n"
			   "\t\ttcp dport 8080 dnat ip6 to [2001:db8::2]:80 # handle 8\n"
			   "\t}\n"
			   "}\n";

static void test_nat_continue(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_trace_event e[4];
	struct cta_verdict *v;

	n_got = 0;
	cta_ruleset_add_text(rs, dual);
	e[0] = ev_of("conntrack_advise", "trace_prerouting", true, "198.51.100.1", 8080);
	e[1] = ev_of("t", "nat_pre", true, "198.51.100.1", 8080);
	e[1].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[1].handle = 7;
	e[1].verdict = NFT_CONTINUE;
	e[2] = ev_of("t", "nat_pre", false, NULL, 0);
	e[2].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[2].handle = 8;
	e[2].verdict = NF_ACCEPT;
	e[3] = ev_of("t", "filt_fwd", true, "192.0.2.2", 80);
	e[3].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[3].handle = 5;
	e[3].verdict = NF_ACCEPT;
	for (int i = 0; i < 4; i++)
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	v = n_got == 1 ? cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE) : NULL;
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->n_path, 2);
		CHECK_EQ(v->path[0].n_rules, 2);
		if (v->path[0].n_rules == 2) {
			CHECK_EQ(v->path[0].rules[0].handle, 7);
			CHECK(v->path[0].rules[0].nat == NULL);
			CHECK(v->path[0].rules[0].to == NULL);
			CHECK_EQ(v->path[0].rules[1].handle, 8);
			CHECK_STR(v->path[0].rules[1].nat, "dnat");
		}
		cta_verdict_unref(v);
	}
	cta_ruleset_free(rs);
	cta_tracer_free(t);
}

/*
 * A hairpin's masquerade matches `ct status dnat`: the rule masquerades, the match's
 * word is no NAT of its own (helper-59: recorded as "dnat", review's lost-masquerade
 * check then missed its removal).
 */
static void test_nat_word(void)
{
	static const char hairpin[] =
		"table inet t { # handle 9\n"
		"\tchain filt_fwd { # handle 1\n"
		"\t\ttype filter hook forward priority 0; policy drop;\n"
		"\t\tct status dnat accept # handle 5\n"
		"\t}\n"
		"\tchain nat_post { # handle 3\n"
		"\t\ttype nat hook postrouting priority 100; policy accept;\n"
		"\t\tiifname \"lan0\" oifname \"lan0\" ct status dnat masquerade # handle 9\n"
		"\t}\n"
		"}\n";
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_trace_event e[3];
	struct cta_verdict *v;

	n_got = 0;
	cta_ruleset_add_text(rs, hairpin);
	e[0] = ev_of("conntrack_advise", "trace_prerouting", true, "192.0.2.2", 80);
	e[1] = ev_of("t", "filt_fwd", false, NULL, 0);
	e[1].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[1].handle = 5;
	e[1].verdict = NF_ACCEPT;
	e[2] = ev_of("t", "nat_post", false, NULL, 0);
	e[2].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[2].handle = 9;
	e[2].verdict = NF_ACCEPT;
	for (int i = 0; i < 3; i++)
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	v = n_got == 1 ? cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE) : NULL;
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->n_path, 2);
		if (v->n_path == 2 && v->path[1].n_rules == 1)
			CHECK_STR(v->path[1].rules[0].nat, "masquerade");
		cta_verdict_unref(v);
	}
	cta_ruleset_free(rs);
	cta_tracer_free(t);
}

/*
 * record's and blame --live's tables both mark a packet at -350: one packet, whose
 * steps are the host's only. Two marks of this tracer's own, with no step between,
 * are two packets (the kernel's id can come back with the next one).
 */
static void test_two_marks(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_trace_event e[4];

	n_got = 0;
	e[0] = ev_of("conntrack_advise", "trace_prerouting_tcp", true, "198.51.100.1", 22);
	e[1] = ev_of("conntrack_advise_blame", "trace_prerouting", true, "198.51.100.1", 22);
	e[2] = e[1];
	e[2].type = NFT_TRACETYPE_POLICY;
	e[2].flags = CTA_TRF_POLICY;
	e[2].policy = NF_ACCEPT;
	e[3] = ev_of("t", "filt_in", true, "198.51.100.1", 22);
	e[3].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[3].handle = 6;
	e[3].verdict = NF_ACCEPT;
	for (int i = 0; i < 4; i++)
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	if (n_got == 1) {
		CHECK_EQ(got[0].n_steps, 1);
		CHECK_EQ(got[0].steps[0].handle, 6);
		CHECK_STR(got[0].steps[0].table, "t");
	}
	/* blame's first, then record's: the same */
	n_got = 0;
	cta_tracer_feed(t, &e[1], 200);
	cta_tracer_feed(t, &e[0], 201);
	cta_tracer_feed(t, &e[3], 202);
	cta_tracer_flush(t, 300, 0);
	CHECK_EQ(n_got, 1);
	/* this tracer's mark twice: two packets */
	n_got = 0;
	cta_tracer_feed(t, &e[0], 400);
	cta_tracer_feed(t, &e[0], 401);
	cta_tracer_feed(t, &e[3], 402);
	cta_tracer_flush(t, 500, 0);
	CHECK_EQ(n_got, 2);
	cta_tracer_free(t);
}

/* OpenWrt's fw4: input jumps to the zone, then rejects through handle_reject. */
static const char fw4[] = "table inet fw4 { # handle 4\n"
			  "\tchain input { # handle 1\n"
			  "\t\ttype filter hook input priority 0; policy accept;\n"
			  "\t\tiifname \"wan0\" jump input_wan # handle 20\n"
			  "\t\tjump handle_reject # handle 22\n"
			  "\t}\n"
			  "\tchain input_wan { # handle 2\n"
			  "\t\ticmp type echo-request accept # handle 34\n"
			  "\t\tjump reject_from_wan # handle 35\n"
			  "\t}\n"
			  "\tchain reject_from_wan { # handle 3\n"
			  "\t\tjump handle_reject # handle 40\n"
			  "\t}\n"
			  "\tchain handle_reject { # handle 5\n"
			  "\t\tmeta l4proto tcp reject with tcp reset # handle 50\n"
			  "\t\treject # handle 51\n"
			  "\t}\n"
			  "}\n";

/*
 * The zone's accept decides: without it the packet goes on to input's `jump
 * handle_reject`, a chain that rejects (the drop is a jump away, not in input itself).
 */
static void test_fw4(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_trace_event e[3];
	struct cta_verdict *v;

	n_got = 0;
	cta_ruleset_add_text(rs, fw4);
	e[0] = ev_of("conntrack_advise", "trace_prerouting", true, "198.51.100.1", 0);
	e[1] = ev_of("fw4", "input", true, "198.51.100.1", 0);
	e[1].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[1].handle = 20;
	e[1].verdict = NFT_JUMP;
	e[2] = ev_of("fw4", "input_wan", false, "198.51.100.1", 0);
	e[2].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[2].handle = 34;
	e[2].verdict = NF_ACCEPT;
	for (int i = 0; i < 3; i++)
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	v = n_got ? cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE) : NULL;
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_RULE);
		CHECK_STR(v->chain, "input_wan");
		CHECK_EQ(v->handle, 34);
		cta_verdict_unref(v);
	}
	cta_ruleset_free(rs);
	cta_tracer_free(t);
}

/* A policy-accept input whose drops after the accepts are for other packets. */
static const char later[] =
	"table inet fw { # handle 6\n"
	"\tchain input { # handle 1\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\ttcp dport 22 accept # handle 9\n"
	"\t\tudp dport 53 accept # handle 10\n"
	"\t\tct state invalid drop # handle 11\n"
	"\t\tmeta l4proto tcp reject with icmp type port-unreachable # handle 12\n"
	"\t}\n"
	"}\n";

/* The verdict of one new packet of l4proto accepted by input's rule handle. */
static struct cta_verdict *accepted_by(const struct cta_ruleset *rs, uint8_t l4proto,
				       uint16_t dport, uint64_t handle)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_trace_event e[2];
	struct cta_verdict *v;

	n_got = 0;
	e[0] = ev_of("conntrack_advise", "trace_prerouting", true, "192.0.2.10", dport);
	e[1] = ev_of("fw", "input", true, "192.0.2.10", dport);
	e[1].flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
	e[1].handle = handle;
	e[1].verdict = NF_ACCEPT;
	for (int i = 0; i < 2; i++) {
		e[i].l4proto = l4proto;
		e[i].flags |= CTA_TRF_CT;
		e[i].ct_id = 5;
		e[i].ct_state = NF_CT_STATE_BIT(IP_CT_NEW);
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	}
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	/* while the tracer lives: the steps' names are its own (trace.h) */
	v = n_got ? cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE) : NULL;
	cta_tracer_free(t);
	return v;
}

/*
 * An accept decides only when a later rule could have dropped the packet: a UDP
 * query is not what `meta l4proto tcp reject` or `ct state invalid drop` would take
 * (its verdict is the chain letting it through), an ssh SYN is.
 */
static void test_later_drop(void)
{
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_verdict *v;

	cta_ruleset_add_text(rs, later);
	v = accepted_by(rs, IPPROTO_UDP, 53, 10);
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_OPEN);
		cta_verdict_unref(v);
	}
	v = accepted_by(rs, IPPROTO_TCP, 22, 9);
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_RULE);
		CHECK_EQ(v->handle, 9);
		cta_verdict_unref(v);
	}
	cta_ruleset_free(rs);
}

/*
 * IPv6 forwarded by a host whose tables are all `ip`: only the own table's chains saw
 * it, and its counting chain at the end of postrouting says it got through: accepted,
 * no chain at forward would drop it (not "no verdict"). A packet sent from here (it
 * reached count_output too) crossed output. The verdict cache keys tell them apart.
 */
static void test_own_hooks(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	const char *chains[] = { "trace_prerouting", "count_postrouting", "count_output" };
	char k1[512], k2[512];
	struct cta_verdict *v;

	cta_ruleset_add_text(rs, later); /* an inet table: not the packet's way here */
	for (int round = 0; round < 2; round++) {
		n_got = 0;
		for (int i = 0; i < 3; i++) {
			struct cta_trace_event e = ev_of("conntrack_advise",
							 round && !i ? "trace_output" : chains[i],
							 true, "192.0.2.10", 80);

			if (i == 2 && !round)
				continue;
			e.type = NFT_TRACETYPE_POLICY;
			e.flags |= CTA_TRF_POLICY;
			e.policy = NF_ACCEPT;
			cta_tracer_feed(t, &e, (uint64_t)(round * 10 + i));
		}
		cta_tracer_flush(t, 100, 0);
		CHECK_EQ(n_got, 1);
		if (!n_got)
			continue;
		v = cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE);
		CHECK(v != NULL);
		if (v) {
			CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
			CHECK_EQ(v->type, CTA_VTYPE_OPEN);
			CHECK_EQ(v->n_deciders, 1);
			if (v->n_deciders)
				CHECK_STR(v->deciders[0].hook, round ? "output" : "forward");
			cta_verdict_unref(v);
		}
		CHECK(cta_judgement_key(&got[0], round ? k2 : k1, sizeof(k1)) > 0);
		/* count_output's policy, not its counting rule: not counted entering */
		CHECK_EQ(got[0].reached & CTA_REACHED_ENTERED, 0);
	}
	CHECK(strcmp(k1, k2) != 0);

	/*
	 * The rule of count_prerouting or count_output that counts a first packet entering
	 * returns: counted (its denial is the kernel's to list, judge.c); the key unchanged
	 */
	for (int i = 0; i < 2; i++) {
		struct cta_trace_event e = ev_of("conntrack_advise",
						 i ? "count_output" : "count_prerouting", true,
						 "192.0.2.10", 80);
		struct cta_trace_event p =
			ev_of("conntrack_advise", "count_postrouting", true, "192.0.2.10", 80);
		struct cta_judgement plain;
		char k[512], k0[512];

		n_got = 0;
		e.verdict = NFT_RETURN;
		e.flags |= CTA_TRF_HANDLE | CTA_TRF_CT;
		e.handle = 5;
		e.ct_state = NF_CT_STATE_BIT(IP_CT_NEW);
		cta_tracer_feed(t, &e, 30 + (uint64_t)i * 10);
		p.type = NFT_TRACETYPE_POLICY;
		p.flags = CTA_TRF_POLICY;
		p.policy = NF_ACCEPT;
		cta_tracer_feed(t, &p, 31 + (uint64_t)i * 10);
		cta_tracer_flush(t, 100 + (uint64_t)i * 10, 0);
		CHECK_EQ(n_got, 1);
		if (!n_got)
			continue;
		CHECK(got[0].reached & CTA_REACHED_ENTERED);
		CHECK(cta_judgement_key(&got[0], k, sizeof(k)) > 0);
		plain = got[0];
		plain.reached &= (uint8_t)~CTA_REACHED_ENTERED;
		CHECK(cta_judgement_key(&plain, k0, sizeof(k0)) > 0);
		CHECK_STR(k, k0);
	}
	/*
	 * The chain's first rule, `ct state != new return`, returns an untracked packet
	 * (neighbour discovery): not counted (review_nd's advertisement)
	 */
	{
		struct cta_trace_event e =
			ev_of("conntrack_advise", "count_prerouting", true, "192.0.2.10", 80);

		n_got = 0;
		e.verdict = NFT_RETURN;
		e.flags |= CTA_TRF_HANDLE | CTA_TRF_CT;
		e.handle = 4;
		e.ct_state = NF_CT_STATE_UNTRACKED_BIT;
		cta_tracer_feed(t, &e, 60);
		cta_tracer_flush(t, 200, 0);
		CHECK_EQ(n_got, 1);
		if (n_got)
			CHECK_EQ(got[0].reached & CTA_REACHED_ENTERED, 0);
	}
	cta_ruleset_free(rs);
	cta_tracer_free(t);
}

/*
 * A jump the packet came back from, and a goto: neither makes the rules after it
 * "later" for an accept that came after (helper-26's ufw and firewalld finds).
 */
static const char returned[] = "table inet t { # handle 7\n"
			       "\tchain input { # handle 1\n"
			       "\t\ttype filter hook input priority 0; policy accept;\n"
			       "\t\tjump checks # handle 4\n"
			       "\t\tip saddr 203.0.113.98 drop # handle 5\n"
			       "\t\ttcp dport 22 accept # handle 6\n"
			       "\t}\n"
			       "\tchain checks { # handle 2\n"
			       "\t\tip saddr 203.0.113.99 drop # handle 9\n"
			       "\t}\n"
			       "}\n";
static const char wan[] = "table inet t { # handle 7\n"
			  "\tchain input { # handle 1\n"
			  "\t\ttype filter hook input priority 0; policy accept;\n"
			  "\t\tiifname \"sa\" goto in_wan # handle 7\n"
			  "\t\tdrop # handle 8\n"
			  "\t}\n"
			  "\tchain in_wan { # handle 3\n"
			  "\t\ttcp dport 2222 accept # handle 10\n"
			  "\t}\n"
			  "}\n";

/* The verdict of one SYN to dport along input's steps (handle, verdict, chain). */
static struct cta_verdict *walk(const struct cta_ruleset *rs, uint16_t dport, int n,
				const uint64_t *handles, const int32_t *verdicts,
				const char *const *chains)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_trace_event e;
	struct cta_verdict *v;

	n_got = 0;
	e = ev_of("conntrack_advise", "trace_prerouting", true, "192.0.2.10", dport);
	cta_tracer_feed(t, &e, 0);
	for (int i = 0; i < n; i++) {
		e = ev_of("t", chains[i], i == 0, "192.0.2.10", dport);
		e.flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
		e.handle = handles[i];
		e.verdict = verdicts[i];
		snprintf(e.jump_target, sizeof(e.jump_target), "%s",
			 verdicts[i] == NFT_JUMP   ? "checks"
			 : verdicts[i] == NFT_GOTO ? "in_wan"
						   : "");
		cta_tracer_feed(t, &e, (uint64_t)i + 1);
	}
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 1);
	/* while the tracer lives: the steps' names are its own (trace.h) */
	v = n_got ? cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE) : NULL;
	cta_tracer_free(t);
	return v;
}

static void test_returned(void)
{
	struct cta_ruleset *rs = cta_ruleset_new(), *rs2 = cta_ruleset_new();
	static const uint64_t h1[] = { 4, 6 }, h2[] = { 7, 10 };
	static const int32_t v1[] = { NFT_JUMP, NF_ACCEPT }, v2[] = { NFT_GOTO, NF_ACCEPT };
	static const char *const c1[] = { "input", "input" }, *const c2[] = { "input", "in_wan" };
	struct cta_verdict *v;

	cta_ruleset_add_text(rs, returned);
	cta_ruleset_add_text(rs2, wan);
	/*
	 * `jump checks` returned, the packet passed `ip saddr 203.0.113.98 drop`, then
	 * `tcp dport 22 accept`: nothing after it would drop it
	 */
	v = walk(rs, 22, 2, h1, v1, c1);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_OPEN);
		cta_verdict_unref(v);
	}
	/* by the goto: in_wan ends where input's policy accepts, its `drop` never comes */
	v = walk(rs2, 2222, 2, h2, v2, c2);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_OPEN);
		cta_verdict_unref(v);
	}
	cta_ruleset_free(rs);
	cta_ruleset_free(rs2);
}

/* synproxy in front of a local server (issue 21), as this kernel traces it. */
static const char synproxy[] =
	"table inet filter { # handle 1\n"
	"\tchain raw_pre { # handle 1\n"
	"\t\ttype filter hook prerouting priority -300; policy accept;\n"
	"\t\ttcp dport 80 tcp flags syn notrack # handle 3\n"
	"\t}\n"
	"\tchain input { # handle 2\n"
	"\t\ttype filter hook input priority 0; policy drop;\n"
	"\t\tiif \"lo\" accept # handle 4\n"
	"\t\ttcp dport 80 ct state invalid,untracked synproxy mss 1460 wscale 7 # handle 5\n"
	"\t}\n"
	"}\n";

/* An event of packet id on the synproxy host: a rule (handle) or a policy (handle 0). */
static struct cta_trace_event sp_ev(uint32_t id, const char *table, const char *chain, bool headers,
				    uint64_t handle, int32_t verdict)
{
	struct cta_trace_event e = ev_of(table, chain, headers, "192.0.2.10", 80);

	e.id = id;
	if (handle) {
		e.flags |= CTA_TRF_HANDLE | CTA_TRF_VERDICT;
		e.handle = handle;
		e.verdict = verdict;
	} else {
		e.type = NFT_TRACETYPE_POLICY;
		e.flags |= CTA_TRF_POLICY;
		e.policy = (uint32_t)verdict;
	}
	return e;
}

/*
 * The client's SYN, untracked, stolen by the synproxy rule (the kernel sends no
 * headers with that rule's event); synproxy's SYN to the server, out with its
 * conntrack template, then in again on lo, where `iif "lo" accept` lets it in. The
 * client's SYN is decided by the synproxy rule, an accept; the other two are the
 * kernel's, on its behalf.
 */
static void test_synproxy(void)
{
	struct cta_tracer *t = cta_tracer_new("conntrack_advise", on_judgement, NULL);
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_trace_event e[12];
	struct cta_verdict *v;
	int n = 0;

	n_got = 0;
	cta_ruleset_add_text(rs, synproxy);
	e[n] = ev_of("conntrack_advise", "trace_prerouting", true, "192.0.2.10", 80);
	e[n].id = 1;
	e[n].flags |= CTA_TRF_IIF;
	e[n++].iif = 2;
	e[n++] = sp_ev(1, "filter", "raw_pre", true, 3, NFT_CONTINUE);
	e[n++] = sp_ev(1, "filter", "raw_pre", false, 0, NF_ACCEPT);
	e[n++] = sp_ev(1, "filter", "input", false, 5, NF_STOLEN);
	e[n] = ev_of("conntrack_advise", "trace_output", true, "192.0.2.10", 80);
	e[n].id = 2;
	e[n].flags |= CTA_TRF_CT | CTA_TRF_OIF;
	e[n].oif = 1;
	e[n].ct_id = 111;
	e[n++].ct_status = IPS_TEMPLATE | IPS_CONFIRMED;
	e[n] = ev_of("conntrack_advise", "trace_prerouting", true, "192.0.2.10", 80);
	e[n].id = 3;
	e[n].flags |= CTA_TRF_CT | CTA_TRF_IIF;
	e[n].iif = 1;
	e[n].ct_id = 222;
	e[n].ct_state = NF_CT_STATE_BIT(IP_CT_NEW);
	e[n++].ct_status = IPS_CONFIRMED;
	e[n++] = sp_ev(3, "filter", "raw_pre", true, 3, NFT_CONTINUE);
	e[n++] = sp_ev(3, "filter", "input", true, 4, NF_ACCEPT);
	for (int i = 0; i < n; i++)
		cta_tracer_feed(t, &e[i], (uint64_t)i);
	cta_tracer_flush(t, 100, 0);
	CHECK_EQ(n_got, 3);
	CHECK(!got[0].by_kernel); /* stolen: done at once */
	CHECK(got[1].by_kernel && got[2].by_kernel);
	v = cta_judgement_verdict(&got[0], rs, CTA_VSOURCE_TRACE);
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(v->verdict, CTA_VERDICT_ACCEPT);
		CHECK_EQ(v->type, CTA_VTYPE_RULE);
		CHECK_STR(v->chain, "input");
		CHECK_EQ(v->handle, 5);
		CHECK_EQ(v->n_path, 2); /* input is a stage of its own, headers or not */
		CHECK_STR(v->path[0].chain, "raw_pre");
		CHECK(v->path[0].by_policy);
		CHECK_STR(v->path[1].chain, "input");
		CHECK_STR(v->path[1].verdict, "accept");
		cta_verdict_unref(v);
	}
	/* a local connection's SYN on lo, that the kernel did not send: not the kernel's */
	n_got = 0;
	e[5].id = 4;
	e[5].tuple.sport = 40001;
	e[5].flags &= ~CTA_TRF_CT;
	cta_tracer_feed(t, &e[5], 5 * 1000000000ULL);
	cta_tracer_flush(t, 6 * 1000000000ULL, 0);
	CHECK_EQ(n_got, 1);
	CHECK(!got[0].by_kernel);
	cta_ruleset_free(rs);
	cta_tracer_free(t);
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
	test_nat();
	test_nat_continue();
	test_nat_word();
	test_two_marks();
	test_synproxy();
	test_fw4();
	test_later_drop();
	test_own_hooks();
	test_returned();
	return check_report("trace");
}
