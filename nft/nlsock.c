// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nlsock.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "nft/ctmsg.h"

#define BATCH 64
#define SLOT_SIZE 8192

struct cta_nlsock {
	struct mnl_socket *nl;
	unsigned rcvbuf;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char *slots;
};

int cta_nlsock_open(struct cta_nlsock **out, const unsigned *groups, int n, unsigned rcvbuf)
{
	struct cta_nlsock *s = calloc(1, sizeof(*s));
	int err = 0;

	*out = NULL;
	if (!s || !(s->slots = malloc((size_t)BATCH * SLOT_SIZE))) {
		free(s);
		return -ENOMEM;
	}
	for (int i = 0; i < BATCH; i++) {
		s->iov[i].iov_base = s->slots + (size_t)i * SLOT_SIZE;
		s->iov[i].iov_len = SLOT_SIZE;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!s->nl || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		unsigned group = groups[i];

		if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) <
		    0) {
			err = -errno;
			goto fail;
		}
	}
	if (rcvbuf) {
		int fd = mnl_socket_get_fd(s->nl), v = (int)rcvbuf;
		socklen_t len = sizeof(v);

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
			s->rcvbuf = (unsigned)v;
	}
	*out = s;
	return 0;
fail:
	cta_nlsock_free(s);
	return err ? err : -EIO;
}

void cta_nlsock_free(struct cta_nlsock *s)
{
	if (!s)
		return;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->slots);
	free(s);
}

int cta_nlsock_fd(const struct cta_nlsock *s)
{
	return mnl_socket_get_fd(s->nl);
}

unsigned cta_nlsock_rcvbuf(const struct cta_nlsock *s)
{
	return s->rcvbuf;
}

struct ack {
	uint32_t seq;
	bool got;
	int err;
};

static void on_ack(const struct nlmsghdr *nlh, void *data)
{
	struct ack *a = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != a->seq ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return;
	a->got = true;
	a->err = e->error;
}

int cta_nlsock_talk(struct cta_nlsock *s, struct nlmsghdr *nlh)
{
	static uint32_t seq;
	struct ack a = { .seq = ++seq };

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = a.seq;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (int tries = 0; tries < 20 && !a.got; tries++) {
		struct pollfd p = { .fd = mnl_socket_get_fd(s->nl), .events = POLLIN };
		int n = poll(&p, 1, 100);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (n = cta_nlsock_read(s, on_ack, &a, NULL)) < 0)
			return n;
	}
	return a.got ? a.err : -ETIMEDOUT;
}

int cta_nlsock_read(struct cta_nlsock *s, cta_nlsock_cb cb, void *data, uint64_t *truncated)
{
	int fd = mnl_socket_get_fd(s->nl), total = 0;

	for (;;) {
		int got;

		for (int i = 0; i < BATCH; i++)
			s->msgs[i].msg_hdr.msg_flags = 0;
		got = recvmmsg(fd, s->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			return -errno;
		}
		for (int i = 0; i < got; i++) {
			const struct nlmsghdr *nlh = s->iov[i].iov_base;
			int len = (int)s->msgs[i].msg_len;

			if (s->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				if (truncated)
					(*truncated)++;
				continue;
			}
			for (; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
				cb(nlh, data);
		}
		total += got;
		if (got < BATCH)
			return total;
	}
}
