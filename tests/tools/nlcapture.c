// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Save conntrack event messages as they come from the kernel, one file each, for
 * the parser's unit test and fuzz corpus (tests/data/ct/).
 *
 *   nlcapture DIR SECONDS
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
	unsigned groups[] = { NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE,
			      NFNLGRP_CONNTRACK_DESTROY };
	time_t end;
	int n = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: nlcapture DIR SECONDS\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[2]);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlcapture");
		return 1;
	}
	for (unsigned i = 0; i < 3; i++)
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
		snprintf(path, sizeof(path), "%s/ct-%03d.nl", argv[1], n++);
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
