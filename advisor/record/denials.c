// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/denials.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"
#include "advisor/model/flow.h"

struct entry {
	struct cta_denial_key key;
	uint64_t hash;
	int64_t balance; /* entered - left, not yet handed on */
	uint64_t since; /* monotonic ns the balance was first found positive; 0: not */
	bool used;
};

struct cta_denials {
	struct entry *e;
	size_t n, cap;
	uint32_t *free_pos;
	size_t n_free;
	struct cta_hashidx idx;
	uint64_t pending;
	struct cta_denials_stats stats;
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
	free(d->free_pos);
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
	if (!d->n_free && d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct entry *ne = realloc(d->e, cap * sizeof(*ne));
		uint32_t *nf;

		if (!ne)
			return NULL;
		d->e = ne;
		nf = realloc(d->free_pos, cap * sizeof(*nf));
		if (!nf)
			return NULL;
		d->free_pos = nf;
		d->cap = cap;
	}
	pos = d->n_free ? d->free_pos[d->n_free - 1] : d->n;
	if (cta_hashidx_add(&d->idx, hash, (uint32_t)pos))
		return NULL;
	if (d->n_free)
		d->n_free--;
	else
		d->n++;
	e = &d->e[pos];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->hash = hash;
	e->used = true;
	return e;
}

static void forget(struct cta_denials *d, struct entry *e)
{
	uint32_t pos = (uint32_t)(e - d->e);

	cta_hashidx_del(&d->idx, e->hash, pos);
	e->used = false;
	d->free_pos[d->n_free++] = pos;
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
	if (el->left) {
		e->balance -= (int64_t)el->packets;
		d->stats.left += el->packets;
	} else {
		e->balance += (int64_t)el->packets;
		d->stats.entered += el->packets;
	}
	return 0;
}

/* A positive balance is denied packets, from the first listing that found it. */
static void settle_entry(struct cta_denials *d, struct entry *e, uint64_t now_mono)
{
	if (e->balance == 0) {
		forget(d, e);
	} else if (e->balance < 0) {
		e->since = 0; /* left before its entry was listed: the next listing evens it */
	} else if (!e->since) {
		e->since = now_mono ? now_mono : 1;
	}
}

void cta_denials_listed(struct cta_denials *d, uint64_t now_mono)
{
	uint64_t pending = 0;

	d->stats.listings++;
	for (size_t i = 0; i < d->n; i++) {
		struct entry *e = &d->e[i];

		if (!e->used)
			continue;
		settle_entry(d, e, now_mono);
		if (e->used && e->balance > 0)
			pending += (uint64_t)e->balance;
	}
	/* what was found on top of what waited already */
	if (pending > d->pending)
		d->stats.denied += pending - d->pending;
	d->pending = pending;
}

uint64_t cta_denials_take(struct cta_denials *d, const struct cta_denial_key *k, uint64_t max)
{
	uint64_t hash, n;
	struct entry *e = find(d, k, &hash);

	if (!e || e->balance <= 0 || !max)
		return 0;
	n = (uint64_t)e->balance < max ? (uint64_t)e->balance : max;
	e->balance -= (int64_t)n;
	d->pending -= n;
	if (!e->balance)
		forget(d, e);
	return n;
}

int cta_denials_expire(struct cta_denials *d, uint64_t now_mono, uint64_t wait_ns,
		       cta_denials_cb cb, void *data)
{
	int err = 0;

	for (size_t i = 0; i < d->n && !err; i++) {
		struct entry *e = &d->e[i];
		uint64_t n;

		if (!e->used || e->balance <= 0 || !e->since)
			continue;
		if (wait_ns && now_mono - e->since < wait_ns)
			continue;
		n = (uint64_t)e->balance;
		err = cb(&e->key, n, data);
		d->pending -= n;
		forget(d, e);
	}
	return err;
}

uint64_t cta_denials_pending(const struct cta_denials *d)
{
	return d->pending;
}

const struct cta_denials_stats *cta_denials_stats(const struct cta_denials *d)
{
	return &d->stats;
}
