// SPDX-License-Identifier: GPL-2.0-or-later
/* iptables-save text and TRACE prefixes, as the kernel and iptables-legacy-save give them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/iptsave.h"
#include "check.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/legacy/%s", getenv("SRCDIR"), name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* iptables-legacy-save of a netns: numbers, targets, policies */
static void test_stateful(void)
{
	struct cta_iptsave *s;
	const struct cta_ipt_rule *r;
	const struct cta_ipt_chain *c;
	unsigned bad;
	size_t len;
	char *text = slurp("stateful.v4", &len);

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_EQ(cta_iptsave_parse(text, len, &s, &bad), 0);
	free(text);
	if (!s)
		return;
	CHECK_EQ(s->ntables, 1);
	c = cta_iptsave_chain(cta_iptsave_table(s, "filter"), "INPUT");
	CHECK(c && !strcmp(c->policy, "DROP") && c->n == 2);
	c = cta_iptsave_chain(cta_iptsave_table(s, "filter"), "TCP");
	CHECK(c && c->policy[0] == '\0' && c->n == 1);
	r = cta_iptsave_rule(s, "filter", "INPUT", 2);
	CHECK(r && r->num == 2);
	if (r) {
		CHECK_STR(r->target, "TCP");
		CHECK_STR(r->text, "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m "
				   "conntrack --ctstate NEW -j TCP");
	}
	r = cta_iptsave_rule(s, "filter", "TCP", 1);
	CHECK(r && !strcmp(r->target, "ACCEPT") && !r->is_goto);
	CHECK(cta_iptsave_rule(s, "filter", "TCP", 2) == NULL);
	CHECK(cta_iptsave_rule(s, "filter", "INPUT", 0) == NULL);
	CHECK(cta_iptsave_rule(s, "nat", "INPUT", 1) == NULL);
	CHECK(cta_iptsave_decides(s));
	cta_iptsave_free(s);
}

/* Docker's layout: two tables, user chains with no rules, -g absent, quoted comments */
static void test_docker(void)
{
	struct cta_iptsave *s;
	const struct cta_ipt_rule *r;
	unsigned bad;
	size_t len;
	char *text = slurp("docker.rules", &len);

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_EQ(cta_iptsave_parse(text, len, &s, &bad), 0);
	free(text);
	if (!s)
		return;
	CHECK_EQ(s->ntables, 2);
	r = cta_iptsave_rule(s, "nat", "DOCKER", 2);
	CHECK(r && !strcmp(r->target, "DNAT"));
	r = cta_iptsave_rule(s, "filter", "FORWARD", 1);
	CHECK(r && !strcmp(r->target, "DOCKER-USER"));
	cta_iptsave_free(s);
}

static void test_quotes_and_goto(void)
{
	static const char text[] =
		"*filter\n"
		":INPUT ACCEPT [0:0]\n"
		":Z - [0:0]\n"
		"-A INPUT -m comment --comment \"say \\\"-j DROP\\\" here\" -g Z\n"
		"-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable\n"
		"COMMIT\n";
	struct cta_iptsave *s;
	const struct cta_ipt_rule *r;
	unsigned bad;

	CHECK_EQ(cta_iptsave_parse(text, strlen(text), &s, &bad), 0);
	if (!s)
		return;
	r = cta_iptsave_rule(s, "filter", "INPUT", 1);
	CHECK(r && !strcmp(r->target, "Z") && r->is_goto);
	CHECK(r &&
	      !strcmp(r->text, "-A INPUT -m comment --comment \"say \\\"-j DROP\\\" here\" -g Z"));
	r = cta_iptsave_rule(s, "filter", "INPUT", 2);
	CHECK(r && !strcmp(r->target, "REJECT"));
	cta_iptsave_free(s);
}

static void test_empty_and_bad(void)
{
	static const char empty[] =
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n";
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "-A INPUT -j ACCEPT\n", 1 },
		{ "*filter\n:INPUT ACCEPT [0:0]\n-A OUTPUT -j ACCEPT\nCOMMIT\n", 3 },
		{ "*filter\n:INPUT ACCEPT [0:0]\n", 3 },
		{ "*filter\n:INPUT ACCEPT [0:0]\n:INPUT DROP [0:0]\nCOMMIT\n", 3 },
		{ "*filter\n:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ACCEPT [0:0]\nCOMMIT\n", 2 },
		{ "*filter\n-I INPUT -j ACCEPT\nCOMMIT\n", 2 },
		{ "*filter\n*nat\nCOMMIT\n", 2 },
		{ "*nat\nCOMMIT\n*nat\nCOMMIT\n", 3 },
	};
	struct cta_iptsave *s;
	unsigned line;

	CHECK_EQ(cta_iptsave_parse(empty, strlen(empty), &s, &line), 0);
	CHECK(s && !cta_iptsave_decides(s));
	cta_iptsave_free(s);
	/* iptables-restore input may take a chain's rules apart: each chain's in its order */
	{
		static const char apart[] = "*filter\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n"
					    "-A B -j ACCEPT\n-A A -j DROP\nCOMMIT\n";
		const struct cta_ipt_table *t;

		CHECK_EQ(cta_iptsave_parse(apart, strlen(apart), &s, &line), 0);
		t = cta_iptsave_table(s, "filter");
		CHECK(t && t->nchains == 2 && t->nrules == 3);
		if (t && t->nchains == 2 && t->nrules == 3) {
			CHECK(t->chains[0].first == 0 && t->chains[0].n == 2);
			CHECK(t->chains[1].first == 2 && t->chains[1].n == 1);
			CHECK_STR(t->rules[0].text, "-A A -j B");
			CHECK(t->rules[0].num == 1 && t->rules[1].num == 2);
			CHECK_STR(t->rules[1].text, "-A A -j DROP");
			CHECK_STR(t->rules[2].target, "ACCEPT");
		}
		cta_iptsave_free(s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(cta_iptsave_parse(bad[i].text, strlen(bad[i].text), &s, &line), -EBADMSG);
		CHECK(s == NULL);
		CHECK_EQ(line, bad[i].line);
	}
}

static void test_trace(void)
{
	struct cta_ipt_trace t;
	static const char nul[] = "TRACE: filter:INPUT:policy:3 \0junk";

	/* as the kernel logs them (checked: a netns with nftrace set by an nft chain) */
	CHECK_EQ(cta_ipt_trace_parse("TRACE: filter:INPUT:rule:1 ", 27, &t), 0);
	CHECK_STR(t.table, "filter");
	CHECK_STR(t.chain, "INPUT");
	CHECK_EQ(t.type, CTA_IPT_TRACE_RULE);
	CHECK_EQ(t.num, 1);
	CHECK_EQ(cta_ipt_trace_parse(nul, sizeof(nul), &t), 0);
	CHECK_EQ(t.type, CTA_IPT_TRACE_POLICY);
	CHECK_EQ(t.num, 3);
	CHECK_EQ(cta_ipt_trace_parse("TRACE: filter:TCP:return:2", 26, &t), 0);
	CHECK_EQ(t.type, CTA_IPT_TRACE_RETURN);
	CHECK_STR(cta_ipt_trace_type_name(t.type), "return");
	CHECK_EQ(cta_ipt_trace_parse("f2b ", 4, &t), -EPROTO);
	CHECK_EQ(cta_ipt_trace_parse("TRACE: filter:INPUT:rule:", 25, &t), -EBADMSG);
	CHECK_EQ(cta_ipt_trace_parse("TRACE: filter:INPUT:jump:1", 26, &t), -EBADMSG);
	CHECK_EQ(cta_ipt_trace_parse("TRACE: filter:INPUT:rule:0", 26, &t), -EBADMSG);
	CHECK_EQ(cta_ipt_trace_parse("TRACE: filter:INPUT:rule:1x", 27, &t), -EBADMSG);
	CHECK_EQ(cta_ipt_trace_parse("TRACE: :INPUT:rule:1", 20, &t), -EBADMSG);
}

static void test_file_kind(void)
{
	static const struct {
		const char *text;
		enum cta_ipt_file kind;
		int family;
	} cases[] = {
		{ "table inet filter {\n}\n", CTA_IPT_FILE_NFT, AF_INET },
		{ "# Generated by iptables-nft-save v1.8.9 (nf_tables) on Sun\n*filter\nCOMMIT\n",
		  CTA_IPT_FILE_IPTNFT, AF_INET },
		{ "# Generated by iptables-save v1.8.9 on Sun\n*filter\nCOMMIT\n",
		  CTA_IPT_FILE_LEGACY, AF_INET },
		{ "# Generated by ip6tables-save v1.8.9 on Sun\n*filter\nCOMMIT\n",
		  CTA_IPT_FILE_LEGACY, AF_INET6 },
		{ "# Suggested by conntrack-advise 0.1.0 from 1 session (template server, format "
		  "ip6tables).\n*filter\n-A INPUT -s 2001:db8::/32 -j ACCEPT\nCOMMIT\n",
		  CTA_IPT_FILE_LEGACY, AF_INET6 },
		{ "\n  *filter\n:INPUT DROP [0:0]\n-A INPUT -p ipv6-icmp -j ACCEPT\nCOMMIT\n",
		  CTA_IPT_FILE_UNMARKED, AF_INET6 },
		{ "*filter\n-A INPUT -s 198.51.100.0/24 -j ACCEPT\nCOMMIT\n", CTA_IPT_FILE_UNMARKED,
		  AF_INET },
		/* the marks for IPv6, as the man page and the refusal tell people to write them */
		{ "# for ip6tables-legacy\n*filter\n:INPUT DROP [0:0]\nCOMMIT\n",
		  CTA_IPT_FILE_LEGACY, AF_INET6 },
		{ "# for ip6tables-nft\n*filter\n:INPUT DROP [0:0]\nCOMMIT\n", CTA_IPT_FILE_IPTNFT,
		  AF_INET6 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fam = -1;

		CHECK_EQ(cta_ipt_file_kind(cases[i].text, strlen(cases[i].text), &fam),
			 cases[i].kind);
		CHECK_EQ(fam, cases[i].family);
	}
}

int main(void)
{
	test_file_kind();
	test_stateful();
	test_docker();
	test_quotes_and_goto();
	test_empty_and_bad();
	test_trace();
	return check_report("iptsave");
}
