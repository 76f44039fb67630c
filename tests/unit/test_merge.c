// SPDX-License-Identifier: GPL-2.0-or-later
/* merge: associative, deterministic, keeps which host saw what. */
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

int main(void)
{
	struct cta_session in[3], ab, bc, abc1, abc2, cab, t1[2], t2[2];
	char *x, *y, *z, *w, *text;

	src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	load("suggest/v4.json", &in[0]);
	load("demo-session.json", &in[1]);
	load("suggest/v6.json", &in[2]);

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
	/* a session merged with itself: the same flows, counts doubled */
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
