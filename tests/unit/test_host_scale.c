// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a host is linear in its interfaces: name comparisons and reallocations
 * counted at link time (--wrap), not timed. Before the index, n interfaces cost
 * n^2/2 comparisons and n reallocations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "advisor/model/host.h"

static unsigned long compares, reallocs;

int __real_strcmp(const char *a, const char *b);
int __wrap_strcmp(const char *a, const char *b);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

int __wrap_strcmp(const char *a, const char *b)
{
	compares++;
	return __real_strcmp(a, b);
}

void *__wrap_realloc(void *p, size_t n)
{
	reallocs++;
	return __real_realloc(p, n);
}

int main(void)
{
	enum { N = 10000 };
	struct cta_host h = { 0 };
	struct cta_host_addr a = { .family = 2, .prefixlen = 24 };
	char name[16];

	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "if%u", i);
		/* as the session reader does: the interface, then each of its addresses */
		CHECK_EQ(cta_host_add_addr(&h, name, i, NULL), 0);
		CHECK_EQ(cta_host_add_addr(&h, name, i, &a), 0);
		CHECK_EQ(cta_host_add_addr(&h, name, i, &a), 0);
	}
	CHECK_EQ(h.n_ifaces, N);
	fprintf(stderr, "%d interfaces: %lu name comparisons, %lu reallocations\n", N, compares,
		reallocs);
	CHECK(compares < 4 * N);
	CHECK(reallocs < 2 * N);
	cta_host_fini(&h);
	return check_report("host-scale");
}
