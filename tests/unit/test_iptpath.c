// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A packet's walk through the legacy tables from its TRACE lines, as the kernel logged
 * them in a lab (tests/data/nflog/trace-000.nl holds the messages): legacy.v4 (the
 * issue's stateful host) and docker.rules (a published port, FORWARD policy DROP).
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/iptpath.h"
#include "check.h"

static struct cta_iptsave *load(const char *name)
{
	char path[512], *buf;
	struct cta_iptsave *s = NULL;
	unsigned bad;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/legacy/%s", getenv("SRCDIR"), name);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
		CHECK_EQ(cta_iptsave_parse(buf, (size_t)n, &s, &bad), 0);
	free(buf);
	fclose(f);
	return s;
}

/* "filter:INPUT:rule:6" ... into trace lines, through the prefix parser */
static size_t lines(struct cta_ipt_trace *out, const char *const *pre, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char p[128];

		snprintf(p, sizeof(p), "TRACE: %s ", pre[i]);
		CHECK_EQ(cta_ipt_trace_parse(p, strlen(p), &out[i]), 0);
	}
	return n;
}

#define LINES(out, ...)                                  \
	lines(out, (const char *const[]){ __VA_ARGS__ }, \
	      sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

static void test_stateful(void)
{
	struct cta_iptsave *s = load("case-legacy.v4");
	struct cta_ipt_trace l[8];
	struct cta_ipt_result r;
	size_t n;

	if (!s)
		return;
	/* ssh: INPUT jumps to TCP, whose first rule accepts */
	n = LINES(l, "filter:INPUT:rule:6", "filter:TCP:rule:1");
	CHECK(!cta_ipt_line_ends(s, &l[0]));
	CHECK(cta_ipt_line_ends(s, &l[1]));
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), 0);
	CHECK_STR(r.table, "filter");
	CHECK_STR(r.chain, "INPUT");
	CHECK_EQ(r.hook, NF_INET_LOCAL_IN);
	CHECK_EQ(r.priority, 0);
	CHECK(r.policy_drop);
	CHECK_EQ(r.verdict, CTA_IPT_ACCEPT);
	CHECK(!r.policy);
	CHECK_STR(r.rule_chain, "TCP");
	CHECK_EQ(r.rule_num, 1);
	CHECK_STR(r.text, "-A TCP -p tcp -m tcp --dport 22 -j ACCEPT");
	CHECK_EQ(r.n_passed, 2);
	CHECK_STR(r.passed[0].chain, "INPUT");
	CHECK_EQ(r.passed[0].num, 6);

	/* tcp/80 from outside 203.0.113.0/24: TCP returns, INPUT rejects with a reset */
	n = LINES(l, "filter:INPUT:rule:6", "filter:TCP:return:3", "filter:INPUT:rule:8");
	CHECK(!cta_ipt_line_ends(s, &l[1]));
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), 0);
	CHECK_EQ(r.verdict, CTA_IPT_REJECT);
	CHECK_STR(r.rule_chain, "INPUT");
	CHECK_EQ(r.rule_num, 8);
	CHECK_STR(r.target, "REJECT");
	CHECK_STR(r.text, "-A INPUT -p tcp -j REJECT --reject-with tcp-reset");
	CHECK_EQ(r.n_passed, 2); /* the return is a chain's end, not a rule */

	/* a new packet's way out: through OUT (for replies only), then OUTPUT's policy */
	n = LINES(l, "filter:OUTPUT:rule:1", "filter:OUT:return:2", "filter:OUTPUT:policy:2");
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), 0);
	CHECK_EQ(r.hook, NF_INET_LOCAL_OUT);
	CHECK(r.policy && !r.policy_drop);
	CHECK_EQ(r.verdict, CTA_IPT_ACCEPT);
	CHECK_STR(r.target, "ACCEPT");
	CHECK_STR(r.text, "");

	/* a walk cut short (a line lost): no verdict, the rule passed is kept */
	n = LINES(l, "filter:INPUT:rule:6");
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), 0);
	CHECK_EQ(r.verdict, CTA_IPT_NONE);

	/* lines the rules do not hold: the rules changed since the snapshot */
	n = LINES(l, "filter:INPUT:rule:12", "filter:TCP:return:3", "filter:TCP:policy:3",
		  "filter:INPUT:policy:9", "filter:INPUT:policy:10", "raw:INPUT:policy:1");
	CHECK(!cta_ipt_line_known(s, &l[0]));
	CHECK(cta_ipt_line_known(s, &l[1]));
	CHECK(!cta_ipt_line_known(s, &l[2]));
	CHECK(cta_ipt_line_known(
		s, &l[3])); /* a number within the chain is a rule, whatever the line calls it */
	CHECK(cta_ipt_line_known(s, &l[4]));
	CHECK(!cta_ipt_line_known(s, &l[5]));
	n = LINES(l, "filter:INPUT:rule:12");
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), -EBADMSG);
	n = LINES(l, "filter:INPUT:rule:6", "filter:TCP:return:4");
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), -EBADMSG);
	n = LINES(l, "filter:TCP:policy:3");
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), -ENOENT); /* no built-in chain */
	n = LINES(l, "nat:PREROUTING:policy:1");
	CHECK_EQ(cta_ipt_walk(s, AF_INET, l, n, &r), -ENOENT);
	cta_iptsave_free(s);
}

static void test_docker(void)
{
	struct cta_iptsave *s = load("docker.rules");
	struct cta_ipt_trace l[16];
	struct cta_ipt_result r[4];
	size_t n;

	if (!s)
		return;
	/* the published port: DNAT at prerouting (nat's DOCKER), filter's FORWARD accepts */
	n = LINES(l, "nat:PREROUTING:rule:1", "nat:DOCKER:rule:2");
	CHECK_EQ(cta_ipt_assemble(s, AF_INET, l, n, r, 4), 1);
	CHECK_STR(r[0].table, "nat");
	CHECK_EQ(r[0].priority, -100);
	CHECK_EQ(r[0].verdict, CTA_IPT_ACCEPT);
	CHECK_STR(r[0].target, "DNAT");
	CHECK_STR(r[0].text,
		  "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination "
		  "192.0.2.2:80");
	/*
	 * Unconditional `-j RETURN` rules are logged as `return:N` with their own number
	 * (DOCKER-USER 2, DOCKER-ISOLATION-STAGE-1 2): rules, not the chains' ends.
	 */
	n = LINES(l, "filter:FORWARD:rule:1", "filter:DOCKER-USER:return:2",
		  "filter:FORWARD:rule:2", "filter:DOCKER-ISOLATION-STAGE-1:return:2",
		  "filter:FORWARD:rule:4", "filter:DOCKER:rule:1");
	CHECK_EQ(cta_ipt_assemble(s, AF_INET, l, n, r, 4), 1);
	CHECK_EQ(r[0].hook, NF_INET_FORWARD);
	CHECK(r[0].policy_drop);
	CHECK_EQ(r[0].verdict, CTA_IPT_ACCEPT);
	CHECK_STR(r[0].rule_chain, "DOCKER");
	CHECK_EQ(r[0].n_passed, 6);
	CHECK_STR(r[0].passed[1].chain, "DOCKER-USER");
	CHECK_EQ(r[0].passed[1].num, 2);

	/* a blocked client: DOCKER-USER drops it */
	n = LINES(l, "filter:FORWARD:rule:1", "filter:DOCKER-USER:rule:1");
	CHECK_EQ(cta_ipt_assemble(s, AF_INET, l, n, r, 4), 1);
	CHECK_EQ(r[0].verdict, CTA_IPT_DROP);
	CHECK_STR(r[0].text, "-A DOCKER-USER -s 198.51.100.8/32 -j DROP");

	/* forwarded to an unpublished port: FORWARD's policy drops it */
	n = LINES(l, "filter:FORWARD:rule:1", "filter:DOCKER-USER:return:2",
		  "filter:FORWARD:rule:2", "filter:DOCKER-ISOLATION-STAGE-1:return:2",
		  "filter:FORWARD:rule:4", "filter:DOCKER:return:2", "filter:FORWARD:policy:7");
	CHECK_EQ(cta_ipt_assemble(s, AF_INET, l, n, r, 4), 1);
	CHECK_EQ(r[0].verdict, CTA_IPT_DROP);
	CHECK(r[0].policy);
	CHECK_EQ(r[0].rule_num, 7);

	/* two tables at output, nat (-100) before filter (0) whatever order they came in */
	n = LINES(l, "filter:OUTPUT:policy:1", "nat:OUTPUT:rule:1", "nat:DOCKER:return:3",
		  "nat:OUTPUT:policy:2");
	CHECK_EQ(cta_ipt_assemble(s, AF_INET, l, n, r, 4), 2);
	CHECK_STR(r[0].table, "nat");
	CHECK_EQ(r[0].priority, -100);
	CHECK(r[0].policy);
	CHECK_STR(r[1].table, "filter");
	CHECK_EQ(cta_ipt_assemble(s, AF_INET, l, n, r, 1), 1); /* room for one: the first */
	cta_iptsave_free(s);
}

static void test_names(void)
{
	int p;

	CHECK_EQ(cta_ipt_chain_hook("POSTROUTING"), NF_INET_POST_ROUTING);
	CHECK_EQ(cta_ipt_chain_hook("TCP"), -1);
	CHECK(cta_ipt_table_priority("raw", NF_INET_PRE_ROUTING, &p) && p == -300);
	CHECK(cta_ipt_table_priority("mangle", NF_INET_FORWARD, &p) && p == -150);
	CHECK(cta_ipt_table_priority("nat", NF_INET_LOCAL_IN, &p) && p == 100);
	CHECK(cta_ipt_table_priority("nat", NF_INET_LOCAL_OUT, &p) && p == -100);
	CHECK(cta_ipt_table_priority("security", NF_INET_LOCAL_IN, &p) && p == 50);
	CHECK(!cta_ipt_table_priority("broute", NF_INET_LOCAL_IN, &p));
	CHECK_STR(cta_ipt_verdict_name(CTA_IPT_REJECT), "reject");
}

int main(void)
{
	test_stateful();
	test_docker();
	test_names();
	return check_report("iptpath");
}
