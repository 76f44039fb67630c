// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suggest from session to text: golden files for both emitters (tests/data/suggest,
 * CTA_UPDATE_GOLDEN=1 rewrites them), determinism, and template errors with lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/suggest/emit.h"
#include "advisor/suggest/ir.h"
#include "advisor/model/session.h"
#include "advisor/suggest/template.h"

static const char *srcdir(void)
{
	const char *s = getenv("SRCDIR");

	return s ? s : ".";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *p = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *q = realloc(p, cap = cap * 2 + 8192);

			if (!q) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = q;
		}
		got = fread(p + n, 1, 4096, f);
		n += got;
	} while (got);
	fclose(f);
	p[n] = '\0';
	*len = n;
	return p;
}

static const char *const ext[] = { "nft", "iptables", "ip6tables" };

/* Render one case; NULL when something failed (reported). */
static char *render(const char *fixture, const char *tmpl, enum cta_format fmt,
		    const struct cta_ir_opts *o)
{
	char path[4096];
	struct cta_session s;
	struct cta_err err;
	struct cta_tmpl *t = NULL;
	struct cta_ir ir;
	struct cta_buf out = { 0 };
	char *text;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/tests/data/suggest/%s.json", srcdir(), fixture);
	rc = cta_session_load(path, &s, &err);
	CHECK_EQ(rc, 0);
	if (rc) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/rules-templates/%s.%s", srcdir(), tmpl, ext[fmt]);
	text = slurp(path, &len);
	CHECK(text != NULL);
	rc = text ? cta_tmpl_parse(path, text, len,
				   fmt == CTA_FORMAT_NFT ? CTA_TMPL_NFT : CTA_TMPL_IPTABLES, &t,
				   &err)
		  : -ENOENT;
	free(text);
	CHECK_EQ(rc, 0);
	if (!rc)
		rc = cta_ir_build(o, &s, 1, &ir);
	CHECK_EQ(rc, 0);
	if (!rc) {
		struct cta_emit e = { .ir = &ir,
				      .tmpl = t,
				      .format = fmt,
				      .template_name = tmpl,
				      .table = "filter",
				      .restrict_output = o->restrict_output,
				      .max_denied = 50 };

		cta_emit(&e, &out);
		CHECK(!out.oom);
		cta_ir_fini(&ir);
	}
	cta_tmpl_free(t);
	cta_session_fini(&s);
	return out.p ? out.p : strdup("");
}

static void golden(const char *fixture, const char *tmpl, enum cta_format fmt,
		   const struct cta_ir_opts *o, const char *variant)
{
	char path[4096], *got = render(fixture, tmpl, fmt, o), *again;
	char *want;
	size_t len;

	if (!got)
		return;
	/* the same input gives the same bytes */
	again = render(fixture, tmpl, fmt, o);
	CHECK(again && !strcmp(got, again));
	free(again);
	snprintf(path, sizeof(path), "%s/tests/data/suggest/%s%s.%s", srcdir(), fixture, variant,
		 ext[fmt]);
	if (getenv("CTA_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "we");

		CHECK(f && fputs(got, f) >= 0 && !fclose(f));
		free(got);
		return;
	}
	want = slurp(path, &len);
	CHECK(want != NULL);
	if (want && strcmp(got, want)) {
		fprintf(stderr, "%s differs; got:\n%s\n", path, got);
		CHECK(!"golden output");
	}
	free(want);
	free(got);
}

static void test_golden(void)
{
	static const char *const fixtures[] = { "v4", "v6", "many", "onehost", "empty" };
	struct cta_ir_opts o = { 0 };

	cta_group_defaults(&o.group);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		for (int f = CTA_FORMAT_NFT; f <= CTA_FORMAT_IP6TABLES; f++)
			golden(fixtures[i], "server", (enum cta_format)f, &o, "");
	for (int f = CTA_FORMAT_NFT; f <= CTA_FORMAT_IP6TABLES; f++)
		golden("router", "router", (enum cta_format)f, &o, "");
	for (int f = CTA_FORMAT_NFT; f <= CTA_FORMAT_IP6TABLES; f++)
		golden("procs", "server", (enum cta_format)f, &o, "");
	o.restrict_output = true;
	o.allow_denied = true;
	for (int f = CTA_FORMAT_NFT; f <= CTA_FORMAT_IPTABLES; f++)
		golden("v4", "workstation", (enum cta_format)f, &o, "-restrict");
	o.allow_denied = false;
	o.per_process = true;
	for (int f = CTA_FORMAT_NFT; f <= CTA_FORMAT_IP6TABLES; f++)
		golden("procs", "workstation", (enum cta_format)f, &o, "-per-process");
}

/* Programs in the evidence; with per_process, one outbound rule per owning uid. */
static void test_processes(void)
{
	char path[4096];
	struct cta_session s;
	struct cta_err err;
	struct cta_ir_opts o = { 0 };
	struct cta_ir ir;
	int https_out = 0, uids = 0;

	cta_group_defaults(&o.group);
	snprintf(path, sizeof(path), "%s/tests/data/suggest/procs.json", srcdir());
	if (cta_session_load(path, &s, &err)) {
		CHECK(!"procs.json loads");
		return;
	}
	/* ten flows name eight processes: the same text is one object */
	CHECK_EQ(s.n_processes, 8);
	o.restrict_output = true;
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	for (size_t i = 0; i < ir.n_rules; i++) {
		const struct cta_ir_rule *r = &ir.rules[i];

		CHECK_EQ(r->owner, -1);
		if (r->dir == CTA_IR_IN && r->n_ports == 1 && r->ports[0] == 22)
			CHECK_STR(r->programs, "sshd");
		if (r->dir == CTA_IR_OUT && r->family == AF_INET && r->l4proto == 6 &&
		    r->n_ports == 1 && r->ports[0] == 443) {
			CHECK_STR(r->programs, "curl,firefox-esr");
			https_out++;
		}
		if (r->dir == CTA_IR_OUT && r->l4proto == 17 && r->n_ports == 1 &&
		    r->ports[0] == 53)
			CHECK_STR(r->programs, "");
	}
	CHECK_EQ(https_out, 1);
	cta_ir_fini(&ir);
	o.per_process = true;
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	for (size_t i = 0; i < ir.n_rules; i++) {
		const struct cta_ir_rule *r = &ir.rules[i];

		if (r->dir != CTA_IR_OUT) {
			CHECK_EQ(r->owner, -1);
			continue;
		}
		/* alice's two programs share one rule; the unknown DNS keeps a plain one */
		if (r->family == AF_INET && r->l4proto == 6 && r->ports[0] == 443) {
			CHECK_EQ(r->owner, 1000);
			CHECK_STR(r->programs, "curl,firefox-esr");
		}
		if (r->l4proto == 17 && r->ports[0] == 53)
			CHECK_EQ(r->owner, -1);
		if (r->l4proto == 6 && r->ports[0] == 25)
			CHECK_EQ(r->owner, 108); /* NFLOG's uid is an owner too */
		uids += r->owner >= 0;
	}
	/* v4 443 (1000), 80 (42), 123 (102), 25 (108), v6 443 (1000) */
	CHECK_EQ(uids, 5);
	cta_ir_fini(&ir);
	cta_session_fini(&s);
}

static void test_model(void)
{
	char path[4096];
	struct cta_session s;
	struct cta_err err;
	struct cta_ir_opts o = { 0 };
	struct cta_ir ir;

	cta_group_defaults(&o.group);
	snprintf(path, sizeof(path), "%s/tests/data/suggest/v4.json", srcdir());
	if (cta_session_load(path, &s, &err)) {
		CHECK(!"v4.json loads");
		return;
	}
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK_EQ(ir.flows_total, 15);
	CHECK_EQ(ir.flows_local, 1);
	CHECK_EQ(ir.flows_denied, 2);
	CHECK_EQ(ir.n_denied, 2);
	CHECK_EQ(ir.flows_out_open, 3);
	CHECK_EQ(ir.flows_allowed, 9);
	/* by direction and family: what a file of one format and template holds */
	CHECK_EQ(ir.by[CTA_IR_IN][0].allowed, 9);
	CHECK_EQ(ir.by[CTA_IR_IN][0].denied, 2);
	CHECK_EQ(ir.by[CTA_IR_OUT][0].allowed, 0); /* output open: counted, no rule */
	CHECK_EQ(ir.by[CTA_IR_IN][1].allowed + ir.by[CTA_IR_FORWARD][0].allowed, 0);
	/* 80 and 443 have the same three sources: one rule, both ports, one /24 */
	for (size_t i = 0; i < ir.n_rules; i++) {
		struct cta_ir_rule *r = &ir.rules[i];

		if (r->l4proto == 6 && r->n_ports == 2) {
			CHECK_EQ(r->ports[0], 80);
			CHECK_EQ(r->ports[1], 443);
			CHECK_EQ(r->n_src, 1);
			CHECK_EQ(r->src[0].len, 24);
			CHECK_EQ(r->peers, 3);
			CHECK_EQ(r->connections, 14);
			/* the group's own evidence counts both services */
			CHECK_EQ(r->src[0].connections, 14);
			CHECK_EQ(r->src[0].hosts, 3);
			CHECK_EQ(r->bytes, 14 * 300);
		}
	}
	CHECK_EQ(cta_ir_count(&ir, CTA_IR_IN, 0), 4);
	cta_ir_fini(&ir);
	/* the same session twice: same rules, evidence doubled */
	struct cta_session two[2] = { s, s };

	{
		/* forwarded flows apart, per family (the server template leaves them out) */
		struct cta_session r;

		snprintf(path, sizeof(path), "%s/tests/data/suggest/router.json", srcdir());
		if (cta_session_load(path, &r, &err) == 0) {
			CHECK_EQ(cta_ir_build(&o, &r, 1, &ir), 0);
			CHECK_EQ(ir.by[CTA_IR_FORWARD][0].allowed, 7);
			CHECK_EQ(ir.by[CTA_IR_FORWARD][0].denied, 1);
			CHECK_EQ(ir.by[CTA_IR_FORWARD][1].allowed, 1);
			CHECK_EQ(ir.by[CTA_IR_IN][0].allowed, 1);
			cta_ir_fini(&ir);
			cta_session_fini(&r);
		} else {
			CHECK(!"router.json loads");
		}
	}
	CHECK_EQ(cta_ir_build(&o, two, 2, &ir), 0);
	CHECK_EQ(cta_ir_count(&ir, CTA_IR_IN, 0), 4);
	CHECK_EQ(ir.flows_allowed, 18);
	CHECK_EQ(ir.n_denied, 2);
	if (ir.n_denied)
		CHECK_EQ(ir.denied[0].connections, 2);
	cta_ir_fini(&ir);
	cta_session_fini(&s);
}

static void bad_template(const char *text, enum cta_tmpl_syntax syn, const char *want)
{
	struct cta_tmpl *t = NULL;
	struct cta_err err;

	CHECK_EQ(cta_tmpl_parse("t.nft", text, strlen(text), syn, &t, &err), -EBADMSG);
	CHECK(t == NULL);
	CHECK_STR(err.msg, want);
}

static void test_template_errors(void)
{
	bad_template("table x {\n\t{{inptu}}\n}\n", CTA_TMPL_NFT,
		     "t.nft:2:2: unknown placeholder {{inptu}} for an nft template (known: table, "
		     "template, output_policy, sets, input, output, forward)");
	bad_template("{{input}}\n{{sets}}\n", CTA_TMPL_IPTABLES,
		     "t.nft:2:1: unknown placeholder {{sets}} for an iptables template (known: "
		     "template, output_policy, chains, input, output, forward)");
	bad_template("chain input { {{input}} }\n", CTA_TMPL_NFT,
		     "t.nft:1:15: {{input}} must stand alone on its line");
	bad_template("{{input}}\n  {{input}}\n", CTA_TMPL_NFT,
		     "t.nft:2:3: {{input}} appears twice");
	bad_template("x\n{{input\n}}\n", CTA_TMPL_NFT,
		     "t.nft:2:1: '{{' without '}}' on the same line");
	bad_template("table {{table}} {}\n", CTA_TMPL_NFT,
		     "t.nft:1:1: the template has no {{input}}");
	{
		static const char nul[] = "{{input}}\nab\0c\n";
		struct cta_tmpl *t = NULL;
		struct cta_err err;

		CHECK_EQ(cta_tmpl_parse("t.nft", nul, sizeof(nul) - 1, CTA_TMPL_NFT, &t, &err),
			 -EBADMSG);
		CHECK_STR(err.msg, "t.nft:2:3: a NUL byte");
	}
}

static void fill(void *ctx, enum cta_ph ph, const char *indent, struct cta_buf *out)
{
	(void)ctx;
	if (ph == CTA_PH_INPUT)
		cta_buf_printf(out, "%sA\n%sB\n", indent, indent);
	else if (ph == CTA_PH_TABLE)
		cta_buf_str(out, "T");
	/* sets: nothing, so its line goes */
}

static void test_template_render(void)
{
	static const char text[] =
		"table {{table}} {\n\t{{sets}}\n\tchain c {\n\t\t{{input}}\n\t}\n}";
	struct cta_tmpl *t = NULL;
	struct cta_err err;
	struct cta_buf out = { 0 };

	CHECK_EQ(cta_tmpl_parse("t", text, sizeof(text) - 1, CTA_TMPL_NFT, &t, &err), 0);
	if (!t)
		return;
	CHECK(cta_tmpl_has(t, CTA_PH_SETS));
	CHECK(!cta_tmpl_has(t, CTA_PH_FORWARD));
	cta_tmpl_render(t, fill, NULL, &out);
	CHECK_STR(out.p, "table T {\n\tchain c {\n\t\tA\n\t\tB\n\t}\n}");
	cta_buf_fini(&out);
	cta_tmpl_free(t);
}

/* A connection of tcp 198.51.100.7 -> 192.0.2.10 (port: the caller's), inbound */
static void inbound_tcp(struct cta_flow *f)
{
	f->key.family = AF_INET;
	f->key.l4proto = 6;
	inet_pton(AF_INET, "198.51.100.7", f->key.src.b);
	inet_pton(AF_INET, "192.0.2.10", f->key.dst.b);
	f->key.reply_src = f->key.dst;
	f->key.reply_dst = f->key.src;
	f->direction = CTA_DIR_IN;
	f->connections = 1;
}

/* A helper's control flow keeps the helper; its related data flow is no port rule. */
static void test_helpers(void)
{
	struct cta_flow f[2];
	struct cta_session s = { 0 };
	struct cta_ir_opts o = { 0 };
	struct cta_ir ir;
	struct cta_tmpl *t = NULL;
	struct cta_err err;
	struct cta_buf out = { 0 };
	char path[4096], *text;
	size_t len;

	memset(f, 0, sizeof(f));
	for (int i = 0; i < 2; i++) {
		inbound_tcp(&f[i]);
		f[i].reached = CTA_REACHED_ASSURED;
		f[i].sport_min = f[i].sport_max = f[i].rdport_min = f[i].rdport_max = 40000;
	}
	f[0].key.dport = f[0].key.reply_sport = 21;
	snprintf(f[0].helper, sizeof(f[0].helper), "ftp");
	f[1].key.dport = f[1].key.reply_sport = 41573;
	f[1].related = true;
	s.flows = f;
	s.n_flows = 2;
	cta_group_defaults(&o.group);
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK_EQ(ir.flows_related, 1);
	CHECK_EQ(ir.n_helpers, 1);
	CHECK_EQ(ir.n_rules, 1);
	if (ir.n_rules == 1)
		CHECK(ir.rules[0].n_ports == 1 && ir.rules[0].ports[0] == 21);
	if (ir.n_helpers == 1) {
		CHECK_STR(ir.helpers[0].name, "ftp");
		CHECK(ir.helpers[0].port == 21 && ir.helpers[0].dir == CTA_IR_IN);
	}
	snprintf(path, sizeof(path), "%s/rules-templates/server.nft", srcdir());
	text = slurp(path, &len);
	CHECK(text && cta_tmpl_parse(path, text, len, CTA_TMPL_NFT, &t, &err) == 0);
	if (t) {
		struct cta_emit e = { .ir = &ir,
				      .tmpl = t,
				      .format = CTA_FORMAT_NFT,
				      .template_name = "server",
				      .table = "filter",
				      .max_denied = 50 };

		cta_emit(&e, &out);
		CHECK(out.p &&
		      strstr(out.p, "\tct helper ftp-tcp {\n\t\ttype \"ftp\" protocol tcp\n"));
		CHECK(out.p &&
		      strstr(out.p, "\tchain helpers_in {\n\t\ttype filter hook prerouting"));
		CHECK(out.p && strstr(out.p, "\t\ttcp dport 21 ct helper set \"ftp-tcp\" comment"));
		CHECK(out.p && !strstr(out.p, "41573"));
	}
	free(out.p);
	free(text);
	cta_tmpl_free(t);
	cta_ir_fini(&ir);

	/*
	 * a port forward, 2121 to 21: the helper chain (priority filter) sees the port
	 * DNAT gave, and assigns the helper by it
	 */
	f[0].key.dport = 2121;
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK_EQ(ir.n_helpers, 1);
	if (ir.n_helpers == 1)
		CHECK_EQ(ir.helpers[0].port, 21);
	cta_ir_fini(&ir);
}

/*
 * synproxy and notrack on an allowed flow's path: named once per rule (with the flows
 * that went through it), never turned into rules of their own.
 */
static void test_protections(void)
{
	static const char *const texts[] = { "tcp dport 80 tcp flags syn notrack",
					     "tcp dport 80 ct state invalid,untracked synproxy mss "
					     "1460 wscale 7" };
	struct cta_flow f = { 0 };
	struct cta_session s = { 0 };
	struct cta_ir_opts o = { 0 };
	struct cta_vtally t = { 0 };
	struct cta_verdict *v = cta_verdict_new();
	struct cta_ir ir;

	f.key.family = AF_INET;
	f.key.l4proto = 6;
	inet_pton(AF_INET, "198.51.100.7", f.key.src.b);
	inet_pton(AF_INET, "192.0.2.10", f.key.dst.b);
	f.key.reply_src = f.key.dst;
	f.key.reply_dst = f.key.src;
	f.key.dport = f.key.reply_sport = 80;
	f.direction = CTA_DIR_IN;
	f.reached = CTA_REACHED_ASSURED;
	f.connections = 2;
	f.verdict = 1;
	v->verdict = CTA_VERDICT_ACCEPT;
	v->type = CTA_VTYPE_RULE;
	v->path = calloc(2, sizeof(*v->path));
	for (int i = 0; v->path && i < 2; i++) {
		struct cta_vstage *st = &v->path[v->n_path++];

		st->family = strdup("inet");
		st->table = strdup("filter");
		st->rules = calloc(1, sizeof(*st->rules));
		if (st->rules) {
			st->n_rules = 1;
			st->rules[0].chain = strdup(i ? "input" : "raw_pre");
			st->rules[0].rule = strdup(texts[i]);
		}
	}
	CHECK_EQ(cta_vtally_add(&t, v, 2), 0);
	s.flows = &f;
	s.n_flows = 1;
	s.verdicts = &t;
	s.n_verdicts = 1;
	cta_group_defaults(&o.group);
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK_EQ(ir.n_rules, 1);
	CHECK_EQ(ir.n_protections, 2);
	if (ir.n_protections == 2) {
		CHECK_STR(ir.protections[0].kind, "notrack");
		CHECK_STR(ir.protections[0].where, "inet filter raw_pre");
		CHECK_STR(ir.protections[1].kind, "synproxy");
		CHECK_STR(ir.protections[1].rule, texts[1]);
		CHECK_EQ(ir.protections[1].flows, 1);
	}
	cta_ir_fini(&ir);
	cta_vtally_fini(&t);
	cta_verdict_unref(v);
}

/*
 * Denied flows say where they stand: under an open output chain they pass (its policy
 * lets them through); those of a direction the template has no block for are listed
 * for the header, with their direction.
 */
static void test_denied_lines(void)
{
	struct cta_ir_denied d[2] = {
		{ .dir = CTA_IR_OUT, .family = AF_INET, .l4proto = 6, .port = 25, .connections = 1 },
		{ .dir = CTA_IR_FORWARD,
		  .family = AF_INET,
		  .l4proto = 6,
		  .port = 80,
		  .connections = 1 },
	};
	struct cta_ir ir = { .denied = d, .n_denied = 2 };
	struct cta_tmpl *t = NULL;
	struct cta_err err;
	const char *text = "{{input}}\n{{output}}\n";
	struct cta_emit e = { .ir = &ir, .format = CTA_FORMAT_NFT, .max_denied = 50 };
	struct cta_buf b = { 0 };

	snprintf(d[0].by, sizeof(d[0].by), "drop by policy of inet fw output");
	snprintf(d[1].by, sizeof(d[1].by), "drop by policy of inet fw forward");
	cta_addr_parse("192.0.2.10", &d[0].family, &d[0].src);
	cta_addr_parse("203.0.113.5", &d[0].family, &d[0].dst);
	cta_addr_parse("198.51.100.7", &d[1].family, &d[1].src);
	cta_addr_parse("203.0.113.20", &d[1].family, &d[1].dst);
	CHECK_EQ(cta_tmpl_parse("t.nft", text, strlen(text), CTA_TMPL_NFT, &t, &err), 0);
	e.tmpl = t;
	cta_emit_denied(&e, CTA_IR_OUT, "", &b);
	CHECK(b.p && strstr(b.p, "# denied while recording, yet allowed here (output stays open "
				 "without --restrict-output):\n#   tcp 192.0.2.10 -> 203.0.113.5 "
				 "port 25: 1 conn"));
	cta_buf_fini(&b);
	e.restrict_output = true;
	cta_emit_denied(&e, CTA_IR_OUT, "", &b);
	CHECK(b.p && strstr(b.p, "# denied while recording, so not allowed here"));
	cta_buf_fini(&b);
	cta_emit_denied_unplaced(&e, &b);
	CHECK(b.p &&
	      !strncmp(b.p, "#   tcp 198.51.100.7 -> 203.0.113.20 port 80 (forward): 1 conn from ",
		       67) &&
	      !strstr(b.p, "port 25"));
	cta_buf_fini(&b);
	cta_tmpl_free(t);
}

/*
 * A flow whose connections were all leftovers (closing at the start-up dump, nothing
 * since) makes no rule; one with connections of the recording does, its evidence
 * counting only those.
 */
static void test_leftover(void)
{
	struct cta_flow f[3];
	struct cta_session s = { 0 };
	struct cta_ir_opts o = { 0 };
	struct cta_ir ir;

	memset(f, 0, sizeof(f));
	for (int i = 0; i < 3; i++) {
		inbound_tcp(&f[i]);
		f[i].leftover = 1;
		f[i].sport_min = f[i].sport_max = f[i].rdport_min = f[i].rdport_max = 40000;
	}
	f[0].key.dport = f[0].key.reply_sport = 80; /* a TIME_WAIT from before */
	f[1].key.dport = f[1].key.reply_sport = 443; /* and one new connection */
	f[1].connections = 3;
	f[1].reached = CTA_REACHED_ASSURED;
	f[2].key.dport = f[2].key.reply_sport = 8080;
	s.flows = f;
	s.n_flows = 3;
	CHECK(cta_flow_leftover(&f[0], NULL));
	CHECK(!cta_flow_leftover(&f[1], NULL));
	cta_group_defaults(&o.group);
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK_EQ(ir.flows_leftover, 2);
	CHECK_EQ(ir.flows_allowed, 1);
	CHECK_EQ(ir.n_rules, 1);
	if (ir.n_rules == 1) {
		CHECK(ir.rules[0].n_ports == 1 && ir.rules[0].ports[0] == 443);
		CHECK_EQ(ir.rules[0].connections, 2);
	}
	cta_ir_fini(&ir);
}

/*
 * Sources of ssh folded into a /24 that holds one the same service denied (an
 * anti-spoofing drop, helper-55): the rule would let it in below a comment that says it
 * is not allowed. The accepted ones stay hosts.
 */
static void test_fold_over_denied(void)
{
	static const char doc[] =
		"{\"format\": \"conntrack-advise-session\", \"version\": 1,\n"
		"\"host\": {\"hostname\": \"h\", \"interfaces\": []}, \"recording\": {},\n"
		"\"flows\": [\n"
		"{\"family\": \"ipv4\", \"protocol\": \"tcp\", \"direction\": \"in\", "
		"\"orig\": {\"src\": \"198.51.100.130\", \"dst\": \"203.0.113.1\", "
		"\"sport_min\": 1, \"sport_max\": 1, \"dport\": 22}, \"connections\": 1, "
		"\"packets\": {\"orig\": 5, \"reply\": 4}, \"bytes\": {\"orig\": 1, \"reply\": 1}, "
		"\"state\": \"assured\"},\n"
		"{\"family\": \"ipv4\", \"protocol\": \"tcp\", \"direction\": \"in\", "
		"\"orig\": {\"src\": \"198.51.100.254\", \"dst\": \"203.0.113.1\", "
		"\"sport_min\": 1, \"sport_max\": 1, \"dport\": 22}, \"connections\": 1, "
		"\"packets\": {\"orig\": 5, \"reply\": 4}, \"bytes\": {\"orig\": 1, \"reply\": 1}, "
		"\"state\": \"assured\"},\n"
		"{\"family\": \"ipv4\", \"protocol\": \"tcp\", \"direction\": \"in\", "
		"\"orig\": {\"src\": \"198.51.100.140\", \"dst\": \"203.0.113.1\", "
		"\"sport_min\": 1, \"sport_max\": 1, \"dport\": 22}, \"connections\": 1, "
		"\"packets\": {\"orig\": 1, \"reply\": 0}, \"bytes\": {\"orig\": 1, \"reply\": 0}, "
		"\"state\": \"unreplied\", \"verdict\": {\"verdict\": \"drop\", \"type\": "
		"\"rule\", \"source\": \"trace\", \"family\": \"ip\", \"table\": \"filter\", "
		"\"chain\": \"ts-input\", \"handle\": 5, \"rule\": \"ip saddr "
		"198.51.100.128/25 iifname != \\\"tailscale0\\\" counter drop\"}}]}\n";
	struct cta_session s;
	struct cta_err err = { "" };
	struct cta_ir_opts o = { 0 };
	struct cta_ir ir;

	if (cta_session_parse("s.json", doc, strlen(doc), &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		CHECK(!"the session parses");
		return;
	}
	cta_group_defaults(&o.group);
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK_EQ(ir.n_denied, 1);
	CHECK_EQ(ir.n_rules, 1);
	if (ir.n_rules == 1) {
		CHECK_EQ(ir.rules[0].n_src, 2);
		for (size_t i = 0; i < ir.rules[0].n_src; i++)
			CHECK_EQ(ir.rules[0].src[i].len, 32);
	}
	cta_ir_fini(&ir);
	/* without the denied flow, the two fold into their /24 */
	s.n_flows = 2;
	CHECK_EQ(cta_ir_build(&o, &s, 1, &ir), 0);
	CHECK(ir.n_rules == 1 && ir.rules[0].n_src == 1 && ir.rules[0].src[0].len == 24);
	cta_ir_fini(&ir);
	s.n_flows = 3;
	cta_session_fini(&s);
}

int main(void)
{
	test_fold_over_denied();
	test_denied_lines();
	test_leftover();
	test_protections();
	test_helpers();
	test_template_errors();
	test_template_render();
	test_model();
	test_processes();
	test_golden();
	return check_report("suggest");
}
