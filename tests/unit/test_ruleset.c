// SPDX-License-Identifier: GPL-2.0-or-later
/* Rule texts and base chains from nft -a -s list ruleset (numeric priorities). */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/listing.h"
#include "advisor/model/ruleset.h"
#include "advisor/review/rsdiff.h"

/* as nft 1.0.6 prints it (-a -s -p), with a set, a quoted chain name and a comment */
static const char listing[] =
	"table inet fw { # handle 1\n"
	"\tset blocked { # handle 3\n"
	"\t\ttype ipv4_addr\n"
	"\t\telements = { 203.0.113.97, 203.0.113.98,\n"
	"\t\t\t     203.0.113.99 }\n"
	"\t}\n"
	"\n"
	"\tchain input { # handle 1\n"
	"\t\ttype filter hook input priority 0; policy drop;\n"
	"\t\tip saddr @blocked counter drop # handle 4\n"
	"\t\ttcp dport vmap { 22 : accept, 80 : jump web } # handle 6\n"
	"\t}\n"
	"\n"
	"\tchain web { # handle 2\n"
	"\t\ttcp dport 80 counter accept comment \"see # handle 99 } {\" # handle 7\n"
	"\t}\n"
	"\n"
	"\tchain \"my chain\" { # handle 8\n"
	"\t\tudp dport 53 accept # handle 9\n"
	"\t}\n"
	"}\n"
	"table ip filter { # handle 2\n"
	"\tchain INPUT { # handle 1\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tmeta l4proto tcp tcp dport 8080 counter reject # handle 2\n"
	"\t}\n"
	"}\n"
	"table ip raw { # handle 3\n"
	"\tchain pre { # handle 1\n"
	"\t\ttype filter hook prerouting priority -300; policy accept;\n"
	"\t}\n"
	"}\n";

static int count_item(const struct cta_listing_item *it, void *data)
{
	int *n = data;

	n[it->what]++;
	return 0;
}

/*
 * One reader for the ruleset and for review's comparison: what it sees of the listing
 * above, a commented base chain, and a listing with handles compared with itself.
 */
static void test_listing(void)
{
	static const char commented[] = "table inet t {\n"
					"\tchain \"in put\" {\n"
					"\t\tcomment \"the { door\"\n"
					"\t\ttype filter hook input priority -5; policy drop;\n"
					"\t\ttcp dport 22 accept # handle 3\n"
					"\t}\n"
					"}\n";
	struct cta_ruleset *rs = cta_ruleset_new();
	const struct cta_chain_info *c;
	int n[CTA_LISTING_LINE + 1] = { 0 };
	json_t *d;
	char *x;

	CHECK_EQ(cta_listing_walk(listing, count_item, n), 0);
	CHECK_EQ(n[CTA_LISTING_TABLE], 3);
	CHECK_EQ(n[CTA_LISTING_TABLE_END], 3);
	CHECK_EQ(n[CTA_LISTING_OBJECT], 6); /* a set, five chains */
	CHECK_EQ(n[CTA_LISTING_HEAD], 3);
	CHECK_EQ(n[CTA_LISTING_LINE], 3 + 5); /* the set's lines, the rules */
	CHECK_EQ(cta_ruleset_add_text(rs, commented), 0);
	c = cta_ruleset_chain(rs, NFPROTO_INET, "t", "in put");
	CHECK(c && c->prio == -5 && !strcmp(c->policy, "drop"));
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "t", "in put", 3), "tcp dport 22 accept");
	cta_ruleset_free(rs);
	d = cta_rsdiff(listing, listing, NULL);
	CHECK(d && json_array_size(d) == 0);
	json_decref(d);
	x = cta_rsdiff_table_text(listing, "ip", "filter");
	CHECK(x && !strncmp(x, "table ip filter { # handle 2\n", 29) && x[strlen(x) - 2] == '}');
	free(x);
	d = cta_rsdiff(listing, commented, NULL);
	/* 3 tables removed, 1 added with its chain: the chain's name unquoted */
	CHECK_EQ(json_array_size(d), 5);
	CHECK_STR(json_string_value(json_object_get(json_array_get(d, 4), "name")), "in put");
	json_decref(d);
}

/* a verdict or NAT word of a rule: whole words outside quoted strings only */
/* The first notrack rule outside the tool's own tables; a word, not a comment's. */
static void test_notrack(void)
{
	char out[128];
	const char *none = "table inet raw { # handle 1\n"
			   "\tchain pre { # handle 2\n"
			   "\t\ttype filter hook prerouting priority raw; policy accept;\n"
			   "\t\tct state untracked accept comment \"notrack\" # handle 3\n"
			   "\t}\n"
			   "}\n"
			   "table inet conntrack_advise { # progname conntrack-advis\n"
			   "\tchain x { # handle 2\n"
			   "\t\tnotrack # handle 4\n"
			   "\t}\n"
			   "}\n";
	const char *some = "table ip raw { # handle 5\n"
			   "\tchain PREROUTING { # handle 1\n"
			   "\t\ttype filter hook prerouting priority raw; policy accept;\n"
			   "\t\tudp dport 5060 counter packets 3 bytes 9 notrack # handle 7\n"
			   "\t\tudp dport 53 notrack # handle 8\n"
			   "\t}\n"
			   "}\n";

	CHECK(!cta_listing_notrack(none, "conntrack_advise", out, sizeof(out)));
	CHECK_STR(out, "");
	CHECK(cta_listing_notrack(some, "conntrack_advise", out, sizeof(out)));
	CHECK_STR(out,
		  "ip raw PREROUTING handle 7: udp dport 5060 counter packets 3 bytes 9 notrack");
	CHECK(cta_listing_notrack(some, "conntrack_advise", out, 8));
	CHECK_STR(out, "ip raw ");
	CHECK(!cta_listing_notrack(NULL, "conntrack_advise", out, sizeof(out)));
}

static void test_rule_has_word(void)
{
	CHECK(cta_rule_has_word("ip saddr @blocked counter drop", "drop"));
	CHECK(cta_rule_has_word("tcp dport vmap { 22 : drop, 80 : accept }", "drop"));
	CHECK(cta_rule_has_word("tcp dport 23 reject with tcp reset", "reject"));
	CHECK(cta_rule_has_word("iifname \"wan0\" tcp dport 8080 dnat ip to 192.0.2.2:80", "dnat"));
	CHECK(!cta_rule_has_word("tcp dport 22 accept comment \"no drop here\"", "drop"));
	CHECK(!cta_rule_has_word("ip saddr @drop_list accept", "drop"));
	CHECK(!cta_rule_has_word("ip saddr @blocked counter accept", "drop"));
	CHECK(!cta_rule_has_word("meta mark set 0x1 accept comment \"snat later\"", "snat"));
	CHECK(!cta_rule_has_word("ct status dnat accept", "snat"));
	CHECK(cta_rule_has_word("ct status dnat accept", "dnat"));
	CHECK(!cta_rule_has_word(NULL, "drop"));
}

/* iptables-nft's line noted on a rule with xt expressions: nft's text alone has meaning. */
static void test_note_xt(void)
{
	static const char kube[] = "table ip filter { # handle 1\n"
				   "\tchain KUBE-FIREWALL { # handle 4\n"
				   "\t\tct status dnat counter drop # handle 9\n"
				   "\t}\n"
				   "}\n";
	static const char save[] = "-A KUBE-FIREWALL -m conntrack ! --ctstate "
				   "RELATED,ESTABLISHED,DNAT -m set --match-set accept src -j DROP";
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_rule_packet est = { .family = AF_INET,
				       .l4proto = IPPROTO_TCP,
				       .has_ct = true,
				       .ct_state = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) };
	const char *t, *at;
	char target[64];

	CHECK_EQ(cta_ruleset_add_text(rs, kube), 0);
	CHECK_EQ(cta_ruleset_note_xt(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9, save), 0);
	CHECK_EQ(cta_ruleset_note_xt(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 8, save),
		 -ENOENT);
	t = cta_ruleset_rule(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9);
	CHECK_STR(t, "ct status dnat counter drop # iptables-nft: -A KUBE-FIREWALL -m conntrack "
		     "! --ctstate RELATED,ESTABLISHED,DNAT -m set --match-set accept src -j DROP");
	CHECK_EQ(cta_rule_text_len(t), strlen("ct status dnat counter drop"));
	CHECK(cta_rule_note(t) == t + strlen("ct status dnat counter drop"));
	CHECK(cta_rule_text_same(t, "ct status dnat counter drop"));
	CHECK(!cta_rule_text_same(t, "ct status dnat counter accept"));
	CHECK(!cta_rule_text_same(t, NULL));
	/* a flag list in another order: iptables-nft's translation against nft's own */
	CHECK(cta_rule_text_same("oifname \"docker0\" ct state related,established counter accept",
				 "oifname \"docker0\" ct state established,related counter accept"));
	CHECK(cta_rule_text_same("tcp flags syn,ack accept # iptables-nft: -A X",
				 "tcp flags ack,syn accept"));
	CHECK(!cta_rule_text_same("ct state related,established accept",
				  "ct state established,invalid accept"));
	CHECK(!cta_rule_text_same("ct state related,established accept",
				  "ct state established,related,new accept"));
	CHECK(!cta_rule_text_same("ct state established,established accept",
				  "ct state established,related accept") &&
	      !cta_rule_text_same("ct state established accept", "ct state established drop"));
	CHECK(!cta_rule_text_same("ct state established,related accept",
				  "ct state established,related accept counter"));
	CHECK(!cta_rule_text_same("iifname \"a,b\" accept", "iifname \"b,a\" accept"));
	/* the words of the note mean nothing to what reads nft's text */
	CHECK(!cta_rule_has_word(t, "accept"));
	CHECK(!cta_rule_has_word(t, "set"));
	CHECK(cta_rule_has_word(t, "drop"));
	CHECK(!cta_rule_cannot_match(t, &est)); /* `ct status` is not weighed */
	CHECK(cta_rule_cannot_match("tcp dport 22 accept # iptables-nft: -A X -p udp -j ACCEPT",
				    &(struct cta_rule_packet){ .family = AF_INET,
							       .l4proto = IPPROTO_UDP }));
	at = "counter jump A # iptables-nft: -A X -m comment --comment x -j B -g C";
	CHECK(cta_rule_next_target(&at, target, sizeof(target)));
	CHECK_STR(target, "A");
	CHECK(!cta_rule_next_target(&at, target, sizeof(target)));
	at = "counter accept # iptables-nft: -A X -m mark --mark 1 -j ACCEPT jump B";
	CHECK(!cta_rule_next_target(&at, target, sizeof(target)));
	/* inside quotes it is no note */
	CHECK(cta_rule_note("accept comment \" # iptables-nft: x\"") == NULL);
	/* a listing again: the same text keeps its note; another text drops it */
	CHECK_EQ(cta_ruleset_add_text(rs, kube), 0);
	CHECK(cta_rule_note(cta_ruleset_rule(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9)));
	CHECK_EQ(cta_ruleset_add_text(rs, "table ip filter { # handle 1\n"
					  "\tchain KUBE-FIREWALL { # handle 4\n"
					  "\t\tcounter accept # handle 9\n"
					  "\t}\n"
					  "}\n"),
		 0);
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9),
		  "counter accept");
	/* noted twice: the newer line, once */
	CHECK_EQ(cta_ruleset_note_xt(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9, "-A K -j A"),
		 0);
	CHECK_EQ(cta_ruleset_note_xt(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9, "-A K -j B"),
		 0);
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9),
		  "counter accept # iptables-nft: -A K -j B");
	/* notes taken away: nft's text alone */
	cta_ruleset_clear_notes(rs);
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_IPV4, "filter", "KUBE-FIREWALL", 9),
		  "counter accept");
	cta_ruleset_free(rs);
}

/*
 * What a rule surely cannot match, as nft lists it: only what its matches say plainly;
 * anything unsure may match (helper-27's cases among them).
 */
static void test_cannot_match(void)
{
	struct cta_rule_packet syn = { .family = AF_INET,
				       .l4proto = IPPROTO_TCP,
				       .has_ct = true,
				       .ct_state = NF_CT_STATE_BIT(IP_CT_NEW) };
	struct cta_rule_packet udp6 = syn;
	static const uint8_t ping[] = { 8 };
	struct cta_rule_packet echo = {
		.family = AF_INET, .l4proto = IPPROTO_ICMP, .icmp_types = ping, .n_icmp_types = 1
	};

	udp6.family = AF_INET6;
	udp6.l4proto = IPPROTO_UDP;
	CHECK(cta_rule_cannot_match("meta l4proto tcp reject", &udp6));
	CHECK(!cta_rule_cannot_match("meta l4proto tcp reject", &syn));
	CHECK(cta_rule_cannot_match("meta l4proto { tcp, sctp } drop", &udp6));
	CHECK(!cta_rule_cannot_match("meta l4proto != tcp drop", &udp6));
	CHECK(cta_rule_cannot_match("meta l4proto != udp drop", &udp6));
	CHECK(cta_rule_cannot_match("tcp dport 25 drop", &udp6));
	CHECK(!cta_rule_cannot_match("th dport 25 drop", &udp6));
	CHECK(!cta_rule_cannot_match("udp dport 53 drop", &udp6));
	/* a flag list is one value: any of its states */
	CHECK(cta_rule_cannot_match("ct state invalid drop", &syn));
	CHECK(!cta_rule_cannot_match("ct state invalid,new drop", &syn));
	CHECK(!cta_rule_cannot_match("ct state established,new tcp dport 22 drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport 22 ct state invalid,new drop", &syn));
	CHECK(cta_rule_cannot_match("ct state { established, related } drop", &syn));
	CHECK(!cta_rule_cannot_match("ct state != established drop", &syn));
	CHECK(!cta_rule_cannot_match("ct state & (new | untracked) != 0 drop", &syn));
	/* the family */
	CHECK(cta_rule_cannot_match("ip saddr 198.51.100.7 drop", &udp6));
	CHECK(cta_rule_cannot_match("meta nfproto ipv4 drop", &udp6));
	CHECK(!cta_rule_cannot_match("meta nfproto ipv6 drop", &udp6));
	CHECK(cta_rule_cannot_match("ip6 saddr 2001:db8::/32 drop", &syn));
	CHECK(cta_rule_cannot_match("ip6 nexthdr ipv6-icmp drop", &syn));
	CHECK(!cta_rule_cannot_match("meta protocol { ip, ip6 } drop", &udp6));
	CHECK(!cta_rule_cannot_match("meta protocol { ip6, ip } tcp dport 22 drop", &syn));
	/* statements end the matches: a log flag, a reject's type, a comment say nothing */
	CHECK(!cta_rule_cannot_match("ip saddr 198.51.100.7 log level warn flags tcp "
				     "sequence,options drop",
				     &echo));
	CHECK(!cta_rule_cannot_match("meta l4proto tcp reject with icmp type "
				     "port-unreachable",
				     &syn));
	CHECK(!cta_rule_cannot_match("udp dport 53 accept comment \"tcp dport 1\"", &udp6));
	/* an IPv6 extension header first, or no headers: the protocol is not known */
	udp6.l4proto = cta_rule_l4proto(AF_INET6, 60);
	CHECK(!cta_rule_cannot_match("tcp dport 22 drop", &udp6));
	CHECK(!cta_rule_cannot_match("meta l4proto tcp drop", &udp6));
	CHECK_EQ(cta_rule_l4proto(0, 0), -1);
	CHECK_EQ(cta_rule_l4proto(AF_INET6, IPPROTO_TCP), IPPROTO_TCP);
	/* ICMP types, by name or number; sets and ranges not known: may */
	CHECK(cta_rule_cannot_match("icmp type destination-unreachable drop", &echo));
	CHECK(!cta_rule_cannot_match("icmp type echo-request drop", &echo));
	CHECK(!cta_rule_cannot_match("icmp type 8 drop", &echo));
	CHECK(!cta_rule_cannot_match("icmp type @types drop", &echo));
	CHECK(!cta_rule_cannot_match("icmp type 0-10 drop", &echo));
	CHECK(cta_rule_cannot_match("icmpv6 type echo-request drop", &echo));
	/* ports of the packet's own protocol, or th: numbers, ranges, sets */
	syn.has_dport = syn.has_sport = true;
	syn.sport = 40000;
	syn.dport = 22;
	CHECK(cta_rule_cannot_match("tcp dport 25 drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport 22 drop", &syn));
	CHECK(cta_rule_cannot_match("tcp dport { 23, 25, 587 } drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport { 21-23, 25 } drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport != 25 drop", &syn));
	CHECK(cta_rule_cannot_match("th sport 1-1023 drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport ssh drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport @blocked drop", &syn));
	CHECK(!cta_rule_cannot_match("tcp dport . ip saddr { 25 . 198.51.100.7 } drop", &syn));
	/* named sets, maps, interfaces: may */
	CHECK(!cta_rule_cannot_match("meta l4proto @protos drop", &syn));
	CHECK(!cta_rule_cannot_match("meta l4proto vmap { udp : drop }", &syn));
	CHECK(!cta_rule_cannot_match("iifname \"wan0\" jump handle_reject", &syn));
}

int main(void)
{
	struct cta_ruleset *rs = cta_ruleset_new();
	const struct cta_chain_info *c;

	test_rule_has_word();
	test_note_xt();
	test_cannot_match();
	test_notrack();
	CHECK_EQ(cta_ruleset_add_text(rs, listing), 0);
	CHECK_EQ(cta_ruleset_rule_count(rs), 5);
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "input", 4),
		  "ip saddr @blocked counter drop");
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "input", 6),
		  "tcp dport vmap { 22 : accept, 80 : jump web }");
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "web", 7),
		  "tcp dport 80 counter accept comment \"see # handle 99 } {\"");
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "my chain", 9), "udp dport 53 accept");
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_IPV4, "filter", "INPUT", 2),
		  "meta l4proto tcp tcp dport 8080 counter reject");
	CHECK(cta_ruleset_rule(rs, NFPROTO_IPV4, "fw", "input", 4) == NULL);
	CHECK(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "input", 3) == NULL); /* the set */

	/* the rule with handle 7 replaced by 10: both texts stay, for flows judged by each */
	CHECK_EQ(cta_ruleset_add_text(rs, "table inet fw { # handle 1\n"
					  "\tchain web { # handle 2\n"
					  "\t\ttcp dport 80 drop # handle 10\n"
					  "\t}\n"
					  "}\n"),
		 0);
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "web", 7),
		  "tcp dport 80 counter accept comment \"see # handle 99 } {\"");
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "web", 10), "tcp dport 80 drop");
	/* a table flushed and loaded anew reuses handles: the new text wins */
	CHECK_EQ(cta_ruleset_add_text(rs, "table inet fw { # handle 5\n"
					  "\tchain web { # handle 1\n"
					  "\t\ttcp dport 443 accept # handle 7\n"
					  "\t}\n"
					  "}\n"),
		 0);
	CHECK_STR(cta_ruleset_rule(rs, NFPROTO_INET, "fw", "web", 7), "tcp dport 443 accept");

	c = cta_ruleset_chain(rs, NFPROTO_INET, "fw", "input");
	CHECK(c && c->base && !strcmp(c->hook, "input") && c->prio == 0 &&
	      !strcmp(c->policy, "drop") && !strcmp(c->type, "filter"));
	CHECK(cta_ruleset_chain(rs, NFPROTO_INET, "fw", "web") == NULL); /* not a base chain */
	c = cta_ruleset_chain(rs, NFPROTO_IPV4, "raw", "pre");
	CHECK(c && c->prio == -300 && !strcmp(c->hook, "prerouting") &&
	      !strcmp(c->policy, "accept"));
	CHECK(cta_ruleset_chain(rs, NFPROTO_IPV6, "raw", "pre") == NULL);
	CHECK_EQ(cta_nfproto_from_name("ip6"), NFPROTO_IPV6);
	CHECK_STR(cta_nfproto_name(NFPROTO_BRIDGE), "bridge");
	cta_ruleset_free(rs);
	test_listing();
	return check_report("ruleset");
}
