// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft/route.h"
#include "advisor/model/iptpath.h"
#include "advisor/cli/candidate.h"
#include "advisor/cli/cli.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/review/review.h"
#include "advisor/model/ruleset.h"
#include "nft/legacy.h"
#include "nft/snapshot.h"
#include "advisor/lib/util.h"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_review = {
	"review",
	run,
	"what a ruleset would do to the recorded traffic, before it goes live",
	"Usage: conntrack-advise [-j] review RULESET [--session FILE]...\n"
	"       conntrack-advise [-j] review --live --session FILE...\n"
	"\n"
	"RULESET: the kernel checks it without committing it (a dry run; errors name the\n"
	"file, line and column). Then, in a scratch network namespace that the tool builds\n"
	"and always removes (never named; it goes with the tool, however it ends): the\n"
	"recorded host's interfaces (by name), addresses, routes and policy rules (what it\n"
	"cannot rebuild is listed as 'not rebuilt'), a copy of the live ruleset, and\n"
	"RULESET on top. review shows what changes against the live ruleset (tables,\n"
	"chains, sets, rules added, removed, changed) and, with sessions, sends each\n"
	"recorded flow's first packet along its direction (in, out, forward; in on the\n"
	"interface the recording saw it arrive on) while the\n"
	"tool's own tracing tells what the kernel does with it: per flow, the recorded\n"
	"verdict, the candidate's and the rule that decided. A connection whose first\n"
	"packet gets through is followed: its reply back the way the host's came, then its\n"
	"next packet; a flow that had replies and whose reply or next packet would be\n"
	"dropped breaks too. Flows that worked and would be dropped come first; the\n"
	"candidate's rules no flow reached are 'no evidence'.\n"
	"A flow whose connections were all closing when the recording began, with no\n"
	"packet since (a TIME_WAIT left from before) is a 'leftover': not replayed, and\n"
	"never a flow that must keep working.\n"
	"The rule credited is the candidate's own where it decided. Live tables the\n"
	"candidate leaves in place are said once ('in force beside the candidate'): the\n"
	"kernel applies every table, so the verdicts are of that combination (a flow a rate\n"
	"limit or ban of theirs denied while recording is 'ok', 'denied still', whatever\n"
	"the candidate accepts; a live table nft cannot load there stands in as its chains\n"
	"and policies, its rules as one accept, and a candidate that changes it without\n"
	"flushing it whole has no flow judged: see the manual); tables the\n"
	"candidate deletes (suggest --replace) are said as 'replaces', and the elements of\n"
	"live sets it does not hold (fail2ban's bans: run-time state) as 'state it drops'.\n"
	"The management sessions ($SSH_CONNECTION, the connections established to the\n"
	"ports an sshd process listens on here, and recorded connections to those ports)\n"
	"are replayed first: if one would be dropped, that is the first line.\n"
	"\n"
	"RULESET may be iptables-restore input for iptables-legacy (suggest --format\n"
	"iptables or ip6tables): it is loaded there with iptables-legacy-restore on top of\n"
	"a copy of the live legacy tables. A file for iptables-nft is refused.\n"
	"\n"
	"--live: the live ruleset against a recording's traced verdicts: rules no recorded\n"
	"packet matched ('unreached': candidates for removal, or, for a rule that denies,\n"
	"what removing it would let through), rules that decide much of the traffic from\n"
	"behind many others, filter chains whose policy dropped flows; the live\n"
	"iptables-legacy rules too. Only first packets are traced: rules for later packets\n"
	"(ct state established,related or invalid), loopback, rules that can match IPv6\n"
	"neighbour discovery (any rule that does not rule out untracked ICMPv6), or NAT of\n"
	"translated connections are 'untraced' (no evidence either way), never 'unreached'.\n"
	"\n"
	"A rule for later packets (ct state established, loopback, a connmark restore)\n"
	"taken from a chain the candidate keeps is said before the replay too, and BREAKS\n"
	"when an accept leaves a chain whose policy is drop.\n"
	"\n"
	"Exit status: 0; 1 when a recorded flow that got through would be dropped, its\n"
	"first packet or a later one (or the management session, or such an accept is\n"
	"gone); 2 when the kernel refuses RULESET\n"
	"or a session is bad; 3 when the system refuses (no CAP_NET_ADMIN, no scratch\n"
	"namespace).\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise suggest -o new.nft session.json\n"
	"  conntrack-advise review new.nft --session session.json\n"
	"  conntrack-advise -j review new.nft --session monday.json --session tuesday.json\n"
	"  conntrack-advise review --live --session session.json\n"
	"  conntrack-advise suggest --format iptables -o new.v4 session.json\n"
	"  conntrack-advise review new.v4 --session session.json\n",
};

/*
 * "accept (rule inet fw input handle 7: tcp dport 22 accept)": what decided, in words.
 * A candidate's rule with no handle is one it adds to a live table, or one of a live
 * table it makes anew (a reload): none until it is applied.
 */
static void by_text(uint8_t verdict, uint8_t type, const char *family, bool legacy,
		    const char *table, const char *chain, bool has_handle, uint64_t handle,
		    const char *rule, char *buf, size_t len)
{
	const char *kind = cta_verdict_name(verdict);

	if (type == CTA_VTYPE_RULE && !has_handle && !legacy)
		snprintf(buf, len,
			 "%s (rule %s %s %s, the candidate's, no handle until applied: %s)", kind,
			 cta_vfamily_shown(family, legacy), table ? table : "-",
			 chain ? chain : "-", rule ? rule : "?");
	else if (type == CTA_VTYPE_RULE)
		snprintf(buf, len, "%s (rule %s %s %s %s %llu: %s)", kind,
			 cta_vfamily_shown(family, legacy), table ? table : "-",
			 chain ? chain : "-", legacy ? "number" : "handle",
			 (unsigned long long)handle, rule ? rule : "?");
	else if (type == CTA_VTYPE_POLICY)
		snprintf(buf, len, "%s (policy of %s %s %s)", kind,
			 cta_vfamily_shown(family, legacy), table ? table : "-",
			 chain ? chain : "-");
	else if (type == CTA_VTYPE_OPEN)
		snprintf(buf, len, "%s (no chain would drop it)", kind);
	else
		snprintf(buf, len, "%s", kind);
}

/* A recorded verdict, from its typed value. */
static void recorded_one(const struct cta_verdict *v, char *buf, size_t len)
{
	if (!v)
		snprintf(buf, len, "(no trace)");
	else if (v->type == CTA_VTYPE_OPEN) /* as it was printed before open was a type */
		snprintf(buf, len, "%s", cta_verdict_name(v->verdict));
	else
		by_text(v->verdict, v->type, v->family, v->legacy, v->table, v->chain, true,
			v->handle, v->rule, buf, len);
}

/* The recorded verdict; several: each with its connections, most first. */
static void recorded_text(const struct cta_vtally *t, char *buf, size_t len)
{
	struct cta_vtally sorted = t ? *t : (struct cta_vtally){ 0 };
	_cleanup_(freep) struct cta_vcount *g = calloc(sorted.n + 1, sizeof(*g));
	size_t at = 0;

	if (!g || sorted.n <= 1) {
		recorded_one(cta_vtally_main(t), buf, len);
		return;
	}
	memcpy(g, t->g, t->n * sizeof(*g));
	sorted.g = g;
	cta_vtally_sort(&sorted);
	buf[0] = '\0';
	for (uint32_t i = 0; i < sorted.n && at < len; i++) {
		char one[400];

		recorded_one(g[i].v, one, sizeof(one));
		at += (size_t)snprintf(buf + at, len - at, "%s%llu %s", i ? ", " : "",
				       (unsigned long long)g[i].n, one);
	}
}

/* An iptables-legacy candidate's rules that no replayed flow reached; NULL: none known. */
static json_t *legacy_no_evidence(const struct cta_candidate *c, const struct cta_review_flow *v,
				  size_t n)
{
	struct cta_iptsave *cand = NULL;
	unsigned line;
	json_t *out;

	if (cta_iptsave_parse(c->legacy_text, c->legacy_text_len, &cand, &line))
		return NULL;
	out = cta_review_no_evidence_legacy(cand, c->legacy_family, v, n);
	cta_iptsave_free(cand);
	return out;
}

/* V's decider in one of the candidate's own TABLES ("FAMILY NAME" strings), or NULL. */
static const struct cta_vdecider *credited(const struct cta_verdict *v, json_t *tables)
{
	for (size_t i = 0; i < v->n_deciders; i++) {
		const struct cta_vdecider *d = &v->deciders[i];
		char key[300];
		json_t *t;
		size_t k;

		if (d->type != CTA_VTYPE_RULE && d->type != CTA_VTYPE_POLICY)
			continue;
		snprintf(key, sizeof(key), "%s %s", cta_vfamily_shown(d->family, d->legacy),
			 d->table ? d->table : "");
		json_array_foreach(tables, k, t)
			if (!strcmp(json_string_value(t), key))
				return d;
	}
	return NULL;
}

/*
 * No decider of its (one per hook: another table's came first, as a live nft table's
 * before an iptables-legacy candidate's): the legacy stage of one of the candidate's
 * TABLES on V's path that a rule of it ended with V's verdict, or NULL.
 */
static const struct cta_vstage *credited_stage(const struct cta_verdict *v, json_t *tables)
{
	for (size_t i = 0; i < v->n_path; i++) {
		const struct cta_vstage *st = &v->path[i];
		char key[300];

		/* an iptables-legacy stage: its rules are numbered, never renumbered */
		if (!st->legacy || !st->verdict || st->by_policy || !st->n_rules ||
		    st->rules[st->n_rules - 1].policy ||
		    strcmp(st->verdict, cta_verdict_name(v->verdict)))
			continue;
		snprintf(key, sizeof(key), "%s %s", cta_vfamily_shown(st->family, st->legacy),
			 st->table ? st->table : "");
		if (cta_jarray_has(tables, key))
			return st;
	}
	return NULL;
}

/* The candidate's verdict in words, crediting its own rule where it decided. */
static void candidate_text(const struct cta_verdict *v, json_t *tables, char *buf, size_t len)
{
	const struct cta_vdecider *d = v ? credited(v, tables) : NULL;
	const struct cta_vstage *st = v && !d && cta_review_passes(v) ? credited_stage(v, tables)
								      : NULL;

	if (!v)
		snprintf(buf, len, "(no trace)");
	else if (st)
		by_text(v->verdict, CTA_VTYPE_RULE, st->family, st->legacy, st->table,
			st->rules[st->n_rules - 1].chain, true, st->rules[st->n_rules - 1].handle,
			st->rules[st->n_rules - 1].rule, buf, len);
	else if (d)
		by_text(d->verdict, d->type, d->family, d->legacy, d->table, d->chain,
			d->has_handle, d->handle, d->rule, buf, len);
	else
		by_text(v->verdict, v->type, v->family, v->legacy, v->table, v->chain,
			v->has_handle, v->handle, v->rule, buf, len);
}

/* The live tables the candidate deletes, and those it leaves in force beside it: once. */
static void print_tables(const struct cta_candidate *c)
{
	json_t *t;
	size_t i;

	if (json_array_size(c->replaced)) {
		printf("replaces:");
		json_array_foreach(c->replaced, i, t)
			printf("%s %s", i ? "," : "", json_string_value(t));
		printf(" (the candidate deletes %s, in the same transaction)\n",
		       json_array_size(c->replaced) == 1 ? "it" : "them");
	}
	if (json_array_size(c->beside)) {
		printf("in force beside the candidate:");
		json_array_foreach(c->beside, i, t)
			printf("%s %s", i ? "," : "", json_string_value(t));
		printf(" (live tables it leaves in place: the kernel applies every table and a "
		       "packet passes only if each lets it through; the verdicts below are that "
		       "combination's; to replace them, name them in the candidate, as suggest "
		       "--replace does)\n");
	}
}

/* What of the recorded host's routing the scratch namespace lacks, as JSON strings. */
static json_t *unbuilt_json(const struct cta_candidate *c)
{
	const char *const *what = NULL;
	size_t n = c->replay ? cta_replay_unbuilt(c->replay, &what) : 0;
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(what[i]));
	return a;
}

static void print_unbuilt(const struct cta_candidate *c)
{
	const char *const *what = NULL;
	size_t n = c->replay ? cta_replay_unbuilt(c->replay, &what) : 0;

	if (!n)
		return;
	printf("not rebuilt in the scratch namespace (flows routed by %s are replayed "
	       "without %s):\n",
	       n == 1 ? "it" : "them", n == 1 ? "it" : "them");
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", what[i]);
}

static void print_changes(json_t *changes)
{
	json_t *c;
	size_t i;

	if (!json_array_size(changes)) {
		printf("no change against the live ruleset\n");
		return;
	}
	printf("changes against the live ruleset:\n");
	json_array_foreach(changes, i, c) {
		const char *op = cta_jstr(c, "op"), *obj = cta_jstr(c, "object");
		char sign = !strcmp(op, "add") ? '+' : !strcmp(op, "remove") ? '-' : '~';

		if (!strcmp(obj, "table"))
			printf("  %c table %s %s\n", sign, cta_jstr(c, "family"),
			       cta_jstr(c, "table"));
		else if (!strcmp(obj, "rule"))
			printf("  %c rule  %s %s %s: %s\n", sign, cta_jstr(c, "family"),
			       cta_jstr(c, "table"), cta_jstr(c, "name"), cta_jstr(c, "text"));
		else if (!strcmp(op, "change") && !strcmp(obj, "chain"))
			printf("  %c chain %s %s %s: %s -> %s\n", sign, cta_jstr(c, "family"),
			       cta_jstr(c, "table"), cta_jstr(c, "name"),
			       *cta_jstr(c, "from") ? cta_jstr(c, "from") : "(regular)",
			       *cta_jstr(c, "to") ? cta_jstr(c, "to") : "(regular)");
		else
			printf("  %c %s %s %s %s\n", sign, obj, cta_jstr(c, "family"),
			       cta_jstr(c, "table"), cta_jstr(c, "name"));
	}
}

/* Helpers the candidate no longer assigns: breaks too (cta_review_helpers_lost). */
static void print_lost(json_t *lost)
{
	json_t *h;
	size_t i;

	json_array_foreach(lost, i, h)
		printf("  BREAKS     helper %s on %s port %lld (e.g. %s): the candidate assigns no "
		       "%s helper, so the connections it expects (ct state related) would be "
		       "dropped\n",
		       cta_jstr(h, "helper"), cta_jstr(h, "protocol"),
		       (long long)json_integer_value(json_object_get(h, "port")),
		       cta_jstr(h, "flow"), cta_jstr(h, "helper"));
}

/* The live tables ("FAMILY NAME") that decided rf's recorded denials, each once. */
static json_t *denied_tables(const struct cta_review_flow *rf)
{
	json_t *out = json_array();

	for (uint32_t i = 0; out && rf->recorded && i < rf->recorded->n; i++) {
		const struct cta_verdict *v = rf->recorded->g[i].v;
		char key[300];

		if (!cta_verdict_denies(v) || !v->table)
			continue;
		snprintf(key, sizeof(key), "%s %s", cta_vfamily_shown(v->family, v->legacy),
			 v->table);
		if (!cta_jarray_has(out, key))
			json_array_append_new(out, json_string(key));
	}
	return out;
}

static json_t *flow_entry(const struct cta_review_flow *rf, const char *text, json_t *tables)
{
	json_t *o = json_pack("{s:s,s:s,s:b,s:b}", "flow", text, "change",
			      cta_review_change_name(rf->change), "management", rf->management,
			      "worked", rf->worked);

	if (o && cta_vtally_main(rf->recorded))
		json_object_set_new(o, "recorded",
				    cta_verdict_to_json(cta_vtally_main(rf->recorded)));
	if (o && rf->candidate) {
		const struct cta_vdecider *d = credited(rf->candidate, tables);

		json_object_set_new(o, "candidate", cta_verdict_to_json(rf->candidate));
		json_object_set_new(o, "credited",
				    d ? cta_vdecider_to_json(d)
				      : cta_verdict_to_json(rf->candidate));
	}
	if (o && rf->later)
		json_object_set_new(o, "later", cta_verdict_to_json(rf->later));
	if (o && rf->later_denied)
		json_object_set_new(o, "later_denied", json_true());
	if (o && rf->nat_lost)
		json_object_set_new(o, "nat_lost", json_string(rf->nat_lost));
	if (o && cta_review_denied_still(rf))
		json_object_set_new(o, "denied_beside", denied_tables(rf));
	if (o && rf->astray)
		json_object_set_new(o, "astray", json_true());
	if (o && rf->nat_uncopied)
		json_object_set_new(o, "nat_uncopied", json_string(rf->nat_uncopied));
	if (o && rf->changed_uncopied)
		json_object_set_new(o, "changed_uncopied", json_string(rf->changed_uncopied));
	if (o && rf->dropped_beside)
		json_object_set_new(o, "dropped_beside", json_true());
	if (o && rf->state_accept && rf->change == CTA_RV_UNJUDGED)
		json_object_set_new(o, "state_accept", json_true());
	if (o && rf->reply_astray && rf->change == CTA_RV_UNJUDGED)
		json_object_set_new(o, "reply_astray", json_true());
	if (o && rf->state_drop && rf->change == CTA_RV_UNJUDGED)
		json_object_set_new(o, "state_drop", json_true());
	if (o)
		json_object_set_new(o, "direction",
				    json_string(cta_direction_name(rf->flow.direction)));
	if (o && rf->leftover)
		json_object_set_new(o, "leftover", json_true());
	if (o && rf->flow.related) {
		char m[200];

		cta_flow_master_text(&rf->flow, m, sizeof(m));
		json_object_set_new(o, "related_to", json_string(m));
	}
	return o;
}

/* What review found of a candidate: the replayed flows and what they add up to. */
struct review_result {
	struct cta_review_flow *v;
	size_t n;
	size_t breaks, opens, same, unjudged;
	bool lockout;
	json_t *no_ev, *lost; /* owned; NULL: none */
	json_t *untraced_lost; /* owned: cta_review_untraced_lost(); NULL: out of memory */
	bool lost_breaks; /* one of untraced_lost breaks */
	json_t *sets_lost; /* borrowed: cta_candidate_sets_lost(); NULL: out of memory */
};

/* The candidate's rules no replayed flow reached (c->replay's listing, with handles). */
static json_t *no_evidence(const struct cta_candidate *c, const struct review_result *r)
{
	char *listing = NULL;
	struct cta_ruleset *rs = cta_ruleset_new();
	json_t *no_ev = NULL;

	if (rs && cta_replay_listing(c->replay, CTA_LIST_HANDLES, &listing) == 0 &&
	    cta_ruleset_add_text(rs, listing) == 0)
		no_ev = c->legacy ? legacy_no_evidence(c, r->v, r->n)
				  : cta_review_no_evidence(rs, c->tables, r->v, r->n);
	free(listing);
	cta_ruleset_free(rs);
	return no_ev;
}

/* Is base chain FAMILY TABLE CHAIN (nft's) a stage of V's path? */
static bool path_crosses(const struct cta_verdict *v, const char *family, const char *table,
			 const char *chain)
{
	for (size_t a = 0; v && a < v->n_path; a++) {
		const struct cta_vstage *st = &v->path[a];

		if (!st->legacy && st->family && st->table && st->chain &&
		    !strcmp(st->family, family) && !strcmp(st->table, table) &&
		    !strcmp(st->chain, chain))
			return true;
	}
	return false;
}

/*
 * Did the replay follow some connection's later packets through base chain FAMILY
 * TABLE CHAIN (a stage of the path of its reply or of its next packet: an inbound
 * connection's reply crosses output, its next packet input)? Then that chain's lost
 * rule for later packets was judged by what the replayed packets met there.
 */
static bool later_crossed(const struct review_result *r, json_t *item)
{
	const char *family = cta_jstr(item, "family"), *table = cta_jstr(item, "table"),
		   *chain = cta_jstr(item, "chain");

	for (size_t i = 0; family && table && chain && i < r->n; i++)
		if (path_crosses(r->v[i].later, family, table, chain) ||
		    path_crosses(r->v[i].later_next, family, table, chain))
			return true;
	return false;
}

/* Replay r->v's flows under the candidate and add up the changes. 0 or an exit code. */
static int judge(struct cta_candidate *c, struct review_result *r)
{
	json_t *u;
	size_t k;

	r->sets_lost = cta_candidate_sets_lost(c);
	r->untraced_lost = c->legacy ? json_array()
				     : cta_review_untraced_lost(c->live_copied ? c->live : "",
								c->after, CTA_OWN_TABLES);
	if (r->n) {
		int rc = cta_candidate_replay(c, r->v, r->n);

		if (rc)
			return rc;
		cta_review_sort(r->v, r->n);
		r->lost = cta_review_helpers_lost(r->v, r->n, c->live, c->after);
		r->no_ev = no_evidence(c, r);
		/* judged in the copy's numbers; said in the live ones */
		if (cta_candidate_live_handles(c, r->v, r->n, r->no_ev)) {
			cta_msg("out of memory");
			return CTA_EXIT_SYSTEM;
		}
	}
	/*
	 * an accept for later packets lost from a drop-policy chain breaks every recorded
	 * connection, unless the replay followed connections through that chain: their
	 * own lines say what its rules do to their replies (stateless ones may let them
	 * through)
	 */
	json_array_foreach(r->untraced_lost, k, u) {
		if (json_is_true(json_object_get(u, "breaks")) && later_crossed(r, u)) {
			json_object_set_new(u, "breaks", json_false());
			json_object_set_new(u, "followed", json_true());
		}
		r->lost_breaks |= json_is_true(json_object_get(u, "breaks"));
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct cta_review_flow *rf = &r->v[i];

		r->breaks += rf->change == CTA_RV_BREAKS;
		r->opens += rf->change == CTA_RV_OPENS;
		r->same += rf->change == CTA_RV_SAME;
		r->unjudged += rf->change == CTA_RV_UNJUDGED;
		r->lockout |= rf->management && rf->change == CTA_RV_BREAKS;
	}
	return 0;
}

static void print_result_json(const char *path, const struct cta_candidate *c,
			      struct review_result *r)
{
	json_t *flows = json_array(), *doc;

	for (size_t i = 0; i < r->n; i++) {
		char text[200];

		cta_review_flow_text(&r->v[i].flow, text, sizeof(text));
		json_array_append_new(flows, flow_entry(&r->v[i], text, c->tables));
	}
	doc = json_pack("{s:{s:s,s:b,s:b,s:o,s:O,s:O,s:O,s:O,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:{s:I,s:"
			"I,s:I,s:I}}}",
			"review", "ruleset", path, "valid", 1, "live_copied", c->live_copied,
			"uncopied", c->uncopied ? json_incref(c->uncopied) : json_array(),
			"changes", c->changes, "tables", c->tables, "replaces", c->replaced,
			"beside", c->beside, "sets_lost",
			r->sets_lost ? json_incref(r->sets_lost) : json_array(), "flows", flows,
			"no_evidence", r->no_ev ? r->no_ev : json_array(), "untraced_lost",
			r->untraced_lost ? json_incref(r->untraced_lost) : json_array(),
			"helpers_lost", r->lost ? json_incref(r->lost) : json_array(),
			"not_rebuilt", unbuilt_json(c), "lockout", r->lockout, "summary", "breaks",
			(json_int_t)r->breaks, "opens", (json_int_t)r->opens, "unchanged",
			(json_int_t)r->same, "not_judged", (json_int_t)r->unjudged);
	r->no_ev = NULL; /* the document took it */
	cta_print_json(doc);
}

/* One replayed flow's line (a LOCKOUT of ours is said first: print_lockouts). */
static void print_flow(const struct cta_review_flow *rf, const struct cta_candidate *c)
{
	char text[200], rec[800], cand[1200];
	const char *beside = NULL; /* why a table beside the candidate decided, said after */

	cta_review_flow_text(&rf->flow, text, sizeof(text));
	if (rf->flow.related) {
		cta_flow_master_text(&rf->flow, cand, sizeof(cand));
		printf("  %-10s %s  (%s)  related to %s: a helper expected it, so it stands or "
		       "falls with its master\n",
		       cta_review_change_name(rf->change), text,
		       cta_direction_name(rf->flow.direction), cand);
		return;
	}
	if (rf->leftover) {
		printf("  %-10s %s  (%s)  leftover: closing when the recording began, no packet "
		       "of it since: it says nothing of what the ruleset lets through, and "
		       "nothing of it needs to keep working\n",
		       cta_review_change_name(rf->change), text,
		       cta_direction_name(rf->flow.direction));
		return;
	}
	recorded_text(rf->recorded, rec, sizeof(rec));
	candidate_text(rf->candidate, c->tables, cand, sizeof(cand));
	if (!rf->candidate && !cta_replay_rebuilds(c->replay, &rf->flow))
		snprintf(cand, sizeof(cand),
			 "(not replayed: it was delivered here to an address this host does not "
			 "hold, by TPROXY or policy routing, which the replay does not reproduce)");
	else if (rf->changed_uncopied)
		snprintf(cand, sizeof(cand),
			 "(not judged: the candidate changes %s, a live table review could not "
			 "copy, without flushing it whole: its live rules and the candidate's "
			 "cannot be replayed together)",
			 rf->changed_uncopied);
	else if (rf->nat_uncopied)
		snprintf(cand, sizeof(cand),
			 "(not judged: a nat rule of %s translated it while recording, a live "
			 "table review could not copy: the replay cannot translate it)",
			 rf->nat_uncopied);
	else if (rf->dropped_beside)
		beside = "not judged: a live table the candidate leaves in place dropped it, "
			 "which let it through while recording: its state decides it now, such "
			 "as a ban added since, and what the candidate does behind it is not known";
	else if (rf->reply_astray && rf->change == CTA_RV_UNJUDGED)
		beside = "not judged: its replayed reply got through but left by another "
			 "interface than the flow came in on: routing sent the answer elsewhere, "
			 "as when the connection mark a policy rule routes by is no longer "
			 "restored";
	else if (rf->state_drop && rf->change == CTA_RV_UNJUDGED)
		beside = "not judged: a rule that counts the pace of packets (a rate limit, a "
			 "meter) dropped the replayed packet: the replay sends them one after "
			 "another, not at the host's pace";
	else if (rf->state_accept && rf->change == CTA_RV_UNJUDGED)
		beside = "not judged: a rule holding state let it in while recording, and the "
			 "candidate keeps it: that state now, which the replay copies, decides, "
			 "such as a port knock that expired since";
	else if (rf->astray)
		snprintf(cand, sizeof(cand),
			 "(its replayed packet did not take the way the flow took here: the "
			 "scratch namespace delivered it, forwarded it, lost it in the stack "
			 "or sent it out another interface where this host did not; it has no "
			 "bridge, joins no multicast group and gives no packet the mark or "
			 "bound socket its program gave it)");
	if (rf->change == CTA_RV_BREAKS && rf->decided_beside && !rf->dropped_beside &&
	    !cta_review_passes(rf->candidate)) /* not a masquerade lost, a reply dropped */
		beside =
			"a live table the candidate leaves in place dropped it, which let it "
			"through while recording: the candidate may lead the packet there, by a "
			"mark or a NAT, or that table's state changed since, such as a ban; review "
			"the live ruleset as it is to tell";
	if (beside) {
		size_t at = strlen(cand);

		snprintf(cand + at, sizeof(cand) - at, " (%s)", beside);
	}
	printf("  %-10s %s  (%s)  recorded: %s  ->  candidate: %s\n",
	       cta_review_change_name(rf->change), text, cta_direction_name(rf->flow.direction),
	       rf->recorded	? rec
	       : rf->management ? "this session"
				: (rf->worked ? "got through" : "denied"),
	       cand);
	if (rf->later_denied) {
		candidate_text(rf->later, c->tables, cand, sizeof(cand));
		printf("             its first packet gets through, the rest of its connection "
		       "does not: the replayed reply or next packet: %s\n",
		       cand);
	}
	if (rf->nat_lost)
		printf("             its recorded %s is gone: the candidate lets it through "
		       "untranslated, and its replies would not come back\n",
		       rf->nat_lost);
	if (cta_review_denied_still(rf)) {
		json_t *tables = denied_tables(rf), *t;
		size_t i;

		printf("             denied still: what denied it while recording stays in "
		       "force with the candidate (");
		json_array_foreach(tables, i, t)
			printf("%s%s", i ? ", " : "", json_string_value(t));
		printf(")\n");
		json_decref(tables);
	}
}

static void print_no_evidence(json_t *no_ev)
{
	json_t *r;
	size_t i;

	if (!json_array_size(no_ev))
		return;
	printf("no evidence: rules no recorded flow reached:\n");
	json_array_foreach(no_ev, i, r)
		if (json_is_null(json_object_get(r, "handle"))) /* new in a live table */
			printf("  %s %s %s (no handle until applied): %s\n",
			       cta_verdict_family_shown(r), cta_jstr(r, "table"),
			       cta_jstr(r, "chain"), cta_jstr(r, "rule"));
		else
			printf("  %s %s %s %s %lld: %s\n", cta_verdict_family_shown(r),
			       cta_jstr(r, "table"), cta_jstr(r, "chain"),
			       json_is_true(json_object_get(r, "legacy")) ? "rule" : "handle",
			       cta_verdict_rule_id(r), cta_jstr(r, "rule"));
}

/* The live sets' elements the candidate drops: run-time state, said once. */
static void print_sets_lost(json_t *lost)
{
	json_t *e;
	size_t i;

	if (!json_array_size(lost))
		return;
	printf("state it drops: elements of live sets that the candidate does not hold (what "
	       "was filled at run time, such as fail2ban's bans or a meter's entries, is lost "
	       "when it is applied, until whatever fills it does so again):\n");
	json_array_foreach(lost, i, e) {
		long long n = json_integer_value(json_object_get(e, "elements")),
			  k = json_integer_value(json_object_get(e, "lost"));

		printf("  %s %s %s %s: %lld of %lld element%s (%s%s)\n", cta_jstr(e, "family"),
		       cta_jstr(e, "table"), cta_jstr(e, "kind"), cta_jstr(e, "name"), k, n,
		       n == 1 ? "" : "s", k > 1 ? "e.g. " : "", cta_jstr(e, "example"));
	}
}

/* The report's first lines: each management session the candidate would drop. */
static void print_lockouts(const struct review_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		char text[200], other[200];
		bool said = false;

		if (!r->v[i].management || r->v[i].change != CTA_RV_BREAKS)
			continue;
		cta_review_flow_text(&r->v[i].flow, text, sizeof(text));
		/* $SSH_CONNECTION's session and the same one recorded: once */
		for (size_t k = 0; k < i && !said; k++) {
			if (!r->v[k].management || r->v[k].change != CTA_RV_BREAKS)
				continue;
			cta_review_flow_text(&r->v[k].flow, other, sizeof(other));
			said = !strcmp(text, other);
		}
		if (!said)
			printf("LOCKOUT: the management session %s would be dropped\n", text);
	}
}

/* Rules for later packets the candidate takes away (cta_review_untraced_lost). */
static void print_untraced_lost(const struct review_result *r)
{
	json_t *u;
	size_t i;

	if (!json_array_size(r->untraced_lost))
		return;
	printf("%s: the candidate takes away rules that only packets after a connection's "
	       "first reach, from chains it keeps (the replay follows each connection's reply "
	       "and next packet, not loopback's, nor a connection's later life):\n",
	       r->lost_breaks ? "BREAKS" : "untraced");
	json_array_foreach(r->untraced_lost, i, u)
		printf("  - %s %s %s: %s (%s)%s\n", cta_jstr(u, "family"), cta_jstr(u, "table"),
		       cta_jstr(u, "chain"), cta_jstr(u, "rule"), cta_jstr(u, "why"),
		       json_is_true(json_object_get(u, "breaks"))
			       ? ": the chain's drop policy takes them now, the replies of every "
				 "recorded connection among them"
		       : json_is_true(json_object_get(u, "followed"))
			       ? ": the replay followed connections through that chain, their "
				 "lines say what it does to their replies and next packets"
			       : "");
}

static void print_result_text(const char *path, const struct cta_candidate *c,
			      const struct review_result *r)
{
	print_lockouts(r);
	printf(c->legacy ? "%s: %s takes it (in the scratch namespace)\n"
			 : "%s: the kernel takes it (dry run)\n",
	       path,
	       c->legacy_family == AF_INET6 ? "ip6tables-legacy-restore"
					    : "iptables-legacy-restore");
	print_changes(c->changes);
	print_tables(c);
	print_sets_lost(r->sets_lost);
	print_unbuilt(c);
	print_untraced_lost(r);
	if (r->n)
		printf("replay of %zu flow%s in a scratch namespace:\n", r->n,
		       r->n == 1 ? "" : "s");
	for (size_t i = 0; i < r->n; i++)
		print_flow(&r->v[i], c);
	print_lost(r->lost);
	print_no_evidence(r->no_ev);
	if (r->n)
		printf("%zu flow%s: %zu would break, %zu would open, %zu unchanged, %zu not "
		       "judged\n",
		       r->n, r->n == 1 ? "" : "s", r->breaks, r->opens, r->same, r->unjudged);
	if (json_array_size(r->lost))
		printf("%zu conntrack helper%s lost\n", json_array_size(r->lost),
		       json_array_size(r->lost) == 1 ? "" : "s");
}

static int review_candidate(const char *path, char **sessions, size_t n_args,
			    const struct cta_global *g)
{
	struct cta_session *s = NULL;
	struct cta_host here = { 0 };
	struct cta_candidate c;
	struct review_result r = { 0 };
	int rc;
	size_t n_sessions = n_args; /* a directory of sessions counts its files */

	rc = cta_load_session_args(&cta_cmd_review, sessions, &n_sessions, &s);
	if (rc) {
		cta_free_sessions(s, n_sessions);
		return rc;
	}
	if (!n_sessions &&
	    (cta_host_read(&here) || cta_route_dump(cta_host_route_cb, cta_host_prule_cb, &here))) {
		cta_msg("review: cannot list this host's addresses and routes");
		return CTA_EXIT_SYSTEM;
	}
	rc = cta_candidate_open(&c, path, n_sessions ? &s[0].host : &here);
	if (rc)
		goto out;
	if (cta_candidate_flows(s, n_sessions, &r.v, &r.n)) {
		rc = CTA_EXIT_SYSTEM;
		goto out;
	}
	rc = judge(&c, &r);
	if (rc)
		goto out;
	if (g->json)
		print_result_json(path, &c, &r);
	else
		print_result_text(path, &c, &r);
	rc = r.breaks || r.lockout || r.lost_breaks || json_array_size(r.lost) ? CTA_EXIT_NEGATIVE
									       : CTA_EXIT_OK;
out:
	json_decref(r.lost);
	json_decref(r.untraced_lost);
	json_decref(r.no_ev);
	cta_review_flows_free(r.v, r.n);
	cta_candidate_close(&c);
	cta_free_sessions(s, n_sessions);
	cta_host_fini(&here);
	return rc;
}

/* The live iptables-legacy rules, judged by the same recording. 0, or an error said. */
static int live_legacy(const struct cta_session *s, size_t n, json_t *findings)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < 2; i++) {
		struct cta_iptsave *ipt = NULL;
		char *text = NULL, *msg = NULL;
		unsigned line = 0;
		size_t len;
		int rc;

		if (!cta_legacy_tables_loaded(families[i]))
			continue;
		rc = cta_legacy_save(families[i], &text, &len, &msg);
		if (!rc)
			rc = cta_iptsave_parse(text, len, &ipt, &line);
		if (!rc && cta_iptsave_decides(ipt))
			rc = cta_review_live_legacy(ipt, families[i], s, n, findings);
		if (rc)
			cta_msg("review: the live %s rules: %s%s%s",
				families[i] == AF_INET6 ? "ip6tables-legacy" : "iptables-legacy",
				rc == -EBADMSG ? "iptables-legacy-save output not understood"
					       : strerror(-rc),
				msg ? ": " : "", msg ? msg : "");
		cta_iptsave_free(ipt);
		free(text);
		free(msg);
		if (rc)
			return rc;
	}
	return 0;
}

static int review_live(char **sessions, size_t n_args, const struct cta_global *g)
{
	struct cta_session *s = NULL;
	struct cta_snapshot *snap = NULL;
	struct cta_ruleset *rs = cta_ruleset_new();
	const char *text;
	json_t *findings = NULL;
	char unwatched[1024];
	bool traced = false;
	int rc;
	size_t n_sessions = n_args; /* a directory of sessions counts its files */

	rc = cta_load_session_args(&cta_cmd_review, sessions, &n_sessions, &s);
	if (rc)
		goto out;
	rc = rs ? cta_snapshot_new(&snap, false) : -ENOMEM;
	if (!rc)
		rc = cta_snapshot_take(snap, &text);
	if (!rc)
		rc = cta_ruleset_add_text(rs, text);
	if (rc) {
		cta_msg("review: cannot list the live ruleset: %s%s", strerror(-rc),
			rc == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		rc = CTA_EXIT_SYSTEM;
		goto out;
	}
	for (size_t k = 0; k < n_sessions; k++)
		traced |= s[k].options.trace != 0;
	if (!traced)
		cta_msg("warning: the sessions were recorded with --trace none: no rule was seen "
			"reached, so every rule shows as unreached");
	if (cta_ruleset_unwatched_text(rs, false, unwatched, sizeof(unwatched)))
		cta_msg("review: not (fully) watched while recording: %s; their rules are not judged",
			unwatched);
	findings = cta_review_live(rs, s, n_sessions, CTA_OWN_TABLES);
	if (!findings || live_legacy(s, n_sessions, findings)) {
		rc = CTA_EXIT_SYSTEM;
		goto out;
	}
	if (g->json) {
		cta_print_json(json_pack("{s:{s:O}}", "review", "findings", findings));
	} else {
		json_t *f;
		size_t i;

		if (!json_array_size(findings))
			printf("nothing to say: every rule was reached, none decides much from far "
			       "down, no policy decided a flow\n");
		json_array_foreach(findings, i, f) {
			if (!strcmp(cta_jstr(f, "kind"), "policy"))
				printf("policy     %s %s %s: %s\n", cta_verdict_family_shown(f),
				       cta_jstr(f, "table"), cta_jstr(f, "chain"),
				       cta_jstr(f, "detail"));
			else if (json_is_true(json_object_get(f, "legacy")))
				printf("%-10s %s %s %s rule %lld: %s\n    %s\n",
				       cta_jstr(f, "kind"), cta_verdict_family_shown(f),
				       cta_jstr(f, "table"), cta_jstr(f, "chain"),
				       cta_verdict_rule_id(f), cta_jstr(f, "rule"),
				       cta_jstr(f, "detail"));
			else
				printf("%-10s %s %s %s handle %lld (rule %lld of its chain): %s\n  "
				       "  %s\n",
				       cta_jstr(f, "kind"), cta_jstr(f, "family"),
				       cta_jstr(f, "table"), cta_jstr(f, "chain"),
				       (long long)json_integer_value(json_object_get(f, "handle")),
				       (long long)json_integer_value(
					       json_object_get(f, "position")) +
					       1,
				       cta_jstr(f, "rule"), cta_jstr(f, "detail"));
		}
	}
	rc = CTA_EXIT_OK;
out:
	json_decref(findings);
	cta_snapshot_free(snap);
	cta_ruleset_free(rs);
	cta_free_sessions(s, n_sessions);
	return rc;
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "live", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char **sessions = calloc((size_t)argc + 1, sizeof(*sessions));
	size_t n_sessions = 0;
	bool live = false;
	int c, rc;

	if (!sessions)
		return CTA_EXIT_SYSTEM;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sessions[n_sessions++] = optarg;
			break;
		case 'L':
			live = true;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_review, stdout);
			free(sessions);
			return CTA_EXIT_OK;
		default:
			free(sessions);
			return cta_usage_error(&cta_cmd_review, "bad option");
		}
	}
	if (live) {
		rc = optind < argc ? cta_usage_error(&cta_cmd_review,
						     "--live reviews the live ruleset: no RULESET")
		     : !n_sessions ? cta_usage_error(&cta_cmd_review, "--live needs --session FILE")
				   : review_live(sessions, n_sessions, g);
	} else if (optind + 1 != argc) {
		rc = cta_usage_error(&cta_cmd_review,
				     optind == argc ? "RULESET missing" : "one RULESET at a time");
	} else {
		rc = review_candidate(argv[optind], sessions, n_sessions, g);
	}
	free(sessions);
	return rc;
}
