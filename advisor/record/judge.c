// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/judge.h"

#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"
#include "advisor/lib/util.h"
#include "nft/mcast.h"
#include "nft/table.h"

#define LOOPBACK_IFINDEX 1 /* every network namespace's lo */

/*
 * A denied attempt is kept until this long after its first packet: the client's
 * retransmits in that time (SYNs every second for the first 4 s on kernels since 6.7,
 * net.ipv4.tcp_syn_linear_timeouts; further apart after that) are packets of the same
 * attempt, not attempts of their own. A TCP connect that goes on sending its SYN is
 * kept longer (keep_ns).
 */
#define RETRANSMIT_NS 10000000000ULL
/* The first retransmission timeout of a SYN (TCP_TIMEOUT_INIT): 1 s; with a margin */
#define SYN_RTO_NS 2000000000ULL
/*
 * With kernel counts, an attempt the kernel counted no denial for in this long, and
 * in LISTINGS_DUE listings of the counting sets begun after it, was let through (its
 * NEW event was late) or never tracked: its denial, if any, would have been listed.
 * Longer than NFLOG's flush time; the listings, because record lists less often when
 * the sets are large (recorder.c).
 */
#define DETAIL_KEEP_NS 5000000000ULL
/* a balance is a denial from the second listing that found it (denials.c) */
#define LISTINGS_DUE 2
/* more listings a counted drop waits for its denial (counted_unlisted) */
#define LATE_LISTINGS 2

struct wait {
	bool used;
	bool settled; /* recorded as denied; what comes now are retransmits */
	/*
	 * Let through by its tuple's flow before its connection was known (untranslated):
	 * kept until its connection shows up, so a trace of the same connection again (an
	 * unanswered SYN, a one-way stream after the seen sets' timeout) is not counted
	 * again; its ct_id is marked judged then.
	 */
	bool credited;
	/*
	 * Dropped, and a retransmit of it (a packet of the same tuple) let through since:
	 * out of the index, it waits for its denial's count alone; the retransmit is an
	 * attempt of its own, found by the tuple.
	 */
	bool detached;
	/*
	 * A TCP SYN's: its initial sequence number, which its retransmits share and a new
	 * connection from the same source port does not (cta_pkt_tcp_isn).
	 */
	bool has_isn;
	uint32_t isn;
	uint64_t hash;
	uint64_t since_mono, seen_real;
	uint64_t last_mono; /* its latest packet's time */
	uint64_t traced, logged; /* the same packets, seen by each: count the larger */
	/*
	 * Of those, the ones already counted (a denial taken or recorded). Trace and NFLOG
	 * messages of one packet come on two sockets, in either order and up to a socket's
	 * backlog apart: a message that comes after its packet was counted is not another
	 * packet (a retransmit).
	 */
	uint64_t counted;
	uint64_t left0; /* with kernel counts: its flow's packets counted leaving before */
	uint64_t dump0; /* dumps begun before it (cta_judge_dump_begin) */
	uint64_t listings0; /* with kernel counts: listings of them done before it */
	uint64_t listings_last; /* ... before its last packet (retransmits) */
	struct cta_verdict *verdict; /* from a trace; NULL with NFLOG alone */
	bool dropped; /* the trace saw it dropped, rejected, queued or stolen */
	/* asked at its first message (mc_note): came in to a group nobody holds there */
	bool mc_asked, mc_lost;
	/*
	 * The trace saw the kernel count it where it entered (CTA_REACHED_ENTERED), and
	 * it was not looped back: a denial of it is the kernel's to list, never one by
	 * time.
	 */
	bool entered;
	uint8_t family, l4proto;
	struct cta_tuple tuple;
	bool has_uid, has_gid;
	uint32_t uid, gid;
	uint32_t iif, oif; /* the trace's ifindexes; 0 none */
	bool has_ct; /* ct_id: the conntrack entry its trace saw */
	uint32_t ct_id;
};

/* The host's interfaces by index, sorted: a trace gives indexes, the session names. */
struct byidx {
	unsigned index;
	uint32_t pos;
};

/* A flow put in doubt (doubt()), and when. */
struct doubted {
	struct cta_kcount_elem key;
	uint64_t at_mono; /* 0: free */
};

struct cta_judge {
	struct cta_flowtab *ft;
	const struct cta_host *host;
	struct wait *w;
	size_t n, cap; /* slots in use or freed, and allocated */
	uint32_t *free_pos; /* freed slots, reused first: taking one is O(1) */
	size_t n_free;
	struct cta_hashidx idx;
	struct cta_denials *counts; /* NULL: denials judged by time */
	struct cta_syns *syns; /* NULL: every unclaimed denied packet is an attempt */
	cta_judge_mcast_fn mcast; /* NULL: every multicast group receivable */
	void *mcast_data;
	uint64_t now_mono; /* of the last call that gave one (trace, NFLOG, expire) */
	struct byidx *byidx; /* built at the first lookup (the host is read after _new) */
	size_t n_byidx;
	bool byidx_built;
	struct cta_judge_stats stats;
	uint64_t dumps_begun; /* conntrack dumps begun */
	size_t n_credited; /* waits kept credited (struct wait) */
	bool need_dump; /* the last expiry let a wait through only once a dump shows it */
	uint64_t dump_listed; /* dumps_begun of the last dump that completed */
	bool ct_in_traces; /* the kernel's traces carry conntrack (6.x): no ct is untracked */
	struct cta_kcount_elem doubts[CTA_DOUBT_MAX]; /* cta_judge_take_doubts */
	size_t n_doubts;
	struct doubted doubted[CTA_DOUBT_MAX]; /* put in doubt lately (doubt()) */
};

struct cta_judge *cta_judge_new(struct cta_flowtab *ft, const struct cta_host *host)
{
	struct cta_judge *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->ft = ft;
	j->host = host;
	cta_hashidx_init(&j->idx);
	return j;
}

void cta_judge_use_counts(struct cta_judge *j, struct cta_denials *d)
{
	j->counts = d;
}

void cta_judge_use_syns(struct cta_judge *j, struct cta_syns *s)
{
	j->syns = s;
}

void cta_judge_use_mcast(struct cta_judge *j, cta_judge_mcast_fn fn, void *data)
{
	j->mcast = fn;
	j->mcast_data = data;
}

/*
 * Came in (iif; 0: unknown) from elsewhere (src not the host's) to a multicast group the
 * host cannot receive there (cta_judge_use_mcast): the stack, not a rule, discarded it
 * after prerouting.
 */
static bool mc_lost(struct cta_judge *j, uint8_t family, const union cta_addr *src,
		    const union cta_addr *dst, uint32_t iif)
{
	return j->mcast && cta_addr_is_multicast(family, dst) && iif != LOOPBACK_IFINDEX &&
	       !cta_host_is_local(j->host, family, src) &&
	       !j->mcast(family, dst, iif, j->now_mono, j->mcast_data);
}

/* Asked once, at the attempt's first message, by its input interface (none: sent here). */
static void mc_note(struct cta_judge *j, struct wait *w)
{
	if (w->mc_asked)
		return;
	w->mc_asked = true;
	w->mc_lost = w->iif && mc_lost(j, w->family, &w->tuple.src, &w->tuple.dst, w->iif);
}

/* Undelivered (mc_note) and no rule seen dropping it: no flow, its packets counted so. */
static bool stack_discard(struct cta_judge *j, const struct wait *w, uint64_t packets)
{
	if (w->dropped || !w->mc_lost)
		return false;
	j->stats.undelivered += packets;
	return true;
}

void cta_judge_free(struct cta_judge *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		if (j->w[i].used)
			cta_verdict_unref(j->w[i].verdict);
	free(j->w);
	free(j->free_pos);
	free(j->byidx);
	cta_hashidx_fini(&j->idx);
	free(j);
}

static int byidx_cmp(const void *pa, const void *pb)
{
	const struct byidx *a = pa, *b = pb;

	return a->index < b->index ? -1 : a->index > b->index;
}

/* The host's name of an interface index, or NULL (unknown, or made after the start). */
static const char *ifname(struct cta_judge *j, uint32_t index)
{
	const struct cta_host *h = j->host;
	struct byidx key = { index, 0 }, *hit;

	if (!index)
		return NULL;
	if (!j->byidx_built) {
		j->byidx_built = true;
		j->byidx = calloc(h->n_ifaces ? h->n_ifaces : 1, sizeof(*j->byidx));
		for (size_t i = 0; j->byidx && i < h->n_ifaces; i++)
			if (h->ifaces[i].index)
				j->byidx[j->n_byidx++] =
					(struct byidx){ h->ifaces[i].index, (uint32_t)i };
		if (j->n_byidx)
			qsort(j->byidx, j->n_byidx, sizeof(*j->byidx), byidx_cmp);
	}
	hit = j->n_byidx ? bsearch(&key, j->byidx, j->n_byidx, sizeof(key), byidx_cmp) : NULL;
	return hit && hit->pos < h->n_ifaces ? h->ifaces[hit->pos].name : NULL;
}

static void set_ifaces(struct cta_judge *j, int64_t pos, uint32_t iif, uint32_t oif)
{
	if (pos >= 0 && (iif || oif))
		cta_flowtab_set_ifaces(j->ft, (size_t)pos, ifname(j, iif), ifname(j, oif));
}

/* Ports for port protocols, type/code/id for ICMP, as the flow table keys them. */
static void normalize(uint8_t l4proto, struct cta_tuple *t)
{
	if (cta_proto_has_ports(l4proto)) {
		t->icmp_type = t->icmp_code = 0;
	} else if (cta_proto_is_icmp(l4proto)) {
		t->dport = 0;
	} else {
		t->sport = t->dport = 0;
		t->icmp_type = t->icmp_code = 0;
	}
}

struct key {
	uint8_t family, l4proto;
	uint8_t pad[6];
	struct cta_tuple tuple;
};

static uint64_t key_hash(uint8_t family, uint8_t l4proto, const struct cta_tuple *t)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.l4proto = l4proto;
	k.tuple = *t;
	normalize(l4proto, &k.tuple);
	return cta_hash_words(&k, sizeof(k) & ~(size_t)7);
}

struct q {
	const struct cta_judge *j;
	uint8_t family, l4proto;
	struct cta_tuple tuple;
};

static bool eq(uint32_t pos, const void *ctx)
{
	const struct q *q = ctx;
	const struct wait *w = &q->j->w[pos];

	return w->family == q->family && w->l4proto == q->l4proto &&
	       !memcmp(&w->tuple, &q->tuple, sizeof(q->tuple));
}

static struct wait *find(struct cta_judge *j, uint8_t family, uint8_t l4proto,
			 const struct cta_tuple *t, uint64_t *hash)
{
	struct q q = { j, family, l4proto, *t };
	int64_t pos;

	normalize(l4proto, &q.tuple);
	*hash = key_hash(family, l4proto, t);
	pos = cta_hashidx_find(&j->idx, *hash, eq, &q);
	return pos >= 0 ? &j->w[pos] : NULL;
}

/* The waiting attempt with this tuple, new or the one there. NULL on ENOMEM. */
static struct wait *get(struct cta_judge *j, uint8_t family, uint8_t l4proto,
			const struct cta_tuple *t, uint64_t now_mono, uint64_t now_real)
{
	uint64_t hash;
	struct wait *w = find(j, family, l4proto, t, &hash);
	size_t pos;

	if (w) {
		if (j->counts) /* another packet of it: a retransmit's denial is listed later */
			w->listings_last = cta_denials_stats(j->counts)->listings;
		w->last_mono = now_mono;
		return w;
	}
	if (!j->n_free && j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct wait *nw = realloc(j->w, cap * sizeof(*nw));
		uint32_t *nf;

		if (!nw)
			return NULL;
		j->w = nw;
		nf = realloc(j->free_pos, cap * sizeof(*nf));
		if (!nf)
			return NULL;
		j->free_pos = nf;
		j->cap = cap;
	}
	pos = j->n_free ? j->free_pos[j->n_free - 1] : j->n;
	if (cta_hashidx_add(&j->idx, hash, (uint32_t)pos))
		return NULL;
	if (j->n_free)
		j->n_free--;
	else
		j->n++;
	w = &j->w[pos];
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->hash = hash;
	w->family = family;
	w->l4proto = l4proto;
	w->tuple = *t;
	normalize(l4proto, &w->tuple);
	w->since_mono = w->last_mono = now_mono;
	w->seen_real = now_real;
	w->dump0 = j->dumps_begun;
	if (j->counts) {
		struct cta_denial_key k;

		cta_denial_key(&k, family, l4proto, &w->tuple);
		w->left0 = cta_denials_left(j->counts, &k);
		w->listings0 = w->listings_last = cta_denials_stats(j->counts)->listings;
	}
	return w;
}

static void drop(struct cta_judge *j, struct wait *w)
{
	uint32_t pos = (uint32_t)(w - j->w);

	if (!w->detached)
		cta_hashidx_del(&j->idx, w->hash, pos);
	cta_verdict_unref(w->verdict);
	w->verdict = NULL;
	w->used = false;
	w->detached = false;
	j->n_credited -= w->credited;
	w->credited = false;
	j->free_pos[j->n_free++] = pos; /* n_free < cap: every slot is freed once */
}

/*
 * The same owner as the flow's process, when nothing better is known: NFLOG gives the
 * uid and gid of a local socket's packets (output), not the program.
 */
static int owner_process(struct cta_judge *j, int64_t pos, bool has_uid, uint32_t uid, bool has_gid,
			 uint32_t gid)
{
	struct cta_process *p;

	if (!has_uid || cta_flowtab_flows(j->ft)[pos].process)
		return 0;
	p = cta_process_new();
	if (!p)
		return -ENOMEM;
	p->has_uid = true;
	p->uid = uid;
	p->has_gid = has_gid;
	p->gid = gid;
	return cta_flowtab_set_process(j->ft, (size_t)pos, p);
}

/*
 * Never confirmed. Dropped (or rejected, queued, stolen) by what the trace names, or by
 * something, when NFLOG alone saw it; but a packet the trace saw accepted, or saw no
 * verdict for, was untracked (neighbour discovery, MLD...): no flow at all.
 */
static bool was_denied(const struct wait *w)
{
	return !w->verdict || w->dropped;
}

static uint64_t wait_packets(const struct wait *w)
{
	uint64_t seen = w->traced > w->logged ? w->traced : w->logged;

	return seen > w->counted ? seen - w->counted : 0;
}

/*
 * Does the trace name what denied it? The kernel may count a denial the trace saw
 * accepted by every rule: the stack dropped it between the hooks (no route).
 */
static bool by_rule(const struct cta_judge *j, const struct wait *w)
{
	return w->verdict && (w->dropped || !j->counts);
}

/* A denial nobody named: "unknown", from NFLOG or from the kernel's counts. */
static struct cta_verdict *unknown_denial(enum cta_vsource source)
{
	struct cta_verdict *v = cta_verdict_new();

	if (v) {
		v->verdict = CTA_VERDICT_DROP;
		v->type = CTA_VTYPE_UNKNOWN;
		v->source = (uint8_t)source;
	}
	return v;
}

/* A denial the kernel counted that no trace or NFLOG packet named (unclaimed). */
static bool kernel_unknown(const struct cta_verdict *v)
{
	return cta_verdict_denies(v) && v->type == CTA_VTYPE_UNKNOWN &&
	       v->source == CTA_VSOURCE_KERNEL;
}

/* The verdict of a denied attempt: the trace's (with its sender), or an "unknown". */
static struct cta_verdict *denial(const struct cta_judge *j, const struct wait *w)
{
	struct cta_verdict *v;

	if (by_rule(j, w) && !w->has_uid && !w->has_gid)
		return cta_verdict_ref(w->verdict);
	/* a trace's verdict may be shared with other flows: the owner goes on a copy */
	v = by_rule(j, w) ? cta_verdict_dup(w->verdict)
			  : unknown_denial(w->verdict ? CTA_VSOURCE_KERNEL : CTA_VSOURCE_NFLOG);
	if (!v)
		return NULL;
	v->has_uid = w->has_uid;
	v->uid = w->uid;
	v->has_gid = w->has_gid;
	v->gid = w->gid;
	return v;
}

/* A denial the trace named already, to count an attempt NFLOG alone saw with. */
static struct cta_verdict *named_denial(const struct cta_vtally *t)
{
	for (uint32_t i = 0; t && i < t->n; i++)
		if (cta_verdict_denies(t->g[i].v) && t->g[i].v->type != CTA_VTYPE_UNKNOWN)
			return t->g[i].v;
	return NULL;
}

/*
 * The direction the hooks of a traced first packet say: forward when it reached the
 * forward hook (a DNAT to another host), in when it reached input, out when it left
 * through output; UNKNOWN when the path does not tell.
 */
static enum cta_direction hooks_direction(const struct cta_verdict *v)
{
	bool in = false, out = false;

	for (size_t i = 0; v && i < v->n_path; i++) {
		const char *h = v->path[i].hook;

		if (h && !strcmp(h, "forward"))
			return CTA_DIR_FORWARD;
		in |= h && !strcmp(h, "input");
		out |= h && !strcmp(h, "output");
	}
	return in == out ? CTA_DIR_UNKNOWN : in ? CTA_DIR_IN : CTA_DIR_OUT;
}

/*
 * The hooks win where the addresses say the packet only passed through: a packet
 * that reached input was delivered here whatever its destination address (TPROXY and
 * policy routing deliver foreign addresses locally), and one a local socket sent with
 * a foreign source (IP_TRANSPARENT) left through output. Forward always wins.
 */
static void direction_seen(struct cta_judge *j, int64_t pos, const struct cta_verdict *v)
{
	enum cta_direction d = hooks_direction(v);

	if (pos < 0 || d == CTA_DIR_UNKNOWN)
		return;
	if (d == CTA_DIR_FORWARD || cta_flowtab_flows(j->ft)[pos].direction == CTA_DIR_FORWARD)
		cta_flowtab_set_direction(j->ft, (size_t)pos, d);
}

/*
 * w's trace saw it dropped, by the rule of w->verdict: the denials of its flow (pos)
 * the kernel counted before with no rule known are that rule's too, as those counted
 * after it are (unclaimed(), named_denial): what they are does not depend on when a
 * trace came (a flow in doubt is traced at random, cta_table_doubt; a denied connect's
 * SYN again in a burst, then one a second). Both kinds of denied attempt, counted
 * here or handed out by the SYN sets, come this way. 0 or -ENOMEM.
 */
static int name_unknown_denials(struct cta_judge *j, size_t pos, const struct wait *w)
{
	int64_t n = cta_flowtab_rename_verdicts(j->ft, pos, kernel_unknown, w->verdict, UINT64_MAX);

	return n < 0 ? (int)n : 0;
}

static int denied(struct cta_judge *j, struct wait *w, uint64_t packets)
{
	struct cta_verdict *v;
	int64_t pos;
	int err;

	/* no rule seen dropping it, to a group nobody held where it came in: the stack's */
	if (stack_discard(j, w, packets ? packets : 1))
		return 0;
	/* a denied connect counted here: none for the SYN sets to hand out (syns.h) */
	if (j->syns && w->has_isn && w->l4proto == IPPROTO_TCP) {
		int handed = cta_syns_own(j->syns, w->family, &w->tuple, w->isn, j->now_mono);

		if (handed < 0)
			return handed;
		if (handed) {
			/* counted already, from the sets: these are its packets */
			j->stats.retransmits += packets;
			pos = cta_flowtab_add_denied(j->ft, w->family, w->l4proto, &w->tuple,
						     j->host, w->seen_real, packets, 0);
			if (pos < 0 || !by_rule(j, w))
				return pos < 0 ? (int)pos : 0;
			/* counted with no rule known, and its trace names one: its own, then */
			if (!(v = denial(j, w)))
				return -ENOMEM;
			err = (int)cta_flowtab_rename_verdicts(j->ft, (size_t)pos, kernel_unknown,
							       v, 1);
			cta_verdict_unref(v);
			return err < 0 ? err : name_unknown_denials(j, (size_t)pos, w);
		}
	}
	pos = cta_flowtab_add_denied(j->ft, w->family, w->l4proto, &w->tuple, j->host, w->seen_real,
				     packets ? packets : 1, 1);
	if (pos < 0)
		return (int)pos;
	direction_seen(j, pos, w->verdict);
	set_ifaces(j, pos, w->iif, w->oif);
	j->stats.denied++;
	/* NFLOG alone knows less than a trace that named the rule: count it there */
	v = by_rule(j, w)
		    ? NULL
		    : named_denial(cta_flowtab_verdicts_of(j->ft, &cta_flowtab_flows(j->ft)[pos]));
	if (v)
		return cta_flowtab_add_verdict(j->ft, (size_t)pos, v, 1);
	v = denial(j, w);
	if (!v)
		return -ENOMEM;
	/* one more attempt denied: beside, never instead of, what other attempts got */
	err = cta_flowtab_add_verdict(j->ft, (size_t)pos, v, 1);
	cta_verdict_unref(v);
	if (!err && w->dropped && j->counts)
		err = name_unknown_denials(j, (size_t)pos, w);
	return err ? err : owner_process(j, pos, w->has_uid, w->uid, w->has_gid, w->gid);
}

/*
 * Denied by time (no kernel count to take): recorded with the packets seen, and kept
 * a while (settled): its retransmits are not new attempts. 0 or -errno.
 */
static int settle(struct cta_judge *j, struct wait *w)
{
	uint64_t packets = wait_packets(w);
	int err = denied(j, w, packets);

	w->settled = true;
	w->counted += packets;
	return err;
}

/* A recorded denial's retransmits, counted as packets of its flow; then it goes. */
static int retransmits_done(struct cta_judge *j, struct wait *w)
{
	uint64_t packets = j->counts ? 0 : wait_packets(w); /* counted: the kernel did */
	int64_t pos = 0;

	if (packets && stack_discard(j, w, packets))
		packets = 0;
	if (packets) {
		j->stats.retransmits += packets;
		pos = cta_flowtab_add_denied(j->ft, w->family, w->l4proto, &w->tuple, j->host,
					     w->seen_real, packets, 0);
	}
	drop(j, w);
	return pos < 0 ? (int)pos : 0;
}

/* Out of the index: found by its tuple no more, it waits for its denial's count alone. */
static void detach(struct cta_judge *j, struct wait *w)
{
	cta_hashidx_del(&j->idx, w->hash, (uint32_t)(w - j->w));
	w->detached = true;
}

static void note_isn(struct wait *w, bool has_isn, uint32_t isn)
{
	if (has_isn && !w->has_isn) {
		w->has_isn = true;
		w->isn = isn;
	}
}

/*
 * A SYN of another connection than the denied attempt w's, by its initial sequence
 * number: the client used the source port again within RETRANSMIT_NS (a connect that
 * failed leaves no TIME_WAIT). A retransmit has w's.
 */
static bool other_connection(const struct wait *w, bool has_isn, uint32_t isn)
{
	return !w->credited && was_denied(w) && w->has_isn && has_isn && isn != w->isn;
}

static int owe(struct cta_judge *j, const struct wait *w, uint64_t now_mono);

/*
 * w's attempt is done, another connection of its tuple begins: a denied one goes (its
 * packets it could not take owed, cta_denials_owe), one not decided yet is detached
 * to wait alone. 0 or -errno.
 */
static int next_connection(struct cta_judge *j, struct wait *w, uint64_t now_mono)
{
	int err = 0;

	if (!w->settled) {
		detach(j, w);
		return 0;
	}
	if (j->counts)
		err = owe(j, w, now_mono);
	return err ? err : retransmits_done(j, w);
}

/* The flow of an open connection this packet belongs to, or -1. */
static int64_t confirmed(const struct cta_judge *j, bool has_ct, uint32_t ct_id, uint8_t family,
			 uint8_t l4proto, const struct cta_tuple *t)
{
	/* by id and tuple: another connection's id may be the same 32-bit hash */
	int64_t pos = has_ct ? cta_flowtab_conn_flow_of(j->ft, ct_id, family, l4proto, t) : -1;

	return pos >= 0 ? pos : cta_flowtab_conn_by_tuple(j->ft, family, l4proto, t);
}

/* A confirmed connection's verdict, counted once per connection. */
static int count_confirmed(struct cta_judge *j, const struct cta_judgement *jd, int64_t pos,
			   struct cta_verdict *verdict)
{
	int err = 0;

	set_ifaces(j, pos, jd->iif, jd->oif);
	if (!jd->has_ct || !cta_flowtab_conn_judged(j->ft, jd->ct_id)) {
		err = cta_flowtab_add_verdict(j->ft, (size_t)pos, verdict, 1);
		direction_seen(j, pos, verdict);
	}
	cta_verdict_unref(verdict);
	return err;
}

int cta_judge_trace(struct cta_judge *j, const struct cta_judgement *jd,
		    struct cta_verdict *verdict, uint64_t now_mono, uint64_t now_real)
{
	struct wait *w;
	int64_t pos;

	j->now_mono = now_mono;
	j->stats.judgements++;
	if (!verdict)
		return -ENOMEM;
	if (jd->has_ct && jd->ct_dir != 0) {
		/* a reply's first packet: not a flow's first packet */
		j->stats.replies++;
		cta_verdict_unref(verdict);
		return 0;
	}
	if (jd->by_kernel) {
		/*
		 * synproxy's SYN to the server, on the client's behalf: the client's own
		 * SYN, which the synproxy rule answered, waits for this connection by the
		 * same tuple and says what decided it; this one must not replace it.
		 */
		j->stats.by_kernel++;
		cta_verdict_unref(verdict);
		return 0;
	}
	if (jd->has_ct && (jd->ct_state & NF_CT_STATE_BIT(IP_CT_ESTABLISHED))) {
		/*
		 * A SYN sent again after the reply was seen (the server's SYN-ACK waited
		 * for neighbour discovery): traced like a first packet, decided by
		 * `ct state established accept`. Its first packet said what decided it.
		 */
		j->stats.established++;
		cta_verdict_unref(verdict);
		return 0;
	}
	j->ct_in_traces |= jd->has_ct;
	pos = confirmed(j, jd->has_ct, jd->ct_id, jd->family, jd->l4proto, &jd->tuple);
	if (pos >= 0)
		return count_confirmed(j, jd, pos, verdict);
	w = get(j, jd->family, jd->l4proto, &jd->tuple, now_mono, now_real);
	if (!w) {
		cta_verdict_unref(verdict);
		return -ENOMEM;
	}
	if (w->credited) {
		/* its connection traced again (unanswered, or one-way): counted already */
		if (jd->has_ct && w->has_ct && jd->ct_id == w->ct_id) {
			cta_verdict_unref(verdict);
			return 0;
		}
		/* another connection of the tuple: an attempt of its own */
		drop(j, w);
		w = get(j, jd->family, jd->l4proto, &jd->tuple, now_mono, now_real);
		if (!w) {
			cta_verdict_unref(verdict);
			return -ENOMEM;
		}
	}
	if (w->settled && !cta_verdict_denies(verdict)) {
		/*
		 * A retransmit let through after its attempt was denied (a rate limit): the
		 * denied attempt is done, this one is an attempt of its own.
		 */
		int err = retransmits_done(j, w);

		w = err ? NULL : get(j, jd->family, jd->l4proto, &jd->tuple, now_mono, now_real);
		if (!w) {
			cta_verdict_unref(verdict);
			return err ? err : -ENOMEM;
		}
	}
	if (other_connection(w, jd->has_isn, jd->isn)) {
		int err = next_connection(j, w, now_mono);

		w = err ? NULL : get(j, jd->family, jd->l4proto, &jd->tuple, now_mono, now_real);
		if (!w) {
			cta_verdict_unref(verdict);
			return err ? err : -ENOMEM;
		}
	}
	if (w->dropped && !cta_verdict_denies(verdict) && jd->has_ct && w->has_ct &&
	    w->ct_id == jd->ct_id && (jd->oif == LOOPBACK_IFINDEX || w->iif == LOOPBACK_IFINDEX)) {
		/*
		 * The same packet's earlier hooks, judged after its drop: a local packet to
		 * this host is confirmed at postrouting and looped back through lo, where its
		 * input drop is often traced first. A drop anywhere is final.
		 */
		cta_verdict_unref(verdict);
		return 0;
	}
	if (w->dropped && !cta_verdict_denies(verdict)) {
		/*
		 * A retransmit let through (a rate limit) before the drop it follows was
		 * recorded: that drop is a denied attempt still, which the accept must not
		 * overwrite (its denial came back without its rule); this one is another.
		 */
		detach(j, w);
		w = get(j, jd->family, jd->l4proto, &jd->tuple, now_mono, now_real);
		if (!w) {
			cta_verdict_unref(verdict);
			return -ENOMEM;
		}
	}
	note_isn(w, jd->has_isn, jd->isn);
	cta_verdict_unref(w->verdict);
	w->verdict = verdict;
	w->has_ct = jd->has_ct;
	w->ct_id = jd->ct_id;
	if (!w->iif)
		w->iif = jd->iif;
	if (!w->oif)
		w->oif = jd->oif;
	mc_note(j, w);
	/* the verdict's, not the judgement's: iptables-legacy may have dropped it (ltrace.h) */
	w->dropped = cta_verdict_denies(verdict);
	/*
	 * Not one looped back: sent over lo, it was counted leaving at postrouting, so a
	 * drop at its prerouting or input is no denial the kernel counts
	 */
	w->entered = (jd->reached & CTA_REACHED_ENTERED) && jd->iif != LOOPBACK_IFINDEX &&
		     jd->oif != LOOPBACK_IFINDEX;
	w->traced++;
	return 0;
}

int cta_judge_nflog(struct cta_judge *j, const struct cta_nflog_packet *p, uint64_t now_mono,
		    uint64_t now_real)
{
	struct wait *w;
	int64_t pos;

	j->now_mono = now_mono;
	j->stats.nflog++;
	pos = confirmed(j, p->has_ct, p->ct_id, p->family, p->l4proto, &p->tuple);
	/* where it came in, when no trace said it (--trace none) */
	set_ifaces(j, pos, p->indev, p->outdev);
	if (pos >= 0)
		return owner_process(j, pos, p->has_uid, p->uid, p->has_gid, p->gid);
	w = get(j, p->family, p->l4proto, &p->tuple, now_mono, now_real);
	if (w && w->credited && !(p->has_ct && w->has_ct && p->ct_id == w->ct_id)) {
		drop(j, w); /* another connection of the tuple: an attempt of its own */
		w = get(j, p->family, p->l4proto, &p->tuple, now_mono, now_real);
	}
	if (w && other_connection(w, p->has_isn, p->isn)) {
		int err = next_connection(j, w, now_mono);

		if (err)
			return err;
		w = get(j, p->family, p->l4proto, &p->tuple, now_mono, now_real);
	}
	if (!w)
		return -ENOMEM;
	if (w->credited)
		return 0;
	note_isn(w, p->has_isn, p->isn);
	w->logged++;
	if (!w->has_ct && p->has_ct) {
		w->has_ct = true;
		w->ct_id = p->ct_id;
	}
	if (!w->iif)
		w->iif = p->indev;
	if (!w->oif)
		w->oif = p->outdev;
	mc_note(j, w);
	w->has_uid = p->has_uid;
	w->uid = p->uid;
	w->has_gid = p->has_gid;
	w->gid = p->gid;
	return 0;
}

/* A waiting attempt let through: its verdict, interfaces and owner to the flow at pos. */
static int credit(struct cta_judge *j, struct wait *w, int64_t pos, const uint32_t *ct_id)
{
	int err = 0;

	set_ifaces(j, pos, w->iif, w->oif);
	if (w->verdict && (!ct_id || !cta_flowtab_conn_judged(j->ft, *ct_id))) {
		err = cta_flowtab_add_verdict(j->ft, (size_t)pos, w->verdict, 1);
		direction_seen(j, pos, w->verdict);
	}
	if (!err)
		err = owner_process(j, pos, w->has_uid, w->uid, w->has_gid, w->gid);
	return err;
}

/* A waiting attempt whose connection showed up (an event, a dump): accepted. */
static int accept_wait(struct cta_judge *j, struct wait *w, int64_t pos, const uint32_t *ct_id)
{
	int err;

	j->stats.accepted_late++;
	err = credit(j, w, pos, ct_id);
	drop(j, w);
	return err;
}

/*
 * Has a dump begun after w's first packet completed? Its connection, open then, was
 * listed (and accepted w); ended before, its DESTROY was read, unless held back.
 */
static bool listed(const struct cta_judge *j, const struct wait *w)
{
	return j->dump_listed > w->dump0;
}

/*
 * Is the flow of w's tuple the flow of its connection? The kernel's counts say its
 * first packets left untranslated: no NAT made the connection's reply another.
 */
static bool untranslated(const struct cta_judge *j, const struct wait *w)
{
	struct cta_denial_key k;

	if (!j->counts)
		return false;
	cta_denial_key(&k, w->family, w->l4proto, &w->tuple);
	return cta_denials_untranslated(j->counts, &k);
}

/*
 * An attempt the kernel counted no denial for: let through. Not before a dump begun
 * after it completed (listed), or the end (final), unless its flow left untranslated
 * (its tuple keys its connection's flow): its connection, open then, was listed and
 * took it; one still waiting had gone before the dump with its DESTROY late (held
 * back by an overrun), or was never tracked. An untracked packet (no conntrack entry
 * where traces carry them) is no flow: let go, once a dump said so. Otherwise what it
 * tells goes to its flow, made pending if no connection of it is known yet
 * (cta_flowtab_flow_for; a NATed connection's flow, whose key has the translated
 * reply, is not the one made here). One let through by its tuple before its
 * connection is known stays, credited, until that shows up. 0 (also when it must wait
 * on: need_dump), or -errno.
 */
static int let_through(struct cta_judge *j, struct wait *w, bool final)
{
	bool shown = final || listed(j, w), keep;
	int64_t pos;
	int err;

	if (!shown && !untranslated(j, w)) {
		j->need_dump = true;
		return 0;
	}
	pos = cta_flowtab_conn_by_tuple(j->ft, w->family, w->l4proto, &w->tuple);
	if (pos < 0 && !w->has_ct && j->ct_in_traces) {
		if (!shown) {
			j->need_dump = true; /* untracked, or no ct id in its NFLOG packet */
			return 0;
		}
		j->stats.passed++;
		j->stats.untracked++;
		drop(j, w);
		return 0;
	}
	/* its connection, with an id, not shown yet: kept, credited, until it is */
	keep = pos < 0 && !shown && w->has_ct;
	j->stats.passed++;
	if (pos < 0)
		pos = cta_flowtab_flow_for(j->ft, w->family, w->l4proto, &w->tuple, j->host);
	if (pos < 0) {
		drop(j, w);
		return (int)pos;
	}
	err = credit(j, w, pos, !keep && w->has_ct ? &w->ct_id : NULL);
	if (!keep) {
		drop(j, w);
		return err;
	}
	w->credited = true;
	j->n_credited++;
	cta_verdict_unref(w->verdict); /* counted: a retrace of its connection adds nothing */
	w->verdict = NULL;
	return err;
}

/*
 * Did packets of this attempt's flow leave the filter hooks since it began (the
 * kernel's count grew)? Then an attempt its trace saw accepted was let through, and a
 * denial counted for the flow is another attempt's (a rate limit's).
 */
static bool flow_left(const struct cta_judge *j, const struct wait *w)
{
	struct cta_denial_key k;

	cta_denial_key(&k, w->family, w->l4proto, &w->tuple);
	return cta_denials_left(j->counts, &k) > w->left0;
}

int cta_judge_conntrack(struct cta_judge *j, const struct cta_event *ev)
{
	uint64_t hash;
	struct wait *w;
	int64_t pos;

	/*
	 * A NEW event (subscribed to only for --events, or without kernel counts), a
	 * dump entry or a DESTROY makes a connection known; the flow table has taken it
	 * already. Expiry looks once more anyway.
	 */
	if (!j->idx.used || (ev->type != CTA_EV_CT_NEW && ev->type != CTA_EV_CT_DUMP &&
			     ev->type != CTA_EV_CT_DESTROY))
		return 0;
	w = find(j, ev->family, ev->l4proto, &ev->orig, &hash);
	if (!w)
		return 0;
	/* the same tuple's older connection (a port reused after TIME_WAIT): not this one */
	if (w->has_ct && (ev->flags & CTA_EVF_ID) && ev->id != w->ct_id)
		return 0;
	if (w->settled) /* let in after all: a new connection, its own verdict */
		return retransmits_done(j, w);
	if (w->credited) {
		/* its connection, counted already: judged from now on, the wait done */
		if (ev->flags & CTA_EVF_ID)
			(void)cta_flowtab_conn_judged(j->ft, ev->id);
		drop(j, w);
		return 0;
	}
	pos = cta_flowtab_flow_of(j->ft, ev);
	return pos >= 0 ? accept_wait(j, w, pos, &ev->id) : 0;
}

/*
 * The kernel's denials of this attempt's flow, up to the packets trace or NFLOG saw
 * of it: the first make it a denied attempt with its verdict, later ones (its
 * retransmits) add packets. 1 if the kernel counted any, 0 if not, or -errno.
 */
static int claim(struct cta_judge *j, struct wait *w)
{
	uint64_t want = wait_packets(w), n;
	struct cta_denial_key k;
	int64_t pos;
	int err;

	if (w->settled && !want)
		return 0; /* no retransmit seen since: nothing to take */
	cta_denial_key(&k, w->family, w->l4proto, &w->tuple);
	n = cta_denials_take(j->counts, &k, want ? want : 1);
	if (!n)
		return 0;
	/*
	 * Only what the kernel has counted so far is taken: packets seen beyond it stay
	 * to claim its next listing, or they would come back as unclaimed attempts.
	 */
	w->counted += n;
	if (w->settled && stack_discard(j, w, n))
		return 1; /* retransmits of an undelivered one: no flow either */
	if (w->settled) {
		j->stats.retransmits += n;
		pos = cta_flowtab_add_denied(j->ft, w->family, w->l4proto, &w->tuple, j->host,
					     w->seen_real, n, 0);
		return pos < 0 ? (int)pos : 1;
	}
	err = denied(j, w, n);
	w->settled = true; /* kept a while: its retransmits are not new attempts */
	return err ? err : 1;
}

/* A packet tuple of the counted flow k (no source port: the kernel keys flows without) */
static struct cta_tuple key_tuple(const struct cta_denial_key *k)
{
	struct cta_tuple t = { .src = k->src,
			       .dst = k->dst,
			       .dport = k->dport,
			       .icmp_type = k->icmp_type,
			       .icmp_code = k->icmp_code };

	return t;
}

/*
 * A flow is put in doubt again only when half the doubt sets' timeout has passed since
 * it last was: until then its element is there (a listing finds its new denials unnamed
 * again as long as no sampled trace has named their rule).
 */
#define DOUBT_AGAIN_NS (CTA_DOUBT_TIMEOUT_MS / 2 * 1000000ULL)

/* Was key put in doubt less than DOUBT_AGAIN_NS ago? If not, it is noted as now. */
static bool doubted_lately(struct cta_judge *j, const struct cta_kcount_elem *key)
{
	struct doubted *d, *oldest = &j->doubted[0];

	for (d = j->doubted; d < j->doubted + CTA_DOUBT_MAX; d++) {
		if (d->at_mono && !memcmp(&d->key, key, sizeof(*key))) {
			if (cta_elapsed_ns(j->now_mono, d->at_mono) < DOUBT_AGAIN_NS)
				return true;
			oldest = d;
			break;
		}
		if (d->at_mono < oldest->at_mono)
			oldest = d;
	}
	oldest->key = *key;
	oldest->at_mono = j->now_mono ? j->now_mono : 1;
	return false;
}

/*
 * Flow k's denials have no rule named: its packets are to be traced at random
 * (cta_table_doubt). A flow of ports (UDP, SCTP...) but TCP, whose dropped SYNs are
 * traced as they are sent again; ICMP's first packets are traced by echo identifier.
 */
static void doubt(struct cta_judge *j, const struct cta_denial_key *k)
{
	struct cta_kcount_elem e;

	if (!k->dport || k->l4proto == IPPROTO_TCP || j->n_doubts >= CTA_DOUBT_MAX)
		return;
	memset(&e, 0, sizeof(e));
	e.family = k->family;
	e.l4proto = k->l4proto;
	e.dport = k->dport;
	e.src = k->src;
	e.dst = k->dst;
	if (!doubted_lately(j, &e))
		j->doubts[j->n_doubts++] = e;
}

size_t cta_judge_take_doubts(struct cta_judge *j, const struct cta_kcount_elem **keys)
{
	size_t n = j->n_doubts;

	*keys = j->doubts;
	j->n_doubts = 0;
	return n;
}

/*
 * Denied packets the kernel counted that no trace or NFLOG packet claimed: each an
 * attempt of its own. NFLOG logs the first packets of flows never let through
 * (nft/table.c), so these are of a flow some of whose attempts were let through (a
 * rate limit, a meter), or packets whose messages were lost. TCP's are SYNs, whose
 * retransmits are no attempts: the SYN sets tell which are (cta_syns_attempts);
 * without them (or when they could not be trusted) an upper bound. Those owed
 * (cta_denials_owe) are packets of attempts recorded already: their retransmits.
 */
static int unclaimed(const struct cta_denial_key *k, uint64_t attempts, uint64_t owed, void *data)
{
	struct cta_judge *j = data;
	struct cta_tuple t = key_tuple(k);
	int64_t pos;
	struct cta_verdict *v;
	int err;

	/* no attempt, so no interface: a group held on any interface may have taken it */
	if (mc_lost(j, k->family, &k->src, &k->dst, 0)) {
		j->stats.undelivered += attempts + owed;
		return 0;
	}
	if (attempts && j->syns && k->l4proto == IPPROTO_TCP) {
		uint64_t a = cta_syns_attempts(j->syns, k, attempts, j->now_mono);

		owed += attempts - a;
		attempts = a;
	}
	pos = cta_flowtab_add_denied(j->ft, k->family, k->l4proto, &t, j->host, cta_now_real_ns(),
				     attempts + owed, attempts);
	if (pos < 0)
		return (int)pos;
	j->stats.retransmits += owed;
	if (!attempts)
		return 0;
	j->stats.denied += attempts;
	/* counted with the rule a trace named for the flow's denials, if one did */
	v = named_denial(cta_flowtab_verdicts_of(j->ft, &cta_flowtab_flows(j->ft)[pos]));
	if (v)
		return cta_flowtab_add_verdict(j->ft, (size_t)pos, v, attempts);
	doubt(j, k);
	if (!(v = unknown_denial(CTA_VSOURCE_KERNEL)))
		return -ENOMEM;
	err = cta_flowtab_add_verdict(j->ft, (size_t)pos, v, attempts);
	cta_verdict_unref(v);
	return err;
}

static bool in_doubt(const struct cta_judge *j, const struct wait *w)
{
	struct cta_denial_key k;

	cta_denial_key(&k, w->family, w->l4proto, &w->tuple);
	return cta_denials_uncounted(j->counts, &k);
}

/*
 * An attempt unconfirmed for the wait and none of its denials counted: denied if its
 * trace saw it dropped. Of a flow the kernel could not count (IN_DOUBT), NFLOG alone
 * proves nothing: under the load that starves the kernel's counters, conntrack's NEW
 * event is as likely lost (seen at 100k new flows/s: 105 accepted flows called
 * denied). It is let go and counted unsure. 0 or -errno.
 */
static int by_time(struct cta_judge *j, struct wait *w, bool in_doubt, bool final)
{
	if (in_doubt && !w->verdict) {
		j->stats.unsure += wait_packets(w);
		drop(j, w);
		return 0;
	}
	if (!was_denied(w)) /* its trace saw it accepted */
		return let_through(j, w, final);
	return settle(j, w);
}

/*
 * How long w has waited at NOW_MONO, 0 if it began later: record reads the clock, then
 * judges the traces gone quiet (their waits begin at a later reading), then expires.
 */
static uint64_t age_of(const struct wait *w, uint64_t now_mono)
{
	return cta_elapsed_ns(now_mono, w->since_mono);
}

/*
 * How long after its first packet a denied attempt is kept, its retransmits its
 * packets: RETRANSMIT_NS; a TCP connect still sending its SYN, until its next
 * retransmit could come. The client backs off exponentially (SYNs 1, 3, 7, 15, 31 and
 * 63 s after the first with net.ipv4.tcp_syn_retries 6, the default; after 4 linear
 * ones since 6.7): the next comes about as long after the last as the last came after
 * the first, and a first timeout more. CTA_SYNS_KEEP_NS at the most (the client gives
 * up after 127 s). A connect refused silently (a policy drop) lasts that long: kept
 * for 10 s, it was 3 attempts (helper-40).
 */
static uint64_t keep_ns(const struct wait *w)
{
	uint64_t keep;

	if (w->l4proto != IPPROTO_TCP || !w->has_isn)
		return RETRANSMIT_NS;
	keep = 2 * cta_elapsed_ns(w->last_mono, w->since_mono) + SYN_RTO_NS;
	if (keep < RETRANSMIT_NS)
		return RETRANSMIT_NS;
	return keep < CTA_SYNS_KEEP_NS ? keep : CTA_SYNS_KEEP_NS;
}

/* Listings of the counting sets done since there were LISTINGS of them. */
static uint64_t listings_since(const struct cta_judge *j, uint64_t listings)
{
	return cta_denials_stats(j->counts)->listings - listings;
}

/*
 * Has the kernel had time to count w's denial, if any: DETAIL_KEEP_NS, and
 * LISTINGS_DUE listings of the counting sets since it began?
 */
static bool counted_due(const struct cta_judge *j, const struct wait *w, uint64_t age)
{
	return age >= DETAIL_KEEP_NS && listings_since(j, w->listings0) >= LISTINGS_DUE;
}

/* Its trace saw it accepted by every chain: no denial taken before it is due. */
static bool seen_accepted(const struct wait *w)
{
	return w->verdict && !w->dropped;
}

/*
 * A first packet the kernel counted entering, due, and no denial of its flow listed
 * for it: a drop its trace saw after the count chains (CTA_REACHED_ENTERED), or one
 * NFLOG alone saw (logged after them, at mangle, and only while its flow had not left
 * the filter hooks) of a flow no packet of which left since. The count comes late: a
 * set's dump can miss an element while the kernel resizes the set under a flood, or
 * another wait of the flow took it (its retransmit's denial, not listed yet: each
 * takes what the flow has). It waits LATE_LISTINGS more listings to take one. Then
 * nothing is recorded by time: the kernel's count is the denial, and one nothing
 * claims is still an attempt (unclaimed). The one its trace saw dropped took its
 * denial otherwise (its trace came after its NFLOG message, whose wait was settled
 * and gone); the one NFLOG alone saw is let through. 0 or -errno.
 */
static int counted_unlisted(struct cta_judge *j, struct wait *w, bool final)
{
	if (!final && listings_since(j, w->listings0) < LISTINGS_DUE + LATE_LISTINGS)
		return 0;
	if (!w->verdict)
		return let_through(j, w, final);
	j->stats.passed++;
	drop(j, w);
	return 0;
}

/*
 * The order waits take their flows' denials in, a flow's denials being one balance:
 * denied attempts' retransmits first (0: their packets are older, likelier listed),
 * then traced attempts (1: their rule names the denials NFLOG alone saw after them),
 * then those NFLOG alone saw (2).
 */
static size_t claim_order(const struct wait *w)
{
	return w->settled ? 0 : w->verdict ? 1 : 2;
}

/*
 * A denied attempt goes, due, with packets seen that it could not take: another
 * attempt of its flow took their counts, its own packet listed later. The flow's next
 * denials nothing claims are these packets (cta_denials_owe), not attempts.
 */
static int owe(struct cta_judge *j, const struct wait *w, uint64_t now_mono)
{
	uint64_t packets = wait_packets(w);
	struct cta_denial_key k;

	if (!packets)
		return 0;
	cta_denial_key(&k, w->family, w->l4proto, &w->tuple);
	return cta_denials_owe(j->counts, &k, packets, now_mono);
}

/* cta_judge_expire with kernel counts: see judge.h. */
static int expire_counted(struct cta_judge *j, uint64_t now_mono, uint64_t wait_ns)
{
	int err = 0;

	j->need_dump = false;
	for (size_t k = 0; k < 3 * j->n && err >= 0; k++) {
		struct wait *w = &j->w[k % j->n];
		uint64_t age = age_of(w, now_mono);
		bool due;

		if (!w->used || k / j->n != claim_order(w))
			continue;
		if (w->credited) {
			/* a dump begun after it would have shown its connection */
			if (!wait_ns || listed(j, w))
				drop(j, w);
			continue;
		}
		due = !wait_ns || counted_due(j, w, age);
		/*
		 * NFLOG alone: its trace, which names the rule, may come later (2 s); in
		 * doubt or not, nothing to do before (asked first: the doubt is a lookup, and
		 * a flood of new flows keeps thousands of these waiting every tick)
		 */
		if (!w->settled && !w->verdict && wait_ns && age < wait_ns)
			continue;
		if (!w->settled && in_doubt(j, w)) {
			/*
			 * The kernel's count proves nothing: time must, as without counts. A
			 * denial counted for the flow is taken only by an attempt a trace saw
			 * dropped: one seen accepted, or seen by NFLOG alone (every first
			 * packet of a flow never let through is logged), would take a balance
			 * the kernel's failed count made (entered counted, left not).
			 */
			if (wait_ns && age < wait_ns)
				continue;
			err = w->verdict && w->dropped ? claim(j, w) : 0;
			if (err == 0)
				err = by_time(j, w, true, !wait_ns);
			continue;
		}
		/*
		 * Seen accepted: its connection shows up at its DESTROY or the next dump, so
		 * a denial of its flow now is as likely another attempt's (a rate limit's).
		 * Due, it takes one only if none of the flow's packets left since it began:
		 * the stack dropped it between the hooks (no route).
		 */
		if (!w->settled && seen_accepted(w)) {
			if (!due)
				continue;
			if (flow_left(j, w)) {
				err = let_through(j, w, !wait_ns);
				continue;
			}
		}
		err = claim(j, w);
		if (err < 0)
			break;
		if (w->settled &&
		    (!wait_ns ||
		     (age >= keep_ns(w) && listings_since(j, w->listings_last) >= LISTINGS_DUE))) {
			/* its retransmits' denials listed (and claimed) before it goes */
			err = owe(j, w, now_mono);
			drop(j, w);
		} else if (!w->settled && due) {
			/*
			 * A drop the trace saw and the kernel did not count happened before
			 * the counting began (a netdev ingress chain, raw): the trace says so.
			 */
			if (w->verdict && w->dropped && !w->entered)
				err = by_time(j, w, false, !wait_ns);
			else if ((w->verdict && w->dropped) || (!w->verdict && !flow_left(j, w)))
				err = counted_unlisted(j, w, !wait_ns);
			else
				err = let_through(j, w, !wait_ns);
		}
	}
	if (err < 0)
		return err;
	if (!wait_ns && j->syns)
		cta_syns_final(j->syns);
	/* a denial waits for its trace or NFLOG packet as long as they wait for it */
	return cta_denials_expire(j->counts, now_mono, wait_ns ? DETAIL_KEEP_NS : 0, unclaimed, j);
}

int cta_judge_expire(struct cta_judge *j, uint64_t now_mono, uint64_t wait_ns)
{
	int err = 0;

	j->now_mono = now_mono;
	if (j->counts)
		return expire_counted(j, now_mono, wait_ns);

	for (size_t i = 0; i < j->n && !err; i++) {
		struct wait *w = &j->w[i];
		int64_t pos;

		if (!w->used)
			continue;
		if (w->settled) {
			if (!wait_ns || age_of(w, now_mono) >= keep_ns(w))
				err = retransmits_done(j, w);
			continue;
		}
		if (wait_ns && age_of(w, now_mono) < wait_ns)
			continue;
		/* a detached drop's tuple is its let-through retransmit's connection's */
		pos = w->detached
			      ? -1
			      : cta_flowtab_conn_by_tuple(j->ft, w->family, w->l4proto, &w->tuple);
		if (pos >= 0) {
			err = accept_wait(j, w, pos, NULL);
			continue;
		}
		if (!was_denied(w)) {
			j->stats.untracked++;
			drop(j, w);
			continue;
		}
		err = settle(j, w);
	}
	return err;
}

static int add_unseen(const struct cta_denial_key *k, uint64_t packets, uint64_t connections,
		      void *data)
{
	struct cta_judge *j = data;
	struct cta_tuple t = key_tuple(k);
	int64_t pos = cta_flowtab_add_unseen(j->ft, k->family, k->l4proto, &t, j->host,
					     cta_now_real_ns(), packets, connections);

	if (pos < 0)
		return (int)pos;
	j->stats.unseen += connections;
	return 0;
}

void cta_judge_dump_begin(struct cta_judge *j)
{
	j->dumps_begun++;
}

void cta_judge_dump_end(struct cta_judge *j, bool complete)
{
	if (complete)
		j->dump_listed = j->dumps_begun;
}

/* Credited waits kept (for their connections' retraces) before a dump clears them. */
#define CREDITED_MAX 65536

bool cta_judge_waiting(const struct cta_judge *j)
{
	return j->need_dump || j->n_credited > CREDITED_MAX;
}

int cta_judge_unseen(struct cta_judge *j)
{
	const struct cta_flow *f = cta_flowtab_flows(j->ft);
	size_t n = cta_flowtab_count(j->ft);

	if (!j->counts)
		return 0;
	/* a flow's connections may be NATed: its key's original side is the kernel's */
	for (size_t i = 0; i < n; i++) {
		struct cta_tuple t = { .src = f[i].key.src,
				       .dst = f[i].key.dst,
				       .dport = f[i].key.dport,
				       .icmp_type = f[i].key.icmp_type,
				       .icmp_code = f[i].key.icmp_code };
		struct cta_denial_key k;

		if (cta_flowtab_pending(&f[i]))
			continue; /* no connection of it seen: the kernel's count says them */
		cta_denial_key(&k, f[i].key.family, f[i].key.l4proto, &t);
		cta_denials_mark_seen(j->counts, &k);
	}
	return cta_denials_each_unseen(j->counts, add_unseen, j);
}

const struct cta_judge_stats *cta_judge_stats(const struct cta_judge *j)
{
	return &j->stats;
}
