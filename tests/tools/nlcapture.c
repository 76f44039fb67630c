// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Save netfilter netlink messages as they come from the kernel, one file each, for
 * the parsers' unit tests and fuzz corpora (tests/data/).
 *
 *   nlcapture DIR SECONDS [GROUP...]
 *
 * GROUP: an NFNLGRP_* number; the conntrack event groups (1 2 3) by default,
 * 9 for nf_tables traces, 7 for ruleset changes; or nflog:N to bind NFLOG group N
 * (tests/data/nflog, with `log group N snaplen 128` rules in the namespace).
 */
#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* NFLOG is unicast: bind the group and ask for packets (128 bytes of each). */
static int nflog_bind(struct mnl_socket *nl, uint16_t group)
{
	struct nfulnl_msg_config_cmd cmd = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { htonl(128), NFULNL_COPY_PACKET, 0 };

	for (int i = 0; i < 2; i++) {
		char buf[256] = { 0 };
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct nfgenmsg *nfg;

		nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = AF_UNSPEC;
		nfg->res_id = htons(group);
		if (i == 0)
			mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
		else
			mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			return -1;
	}
	return 0;
}

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
			if (strncmp(argv[i], "nflog:", 6))
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
	for (int i = 3; i < argc; i++)
		if (!strncmp(argv[i], "nflog:", 6) &&
		    nflog_bind(nl, (uint16_t)atoi(argv[i] + 6)) < 0) {
			perror("nlcapture: nflog");
			return 1;
		}
	while (time(NULL) < end) {
		struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		ssize_t len;
		FILE *f;

		if (poll(&p, 1, 200) != 1)
			continue;
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len <= 0 || ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
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
