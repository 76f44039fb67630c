// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nflog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int config(struct cta_nlsock *s, uint16_t group, uint16_t type, const void *data,
		  uint16_t len)
{
	char buf[256] = { 0 }; /* attribute padding is sent too */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC; /* a group serves every family */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	mnl_attr_put(nlh, type, len, data);
	return cta_nlsock_talk(s, nlh);
}

static int open_group(struct cta_nlsock **out, uint16_t group, unsigned rcvbuf, uint32_t batch)
{
	struct nfulnl_msg_config_cmd bind = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(128),
					       .copy_mode = NFULNL_COPY_PACKET };
	uint16_t flags = htons(NFULNL_CFG_F_CONNTRACK);
	uint32_t timeout = htonl(CTA_NFLOG_FLUSH_MS / 10), qthresh = htonl(batch);
	int err = cta_nlsock_open(out, NULL, 0, rcvbuf);

	if (err)
		return err;
	err = config(*out, group, NFULA_CFG_CMD, &bind, sizeof(bind));
	if (!err)
		err = config(*out, group, NFULA_CFG_MODE, &mode, sizeof(mode));
	/*
	 * The kernel batches packets (100 by default) and sends a batch at the latest after
	 * its timeout (1 s by default): a recording that stops lost the last second.
	 * Batches of BATCH, sent after CTA_NFLOG_FLUSH_MS at the latest.
	 */
	if (!err)
		err = config(*out, group, NFULA_CFG_TIMEOUT, &timeout, sizeof(timeout));
	if (!err)
		err = config(*out, group, NFULA_CFG_QTHRESH, &qthresh, sizeof(qthresh));
	/*
	 * The conntrack id with each packet, where the kernel can: it needs
	 * CONFIG_NETFILTER_NETLINK_GLUE_CT, which this project's kernels lack
	 * (EOPNOTSUPP). Without it packets join conntrack by their tuple: not an error.
	 */
	if (!err)
		(void)config(*out, group, NFULA_CFG_FLAGS, &flags, sizeof(flags));
	if (err) {
		cta_nlsock_free(*out);
		*out = NULL;
	}
	return err;
}

int cta_nflog_open(struct cta_nlsock **out, uint16_t group, unsigned rcvbuf)
{
	return open_group(out, group, rcvbuf, 64);
}

int cta_nflog_open_trace(struct cta_nlsock **out, unsigned rcvbuf)
{
	/* one message per line: each is sent the moment ip_tables logs it */
	return open_group(out, CTA_NFLOG_TRACE_GROUP, rcvbuf, 1);
}

bool cta_nflog_group_taken(uint16_t group)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_log", "r");
	unsigned g;
	bool taken = false;
	char line[256];

	if (!f)
		return false;
	while (!taken && fgets(line, sizeof(line), f))
		taken = sscanf(line, "%u", &g) == 1 && g == group;
	fclose(f);
	return taken;
}
