// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Denied connects one by one (advisor/record/syns.h): of a TCP flow's denied packets
 * nothing claimed, those of connects the SYN sets listed in two listings are attempts,
 * the rest retransmits; a connect a trace or NFLOG saw is not one to hand out; a flow
 * the sets did not list, or sets that were full or unlisted, leave every packet an
 * attempt; identities not seen for CTA_SYNS_KEEP_NS are forgotten; at the end one
 * listing is enough. Through the judge:
 * a rate-limited flow's 4 denied SYNs nothing claimed, of 2 connects, are 2 attempts
 * and 4 packets (without the sets, 4 attempts); a retransmit traced later names the
 * rule for both.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/host.h"
#include "advisor/record/judge.h"
#include "advisor/record/syns.h"

#define S 1000000000ULL

static struct cta_kcount_syn syn(const char *dst, uint16_t sport, uint32_t isn)
{
	struct cta_kcount_syn e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.sport = sport;
	e.dport = 22;
	e.isn = isn;
	inet_pton(AF_INET, "198.51.100.7", e.src.b);
	inet_pton(AF_INET, dst, e.dst.b);
	return e;
}

static struct cta_denial_key flow(const char *dst)
{
	struct cta_denial_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.l4proto = IPPROTO_TCP;
	k.dport = 22;
	inet_pton(AF_INET, "198.51.100.7", k.src.b);
	inet_pton(AF_INET, dst, k.dst.b);
	return k;
}

static void listing(struct cta_syns *s, const struct cta_kcount_syn *e, size_t n, bool full,
		    uint64_t now)
{
	cta_syns_next_listing(s);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(cta_syns_add(s, &e[i], now), 0);
	cta_syns_listed(s, true, full, now);
}

/* A counting set's element of the flow 198.51.100.7 -> 203.0.113.7:22 */
static struct cta_kcount_elem count(int point, uint64_t packets)
{
	struct cta_kcount_elem e = { .point = (uint8_t)point,
				     .family = AF_INET,
				     .l4proto = IPPROTO_TCP,
				     .dport = 22,
				     .packets = packets };

	inet_pton(AF_INET, "198.51.100.7", e.src.b);
	inet_pton(AF_INET, "203.0.113.7", e.dst.b);
	return e;
}

/* How many of the flow's connections have a verdict with this handle; of no rule: 0. */
static uint64_t judged_by(const struct cta_flowtab *ft, uint64_t handle)
{
	uint64_t n = 0;

	for (size_t i = 0; i < cta_flowtab_count(ft); i++) {
		const struct cta_flow *f = &cta_flowtab_flows(ft)[i];
		const struct cta_vtally *t = cta_flowtab_verdicts_of(ft, f);

		for (uint32_t k = 0; f->key.dport == 22 && t && k < t->n; k++)
			if (cta_verdict_denies(t->g[k].v) &&
			    (handle ? t->g[k].v->has_handle && t->g[k].v->handle == handle
				    : t->g[k].v->type == CTA_VTYPE_UNKNOWN))
				n += t->g[k].n;
	}
	return n;
}

/*
 * After judged(): the two denied connects were handed out with no rule known. A
 * retransmit of 40010's SYN is traced (retrace4) and seen dropped by rule 16: both
 * connects' denials are that rule's, not only its own (a denial counted with no rule
 * known is the rule's a trace named for the flow, whenever that trace came).
 */
static void retraced(struct cta_judge *j, struct cta_denials *d, struct cta_flowtab *ft)
{
	struct cta_kcount_elem e[] = { count(CTA_KCOUNT_ENTERED, 6), count(CTA_KCOUNT_LEFT, 1) };
	struct cta_judgement jd = { .family = AF_INET,
				    .l4proto = IPPROTO_TCP,
				    .has_isn = true,
				    .isn = 10,
				    .has_ct = true,
				    .ct_id = 4010,
				    .reached = CTA_REACHED_ENTERED,
				    .verdict = CTA_VERDICT_DROP };
	struct cta_verdict *v = cta_verdict_new();

	CHECK(v != NULL);
	if (!v)
		return;
	v->verdict = CTA_VERDICT_DROP;
	v->type = CTA_VTYPE_RULE;
	v->has_handle = true;
	v->handle = 16;
	inet_pton(AF_INET, "198.51.100.7", jd.tuple.src.b);
	inet_pton(AF_INET, "203.0.113.7", jd.tuple.dst.b);
	jd.tuple.sport = 40010;
	jd.tuple.dport = 22;
	CHECK_EQ(judged_by(ft, 0), 2);
	CHECK_EQ(cta_judge_trace(j, &jd, v, 10 * S, 1), 0);
	for (uint64_t t = 11; t <= 13; t++) {
		cta_denials_next_listing(d);
		for (size_t i = 0; i < 2; i++)
			CHECK_EQ(cta_denials_add(d, &e[i]), 0);
		cta_denials_listed(d, t * S);
	}
	CHECK_EQ(cta_judge_expire(j, 20 * S, 2 * S), 0);
	CHECK_EQ(judged_by(ft, 16), 2);
	CHECK_EQ(judged_by(ft, 0), 0);
}

/*
 * One connect let through, two denied (40010: a SYN and two retransmits; 40011: one
 * SYN): entered 5, left 1, listed at 1, 2 and 3 s with the SYN sets. Returns the flow's
 * denied attempts and packets once the judge handed them on (wait 5 s).
 */
static void judged(bool with_syns, uint64_t *attempts, uint64_t *packets)
{
	struct cta_host host = { 0 };
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_judge *j = cta_judge_new(ft, &host);
	struct cta_denials *d = cta_denials_new();
	struct cta_syns *s = cta_syns_new();
	struct cta_kcount_elem e[] = { count(CTA_KCOUNT_ENTERED, 5), count(CTA_KCOUNT_LEFT, 1) };
	struct cta_kcount_syn c[] = { syn("203.0.113.7", 40010, 10),
				      syn("203.0.113.7", 40011, 11) };

	cta_judge_use_counts(j, d);
	if (with_syns)
		cta_judge_use_syns(j, s);
	for (uint64_t t = 1; t <= 3; t++) {
		cta_denials_next_listing(d);
		for (size_t i = 0; i < 2; i++)
			CHECK_EQ(cta_denials_add(d, &e[i]), 0);
		cta_denials_listed(d, t * S);
		listing(s, c, 2, false, t * S);
	}
	CHECK_EQ(cta_judge_expire(j, 9 * S, 2 * S), 0);
	*attempts = *packets = 0;
	for (size_t i = 0; i < cta_flowtab_count(ft); i++)
		if (cta_flowtab_flows(ft)[i].key.dport == 22) {
			*attempts = cta_flowtab_flows(ft)[i].connections;
			*packets = cta_flowtab_flows(ft)[i].packets[0];
		}
	if (with_syns)
		retraced(j, d, ft);
	cta_judge_free(j);
	cta_syns_free(s);
	cta_denials_free(d);
	cta_flowtab_free(ft);
}

int main(void)
{
	struct cta_syns *s = cta_syns_new();
	struct cta_kcount_syn two[] = { syn("203.0.113.5", 40000, 1), syn("203.0.113.5", 40001, 2),
					syn("203.0.113.5", 40002, 3) };
	struct cta_kcount_syn late = syn("203.0.113.5", 40003, 4);
	struct cta_denial_key f = flow("203.0.113.5"), other = flow("203.0.113.6");
	struct cta_tuple t;

	CHECK(s != NULL);
	/* 40002 a trace saw: the judge's own */
	memset(&t, 0, sizeof(t));
	inet_pton(AF_INET, "198.51.100.7", t.src.b);
	inet_pton(AF_INET, "203.0.113.5", t.dst.b);
	t.sport = 40002;
	t.dport = 22;
	CHECK_EQ(cta_syns_own(s, AF_INET, &t, 3, 1 * S), 0);
	listing(s, two, 3, false, 1 * S);
	/* once is not enough: a SYN on its way through when the set was listed */
	CHECK_EQ(cta_syns_attempts(s, &f, 4, 1 * S), 0);
	CHECK_EQ(cta_syns_stats(s)->retransmits, 4);
	listing(s, two, 3, false, 2 * S);
	CHECK_EQ(cta_syns_add(s, &late, 2 * S), 0); /* listed once, after */
	/* 5 packets: two attempts (40000, 40001), three retransmits */
	CHECK_EQ(cta_syns_attempts(s, &f, 5, 3 * S), 2);
	CHECK_EQ(cta_syns_stats(s)->attempts, 2);
	CHECK_EQ(cta_syns_stats(s)->identities, 3);
	/* handed out once: their next packets are retransmits */
	CHECK_EQ(cta_syns_attempts(s, &f, 2, 4 * S), 0);
	/* the same identity twice in one listing (a resize under the dump) counts once */
	{
		struct cta_kcount_syn e[] = { syn("203.0.113.5", 40009, 9),
					      syn("203.0.113.5", 40009, 9) };

		listing(s, e, 2, false, 5 * S);
		CHECK_EQ(cta_syns_attempts(s, &f, 1, 5 * S), 0);
		listing(s, e, 1, false, 6 * S);
		CHECK_EQ(cta_syns_attempts(s, &f, 3, 6 * S), 1);
	}
	/* a port reused with a new sequence number is another connect */
	{
		struct cta_kcount_syn e = syn("203.0.113.5", 40000, 77);

		listing(s, &e, 1, false, 7 * S);
		listing(s, &e, 1, false, 8 * S);
		CHECK_EQ(cta_syns_attempts(s, &f, 1, 8 * S), 1);
	}
	/* a flow the sets never listed (NFLOG logs its SYNs): every packet an attempt */
	CHECK_EQ(cta_syns_attempts(s, &other, 3, 8 * S), 3);
	/* a full set: SYNs went unmarked, so no packet is a retransmit for sure */
	listing(s, NULL, 0, true, 9 * S);
	CHECK_EQ(cta_syns_attempts(s, &f, 2, 9 * S), 2);
	CHECK_EQ(cta_syns_stats(s)->full, 1);
	CHECK_EQ(cta_syns_stats(s)->unsure, 2);
	/* listings a second apart: trusted again CTA_SYNS_KEEP_NS later; by then the
	 * flow's identities are gone */
	for (uint64_t u = 10 * S; u <= 9 * S + CTA_SYNS_KEEP_NS; u += S)
		listing(s, NULL, 0, false, u);
	CHECK_EQ(cta_syns_attempts(s, &f, 2, 9 * S + CTA_SYNS_KEEP_NS), 2);
	{
		struct cta_kcount_syn e = syn("203.0.113.5", 40100, 100);
		uint64_t now = 10 * S + CTA_SYNS_KEEP_NS;

		listing(s, &e, 1, false, now);
		listing(s, &e, 1, false, now + S);
		CHECK_EQ(cta_syns_attempts(s, &f, 2, now + S), 1);
	}
	/* the end: a connect listed once is enough (no listing comes after) */
	{
		struct cta_kcount_syn e = syn("203.0.113.5", 40200, 200);
		uint64_t now = 12 * S + CTA_SYNS_KEEP_NS;

		listing(s, NULL, 0, false, now - S);
		listing(s, &e, 1, false, now);
		CHECK_EQ(cta_syns_attempts(s, &f, 1, now), 0);
		cta_syns_final(s);
		CHECK_EQ(cta_syns_attempts(s, &f, 2, now), 1);
	}
	/* listings 6 s apart may have missed a connect: every packet counts (upper bound);
	 * a connect listed once goes with them, not to be counted again */
	{
		struct cta_kcount_syn e = syn("203.0.113.5", 40300, 300);
		uint64_t now = 20 * S + CTA_SYNS_KEEP_NS;

		listing(s, &e, 1, false, now);
		CHECK_EQ(cta_syns_attempts(s, &f, 3, now), 3);
		for (uint64_t u = now + S; u <= now + CTA_SYNS_KEEP_NS; u += S)
			listing(s, u < now + 5 * S ? &e : NULL, u < now + 5 * S, false, u);
		CHECK_EQ(cta_syns_attempts(s, &f, 1, now + CTA_SYNS_KEEP_NS), 0);
	}
	/* a trace's connect the sets handed out already: cta_syns_own says so */
	{
		struct cta_kcount_syn e = syn("203.0.113.5", 40400, 400);
		uint64_t now = 22 * S + 2 * CTA_SYNS_KEEP_NS;

		listing(s, &e, 1, false, now);
		listing(s, &e, 1, false, now + S);
		CHECK_EQ(cta_syns_attempts(s, &f, 1, now + S), 1);
		t.sport = 40400;
		CHECK_EQ(cta_syns_own(s, AF_INET, &t, 400, now + S), 1);
		t.sport = 40002;
		CHECK_EQ(cta_syns_own(s, AF_INET, &t, 3, now + S), 0);
	}
	cta_syns_free(s);
	{
		uint64_t attempts, packets;

		judged(true, &attempts, &packets);
		CHECK_EQ(attempts, 2);
		CHECK_EQ(packets, 4);
		judged(false, &attempts, &packets);
		CHECK_EQ(attempts, 4);
		CHECK_EQ(packets, 4);
	}
	return check_report("syns");
}
