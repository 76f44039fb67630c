// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * review without the kernel: the packets it builds (headers and checksums, read back
 * by the tuple parser the tracer uses), the ruleset comparison, what breaks and what
 * opens, the management session, the rules with no evidence, and --live's findings.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/review/craft.h"
#include "advisor/model/host.h"
#include "nft/pkt.h"
#include "advisor/review/review.h"
#include "advisor/review/rsdiff.h"
#include "advisor/model/ruleset.h"

static struct cta_flow flow(uint8_t proto, const char *src, const char *dst, uint16_t sport,
			    uint16_t dport)
{
	struct cta_flow f = { .direction = CTA_DIR_IN, .reached = CTA_REACHED_ASSURED };
	uint8_t fam;

	cta_addr_parse(src, &fam, &f.key.src);
	cta_addr_parse(dst, &fam, &f.key.dst);
	f.key.family = fam;
	f.key.l4proto = proto;
	f.key.dport = dport;
	f.sport_min = f.sport_max = sport;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		f.key.icmp_type = (uint8_t)dport;
		f.key.dport = 0;
	}
	f.key.reply_src = f.key.dst;
	f.key.reply_dst = f.key.src;
	f.key.reply_sport = f.key.dport;
	f.connections = 1;
	return f;
}

/* The checksum over a header (with the stored one in it) comes out as 0. */
static void check_packet(const struct cta_flow *f)
{
	uint8_t p[CTA_CRAFT_MAX], fam, proto;
	size_t len = cta_craft_first_packet(f, p), hl = f->key.family == AF_INET ? 20 : 40;
	struct cta_tuple t;
	uint32_t sum = 0;
	size_t alen = f->key.family == AF_INET ? 4 : 16;

	CHECK(len > hl && len <= CTA_CRAFT_MAX);
	CHECK_EQ(cta_pkt_tuple(p, len, NULL, 0, &fam, &proto, &t), 0);
	CHECK_EQ(fam, f->key.family);
	CHECK_EQ(proto, f->key.l4proto);
	CHECK(!memcmp(t.src.b, f->key.src.b, alen) && !memcmp(t.dst.b, f->key.dst.b, alen));
	if (cta_proto_has_ports(proto)) {
		CHECK_EQ(t.sport, f->sport_min);
		CHECK_EQ(t.dport, f->key.dport);
	} else if (cta_proto_is_icmp(proto)) {
		CHECK_EQ(t.icmp_type, f->key.icmp_type);
	}
	if (fam == AF_INET)
		CHECK_EQ(cta_inet_csum(p, 20, 0), 0);
	if (proto != IPPROTO_ICMP && (cta_proto_has_ports(proto) || cta_proto_is_icmp(proto))) {
		/* the pseudo-header: addresses, protocol, length */
		for (size_t i = 0; i < alen; i += 2) {
			sum += (uint32_t)(f->key.src.b[i] << 8 | f->key.src.b[i + 1]);
			sum += (uint32_t)(f->key.dst.b[i] << 8 | f->key.dst.b[i + 1]);
		}
		sum += proto + (uint32_t)(len - hl);
	}
	CHECK_EQ(cta_inet_csum(p + hl, len - hl, sum), 0);
}

static void test_craft(void)
{
	struct cta_flow f;

	check_packet((f = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 22), &f));
	check_packet((f = flow(IPPROTO_UDP, "198.51.100.7", "192.0.2.10", 40001, 53), &f));
	check_packet((f = flow(IPPROTO_ICMP, "198.51.100.7", "192.0.2.10", 7, 8), &f));
	check_packet((f = flow(IPPROTO_TCP, "2001:db8:a::7", "2001:db8::10", 40000, 443), &f));
	check_packet((f = flow(IPPROTO_UDP, "2001:db8:a::7", "2001:db8::10", 5353, 53), &f));
	check_packet((f = flow(IPPROTO_ICMPV6, "2001:db8:a::7", "2001:db8::10", 9, 128), &f));
	{
		uint8_t p[CTA_CRAFT_MAX];

		f = flow(47, "198.51.100.7", "203.0.113.30", 0, 0); /* GRE: IP and a payload */
		CHECK_EQ(cta_craft_first_packet(&f, p), 28);
		CHECK_EQ(p[9], 47);
		CHECK_EQ(cta_inet_csum(p, 20, 0), 0);
	}
	/* a SYN, nothing else */
	{
		uint8_t p[CTA_CRAFT_MAX];

		f = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 22);
		cta_craft_first_packet(&f, p);
		CHECK_EQ(p[20 + 13], 0x02);
	}
}

static const char before[] = "table inet fw {\n"
			     "\tset allowed {\n"
			     "\t\ttype ipv4_addr\n"
			     "\t\telements = { 198.51.100.7 }\n"
			     "\t}\n"
			     "\n"
			     "\tchain input {\n"
			     "\t\ttype filter hook input priority filter; policy accept;\n"
			     "\t\tct state established,related accept\n"
			     "\t\ttcp dport 22 accept\n"
			     "\t\ttcp dport 23 reject\n"
			     "\t}\n"
			     "}\n"
			     "table ip old {\n"
			     "\tchain c {\n"
			     "\t\ttype filter hook output priority 0; policy accept;\n"
			     "\t}\n"
			     "}\n"
			     /* an owner table is listed with the owner's name */
			     "table inet conntrack_advise { # progname conntrack-advis\n"
			     "\tflags owner\n"
			     "\n"
			     "\tchain x {\n"
			     "\t}\n"
			     "}\n";

static const char after[] = "table inet fw {\n"
			    "\tset allowed {\n"
			    "\t\ttype ipv4_addr\n"
			    "\t\telements = { 198.51.100.7, 198.51.100.8 }\n"
			    "\t}\n"
			    "\n"
			    "\tchain input {\n"
			    "\t\ttype filter hook input priority filter; policy drop;\n"
			    "\t\tiif \"lo\" accept\n"
			    "\t\tct state established,related accept\n"
			    "\t\ttcp dport 22 accept\n"
			    "\t}\n"
			    "\n"
			    "\tchain web {\n"
			    "\t\ttcp dport 80 accept\n"
			    "\t}\n"
			    "}\n"
			    "table ip6 new {\n"
			    "\tchain c {\n"
			    "\t\ttype filter hook input priority 0; policy accept;\n"
			    "\t}\n"
			    "}\n";

static int count(json_t *changes, const char *op, const char *object, const char *text)
{
	json_t *c;
	size_t i;
	int n = 0;

	json_array_foreach(changes, i, c) {
		const char *t = json_string_value(json_object_get(c, "text"));

		n += !strcmp(json_string_value(json_object_get(c, "op")), op) &&
		     !strcmp(json_string_value(json_object_get(c, "object")), object) &&
		     (!text || (t && !strcmp(t, text)));
	}
	return n;
}

static void test_rsdiff(void)
{
	json_t *d = cta_rsdiff(before, after, "conntrack_advise"), *t;
	char *x;

	CHECK(d != NULL);
	CHECK_EQ(count(d, "add", "rule", "iif \"lo\" accept"), 1);
	CHECK_EQ(count(d, "remove", "rule", "tcp dport 23 reject"), 1);
	/* the rules that stayed in order are no change */
	CHECK_EQ(count(d, "add", "rule", "tcp dport 22 accept"), 0);
	CHECK_EQ(count(d, "change", "chain", NULL), 1);
	CHECK_EQ(count(d, "change", "set", NULL), 1);
	CHECK_EQ(count(d, "add", "chain", NULL), 2); /* web, and new's c */
	CHECK_EQ(count(d, "add", "table", NULL), 1);
	CHECK_EQ(count(d, "remove", "table", NULL), 1);
	/* the tool's own table is never a change */
	CHECK_EQ((int)json_array_size(d), 1 + 1 + 1 + 1 + 2 + 1 + 1);
	json_decref(d);
	d = cta_rsdiff(before, before, "conntrack_advise");
	CHECK_EQ(json_array_size(d), 0);
	json_decref(d);

	t = cta_rsdiff_tables(before, "conntrack_advise");
	CHECK_EQ(json_array_size(t), 2);
	CHECK_STR(json_string_value(json_array_get(t, 1)), "ip old");
	json_decref(t);
	x = cta_rsdiff_without(before, "conntrack_advise");
	CHECK(x && !strstr(x, "conntrack_advise") && strstr(x, "table ip old {"));
	free(x);
	x = cta_rsdiff_table_text(before, "ip", "old");
	CHECK(x && !strncmp(x, "table ip old {", 14) && x[strlen(x) - 2] == '}');
	free(x);
	CHECK(cta_rsdiff_table_text(before, "ip", "nope") == NULL);

	/* in place: the table and the chain that keeps its hook stay, the rest is made anew */
	x = cta_rsdiff_replace_tx(before, after, "inet", "fw");
	CHECK(x && !strncmp(x,
			    "flush table inet fw\n"
			    "delete set inet fw allowed\n"
			    "table inet fw {\n",
			    55));
	CHECK(x && !strstr(x, "delete chain") && !strstr(x, "delete table"));
	free(x);
	x = cta_rsdiff_replace_tx(before, after, "ip", "old");
	CHECK_STR(x, "delete table ip old\n");
	free(x);
	x = cta_rsdiff_replace_tx(before, after, "ip6", "new");
	CHECK(x && !strncmp(x, "table ip6 new {", 15));
	free(x);
	x = cta_rsdiff_replace_tx(after, before, "inet", "fw");
	CHECK(x && strstr(x, "delete chain inet fw web\n") && !strstr(x, "chain inet fw input"));
	free(x);
	x = cta_rsdiff_replace_tx(before, after, "ip", "nope");
	CHECK_STR(x, "");
	free(x);
}

static void test_classify(void)
{
	json_t *accept = json_pack("{s:s,s:s,s:s,s:s,s:i}", "verdict", "accept", "type", "rule",
				   "table", "fw", "chain", "input", "handle", 7);
	json_t *drop = json_pack("{s:s,s:s,s:s,s:s}", "verdict", "drop", "type", "policy", "table",
				 "fw", "chain", "input");
	struct cta_review_flow v[4] = { 0 };
	struct cta_flow ssh;
	uint16_t port = 0;

	v[0].flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 80);
	struct cta_vtally t_accept = { 0 }, t_drop = { 0 }, t_mixed = { 0 };
	struct cta_verdict *va = NULL, *vd = NULL;
	struct cta_err e;

	CHECK_EQ(cta_verdict_from_json(accept, &va, &e), 0);
	CHECK_EQ(cta_verdict_from_json(drop, &vd, &e), 0);
	cta_vtally_add(&t_accept, va, 1);
	cta_vtally_add(&t_drop, vd, 1);
	cta_vtally_add(&t_mixed, va, 3);
	cta_vtally_add(&t_mixed, vd, 2);
	v[0].recorded = &t_accept;
	v[0].candidate = cta_verdict_ref(vd);
	v[1].flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40001, 23);
	v[1].flow.reached = CTA_REACHED_UNREPLIED;
	v[1].recorded = &t_drop;
	v[1].candidate = cta_verdict_ref(va);
	v[2].flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40002, 443);
	v[2].recorded = NULL; /* recorded without tracing: it got through */
	v[2].candidate = cta_verdict_ref(va);
	CHECK_EQ(cta_review_ssh_flow("198.51.100.9 50000 192.0.2.10 2222", &ssh, &port), 0);
	CHECK_EQ(port, 2222);
	CHECK_EQ(ssh.sport_min, 50000);
	CHECK_EQ(ssh.direction, CTA_DIR_IN);
	v[3].flow = ssh;
	v[3].management = true;
	v[3].candidate = cta_verdict_ref(vd);
	for (int i = 0; i < 4; i++)
		cta_review_classify(&v[i]);
	CHECK_EQ(v[0].change, CTA_RV_BREAKS);
	CHECK_EQ(v[1].change, CTA_RV_OPENS);
	CHECK_EQ(v[2].change, CTA_RV_SAME);
	CHECK_EQ(v[3].change, CTA_RV_BREAKS);
	cta_review_sort(v, 4);
	CHECK(v[0].management);
	CHECK_EQ(v[1].change, CTA_RV_BREAKS);
	CHECK_EQ(v[2].change, CTA_RV_OPENS);
	CHECK_EQ(v[3].change, CTA_RV_SAME);
	{
		/* a related flow, and one a bridge chain decided: not judged, whatever */
		struct cta_review_flow r[2] = { 0 };
		json_t *bridge = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "verdict", "drop", "type",
					   "rule", "family", "bridge", "table", "filter", "chain",
					   "forward", "handle", 2);
		struct cta_vtally t_bridge = { 0 };
		struct cta_verdict *vb = NULL;

		CHECK_EQ(cta_verdict_from_json(bridge, &vb, &e), 0);
		cta_vtally_add(&t_bridge, vb, 1);
		r[0].flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40003, 41573);
		r[0].flow.related = true;
		r[0].recorded = &t_accept;
		r[1].flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40004, 22);
		r[1].flow.reached = CTA_REACHED_UNREPLIED;
		r[1].recorded = &t_bridge;
		r[1].candidate = cta_verdict_ref(va);
		cta_review_classify(&r[0]);
		cta_review_classify(&r[1]);
		CHECK_EQ(r[0].change, CTA_RV_UNJUDGED);
		CHECK_EQ(r[1].change, CTA_RV_UNJUDGED);
		cta_verdict_unref(r[1].candidate);
		json_decref(bridge);
		cta_vtally_fini(&t_bridge);
		cta_verdict_unref(vb);
	}
	CHECK(cta_review_ssh_flow("198.51.100.9 50000 2001:db8::1 22", &ssh, &port) < 0);
	CHECK(cta_review_ssh_flow("nonsense", &ssh, &port) < 0);
	CHECK(cta_review_ssh_flow(NULL, &ssh, &port) < 0);
	{
		struct cta_verdict *none = cta_verdict_new();

		CHECK(none && none->verdict == CTA_VERDICT_NONE);
		CHECK(cta_review_passes(none));
		CHECK(!cta_review_passes(NULL));
		cta_verdict_unref(none);
	}
	for (int i = 0; i < 4; i++)
		cta_verdict_unref(v[i].candidate);
	/* a leftover of before the recording: never worked, not judged, whatever */
	{
		struct cta_review_flow left = { 0 };

		left.flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40005, 80);
		left.flow.reached = CTA_REACHED_UNREPLIED;
		left.flow.leftover = left.flow.connections;
		CHECK(left.flow.connections > 0);
		left.candidate = va;
		cta_review_classify(&left);
		CHECK(left.leftover && !left.worked);
		CHECK_EQ(left.change, CTA_RV_UNJUDGED);
		/* with a connection of the recording among them: as any flow */
		left.flow.connections++;
		left.flow.reached = CTA_REACHED_ASSURED;
		left.candidate = vd;
		cta_review_classify(&left);
		CHECK(!left.leftover && left.worked);
		CHECK_EQ(left.change, CTA_RV_BREAKS);
	}
	/* 3 accepted by a rule, 2 rejected by a rate limit: accepted now is "opens" */
	{
		struct cta_review_flow mixed = { .recorded = &t_mixed };

		mixed.flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40003, 22);
		mixed.candidate = va;
		cta_review_classify(&mixed);
		CHECK(mixed.worked);
		CHECK_EQ(mixed.change, CTA_RV_OPENS);
		mixed.candidate = vd;
		cta_review_classify(&mixed);
		CHECK_EQ(mixed.change, CTA_RV_BREAKS);
		/*
		 * dropped by a table the candidate leaves in place: its doing, and what the
		 * candidate does behind it is not known
		 */
		mixed.decided_beside = true;
		cta_review_classify(&mixed);
		CHECK_EQ(mixed.change, CTA_RV_UNJUDGED);
		CHECK(mixed.dropped_beside);
		/*
		 * the candidate lets it through, and the rate limit's rejects were decided in
		 * a table left in force beside it (fw4 beside suggest's inet filter): they
		 * still happen there, nothing opens (one replayed packet passes the limit)
		 */
		mixed.candidate = va;
		mixed.decided_beside = false;
		mixed.denied_beside = true;
		cta_review_classify(&mixed);
		CHECK_EQ(mixed.change, CTA_RV_SAME);
		/* and says so: denied still, though the candidate accepts */
		CHECK(cta_review_denied_still(&mixed));
		mixed.candidate = vd;
		cta_review_classify(&mixed);
		CHECK(!cta_review_denied_still(&mixed));
		mixed.candidate = va;
		mixed.denied_beside = false;
		cta_review_classify(&mixed);
		CHECK(!cta_review_denied_still(&mixed));
	}
	/*
	 * Accepted, then banned (fail2ban filled its set at run time): the ban rule of a
	 * live table left beside the candidate drops it now as it did while recording. Not
	 * the candidate's break, nor known to be ok: what the candidate does behind it is
	 * not known. By another rule of that table (a mark the candidate sets may lead
	 * there, helper-58), or by the candidate's own, it is a break.
	 */
	{
		json_t *ban = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "verdict", "drop", "type",
					"rule", "family", "ip", "table", "fail2ban", "chain",
					"input", "handle", 11, "rule",
					"tcp dport { 22, 9022 } ip saddr @f2b-sshd drop");
		json_t *other = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "verdict", "drop",
					  "type", "rule", "family", "ip", "table", "fail2ban",
					  "chain", "input", "handle", 12, "rule",
					  "udp dport 5060 drop");
		struct cta_verdict *vban = NULL, *voth = NULL;
		struct cta_vtally t_ban = { 0 };
		struct cta_review_flow f = { .recorded = &t_ban, .decided_beside = true };

		CHECK_EQ(cta_verdict_from_json(ban, &vban, &e), 0);
		CHECK_EQ(cta_verdict_from_json(other, &voth, &e), 0);
		cta_vtally_add(&t_ban, va, 1);
		cta_vtally_add(&t_ban, vban, 1);
		f.flow = flow(IPPROTO_TCP, "203.0.113.20", "192.0.2.10", 40005, 22);
		f.candidate = vban;
		cta_review_classify(&f);
		CHECK(f.worked);
		CHECK_EQ(f.change, CTA_RV_UNJUDGED);
		CHECK(f.dropped_beside);
		/* the management session: a LOCKOUT, whoever drops it */
		f.management = true;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_BREAKS);
		f.management = false;
		/* another rule of that table, never seen denying it: maybe the candidate's */
		f.candidate = voth;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_BREAKS);
		CHECK(!f.dropped_beside);
		f.candidate = vban;
		f.decided_beside = false;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_BREAKS);
		CHECK(!f.dropped_beside);
		f.candidate = va;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_OPENS);
		cta_vtally_fini(&t_ban);
		cta_verdict_unref(vban);
		cta_verdict_unref(voth);
		json_decref(ban);
		json_decref(other);
	}
	/*
	 * Its first packet passes, its reply would be dropped: BREAKS where it had
	 * replies, counted or (a connection found open by the start-up dump, replied
	 * before it, reply counters 0) by its state (helper-63); not where none came.
	 */
	{
		struct cta_review_flow f = { .recorded = &t_accept };

		f.flow = flow(IPPROTO_UDP, "192.0.2.2", "198.51.100.7", 40006, 53);
		f.candidate = va;
		f.later = vd;
		f.flow.packets[1] = 1;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_BREAKS);
		CHECK(f.later_denied);
		f.flow.packets[1] = 0;
		f.flow.reached = CTA_REACHED_REPLIED;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_BREAKS);
		CHECK(f.later_denied);
		f.flow.reached = CTA_REACHED_UNREPLIED;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_SAME);
		CHECK(!f.later_denied);
	}
	/*
	 * Never traced (open since before the recording), masqueraded by its tuples (the
	 * reply to the router's address): a candidate whose path translates nothing
	 * loses it (helper-65); an iptables-legacy one's walk tells no translation.
	 */
	{
		struct cta_review_flow f = { 0 };
		uint8_t fam;

		f.flow = flow(IPPROTO_UDP, "192.0.2.2", "198.51.100.7", 40007, 53);
		cta_addr_parse("198.51.100.1", &fam, &f.flow.key.reply_dst);
		f.candidate = va;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_BREAKS);
		CHECK(f.nat_lost && strstr(f.nat_lost, "masquerade or snat"));
		va->legacy = true;
		cta_review_classify(&f);
		va->legacy = false;
		CHECK_EQ(f.change, CTA_RV_SAME);
		/* its tuples untranslated: nothing to lose */
		f.flow.key.reply_dst = f.flow.key.src;
		cta_review_classify(&f);
		CHECK_EQ(f.change, CTA_RV_SAME);
	}
	cta_vtally_fini(&t_accept);
	cta_vtally_fini(&t_drop);
	cta_vtally_fini(&t_mixed);
	cta_verdict_unref(va);
	cta_verdict_unref(vd);
	json_decref(accept);
	json_decref(drop);
}

static const char listing[] =
	"table inet fw { # handle 1\n"
	"\tchain input { # handle 1\n"
	"\t\ttype filter hook input priority 0; policy drop;\n"
	"\t\tct state established,related accept comment \"renewed nightly\" # handle 2\n"
	"\t\ttcp dport 21 accept # handle 3\n"
	"\t\ttcp dport 25 accept # handle 4\n"
	"\t\ttcp dport 110 accept # handle 5\n"
	"\t\ttcp dport 143 accept # handle 6\n"
	"\t\ttcp dport 22 accept # handle 7\n"
	"\t}\n"
	"}\n";

static void test_no_evidence_and_live(void)
{
	struct cta_ruleset *rs = cta_ruleset_new();
	json_t *tables = json_pack("[s]", "inet fw"), *ne, *live, *f, *cand;
	struct cta_review_flow v = { 0 };
	struct cta_err e;
	struct cta_session s = { 0 };
	struct cta_flow flows[4];
	json_t *verdicts[3];
	struct cta_vtally tallies[3] = { { 0 } };
	int hot = 0, unreached = 0, untraced = 0, policy = 0, untraced_flow = 0;
	size_t i;

	CHECK_EQ(cta_ruleset_add_text(rs, listing), 0);
	v.flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 22);
	cand = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s,s:[{s:s,s:i}]}]}", "verdict", "accept", "type",
			 "open", "path", "family", "inet", "table", "fw", "chain", "input", "rules",
			 "chain", "input", "handle", 7);
	CHECK_EQ(cta_verdict_from_json(cand, &v.candidate, &e), 0);
	json_decref(cand);
	ne = cta_review_no_evidence(rs, tables, &v, 1);
	/* six rules, one reached, one no first packet can reach (established) */
	CHECK_EQ(json_array_size(ne), 4);
	json_array_foreach(ne, i, f) {
		CHECK(json_integer_value(json_object_get(f, "handle")) != 7);
		CHECK(json_integer_value(json_object_get(f, "handle")) != 2);
	}
	json_decref(ne);
	/* a negated state matches first packets: it is listed (helper-50) */
	{
		struct cta_ruleset *neg = cta_ruleset_new();

		CHECK_EQ(
			cta_ruleset_add_text(
				neg,
				"table inet fw { # handle 1\n"
				"\tchain input { # handle 1\n"
				"\t\ttype filter hook input priority 0; policy accept;\n"
				"\t\tip daddr 192.0.2.10 ct state != established,related drop # handle 2\n"
				"\t\tct state invalid drop # handle 3\n"
				"\t}\n"
				"}\n"),
			0);
		ne = cta_review_no_evidence(neg, tables, &v, 1);
		CHECK_EQ(json_array_size(ne), 1);
		CHECK_EQ(json_integer_value(json_object_get(json_array_get(ne, 0), "handle")), 2);
		json_decref(ne);
		cta_ruleset_free(neg);
	}
	cta_verdict_unref(v.candidate);

	/* --live: ssh decides everything from behind five rules; a policy drop */
	flows[0] = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 22);
	flows[0].connections = 10;
	flows[0].verdict = 1;
	flows[1] = flow(IPPROTO_TCP, "198.51.100.8", "192.0.2.10", 40000, 8080);
	flows[1].verdict = 2;
	/* counted, never traced (over --trace-rate): smtp's rule may have let it in */
	flows[2] = flow(IPPROTO_TCP, "198.51.100.9", "192.0.2.10", 40000, 25);
	flows[2].connections = 3;
	flows[2].verdict = 0;
	/*
	 * and one to pop3's, denied as NFLOG saw (no rule named: never traced either):
	 * each rule counts the untraced flows it could have matched
	 */
	flows[3] = flow(IPPROTO_TCP, "198.51.100.9", "192.0.2.10", 40001, 110);
	flows[3].connections = 2;
	flows[3].verdict = 3;
	verdicts[0] = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:[{s:s,s:s,s:s,s:[{s:s,s:i}]}]}",
				"verdict", "accept", "type", "rule", "source", "trace", "family",
				"inet", "table", "fw", "chain", "input", "handle", 7, "path",
				"family", "inet", "table", "fw", "chain", "input", "rules", "chain",
				"input", "handle", 7);
	verdicts[1] = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "verdict", "drop", "type",
				"policy", "source", "trace", "family", "inet", "table", "fw",
				"chain", "input", "path");
	verdicts[2] =
		json_pack("{s:s,s:s,s:s}", "verdict", "drop", "type", "none", "source", "nflog");
	s.flows = flows;
	s.n_flows = 4;
	s.options.trace = CTA_TRACE_NEW;
	for (int k = 0; k < 3; k++) {
		struct cta_verdict *tv = NULL;

		CHECK_EQ(cta_verdict_from_json(verdicts[k], &tv, &e), 0);
		cta_vtally_add(&tallies[k], tv, k == 0 ? 10 : k == 1 ? 1 : 2);
		cta_verdict_unref(tv);
	}
	s.verdicts = tallies;
	s.n_verdicts = 3;
	live = cta_review_live(rs, &s, 1, "conntrack_advise");
	CHECK(live != NULL);
	json_array_foreach(live, i, f) {
		const char *kind = json_string_value(json_object_get(f, "kind"));

		if (!strcmp(kind, "hot")) {
			hot++;
			CHECK_EQ(json_integer_value(json_object_get(f, "handle")), 7);
			CHECK_EQ(json_integer_value(json_object_get(f, "position")), 5);
		}
		unreached += !strcmp(kind, "unreached");
		if (!strcmp(kind, "untraced") &&
		    json_integer_value(json_object_get(f, "handle")) == 4) {
			untraced_flow++;
			CHECK(strstr(json_string_value(json_object_get(f, "detail")),
				     "1 flow (3 connections) that record counted and did not "
				     "trace") != NULL);
		} else if (!strcmp(kind, "untraced") &&
			   json_integer_value(json_object_get(f, "handle")) == 5) {
			untraced_flow++;
			CHECK(strstr(json_string_value(json_object_get(f, "detail")),
				     "1 flow (2 connections)") != NULL);
		} else if (!strcmp(kind, "untraced")) {
			/* only later packets match it: record cannot see it reached */
			untraced++;
			CHECK_EQ(json_integer_value(json_object_get(f, "handle")), 2);
		}
		if (!strcmp(kind, "policy")) {
			policy++;
			CHECK(strstr(json_string_value(json_object_get(f, "detail")), ":8080") !=
			      NULL);
		}
	}
	CHECK_EQ(hot, 1);
	CHECK_EQ(unreached, 2); /* 21, 143: no flow of any kind could have matched */
	CHECK_EQ(untraced, 1);
	CHECK_EQ(untraced_flow, 2);
	CHECK_EQ(policy, 1);
	json_decref(live);
	/* a recording that traced nothing: every rule unreached, as it warns, no hedge */
	s.options.trace = CTA_TRACE_NONE;
	live = cta_review_live(rs, &s, 1, "conntrack_advise");
	untraced_flow = 0;
	json_array_foreach(live, i, f)
		untraced_flow +=
			!strcmp(json_string_value(json_object_get(f, "kind")), "untraced") &&
			json_integer_value(json_object_get(f, "handle")) != 2;
	CHECK_EQ(untraced_flow, 0);
	json_decref(live);
	/* a rule that may match neighbour discovery: "keep it" only where it accepts */
	{
		struct cta_ruleset *nd = cta_ruleset_new();
		struct cta_session none = { 0 };
		int kept = 0, plain = 0;

		none.options.trace = CTA_TRACE_NEW;
		CHECK_EQ(cta_ruleset_add_text(nd, "table inet fw { # handle 1\n"
						  "\tchain input { # handle 1\n"
						  "\t\ttype filter hook input priority 0; policy "
						  "accept;\n"
						  "\t\tiifname \"podman0\" drop # handle 2\n"
						  "\t\tiifname \"lan0\" accept # handle 3\n"
						  "\t}\n"
						  "}\n"),
			 0);
		live = cta_review_live(nd, &none, 1, "conntrack_advise");
		json_array_foreach(live, i, f) {
			const char *d = json_string_value(json_object_get(f, "detail"));
			json_int_t h = json_integer_value(json_object_get(f, "handle"));

			if (!d || !strstr(d, "neighbour discovery"))
				continue;
			kept += h == 3 && strstr(d, "keep it") != NULL;
			plain += h == 2 && !strstr(d, "keep it");
		}
		CHECK_EQ(kept, 1);
		CHECK_EQ(plain, 1);
		json_decref(live);
		cta_ruleset_free(nd);
	}
	/* connmark restore: later packets only, never "unreached" (helper-59) */
	{
		struct cta_ruleset *cm = cta_ruleset_new();
		struct cta_session none = { 0 };
		int cm_untraced = 0, cm_unreached = 0;

		none.options.trace = CTA_TRACE_NEW;
		CHECK_EQ(cta_ruleset_add_text(
				 cm, "table ip mangle { # handle 1\n"
				     "\tchain prerouting { # handle 1\n"
				     "\t\ttype filter hook prerouting priority -150; "
				     "policy accept;\n"
				     "\t\tct mark != 0x0 meta mark set ct mark # handle 2\n"
				     "\t\tiifname \"wan2\" ct mark set 0x2 # handle 3\n"
				     "\t}\n"
				     "}\n"),
			 0);
		live = cta_review_live(cm, &none, 1, "conntrack_advise");
		json_array_foreach(live, i, f) {
			const char *k = json_string_value(json_object_get(f, "kind"));
			json_int_t h = json_integer_value(json_object_get(f, "handle"));

			cm_untraced += h == 2 && !strcmp(k, "untraced");
			cm_unreached += h == 2 && !strcmp(k, "unreached");
		}
		CHECK_EQ(cm_untraced, 1);
		CHECK_EQ(cm_unreached, 0);
		json_decref(live);
		cta_ruleset_free(cm);
	}
	json_decref(verdicts[0]);
	json_decref(verdicts[1]);
	json_decref(verdicts[2]);
	cta_vtally_fini(&tallies[0]);
	cta_vtally_fini(&tallies[1]);
	cta_vtally_fini(&tallies[2]);
	json_decref(tables);
	cta_ruleset_free(rs);
}

/* A chain's last rule that matches everything is its policy: never "move it up". */
static void test_catch_all(void)
{
	static const char *const last[] = {
		"counter reject with icmpx type admin-prohibited",
		"log prefix \"end of input \" level info counter packets 3 bytes 180 drop",
		"tcp dport 22 reject", /* matches something: the advice stays */
	};

	for (size_t k = 0; k < 3; k++) {
		struct cta_ruleset *rs = cta_ruleset_new();
		struct cta_session s = { 0 };
		struct cta_flow fl = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 22);
		char text[1024];
		json_t *v, *live, *f;
		struct cta_vtally tally = { 0 };
		struct cta_verdict *tv = NULL;
		struct cta_err e;
		int hot = 0;
		size_t i;

		snprintf(
			text, sizeof(text),
			"table inet fw {\n\tchain input {\n"
			"\t\ttype filter hook input priority 0; policy accept;\n"
			"\t\ttcp dport 21 accept # handle 3\n\t\ttcp dport 25 accept # handle 4\n"
			"\t\ttcp dport 110 accept # handle 5\n\t\ttcp dport 143 accept # handle 6\n"
			"\t\ttcp dport 993 accept # handle 8\n\t\t%s # handle 7\n\t}\n}\n",
			last[k]);
		CHECK_EQ(cta_ruleset_add_text(rs, text), 0);
		fl.connections = 5;
		fl.verdict = 1;
		v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:[{s:s,s:s,s:s,s:[{s:s,s:i}]}]}",
			      "verdict", "drop", "type", "rule", "source", "trace", "family",
			      "inet", "table", "fw", "chain", "input", "handle", 7, "path",
			      "family", "inet", "table", "fw", "chain", "input", "rules", "chain",
			      "input", "handle", 7);
		CHECK_EQ(cta_verdict_from_json(v, &tv, &e), 0);
		cta_vtally_add(&tally, tv, fl.connections);
		s.flows = &fl;
		s.n_flows = 1;
		s.verdicts = &tally;
		s.n_verdicts = 1;
		live = cta_review_live(rs, &s, 1, "conntrack_advise");
		CHECK(live != NULL);
		json_array_foreach(live, i, f)
			hot += !strcmp(json_string_value(json_object_get(f, "kind")), "hot");
		CHECK_EQ(hot, (int)(k == 2)); /* only the last one is advised */
		json_decref(live);
		json_decref(v);
		cta_vtally_fini(&tally);
		cta_verdict_unref(tv);
		cta_ruleset_free(rs);
	}
}

/* A helper the live ruleset assigned and the candidate does not: lost; never had: not. */
static void test_helpers_lost(void)
{
	static const char with[] = "table inet fw { # handle 1\n"
				   "\tct helper ftp-standard { # handle 2\n"
				   "\t\ttype \"ftp\" protocol tcp\n\t\tl3proto inet\n\t}\n"
				   "\tchain pre { # handle 3\n"
				   "\t\ttcp dport 21 ct helper set \"ftp-standard\" # handle 4\n"
				   "\t}\n}\n";
	static const char object_only[] = "table inet f { # handle 1\n"
					  "\tct helper ftp-tcp { # handle 2\n"
					  "\t\ttype \"ftp\" protocol tcp\n\t}\n}\n";
	struct cta_review_flow v[2] = { 0 };
	json_t *lost;

	v[0].flow = flow(IPPROTO_TCP, "198.51.100.7", "192.0.2.10", 40000, 21);
	snprintf(v[0].flow.helper, sizeof(v[0].flow.helper), "ftp");
	v[0].worked = true;
	v[1] = v[0];
	v[1].flow.sport_min = v[1].flow.sport_max = 40001;
	lost = cta_review_helpers_lost(v, 2, with, object_only);
	CHECK_EQ(json_array_size(lost), 1); /* one per helper and service */
	CHECK_STR(json_string_value(json_object_get(json_array_get(lost, 0), "helper")), "ftp");
	json_decref(lost);
	lost = cta_review_helpers_lost(v, 2, with, with);
	CHECK_EQ(json_array_size(lost), 0);
	json_decref(lost);
	lost = cta_review_helpers_lost(v, 2, object_only, ""); /* never assigned in nft */
	CHECK_EQ(json_array_size(lost), 0);
	json_decref(lost);
}

/*
 * iptables-nft's Docker NAT: `ip nat DOCKER` is a regular chain only nat base chains
 * jump to. With translated connections recorded, its rules are untraced like the nat
 * base chain's, never unreached (candidates for removal); a filter rule no flow
 * reached still is.
 */
static void test_live_nat_chain(void)
{
	static const char docker[] =
		"table ip nat { # handle 1\n"
		"\tchain PREROUTING { # handle 1\n"
		"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		"\t\tfib daddr type local counter jump DOCKER # handle 2\n"
		"\t}\n"
		"\tchain DOCKER { # handle 3\n"
		"\t\tiifname \"docker0\" counter return # handle 4\n"
		"\t\ttcp dport 8080 counter dnat to 192.0.2.2:80 # handle 5\n"
		"\t}\n"
		"}\n"
		"table ip filter { # handle 2\n"
		"\tchain INPUT { # handle 1\n"
		"\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\ttcp dport 9999 drop # handle 2\n"
		"\t}\n"
		"}\n";
	struct cta_ruleset *rs = cta_ruleset_new();
	struct cta_session s = { 0 };
	struct cta_flow fl = flow(IPPROTO_TCP, "198.51.100.7", "198.51.100.1", 40000, 8080);
	struct cta_vtally tally = { 0 };
	struct cta_verdict *v = NULL;
	struct cta_err e;
	json_t *vj, *live, *f;
	int nat_untraced = 0, filter_unreached = 0;
	size_t i;

	CHECK_EQ(cta_ruleset_add_text(rs, docker), 0);
	/* DNAT: the reply comes from the container */
	cta_addr_parse("192.0.2.2", &(uint8_t){ 0 }, &fl.key.reply_src);
	fl.key.reply_sport = 80;
	fl.direction = CTA_DIR_FORWARD;
	fl.verdict = 1;
	vj = json_pack("{s:s,s:s,s:s,s:[]}", "verdict", "accept", "type", "open", "source", "trace",
		       "path");
	CHECK_EQ(cta_verdict_from_json(vj, &v, &e), 0);
	cta_vtally_add(&tally, v, 1);
	s.flows = &fl;
	s.n_flows = 1;
	s.verdicts = &tally;
	s.n_verdicts = 1;
	live = cta_review_live(rs, &s, 1, "conntrack_advise");
	CHECK(live != NULL);
	json_array_foreach(live, i, f) {
		const char *kind = json_string_value(json_object_get(f, "kind"));
		const char *table = json_string_value(json_object_get(f, "table"));

		CHECK(!(!strcmp(kind, "unreached") && table && !strcmp(table, "nat")));
		nat_untraced += !strcmp(kind, "untraced") && table && !strcmp(table, "nat");
		filter_unreached += !strcmp(kind, "unreached") && table && !strcmp(table, "filter");
	}
	CHECK_EQ(nat_untraced, 3);
	CHECK_EQ(filter_unreached, 1);
	json_decref(live);
	json_decref(vj);
	cta_verdict_unref(v);
	cta_vtally_fini(&tally);
	cta_ruleset_free(rs);
}

/* Live set elements the candidate would drop: gone with their table, or made anew without them. */
static void test_sets_lost(void)
{
	static const char f2b_live[] =
		"table ip fail2ban {\n"
		"\tset f2b-sshd {\n"
		"\t\ttype ipv4_addr\n"
		"\t\tflags timeout\n"
		"\t\telements = { 203.0.113.20 timeout 10m expires 9m58s, 203.0.113.21 timeout 10m expires 9m,\n"
		"\t\t\t     203.0.113.22 comment \"a, b\" }\n"
		"\t}\n"
		"\tset empty {\n"
		"\t\ttype ipv4_addr\n"
		"\t}\n"
		"}\n"
		"table inet fw {\n"
		"\tmap ports {\n"
		"\t\ttype inet_service : verdict\n"
		"\t\telements = { 22 : accept, 80 : drop }\n"
		"\t}\n"
		"}\n";
	static const char f2b_after[] = "table inet fw {\n"
					"\tmap ports {\n"
					"\t\ttype inet_service : verdict\n"
					"\t\telements = { 22 : accept, 80 : drop }\n"
					"\t}\n"
					"}\n";
	json_t *lost = cta_review_sets_lost(f2b_live, f2b_after), *e;

	CHECK(lost && json_array_size(lost) == 1);
	e = json_array_get(lost, 0);
	CHECK_STR(json_string_value(json_object_get(e, "table")), "fail2ban");
	CHECK_STR(json_string_value(json_object_get(e, "name")), "f2b-sshd");
	CHECK_EQ(json_integer_value(json_object_get(e, "elements")), 3);
	CHECK_EQ(json_integer_value(json_object_get(e, "lost")), 3);
	CHECK_STR(json_string_value(json_object_get(e, "example")), "203.0.113.20");
	json_decref(lost);
	/* kept, whatever their timeouts say now */
	lost = cta_review_sets_lost(f2b_live, f2b_live);
	CHECK(lost && json_array_size(lost) == 0);
	json_decref(lost);
}

int main(void)
{
	test_sets_lost();
	test_helpers_lost();
	test_catch_all();
	test_craft();
	test_rsdiff();
	test_classify();
	test_no_evidence_and_live();
	test_live_nat_chain();
	return check_report("review");
}
