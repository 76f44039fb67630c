// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/syns.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"

/* Connects kept at most (some 100 bytes each); beyond, the sets are not trusted. */
#define IDENT_MAX 262144
/* Connects kept of flows the sets have not listed, at most. */
#define OWN_UNLISTED_MAX 65536
/*
 * Listings further apart than this may miss a connect altogether: its element lives
 * CTA_KCOUNT_SYN_TIMEOUT_MS after its last SYN, and must be in two of them.
 */
#define LISTING_GAP_MAX_NS (CTA_KCOUNT_SYN_TIMEOUT_MS / 2 * 1000000ULL)
#define NONE UINT32_MAX

/* Hashed as bytes: always fully zeroed. */
struct ikey {
	uint8_t family, pad[3];
	uint32_t isn;
	uint16_t sport, dport;
	uint32_t pad2;
	union cta_addr src, dst;
};

struct ident {
	struct ikey key;
	uint32_t flow; /* its flow's position */
	uint32_t next; /* the next identity of its flow, or NONE */
	uint32_t listings; /* listings that held it */
	uint64_t last_listing; /* the listing (cta_syns.listing) that last did */
	uint64_t sighted_mono; /* when a listing last held it; 0: never */
	uint64_t last_mono; /* ... or a trace or NFLOG packet saw it */
	bool owned; /* the judge counted it a denied attempt (cta_syns_own) */
	bool handed; /* handed out as an attempt */
};

struct flow {
	struct cta_denial_key key;
	uint64_t sighted_mono; /* the latest of its identities'; 0: never listed */
	uint32_t first; /* its first identity, or NONE */
};

struct cta_syns {
	struct ident *id;
	size_t n_id, cap_id;
	struct cta_hashidx id_idx;
	struct flow *fl;
	size_t n_fl, cap_fl;
	struct cta_hashidx fl_idx;
	uint64_t listing; /* listings begun, complete or not */
	uint64_t listed_mono; /* when the last complete listing ended; 0: none yet */
	uint64_t distrust_until; /* monotonic ns: a listing failed or a set was full */
	uint64_t swept_mono;
	bool final; /* cta_syns_final: one listing is enough */
	struct cta_syns_stats stats;
};

struct cta_syns *cta_syns_new(void)
{
	struct cta_syns *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	cta_hashidx_init(&s->id_idx);
	cta_hashidx_init(&s->fl_idx);
	return s;
}

void cta_syns_free(struct cta_syns *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->fl);
	cta_hashidx_fini(&s->id_idx);
	cta_hashidx_fini(&s->fl_idx);
	free(s);
}

const struct cta_syns_stats *cta_syns_stats(const struct cta_syns *s)
{
	return &s->stats;
}

struct find {
	const struct cta_syns *s;
	const void *key;
};

static bool id_eq(uint32_t pos, const void *ctx)
{
	const struct find *f = ctx;

	return !memcmp(&f->s->id[pos].key, f->key, sizeof(struct ikey));
}

static bool fl_eq(uint32_t pos, const void *ctx)
{
	const struct find *f = ctx;

	return !memcmp(&f->s->fl[pos].key, f->key, sizeof(struct cta_denial_key));
}

/* The counting sets' key of a TCP flow (cta_denial_key). */
static void flow_key(struct cta_denial_key *k, uint8_t family, const union cta_addr *src,
		     const union cta_addr *dst, uint16_t dport)
{
	struct cta_tuple t = { .src = *src, .dst = *dst, .dport = dport };

	cta_denial_key(k, family, IPPROTO_TCP, &t);
}

static int64_t find_flow(const struct cta_syns *s, const struct cta_denial_key *k)
{
	struct find f = { s, k };

	return cta_hashidx_find(&s->fl_idx, cta_hash_words(k, sizeof(*k)), fl_eq, &f);
}

static int64_t flow_of(struct cta_syns *s, const struct cta_denial_key *k)
{
	int64_t pos = find_flow(s, k);

	if (pos >= 0)
		return pos;
	if (s->n_fl == s->cap_fl) {
		size_t cap = s->cap_fl ? 2 * s->cap_fl : 64;
		struct flow *fl = realloc(s->fl, cap * sizeof(*fl));

		if (!fl)
			return -ENOMEM;
		s->fl = fl;
		s->cap_fl = cap;
	}
	if (cta_hashidx_add(&s->fl_idx, cta_hash_words(k, sizeof(*k)), (uint32_t)s->n_fl))
		return -ENOMEM;
	memset(&s->fl[s->n_fl], 0, sizeof(s->fl[0]));
	s->fl[s->n_fl].key = *k;
	s->fl[s->n_fl].first = NONE;
	return (int64_t)s->n_fl++;
}

static bool ready(const struct cta_syns *s, const struct ident *id)
{
	return id->listings >= (s->final ? 1u : 2u) && !id->owned && !id->handed;
}

/* The identity of this connect, made if new (its flow too); NULL: ENOMEM. */
static struct ident *ident_of(struct cta_syns *s, uint8_t family, const union cta_addr *src,
			      const union cta_addr *dst, uint16_t sport, uint16_t dport,
			      uint32_t isn)
{
	struct ikey key;
	struct cta_denial_key fk;
	struct find f = { s, &key };
	uint64_t hash;
	int64_t pos, flow;

	memset(&key, 0, sizeof(key));
	key.family = family;
	key.isn = isn;
	key.sport = sport;
	key.dport = dport;
	key.src = *src;
	key.dst = *dst;
	hash = cta_hash_words(&key, sizeof(key));
	pos = cta_hashidx_find(&s->id_idx, hash, id_eq, &f);
	if (pos >= 0)
		return &s->id[pos];
	flow_key(&fk, family, src, dst, dport);
	if ((flow = flow_of(s, &fk)) < 0)
		return NULL;
	if (s->n_id == s->cap_id) {
		size_t cap = s->cap_id ? 2 * s->cap_id : 256;
		struct ident *id = realloc(s->id, cap * sizeof(*id));

		if (!id)
			return NULL;
		s->id = id;
		s->cap_id = cap;
	}
	if (cta_hashidx_add(&s->id_idx, hash, (uint32_t)s->n_id))
		return NULL;
	memset(&s->id[s->n_id], 0, sizeof(s->id[0]));
	s->id[s->n_id].key = key;
	s->id[s->n_id].flow = (uint32_t)flow;
	s->id[s->n_id].next = s->fl[flow].first;
	s->fl[flow].first = (uint32_t)s->n_id;
	return &s->id[s->n_id++];
}

void cta_syns_next_listing(struct cta_syns *s)
{
	s->listing++;
}

int cta_syns_add(struct cta_syns *s, const struct cta_kcount_syn *e, uint64_t now_mono)
{
	struct ident *id;

	if (s->n_id >= IDENT_MAX) {
		/* a flood of denied connects: their packets count as attempts again */
		s->distrust_until = now_mono + CTA_SYNS_KEEP_NS;
		return 0;
	}
	id = ident_of(s, e->family, &e->src, &e->dst, e->sport, e->dport, e->isn);
	if (!id)
		return -ENOMEM;
	if (id->last_listing == s->listing)
		return 0; /* listed twice in one listing: a set resized under the dump */
	id->last_listing = s->listing;
	id->listings++;
	id->sighted_mono = id->last_mono = now_mono;
	if (id->listings == 2)
		s->stats.identities++;
	if (now_mono > s->fl[id->flow].sighted_mono)
		s->fl[id->flow].sighted_mono = now_mono;
	return 0;
}

/* Forget identities not seen in CTA_SYNS_KEEP_NS; the flows are made again from the rest. */
static void sweep(struct cta_syns *s, uint64_t now_mono)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_id; i++)
		if (s->id[i].last_mono + CTA_SYNS_KEEP_NS > now_mono)
			s->id[n++] = s->id[i];
	if (n == s->n_id)
		return;
	s->n_id = n;
	s->n_fl = 0;
	cta_hashidx_fini(&s->id_idx);
	cta_hashidx_fini(&s->fl_idx);
	cta_hashidx_init(&s->id_idx);
	cta_hashidx_init(&s->fl_idx);
	for (size_t i = 0; i < s->n_id; i++) {
		struct ident *id = &s->id[i];
		struct cta_denial_key fk;
		int64_t flow;

		flow_key(&fk, id->key.family, &id->key.src, &id->key.dst, id->key.dport);
		/* the arrays have room; the indexes are made again, which can fail */
		flow = flow_of(s, &fk);
		if (flow < 0 ||
		    cta_hashidx_add(&s->id_idx, cta_hash_words(&id->key, sizeof(id->key)),
				    (uint32_t)i)) {
			/* out of memory mid-way: start over empty, and distrust for a while */
			s->n_id = s->n_fl = 0;
			cta_hashidx_fini(&s->id_idx);
			cta_hashidx_fini(&s->fl_idx);
			cta_hashidx_init(&s->id_idx);
			cta_hashidx_init(&s->fl_idx);
			s->distrust_until = now_mono + CTA_SYNS_KEEP_NS;
			return;
		}
		id->flow = (uint32_t)flow;
		id->next = s->fl[flow].first;
		s->fl[flow].first = (uint32_t)i;
		if (id->sighted_mono > s->fl[flow].sighted_mono)
			s->fl[flow].sighted_mono = id->sighted_mono;
	}
}

void cta_syns_listed(struct cta_syns *s, bool complete, bool full, uint64_t now_mono)
{
	/* listings far apart (large counting sets list slowly) may have missed connects */
	bool gap = complete && s->listed_mono && now_mono - s->listed_mono > LISTING_GAP_MAX_NS;

	if (complete) {
		s->stats.listings++;
		s->listed_mono = now_mono;
	}
	s->stats.full += full;
	if (!complete || full || gap)
		s->distrust_until = now_mono + CTA_SYNS_KEEP_NS;
	if (now_mono >= s->swept_mono + 1000000000ULL) {
		sweep(s, now_mono);
		s->swept_mono = now_mono;
	}
}

void cta_syns_final(struct cta_syns *s)
{
	s->final = true;
}

int cta_syns_own(struct cta_syns *s, uint8_t family, const struct cta_tuple *t, uint32_t isn,
		 uint64_t now_mono)
{
	struct cta_denial_key fk;
	struct ident *id;

	cta_denial_key(&fk, family, IPPROTO_TCP, t);
	/*
	 * Of a flow the sets have not listed (NFLOG logs its SYNs: a banned host's flood),
	 * kept only while there are few: one matters only if the flow is let through
	 * while the connect still retransmits
	 */
	if (find_flow(s, &fk) < 0 && s->n_id >= OWN_UNLISTED_MAX)
		return 0;
	if (s->n_id >= IDENT_MAX) {
		s->distrust_until = now_mono + CTA_SYNS_KEEP_NS;
		return 0;
	}
	id = ident_of(s, family, &t->src, &t->dst, t->sport, t->dport, isn);
	if (!id)
		return -ENOMEM;
	id->owned = true;
	id->last_mono = now_mono;
	return id->handed;
}

/* Hand out up to max of flow pos's connects that pass (ready, or listed once): how many. */
static uint64_t hand_out(struct cta_syns *s, struct flow *fl, uint64_t max, bool once)
{
	uint64_t n = 0;

	for (uint32_t i = fl->first; i != NONE && n < max; i = s->id[i].next) {
		struct ident *id = &s->id[i];
		if (ready(s, id) || (once && id->listings && !id->owned && !id->handed)) {
			id->handed = true;
			n++;
		}
	}
	return n;
}

uint64_t cta_syns_attempts(struct cta_syns *s, const struct cta_denial_key *k, uint64_t packets,
			   uint64_t now_mono)
{
	int64_t pos = k->l4proto == IPPROTO_TCP ? find_flow(s, k) : -1;
	struct flow *fl;
	uint64_t take;

	if (pos < 0 || !s->fl[pos].sighted_mono ||
	    s->fl[pos].sighted_mono + CTA_SYNS_KEEP_NS <= now_mono)
		return packets; /* not listed: NFLOG logs its SYNs, these are lost messages */
	fl = &s->fl[pos];
	take = hand_out(s, fl, packets, false);
	s->stats.attempts += take;
	if (now_mono < s->distrust_until) {
		/*
		 * Every packet counts: the connects listed so far (once will do) go with
		 * them, so they are not counted again once the sets are trusted
		 */
		hand_out(s, fl, packets - take, true);
		s->stats.unsure += packets - take;
		return packets;
	}
	s->stats.retransmits += packets - take;
	return take;
}
