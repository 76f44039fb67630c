// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two conntrack parsers side by side on the messages recorded from the kernel
 * (tests/data/ct): the hand-written one (cta_ctmsg_parse) and the one through
 * libnetfilter_conntrack (cta_ctmsg_read: check, nfct_nlmsg_parse into a reused
 * object, getters). Rounds alternate between them; each round parses every message
 * N times and is timed in CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), so other
 * work on the machine stretches it less than wall time would.
 *
 *   build/x/bench/ctparse [DIR [ROUNDS [N]]]   default: tests/data/ct 9 20000
 *
 * Prints ns per message for each parser, median (lowest-highest) over the rounds, the
 * share of the library path spent checking the message before the library sees it
 * (cta_ctmsg_check alone), and the library's extra cost per message.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nft/ctmsg.h"

#define MAX_MSGS 256
#define MSG_CAP 4096

static char msgs[MAX_MSGS][MSG_CAP] __attribute__((aligned(8)));
static int nmsgs;

static void load(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) && nmsgs < MAX_MSGS) {
		char path[4096];
		FILE *f;
		size_t len;

		if (!strstr(de->d_name, ".nl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		len = fread(msgs[nmsgs], 1, MSG_CAP, f);
		fclose(f);
		if (cta_nlmsg_ok((const struct nlmsghdr *)msgs[nmsgs], (int)len))
			nmsgs++;
	}
	if (d)
		closedir(d);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

enum parser { HAND, LIB, CHECK };

/* ns per message over n passes */
static double round_of(enum parser p, struct cta_ctmsg *lib, long n, unsigned long *sink)
{
	struct cta_event ev = { 0 };
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		for (int k = 0; k < nmsgs; k++) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)msgs[k];
			int err = p == HAND  ? cta_ctmsg_parse(nlh, false, &ev)
				  : p == LIB ? cta_ctmsg_read(lib, nlh, false, &ev)
					     : cta_ctmsg_check(nlh);

			*sink += (unsigned long)err + ev.orig.sport + ev.id;
		}
	return (now_ns() - t0) / ((double)n * nmsgs);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/ct";
	int rounds = argc > 2 ? atoi(argv[2]) : 9;
	long n = argc > 3 ? atol(argv[3]) : 20000;
	double hand[64], lib[64], diff[64], check[64];
	struct cta_ctmsg *m;
	unsigned long sink = 0;

	load(dir);
	if (!nmsgs || rounds < 1 || rounds > 64 || n < 1 || cta_ctmsg_new(&m)) {
		fprintf(stderr, "ctparse: no messages in %s, or bad arguments\n", dir);
		return 1;
	}
	round_of(HAND, m, n / 10 + 1, &sink); /* warm up */
	round_of(LIB, m, n / 10 + 1, &sink);
	for (int r = 0; r < rounds; r++) {
		hand[r] = round_of(HAND, m, n, &sink);
		lib[r] = round_of(LIB, m, n, &sink);
		check[r] = round_of(CHECK, m, n, &sink);
		diff[r] = lib[r] - hand[r];
	}
	qsort(hand, (size_t)rounds, sizeof(double), cmp);
	qsort(lib, (size_t)rounds, sizeof(double), cmp);
	qsort(diff, (size_t)rounds, sizeof(double), cmp);
	qsort(check, (size_t)rounds, sizeof(double), cmp);
	printf("%d messages x %ld, %d rounds, ns per message (CPU), median (lowest-highest)\n",
	       nmsgs, n, rounds);
	printf("hand-written      %7.1f (%.1f-%.1f)\n", hand[rounds / 2], hand[0],
	       hand[rounds - 1]);
	printf("libnfct           %7.1f (%.1f-%.1f)\n", lib[rounds / 2], lib[0], lib[rounds - 1]);
	printf("  of it, the check %6.1f (%.1f-%.1f)\n", check[rounds / 2], check[0],
	       check[rounds - 1]);
	printf("library's extra   %7.1f (%.1f-%.1f)\n", diff[rounds / 2], diff[0],
	       diff[rounds - 1]);
	cta_ctmsg_free(m);
	return sink == 42; /* keeps the work */
}
