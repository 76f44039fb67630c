// SPDX-License-Identifier: GPL-2.0-or-later
/* iptables-legacy followed live: rules, nf_log binding, TRACE lines into walks. */
#include "advisor/record/ltrace.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/util.h"
#include "advisor/model/session.h"
#include "advisor/record/trace.h"
#include "nft/legacy.h"
#include "nft/nlsock.h"

#define PENDING_MAX 64 /* packets whose walk through a table is not complete yet */
#define LINES_MAX 64 /* lines kept per walk */
#define DONE_MAX 1024 /* walks waiting for their packet's judgement (about 1.7 KiB each) */
#define TABLES_MAX 8 /* legacy tables per family: filter, nat, mangle, raw, security */
#define CHECK_EVERY_NS 10000000ULL /* lines fed one by one: marks compared this often */
#define SIG_EVERY_NS 100000000ULL /* a line the rules lack re-reads them this often at most */

struct pending {
	bool used;
	uint8_t family, l4proto, hook;
	struct cta_tuple tuple;
	char table[CTA_IPT_TABLE_LEN];
	struct cta_ipt_trace lines[LINES_MAX];
	unsigned n, lost;
	uint64_t last_ns;
};

struct cta_ltrace {
	struct cta_nlsock *sock; /* NULL: the caller feeds the lines */
	struct cta_nflog_binding binding;
	struct cta_iptsave *rules[2]; /* [0] IPv4, [1] IPv6 */
	uint64_t sig[2][TABLES_MAX];
	uint64_t now_ns;
	bool checked[2]; /* the rules' marks compared since this read began */
	uint64_t checked_ns[2]; /* when (lines fed from outside: no reads to go by) */
	uint64_t resnap_ns[2]; /* when a line the rules lacked last made them be read again */
	struct pending pend[PENDING_MAX];
	struct cta_ltrace_walk done[DONE_MAX];
	bool done_used[DONE_MAX];
	struct cta_ltrace_stats stats;
};

static int fam_index(int family)
{
	return family == AF_INET6;
}

/* Read FAMILY's rules again. 0 or -errno (the old rules stay then). */
static int snapshot(struct cta_ltrace *l, int family, struct cta_err *err)
{
	struct cta_iptsave *s = NULL;
	int fi = fam_index(family), rc;
	char *text = NULL, *msg = NULL;
	unsigned line = 0;
	size_t len;

	rc = cta_legacy_save(family, &text, &len, &msg);
	if (!rc)
		rc = cta_iptsave_parse(text, len, &s, &line);
	if (rc && err)
		snprintf(err->msg, sizeof(err->msg), "%s: %s%s%s",
			 family == AF_INET6 ? "ip6tables-legacy-save" : "iptables-legacy-save",
			 rc == -EBADMSG ? "output not understood" : strerror(-rc), msg ? ": " : "",
			 msg ? msg : "");
	free(text);
	free(msg);
	if (rc)
		return rc;
	cta_iptsave_free(l->rules[fi]);
	l->rules[fi] = s;
	l->stats.snapshots++;
	for (size_t i = 0; i < s->ntables && i < TABLES_MAX; i++)
		if (cta_legacy_table_sig(family, s->tables[i].name, &l->sig[fi][i]))
			l->sig[fi][i] = 0;
	return 0;
}

/* Have FAMILY's rules changed since they were read? (Then read them again.) */
static void check_rules(struct cta_ltrace *l, int family)
{
	const struct cta_iptsave *s = l->rules[fam_index(family)];
	uint64_t sig;

	for (size_t i = 0; s && i < s->ntables && i < TABLES_MAX; i++) {
		if (cta_legacy_table_sig(family, s->tables[i].name, &sig) ||
		    sig != l->sig[fam_index(family)][i]) {
			(void)snapshot(l, family, NULL);
			return;
		}
	}
}

static bool decides(const struct cta_ltrace *l)
{
	return (l->rules[0] && cta_iptsave_decides(l->rules[0])) ||
	       (l->rules[1] && cta_iptsave_decides(l->rules[1]));
}

static int open_socket(struct cta_ltrace *l, struct cta_err *err)
{
	int rc;

	if (cta_nflog_group_taken(CTA_NFLOG_TRACE_GROUP)) {
		snprintf(err->msg, sizeof(err->msg),
			 "NFLOG group %d is taken by another program: iptables-legacy's trace "
			 "lines go to it",
			 CTA_NFLOG_TRACE_GROUP);
		return -EBUSY;
	}
	rc = cta_nflog_open_trace(&l->sock, 4u << 20);
	if (rc)
		snprintf(err->msg, sizeof(err->msg), "cannot bind NFLOG group %d: %s",
			 CTA_NFLOG_TRACE_GROUP, strerror(-rc));
	return rc;
}

int cta_ltrace_open(struct cta_ltrace **out, bool own_socket, struct cta_err *err)
{
	struct cta_ltrace *l = calloc(1, sizeof(*l));
	static const int families[2] = { AF_INET, AF_INET6 };
	int rc = 0;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	for (int i = 0; i < 2 && !rc; i++)
		if (cta_legacy_tables_loaded(families[i]))
			rc = snapshot(l, families[i], err);
	if (rc || !decides(l)) {
		cta_ltrace_free(l);
		return rc;
	}
	/* the socket first: nfnetlink_log must be loaded before it can be bound */
	if (own_socket)
		rc = open_socket(l, err);
	if (!rc && (rc = cta_nflog_binding_set(&l->binding)))
		snprintf(err->msg, sizeof(err->msg),
			 "cannot bind nfnetlink_log as the logger (%s): %s",
			 cta_nflog_binding_path(AF_INET), strerror(-rc));
	if (rc) {
		cta_ltrace_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void cta_ltrace_free(struct cta_ltrace *l)
{
	if (!l)
		return;
	cta_nflog_binding_restore(&l->binding);
	cta_nlsock_free(l->sock);
	cta_iptsave_free(l->rules[0]);
	cta_iptsave_free(l->rules[1]);
	free(l);
}

int cta_ltrace_fd(const struct cta_ltrace *l)
{
	return l && l->sock ? cta_nlsock_fd(l->sock) : -1;
}

const struct cta_iptsave *cta_ltrace_rules(const struct cta_ltrace *l, int family)
{
	return l ? l->rules[fam_index(family)] : NULL;
}

void cta_ltrace_rules2(const struct cta_ltrace *l, const struct cta_iptsave *rules[2])
{
	rules[0] = cta_ltrace_rules(l, AF_INET);
	rules[1] = cta_ltrace_rules(l, AF_INET6);
}

const struct cta_ltrace_stats *cta_ltrace_stats(const struct cta_ltrace *l)
{
	return &l->stats;
}

/* A walk is complete (or given up): into the done walks, the oldest making way. */
static void finish(struct cta_ltrace *l, struct pending *p)
{
	const struct cta_iptsave *s = l->rules[fam_index(p->family)];
	struct cta_ltrace_walk w = { .family = p->family, .l4proto = p->l4proto };
	size_t at = DONE_MAX, oldest = 0;

	p->used = false;
	if (!s || cta_ipt_walk(s, p->family, p->lines, p->n, &w.r)) {
		l->stats.unknown++;
		return;
	}
	w.tuple = p->tuple;
	w.seen_ns = p->last_ns;
	w.gen = l->stats.snapshots;
	w.r.lost_passed += p->lost;
	for (size_t i = 0; i < DONE_MAX && at == DONE_MAX; i++) {
		if (!l->done_used[i])
			at = i;
		else if (l->done[i].seen_ns < l->done[oldest].seen_ns)
			oldest = i;
	}
	if (at == DONE_MAX)
		at = oldest;
	l->done[at] = w;
	l->done_used[at] = true;
	l->stats.walks++;
}

static struct pending *pending_for(struct cta_ltrace *l, const struct cta_nflog_packet *p,
				   const char *table)
{
	struct pending *free_slot = NULL, *oldest = &l->pend[0];

	for (int i = 0; i < PENDING_MAX; i++) {
		struct pending *q = &l->pend[i];

		if (!q->used) {
			free_slot = free_slot ? free_slot : q;
			continue;
		}
		if (q->family == p->family && q->l4proto == p->l4proto && q->hook == p->hook &&
		    !strcmp(q->table, table) && !memcmp(&q->tuple, &p->tuple, sizeof(p->tuple)))
			return q;
		if (q->last_ns < oldest->last_ns)
			oldest = q;
	}
	if (!free_slot) {
		finish(l, oldest);
		free_slot = oldest;
	}
	free_slot->used = true;
	free_slot->n = free_slot->lost = 0;
	free_slot->family = p->family;
	free_slot->l4proto = p->l4proto;
	free_slot->hook = p->hook;
	free_slot->tuple = p->tuple;
	snprintf(free_slot->table, sizeof(free_slot->table), "%s", table);
	return free_slot;
}

void cta_ltrace_feed(struct cta_ltrace *l, const struct cta_nflog_packet *p, uint64_t now_ns)
{
	const struct cta_iptsave *s;
	struct cta_ipt_trace line;
	struct pending *q;

	if (cta_ipt_trace_parse(p->prefix, strlen(p->prefix), &line) ||
	    (p->family != AF_INET && p->family != AF_INET6))
		return;
	l->stats.lines++;
	/* lines came: have the rules changed since they were read? (once a read) */
	if (!l->checked[fam_index(p->family)] ||
	    cta_elapsed_ns(now_ns, l->checked_ns[fam_index(p->family)]) >= CHECK_EVERY_NS) {
		l->checked[fam_index(p->family)] = true;
		l->checked_ns[fam_index(p->family)] = now_ns;
		check_rules(l, p->family);
	}
	s = l->rules[fam_index(p->family)];
	/*
	 * A line the rules do not hold: they changed, or a table came. Read them again,
	 * at most every SIG_EVERY_NS (a line they never hold must not run the tool per line).
	 */
	if ((!s || !cta_ipt_line_known(s, &line)) &&
	    cta_elapsed_ns(now_ns, l->resnap_ns[fam_index(p->family)]) >= SIG_EVERY_NS) {
		l->resnap_ns[fam_index(p->family)] = now_ns;
		(void)snapshot(l, p->family, NULL);
		s = l->rules[fam_index(p->family)];
	}
	q = pending_for(l, p, line.table);
	q->last_ns = now_ns;
	if (q->n < LINES_MAX)
		q->lines[q->n++] = line;
	else
		q->lost++;
	if (s && cta_ipt_line_ends(s, &line))
		finish(l, q);
}

static void on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct cta_ltrace *l = data;
	struct cta_nflog_packet p;

	if (cta_nflogmsg_parse(nlh, &p) == 0)
		cta_ltrace_feed(l, &p, l->now_ns);
}

int cta_ltrace_read(struct cta_ltrace *l, uint64_t now_ns)
{
	int n;

	if (!l->sock)
		return 0;
	l->now_ns = now_ns;
	l->checked[0] = l->checked[1] = false;
	n = cta_nlsock_read(l->sock, on_msg, l, NULL);
	return n < 0 ? n : 0;
}

/* One side of the tuple the same (the other may be NAT's doing), and the source port. */
static bool same_packet(const struct cta_ltrace_walk *w, uint8_t family, uint8_t l4proto,
			const struct cta_tuple *t)
{
	const struct cta_tuple *u = &w->tuple;

	if (w->family != family || w->l4proto != l4proto || u->icmp_type != t->icmp_type)
		return false;
	/*
	 * DNAT keeps the source (its port tells clients apart); SNAT keeps the
	 * destination, which many clients share, and mostly the source port: with it.
	 */
	return u->sport == t->sport &&
	       (!memcmp(&u->src, &t->src, sizeof(t->src)) ||
		(!memcmp(&u->dst, &t->dst, sizeof(t->dst)) && u->dport == t->dport));
}

/* Hooks in the order a packet meets them: prerouting or output, input or forward, postrouting. */
static int hook_rank(unsigned hook)
{
	switch (hook) {
	case NF_INET_PRE_ROUTING:
	case NF_INET_LOCAL_OUT:
		return 0;
	case NF_INET_LOCAL_IN:
	case NF_INET_FORWARD:
		return 1;
	default:
		return 2;
	}
}

static bool before(const struct cta_ipt_result *a, const struct cta_ipt_result *b)
{
	int ra = hook_rank(a->hook), rb = hook_rank(b->hook);

	return ra != rb ? ra < rb : a->priority < b->priority;
}

int cta_ltrace_take(struct cta_ltrace *l, uint8_t family, uint8_t l4proto,
		    const struct cta_tuple *t, struct cta_ltrace_walk *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < DONE_MAX && n < max; i++) {
		struct cta_ltrace_walk *w = &l->done[i];
		int at, dup = -1;

		if (!l->done_used[i] || !same_packet(w, family, l4proto, t))
			continue;
		/* one walk per table and hook: a retransmit's is its own packet's */
		for (int k = 0; k < n && dup < 0; k++)
			if (out[k].r.hook == w->r.hook && !strcmp(out[k].r.table, w->r.table))
				dup = k;
		if (dup >= 0 && out[dup].seen_ns <= w->seen_ns)
			continue;
		if (dup >= 0) { /* the older one is this packet's; put the newer back */
			for (size_t j = 0; j < DONE_MAX; j++)
				if (!l->done_used[j]) {
					l->done[j] = out[dup];
					l->done_used[j] = true;
					break;
				}
			memmove(&out[dup], &out[dup + 1], (size_t)(n - dup - 1) * sizeof(*out));
			n--;
		}
		for (at = n; at > 0 && before(&w->r, &out[at - 1].r); at--)
			out[at] = out[at - 1];
		out[at] = *w;
		n++;
		l->done_used[i] = false;
	}
	return n;
}

void cta_ltrace_expire(struct cta_ltrace *l, uint64_t now_ns, uint64_t age_ns)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (l->pend[i].used && cta_elapsed_ns(now_ns, l->pend[i].last_ns) >= age_ns)
			finish(l, &l->pend[i]);
	for (size_t i = 0; i < DONE_MAX; i++)
		if (l->done_used[i] && cta_elapsed_ns(now_ns, l->done[i].seen_ns) >= age_ns)
			l->done_used[i] = false;
}

struct cta_verdict *cta_ltrace_judgement(struct cta_ltrace *lt, const struct cta_judgement *j,
					 const struct cta_ruleset *rs, enum cta_vsource source)
{
	struct cta_ltrace_walk w[CTA_LTRACE_WALKS_MAX];
	const struct cta_iptsave *rules[2];
	struct cta_verdict *v, *m;
	int n = 0;

	if (lt) {
		(void)cta_ltrace_read(lt, cta_now_mono_ns());
		n = cta_ltrace_take(lt, j->family, j->l4proto, &j->tuple, w, CTA_LTRACE_WALKS_MAX);
	}
	v = cta_judgement_verdict(j, rs, source);
	if (!n || !v)
		return v;
	cta_ltrace_rules2(lt, rules);
	m = cta_ltrace_verdict(rules, v, w, n);
	cta_verdict_unref(v);
	return m;
}
