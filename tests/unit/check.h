/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal test harness: CHECK records a failure and goes on; main returns the tally. */
#ifndef CTA_CHECK_H
#define CTA_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed, check_passed;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (cond) {                                                                      \
			check_passed++;                                                          \
		} else {                                                                         \
			check_failed++;                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                                      \
	do {                                                                                \
		long long _a = (long long)(a), _b = (long long)(b);                         \
		if (_a == _b) {                                                             \
			check_passed++;                                                     \
		} else {                                                                    \
			check_failed++;                                                     \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
				__LINE__, #a, #b, _a, _b);                                  \
		}                                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (_a && _b && !strcmp(_a, _b)) {                                                 \
			check_passed++;                                                            \
		} else {                                                                           \
			check_failed++;                                                            \
			fprintf(stderr, "%s:%d: %s == %s failed:\n  got  \"%s\"\n  want \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)",                    \
				_b ? _b : "(null)");                                               \
		}                                                                                  \
	} while (0)

static inline int check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
