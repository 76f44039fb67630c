// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * record's own table without record, for bench/kernel-floor.sh: makes the table
 * `conntrack-advise record` makes (nft/table.c, the same code) and reads nothing, so
 * what the table costs the packets' path can be told from what reading traces, NFLOG
 * and conntrack events costs. The table is owned by this process's socket (flags
 * owner): the kernel removes it when the process ends.
 *
 *   ctatable [count]   until SIGINT or SIGTERM. Without "count": record's DEFAULT
 *                      table (--trace new at CTA_TABLE_DEFAULT_TRACE_RATE new flows/s,
 *                      NFLOG to CTA_TABLE_DEFAULT_NFLOG_GROUP, the counting sets);
 *                      with "count": the counting sets and chains alone (nft/kcount.h). Prints "ready" once the table is in.
 * Exit 0; 1 if the table was refused (the batch's failed object on stderr).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "nft/table.h"

int main(int argc, char **argv)
{
	bool count_only = argc > 1 && !strcmp(argv[1], "count");
	/* as record's defaults (cmd_record.c) */
	struct cta_table_config cfg = {
		.conntrack = !count_only,
		.count = true,
		.trace = count_only ? CTA_TRACE_NONE : CTA_TRACE_NEW,
		.trace_rate = CTA_TABLE_DEFAULT_TRACE_RATE,
		.nflog_group = count_only ? 0 : CTA_TABLE_DEFAULT_NFLOG_GROUP,
	};
	struct cta_table_error terr = { "" };
	struct cta_table *t = NULL;
	sigset_t set;
	int sig, rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	rc = cta_table_new(&t, &cfg, &terr);
	if (rc) {
		fprintf(stderr, "ctatable: %s: %s\n", terr.object, strerror(-rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	cta_table_free(t);
	return 0;
}
