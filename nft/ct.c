// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/ct.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "advisor/lib/util.h"
#include "nft/ctmsg.h"
#include "nft/nlsock.h"

#define DUMP_TRIES 3

struct cta_ct {
	struct cta_nlsock *ev; /* subscribed to the event groups */
	struct mnl_socket *dump;
	struct cta_ctmsg *msg; /* dumps: libnetfilter_conntrack, one reused object */
	uint32_t dump_portid, seq;
	struct cta_ct_stats stats;
	char dumpbuf[32768]; /* as MNL_SOCKET_DUMP_SIZE in newer libmnl */
};

/* ct->dump: a new socket, or NULL and -errno */
static int open_dump_socket(struct cta_ct *ct)
{
	int err;

	ct->dump = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!ct->dump)
		return -errno;
	if (mnl_socket_bind(ct->dump, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(ct->dump);
		ct->dump = NULL;
		return err;
	}
	ct->dump_portid = mnl_socket_get_portid(ct->dump);
	return 0;
}

int cta_ct_open(struct cta_ct **out, unsigned rcvbuf, bool starts)
{
	/*
	 * Ends, and starts when asked: the kernel filters out the updates in between
	 * (several per TCP connection, most of the messages) and does not even build
	 * them when nobody else listens. They tell nothing the advisor keeps that the
	 * DESTROY event or the next dump (every checkpoint, and at the end) does not tell
	 * as well: status, counters, activity. The DESTROY carries the start time too.
	 */
	static const unsigned groups[] = { NFNLGRP_CONNTRACK_DESTROY, NFNLGRP_CONNTRACK_NEW };
	struct cta_ct *ct;
	int err;

	*out = NULL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	err = cta_ctmsg_new(&ct->msg);
	if (!err)
		err = cta_nlsock_open(&ct->ev, groups, starts ? 2 : 1, rcvbuf);
	if (err)
		goto fail;
	err = open_dump_socket(ct);
	if (err)
		goto fail;
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
	cta_nlsock_free(ct->ev);
	cta_ctmsg_free(ct->msg);
	if (ct->dump)
		mnl_socket_close(ct->dump);
	free(ct);
}

int cta_ct_reliable(struct cta_ct *ct, bool on)
{
	int v = on;

	if (setsockopt(cta_nlsock_fd(ct->ev), SOL_NETLINK, NETLINK_BROADCAST_ERROR, &v, sizeof(v)) <
	    0)
		return -errno;
	return 0;
}

int cta_ct_fd(const struct cta_ct *ct)
{
	return cta_nlsock_fd(ct->ev);
}

unsigned cta_ct_rcvbuf(const struct cta_ct *ct)
{
	return cta_nlsock_rcvbuf(ct->ev);
}

const struct cta_ct_stats *cta_ct_stats(const struct cta_ct *ct)
{
	return &ct->stats;
}

/*
 * Every message of one dump datagram, through libnetfilter_conntrack; returns the
 * number of events delivered.
 */
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
		if (cta_ctmsg_read(ct->msg, nlh, dump, &ev) != 0) {
			ct->stats.bad_messages++;
			continue;
		}
		ev.seen_ns = now;
		cb(&ev, data);
		n++;
	}
	return n;
}

#define HINT_BATCH 16

struct reading {
	struct cta_ct *ct;
	cta_ct_cb hint, cb;
	void *data;
	uint64_t now;
	int events, n;
	struct cta_event batch[HINT_BATCH];
};

static void deliver_batch(struct reading *rd)
{
	if (rd->hint)
		for (int i = 0; i < rd->n; i++)
			rd->hint(&rd->batch[i], rd->data);
	for (int i = 0; i < rd->n; i++)
		rd->cb(&rd->batch[i], rd->data);
	rd->events += rd->n;
	rd->n = 0;
}

/*
 * Events: the hand-written parser, not the library. nfct_nlmsg_parse() and its getters
 * cost ~1.1 us more per message, +48-72% CPU per event in bench/ab-events.sh (the rule
 * is 10%): docs/design.md, "Conntrack messages".
 */
static void on_message(const struct nlmsghdr *nlh, void *data)
{
	struct reading *rd = data;
	struct cta_event *ev = &rd->batch[rd->n];

	rd->ct->stats.messages++;
	if (cta_ctmsg_parse(nlh, false, ev) != 0) {
		rd->ct->stats.bad_messages++;
		return;
	}
	ev->seen_ns = rd->now;
	if (++rd->n == HINT_BATCH)
		deliver_batch(rd);
}

int cta_ct_read(struct cta_ct *ct, cta_ct_cb hint, cta_ct_cb cb, void *data)
{
	struct reading rd = {
		.ct = ct, .hint = hint, .cb = cb, .data = data, .now = cta_now_real_ns()
	};
	int n = cta_nlsock_read(ct->ev, on_message, &rd, &ct->stats.bad_messages);

	deliver_batch(&rd); /* what came before an overrun too */
	if (n == -ENOBUFS)
		ct->stats.overruns++;
	return n < 0 ? n : rd.events;
}

/* Ask for a dump of every family (type: IPCTNL_MSG_CT_GET...) on the dump socket. */
static int dump_request(struct cta_ct *ct, uint16_t type, uint32_t seq)
{
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nfgenmsg *nfg;

	if (!ct->dump)
		return -EBADF; /* lost with a failed cta_ct_held() */
	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC; /* every family */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return mnl_socket_sendto(ct->dump, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

static int dump_once(struct cta_ct *ct, cta_ct_cb cb, void *data, void (*between)(void *),
		     bool *intr)
{
	uint32_t seq = ++ct->seq;
	uint64_t now = cta_now_real_ns();
	bool done = false;
	int nlerr = 0, err = dump_request(ct, IPCTNL_MSG_CT_GET, seq);

	if (err)
		return err;
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
		if (between && !done)
			between(data);
	}
	return 0;
}

int cta_ct_dump(struct cta_ct *ct, cta_ct_cb cb, void *data, void (*between)(void *))
{
	for (int i = 0; i < DUMP_TRIES; i++) {
		bool intr = false;
		int err = dump_once(ct, cb, data, between, &intr);

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

int cta_ct_held(struct cta_ct *ct, bool *held)
{
	const struct nlmsghdr *m;
	ssize_t got;
	int err, reopen;

	*held = false;
	err = dump_request(ct, IPCTNL_MSG_CT_GET_DYING, ++ct->seq);
	if (err)
		return err;
	do
		got = mnl_socket_recvfrom(ct->dump, ct->dumpbuf, sizeof(ct->dumpbuf));
	while (got < 0 && errno == EINTR);
	m = (const struct nlmsghdr *)ct->dumpbuf;
	if (got < 0)
		err = -errno;
	else if (!cta_nlmsg_ok(m, (int)got))
		err = -EIO;
	else if (m->nlmsg_type == NLMSG_DONE)
		return 0;
	else if (m->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

		err = m->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) ? e->error : -EIO;
		/* a kernel without the list holds nothing */
		return err == -EOPNOTSUPP || err == -ENOENT ? 0 : err;
	} else {
		*held = true; /* an entry */
		err = 0;
	}
	/*
	 * The rest of the dump (or whatever is queued after an error) must not reach the
	 * next one, which reads this socket too: a new socket ends it
	 */
	mnl_socket_close(ct->dump);
	reopen = open_dump_socket(ct);
	return err ? err : reopen;
}
