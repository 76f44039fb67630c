// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/route.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "nft/routemsg.h"

#define DUMP_BUF 32768 /* as libmnl 1.0.5 (MNL_SOCKET_DUMP_SIZE) */

struct dump {
	cta_route_cb on_route;
	cta_prule_cb on_rule;
	void *data;
	int rc; /* a callback's */
};

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct cta_route r;
	struct cta_prule p;
	int rc;

	if (nlh->nlmsg_type == RTM_NEWROUTE) {
		rc = cta_routemsg_parse(nlh, &r);
		if (rc <= 0 || !d->on_route)
			return MNL_CB_OK; /* a malformed one is not rebuilt: skipped */
		if (r.oif && !if_indextoname(r.oif, r.dev))
			r.dev[0] = '\0';
		d->rc = d->on_route(&r, d->data);
	} else if (nlh->nlmsg_type == RTM_NEWRULE) {
		rc = cta_prulemsg_parse(nlh, &p);
		if (rc <= 0 || !d->on_rule)
			return MNL_CB_OK;
		d->rc = d->on_rule(&p, d->data);
	}
	return d->rc ? MNL_CB_ERROR : MNL_CB_OK;
}

static int dump_one(struct mnl_socket *nl, uint16_t type, struct dump *d)
{
	char *buf = malloc(DUMP_BUF);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned seq = (unsigned)time(NULL) + type, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	/* struct fib_rule_hdr begins like struct rtmsg: family first, the rest zero */
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		rc = -errno;
	while (!rc) {
		n = mnl_socket_recvfrom(nl, buf, DUMP_BUF);
		if (n < 0) {
			rc = -errno;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, on_msg, d);
		if (rc == MNL_CB_STOP) {
			rc = 0;
			break;
		}
		rc = rc < 0 ? (d->rc ? d->rc : -errno) : 0;
	}
	free(buf);
	return rc;
}

int cta_route_dump(cta_route_cb on_route, cta_prule_cb on_rule, void *data)
{
	struct dump d = { on_route, on_rule, data, 0 };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int rc = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = -errno;
	if (!rc && on_route)
		rc = dump_one(nl, RTM_GETROUTE, &d);
	if (!rc && on_rule)
		rc = dump_one(nl, RTM_GETRULE, &d);
	mnl_socket_close(nl);
	return rc;
}
