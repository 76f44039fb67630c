/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An open-addressing index from a 64-bit hash to positions in the caller's own
 * array. The caller keeps the items and says which one matches; the index only
 * stores positions, so items can be plain structs in one growable array.
 */
#ifndef CTA_HASHIDX_H
#define CTA_HASHIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cta_hashidx_slot {
	uint32_t pos; /* item position + 1; 0 = empty */
	uint32_t hash; /* low bits of the item's hash, for probing and moving */
};

struct cta_hashidx {
	/* side by side: a probe touches one cache line, not two */
	struct cta_hashidx_slot *slot;
	size_t cap; /* power of two */
	size_t used;
};

/* Does the item at pos match what the caller looks for? */
typedef bool (*cta_hashidx_eq)(uint32_t pos, const void *ctx);

void cta_hashidx_init(struct cta_hashidx *h);
void cta_hashidx_fini(struct cta_hashidx *h);
/* Position of the matching item, or -1. */
int64_t cta_hashidx_find(const struct cta_hashidx *h, uint64_t hash, cta_hashidx_eq eq,
			 const void *ctx);
/* Start loading the slot where a probe for hash begins (a lookup soon after). */
static inline void cta_hashidx_prefetch(const struct cta_hashidx *h, uint64_t hash)
{
	if (h->cap)
		__builtin_prefetch(&h->slot[hash & (h->cap - 1)], 1);
}
/* Add an item known not to be there. 0 or -ENOMEM. */
int cta_hashidx_add(struct cta_hashidx *h, uint64_t hash, uint32_t pos);
/* Remove the entry for item pos (found by its hash). */
void cta_hashidx_del(struct cta_hashidx *h, uint64_t hash, uint32_t pos);

/* A fast mix of a buffer whose length is a multiple of 8. */
uint64_t cta_hash_words(const void *buf, size_t len);

#endif
