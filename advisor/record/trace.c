// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/trace.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"
#include "advisor/lib/util.h"
#include "advisor/model/flow.h"
#include "advisor/model/host.h"
#include "advisor/model/session.h"
#include "advisor/record/decide.h"
#include "nft/table.h"

#define IN_FLIGHT 256 /* packets being assembled at once */
#define MARK_PREFIX "trace_" /* the own table's marking chains */
/*
 * Kernel-sent packets remembered, to know them again when they come back in on lo: the
 * loopback device queues them to the next softirq, so their traces follow within
 * milliseconds, a few other packets' at most in between.
 */
#define SENT_RING 64
#define SENT_KEEP_NS 2000000000ULL
#define LOOPBACK_IFINDEX 1 /* every network namespace's lo */

struct pkt {
	bool have_tuple, pending_stage;
	bool sent_noted; /* by_kernel, and put into the tracer's ring */
	struct cta_tuple cur; /* the latest headers: after any NAT so far */
	bool at_ingress; /* marked by the own netdev chain, not yet by the inet one */
	bool marked_by_this; /* its mark: this tracer's table's, or another of the tool's */
	int accept_step; /* the latest accept (rule or policy): the decider if nothing drops */
	struct cta_judgement j; /* about 4 KB with its steps */
};

/* What the per-event scans look at, apart from the large packets: a few cache lines. */
struct slot {
	bool used;
	uint32_t id;
	uint64_t last_ns;
};

/* A packet the kernel sent on a connection's behalf (trace.h: by_kernel). */
struct sent {
	uint64_t at_ns;
	uint8_t family, l4proto;
	struct cta_tuple tuple;
};

/* The names steps point at (trace.h: struct cta_step), one copy of each. */
struct names {
	char **v;
	uint32_t n, cap;
	struct cta_hashidx idx;
	const char *last[3]; /* the latest table, chain and target: most steps repeat them */
};

struct cta_tracer {
	char own[CTA_NAME_MAX];
	struct names names;
	cta_judgement_cb cb;
	void *data;
	struct sent sent[SENT_RING];
	unsigned n_sent; /* ever put in; the next goes to n_sent % SENT_RING */
	struct slot slots[IN_FLIGHT];
	struct pkt pkts[IN_FLIGHT];
};

struct cta_tracer *cta_tracer_new(const char *own_table, cta_judgement_cb cb, void *data)
{
	struct cta_tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->own, sizeof(t->own), "%s", own_table ? own_table : "");
	t->cb = cb;
	t->data = data;
	cta_hashidx_init(&t->names.idx);
	return t;
}

/* FNV-1a over a NUL-terminated name */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

struct name_q {
	const struct names *nm;
	const char *s;
};

static bool name_eq(uint32_t pos, const void *ctx)
{
	const struct name_q *q = ctx;

	return !strcmp(q->nm->v[pos], q->s);
}

/*
 * The tracer's copy of s (which: 0 table, 1 chain, 2 target, for the shortcut), made
 * if new; NULL on ENOMEM. Names are a ruleset's tables and chains: few, kept while the
 * tracer lives.
 */
static const char *name_of(struct names *nm, int which, const char *s)
{
	struct name_q q = { nm, s };
	uint64_t h;
	int64_t pos;
	char *copy;

	if (nm->last[which] && !strcmp(nm->last[which], s))
		return nm->last[which];
	h = name_hash(s);
	pos = cta_hashidx_find(&nm->idx, h, name_eq, &q);
	if (pos < 0) {
		if (nm->n == nm->cap) {
			uint32_t cap = nm->cap ? 2 * nm->cap : 64;
			char **v = realloc(nm->v, cap * sizeof(*v));

			if (!v)
				return NULL;
			nm->v = v;
			nm->cap = cap;
		}
		if (!(copy = strdup(s)))
			return NULL;
		if (cta_hashidx_add(&nm->idx, h, nm->n)) {
			free(copy);
			return NULL;
		}
		pos = nm->n;
		nm->v[nm->n++] = copy;
	}
	return nm->last[which] = nm->v[pos];
}

void cta_tracer_free(struct cta_tracer *t)
{
	if (t) {
		for (uint32_t i = 0; i < t->names.n; i++)
			free(t->names.v[i]);
		free(t->names.v);
		cta_hashidx_fini(&t->names.idx);
	}
	free(t);
}

static void finish(struct cta_tracer *t, int i, uint64_t now_ns)
{
	struct pkt *p = &t->pkts[i];
	struct cta_judgement *j = &p->j;

	if (j->decider < 0 && p->accept_step >= 0) {
		j->verdict = CTA_VERDICT_ACCEPT;
		j->decider = p->accept_step;
	}
	j->judged_ns = now_ns;
	t->slots[i].used = false;
	t->cb(j, t->data);
}

static int start(struct cta_tracer *t, uint32_t id, uint64_t now_ns)
{
	int i, free_i = -1, oldest = -1;
	struct pkt *p;

	for (i = 0; i < IN_FLIGHT && free_i < 0; i++) {
		if (!t->slots[i].used)
			free_i = i;
		else if (oldest < 0 || t->slots[i].last_ns < t->slots[oldest].last_ns)
			oldest = i;
	}
	if (free_i < 0) {
		/* too many at once: the quietest is surely done */
		finish(t, oldest, now_ns);
		free_i = oldest;
	}
	p = &t->pkts[free_i];
	p->have_tuple = p->pending_stage = p->sent_noted = p->marked_by_this = false;
	p->accept_step = -1;
	memset(&p->j, 0, offsetof(struct cta_judgement, steps));
	p->j.n_steps = p->j.lost_steps = 0;
	p->j.decider = -1;
	t->slots[free_i] = (struct slot){ .used = true, .id = id, .last_ns = now_ns };
	return free_i;
}

static int lookup(const struct cta_tracer *t, uint32_t id)
{
	for (int i = 0; i < IN_FLIGHT; i++)
		if (t->slots[i].used && t->slots[i].id == id)
			return i;
	return -1;
}

/* The very headers the packet came with (the ingress mark, then the inet one). */
static bool same_tuple(const struct pkt *p, const struct cta_trace_event *ev)
{
	return p->j.family == ev->family && p->j.l4proto == ev->l4proto &&
	       !memcmp(&p->j.tuple, &ev->tuple, sizeof(ev->tuple));
}

/*
 * Headers of the packet in flight? NAT changes one side between base chains (dnat the
 * destination before forward or input, snat the source), never both at once; the
 * kernel's id for another packet comes after our marking chain has said so.
 */
static bool same_packet(const struct pkt *p, const struct cta_trace_event *ev)
{
	const struct cta_tuple *a = &p->cur, *b = &ev->tuple;

	if (p->j.family != ev->family || p->j.l4proto != ev->l4proto)
		return false;
	return (!memcmp(&a->src, &b->src, sizeof(a->src)) && a->sport == b->sport) ||
	       (!memcmp(&a->dst, &b->dst, sizeof(a->dst)) && a->dport == b->dport);
}

static bool terminal(int32_t verdict)
{
	int32_t v = verdict & NF_VERDICT_MASK;

	return verdict >= 0 && (v == NF_DROP || v == NF_QUEUE || v == NF_STOLEN);
}

static enum cta_vkind verdict_of(int32_t verdict)
{
	switch (verdict < 0 ? verdict : verdict & NF_VERDICT_MASK) {
	case NF_ACCEPT:
		return CTA_VERDICT_ACCEPT;
	case NF_DROP:
		return CTA_VERDICT_DROP;
	case NF_QUEUE:
		return CTA_VERDICT_QUEUE;
	case NF_STOLEN:
		return CTA_VERDICT_STOLEN;
	default:
		return CTA_VERDICT_NONE;
	}
}

/* The first interfaces a packet's events name: where it came in, where it went out. */
static void note_ifaces(struct cta_judgement *j, const struct cta_trace_event *ev)
{
	if ((ev->flags & CTA_TRF_IIF) && ev->iif && !j->iif)
		j->iif = ev->iif;
	if ((ev->flags & CTA_TRF_OIF) && ev->oif && !j->oif)
		j->oif = ev->oif;
}

/* Did the kernel send this very packet a moment ago (now back in on lo)? */
static bool sent_before(const struct cta_tracer *t, const struct pkt *p, uint64_t now_ns)
{
	unsigned n = t->n_sent < SENT_RING ? t->n_sent : SENT_RING;

	for (unsigned k = 1; k <= n; k++) {
		const struct sent *s = &t->sent[(t->n_sent - k) % SENT_RING];

		if (cta_elapsed_ns(now_ns, s->at_ns) > SENT_KEEP_NS)
			break; /* older ones are older still */
		if (s->family == p->j.family && s->l4proto == p->j.l4proto &&
		    !memcmp(&s->tuple, &p->j.tuple, sizeof(s->tuple)))
			return true;
	}
	return false;
}

/* The packet's headers and conntrack, from the first events that carry them. */
static void absorb(struct cta_tracer *t, struct pkt *p, const struct cta_trace_event *ev,
		   uint64_t now_ns)
{
	bool headers = ev->flags & CTA_TRF_HEADERS;

	if (headers && !p->have_tuple) {
		p->j.family = ev->family;
		p->j.l4proto = ev->l4proto;
		p->j.tuple = ev->tuple;
		p->j.has_isn = ev->flags & CTA_TRF_ISN;
		p->j.isn = ev->isn;
		p->have_tuple = true;
		/* on lo, a packet comes back that the kernel sent on a connection's behalf */
		p->j.by_kernel |= (ev->flags & CTA_TRF_IIF) && ev->iif == LOOPBACK_IFINDEX &&
				  sent_before(t, p, now_ns);
	}
	if (headers)
		p->cur = ev->tuple;
	note_ifaces(&p->j, ev);
	if ((ev->flags & CTA_TRF_CT) && !p->j.has_ct) {
		p->j.has_ct = true;
		p->j.ct_id = ev->ct_id;
		p->j.ct_dir = ev->ct_dir;
		p->j.ct_state = ev->ct_state;
		/* a template before any rule could set one: synproxy built the packet */
		p->j.by_kernel |= (ev->ct_status & IPS_TEMPLATE) != 0;
	}
	if (p->j.by_kernel && p->have_tuple && !p->sent_noted) {
		t->sent[t->n_sent++ % SENT_RING] =
			(struct sent){ now_ns, p->j.family, p->j.l4proto, p->j.tuple };
		p->sent_noted = true;
	}
}

/* What an event of the own chain says of the hooks a packet crossed: CTA_REACHED_*, or 0. */
static uint8_t reached(const struct cta_trace_event *ev)
{
	const char *chain = ev->chain;
	/*
	 * A return there of a packet in ct state new: the rule that counts it entering
	 * (the chain's first rule returns the others: established, untracked such as
	 * neighbour discovery). Kernels whose traces carry no conntrack say nothing.
	 */
	uint8_t counted = ev->type == NFT_TRACETYPE_RULE && ev->verdict == NFT_RETURN &&
					  (ev->flags & CTA_TRF_CT) &&
					  (ev->ct_state & NF_CT_STATE_BIT(IP_CT_NEW))
				  ? CTA_REACHED_ENTERED
				  : 0;

	if (!strcmp(chain, CTA_CHAIN_LEFT_INPUT))
		return CTA_REACHED_INPUT;
	if (!strcmp(chain, CTA_CHAIN_LEFT_POSTROUTING))
		return CTA_REACHED_POSTROUTING;
	if (!strcmp(chain, CTA_CHAIN_ENTERED_OUTPUT))
		return CTA_REACHED_OUTPUT | counted;
	/* trace_output and the chains it goes to (nft/table.h) */
	if (!strncmp(chain, CTA_CHAIN_TRACE_OUTPUT, strlen(CTA_CHAIN_TRACE_OUTPUT)))
		return CTA_REACHED_OUTPUT;
	if (!strcmp(chain, CTA_CHAIN_ENTERED_PREROUTING))
		return counted;
	return 0;
}

/*
 * The packet in flight that an event of a new id, not our mark, continues: a packet
 * bridged by br_netfilter crosses prerouting in the bridge's context, then, passed up
 * to the host, forward or input as received on the bridge device. The kernel's trace
 * id hashes skb->skb_iif, which changed in between (net/netfilter/nf_tables_trace.c,
 * nft_trace_init), so the rest of its path comes under another id, with no mark of
 * ours before it. It is the packet with the same headers (as NAT left them so far)
 * and the same connection that has crossed no hook after prerouting yet. -1: none.
 */
static int continued(const struct cta_tracer *t, const struct cta_trace_event *ev)
{
	const uint8_t later = CTA_REACHED_INPUT | CTA_REACHED_POSTROUTING | CTA_REACHED_OUTPUT;

	for (int i = 0; i < IN_FLIGHT; i++) {
		const struct pkt *p = &t->pkts[i];

		if (!t->slots[i].used || !p->have_tuple || p->at_ingress || (p->j.reached & later))
			continue;
		if (p->j.family != ev->family || p->j.l4proto != ev->l4proto ||
		    memcmp(&p->cur, &ev->tuple, sizeof(ev->tuple)))
			continue;
		if ((ev->flags & CTA_TRF_CT) && p->j.has_ct &&
		    (p->j.ct_id != ev->ct_id || p->j.ct_dir != ev->ct_dir))
			continue;
		return i;
	}
	return -1;
}

int cta_tracer_feed(struct cta_tracer *t, const struct cta_trace_event *ev, uint64_t now_ns)
{
	/*
	 * this tracer's table, or another of the tool's (conntrack_advise*: blame --live's
	 * beside record's, or record's beside blame's): their chains are no host's
	 */
	bool own = (ev->table_family == NFPROTO_INET || ev->table_family == NFPROTO_NETDEV) &&
		   (!strcmp(ev->table, t->own) ||
		    !strncmp(ev->table, CTA_TABLE_NAME, strlen(CTA_TABLE_NAME)));
	bool marks = own && ev->table_family == NFPROTO_INET &&
		     !strncmp(ev->chain, MARK_PREFIX, strlen(MARK_PREFIX)) &&
		     (ev->flags & CTA_TRF_HEADERS);
	bool headers = ev->flags & CTA_TRF_HEADERS;
	int i = lookup(t, ev->id);
	struct cta_step *s;
	struct pkt *p;

	/* a new packet: marked by us, an id not in flight, or other headers on this id */
	/* marked at ingress first (blame --live): the inet mark is the same packet going on */
	if (i >= 0 && marks && t->pkts[i].at_ingress && same_tuple(&t->pkts[i], ev))
		t->pkts[i].at_ingress = marks = false;
	/*
	 * marked again at the same hook, by the other of the tool's tables (record's and
	 * blame --live's), before any chain of the host's: the same packet
	 */
	else if (i >= 0 && marks && !t->pkts[i].j.n_steps && same_tuple(&t->pkts[i], ev) &&
		 t->pkts[i].marked_by_this != !strcmp(ev->table, t->own))
		marks = false;
	else if (own && ev->table_family == NFPROTO_NETDEV && headers)
		marks = true; /* the ingress mark starts every packet it marks */
	if (i >= 0 &&
	    (marks || (headers && t->pkts[i].have_tuple && !same_packet(&t->pkts[i], ev)))) {
		finish(t, i, now_ns);
		i = -1;
	}
	if (i < 0 && !marks && headers) {
		i = continued(t, ev);
		if (i >= 0)
			t->slots[i].id = ev->id;
	}
	if (i < 0) {
		i = start(t, ev->id, now_ns);
		t->pkts[i].at_ingress = marks && ev->table_family == NFPROTO_NETDEV;
		t->pkts[i].marked_by_this = marks && !strcmp(ev->table, t->own);
	}
	p = &t->pkts[i];
	t->slots[i].last_ns = now_ns;
	absorb(t, p, ev, now_ns);
	if (own) {
		if (ev->table_family == NFPROTO_INET)
			p->j.reached |= reached(ev);
		return 0;
	}
	if (headers)
		p->pending_stage = true;
	/* the end of a chain with nothing matched: part of no story */
	if (ev->type != NFT_TRACETYPE_POLICY && !(ev->flags & CTA_TRF_HANDLE))
		return 0;
	if (p->j.n_steps == CTA_PATH_MAX) {
		p->j.lost_steps++;
		return 0;
	}
	s = &p->j.steps[p->j.n_steps];
	memset(s, 0, sizeof(*s));
	s->family = ev->table_family;
	s->stage = p->pending_stage;
	s->has_tuple = s->stage && p->have_tuple;
	s->tuple = p->cur;
	p->pending_stage = false;
	s->policy = ev->type == NFT_TRACETYPE_POLICY;
	s->has_handle = ev->flags & CTA_TRF_HANDLE;
	s->handle = ev->handle;
	s->verdict = s->policy ? (int32_t)ev->policy : ev->verdict;
	s->table = name_of(&t->names, 0, ev->table);
	s->chain = name_of(&t->names, 1, ev->chain);
	s->target = name_of(&t->names, 2, ev->jump_target);
	if (!s->table || !s->chain || !s->target) {
		p->j.lost_steps++; /* out of memory: counted, not kept */
		return -ENOMEM;
	}
	if (terminal(s->verdict)) {
		p->j.verdict = verdict_of(s->verdict);
		p->j.decider = p->j.n_steps++;
		finish(t, i, now_ns);
		return 0;
	}
	if (s->verdict == NF_ACCEPT)
		p->accept_step = p->j.n_steps;
	p->j.n_steps++;
	return 0;
}

void cta_tracer_flush(struct cta_tracer *t, uint64_t now_ns, uint64_t idle_ns)
{
	for (int i = 0; i < IN_FLIGHT; i++)
		if (t->slots[i].used &&
		    (!idle_ns || cta_elapsed_ns(now_ns, t->slots[i].last_ns) >= idle_ns))
			finish(t, i, now_ns);
}

bool cta_judgement_rules_known(const struct cta_judgement *j, const struct cta_ruleset *rs)
{
	for (int i = 0; i < j->n_steps; i++) {
		const struct cta_step *s = &j->steps[i];

		if (s->has_handle &&
		    !cta_ruleset_rule(rs, s->family, s->table, s->chain, s->handle))
			return false;
	}
	return true;
}

static void step_verdict(const struct cta_step *s, char *buf, size_t len)
{
	switch (s->verdict) {
	case NFT_JUMP:
		snprintf(buf, len, "jump %s", s->target);
		return;
	case NFT_GOTO:
		snprintf(buf, len, "goto %s", s->target);
		return;
	case NFT_RETURN:
		snprintf(buf, len, "return");
		return;
	case NFT_CONTINUE:
	case NFT_BREAK:
		snprintf(buf, len, "continue");
		return;
	default:
		snprintf(buf, len, "%s", cta_verdict_name(verdict_of(s->verdict)));
	}
}

static const char *rule_text(const struct cta_step *s, const struct cta_ruleset *rs)
{
	if (!s->has_handle || !rs)
		return NULL;
	return cta_ruleset_rule(rs, s->family, s->table, s->chain, s->handle);
}

/*
 * drop by a rule that says reject, as the trace cannot tell them apart; and synproxy's
 * stolen SYN an accept: synproxy answers it, and once the client's handshake is done
 * opens the connection to the server itself (judge.h), which no later rule decides
 */
static enum cta_vkind refine(enum cta_vkind v, const char *text)
{
	if (v == CTA_VERDICT_DROP && text && cta_rule_has_word(text, "reject"))
		return CTA_VERDICT_REJECT;
	if (v == CTA_VERDICT_STOLEN && text && cta_rule_has_word(text, "synproxy"))
		return CTA_VERDICT_ACCEPT;
	return v;
}

/* A copy of s, or NULL for NULL; false when out of memory. */
static bool dup_or_null(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

/* One rule the packet matched (or the policy), as the verdict's path keeps it. */
static bool step_rule(const struct cta_step *s, const struct cta_ruleset *rs, struct cta_vrule *r)
{
	const char *text = rule_text(s, rs);
	char v[CTA_NAME_MAX + 8];

	r->policy = s->policy;
	r->handle = s->policy ? 0 : s->handle;
	if (s->policy)
		snprintf(v, sizeof(v), "%s", cta_verdict_name(verdict_of(s->verdict)));
	else if (s->verdict >= 0)
		snprintf(v, sizeof(v), "%s",
			 cta_verdict_name(refine(verdict_of(s->verdict), text)));
	else
		step_verdict(s, v, sizeof(v));
	return dup_or_null(&r->chain, s->chain) && dup_or_null(&r->verdict, v) &&
	       dup_or_null(&r->rule, s->policy ? NULL : text);
}

/* "192.0.2.2:80", "[2001:db8::2]:80", or an address alone for a protocol without ports */
static void endpoint_str(uint8_t family, uint8_t l4proto, const union cta_addr *a, uint16_t port,
			 char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	cta_addr_str(family, a, addr, sizeof(addr));
	if (!cta_proto_has_ports(l4proto))
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, port);
}

/*
 * What NAT made of the packet between base chain steps prev and cur (both the first
 * step of a base chain): the new destination, else the new source. false: no change.
 */
static bool nat_to(const struct cta_judgement *j, const struct cta_step *prev,
		   const struct cta_step *cur, char *buf, size_t len)
{
	const struct cta_tuple *a = &prev->tuple, *b = &cur->tuple;

	if (!prev->has_tuple || !cur->has_tuple)
		return false;
	if (memcmp(&a->dst, &b->dst, sizeof(a->dst)) || a->dport != b->dport)
		endpoint_str(j->family, j->l4proto, &b->dst, b->dport, buf, len);
	else if (memcmp(&a->src, &b->src, sizeof(a->src)) || a->sport != b->sport)
		endpoint_str(j->family, j->l4proto, &b->src, b->sport, buf, len);
	else
		return false;
	return true;
}

/*
 * The NAT statement a rule of a nat chain runs, or NULL: a word of its own among the
 * rule's words (nft's part, outside quotes), not the value of a `ct status` match
 * (`ct status dnat masquerade`, a hairpin's masquerade, is a masquerade: helper-59).
 */
static const char *nat_word(const char *text)
{
	static const char *const words[] = { "dnat", "snat", "masquerade", "redirect" };
	size_t end = cta_rule_text_len(text);
	bool quoted = false, status = false;
	const char *p = text;

	while (p && p < text + end) {
		size_t n = 0;

		while (p < text + end && *p == ' ')
			p++;
		while (p + n < text + end && (quoted || p[n] != ' ')) {
			if (p[n] == '"')
				quoted = !quoted;
			n++;
		}
		if (!n)
			break;
		for (size_t i = 0; !status && p[0] != '"' && i < ARRAY_SIZE(words); i++)
			if (strlen(words[i]) == n && !strncmp(p, words[i], n))
				return words[i];
		/* the word after `status` (and its `!=`) is a value: snat,dnat */
		status = (n == 6 && !strncmp(p, "status", 6)) ||
			 (status && ((n == 2 && !strncmp(p, "!=", 2)) || (n == 1 && *p == '!')));
		p += n;
	}
	return NULL;
}

/* One base chain of the path: its steps, the step that ended it, what it did. */
struct stage {
	int first, next, end; /* steps [first, next); end: -1 when its end was not seen */
	int by; /* the step that decided, when not end: a return that skipped a drop; -1 */
	const struct cta_chain_info *ci;
	struct cta_stage_result r;
};

/* cta_ruleset_rule_drops's skip: a rule the traced packet surely cannot match */
static bool skip_for(const char *text, const void *pkt)
{
	return cta_rule_cannot_match(text, pkt);
}

/*
 * Does a rule after the one of step e, in its chain, drop or reject (or jump to one)
 * that the packet P could match?
 */
static bool drops_after(const struct cta_ruleset *rs, const struct cta_rule_packet *p,
			const struct cta_step *e)
{
	size_t n = rs ? cta_ruleset_rule_count(rs) : 0;
	bool after = false;

	for (size_t i = 0; i < n; i++) {
		const char *table, *chain, *text;
		uint64_t handle;
		uint8_t family;

		text = cta_ruleset_rule_at(rs, i, &family, &table, &chain, &handle);
		if (family != e->family || strcmp(table, e->table) || strcmp(chain, e->chain))
			continue;
		if (after && text && cta_ruleset_rule_drops(rs, family, table, text, skip_for, p))
			return true;
		after |= handle == e->handle;
	}
	return false;
}

static bool same_chain(const struct cta_step *a, const struct cta_step *b)
{
	return a->family == b->family && !strcmp(a->table, b->table) && !strcmp(a->chain, b->chain);
}

#define CALLS_MAX 16 /* jumps pending at once: the kernel's stack is as deep */

/*
 * Would the base chain have gone on to a drop without its accept? A rule after the
 * accept drops or rejects, or one after a jump still pending when it accepted (the zone
 * layouts: a base chain jumps to zones and rejects what they leave). A jump the packet
 * came back from was passed with the rules after it before the accept; a goto's chain
 * never goes on (its target returns to the chain before it).
 */
/*
 * The packet as stage sg's base chain saw it (after any NAT before it), for
 * cta_ruleset_rule_drops: *type holds its ICMP type. Not the source port: the verdict
 * cache would need one entry a connection.
 */
static void stage_packet(const struct cta_judgement *j, const struct stage *sg, uint8_t *type,
			 struct cta_rule_packet *p)
{
	const struct cta_tuple *t = j->steps[sg->first].has_tuple ? &j->steps[sg->first].tuple
								  : &j->tuple;

	*type = t->icmp_type;
	cta_rule_packet_init(p, j->family, j->l4proto, type, t->dport);
	p->has_ct = j->has_ct;
	p->ct_state = j->ct_state;
}

static bool drop_without(const struct cta_judgement *j, const struct stage *sg,
			 const struct cta_ruleset *rs)
{
	const struct cta_step *calls[CALLS_MAX], *e = &j->steps[sg->end];
	struct cta_rule_packet p;
	uint8_t type;
	int n = 0;

	stage_packet(j, sg, &type, &p);

	for (int i = sg->first; i <= sg->end; i++) {
		const struct cta_step *s = &j->steps[i];

		/* back in the chain of a pending jump: it, and every one after it, returned */
		for (int k = 0; k < n; k++)
			if (same_chain(calls[k], s)) {
				n = k;
				break;
			}
		if (i < sg->end && s->verdict == NFT_JUMP && n < CALLS_MAX)
			calls[n++] = s;
	}
	if (!e->policy && drops_after(rs, &p, e))
		return true;
	while (n-- > 0)
		if (drops_after(rs, &p, calls[n]))
			return true;
	return false;
}

/*
 * A base chain whose policy accepted the packet decided nothing, unless the packet got
 * there by a `return` rule (iptables' -j RETURN) that left a chain before a rule of it
 * that drops or rejects (pve-firewall's management set: `-m set --match-set
 * PVEFW-0-management src -j RETURN` before the host's drops): that return let it
 * through as an accept would have. The step of the last such return, or -1.
 */
static int return_before_drop(const struct cta_judgement *j, const struct stage *sg,
			      const struct cta_ruleset *rs)
{
	struct cta_rule_packet p;
	uint8_t type;

	if (sg->end < 0 || !rs)
		return -1;
	stage_packet(j, sg, &type, &p);
	for (int i = sg->end - 1; i >= sg->first; i--) {
		const struct cta_step *s = &j->steps[i];

		if (!s->policy && s->has_handle && s->verdict == NFT_RETURN &&
		    drops_after(rs, &p, s))
			return i;
	}
	return -1;
}

static void stage_result(struct stage *sg, const struct cta_judgement *j,
			 const struct cta_ruleset *rs)
{
	const struct cta_step *e = sg->end >= 0 ? &j->steps[sg->end] : NULL;
	const struct cta_chain_info *ci = sg->ci;
	struct cta_stage_result *r = &sg->r;

	r->hook = ci && ci->base ? ci->hook : "";
	r->kind = !ci			       ? CTA_CHAIN_FILTER
		  : !strcmp(ci->type, "nat")   ? CTA_CHAIN_NAT
		  : !strcmp(ci->type, "route") ? CTA_CHAIN_ROUTE
					       : CTA_CHAIN_FILTER;
	r->policy_drop = ci && !strcmp(ci->policy, "drop");
	r->verdict = e ? refine(verdict_of(e->verdict), rule_text(e, rs)) : CTA_VERDICT_NONE;
	r->by_policy = e && e->policy;
	/* a chain not listed: its accept may have been needed, name it */
	r->drop_after = e && !e->policy && r->verdict == CTA_VERDICT_ACCEPT && !r->policy_drop &&
			(!ci || drop_without(j, sg, rs));
	sg->by = -1;
	if (e && e->policy && r->verdict == CTA_VERDICT_ACCEPT && r->kind == CTA_CHAIN_FILTER &&
	    (sg->by = return_before_drop(j, sg, rs)) >= 0) {
		r->by_policy = false;
		r->drop_after = true;
	}
}

/*
 * Does step s begin another base chain than the stage it would join? The kernel sends
 * no headers with a chain's first event when a rule stole the packet (synproxy), so
 * the headers alone do not tell; but no rule jumps to a base chain, so another one
 * met is another stage.
 */
static bool other_base(const struct cta_ruleset *rs, const struct stage *cur,
		       const struct cta_step *first, const struct cta_step *s)
{
	const struct cta_chain_info *ci;

	if (!rs || (s->family == first->family && !strcmp(s->table, first->table) &&
		    !strcmp(s->chain, first->chain)))
		return false;
	ci = cta_ruleset_chain(rs, s->family, s->table, s->chain);
	return ci && ci->base && cur->ci != ci;
}

/* The base chains of j's path into st (room for CTA_PATH_MAX); how many. */
static int stages_of(const struct cta_judgement *j, const struct cta_ruleset *rs, struct stage *st)
{
	int n = 0;

	for (int i = 0; i < j->n_steps; i++) {
		const struct cta_step *s = &j->steps[i];

		if (s->stage || !n || other_base(rs, &st[n - 1], &j->steps[st[n - 1].first], s)) {
			if (n)
				st[n - 1].next = i;
			st[n] = (struct stage){ .first = i, .next = j->n_steps, .end = -1 };
			st[n].ci = rs ? cta_ruleset_chain(rs, s->family, s->table, s->chain) : NULL;
			n++;
		}
		if (terminal(s->verdict) || s->verdict == NF_ACCEPT)
			st[n - 1].end = i;
	}
	for (int k = 0; k < n; k++)
		stage_result(&st[k], j, rs);
	return n;
}

/*
 * One rule the packet matched, with the NAT it did in a nat chain (to: where seen). A
 * NAT statement that translates ends the chain (its verdict is accept, nft_nat_eval);
 * one that went on (continue) did nothing: in an inet table, `dnat ip to` meeting an
 * IPv6 packet (the statement's family is not the packet's, nft_nat_inet_eval).
 */
static bool path_rule(const struct cta_step *s, const struct cta_ruleset *rs,
		      const struct stage *sg, const char *to, struct cta_vrule *r)
{
	const char *nat = sg->r.kind == CTA_CHAIN_NAT && !s->policy && s->verdict != NFT_CONTINUE
				  ? nat_word(rule_text(s, rs))
				  : NULL;

	return step_rule(s, rs, r) && dup_or_null(&r->nat, nat) &&
	       dup_or_null(&r->to, nat ? to : NULL);
}

/* Base chain k of the path, with hook, priority, type, policy and its verdict there. */
static bool path_stage(const struct cta_judgement *j, const struct stage *st, int k,
		       const struct cta_ruleset *rs, struct cta_vstage *vs)
{
	const struct cta_step *first = &j->steps[st[k].first];
	const struct cta_chain_info *ci = st[k].ci;
	char to[INET6_ADDRSTRLEN + 8];
	bool to_known = st[k].next < j->n_steps &&
			nat_to(j, first, &j->steps[st[k].next], to, sizeof(to));

	if (ci && ci->base) {
		vs->has_priority = true;
		vs->priority = ci->prio;
		if (!dup_or_null(&vs->hook, ci->hook) || !dup_or_null(&vs->policy, ci->policy) ||
		    !dup_or_null(&vs->type, ci->type))
			return false;
	}
	if (st[k].end >= 0) {
		/* how the chain ended: by its policy, though a return before may have decided */
		vs->by_policy = j->steps[st[k].end].policy;
		vs->drop_after = st[k].r.drop_after;
		if (!dup_or_null(&vs->verdict, cta_verdict_name(st[k].r.verdict)))
			return false;
	}
	vs->rules = calloc((size_t)(st[k].next - st[k].first), sizeof(*vs->rules));
	if (!vs->rules || !dup_or_null(&vs->family, cta_nfproto_name(first->family)) ||
	    !dup_or_null(&vs->table, first->table) || !dup_or_null(&vs->chain, first->chain))
		return false;
	for (int i = st[k].first; i < st[k].next; i++)
		if (!path_rule(&j->steps[i], rs, &st[k], to_known ? to : NULL,
			       &vs->rules[vs->n_rules++]))
			return false;
	return true;
}

/* The rule or policy step d as a decider at hook (type RULE or POLICY). */
static bool decider_of(const struct cta_step *d, enum cta_vkind verdict, const char *hook,
		       const struct cta_ruleset *rs, struct cta_vdecider *out)
{
	out->type = d->policy ? CTA_VTYPE_POLICY : CTA_VTYPE_RULE;
	out->verdict = (uint8_t)verdict;
	out->has_handle = !d->policy;
	out->handle = d->policy ? 0 : d->handle;
	return dup_or_null(&out->hook, hook) &&
	       dup_or_null(&out->family, cta_nfproto_name(d->family)) &&
	       dup_or_null(&out->table, d->table) && dup_or_null(&out->chain, d->chain) &&
	       dup_or_null(&out->rule, d->policy ? NULL : rule_text(d, rs));
}

/* Did a step of j end the packet (a drop, reject, queue, stolen)? */
static bool final_step(const struct cta_judgement *j)
{
	for (int i = 0; i < j->n_steps; i++)
		if (terminal(j->steps[i].verdict))
			return true;
	return false;
}

/*
 * No chain of the host's decided, but the packet reached the own table's counting
 * chain at the end of a hook (IPv6 on a host with only `ip` tables): let through, and
 * no chain at the hook it crossed would drop it.
 */
static void own_hooks(const struct cta_judgement *j, struct cta_decision *dc)
{
	const char *hook = (j->reached & CTA_REACHED_INPUT)	     ? "input"
			   : !(j->reached & CTA_REACHED_POSTROUTING) ? NULL
			   : (j->reached & CTA_REACHED_OUTPUT)	     ? "output"
								     : "forward";

	if (!hook)
		return;
	dc->verdict = CTA_VERDICT_ACCEPT;
	dc->n = 1;
	dc->d[0] = (struct cta_decider){ -1, hook };
}

/* The path and the deciders of j, into v; its verdict and type from the decision. */
static bool judgement_decide(const struct cta_judgement *j, const struct cta_ruleset *rs,
			     const struct stage *st, int n, struct cta_verdict *v)
{
	struct cta_stage_result res[CTA_PATH_MAX];
	struct cta_decision dc;
	const struct cta_vdecider *first = NULL;

	for (int k = 0; k < n; k++)
		res[k] = st[k].r;
	cta_decide(res, n, &dc);
	if (dc.verdict == CTA_VERDICT_NONE && !final_step(j))
		own_hooks(j, &dc);
	v->verdict = (uint8_t)dc.verdict;
	v->type = dc.verdict == CTA_VERDICT_NONE ? CTA_VTYPE_NONE : CTA_VTYPE_OPEN;
	v->deciders = dc.n ? calloc((size_t)dc.n, sizeof(*v->deciders)) : NULL;
	if (dc.n && !v->deciders)
		return false;
	for (int i = 0; i < dc.n; i++) {
		struct cta_vdecider *d = &v->deciders[v->n_deciders++];
		int k = dc.d[i].stage;

		if (k < 0) {
			d->type = CTA_VTYPE_NONE;
			if (!dup_or_null(&d->hook, dc.d[i].hook))
				return false;
			continue;
		}
		if (!decider_of(&j->steps[st[k].by >= 0 ? st[k].by : st[k].end], st[k].r.verdict,
				dc.d[i].hook, rs, d))
			return false;
		if (!first)
			first = d;
	}
	if (!first)
		return true;
	/* the top level names the first decider, as before there were several */
	v->type = first->type;
	v->has_handle = first->has_handle;
	v->handle = first->handle;
	return dup_or_null(&v->family, first->family) && dup_or_null(&v->table, first->table) &&
	       dup_or_null(&v->chain, first->chain) && dup_or_null(&v->rule, first->rule);
}

struct cta_verdict *cta_judgement_verdict(const struct cta_judgement *j,
					  const struct cta_ruleset *rs, enum cta_vsource source)
{
	struct stage *st = calloc(CTA_PATH_MAX, sizeof(*st));
	struct cta_verdict *v = cta_verdict_new();
	bool ok = st && v;
	int n = 0;

	if (ok) {
		v->source = (uint8_t)source;
		v->steps_not_kept = j->lost_steps > 0 ? (uint64_t)j->lost_steps : 0;
		v->has_path = true;
		n = stages_of(j, rs, st);
		v->path = calloc((size_t)n + 1, sizeof(*v->path));
		ok = v->path != NULL;
	}
	for (int k = 0; ok && k < n; k++)
		ok = path_stage(j, st, k, rs, &v->path[v->n_path++]);
	if (ok)
		ok = judgement_decide(j, rs, st, n, v);
	free(st);
	if (!ok) {
		cta_verdict_unref(v);
		return NULL;
	}
	return v;
}

json_t *cta_judgement_to_json(const struct cta_judgement *j, const struct cta_ruleset *rs)
{
	struct cta_verdict *v = cta_judgement_verdict(j, rs, CTA_VSOURCE_NONE);
	json_t *o = v ? cta_verdict_to_json(v) : NULL;

	cta_verdict_unref(v);
	return o;
}

/* appends to buf at *at; once something does not fit, *at stays at len */
static void __attribute__((format(printf, 4, 5)))
key_add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	*at = n < 0 || (size_t)n >= len - *at ? len : *at + (size_t)n;
}

size_t cta_judgement_key(const struct cta_judgement *j, char *buf, size_t len)
{
	const struct cta_step *prev = NULL;
	size_t at = 0;

	/*
	 * The family, protocol, ICMP type or destination port and conntrack state weigh
	 * the rules after an accept (cta_rule_cannot_match), the own chains reached the
	 * hooks of a packet no chain of the host's saw (whether it was counted entering
	 * is no part of its verdict)
	 */
	key_add(buf, len, &at, "%d %d %d %d %u %u %d %u %u;", (int)j->verdict, j->decider,
		j->n_steps, j->lost_steps, j->family, j->l4proto, j->has_ct,
		j->has_ct ? j->ct_state : 0u, j->reached & ~CTA_REACHED_ENTERED);
	if (j->l4proto == IPPROTO_ICMP || j->l4proto == IPPROTO_ICMPV6)
		key_add(buf, len, &at, "%u;", j->tuple.icmp_type);
	else if (cta_proto_has_ports(j->l4proto))
		key_add(buf, len, &at, "%u;", j->tuple.dport);
	for (int i = 0; i < j->n_steps; i++) {
		const struct cta_step *s = &j->steps[i];

		/* names with their lengths: any byte in them stays unambiguous */
		key_add(buf, len, &at, "%u %d %d %d %llu %d %zu:%s%zu:%s%zu:%s;", s->family,
			s->stage, s->policy, s->has_handle, (unsigned long long)s->handle,
			(int)s->verdict, strlen(s->table), s->table, strlen(s->chain), s->chain,
			strlen(s->target), s->target);
		if (s->stage) {
			/* what NAT translated to before this chain is in the verdict */
			char to[INET6_ADDRSTRLEN + 8];

			if (prev && nat_to(j, prev, s, to, sizeof(to)))
				key_add(buf, len, &at, "to %s;", to);
			prev = s;
		}
	}
	return at < len ? at : 0;
}
