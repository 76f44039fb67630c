// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/flowtab.h"

#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"

/*
 * ENDED: its DESTROY came while a dump was under way; kept until the dump ends, as a
 * listing the kernel filled before that DESTROY may still come after it.
 */
enum conn_state { CONN_FREE = 0, CONN_OPEN, CONN_SWEPT, CONN_ENDED };

/*
 * How long a connection a dump no longer listed waits for its DESTROY, in seconds:
 * with reliable delivery the kernel sends one that did not fit again (every 100 ms
 * while the socket is full), so it comes within seconds unless the reader stays
 * behind; one that comes after this is counted as a connection of its own.
 */
#define SWEPT_KEEP_S 60

struct conn {
	uint32_t id;
	uint32_t flow;
	uint32_t gen; /* the last dump that contained it; swept: when (s, the dump's clock) */
	uint8_t state : 2; /* enum conn_state; the free list is chained through flow */
	uint8_t counted : 1; /* packets/bytes below hold an earlier reading */
	uint8_t judged : 1; /* its first packet's verdict was counted */
	uint8_t leftover : 1; /* counted in its flow's leftover, nothing else of it yet */
	uint8_t reached : 2; /* a leftover's enum cta_reached, for its flow if it turns live */
	uint8_t started : 1; /* the event stream has its start line (cta_flowtab_mark_started) */
	uint8_t tcp_state; /* a leftover's TCP state at the start-up dump */
	uint16_t sport; /* original source port (ICMP: echo id): with the flow key, its tuple */
	uint64_t packets[2], bytes[2]; /* last counters credited to the flow */
};

/* The processes flows point at (1 + index), each a reference of its own. */
struct store {
	struct cta_process **v;
	size_t n, cap;
};

/* Each flow's verdict counts (1 + index). */
struct tallies {
	struct cta_vtally *v;
	size_t n, cap;
};

struct cta_flowtab {
	struct cta_flow *flows;
	size_t n_flows, cap_flows;
	struct cta_hashidx flow_idx;

	struct conn *conns;
	size_t n_conns, cap_conns, open;
	uint32_t free_head; /* position + 1; 0 = none */
	struct cta_hashidx conn_idx; /* by conntrack id */
	struct cta_hashidx tuple_idx; /* by original tuple, unless no_tuples */
	bool no_tuples; /* nobody looks connections up by tuple: no index kept */

	uint32_t gen;
	bool startup; /* the dump under way is the start-up dump */
	bool in_dump; /* between dump_begin and dump_end */
	uint64_t hold_swept_ns; /* swept connections are kept until then at least */
	uint64_t since_ns; /* wall clock of the subscription; 0 unknown */
	size_t n_pending; /* flows pending (cta_flowtab_flow_for) */
	struct cta_flowtab_stats stats;

	struct tallies verdicts; /* flows' verdict - 1 indexes this */
	struct store processes; /* flows' process - 1 indexes this */
};

void cta_flowtab_no_tuple_index(struct cta_flowtab *ft)
{
	if (!ft->n_conns)
		ft->no_tuples = true;
}

struct cta_flowtab *cta_flowtab_new(void)
{
	struct cta_flowtab *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	cta_hashidx_init(&ft->flow_idx);
	cta_hashidx_init(&ft->conn_idx);
	cta_hashidx_init(&ft->tuple_idx);
	return ft;
}

static void store_fini(struct store *st)
{
	for (size_t i = 0; i < st->n; i++)
		cta_process_unref(st->v[i]);
	free(st->v);
}

static void tallies_fini(struct tallies *t)
{
	for (size_t i = 0; i < t->n; i++)
		cta_vtally_fini(&t->v[i]);
	free(t->v);
}

/* *slot (1 + index, 0: none) gets o, whose reference is taken, replacing an older one. */
static int store_put(struct store *st, uint32_t *slot, struct cta_process *o)
{
	if (!o)
		return 0;
	if (*slot) {
		cta_process_unref(st->v[*slot - 1]);
		st->v[*slot - 1] = o;
		return 0;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct cta_process **v = realloc(st->v, cap * sizeof(*v));

		if (!v) {
			cta_process_unref(o);
			return -ENOMEM;
		}
		st->v = v;
		st->cap = cap;
	}
	st->v[st->n++] = o;
	*slot = (uint32_t)st->n;
	return 0;
}

/* The counts of the flow at *slot, made when it has none yet; NULL on ENOMEM. */
static struct cta_vtally *tally_of(struct tallies *t, uint32_t *slot)
{
	if (*slot)
		return &t->v[*slot - 1];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct cta_vtally *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	*slot = (uint32_t)++t->n;
	return &t->v[t->n - 1];
}

void cta_flowtab_free(struct cta_flowtab *ft)
{
	if (!ft)
		return;
	cta_hashidx_fini(&ft->flow_idx);
	cta_hashidx_fini(&ft->conn_idx);
	cta_hashidx_fini(&ft->tuple_idx);
	tallies_fini(&ft->verdicts);
	store_fini(&ft->processes);
	free(ft->flows);
	free(ft->conns);
	free(ft);
}

/* hashidx callbacks get a position and a context: the table plus what is sought */
struct flow_q {
	const struct cta_flowtab *ft;
	const struct cta_flow_key *key;
};

static bool flow_eq(uint32_t pos, const void *ctx)
{
	const struct flow_q *q = ctx;

	return !memcmp(&q->ft->flows[pos].key, q->key, sizeof(*q->key));
}

struct conn_q {
	const struct cta_flowtab *ft;
	uint32_t id;
	const struct cta_flow_key *key; /* NULL: the id alone */
	uint16_t sport;
};

/*
 * The same connection: the same id, and (with a key) the same tuple. Ids are 32-bit
 * hashes: among tens of thousands of connections two share one now and then, and
 * each is still its own connection.
 */
static bool conn_eq(uint32_t pos, const void *ctx)
{
	const struct conn_q *q = ctx;
	const struct conn *c = &q->ft->conns[pos];

	return c->id == q->id &&
	       (!q->key || (c->sport == q->sport &&
			    !memcmp(&q->ft->flows[c->flow].key, q->key, sizeof(*q->key))));
}

static uint64_t key_hash(const struct cta_flow_key *k)
{
	return cta_hash_words(k, sizeof(*k));
}

static uint64_t id_hash(uint32_t id)
{
	uint64_t w = id;

	return cta_hash_words(&w, sizeof(w));
}

static int64_t flow_find(const struct cta_flowtab *ft, const struct cta_flow_key *k, uint64_t hash)
{
	struct flow_q q = { ft, k };

	return cta_hashidx_find(&ft->flow_idx, hash, flow_eq, &q);
}

/* A new flow with this key, zeroed apart from the key. Position, or -ENOMEM. */
static int64_t flow_add(struct cta_flowtab *ft, const struct cta_flow_key *k, uint64_t hash)
{
	struct cta_flow *f;

	if (ft->n_flows == ft->cap_flows) {
		size_t cap = ft->cap_flows ? ft->cap_flows * 2 : 256;

		if (cap > UINT32_MAX)
			return -ENOMEM;
		f = realloc(ft->flows, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		ft->flows = f;
		ft->cap_flows = cap;
	}
	if (cta_hashidx_add(&ft->flow_idx, hash, (uint32_t)ft->n_flows) < 0)
		return -ENOMEM;
	f = &ft->flows[ft->n_flows];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	return (int64_t)ft->n_flows++;
}

/* A connection's original tuple: the flow key's original half plus its source port. */
struct tuple_key {
	uint8_t family, l4proto, icmp_type, icmp_code;
	uint16_t sport, dport;
	union cta_addr src, dst;
};

static void tuple_key_of_flow(struct tuple_key *t, const struct cta_flow_key *k, uint16_t sport)
{
	memset(t, 0, sizeof(*t));
	t->family = k->family;
	t->l4proto = k->l4proto;
	t->icmp_type = k->icmp_type;
	t->icmp_code = k->icmp_code;
	t->sport = sport;
	t->dport = k->dport;
	t->src = k->src;
	t->dst = k->dst;
}

static uint64_t tuple_hash(const struct tuple_key *t)
{
	return cta_hash_words(t, sizeof(*t));
}

struct tuple_q {
	const struct cta_flowtab *ft;
	const struct tuple_key *t;
};

static bool tuple_eq(uint32_t pos, const void *ctx)
{
	const struct tuple_q *q = ctx;
	const struct conn *c = &q->ft->conns[pos];
	struct tuple_key t;

	tuple_key_of_flow(&t, &q->ft->flows[c->flow].key, c->sport);
	return !memcmp(&t, q->t, sizeof(t));
}

static uint64_t conn_tuple_hash(const struct cta_flowtab *ft, const struct conn *c)
{
	struct tuple_key t;

	tuple_key_of_flow(&t, &ft->flows[c->flow].key, c->sport);
	return tuple_hash(&t);
}

static int64_t conn_find(const struct cta_flowtab *ft, uint32_t id)
{
	struct conn_q q = { ft, id, NULL, 0 };

	return cta_hashidx_find(&ft->conn_idx, id_hash(id), conn_eq, &q);
}

/* The connection with this id and tuple (flow key and source port), or -1. */
static int64_t conn_find_exact(const struct cta_flowtab *ft, uint32_t id,
			       const struct cta_flow_key *key, uint16_t sport)
{
	struct conn_q q = { ft, id, key, sport };

	return cta_hashidx_find(&ft->conn_idx, id_hash(id), conn_eq, &q);
}

static int64_t conn_add(struct cta_flowtab *ft, uint32_t id, uint32_t flow, uint16_t sport)
{
	uint32_t pos;
	struct conn *c;

	if (ft->free_head) {
		pos = ft->free_head - 1;
		ft->free_head = ft->conns[pos].flow;
	} else {
		if (ft->n_conns == ft->cap_conns) {
			size_t cap = ft->cap_conns ? ft->cap_conns * 2 : 256;

			if (cap > UINT32_MAX)
				return -ENOMEM;
			c = realloc(ft->conns, cap * sizeof(*c));
			if (!c)
				return -ENOMEM;
			ft->conns = c;
			ft->cap_conns = cap;
		}
		pos = (uint32_t)ft->n_conns++;
	}
	if (cta_hashidx_add(&ft->conn_idx, id_hash(id), pos) < 0) {
		ft->conns[pos].state = CONN_FREE;
		ft->conns[pos].flow = ft->free_head;
		ft->free_head = pos + 1;
		return -ENOMEM;
	}
	c = &ft->conns[pos];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->flow = flow;
	c->sport = sport;
	c->gen = ft->gen;
	c->state = CONN_OPEN;
	if (!ft->no_tuples && cta_hashidx_add(&ft->tuple_idx, conn_tuple_hash(ft, c), pos) < 0) {
		cta_hashidx_del(&ft->conn_idx, id_hash(id), pos);
		c->state = CONN_FREE;
		c->flow = ft->free_head;
		ft->free_head = pos + 1;
		return -ENOMEM;
	}
	ft->open++;
	return pos;
}

static void conn_del(struct cta_flowtab *ft, uint32_t pos)
{
	struct conn *c = &ft->conns[pos];

	cta_hashidx_del(&ft->conn_idx, id_hash(c->id), pos);
	if (!ft->no_tuples)
		cta_hashidx_del(&ft->tuple_idx, conn_tuple_hash(ft, c), pos);
	if (c->state == CONN_OPEN)
		ft->open--;
	c->state = CONN_FREE;
	c->flow = ft->free_head;
	ft->free_head = pos + 1;
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	return !a || (b && b < a) ? b : a;
}

static void widen(uint16_t *lo, uint16_t *hi, uint16_t v, bool first)
{
	if (first) {
		*lo = *hi = v;
		return;
	}
	if (v < *lo)
		*lo = v;
	if (v > *hi)
		*hi = v;
}

/*
 * The flow's source (and reply destination) port range, or ICMP id range, takes ev's.
 * Port 0 is no port a connection has (the kernel never sends from it): it stands for
 * one not known, a denied attempt the kernel counted by flow (judge.c), and never
 * widens a range; a range of 0..0 is none yet.
 */
static void widen_ports(struct cta_flow *f, const struct cta_event *ev, bool first)
{
	bool ports = cta_proto_has_ports(f->key.l4proto);

	if (ports && !ev->orig.sport)
		return;
	if (ports && !f->sport_min && !f->sport_max)
		first = true;
	widen(&f->sport_min, &f->sport_max, ev->orig.sport, first);
	widen(&f->rdport_min, &f->rdport_max, ev->reply.dport, first);
}

/*
 * Credit counters as deltas against what this connection already gave the flow.
 * True when they grew since an earlier reading: activity since then. A first reading
 * proves nothing about when the packets passed.
 */
static bool credit(struct cta_flow *f, struct conn *c, const struct cta_event *ev)
{
	struct conn none = { 0 };
	bool grew = false, earlier;

	if (!(ev->flags & CTA_EVF_COUNTERS))
		return false;
	if (!c)
		c = &none; /* a connection seen only at its end */
	earlier = c->counted;
	c->counted = 1;
	for (int d = 0; d < 2; d++) {
		uint64_t dp = ev->packets[d] >= c->packets[d] ? ev->packets[d] - c->packets[d]
							      : ev->packets[d];
		uint64_t db = ev->bytes[d] >= c->bytes[d] ? ev->bytes[d] - c->bytes[d]
							  : ev->bytes[d];

		f->packets[d] += dp;
		f->bytes[d] += db;
		grew |= dp != 0;
		c->packets[d] = ev->packets[d];
		c->bytes[d] = ev->bytes[d];
	}
	return grew && earlier;
}

static enum cta_reached reached_of(const struct cta_event *ev)
{
	if (ev->status & IPS_ASSURED)
		return CTA_REACHED_ASSURED;
	if (ev->status & IPS_SEEN_REPLY)
		return CTA_REACHED_REPLIED;
	return CTA_REACHED_UNREPLIED;
}

/*
 * A connection found by the start-up dump in one of TCP's closing states: after
 * FIN_WAIT or CLOSE_WAIT (one side closed) the other side may still send; after
 * LAST_ACK, TIME_WAIT and CLOSE nothing but the end's own segments (a SYN on the same
 * ports makes a new entry: the kernel kills this one and looks again).
 */
enum closing { NOT_CLOSING = 0, HALF_CLOSED, CLOSED };

static enum closing closing_of(const struct cta_event *ev)
{
	if (ev->l4proto != IPPROTO_TCP || !(ev->flags & CTA_EVF_TCPSTATE))
		return NOT_CLOSING;
	switch (ev->tcp_state) {
	case TCP_CONNTRACK_FIN_WAIT:
	case TCP_CONNTRACK_CLOSE_WAIT:
		return HALF_CLOSED;
	case TCP_CONNTRACK_LAST_ACK:
	case TCP_CONNTRACK_TIME_WAIT:
	case TCP_CONNTRACK_CLOSE:
		return CLOSED;
	default:
		return NOT_CLOSING;
	}
}

/* Something of f was counted: no longer pending, if it was. */
static void counted(struct cta_flowtab *ft, struct cta_flow *f)
{
	if (f->pending) {
		f->pending = false;
		ft->n_pending--;
	}
}

/* Did the connection of ev begin after the subscription (its kernel start time)? */
static bool began_since(const struct cta_flowtab *ft, const struct cta_event *ev)
{
	return ft->since_ns && (ev->flags & CTA_EVF_TSTART) && ev->tstart_ns >= ft->since_ns;
}

/*
 * A leftover's later event: does it show the connection live during the recording?
 * A NEW event, or any event with a start after the subscription (it began after it;
 * the start-up dump came first), always; a half-closed one's packets (counters grown
 * since the start-up dump, or another TCP state) too. A closed one's packets are its
 * end's, never a service's.
 */
static bool leftover_lives(const struct cta_flowtab *ft, const struct conn *c,
			   const struct cta_event *ev)
{
	bool moved = (ev->flags & CTA_EVF_TCPSTATE) && ev->tcp_state != c->tcp_state;

	if (ev->type == CTA_EV_CT_NEW || began_since(ft, ev))
		return true;
	if (c->tcp_state != TCP_CONNTRACK_FIN_WAIT && c->tcp_state != TCP_CONNTRACK_CLOSE_WAIT)
		return false;
	if ((ev->flags & CTA_EVF_COUNTERS) && c->counted &&
	    (ev->packets[0] > c->packets[0] || ev->packets[1] > c->packets[1]))
		return true;
	return moved && ev->type == CTA_EV_CT_DUMP; /* a DESTROY carries no TCP state */
}

/* A leftover that turned out live: counted as any other connection from now on. */
static void leftover_revive(struct cta_flow *f, struct conn *c)
{
	c->leftover = 0;
	if (f->leftover)
		f->leftover--;
	if (c->reached > f->reached)
		f->reached = c->reached;
	/* its counters so far, as any connection found open gives them at its first reading */
	for (int d = 0; d < 2; d++) {
		f->packets[d] += c->packets[d];
		f->bytes[d] += c->bytes[d];
	}
}

/*
 * A leftover's event: only a new one is counted (its connection, source port and
 * time); its counters are kept as the reading to compare later ones with.
 */
static void update_leftover(struct cta_flow *f, struct conn *c, const struct cta_event *ev,
			    bool new_conn)
{
	bool first = f->connections == 0;
	enum cta_reached r = reached_of(ev);

	if (!new_conn)
		return;
	f->connections++;
	f->leftover++;
	widen_ports(f, ev, first);
	f->first_ns =
		min_nz(f->first_ns, (ev->flags & CTA_EVF_TSTART) ? ev->tstart_ns : ev->seen_ns);
	if (ev->seen_ns > f->last_ns)
		f->last_ns = ev->seen_ns;
	if (!c)
		return; /* its DESTROY: nothing more comes */
	c->leftover = 1;
	c->reached = (uint8_t)(r > c->reached ? r : c->reached);
	c->tcp_state = ev->tcp_state;
	if (ev->flags & CTA_EVF_COUNTERS) {
		c->counted = 1;
		memcpy(c->packets, ev->packets, sizeof(c->packets));
		memcpy(c->bytes, ev->bytes, sizeof(c->bytes));
	}
}

static void update_flow(struct cta_flow *f, struct conn *c, const struct cta_event *ev,
			bool new_conn)
{
	bool first = f->connections == 0, grew;
	enum cta_reached r = reached_of(ev);

	if (new_conn)
		f->connections++;
	if (new_conn || ev->type == CTA_EV_CT_NEW) {
		widen_ports(f, ev, first);
	}
	if (r > f->reached)
		f->reached = (uint8_t)r;

	grew = credit(f, c, ev);
	f->first_ns =
		min_nz(f->first_ns, (ev->flags & CTA_EVF_TSTART) ? ev->tstart_ns : ev->seen_ns);
	if (ev->type == CTA_EV_CT_DESTROY && (ev->flags & CTA_EVF_TSTOP)) {
		if (ev->tstop_ns > f->last_ns)
			f->last_ns = ev->tstop_ns;
	} else if (ev->type != CTA_EV_CT_DUMP || grew || new_conn) {
		/* a dump of an idle connection says nothing about activity */
		if (ev->seen_ns > f->last_ns)
			f->last_ns = ev->seen_ns;
	}
}

/*
 * A DESTROY of a connection never seen that began before the subscription (its start
 * before it, or no start at all: timestamps were off then): it ended between the
 * subscription and the start-up dump, a leftover of the time before. Its counters hold
 * packets from before the recording.
 */
static bool ended_before(const struct cta_flowtab *ft, const struct cta_event *ev)
{
	return ev->type == CTA_EV_CT_DESTROY && ft->since_ns && (ev->flags & CTA_EVF_ID) &&
	       !began_since(ft, ev);
}

/* The flow of key, made if new. Position, or -ENOMEM. */
static int64_t flow_get(struct cta_flowtab *ft, const struct cta_flow_key *key, uint64_t hash,
			const struct cta_host *host)
{
	int64_t pos = flow_find(ft, key, hash);

	if (pos < 0) {
		pos = flow_add(ft, key, hash);
		if (pos < 0)
			return pos;
		ft->flows[pos].direction = (uint8_t)cta_host_direction(host, key);
	}
	return pos;
}

void cta_flowtab_set_since(struct cta_flowtab *ft, uint64_t real_ns)
{
	ft->since_ns = real_ns;
}

void cta_flowtab_prefetch(const struct cta_flowtab *ft, const struct cta_event *ev)
{
	struct cta_flow_key key;

	if (ev->flags & CTA_EVF_ID)
		cta_hashidx_prefetch(&ft->conn_idx, id_hash(ev->id));
	cta_flow_key_from_event(&key, ev);
	cta_hashidx_prefetch(&ft->flow_idx, key_hash(&key));
}

int cta_flowtab_apply(struct cta_flowtab *ft, const struct cta_event *ev,
		      const struct cta_host *host)
{
	struct cta_flow_key key;
	uint64_t hash;
	int64_t fpos, cpos = -1;
	struct conn *c = NULL;
	bool new_conn = false;

	if (ev->type >= 1 && ev->type <= CTA_EV_CT_DUMP)
		ft->stats.events[ev->type]++;
	cta_flow_key_from_event(&key, ev);
	/*
	 * Another connection with the same id (ids collide, or one whose DESTROY we
	 * missed was reused) is another connection: the next dump closes a dead one.
	 */
	if (ev->flags & CTA_EVF_ID)
		cpos = conn_find_exact(ft, ev->id, &key, ev->orig.sport);
	if (cpos >= 0) {
		c = &ft->conns[cpos];
		fpos = c->flow;
		if (c->state == CONN_ENDED && ev->type != CTA_EV_CT_NEW)
			return 0; /* a listing from before its end, or its end again */
		if (c->state == CONN_ENDED) {
			/* the same id and tuple anew (a port reused at once): another one */
			conn_del(ft, (uint32_t)cpos);
			cpos = -1;
			c = NULL;
		}
	}
	if (!c) {
		hash = key_hash(&key);
		fpos = flow_get(ft, &key, hash, host);
		if (fpos < 0)
			return (int)fpos;
		new_conn = true;
		if ((ev->flags & CTA_EVF_ID) && (ev->type != CTA_EV_CT_DESTROY || ft->in_dump)) {
			cpos = conn_add(ft, ev->id, (uint32_t)fpos, ev->orig.sport);
			if (cpos < 0)
				return (int)cpos;
			c = &ft->conns[cpos];
		}
	}
	if (c && new_conn && ft->startup && ev->type == CTA_EV_CT_DUMP && closing_of(ev) &&
	    !began_since(ft, ev))
		update_leftover(&ft->flows[fpos], c, ev, true);
	else if (new_conn && ended_before(ft, ev))
		update_leftover(&ft->flows[fpos], c, ev, true);
	else if (c && c->leftover && !leftover_lives(ft, c, ev))
		update_leftover(&ft->flows[fpos], c, ev, false);
	else {
		if (c && c->leftover)
			leftover_revive(&ft->flows[fpos], c);
		update_flow(&ft->flows[fpos], c, ev, new_conn);
	}
	counted(ft, &ft->flows[fpos]);
	if (ev->flags & (CTA_EVF_HELPER | CTA_EVF_MASTER | CTA_EVF_STATUS))
		cta_flow_note_helper(&ft->flows[fpos], ev);
	if (!c)
		return 0;
	if (ev->type == CTA_EV_CT_DESTROY) {
		if (c->state == CONN_SWEPT && ft->stats.swept)
			ft->stats.swept--; /* its own end came after all, with its counters */
		if (ft->in_dump) {
			if (c->state == CONN_OPEN)
				ft->open--;
			c->state = CONN_ENDED;
		} else {
			conn_del(ft, (uint32_t)cpos);
		}
	} else if (ev->type == CTA_EV_CT_DUMP) {
		if (c->state == CONN_SWEPT) {
			ft->open++;
			if (ft->stats.swept)
				ft->stats.swept--; /* not gone after all */
		}
		c->state = CONN_OPEN;
		c->gen = ft->gen;
	}
	return 0;
}

void cta_flowtab_hold_swept(struct cta_flowtab *ft, uint64_t until_ns)
{
	if (until_ns > ft->hold_swept_ns)
		ft->hold_swept_ns = until_ns;
}

void cta_flowtab_dump_abort(struct cta_flowtab *ft)
{
	ft->startup = false;
	ft->in_dump = false;
	for (size_t i = 0; i < ft->n_conns; i++)
		if (ft->conns[i].state == CONN_ENDED)
			conn_del(ft, (uint32_t)i);
}

void cta_flowtab_dump_begin(struct cta_flowtab *ft, bool startup)
{
	ft->gen++;
	ft->startup = startup;
	ft->in_dump = true;
}

uint64_t cta_flowtab_dump_end(struct cta_flowtab *ft, uint64_t now_ns)
{
	uint32_t now_s = (uint32_t)(now_ns / 1000000000ull);
	uint64_t closed = 0;

	ft->startup = false;
	ft->in_dump = false;
	for (size_t i = 0; i < ft->n_conns; i++) {
		struct conn *c = &ft->conns[i];

		if (c->state == CONN_ENDED) {
			conn_del(ft, (uint32_t)i);
		} else if (c->state == CONN_SWEPT) {
			/* no DESTROY in SWEPT_KEEP_S, and none held since: none comes */
			if (now_s - c->gen >= SWEPT_KEEP_S && now_ns >= ft->hold_swept_ns)
				conn_del(ft, (uint32_t)i);
		} else if (c->state == CONN_OPEN && c->gen != ft->gen) {
			/* kept a while: its DESTROY may be queued, or held by the kernel */
			c->state = CONN_SWEPT;
			c->gen = now_s;
			ft->open--;
			closed++;
		}
	}
	ft->stats.swept += closed;
	return closed;
}

size_t cta_flowtab_swept_waiting(const struct cta_flowtab *ft)
{
	size_t n = 0;

	for (size_t i = 0; i < ft->n_conns; i++)
		n += ft->conns[i].state == CONN_SWEPT;
	return n;
}

int cta_flowtab_add_verdict(struct cta_flowtab *ft, size_t pos, struct cta_verdict *v, uint64_t n)
{
	struct cta_vtally *t;

	if (!v)
		return 0;
	t = tally_of(&ft->verdicts, &ft->flows[pos].verdict);
	return t ? cta_vtally_add(t, v, n) : -ENOMEM;
}

int64_t cta_flowtab_rename_verdicts(struct cta_flowtab *ft, size_t pos,
				    bool (*match)(const struct cta_verdict *v),
				    struct cta_verdict *v, uint64_t n)
{
	struct cta_vtally *t;
	uint64_t taken;
	int err;

	if (!ft->flows[pos].verdict || !v)
		return 0;
	t = &ft->verdicts.v[ft->flows[pos].verdict - 1];
	taken = cta_vtally_take(t, match, n);
	if (taken && (err = cta_vtally_add(t, v, taken)))
		return err;
	return (int64_t)taken;
}

const struct cta_vtally *cta_flowtab_verdicts_of(const struct cta_flowtab *ft,
						 const struct cta_flow *f)
{
	return f->verdict && f->verdict <= ft->verdicts.n ? &ft->verdicts.v[f->verdict - 1] : NULL;
}

int cta_flowtab_set_process(struct cta_flowtab *ft, size_t pos, struct cta_process *process)
{
	return store_put(&ft->processes, &ft->flows[pos].process, process);
}

struct cta_process *cta_flowtab_process(const struct cta_flowtab *ft, const struct cta_flow *f)
{
	return f->process && f->process <= ft->processes.n ? ft->processes.v[f->process - 1] : NULL;
}

struct cta_process *const *cta_flowtab_processes(const struct cta_flowtab *ft, size_t *n)
{
	*n = ft->processes.n;
	return ft->processes.v;
}

int cta_flowtab_merge(struct cta_flowtab *ft, const struct cta_flow *f,
		      const struct cta_vtally *verdicts, struct cta_process *process)
{
	uint64_t hash = key_hash(&f->key);
	int64_t pos = flow_find(ft, &f->key, hash);
	struct cta_vtally *t;
	int err = 0;

	if (pos >= 0) {
		cta_flow_merge(&ft->flows[pos], f);
	} else {
		pos = flow_add(ft, &f->key, hash);
		if (pos < 0)
			return (int)pos;
		ft->flows[pos] = *f;
		ft->flows[pos].verdict = 0;
		ft->flows[pos].process = 0;
	}
	if (verdicts && verdicts->n) {
		t = tally_of(&ft->verdicts, &ft->flows[pos].verdict);
		err = t ? cta_vtally_merge(t, verdicts) : -ENOMEM;
	}
	/* the first process known for the flow stays */
	if (!err && process && !ft->flows[pos].process)
		err = cta_flowtab_set_process(ft, (size_t)pos, cta_process_ref(process));
	return err;
}

bool cta_flowtab_conn_judged(struct cta_flowtab *ft, uint32_t ct_id)
{
	int64_t pos = conn_find(ft, ct_id);
	bool was;

	if (pos < 0)
		return false;
	was = ft->conns[pos].judged;
	ft->conns[pos].judged = 1;
	return was;
}

int cta_flowtab_mark_started(struct cta_flowtab *ft, const struct cta_event *ev)
{
	struct cta_flow_key key;
	struct conn *c;
	int64_t pos;
	int was;

	if (!(ev->flags & CTA_EVF_ID))
		return -1;
	cta_flow_key_from_event(&key, ev);
	pos = conn_find_exact(ft, ev->id, &key, ev->orig.sport);
	if (pos < 0)
		return -1;
	c = &ft->conns[pos];
	if (c->state == CONN_ENDED)
		return 1; /* its end was written, its start with it */
	was = c->started;
	c->started = 1;
	return was;
}

int64_t cta_flowtab_conn_flow(const struct cta_flowtab *ft, uint32_t ct_id)
{
	int64_t pos = conn_find(ft, ct_id);

	return pos >= 0 ? (int64_t)ft->conns[pos].flow : -1;
}

struct conn_tq {
	const struct cta_flowtab *ft;
	uint32_t id;
	const struct tuple_key *t;
};

/* The connection with this id whose original tuple is this. */
static bool conn_tuple_eq(uint32_t pos, const void *ctx)
{
	const struct conn_tq *q = ctx;
	const struct conn *c = &q->ft->conns[pos];
	struct tuple_key t;

	if (c->id != q->id)
		return false;
	tuple_key_of_flow(&t, &q->ft->flows[c->flow].key, c->sport);
	return !memcmp(&t, q->t, sizeof(t));
}

/* A packet's tuple, as the connections' tuples are keyed. */
static void tuple_key_of_packet(struct tuple_key *tk, uint8_t family, uint8_t l4proto,
				const struct cta_tuple *t)
{
	struct cta_event ev = { .family = family, .l4proto = l4proto, .orig = *t };
	struct cta_flow_key k;

	cta_flow_key_from_event(&k, &ev);
	tuple_key_of_flow(tk, &k, t->sport);
}

int64_t cta_flowtab_conn_flow_of(const struct cta_flowtab *ft, uint32_t ct_id, uint8_t family,
				 uint8_t l4proto, const struct cta_tuple *t)
{
	struct tuple_key tk;
	struct conn_tq q = { ft, ct_id, &tk };
	int64_t pos;

	tuple_key_of_packet(&tk, family, l4proto, t);
	pos = cta_hashidx_find(&ft->conn_idx, id_hash(ct_id), conn_tuple_eq, &q);
	return pos >= 0 ? (int64_t)ft->conns[pos].flow : -1;
}

int64_t cta_flowtab_conn_by_tuple(const struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
				  const struct cta_tuple *t)
{
	struct tuple_key tk;
	struct tuple_q q = { ft, &tk };
	int64_t pos;

	if (ft->no_tuples)
		return -1;
	tuple_key_of_packet(&tk, family, l4proto, t);
	pos = cta_hashidx_find(&ft->tuple_idx, tuple_hash(&tk), tuple_eq, &q);
	return pos >= 0 ? (int64_t)ft->conns[pos].flow : -1;
}

/* The event a packet tuple stands for, as a new connection; its flow's key. */
static uint64_t tuple_event(struct cta_event *ev, struct cta_flow_key *key, uint8_t family,
			    uint8_t l4proto, const struct cta_tuple *t, uint64_t seen_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = CTA_EV_CT_NEW;
	ev->family = family;
	ev->l4proto = l4proto;
	ev->orig = *t;
	ev->seen_ns = seen_ns;
	ev->reply.src = t->dst;
	ev->reply.dst = t->src;
	ev->reply.sport = t->dport;
	ev->reply.dport = t->sport;
	cta_flow_key_from_event(key, ev);
	return key_hash(key);
}

int64_t cta_flowtab_flow_of(const struct cta_flowtab *ft, const struct cta_event *ev)
{
	struct cta_flow_key key;

	cta_flow_key_from_event(&key, ev);
	return flow_find(ft, &key, key_hash(&key));
}

int64_t cta_flowtab_flow_for(struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
			     const struct cta_tuple *t, const struct cta_host *host)
{
	struct cta_event ev;
	struct cta_flow_key key;
	uint64_t hash = tuple_event(&ev, &key, family, l4proto, t, 0);
	size_t before = ft->n_flows;
	int64_t pos = flow_get(ft, &key, hash, host);

	if (pos >= 0 && ft->n_flows > before) {
		ft->flows[pos].pending = true;
		ft->n_pending++;
	}
	return pos;
}

int64_t cta_flowtab_add_denied(struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
			       const struct cta_tuple *t, const struct cta_host *host,
			       uint64_t seen_ns, uint64_t packets, uint64_t attempts)
{
	struct cta_event ev;
	struct cta_flow_key key;
	uint64_t hash = tuple_event(&ev, &key, family, l4proto, t, seen_ns);
	int64_t pos = flow_get(ft, &key, hash, host);
	struct cta_flow *f;

	if (pos < 0)
		return pos;
	f = &ft->flows[pos];
	update_flow(f, NULL, &ev, attempts > 0);
	f->connections += attempts > 1 ? attempts - 1 : 0; /* update_flow counted one */
	f->packets[0] += packets;
	if (attempts || packets)
		counted(ft, f);
	return pos;
}

int64_t cta_flowtab_add_unseen(struct cta_flowtab *ft, uint8_t family, uint8_t l4proto,
			       const struct cta_tuple *t, const struct cta_host *host,
			       uint64_t seen_ns, uint64_t packets, uint64_t connections)
{
	return cta_flowtab_add_denied(ft, family, l4proto, t, host, seen_ns, packets, connections);
}

void cta_flowtab_set_ifaces(struct cta_flowtab *ft, size_t pos, const char *iif, const char *oif)
{
	struct cta_flow *f = pos < ft->n_flows ? &ft->flows[pos] : NULL;

	if (f && iif && *iif && !f->iif[0])
		snprintf(f->iif, sizeof(f->iif), "%s", iif);
	if (f && oif && *oif && !f->oif[0])
		snprintf(f->oif, sizeof(f->oif), "%s", oif);
}

void cta_flowtab_set_direction(struct cta_flowtab *ft, size_t pos, enum cta_direction dir)
{
	if (pos < ft->n_flows)
		ft->flows[pos].direction = (uint8_t)dir;
}

size_t cta_flowtab_count(const struct cta_flowtab *ft)
{
	return ft->n_flows;
}

size_t cta_flowtab_recorded(const struct cta_flowtab *ft)
{
	return ft->n_flows - ft->n_pending;
}

size_t cta_flowtab_open_connections(const struct cta_flowtab *ft)
{
	return ft->open;
}

const struct cta_flow *cta_flowtab_flows(const struct cta_flowtab *ft)
{
	return ft->flows;
}

static int cmp_flows(const void *a, const void *b)
{
	return cta_flow_cmp(a, b);
}

struct cta_flow *cta_flowtab_sorted(const struct cta_flowtab *ft, size_t *n)
{
	struct cta_flow *out = malloc((ft->n_flows ? ft->n_flows : 1) * sizeof(*out));

	if (!out)
		return NULL;
	size_t k = 0;

	for (size_t i = 0; i < ft->n_flows; i++)
		if (!cta_flowtab_pending(&ft->flows[i]))
			out[k++] = ft->flows[i];
	qsort(out, k, sizeof(*out), cmp_flows);
	*n = k;
	return out;
}

const struct cta_flowtab_stats *cta_flowtab_stats(const struct cta_flowtab *ft)
{
	return &ft->stats;
}
