// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/lib/hashidx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cta_hashidx_init(struct cta_hashidx *h)
{
	memset(h, 0, sizeof(*h));
}

void cta_hashidx_fini(struct cta_hashidx *h)
{
	free(h->slot);
	memset(h, 0, sizeof(*h));
}

int64_t cta_hashidx_find(const struct cta_hashidx *h, uint64_t hash, cta_hashidx_eq eq,
			 const void *ctx)
{
	size_t mask = h->cap - 1, i;

	if (!h->cap)
		return -1;
	for (i = hash & mask; h->slot[i].pos; i = (i + 1) & mask) {
		if (h->slot[i].hash == (uint32_t)hash && eq(h->slot[i].pos - 1, ctx))
			return h->slot[i].pos - 1;
	}
	return -1;
}

static void place(struct cta_hashidx *h, uint32_t hash, uint32_t pos1)
{
	size_t mask = h->cap - 1, i;

	for (i = hash & mask; h->slot[i].pos; i = (i + 1) & mask)
		;
	h->slot[i].pos = pos1;
	h->slot[i].hash = hash;
}

static int grow(struct cta_hashidx *h)
{
	struct cta_hashidx n = { .cap = h->cap ? h->cap * 2 : 64, .used = h->used };

	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap; i++)
		if (h->slot[i].pos)
			place(&n, h->slot[i].hash, h->slot[i].pos);
	free(h->slot);
	*h = n;
	return 0;
}

int cta_hashidx_add(struct cta_hashidx *h, uint64_t hash, uint32_t pos)
{
	/* keep the load under 1/2: probes stay short */
	if ((h->used + 1) * 2 > h->cap) {
		int err = grow(h);

		if (err)
			return err;
	}
	place(h, (uint32_t)hash, pos + 1);
	h->used++;
	return 0;
}

void cta_hashidx_del(struct cta_hashidx *h, uint64_t hash, uint32_t pos)
{
	size_t mask = h->cap - 1, i, j;

	if (!h->cap)
		return;
	for (i = hash & mask; h->slot[i].pos; i = (i + 1) & mask)
		if (h->slot[i].pos == pos + 1)
			break;
	if (!h->slot[i].pos)
		return;
	/* backward-shift deletion: no tombstones, probes never lengthen */
	for (j = (i + 1) & mask; h->slot[j].pos; j = (j + 1) & mask) {
		size_t home = h->slot[j].hash & mask;

		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			h->slot[i] = h->slot[j];
			i = j;
		}
	}
	h->slot[i].pos = 0;
	h->slot[i].hash = 0;
	h->used--;
}

uint64_t cta_hash_words(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h ^= h >> 29;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 32;
	return h;
}
