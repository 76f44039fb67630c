// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/review/review.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/host.h"
#include "advisor/model/listing.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/suggest/ir.h"
#include "advisor/lib/util.h"

#define HOT_SHARE 20 /* a rule deciding this percentage of connections is hot ... */
#define HOT_POSITION 5 /* ... when this many rules or more come before it */
#define POLICY_EXAMPLES 3

bool cta_review_passes(const struct cta_verdict *v)
{
	return v && (v->verdict == CTA_VERDICT_ACCEPT || v->verdict == CTA_VERDICT_NONE);
}

/*
 * Was the recorded verdict given by a chain the scratch namespace does not replay
 * (bridge, netdev: it has no bridge and injects IP packets)? Its answer there says
 * nothing of the real one.
 */
static bool decided_unwatched(const struct cta_vtally *recorded)
{
	const struct cta_verdict *v = cta_vtally_main(recorded);
	int fam = v && v->family ? cta_nfproto_from_name(v->family) : -1;

	return fam >= 0 && cta_chain_unwatched((uint8_t)fam, "");
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/*
 * Did the recording see the candidate's denial: the same verdict by the same rule
 * (its text, or its handle when a text is missing: the scratch copy may number rules
 * anew) or policy, in a live table the candidate leaves in place?
 */
static bool denied_as_recorded(const struct cta_review_flow *rf)
{
	const struct cta_verdict *c = rf->candidate;

	if (!rf->decided_beside || !rf->recorded || !cta_verdict_denies(c))
		return false;
	for (uint32_t i = 0; i < rf->recorded->n; i++) {
		const struct cta_verdict *r = rf->recorded->g[i].v;

		if (!cta_verdict_denies(r) || r->verdict != c->verdict || r->type != c->type ||
		    r->legacy != c->legacy || !same_str(r->family, c->family) ||
		    !same_str(r->table, c->table) || !same_str(r->chain, c->chain))
			continue;
		if (r->type == CTA_VTYPE_POLICY)
			return true;
		if (r->type == CTA_VTYPE_RULE &&
		    (r->rule && c->rule ? cta_rule_text_same(r->rule, c->rule)
					: r->handle == c->handle))
			return true;
	}
	return false;
}

/* The translation of a NAT rule on v's path of the kind asked for, or NULL. */
static const char *path_nat(const struct cta_verdict *v, bool source)
{
	for (size_t a = 0; v && a < v->n_path; a++)
		for (size_t b = 0; b < v->path[a].n_rules; b++) {
			const char *nat = v->path[a].rules[b].nat;

			if (nat && (source ? !strcmp(nat, "snat") || !strcmp(nat, "masquerade")
					   : !strcmp(nat, "dnat") || !strcmp(nat, "redirect")))
				return nat;
		}
	return NULL;
}

/* Did the recording trace a path of the flow (any of its verdicts)? */
static bool traced(const struct cta_vtally *recorded)
{
	for (uint32_t i = 0; recorded && i < recorded->n; i++)
		if (recorded->g[i].v && recorded->g[i].v->has_path)
			return true;
	return false;
}

/* Did an iptables-legacy table decide v, or one of its chains pass it (no NAT told)? */
static bool legacy_path(const struct cta_verdict *v)
{
	if (v->legacy)
		return true;
	for (size_t a = 0; a < v->n_path; a++)
		if (v->path[a].legacy)
			return true;
	return false;
}

/*
 * A translation the recording traced for the flow (its source, or its destination)
 * that the candidate's path leaves out, or NULL. A flow the recording never traced
 * (its connections open before it began, `--trace none`, beyond the trace budget)
 * has its translation from its tuples (helper-65: a router's long-lived masqueraded
 * connections were "ok" with the nat table gone); an iptables-legacy candidate's
 * path tells no translation.
 */
static const char *nat_lost(const struct cta_review_flow *rf)
{
	bool untraced = !traced(rf->recorded) && rf->candidate && !legacy_path(rf->candidate);

	for (int source = 0; source < 2; source++) {
		for (uint32_t i = 0; rf->recorded && i < rf->recorded->n; i++) {
			const char *nat = path_nat(rf->recorded->g[i].v, source);

			if (nat && !path_nat(rf->candidate, source))
				return nat;
		}
		if (!untraced || path_nat(rf->candidate, source))
			continue;
		if (source && cta_flow_snated(&rf->flow))
			return "masquerade or snat (its connections' reply tuple)";
		if (!source && cta_flow_dnated(&rf->flow))
			return "dnat or redirect (its connections' reply tuple)";
	}
	return NULL;
}

/*
 * Did the flow's connections have replies: any counted while recording, or a
 * connection conntrack had marked replied (or assured) already, found open by the
 * start-up dump with replies from before it (its counters count only what came after).
 */
static bool had_replies(const struct cta_flow *f)
{
	return f->packets[1] || f->reached >= CTA_REACHED_REPLIED;
}

bool cta_review_denied_still(const struct cta_review_flow *rf)
{
	return rf->change == CTA_RV_SAME && rf->denied_beside && rf->candidate &&
	       cta_review_passes(rf->candidate) && (!rf->worked || cta_vtally_denied(rf->recorded));
}

void cta_review_classify(struct cta_review_flow *rf)
{
	/* a connection the kernel confirmed got through (SSH_CONNECTION's too) */
	rf->later_denied = false;
	rf->leftover = cta_flow_leftover(&rf->flow, rf->recorded);
	rf->worked = !rf->leftover && !cta_flow_denied(&rf->flow, rf->recorded);
	/*
	 * what a live table left in place denied while recording (a ban that came after
	 * the flow's first connections) denies it now: not the candidate's doing, and what
	 * the candidate does behind it is not known. A drop there the recording never saw
	 * may be the candidate's (a mark it sets, a NAT it makes, helper-58): BREAKS, as
	 * for the management session always.
	 */
	rf->dropped_beside = rf->candidate && rf->worked && !rf->management &&
			     (denied_as_recorded(rf) || rf->state_beside);
	if (!rf->candidate || rf->flow.related || rf->leftover || rf->nat_uncopied ||
	    rf->changed_uncopied || decided_unwatched(rf->recorded) || rf->dropped_beside ||
	    ((rf->state_accept || rf->state_drop) && rf->worked && !rf->management) ||
	    (rf->reply_astray && rf->worked && cta_review_passes(rf->candidate)))
		rf->change = CTA_RV_UNJUDGED;
	else if (rf->worked && !cta_review_passes(rf->candidate))
		rf->change = CTA_RV_BREAKS;
	else if ((rf->later_denied = rf->worked && cta_verdict_denies(rf->later) &&
				     (had_replies(&rf->flow) || rf->management)))
		rf->change = CTA_RV_BREAKS;
	else if (rf->worked && cta_flow_translated(&rf->flow) && (rf->nat_lost = nat_lost(rf)))
		rf->change = CTA_RV_BREAKS;
	/*
	 * each verdict judged: connections once rejected (a rate limit) now let in open,
	 * unless what rejected them stays in force beside the candidate
	 */
	else if ((!rf->worked || cta_vtally_denied(rf->recorded)) &&
		 cta_review_passes(rf->candidate) && !rf->denied_beside)
		rf->change = CTA_RV_OPENS;
	else
		rf->change = CTA_RV_SAME;
}

int cta_review_ssh_flow(const char *ssh, struct cta_flow *f, uint16_t *ssh_port)
{
	char c[64], s[64];
	unsigned cp, sp;
	uint8_t fc, fs;

	memset(f, 0, sizeof(*f));
	if (!ssh || sscanf(ssh, "%63s %u %63s %u", c, &cp, s, &sp) != 4 || !cp || cp > 65535 ||
	    !sp || sp > 65535 || cta_addr_parse(c, &fc, &f->key.src) ||
	    cta_addr_parse(s, &fs, &f->key.dst) || fc != fs)
		return -EINVAL;
	f->key.family = fc;
	f->key.l4proto = IPPROTO_TCP;
	f->key.dport = (uint16_t)sp;
	f->key.reply_src = f->key.dst;
	f->key.reply_dst = f->key.src;
	f->key.reply_sport = (uint16_t)sp;
	f->sport_min = f->sport_max = f->rdport_min = f->rdport_max = (uint16_t)cp;
	f->direction = CTA_DIR_IN;
	f->reached = CTA_REACHED_ASSURED;
	f->connections = 1;
	*ssh_port = (uint16_t)sp;
	return 0;
}

static int rank(const struct cta_review_flow *r)
{
	/* the session we are on ($SSH_CONNECTION: recorded nowhere), then recorded ones */
	if (r->management && r->change == CTA_RV_BREAKS)
		return r->recorded ? 1 : 0;
	return 2 + (int)r->change;
}

static int review_cmp(const void *pa, const void *pb)
{
	const struct cta_review_flow *a = pa, *b = pb;
	int x = rank(a), y = rank(b);

	if (x != y)
		return x < y ? -1 : 1;
	return cta_flow_cmp(&a->flow, &b->flow);
}

void cta_review_sort(struct cta_review_flow *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), review_cmp);
}

const char *cta_review_change_name(enum cta_review_change c)
{
	switch (c) {
	case CTA_RV_BREAKS:
		return "BREAKS";
	case CTA_RV_OPENS:
		return "opens";
	case CTA_RV_SAME:
		return "ok";
	default:
		return "not judged";
	}
}

/* Did a recorded path of f pass a rule of this text in this chain? */
static bool recorded_passed(const struct cta_review_flow *f, const char *family, const char *table,
			    const char *chain, const char *text)
{
	for (uint32_t g = 0; f->recorded && g < f->recorded->n; g++) {
		const struct cta_verdict *v = f->recorded->g[g].v;

		for (size_t a = 0; v && a < v->n_path; a++) {
			const struct cta_vstage *st = &v->path[a];

			if (st->legacy || !st->family || !st->table || strcmp(st->family, family) ||
			    strcmp(st->table, table))
				continue;
			for (size_t k = 0; k < st->n_rules; k++)
				if (!st->rules[k].policy && st->rules[k].chain &&
				    !strcmp(st->rules[k].chain, chain) &&
				    cta_rule_text_same(st->rules[k].rule, text))
					return true;
		}
	}
	return false;
}

/*
 * Did any candidate path pass this rule? Or, for a flow whose replayed packet could
 * not reach it (dropped first by a live table beside the candidate, or astray), did
 * its recorded path pass the same rule (TEXT, nft's: handles differ)? Then it is
 * evidence still, though no replay showed it.
 */
static bool reached(const struct cta_review_flow *v, size_t n, bool legacy, const char *family,
		    const char *table, const char *chain, uint64_t handle, const char *text)
{
	for (size_t i = 0; i < n; i++) {
		if (cta_verdict_passed(v[i].candidate, legacy, family, table, chain, handle) ||
		    cta_verdict_passed(v[i].later, legacy, family, table, chain, handle) ||
		    cta_verdict_passed(v[i].later_next, legacy, family, table, chain, handle))
			return true;
		if (!legacy && text &&
		    (v[i].dropped_beside || v[i].astray || v[i].state_accept || v[i].state_drop ||
		     (v[i].decided_beside && !cta_review_passes(v[i].candidate))) &&
		    recorded_passed(&v[i], family, table, chain, text))
			return true;
	}
	return false;
}

static bool listed(json_t *tables, const char *family, const char *table)
{
	json_t *t;
	size_t i;
	char key[300];

	snprintf(key, sizeof(key), "%s %s", family, table);
	json_array_foreach(tables, i, t)
		if (!strcmp(json_string_value(t), key))
			return true;
	return false;
}

static const char *untraced(const struct cta_ruleset *rs, size_t i, bool translated);

json_t *cta_review_no_evidence(const struct cta_ruleset *rs, json_t *tables,
			       const struct cta_review_flow *v, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; out && i < cta_ruleset_rule_count(rs); i++) {
		const char *table, *chain, *text, *fam;
		uint64_t handle;
		uint8_t family;

		text = cta_ruleset_rule_at(rs, i, &family, &table, &chain, &handle);
		fam = cta_nfproto_name(family);
		/*
		 * a chain the replay does not watch, or a rule no first packet reaches
		 * (established, loopback, neighbour discovery: helper-49 saw 30 of a live
		 * table's listed): no replayed packet could show it reached
		 */
		if (!listed(tables, fam, table) || cta_ruleset_rule_unwatched(rs, i) ||
		    untraced(rs, i, false) || reached(v, n, false, fam, table, chain, handle, text))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:s}", "family", fam,
						     "table", table, "chain", chain, "handle",
						     (json_int_t)handle, "rule", text));
	}
	return out;
}

/* What only packets after a connection's first (or loopback's) can match, by text. */
enum later {
	LATER_NONE,
	LATER_STATE, /* ct state established, related, or a conntrack verdict map */
	LATER_LOOPBACK,
	LATER_MARK, /* a connection's mark, matched or restored */
};

/*
 * Which of those a rule's TEXT is, or LATER_NONE when first packets may match it:
 * the one test untraced_at (no evidence either way) and cta_review_untraced_lost
 * (taken away by a candidate) both make.
 */
static enum later later_kind(const char *text)
{
	static const char *const lo[] = { "iif \"lo\"", "iifname \"lo\"", "oif \"lo\"",
					  "oifname \"lo\"" };
	/* `ct state != established,related drop` matches first packets (helper-50) */
	bool negated = strstr(text, "ct state !=") || strstr(text, "ct state ! ");

	if (!negated && strstr(text, "ct state") && !cta_rule_has_word(text, "new") &&
	    (cta_rule_has_word(text, "established") || cta_rule_has_word(text, "related") ||
	     cta_rule_has_word(text, "vmap")))
		return LATER_STATE;
	for (size_t k = 0; k < ARRAY_SIZE(lo); k++)
		if (strstr(text, lo[k]))
			return LATER_LOOPBACK;
	/*
	 * a connection's mark: restored to later packets (`ct mark != 0 meta mark set ct
	 * mark`, two uplinks' policy routing), matched on them; a first packet's conntrack
	 * entry is new, its mark 0 (helper-59)
	 */
	if (strstr(text, "ct mark") && !strstr(text, "ct mark set"))
		return LATER_MARK;
	return LATER_NONE;
}

/* later_kind's answer in a few words, for a rule a candidate takes away; NULL: none. */
static const char *later_only(const char *text)
{
	switch (later_kind(text)) {
	case LATER_STATE:
		return "packets after a connection's first: replies, the rest of every connection";
	case LATER_LOOPBACK:
		return "loopback traffic";
	case LATER_MARK:
		return "a connection's mark, which its first packet does not carry yet";
	default:
		return NULL;
	}
}

struct lchain {
	char family[16], table[256], name[256];
	bool drop; /* a base chain whose policy is drop */
};

struct lrule {
	char family[16], table[256], chain[256];
	const char *text; /* into the listing's copy */
};

struct lwalk {
	struct lchain *c;
	struct lrule *r;
	size_t nc, nr, cap_c, cap_r;
	const char *skip; /* tables whose names begin so are left out */
};

static int lwalk_item(const struct cta_listing_item *it, void *data)
{
	struct lwalk *w = data;

	if ((w->skip && !strncmp(it->table, w->skip, strlen(w->skip))) ||
	    strcmp(it->kind ? it->kind : "", "chain"))
		return 0;
	if (it->what == CTA_LISTING_OBJECT || it->what == CTA_LISTING_HEAD) {
		struct lchain *c;

		if (it->what == CTA_LISTING_HEAD && w->nc) {
			w->c[w->nc - 1].drop = strstr(it->text, "policy drop") != NULL;
			return 0;
		}
		if (w->nc == w->cap_c) {
			c = realloc(w->c, (w->cap_c = w->cap_c ? 2 * w->cap_c : 32) * sizeof(*c));
			if (!c)
				return -ENOMEM;
			w->c = c;
		}
		c = &w->c[w->nc++];
		snprintf(c->family, sizeof(c->family), "%s", it->family);
		snprintf(c->table, sizeof(c->table), "%s", it->table);
		snprintf(c->name, sizeof(c->name), "%s", it->name);
		c->drop = false;
	} else if (it->what == CTA_LISTING_LINE && it->depth == 2) {
		struct lrule *r;
		char *t = strdup(it->text);

		if (!t)
			return -ENOMEM;
		if (w->nr == w->cap_r) {
			r = realloc(w->r, (w->cap_r = w->cap_r ? 2 * w->cap_r : 64) * sizeof(*r));
			if (!r) {
				free(t);
				return -ENOMEM;
			}
			w->r = r;
		}
		r = &w->r[w->nr++];
		snprintf(r->family, sizeof(r->family), "%s", it->family);
		snprintf(r->table, sizeof(r->table), "%s", it->table);
		snprintf(r->chain, sizeof(r->chain), "%s", it->name);
		r->text = t;
	}
	return 0;
}

static void lwalk_fini(struct lwalk *w)
{
	for (size_t i = 0; i < w->nr; i++)
		free((char *)w->r[i].text);
	free(w->r);
	free(w->c);
}

static const struct lchain *lchain_find(const struct lwalk *w, const struct lrule *r)
{
	for (size_t i = 0; i < w->nc; i++)
		if (!strcmp(w->c[i].family, r->family) && !strcmp(w->c[i].table, r->table) &&
		    !strcmp(w->c[i].name, r->chain))
			return &w->c[i];
	return NULL;
}

static bool lrule_in(const struct lwalk *w, const struct lrule *r)
{
	for (size_t i = 0; i < w->nr; i++)
		if (!strcmp(w->r[i].family, r->family) && !strcmp(w->r[i].table, r->table) &&
		    !strcmp(w->r[i].chain, r->chain) && cta_rule_text_same(w->r[i].text, r->text))
			return true;
	return false;
}

json_t *cta_review_untraced_lost(const char *before, const char *after, const char *skip)
{
	struct lwalk b = { .skip = skip }, a = { .skip = skip };
	json_t *out = json_array();

	if (!out || cta_listing_walk(before ? before : "", lwalk_item, &b) ||
	    cta_listing_walk(after ? after : "", lwalk_item, &a)) {
		json_decref(out);
		out = NULL;
		goto done;
	}
	for (size_t i = 0; i < b.nr; i++) {
		const struct lrule *r = &b.r[i];
		const struct lchain *kept = lchain_find(&a, r);
		const char *why = later_only(r->text);

		/* a chain deleted with its table takes its policy along: nothing to break */
		if (!why || !kept || lrule_in(&a, r))
			continue;
		json_array_append_new(
			out,
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "family", r->family, "table",
				  r->table, "chain", r->chain, "rule", r->text, "why", why,
				  "breaks", kept->drop && cta_rule_has_word(r->text, "accept")));
	}
done:
	lwalk_fini(&b);
	lwalk_fini(&a);
	return out;
}

/* Does a ct helper object of this type exist in the listing, and a rule that sets it? */
static bool assigns_helper(const char *listing, const char *helper)
{
	char type[48], name[128], set[160];
	const char *p = listing;

	snprintf(type, sizeof(type), "type \"%s\"", helper);
	while (p && (p = strstr(p, "ct helper ")) != NULL) {
		const char *q = p + 10, *end;
		size_t n = 0;

		p = q;
		if (!strncmp(q, "set ", 4))
			continue;
		while (*q && *q != ' ' && *q != '{' && n + 1 < sizeof(name))
			name[n++] = *q++;
		name[n] = '\0';
		end = strchr(q, '}');
		if (!n || !end || !memmem(q, (size_t)(end - q), type, strlen(type)))
			continue;
		snprintf(set, sizeof(set), "ct helper set \"%s\"", name);
		if (strstr(listing, set))
			return true;
		snprintf(set, sizeof(set), "ct helper set %s ", name);
		if (strstr(listing, set))
			return true;
	}
	return false;
}

json_t *cta_review_helpers_lost(const struct cta_review_flow *v, size_t n, const char *live,
				const char *after)
{
	json_t *out = json_array(), *e;
	char text[200];
	size_t k;

	for (size_t i = 0; out && i < n; i++) {
		const struct cta_flow *f = &v[i].flow;
		const char *proto = cta_proto_name(f->key.l4proto);
		bool seen = false;

		if (!f->helper[0] || !v[i].worked || !assigns_helper(live ? live : "", f->helper) ||
		    assigns_helper(after ? after : "", f->helper))
			continue;
		json_array_foreach(out, k, e)
			seen |= !strcmp(cta_jstr(e, "helper"), f->helper) &&
				!strcmp(cta_jstr(e, "protocol"), proto ? proto : "") &&
				json_integer_value(json_object_get(e, "port")) == f->key.dport;
		if (seen)
			continue;
		cta_review_flow_text(f, text, sizeof(text));
		json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:s}", "helper", f->helper,
						     "protocol", proto ? proto : "", "port",
						     (int)f->key.dport, "flow", text));
	}
	return out;
}

void cta_review_flow_text(const struct cta_flow *f, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *proto = cta_proto_name(f->key.l4proto);
	bool v6 = f->key.family == AF_INET6;
	char p[16];

	cta_addr_str(f->key.family, &f->key.src, s, sizeof(s));
	cta_addr_str(f->key.family, &f->key.dst, d, sizeof(d));
	if (!proto) {
		snprintf(p, sizeof(p), "%u", f->key.l4proto);
		proto = p;
	}
	if (cta_proto_has_ports(f->key.l4proto))
		snprintf(buf, len, v6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u", proto, s,
			 f->sport_min, d, f->key.dport);
	else if (cta_proto_is_icmp(f->key.l4proto))
		snprintf(buf, len, "%s %s -> %s type %u", proto, s, d, f->key.icmp_type);
	else
		snprintf(buf, len, "%s %s -> %s", proto, s, d);
}

/* ---------------------------------------------------------------- --live */

struct rule_stat {
	uint64_t reached, decided; /* connections */
	uint64_t flows;
};

struct policy_stat {
	const struct cta_chain_info *chain;
	uint64_t connections, flows;
	const struct cta_flow *examples[POLICY_EXAMPLES];
	size_t n_examples;
};

static int64_t rule_index(const struct cta_ruleset *rs, const char *family, const char *table,
			  const char *chain, uint64_t handle)
{
	int fam = family && table && chain ? cta_nfproto_from_name(family) : -1;

	for (size_t i = 0; fam >= 0 && i < cta_ruleset_rule_count(rs); i++) {
		const char *t, *c;
		uint64_t h;
		uint8_t f;

		cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
		if (f == fam && h == handle && !strcmp(t, table) && !strcmp(c, chain))
			return (int64_t)i;
	}
	return -1;
}

/* How many rules come before rule i in its chain. */
static size_t position(const struct cta_ruleset *rs, size_t i)
{
	const char *t, *c;
	uint64_t h;
	uint8_t f;
	size_t pos = 0;

	cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	for (size_t k = 0; k < i; k++) {
		const char *t2, *c2;
		uint64_t h2;
		uint8_t f2;

		cta_ruleset_rule_at(rs, k, &f2, &t2, &c2, &h2);
		pos += f2 == f && !strcmp(t2, t) && !strcmp(c2, c);
	}
	return pos;
}

/*
 * Does a rule's text match every packet: only statements (counter, log, comment) and a
 * final verdict, "counter reject with icmpx type admin-prohibited"?
 */
static bool matches_all(const char *text)
{
	static const char *const words[] = { "counter", "packets", "bytes",   "log",	 "prefix",
					     "level",	"group",   "snaplen", "comment", "accept",
					     "drop",	"reject",  NULL };
	bool verdict = false, level = false;
	const char *p = text;

	for (size_t n; *p; p += n) {
		bool known;

		while (*p == ' ')
			p++;
		known = level || (*p >= '0' && *p <= '9'); /* log level's word, numbers */
		if (*p == '"') { /* a prefix's or comment's text */
			p = strchr(p + 1, '"');
			if (!p)
				return false;
			n = 1;
			continue;
		}
		n = strcspn(p, " ");
		if (!n)
			break;
		if (verdict && n == 4 && !strncmp(p, "with", 4))
			return true; /* reject with ...: the rest says how */
		for (size_t i = 0; words[i] && !known; i++)
			known = strlen(words[i]) == n && !strncmp(p, words[i], n);
		if (!known)
			return false;
		level = n == 5 && !strncmp(p, "level", 5);
		verdict |= (n == 6 && !strncmp(p, "accept", 6)) ||
			   (n == 4 && !strncmp(p, "drop", 4)) ||
			   (n == 6 && !strncmp(p, "reject", 6));
	}
	return verdict;
}

/* The last rule of its chain, matching everything: the chain's policy in all but name. */
static bool catch_all(const struct cta_ruleset *rs, size_t i)
{
	const char *t, *c, *text;
	uint64_t h;
	uint8_t f;

	text = cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	for (size_t k = i + 1; k < cta_ruleset_rule_count(rs); k++) {
		const char *t2, *c2;
		uint64_t h2;
		uint8_t f2;

		cta_ruleset_rule_at(rs, k, &f2, &t2, &c2, &h2);
		if (f2 == f && !strcmp(t2, t) && !strcmp(c2, c))
			return false;
	}
	return matches_all(text);
}

static json_t *finding(const char *kind, const struct cta_ruleset *rs, size_t i, uint64_t conns,
		       const char *detail)
{
	const char *t, *c, *text;
	uint64_t h;
	uint8_t f;

	text = cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:s}", "kind", kind, "family",
			 cta_nfproto_name(f), "table", t, "chain", c, "handle", (json_int_t)h,
			 "rule", text, "connections", (json_int_t)conns, "position",
			 (json_int_t)position(rs, i), "detail", detail);
}

static void add_policy(struct policy_stat **ps, size_t *n, const struct cta_chain_info *ci,
		       const struct cta_flow *f, uint64_t conns)
{
	struct policy_stat *p = NULL;

	for (size_t i = 0; i < *n && !p; i++)
		if ((*ps)[i].chain == ci)
			p = &(*ps)[i];
	if (!p) {
		struct policy_stat *v = realloc(*ps, (*n + 1) * sizeof(**ps));

		if (!v)
			return;
		*ps = v;
		p = &v[(*n)++];
		memset(p, 0, sizeof(*p));
		p->chain = ci;
	}
	p->flows++;
	p->connections += conns;
	if (p->n_examples < POLICY_EXAMPLES)
		p->examples[p->n_examples++] = f;
}

/* What the live rules did to the traced connections of one verdict: n of them. */
/* What an untraced flow's first packet is, as far as a rule's text can tell. */
struct untraced_key {
	uint8_t family, l4proto, icmp_type;
	uint16_t dport;
	uint64_t flows, connections; /* of this key (not compared) */
};

struct live {
	const struct cta_ruleset *rs;
	struct rule_stat *st;
	struct policy_stat *ps;
	size_t np;
	uint64_t total;
	bool translated; /* a recorded connection was NATed (conntrack says so) */
	/* flows with connections and no traced verdict, told apart as untraced_key */
	struct untraced_key *uk;
	size_t n_uk;
	uint64_t untraced_flows;
};

/* Does TEXT jump or go to CHAIN ("jump DOCKER", also inside a verdict map)? */
static bool calls(const char *text, const char *chain)
{
	char target[CTA_NAME_MAX];

	for (const char *at = text; cta_rule_next_target(&at, target, sizeof(target));)
		if (!strcmp(target, chain))
			return true;
	return false;
}

/*
 * Does chain C of table T run only where WANT says of a base chain (its type is nat;
 * its hook is forward): a base chain so, or a chain only rules of such chains jump to
 * (iptables-nft's `ip nat DOCKER`, called from nat PREROUTING and OUTPUT)? DEPTH
 * bounds the walk up the jumps.
 */
static bool only_in(const struct cta_ruleset *rs, uint8_t family, const char *t, const char *c,
		    bool (*want)(const struct cta_chain_info *), int depth)
{
	const struct cta_chain_info *ci = cta_ruleset_chain(rs, family, t, c);
	bool called = false;

	if (ci && ci->base)
		return want(ci);
	if (depth > 16)
		return false;
	for (size_t i = 0; i < cta_ruleset_rule_count(rs); i++) {
		const char *rt, *rc, *text;
		uint64_t h;
		uint8_t f;

		text = cta_ruleset_rule_at(rs, i, &f, &rt, &rc, &h);
		if (!text || f != family || strcmp(rt, t) || !strcmp(rc, c) || !calls(text, c))
			continue;
		if (!only_in(rs, f, rt, rc, want, depth + 1))
			return false;
		called = true;
	}
	return called;
}

static bool is_nat(const struct cta_chain_info *ci)
{
	return !strcmp(ci->type, "nat");
}

static bool is_forward(const struct cta_chain_info *ci)
{
	return !strcmp(ci->hook, "forward");
}

static bool nat_only(const struct cta_ruleset *rs, uint8_t family, const char *t, const char *c,
		     int depth)
{
	return only_in(rs, family, t, c, is_nat, depth);
}

/*
 * Can rule TEXT of chain CHAIN of a FAMILY (NFPROTO_*) TABLE match IPv6 neighbour
 * discovery or MLD: ICMPv6 of the types conntrack leaves untracked (noct_valid_new[],
 * net/netfilter/nf_conntrack_proto_icmpv6.c: never in state new)? Not when its table
 * never sees IPv6, nor in a chain only forward runs (those messages are link-local,
 * never forwarded) or only nat runs (it sees tracked connections only), nor when it surely cannot match such a packet (another protocol,
 * `ct state new`, `icmpv6 type echo-request`, `ip saddr`); a rule that names no
 * protocol, all of ICMPv6, a negated type, a named set, link-local or multicast
 * addresses can (`meta l4proto ipv6-icmp accept`, `ip6 saddr fe80::/10 accept`, an
 * `accept` in a chain jumped to for ICMPv6).
 */
static bool may_match_nd(const struct cta_ruleset *rs, const char *text, uint8_t family,
			 const char *table, const char *chain)
{
	static const uint8_t nd_types[] = { 130, 131, 132, 133, 134, 135, 136, 143 };
	const struct cta_rule_packet nd = { .family = AF_INET6,
					    .l4proto = IPPROTO_ICMPV6,
					    .has_ct = true,
					    .ct_state = NF_CT_STATE_UNTRACKED_BIT,
					    .icmp_types = nd_types,
					    .n_icmp_types = ARRAY_SIZE(nd_types) };

	if (family != NFPROTO_IPV6 && family != NFPROTO_INET && family != NFPROTO_NETDEV)
		return false;
	/* link-local, hop limit 255: never forwarded; untracked: no nat chain sees them */
	if (only_in(rs, family, table, chain, is_forward, 0) ||
	    only_in(rs, family, table, chain, is_nat, 0))
		return false;
	return !cta_rule_cannot_match(text, &nd);
}

static const char *untraced_at(const struct cta_ruleset *rs, size_t i, bool translated, int depth,
			       int *visits);

/*
 * Does a jump or goto of TEXT lead (8 chains deep, 64 looked into at most) to a rule
 * record's traces cannot judge? Then neither can they the jump: `jump common_out`,
 * whose chain holds `ct state established,related accept`, is crossed by every reply.
 */
static bool leads_to_untraced(const struct cta_ruleset *rs, uint8_t family, const char *table,
			      const char *text, bool translated, int depth, int *visits)
{
	const char *at = text;
	char target[CTA_NAME_MAX];

	while (depth < 8 && cta_rule_next_target(&at, target, sizeof(target))) {
		if (--*visits < 0)
			return false;
		for (size_t k = 0; k < cta_ruleset_rule_count(rs); k++) {
			const char *t, *c;
			uint64_t h;
			uint8_t f;

			if (cta_ruleset_rule_at(rs, k, &f, &t, &c, &h) && f == family &&
			    !strcmp(t, table) && !strcmp(c, target) &&
			    untraced_at(rs, k, translated, depth + 1, visits))
				return true;
		}
	}
	return false;
}

/*
 * Why record's traces cannot say whether rule i is used, or NULL when they can: only
 * first packets are traced, so a rule for later packets, loopback, or what NAT did is
 * never "unreached" (removing `ct state established,related accept` on a drop-policy
 * host cuts every connection).
 */
static const char *untraced(const struct cta_ruleset *rs, size_t i, bool translated)
{
	int visits = 64;

	return untraced_at(rs, i, translated, 0, &visits);
}

#define ND_UNTRACED                                                                           \
	"can match IPv6 neighbour discovery or multicast listener messages, which conntrack " \
	"does not track and record does not trace: no evidence either way"

static const char *untraced_at(const struct cta_ruleset *rs, size_t i, bool translated, int depth,
			       int *visits)
{
	const char *t, *c, *text;
	uint64_t h;
	uint8_t f;

	text = cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	if (!text)
		return NULL;
	switch (later_kind(text)) {
	case LATER_STATE:
		return "matches packets after a connection's first, which record does not trace: "
		       "no evidence either way (keep it)";
	case LATER_LOOPBACK:
		return "loopback traffic, which record does not trace: no evidence either way "
		       "(keep it)";
	case LATER_MARK:
		return "matches or restores a connection's mark, which a first packet does not "
		       "carry yet, and record traces first packets: no evidence either way "
		       "(keep it)";
	default:
		break;
	}
	if (!(strstr(text, "ct state !=") || strstr(text, "ct state ! ")) &&
	    strstr(text, "ct state") && cta_rule_has_word(text, "invalid") &&
	    !cta_rule_has_word(text, "new") && !cta_rule_has_word(text, "synproxy"))
		return "matches packets conntrack finds invalid (a stray ACK, a bad cookie), which "
		       "record does not trace: no evidence either way (keep it)";
	/* "keep it" is advice for what lets them through, not for a drop (helper-53) */
	if (may_match_nd(rs, text, f, t, c))
		return cta_rule_has_word(text, "accept") ? ND_UNTRACED " (keep it: IPv6 needs them)"
							 : ND_UNTRACED;
	if (translated && (nat_only(rs, f, t, c, 0) || strstr(text, "ct status dnat") ||
			   strstr(text, "ct status snat")))
		return "translated connections were recorded (conntrack says so), and the traces "
		       "of NAT do not show every rule that translated: no evidence either way";
	if (leads_to_untraced(rs, f, t, text, translated, depth, visits))
		return "jumps or goes to rules record's traces cannot judge (for later packets, "
		       "loopback, neighbour discovery or NAT): no evidence either way (keep it)";
	return NULL;
}

/* The decider(s) of v: each hook's accept rule, or the rule that dropped it. */
static void count_decided(struct live *l, const struct cta_verdict *v, uint64_t n)
{
	int64_t at;

	if (!v->n_deciders && v->type == CTA_VTYPE_RULE) {
		/* a session from before deciders: the one it names */
		at = rule_index(l->rs, v->family, v->table, v->chain, v->handle);
		if (at >= 0)
			l->st[at].decided += n;
	}
	for (size_t i = 0; i < v->n_deciders; i++) {
		const struct cta_vdecider *d = &v->deciders[i];

		if (d->type != CTA_VTYPE_RULE || d->legacy) /* legacy's: review_legacy.c */
			continue;
		at = rule_index(l->rs, d->family, d->table, d->chain, d->handle);
		if (at >= 0)
			l->st[at].decided += n;
	}
}

static void count_verdict(struct live *l, const struct cta_flow *f, const struct cta_verdict *v,
			  uint64_t n)
{
	int64_t at;

	if (v->source != CTA_VSOURCE_TRACE)
		return;
	l->total += n;
	for (size_t a = 0; a < v->n_path; a++)
		for (size_t b = 0; !v->path[a].legacy && b < v->path[a].n_rules; b++) {
			const struct cta_vstage *stage = &v->path[a];

			at = rule_index(l->rs, stage->family, stage->table, stage->rules[b].chain,
					stage->rules[b].handle);
			if (at >= 0) {
				l->st[at].reached += n;
				l->st[at].flows++;
			}
		}
	if (v->legacy) /* iptables-legacy's: review_legacy.c */
		return;
	if (v->type == CTA_VTYPE_RULE) {
		count_decided(l, v, n);
	} else if (v->type == CTA_VTYPE_POLICY) {
		int fam = cta_nfproto_from_name(v->family ? v->family : "");
		const struct cta_chain_info *ci =
			fam < 0 ? NULL : cta_ruleset_chain(l->rs, (uint8_t)fam, v->table, v->chain);

		/* a nat or route chain's policy decides nothing */
		if (ci && !strcmp(ci->type, "filter"))
			add_policy(&l->ps, &l->np, ci, f, n);
	}
}

/* Why rule i, in a chain the recording does not watch, is not judged. */
static void unwatched_detail(const struct cta_ruleset *rs, size_t i, char *detail, size_t len)
{
	const char *t, *c;
	uint64_t h;
	uint8_t f;
	const struct cta_chain_info *ci;

	cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	ci = cta_ruleset_chain(rs, f, t, c);
	if (ci && !strcmp(ci->hook, "ingress") && ci->device[0])
		snprintf(detail, len,
			 "not judged: at ingress the recording traces TCP connection attempts "
			 "only, so it cannot tell all this rule matched: keep it unless you know");
	else
		snprintf(detail, len,
			 "not judged: the recording does not watch %s %s chains, so it cannot "
			 "tell whether this rule matched: keep it unless you know",
			 cta_nfproto_name(f), ci && ci->hook[0] ? ci->hook : "regular");
}

/*
 * What a rule no traced packet matched is: a candidate for removal when it lets
 * packets through; when it drops or rejects (itself, or by a jump to a chain that
 * does: `jump handle_reject`), removing it lets through what it would deny.
 */
static const char *unmatched(const struct cta_ruleset *rs, size_t i)
{
	const char *t, *c, *text;
	uint64_t h;
	uint8_t f;

	text = cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
	if (text && cta_ruleset_rule_drops(rs, f, t, text, NULL, NULL))
		return "no recorded packet matched it: it denied nothing that was recorded, "
		       "but removing it lets through what it denies (keep it unless that is "
		       "meant)";
	return "no recorded packet matched it: a candidate for removal";
}

static int untraced_key_cmp(const void *pa, const void *pb)
{
	const struct untraced_key *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->l4proto != b->l4proto)
		return a->l4proto < b->l4proto ? -1 : 1;
	if (a->icmp_type != b->icmp_type)
		return a->icmp_type < b->icmp_type ? -1 : 1;
	return a->dport < b->dport ? -1 : a->dport > b->dport;
}

/*
 * Flows record counted and never traced (over --trace-rate's budget in a flood of new
 * flows, or their traces lost): which of them a rule could have matched is not
 * known, so a rule none of the traced matched is "unreached" only when none of these
 * can match it either (another protocol, port or family). Collected as distinct
 * untraced_key values, sorted; false on ENOMEM (then every rule is hedged).
 */
static bool untraced_add(struct live *l, const struct cta_flow *f, size_t *cap)
{
	struct untraced_key k;

	memset(&k, 0, sizeof(k));
	k.family = f->key.family;
	k.l4proto = f->key.l4proto;
	k.icmp_type = f->key.icmp_type;
	k.dport = f->key.dport;
	k.flows = 1;
	k.connections = f->connections;
	l->untraced_flows++;
	if (l->n_uk == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct untraced_key *n = realloc(l->uk, nc * sizeof(*n));

		if (!n)
			return false;
		l->uk = n;
		*cap = nc;
	}
	l->uk[l->n_uk++] = k;
	return true;
}

static void untraced_unique(struct live *l)
{
	size_t w = 0;

	if (!l->n_uk)
		return;
	qsort(l->uk, l->n_uk, sizeof(*l->uk), untraced_key_cmp);
	for (size_t r = 1; r < l->n_uk; r++) {
		if (untraced_key_cmp(&l->uk[r], &l->uk[w])) {
			l->uk[++w] = l->uk[r];
		} else {
			l->uk[w].flows += l->uk[r].flows;
			l->uk[w].connections += l->uk[r].connections;
		}
	}
	l->n_uk = w + 1;
}

/*
 * Did no trace see any of the flow's connections (none, or verdicts only NFLOG or the
 * kernel's counts gave, which name no rule)?
 */
static bool never_traced(const struct cta_vtally *t)
{
	for (uint32_t g = 0; t && g < t->n; g++)
		if (t->g[g].v && t->g[g].v->source == CTA_VSOURCE_TRACE)
			return false;
	return true;
}

/*
 * Could rule i match the first packet of a flow record never traced? Then *flows and
 * *connections say how many such flows it could have matched.
 */
static bool untraced_may_match(const struct live *l, size_t i, uint64_t *flows,
			       uint64_t *connections)
{
	const char *t, *c, *text;
	uint8_t f = 0;
	uint64_t h;

	*flows = *connections = 0;
	if (!l->untraced_flows)
		return false;
	if (!l->uk) { /* out of memory collecting them: every rule may */
		*flows = l->untraced_flows;
		return true;
	}
	text = cta_ruleset_rule_at(l->rs, i, &f, &t, &c, &h);
	for (size_t k = 0; text && k < l->n_uk; k++) {
		const struct untraced_key *u = &l->uk[k];
		struct cta_rule_packet p;

		cta_rule_packet_init(&p, u->family, u->l4proto, &u->icmp_type, u->dport);
		p.has_ct = true;
		p.ct_state = NF_CT_STATE_BIT(IP_CT_NEW);
		if ((f == NFPROTO_IPV4 && u->family != AF_INET) ||
		    (f == NFPROTO_IPV6 && u->family != AF_INET6))
			continue;
		if (!cta_rule_cannot_match(text, &p)) {
			*flows += u->flows;
			*connections += u->connections;
		}
	}
	return *flows > 0;
}

/* Rules no traced packet matched, and rules deciding much from far down. */
static void rule_findings(const struct live *l, size_t nr, const char *skip_prefix, json_t *out)
{
	const struct cta_ruleset *rs = l->rs;
	const struct rule_stat *st = l->st;
	uint64_t total = l->total;

	for (size_t i = 0; i < nr; i++) {
		const char *t, *c;
		uint64_t h;
		uint8_t f;
		char detail[200];
		const char *why;
		uint64_t uf, uc;

		cta_ruleset_rule_at(rs, i, &f, &t, &c, &h);
		if (skip_prefix && !strncmp(t, skip_prefix, strlen(skip_prefix)))
			continue;
		if (cta_ruleset_rule_unwatched(rs, i)) {
			unwatched_detail(rs, i, detail, sizeof(detail));
			json_array_append_new(out, finding("unwatched", rs, i, 0, detail));
		} else if (!st[i].reached && (why = untraced(rs, i, l->translated))) {
			json_array_append_new(out, finding("untraced", rs, i, 0, why));
		} else if (!st[i].reached && untraced_may_match(l, i, &uf, &uc)) {
			snprintf(detail, sizeof(detail),
				 "no traced packet matched it, but %llu flow%s (%llu connection%s) "
				 "that record counted and did not trace (over --trace-rate, or "
				 "their traces lost) may have: no evidence either way (keep it)",
				 (unsigned long long)uf, uf == 1 ? "" : "s", (unsigned long long)uc,
				 uc == 1 ? "" : "s");
			json_array_append_new(out, finding("untraced", rs, i, 0, detail));
		} else if (!st[i].reached) {
			json_array_append_new(out,
					      finding("unreached", rs, i, 0, unmatched(rs, i)));
		} else if (total && st[i].decided * 100 >= total * HOT_SHARE &&
			   position(rs, i) >= HOT_POSITION && !catch_all(rs, i)) {
			snprintf(detail, sizeof(detail),
				 "decided %llu of %llu traced connection%s from behind %zu rules: "
				 "move it up, or fold the rules before it into a set",
				 (unsigned long long)st[i].decided, (unsigned long long)total,
				 total == 1 ? "" : "s", position(rs, i));
			json_array_append_new(out, finding("hot", rs, i, st[i].decided, detail));
		}
	}
}

/* Policies that decided flows: maybe a rule meant to decide them does not match. */
static void policy_findings(const struct live *l, json_t *out)
{
	const struct policy_stat *ps = l->ps;
	size_t np = l->np;

	for (size_t i = 0; i < np; i++) {
		const struct policy_stat *p = &ps[i];
		char detail[400], ex[200];
		size_t at;

		at = (size_t)snprintf(
			detail, sizeof(detail),
			"its policy %s decided %llu flow%s (%llu connection%s), e.g. ",
			p->chain->policy, (unsigned long long)p->flows, p->flows == 1 ? "" : "s",
			(unsigned long long)p->connections, p->connections == 1 ? "" : "s");
		for (size_t k = 0; k < p->n_examples && at < sizeof(detail); k++) {
			cta_review_flow_text(p->examples[k], ex, sizeof(ex));
			at += (size_t)snprintf(detail + at, sizeof(detail) - at, "%s%s",
					       k ? "; " : "", ex);
		}
		if (at < sizeof(detail))
			snprintf(detail + at, sizeof(detail) - at,
				 ": if a rule was meant to decide them, it does not match");
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "kind", "policy",
						     "family", cta_nfproto_name(p->chain->family),
						     "table", p->chain->table, "chain",
						     p->chain->name, "connections",
						     (json_int_t)p->connections, "detail", detail));
	}
}

json_t *cta_review_live(const struct cta_ruleset *rs, const struct cta_session *s, size_t n,
			const char *skip_prefix)
{
	size_t nr = cta_ruleset_rule_count(rs), uk_cap = 0;
	struct live l = { .rs = rs, .st = calloc(nr ? nr : 1, sizeof(*l.st)) };
	json_t *out = json_array();
	bool uk_ok = true;

	if (!l.st || !out) {
		free(l.st);
		json_decref(out);
		return NULL;
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s[k].n_flows; i++) {
			const struct cta_flow *f = &s[k].flows[i];
			const struct cta_vtally *t = cta_session_verdicts(&s[k], f);

			l.translated |= cta_flow_translated(f);
			/* one verdict: all the flow's connections, as before the counts */
			for (uint32_t g = 0; t && g < t->n; g++)
				count_verdict(&l, f, t->g[g].v,
					      t->n == 1 ? f->connections : t->g[g].n);
			/*
			 * never traced: not in a recording that traced nothing (all its rules
			 * are unreached, and it says so), nor leftovers from before it
			 */
			if (never_traced(t) && f->connections && uk_ok &&
			    s[k].options.trace != CTA_TRACE_NONE && !cta_flow_leftover(f, t))
				uk_ok = untraced_add(&l, f, &uk_cap);
		}
	if (!uk_ok) {
		free(l.uk);
		l.uk = NULL;
		l.n_uk = 0;
	}
	untraced_unique(&l);
	rule_findings(&l, nr, skip_prefix, out);
	policy_findings(&l, out);
	free(l.uk);
	free(l.ps);
	free(l.st);
	return out;
}
