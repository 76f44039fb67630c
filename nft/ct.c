// SPDX-License-Identifier: GPL-2.0-or-later
#include "ct.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../advisor/util.h"
#include "ctmsg.h"

/* Messages taken per recvmmsg() call; each slot holds one event datagram. */
#define BATCH 64
#define SLOT_SIZE 8192
#define DUMP_TRIES 3

struct cta_ct {
	struct mnl_socket *ev; /* subscribed to the event groups */
	struct mnl_socket *dump;
	uint32_t dump_portid, seq;
	unsigned rcvbuf;
	struct cta_ct_stats stats;
	/* receive area for events, allocated once: no allocation per event */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char *slots;
	char dumpbuf[32768]; /* as MNL_SOCKET_DUMP_SIZE in newer libmnl */
};

static int join(struct mnl_socket *nl, unsigned group)
{
	return mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group));
}

static void set_rcvbuf(struct cta_ct *ct, unsigned bytes)
{
	int fd = mnl_socket_get_fd(ct->ev), v = (int)bytes;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		ct->rcvbuf = (unsigned)v;
}

int cta_ct_open(struct cta_ct **out, unsigned rcvbuf)
{
	struct cta_ct *ct;
	int err = 0;

	*out = NULL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->slots = malloc((size_t)BATCH * SLOT_SIZE);
	if (!ct->slots) {
		free(ct);
		return -ENOMEM;
	}
	for (int i = 0; i < BATCH; i++) {
		ct->iov[i].iov_base = ct->slots + (size_t)i * SLOT_SIZE;
		ct->iov[i].iov_len = SLOT_SIZE;
		ct->msgs[i].msg_hdr.msg_iov = &ct->iov[i];
		ct->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	ct->ev = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ct->dump = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!ct->ev || !ct->dump) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(ct->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(ct->dump, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	if (join(ct->ev, NFNLGRP_CONNTRACK_NEW) < 0 || join(ct->ev, NFNLGRP_CONNTRACK_UPDATE) < 0 ||
	    join(ct->ev, NFNLGRP_CONNTRACK_DESTROY) < 0) {
		err = -errno;
		goto fail;
	}
	set_rcvbuf(ct, rcvbuf);
	ct->dump_portid = mnl_socket_get_portid(ct->dump);
	ct->seq = (uint32_t)time(NULL);
	*out = ct;
	return 0;
fail:
	cta_ct_free(ct);
	return err ? err : -EIO;
}

void cta_ct_free(struct cta_ct *ct)
{
	if (!ct)
		return;
	if (ct->ev)
		mnl_socket_close(ct->ev);
	if (ct->dump)
		mnl_socket_close(ct->dump);
	free(ct->slots);
	free(ct);
}

int cta_ct_fd(const struct cta_ct *ct)
{
	return mnl_socket_get_fd(ct->ev);
}

unsigned cta_ct_rcvbuf(const struct cta_ct *ct)
{
	return ct->rcvbuf;
}

const struct cta_ct_stats *cta_ct_stats(const struct cta_ct *ct)
{
	return &ct->stats;
}

/* Every message of one datagram; returns the number of events delivered. */
static int deliver(struct cta_ct *ct, const void *buf, int len, bool dump, uint64_t now,
		   cta_ct_cb cb, void *data, bool *done, int *nlerr, bool *intr)
{
	const struct nlmsghdr *nlh = buf;
	struct cta_event ev;
	int n = 0;

	for (; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type == NLMSG_DONE) {
			*done = true;
			break;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error)
				*nlerr = e->error;
			*done = true;
			break;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			*intr = true;
		if (cta_ctmsg_parse(nlh, dump, &ev) != 0) {
			ct->stats.bad_messages++;
			continue;
		}
		ev.seen_ns = now;
		cb(&ev, data);
		n++;
	}
	return n;
}

int cta_ct_read(struct cta_ct *ct, cta_ct_cb cb, void *data)
{
	int fd = mnl_socket_get_fd(ct->ev), total = 0;

	for (;;) {
		bool done = false, intr = false;
		int got, nlerr = 0;
		uint64_t now;

		for (int i = 0; i < BATCH; i++)
			ct->msgs[i].msg_hdr.msg_flags = 0;
		got = recvmmsg(fd, ct->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			if (errno == ENOBUFS) {
				ct->stats.overruns++;
				return -ENOBUFS;
			}
			return -errno;
		}
		now = cta_now_real_ns();
		for (int i = 0; i < got; i++) {
			ct->stats.messages++;
			if (ct->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				ct->stats.bad_messages++;
				continue;
			}
			total += deliver(ct, ct->iov[i].iov_base, (int)ct->msgs[i].msg_len, false,
					 now, cb, data, &done, &nlerr, &intr);
		}
		if (got < BATCH)
			return total;
	}
}

static int dump_once(struct cta_ct *ct, cta_ct_cb cb, void *data, bool *intr)
{
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nfgenmsg *nfg;
	uint32_t seq = ++ct->seq;
	uint64_t now = cta_now_real_ns();
	bool done = false;
	int nlerr = 0;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC; /* every family */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(ct->dump, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	*intr = false;
	while (!done) {
		ssize_t got = mnl_socket_recvfrom(ct->dump, ct->dumpbuf, sizeof(ct->dumpbuf));
		int n;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = deliver(ct, ct->dumpbuf, (int)got, true, now, cb, data, &done, &nlerr, intr);
		ct->stats.dump_entries += (uint64_t)n;
		if (nlerr)
			return nlerr;
	}
	return 0;
}

int cta_ct_dump(struct cta_ct *ct, cta_ct_cb cb, void *data)
{
	for (int i = 0; i < DUMP_TRIES; i++) {
		bool intr = false;
		int err = dump_once(ct, cb, data, &intr);

		if (err)
			return err;
		if (!intr)
			break;
		/* the table changed under the dump: entries may be missing, go again */
		ct->stats.dump_retries++;
	}
	ct->stats.dumps++;
	return 0;
}
