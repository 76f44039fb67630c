// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Save netfilter netlink messages as they come from the kernel, one file each, for
 * the parsers' unit tests and fuzz corpora (tests/data/).
 *
 *   nlcapture DIR SECONDS [GROUP...]
 *
 * GROUP: an NFNLGRP_* number; the conntrack event groups (1 2 3) by default,
 * 9 for nf_tables traces, 7 for ruleset changes.
 */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct mnl_socket *nl;
	char buf[8192], path[4096];
	unsigned groups[16] = { NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE,
				NFNLGRP_CONNTRACK_DESTROY };
	unsigned n_groups = 3;
	time_t end;
	int n = 0;

	if (argc < 3 || argc > 3 + 16) {
		fprintf(stderr, "usage: nlcapture DIR SECONDS [GROUP...]\n");
		return 2;
	}
	if (argc > 3) {
		n_groups = 0;
		for (int i = 3; i < argc; i++)
			groups[n_groups++] = (unsigned)atoi(argv[i]);
	}
	end = time(NULL) + atoi(argv[2]);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlcapture");
		return 1;
	}
	for (unsigned i = 0; i < n_groups; i++)
		mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i]));
	while (time(NULL) < end) {
		struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		ssize_t len;
		FILE *f;

		if (poll(&p, 1, 200) != 1)
			continue;
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%03d.nl", argv[1], n++);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, (size_t)len, f) != (size_t)len) {
			perror(path);
			return 1;
		}
		fclose(f);
	}
	printf("%d messages\n", n);
	mnl_socket_close(nl);
	return 0;
}
