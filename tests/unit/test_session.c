// SPDX-License-Identifier: GPL-2.0-or-later
/* The session file: round trip, and an error with file:line:col for every bad input. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/flowscan.h"
#include "advisor/model/ruleset.h"
#include "advisor/model/session.h"

static void make_session(struct cta_session *s)
{
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };
	struct cta_flow *f;

	memset(s, 0, sizeof(*s));
	snprintf(s->generator, sizeof(s->generator), "unit");
	snprintf(s->host.hostname, sizeof(s->host.hostname), "web1");
	snprintf(s->host.kernel, sizeof(s->host.kernel), "6.18.0");
	inet_pton(AF_INET, "192.0.2.10", a.addr.b);
	cta_host_add_addr(&s->host, "eth0", 2, &a);
	a = (struct cta_host_addr){ .family = AF_INET6, .prefixlen = 64 };
	inet_pton(AF_INET6, "2001:db8::10", a.addr.b);
	cta_host_add_addr(&s->host, "eth0", 2, &a);
	cta_host_add_addr(&s->host, "lo", 1, NULL);
	s->start_ns = 1795459489123000000ULL;
	s->end_ns = s->start_ns + 60000000000ULL;
	s->complete = true;
	s->options.duration_ms = 60000;
	s->options.checkpoint_ms = 5000;
	s->stats.events_new = 3;
	s->stats.overruns = 1;
	s->stats.resyncs = 1;
	s->n_flows = 3;
	s->flows = f = calloc(3, sizeof(*f));

	/* TCP in, two connections */
	f[0].key.family = AF_INET;
	f[0].key.l4proto = IPPROTO_TCP;
	inet_pton(AF_INET, "198.51.100.7", f[0].key.src.b);
	inet_pton(AF_INET, "192.0.2.10", f[0].key.dst.b);
	f[0].key.dport = 22;
	f[0].key.reply_src = f[0].key.dst;
	f[0].key.reply_dst = f[0].key.src;
	f[0].key.reply_sport = 22;
	f[0].sport_min = f[0].rdport_min = 40000;
	f[0].sport_max = f[0].rdport_max = 40100;
	f[0].direction = CTA_DIR_IN;
	f[0].reached = CTA_REACHED_ASSURED;
	f[0].connections = 2;
	f[0].packets[0] = 10, f[0].packets[1] = 8, f[0].bytes[0] = 1000, f[0].bytes[1] = 8000;
	f[0].first_ns = s->start_ns + 1000000;
	f[0].last_ns = s->start_ns + 2000000;

	/* ICMPv6 echo */
	f[1].key.family = AF_INET6;
	f[1].key.l4proto = IPPROTO_ICMPV6;
	f[1].key.icmp_type = 128;
	inet_pton(AF_INET6, "2001:db8:b::20", f[1].key.src.b);
	inet_pton(AF_INET6, "2001:db8::10", f[1].key.dst.b);
	f[1].key.reply_src = f[1].key.dst;
	f[1].key.reply_dst = f[1].key.src;
	f[1].sport_min = f[1].sport_max = f[1].rdport_min = f[1].rdport_max = 9;
	f[1].direction = CTA_DIR_IN;
	f[1].connections = 1;

	/* a DNAT port forward, never answered */
	f[2].key.family = AF_INET;
	f[2].key.l4proto = IPPROTO_UDP;
	inet_pton(AF_INET, "203.0.113.5", f[2].key.src.b);
	inet_pton(AF_INET, "192.0.2.10", f[2].key.dst.b);
	f[2].key.dport = 5353;
	inet_pton(AF_INET, "198.51.100.50", f[2].key.reply_src.b);
	f[2].key.reply_dst = f[2].key.src;
	f[2].key.reply_sport = 53;
	f[2].sport_min = f[2].sport_max = f[2].rdport_min = f[2].rdport_max = 1234;
	f[2].direction = CTA_DIR_FORWARD;
	f[2].connections = 1;
}

static void test_round_trip(void)
{
	struct cta_session s, r;
	struct cta_err err;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	make_session(&s);
	CHECK_EQ(cta_session_format(&s, &text, &len), 0);
	CHECK_EQ(cta_session_parse("rt.json", text, len, &r, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "%s\n", err.msg);
	CHECK_EQ(r.n_flows, 3);
	CHECK_STR(r.host.hostname, "web1");
	CHECK_EQ(r.host.n_ifaces, 2);
	CHECK_EQ(r.start_ns, s.start_ns);
	CHECK_EQ(r.end_ns, s.end_ns);
	CHECK(r.complete);
	CHECK_EQ(r.stats.overruns, 1);
	CHECK_EQ(r.stats.events_new, 3);
	CHECK_EQ(r.options.checkpoint_ms, 5000);
	for (size_t i = 0; i < 3 && r.n_flows == 3; i++) {
		CHECK(!memcmp(&r.flows[i].key, &s.flows[i].key, sizeof(s.flows[i].key)));
		CHECK(!memcmp(&r.flows[i], &s.flows[i], sizeof(s.flows[i])));
	}
	/* the same session gives the same bytes */
	CHECK_EQ(cta_session_format(&r, &again, &len2), 0);
	CHECK(len == len2 && !memcmp(text, again, len));
	free(text);
	free(again);
	cta_session_fini(&s);
	cta_session_fini(&r);
}

static const char head[] = "{\n"
			   "  \"format\": \"conntrack-advise-session\",\n"
			   "  \"version\": 1,\n"
			   "  \"host\": {\"hostname\": \"h\", \"interfaces\": []},\n"
			   "  \"recording\": {},\n";

static const char good_flow[] =
	"{\"family\": \"ipv4\", \"protocol\": \"tcp\", \"direction\": \"in\", "
	"\"orig\": {\"src\": \"198.51.100.7\", \"dst\": \"192.0.2.10\", \"sport_min\": 1, "
	"\"sport_max\": 2, \"dport\": 22}, \"connections\": 1, "
	"\"packets\": {\"orig\": 1, \"reply\": 1}, \"bytes\": {\"orig\": 1, \"reply\": 1}, "
	"\"state\": \"assured\"}";

/* Parse head + body; expect failure with exactly this message. */
static void bad(const char *body, const char *want)
{
	char doc[4096];
	struct cta_session s;
	struct cta_err err = { "" };

	snprintf(doc, sizeof(doc), "%s%s", body[0] == '!' ? "" : head,
		 body[0] == '!' ? body + 1 : body);
	CHECK_EQ(cta_session_parse("x.json", doc, strlen(doc), &s, &err), -EBADMSG);
	CHECK_STR(err.msg, want);
	CHECK(s.flows == NULL && s.n_flows == 0);
}

static char *flow_with(const char *from, const char *to)
{
	static char out[2048];
	const char *at = strstr(good_flow, from);
	size_t pre = (size_t)(at - good_flow);

	snprintf(out, sizeof(out), "  \"flows\": [\n    %.*s%s%s\n  ]\n}\n", (int)pre, good_flow,
		 to, at + strlen(from));
	return out;
}

static void test_malformed(void)
{
	char doc[4096];
	struct cta_session s;
	struct cta_err err;

	/* the good flow really is good: the cases below differ in one thing */
	snprintf(doc, sizeof(doc), "%s%s", head, flow_with("\"in\"", "\"in\""));
	CHECK_EQ(cta_session_parse("x.json", doc, strlen(doc), &s, &err), 0);
	CHECK_EQ(s.n_flows, 1);
	cta_session_fini(&s);

	bad("!", "x.json:1:1: '[' or '{' expected near end of file");
	bad("!{\"format\": \"conntrack-advise-session\", \"version\": 1, \"flows\": [",
	    "x.json:1:63: ']' expected near end of file");
	bad("!{\"a\": 1,\n \"a\": 2}", "x.json:2:4: duplicate object key near '\"a\"'");
	bad("![1, 2]",
	    "x.json:1:1: (top level): not a conntrack-advise session (expected an object)");
	bad("!{\"format\": \"pcap\"}",
	    "x.json:1:1: (top level): not a conntrack-advise session (no \"format\": "
	    "\"conntrack-advise-session\")");
	bad("!{\"format\": \"conntrack-advise-session\",\n \"version\": 6}",
	    "x.json:2:13: version: session format version 6; this conntrack-advise reads versions 1 to 5");
	/* version 4's field: a flow's leftover connections, never more than it has */
	bad(flow_with("\"connections\": 1", "\"connections\": 1, \"leftover\": 2"),
	    "x.json:7:191: flows[0].leftover: 2 is more than the flow's 1 connections");
	bad(flow_with("\"connections\": 1", "\"connections\": 1, \"leftover\": -1"),
	    "x.json:7:191: flows[0].leftover: expected an integer from 0 to 9223372036854775807");
	bad("  \"other\": []\n}\n", "x.json:1:1: (top level): missing field \"flows\"");
	bad("  \"flows\": {}\n}\n", "x.json:6:12: flows: expected an array");
	/* version 3's fields: a flow's interfaces, a host's routes and rules */
	bad(flow_with("\"state\": \"assured\"", "\"state\": \"assured\", \"iif\": \"\""),
	    "x.json:7:276: flows[0].iif: \"\" is not an interface name (1 to 15 characters)");
	bad("!{\"format\": \"conntrack-advise-session\", \"version\": 3, \"host\": {\"hostname\": "
	    "\"h\", \"interfaces\": [], \"routes\": [{\"family\": \"ipv4\", \"dst\": "
	    "\"192.0.2.0\", \"type\": \"unicast\", \"table\": 254}]}, \"flows\": []}",
	    "x.json:1:135: host.routes[0].dst: \"192.0.2.0\" is not an IPv4 prefix "
	    "(ADDRESS/LENGTH)");
	bad("!{\"format\": \"conntrack-advise-session\", \"version\": 3, \"host\": {\"hostname\": "
	    "\"h\", \"interfaces\": [], \"rules\": [{\"family\": \"ipv4\", \"priority\": 1, "
	    "\"action\": \"jump\"}]}, \"flows\": []}",
	    "x.json:1:152: host.rules[0].action: \"jump\" is not a known action");
	bad(flow_with("\"198.51.100.7\"", "\"198.51.100.777\""),
	    "x.json:7:78: flows[0].orig.src: \"198.51.100.777\" is not an IP address");
	bad(flow_with("\"198.51.100.7\"", "\"2001:db8::7\""),
	    "x.json:7:78: flows[0].orig.src: \"2001:db8::7\" is not an ipv4 address");
	bad(flow_with("\"connections\": 1", "\"connections\": \"1\""),
	    "x.json:7:176: flows[0].connections: expected an integer");
	bad(flow_with("\"connections\": 1", "\"connections\": -1"),
	    "x.json:7:176: flows[0].connections: expected an integer from 0 to 9223372036854775807");
	/* jansson refuses these before any reader sees them: still named by field */
	bad(flow_with("\"connections\": 1", "\"connections\": 99999999999999999999999"),
	    "x.json:7:176: flows[0].connections: 99999999999999999999999 is too big (the largest "
	    "integer a session holds is 9223372036854775807)");
	bad(flow_with("\"reply\": 1}, \"bytes\"", "\"reply\": -99999999999999999999}, \"bytes\""),
	    "x.json:7:211: flows[0].packets.reply: -99999999999999999999 is too small (the "
	    "smallest integer a session holds is -9223372036854775808)");
	bad(flow_with("\"dport\": 22", "\"dport\": 1e999"),
	    "x.json:7:156: flows[0].orig.dport: 1e999 is too big a number");
	bad("!{\"format\": \"conntrack-advise-session\",\n \"version\": 18446744073709551616}",
	    "x.json:2:13: version: 18446744073709551616 is too big (the largest integer a session "
	    "holds is 9223372036854775807)");
	bad("  \"flows\": [{\"a\": [0, {\"b\\\"c\": [], \"d\": 9223372036854775808}]}]\n}\n",
	    "x.json:6:41: flows[0].a[1].d: 9223372036854775808 is too big (the largest integer a "
	    "session holds is 9223372036854775807)");
	bad(flow_with("\"sport_max\": 2", "\"sport_max\": 0"),
	    "x.json:7:144: flows[0].orig.sport_max: sport_max is below sport_min");
	bad(flow_with("\"dport\": 22", "\"dport\": 65536"),
	    "x.json:7:156: flows[0].orig.dport: expected an integer from 0 to 65535");
	bad(flow_with("\"tcp\"", "\"tcpp\""),
	    "x.json:7:36: flows[0].protocol: \"tcpp\" is not a protocol name or number");
	bad(flow_with("\"in\"", "\"sideways\""),
	    "x.json:7:56: flows[0].direction: \"sideways\" is not in, out, forward, local or unknown");
	bad(flow_with(", \"state\": \"assured\"", ""),
	    "x.json:7:5: flows[0]: missing field \"state\"");
	bad(flow_with("\"packets\": {\"orig\": 1, \"reply\": 1}", "\"packets\": {\"orig\": 1}"),
	    "x.json:7:190: flows[0].packets: missing field \"reply\"");
	bad("  \"flows\": [1]\n}\n", "x.json:6:13: flows[0]: expected an object");
	/* an interface name the kernel never gives: not cut into another one */
	bad("!{\"format\": \"conntrack-advise-session\", \"version\": 1,\n"
	    " \"host\": {\"hostname\": \"h\", \"interfaces\": [{\"name\": \"eth0-with-a-long-name\", "
	    "\"addresses\": []}]},\n \"flows\": []}",
	    "x.json:2:52: host.interfaces[0].name: \"eth0-with-a-long-name\" is not an interface "
	    "name (1 to 15 characters)");
	bad("  \"flows\": [],\n  \"recording\": {\"start\": \"noon\"}\n}\n",
	    "x.json:7:13: duplicate object key near '\"recording\"'");
}

static void test_odd_but_valid(void)
{
	char doc[4096];
	struct cta_session s;
	struct cta_err err;

	/* unknown fields are skipped: later versions of the tool add them */
	snprintf(doc, sizeof(doc), "%s  \"extra\": {\"x\": [1, {\"y\": 2}]},\n  \"flows\": []\n}\n",
		 head);
	CHECK_EQ(cta_session_parse("x.json", doc, strlen(doc), &s, &err), 0);
	CHECK(!s.complete);
	cta_session_fini(&s);
	/* a NUL inside the text is an error, not a cut */
	memcpy(doc, "{\"a\":\0}", 8);
	CHECK_EQ(cta_session_parse("x.json", doc, 7, &s, &err), -EBADMSG);
}

static void test_deep_nesting(void)
{
	size_t depth = 100000;
	char *doc = malloc(depth * 2 + 1);
	struct cta_session s;
	struct cta_err err;

	memset(doc, '[', depth);
	memset(doc + depth, ']', depth);
	CHECK_EQ(cta_session_parse("deep.json", doc, depth * 2, &s, &err), -EBADMSG);
	CHECK(strncmp(err.msg, "deep.json:1:", 12) == 0);
	free(doc);
}

/* The strict scanner reads what the tool writes (the fast path is the one taken). */
static void test_fast_path(void)
{
	struct cta_session s, r, t;
	struct cta_err err;
	char *text = NULL;
	size_t len = 0;
	struct cta_flowscan sc;

	make_session(&s);
	CHECK_EQ(cta_session_format(&s, &text, &len), 0);
	CHECK_EQ(cta_flowscan_begin(text, len, &sc), 0);
	for (size_t i = 0; i < 3; i++) {
		struct cta_flow f;
		const char *p = NULL, *next = NULL;
		struct cta_flow_raw raw;
		char host[256];

		CHECK_EQ(cta_flowscan_next(&sc, &p), 1);
		if (!p)
			break;
		CHECK_EQ(cta_flow_read_fast(p, text + len, &f, &raw, &next, host), 0);
		CHECK(!memcmp(&f, &s.flows[i], sizeof(f)));
		cta_flowscan_done(&sc, next);
	}
	{
		const char *p;

		CHECK_EQ(cta_flowscan_next(&sc, &p), 0);
		CHECK_EQ(sc.n, 3);
		CHECK_EQ(text[sc.flows_start], '[');
		CHECK_EQ(text[sc.flows_end - 1], ']');
	}
	CHECK_EQ(cta_session_parse("x.json", text, len, &r, &err), 0);
	CHECK_EQ(cta_session_parse_tree("x.json", text, len, &t, &err), 0);
	CHECK_EQ(r.n_flows, t.n_flows);
	for (size_t i = 0; i < r.n_flows && r.n_flows == t.n_flows; i++)
		CHECK(!memcmp(&r.flows[i], &t.flows[i], sizeof(r.flows[i])));
	free(text);
	cta_session_fini(&r);
	cta_session_fini(&t);
	cta_session_fini(&s);

	/* the same verdict text twice is one object; a different one is another */
	static const char v1[] = "{\"verdict\": \"accept\", \"type\": \"policy\", "
				 "\"table\": \"t\", \"chain\": \"c\"}";
	static const char v2[] = "{\"verdict\": \"drop\", \"type\": \"policy\", "
				 "\"table\": \"t\", \"chain\": \"c\"}";
	char doc[8192], flows[4096];
	const char *vs[] = { v1, v2, v1, v1 };
	size_t n = 0;

	for (int i = 0; i < 4; i++)
		n += (size_t)snprintf(flows + n, sizeof(flows) - n, "%s%.*s, \"verdict\": %s}",
				      i ? ",\n" : "", (int)strlen(good_flow) - 1, good_flow, vs[i]);
	snprintf(doc, sizeof(doc), "%s  \"flows\": [\n%s\n]\n}\n", head, flows);
	CHECK_EQ(cta_session_parse("v.json", doc, strlen(doc), &r, &err), 0);
	CHECK_EQ(r.n_flows, 4);
	CHECK_EQ(r.n_verdicts, 4); /* each flow's counts */
	if (r.n_flows == 4) {
		/* the same text is one value, shared */
		CHECK(cta_session_verdict(&r, &r.flows[0]) == cta_session_verdict(&r, &r.flows[2]));
		CHECK(cta_session_verdict(&r, &r.flows[0]) != cta_session_verdict(&r, &r.flows[1]));
		CHECK_STR(cta_verdict_name(cta_session_verdict(&r, &r.flows[1])->verdict), "drop");
	}
	cta_session_fini(&r);
	/* a bad verdict is told where it is, whichever reader met it */
	snprintf(doc, sizeof(doc),
		 "%s  \"flows\": [\n%.*s, \"verdict\": {\"verdict\": \"maybe\"}}\n]\n}\n", head,
		 (int)strlen(good_flow) - 1, good_flow);
	CHECK_EQ(cta_session_parse("v.json", doc, strlen(doc), &r, &err), -EBADMSG);
	CHECK_STR(err.msg, "v.json:7:288: flows[0].verdict.verdict: \"maybe\" is not a verdict");
	CHECK_EQ(cta_session_parse_tree("v.json", doc, strlen(doc), &t, &err), -EBADMSG);
	CHECK_STR(err.msg, "v.json:7:288: flows[0].verdict.verdict: \"maybe\" is not a verdict");
}

static void test_load_errors(void)
{
	struct cta_session s;
	struct cta_err err;

	CHECK_EQ(cta_session_load("/nonexistent/session.json", &s, &err), -ENOENT);
	CHECK_STR(err.msg, "/nonexistent/session.json: No such file or directory");
	CHECK_EQ(cta_session_load("/tmp", &s, &err), -EISDIR);
}

/* "helper" and "related" (optional fields): written, read back the same both ways. */
static void test_helper_related(void)
{
	struct cta_session s, r, t;
	struct cta_err err;
	char *text = NULL;
	size_t len = 0;

	make_session(&s);
	snprintf(s.flows[0].helper, sizeof(s.flows[0].helper), "ftp");
	s.flows[2].related = true;
	s.flows[2].master.l4proto = IPPROTO_TCP;
	s.flows[2].master.dport = 21;
	inet_pton(AF_INET, "203.0.113.5", s.flows[2].master.src.b);
	inet_pton(AF_INET, "192.0.2.10", s.flows[2].master.dst.b);
	s.flows[1].related = true; /* expected, its master not named */
	CHECK_EQ(cta_session_format(&s, &text, &len), 0);
	CHECK(text && strstr(text, "\"helper\":\"ftp\"") != NULL);
	CHECK(text && strstr(text, "\"related\":{}") != NULL);
	CHECK(text && strstr(text, "\"related\":{\"protocol\":\"tcp\",\"src\":\"203.0.113.5\","
				   "\"dst\":\"192.0.2.10\",\"dport\":21}") != NULL);
	CHECK_EQ(cta_session_parse("h.json", text, len, &r, &err), 0);
	CHECK_EQ(cta_session_parse_tree("h.json", text, len, &t, &err), 0);
	for (size_t i = 0; i < 3 && r.n_flows == 3 && t.n_flows == 3; i++) {
		CHECK(!memcmp(&r.flows[i], &s.flows[i], sizeof(s.flows[i])));
		CHECK(!memcmp(&t.flows[i], &s.flows[i], sizeof(s.flows[i])));
	}
	free(text);
	cta_session_fini(&r);
	cta_session_fini(&t);
	cta_session_fini(&s);
}

/*
 * Every earlier version of the format still reads: tests/data/session-vN.json was
 * written by the code of version N (merged from three hosts: rule, policy, nflog and
 * no-verdict flows, processes with and without a program).
 */
static void test_old_versions(void)
{
	const char *src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";

	for (int v = 1; v < CTA_SESSION_VERSION; v++) {
		char path[4096];
		struct cta_session s;
		struct cta_err err = { "" };
		size_t with_verdict = 0, with_process = 0;

		snprintf(path, sizeof(path), "%s/tests/data/session-v%d.json", src, v);
		CHECK_EQ(cta_session_load(path, &s, &err), 0);
		if (err.msg[0])
			fprintf(stderr, "%s\n", err.msg);
		CHECK_EQ(s.n_flows,
			 v < 4 ? 39 : 40); /* version 4's file: a flow of leftovers more */
		CHECK_EQ(s.n_hosts, 3);
		for (size_t i = 0; i < s.n_flows; i++) {
			with_verdict += cta_session_verdict(&s, &s.flows[i]) != NULL;
			with_process += cta_session_process(&s, &s.flows[i]) != NULL;
		}
		CHECK_EQ(with_verdict, 27);
		CHECK_EQ(with_process, 11);
		cta_session_fini(&s);
	}
}

/*
 * The current version's file reads the same both ways, has its per-verdict counts,
 * recording ids and host identities, and writes back to the same bytes.
 */
static void test_current_version(void)
{
	const char *src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	char path[4096], *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0, multi = 0, with_iif = 0, leftover_only = 0, noted = 0;
	struct cta_session s, t;
	struct cta_err err = { "" };

	snprintf(path, sizeof(path), "%s/tests/data/session-v%d.json", src, CTA_SESSION_VERSION);
	CHECK_EQ(cta_session_load(path, &s, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "%s\n", err.msg);
	CHECK_EQ(s.n_ids, 2);
	CHECK_EQ(s.n_hosts, 3);
	CHECK(s.n_hosts == 3 && strlen(s.hosts[1].machine_id) == 32 && s.hosts[1].netns);
	for (size_t i = 0; i < s.n_flows; i++) {
		const struct cta_vtally *v = cta_session_verdicts(&s, &s.flows[i]);

		if (v && v->n > 1) {
			multi++;
			CHECK_EQ(cta_vtally_accepted(v), 3);
			CHECK_EQ(cta_vtally_denied(v), 2);
		}
	}
	CHECK_EQ(multi, 1);
	/* version 3: the second host's routes and rules, the flows' interfaces */
	CHECK(s.n_hosts == 3 && s.hosts[1].n_routes == 6 && s.hosts[1].n_rules == 3);
	CHECK(s.n_hosts == 3 && !strcmp(s.hosts[1].routes[2].unsupported, "multipath"));
	CHECK(s.n_hosts == 3 && s.hosts[1].rules[2].has_fwmark && s.hosts[1].rules[2].fwmark == 1);
	for (size_t i = 0; i < s.n_flows; i++)
		with_iif += s.flows[i].iif[0] != '\0';
	CHECK_EQ(with_iif, 12);
	/* version 4: a flow of leftovers only, and one with a leftover among its connections */
	for (size_t i = 0; i < s.n_flows; i++) {
		const struct cta_flow *f = &s.flows[i];

		if (f->leftover == f->connections)
			leftover_only++;
		else if (f->leftover)
			CHECK(f->leftover == 1 && f->connections == 2 && f->key.dport == 22);
	}
	CHECK_EQ(leftover_only, 1);
	/* version 5: rules with xt expressions carry iptables-nft-save's line (ruleset.h) */
	for (size_t i = 0; i < s.n_flows; i++) {
		const struct cta_verdict *v = cta_session_verdict(&s, &s.flows[i]);

		if (v && v->rule && cta_rule_note(v->rule)) {
			noted++;
			CHECK(cta_rule_text_same(v->rule, "tcp dport 23 reject with tcp reset"));
		}
	}
	CHECK_EQ(noted, 2);
	/* the general reader agrees with the fast one, flow by flow */
	CHECK_EQ(cta_session_format(&s, &text, &len), 0);
	CHECK_EQ(cta_session_parse_tree("t.json", text, len, &t, &err), 0);
	CHECK_EQ(t.n_flows, s.n_flows);
	for (size_t i = 0; i < s.n_flows && i < t.n_flows; i++) {
		CHECK(cta_vtally_equal(cta_session_verdicts(&s, &s.flows[i]),
				       cta_session_verdicts(&t, &t.flows[i])));
		CHECK(cta_process_equal(cta_session_process(&s, &s.flows[i]),
					cta_session_process(&t, &t.flows[i])));
		CHECK_STR(s.flows[i].iif, t.flows[i].iif);
		CHECK_STR(s.flows[i].oif, t.flows[i].oif);
		CHECK_EQ(s.flows[i].leftover, t.flows[i].leftover);
	}
	CHECK_EQ(cta_session_format(&t, &again, &len2), 0);
	CHECK(len == len2 && !memcmp(text, again, len));
	free(text);
	free(again);
	cta_session_fini(&s);
	cta_session_fini(&t);
}

int main(void)
{
	test_helper_related();
	test_old_versions();
	test_current_version();
	test_round_trip();
	test_malformed();
	test_odd_but_valid();
	test_deep_nesting();
	test_load_errors();
	test_fast_path();
	return check_report("session");
}
