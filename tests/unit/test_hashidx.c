// SPDX-License-Identifier: GPL-2.0-or-later
/* The index against a plain array, through random adds and deletes. */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "advisor/lib/hashidx.h"

#define N 5000

static uint32_t keys[N];
static bool live[N];

static bool eq(uint32_t pos, const void *ctx)
{
	return keys[pos] == *(const uint32_t *)ctx;
}

static uint64_t h(uint32_t k)
{
	uint64_t w = k;

	/* few distinct hashes on purpose: long probe chains exercise backward shifts */
	return cta_hash_words(&w, 8) % 1024;
}

int main(void)
{
	struct cta_hashidx idx;
	int mismatches = 0;

	cta_hashidx_init(&idx);
	srand(7);
	for (uint32_t i = 0; i < N; i++)
		keys[i] = i * 2654435761u; /* distinct */
	for (int round = 0; round < 20000; round++) {
		uint32_t i = (uint32_t)rand() % N;

		if (live[i]) {
			cta_hashidx_del(&idx, h(keys[i]), i);
			live[i] = false;
		} else if (cta_hashidx_find(&idx, h(keys[i]), eq, &keys[i]) < 0) {
			CHECK_EQ(cta_hashidx_add(&idx, h(keys[i]), i), 0);
			live[i] = true;
		}
		if (round % 1000 == 0) {
			for (uint32_t j = 0; j < N; j++) {
				int64_t p = cta_hashidx_find(&idx, h(keys[j]), eq, &keys[j]);

				if (live[j] ? p < 0 || keys[p] != keys[j] : p >= 0)
					mismatches++;
			}
		}
	}
	CHECK_EQ(mismatches, 0);
	size_t n = 0;
	for (uint32_t j = 0; j < N; j++)
		n += live[j];
	CHECK_EQ(idx.used, n);
	cta_hashidx_fini(&idx);
	CHECK_EQ(cta_hashidx_find(&idx, 1, eq, &keys[0]), -1);
	return check_report("hashidx");
}
