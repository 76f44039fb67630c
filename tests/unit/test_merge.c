// SPDX-License-Identifier: GPL-2.0-or-later
/* merge: associative, deterministic, keeps which host saw what. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "advisor/model/merge.h"
#include "advisor/model/session.h"

static const char *src;

static void load(const char *name, struct cta_session *s)
{
	char path[4096];
	struct cta_err err;

	snprintf(path, sizeof(path), "%s/tests/data/%s", src, name);
	if (cta_session_load(path, s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		CHECK(!"fixture loads");
		memset(s, 0, sizeof(*s));
	}
}

/* merge, write, read back: what a user's second merge would start from */
static void merge_rt(const struct cta_session *in, size_t n, struct cta_session *out, char **text)
{
	struct cta_session m;
	struct cta_err err;
	size_t len;

	CHECK_EQ(cta_session_merge(in, n, &m), 0);
	CHECK_EQ(cta_session_format(&m, text, &len), 0);
	CHECK_EQ(cta_session_parse("merged.json", *text, len, out, &err), 0);
	cta_session_fini(&m);
}

/* A copy of s (flows and hosts shared: read-only) with this recording and host identity. */
static struct cta_session as(const struct cta_session *s, char (*id)[CTA_RECORDING_ID_LEN],
			     const char *machine, uint64_t netns)
{
	struct cta_session c = *s;

	c.ids = id;
	c.n_ids = id ? 1 : 0;
	c.n_hosts = 0;
	snprintf(c.host.machine_id, sizeof(c.host.machine_id), "%s", machine);
	c.host.netns = netns;
	return c;
}

/*
 * A recording is merged once; two hosts of one hostname stay two unless their machine
 * id and network namespace say they are one.
 */
static void test_identity(const struct cta_session *s)
{
	static const char m1[] = "0123456789abcdef0123456789abcdef";
	static const char m2[] = "fedcba9876543210fedcba9876543210";
	char ida[1][CTA_RECORDING_ID_LEN], idb[1][CTA_RECORDING_ID_LEN];
	struct cta_session in[2], m, back;
	size_t a, b;
	const char *id;
	char *text;

	CHECK_EQ(cta_recording_id_new(ida[0]), 0);
	CHECK_EQ(cta_recording_id_new(idb[0]), 0);
	CHECK(strcmp(ida[0], idb[0]) != 0);
	CHECK_EQ(strlen(ida[0]), 32);
	/* the same recording twice: refused, and told which */
	in[0] = as(s, ida, m1, 7);
	in[1] = as(s, ida, m1, 7);
	CHECK(cta_session_merge_dup(in, 2, &a, &b, &id));
	CHECK(a == 0 && b == 1 && !strcmp(id, ida[0]));
	CHECK_EQ(cta_session_merge(in, 2, &m), -EEXIST);
	/* two recordings of one host (same machine, same namespace): one host */
	in[1] = as(s, idb, m1, 7);
	merge_rt(in, 2, &back, &text);
	CHECK_EQ(back.n_hosts, 1);
	CHECK_EQ(back.n_flows, s->n_flows);
	CHECK_EQ(back.n_ids, 2);
	CHECK_STR(back.host.machine_id, m1);
	CHECK_EQ(back.host.netns, 7);
	/* merged again with one of its parts: refused */
	{
		struct cta_session again[2] = { back, in[0] };

		CHECK_EQ(cta_session_merge(again, 2, &m), -EEXIST);
	}
	free(text);
	cta_session_fini(&back);
	/* the same hostname on another machine, or in another namespace: two hosts */
	for (int k = 0; k < 2; k++) {
		in[1] = as(s, idb, k ? m1 : m2, k ? 8 : 7);
		merge_rt(in, 2, &back, &text);
		CHECK_EQ(back.n_hosts, 2);
		CHECK_EQ(back.n_flows, 2 * s->n_flows);
		if (back.n_hosts == 2)
			CHECK_STR(back.hosts[0].hostname, back.hosts[1].hostname);
		free(text);
		cta_session_fini(&back);
	}
}

/* Two recordings of one host: routes and rules united, once each, in one order. */
static void test_routes(const struct cta_session *s)
{
	static const char m1[] = "0123456789abcdef0123456789abcdef";
	char ida[1][CTA_RECORDING_ID_LEN], idb[1][CTA_RECORDING_ID_LEN];
	struct cta_route r[3] = { { .family = 2, .dst_len = 25, .type = 1, .table = 254 },
				  { .family = 2, .dst_len = 0, .type = 1, .table = 100 },
				  { .family = 2, .dst_len = 24, .type = 6, .table = 254 } };
	struct cta_prule p[2] = { { .family = 2, .priority = 300, .action = 1, .table = 100 },
				  { .family = 2, .priority = 100, .action = 1, .table = 101 } };
	struct cta_route ra[2] = { r[0], r[1] }, rb[2] = { r[2], r[0] };
	struct cta_session in[2], back1, back2;
	char *t1, *t2;

	snprintf(r[0].dev, sizeof(r[0].dev), "wg0");
	ra[0] = rb[1] = r[0];
	CHECK_EQ(cta_recording_id_new(ida[0]), 0);
	CHECK_EQ(cta_recording_id_new(idb[0]), 0);
	in[0] = as(s, ida, m1, 7);
	in[1] = as(s, idb, m1, 7);
	in[0].host.routes = ra;
	in[0].host.n_routes = 2;
	in[0].host.rules = p;
	in[0].host.n_rules = 2;
	in[1].host.routes = rb;
	in[1].host.n_routes = 2;
	merge_rt(in, 2, &back1, &t1);
	CHECK_EQ(back1.host.n_routes, 3);
	CHECK_EQ(back1.host.n_rules, 2);
	CHECK(back1.host.n_rules == 2 && back1.host.rules[0].priority == 100);
	{
		struct cta_session rev[2] = { in[1], in[0] };

		merge_rt(rev, 2, &back2, &t2);
	}
	CHECK(!strcmp(t1, t2));
	free(t1);
	free(t2);
	cta_session_fini(&back1);
	cta_session_fini(&back2);
}

int main(void)
{
	struct cta_session in[3], ab, bc, abc1, abc2, cab, t1[2], t2[2];
	char *x, *y, *z, *w, *text;

	src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	load("suggest/v4.json", &in[0]);
	load("demo-session.json", &in[1]);
	load("suggest/v6.json", &in[2]);
	test_routes(&in[1]);

	/* (a + b) + c */
	merge_rt(in, 2, &ab, &x);
	t1[0] = ab;
	t1[1] = in[2];
	merge_rt(t1, 2, &abc1, &y);
	/* a + (b + c) */
	merge_rt(in + 1, 2, &bc, &z);
	t2[0] = in[0];
	t2[1] = bc;
	merge_rt(t2, 2, &abc2, &w);
	CHECK(!strcmp(y, w));
	/* any order: c, a, b */
	{
		struct cta_session order[3] = { in[2], in[0], in[1] };

		merge_rt(order, 3, &cab, &text);
		CHECK(!strcmp(y, text));
		free(text);
	}
	/* which host saw what: two hosts (v4 and v6 are both "fixture"), every flow named */
	CHECK_EQ(abc1.n_hosts, 2);
	if (abc1.n_hosts == 2) {
		CHECK_STR(abc1.hosts[0].hostname, "fixture");
		CHECK_STR(abc1.hosts[1].hostname, "vm");
	}
	CHECK_EQ(abc1.n_flows, in[0].n_flows + in[1].n_flows + in[2].n_flows);
	{
		size_t vm = 0;

		for (size_t i = 0; i < abc1.n_flows; i++)
			vm += abc1.flows[i].host == 1;
		CHECK_EQ(vm, in[1].n_flows);
	}
	test_identity(&in[0]);
	/* a version-1 session (no recording id) merged with itself: counts doubled */
	{
		struct cta_session twice[2] = { in[0], in[0] }, m;
		uint64_t c0 = 0, c1 = 0;

		merge_rt(twice, 2, &m, &text);
		free(text);
		CHECK_EQ(m.n_flows, in[0].n_flows);
		for (size_t i = 0; i < in[0].n_flows; i++)
			c0 += in[0].flows[i].connections;
		for (size_t i = 0; i < m.n_flows; i++)
			c1 += m.flows[i].connections;
		CHECK_EQ(c1, 2 * c0);
		CHECK_EQ(m.stats.events_new, 2 * in[0].stats.events_new);
		cta_session_fini(&m);
	}
	free(x);
	free(y);
	free(z);
	free(w);
	cta_session_fini(&ab);
	cta_session_fini(&bc);
	cta_session_fini(&abc1);
	cta_session_fini(&abc2);
	cta_session_fini(&cab);
	for (int i = 0; i < 3; i++)
		cta_session_fini(&in[i]);
	return check_report("merge");
}
