// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/denials.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"
#include "advisor/lib/util.h"
#include "advisor/model/flow.h"

struct entry {
	struct cta_denial_key key;
	/* the kernel's entered and left counts of each generation at the last listing */
	uint64_t listed[CTA_KCOUNT_GENS][2];
	uint64_t left; /* first packets that left, over every listing and generation */
	int64_t balance; /* entered - left, not yet handed on */
	uint64_t since; /* monotonic ns the balance was confirmed positive; 0: not */
	uint64_t since_listing; /* the listings done when it was (stats.listings) */
	bool positive; /* the last complete listing found it positive */
	bool uncounted; /* the kernel could not count some of its packets: proves nothing */
	bool ever_uncounted; /* in the stats' count of such flows already */
	bool seen; /* cta_denials_mark_seen: the flow is known otherwise */
	bool translated; /* in a nat set: left NATed, where to the counts do not say */
	/* a complete listing found its first packets left (and read the nat sets after) */
	bool left_listed;
	uint64_t first; /* the first sets' counts: connections whose first packet left */
	uint64_t first_listed[CTA_KCOUNT_GENS]; /* of each generation, at the last listing */
	/*
	 * Denied packets the judge saw of attempts it could not take the counts of
	 * (cta_denials_owe), and when it said so: the monotonic ns and the listings done.
	 */
	uint64_t owed, owed_mono, owed_listing;
};

struct cta_denials {
	struct entry *e; /* every flow counted: the kernel's elements live as long */
	size_t n, cap;
	struct cta_hashidx idx;
	struct cta_denials_stats stats;
	size_t n_uncounted; /* flows the uncounted sets named in this listing */
	/* flows a listing confirmed denied packets of (since), at most: none, none to take */
	size_t n_confirmed;
};

struct cta_denials *cta_denials_new(void)
{
	struct cta_denials *d = calloc(1, sizeof(*d));

	if (d)
		cta_hashidx_init(&d->idx);
	return d;
}

void cta_denials_free(struct cta_denials *d)
{
	if (!d)
		return;
	free(d->e);
	cta_hashidx_fini(&d->idx);
	free(d);
}

void cta_denial_key(struct cta_denial_key *k, uint8_t family, uint8_t l4proto,
		    const struct cta_tuple *t)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	k->l4proto = l4proto;
	k->src = t->src;
	k->dst = t->dst;
	if (cta_proto_has_ports(l4proto)) {
		k->dport = t->dport;
	} else if (cta_proto_is_icmp(l4proto)) {
		k->icmp_type = t->icmp_type;
		k->icmp_code = t->icmp_code;
	}
}

struct q {
	const struct cta_denials *d;
	const struct cta_denial_key *k;
};

static bool eq(uint32_t pos, const void *ctx)
{
	const struct q *q = ctx;

	return !memcmp(&q->d->e[pos].key, q->k, sizeof(*q->k));
}

static struct entry *find(const struct cta_denials *d, const struct cta_denial_key *k,
			  uint64_t *hash)
{
	struct q q = { d, k };
	int64_t pos;

	*hash = cta_hash_words(k, sizeof(*k));
	pos = cta_hashidx_find(&d->idx, *hash, eq, &q);
	return pos >= 0 ? &d->e[pos] : NULL;
}

static struct entry *get(struct cta_denials *d, const struct cta_denial_key *k)
{
	uint64_t hash;
	struct entry *e = find(d, k, &hash);
	size_t pos;

	if (e)
		return e;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct entry *ne = realloc(d->e, cap * sizeof(*ne));

		if (!ne)
			return NULL;
		d->e = ne;
		d->cap = cap;
	}
	pos = d->n;
	if (cta_hashidx_add(&d->idx, hash, (uint32_t)pos))
		return NULL;
	d->n++;
	e = &d->e[pos];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	return e;
}

int cta_denials_add(struct cta_denials *d, const struct cta_kcount_elem *el)
{
	struct cta_tuple t = { .src = el->src,
			       .dst = el->dst,
			       .dport = el->dport,
			       .icmp_type = el->icmp_type,
			       .icmp_code = el->icmp_code };
	struct cta_denial_key k;
	struct entry *e;

	cta_denial_key(&k, el->family, el->l4proto, &t);
	if (!(e = get(d, &k)))
		return -ENOMEM;
	if (el->gen >= CTA_KCOUNT_GENS)
		return 0;
	if (el->point == CTA_KCOUNT_NAT) {
		e->translated = true;
	} else if (el->point == CTA_KCOUNT_FIRST) {
		uint64_t *last = &e->first_listed[el->gen];

		e->first += el->packets > *last ? el->packets - *last : 0;
		*last = el->packets;
	} else if (el->point == CTA_KCOUNT_UNCOUNTED) {
		if (!e->ever_uncounted)
			d->stats.uncounted++; /* flows, not listings that named them */
		d->n_uncounted += !e->uncounted;
		e->uncounted = e->ever_uncounted = true;
	} else {
		/*
		 * the kernel's count is the flow's whole count in this generation: what is
		 * new since the last
		 */
		uint64_t *last = &e->listed[el->gen][el->point == CTA_KCOUNT_LEFT];
		uint64_t n = el->packets > *last ? el->packets - *last : 0;

		*last = el->packets;
		if (el->point == CTA_KCOUNT_LEFT) {
			e->balance -= (int64_t)n;
			e->left += n;
			d->stats.left += n;
		} else {
			e->balance += (int64_t)n;
			d->stats.entered += n;
		}
	}
	return 0;
}

/*
 * A positive balance is denied packets, from the second listing in a row that found
 * it. One listing is not enough: a set's dump is not a snapshot, and while the kernel
 * resizes the hash table under a flood of new flows a dump can miss an element of a
 * left set (seen on 6.18 at 100k new flows/s: 24 accepted packets of 200,000 counted
 * entered and not left in one listing, evened in the next).
 */
static void settle_entry(struct entry *e, uint64_t now_mono, uint64_t listings)
{
	e->left_listed |= e->left > 0;
	if (e->balance <= 0) {
		/* < 0: left before its entry was listed; the next listing evens it */
		e->since = 0;
		e->positive = false;
	} else if (!e->positive) {
		e->positive = true;
	} else if (!e->since) {
		e->since = now_mono ? now_mono : 1;
		e->since_listing = listings;
	}
}

void cta_denials_listed(struct cta_denials *d, uint64_t now_mono)
{
	d->stats.listings++;
	d->n_confirmed = 0;
	for (size_t i = 0; i < d->n; i++) {
		settle_entry(&d->e[i], now_mono, d->stats.listings);
		d->n_confirmed += d->e[i].since != 0;
	}
}

void cta_denials_retired(struct cta_denials *d, int gen)
{
	if (gen < 0 || gen >= CTA_KCOUNT_GENS)
		return;
	for (size_t i = 0; i < d->n; i++) {
		d->e[i].listed[gen][0] = d->e[i].listed[gen][1] = 0;
		d->e[i].first_listed[gen] = 0;
	}
}

void cta_denials_next_listing(struct cta_denials *d)
{
	/* the uncounted sets say again which flows are still in doubt */
	for (size_t i = 0; i < d->n && d->n_uncounted; i++)
		d->e[i].uncounted = false;
	d->n_uncounted = 0;
}

bool cta_denials_uncounted(const struct cta_denials *d, const struct cta_denial_key *k)
{
	uint64_t hash;
	const struct entry *e;

	if (!d->n_uncounted)
		return false; /* the usual case: asked for every wait at every tick */
	e = find(d, k, &hash);
	return e && e->uncounted;
}

uint64_t cta_denials_left(const struct cta_denials *d, const struct cta_denial_key *k)
{
	uint64_t hash;
	const struct entry *e = find(d, k, &hash);

	return e ? e->left : 0;
}

bool cta_denials_untranslated(const struct cta_denials *d, const struct cta_denial_key *k)
{
	uint64_t hash;
	const struct entry *e = find(d, k, &hash);

	return e && e->left_listed && !e->translated;
}

uint64_t cta_denials_take(struct cta_denials *d, const struct cta_denial_key *k, uint64_t max)
{
	uint64_t hash, n;
	struct entry *e;

	if (!d->n_confirmed)
		return 0; /* the usual case: asked for waits at every tick */
	e = find(d, k, &hash);
	if (!e || e->balance <= 0 || !e->since || !max)
		return 0;
	n = (uint64_t)e->balance < max ? (uint64_t)e->balance : max;
	e->balance -= (int64_t)n;
	d->stats.denied += n;
	if (!e->balance) {
		e->since = 0;
		e->positive = false;
	}
	return n;
}

/*
 * How long packets owed stay owed: the last of them was seen before the judge said so,
 * so its count is listed two listings later at most, confirmed by the next, and handed
 * on DETAIL_KEEP_NS (judge.c) and a listing after that. Both must have passed.
 */
#define OWED_LISTINGS 6
#define OWED_NS 15000000000ULL

int cta_denials_owe(struct cta_denials *d, const struct cta_denial_key *k, uint64_t packets,
		    uint64_t now_mono)
{
	struct entry *e;

	if (!packets)
		return 0;
	if (!(e = get(d, k)))
		return -ENOMEM;
	e->owed += packets;
	e->owed_mono = now_mono;
	e->owed_listing = d->stats.listings;
	return 0;
}

/* Of n packets nothing claimed, those owed to attempts seen before (cta_denials_owe). */
static uint64_t owed_of(struct entry *e, uint64_t n, uint64_t listings, uint64_t now_mono)
{
	if (e->owed && listings - e->owed_listing > OWED_LISTINGS &&
	    cta_elapsed_ns(now_mono, e->owed_mono) > OWED_NS)
		e->owed = 0; /* never listed: not packets the kernel counted */
	n = n < e->owed ? n : e->owed;
	e->owed -= n;
	return n;
}

int cta_denials_expire(struct cta_denials *d, uint64_t now_mono, uint64_t wait_ns,
		       cta_denials_cb cb, void *data)
{
	int err = 0;

	for (size_t i = 0; i < d->n && d->n_confirmed && !err; i++) {
		struct entry *e = &d->e[i];
		uint64_t n, owed;

		if (e->balance <= 0 || !e->since)
			continue;
		/*
		 * Waited for, and a listing since the one that confirmed it: a wait for its
		 * attempt is due two listings after it began (judge.c), which may be later
		 * than wait_ns when listings are far apart
		 */
		if (wait_ns && (cta_elapsed_ns(now_mono, e->since) < wait_ns ||
				d->stats.listings <= e->since_listing))
			continue;
		n = (uint64_t)e->balance;
		if (e->uncounted) {
			d->stats.unsure += n; /* nothing claimed them: let go, not guessed */
		} else {
			d->stats.denied += n;
			owed = owed_of(e, n, d->stats.listings, now_mono);
			err = cb(&e->key, n - owed, owed, data);
		}
		e->balance = 0;
		e->since = 0;
		e->positive = false;
	}
	return err;
}

void cta_denials_mark_seen(struct cta_denials *d, const struct cta_denial_key *k)
{
	uint64_t hash;
	struct entry *e = find(d, k, &hash);

	if (e)
		e->seen = true;
}

int cta_denials_each_unseen(const struct cta_denials *d, cta_denials_unseen_cb cb, void *data)
{
	int err = 0;

	for (size_t i = 0; i < d->n && !err; i++) {
		const struct entry *e = &d->e[i];

		if (e->left && e->first && !e->seen && !e->translated)
			err = cb(&e->key, e->left, e->first, data);
	}
	return err;
}

const struct cta_denials_stats *cta_denials_stats(const struct cta_denials *d)
{
	return &d->stats;
}
