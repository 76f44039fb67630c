// SPDX-License-Identifier: GPL-2.0-or-later
#include "hashidx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cta_hashidx_init(struct cta_hashidx *h)
{
	memset(h, 0, sizeof(*h));
}

void cta_hashidx_fini(struct cta_hashidx *h)
{
	free(h->pos);
	free(h->hash);
	memset(h, 0, sizeof(*h));
}

int64_t cta_hashidx_find(const struct cta_hashidx *h, uint64_t hash, cta_hashidx_eq eq,
			 const void *ctx)
{
	size_t mask = h->cap - 1, i;

	if (!h->cap)
		return -1;
	for (i = hash & mask; h->pos[i]; i = (i + 1) & mask) {
		if (h->hash[i] == (uint32_t)hash && eq(h->pos[i] - 1, ctx))
			return h->pos[i] - 1;
	}
	return -1;
}

static void place(struct cta_hashidx *h, uint32_t hash, uint32_t pos1)
{
	size_t mask = h->cap - 1, i;

	for (i = hash & mask; h->pos[i]; i = (i + 1) & mask)
		;
	h->pos[i] = pos1;
	h->hash[i] = hash;
}

static int grow(struct cta_hashidx *h)
{
	struct cta_hashidx n = { .cap = h->cap ? h->cap * 2 : 64, .used = h->used };

	n.pos = calloc(n.cap, sizeof(*n.pos));
	n.hash = calloc(n.cap, sizeof(*n.hash));
	if (!n.pos || !n.hash) {
		free(n.pos);
		free(n.hash);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->cap; i++)
		if (h->pos[i])
			place(&n, h->hash[i], h->pos[i]);
	free(h->pos);
	free(h->hash);
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
	for (i = hash & mask; h->pos[i]; i = (i + 1) & mask)
		if (h->pos[i] == pos + 1)
			break;
	if (!h->pos[i])
		return;
	/* backward-shift deletion: no tombstones, probes never lengthen */
	for (j = (i + 1) & mask; h->pos[j]; j = (j + 1) & mask) {
		size_t home = h->hash[j] & mask;

		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			h->pos[i] = h->pos[j];
			h->hash[i] = h->hash[j];
			i = j;
		}
	}
	h->pos[i] = 0;
	h->hash[i] = 0;
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
