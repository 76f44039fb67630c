/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conntrack over ctnetlink: one socket subscribed to DESTROY events (and NEW ones,
 * when asked) and one for dumps. Messages become struct cta_event and go to a
 * callback: dump entries through libnetfilter_conntrack, events by the hand-written
 * parser (nft/ctmsg.h).
 */
#ifndef CTA_CT_H
#define CTA_CT_H

#include <stdbool.h>
#include <stdint.h>

#include "nft/event.h"

struct cta_ct;

typedef void (*cta_ct_cb)(const struct cta_event *ev, void *data);

struct cta_ct_stats {
	uint64_t messages; /* event messages received */
	uint64_t bad_messages; /* malformed or truncated, skipped */
	uint64_t overruns; /* ENOBUFS: the kernel dropped events for us */
	uint64_t dumps; /* dumps completed */
	uint64_t dump_entries;
	uint64_t dump_retries; /* dumps interrupted by a table change, redone */
};

/*
 * rcvbuf: bytes for the event socket's receive buffer (SO_RCVBUFFORCE, falling back
 * to SO_RCVBUF). starts: subscribe to NEW events too; without, only DESTROY events
 * come, and the kernel does not even build the NEW messages when nobody else listens
 * to their group (ctnetlink_conntrack_event returns before building one when
 * nfnetlink_has_listeners() says no, net/netfilter/nf_conntrack_netlink.c): half the
 * messages, and the cheaper half for the reader, who would otherwise index every
 * connection twice. 0 or -errno (-EPERM without CAP_NET_ADMIN).
 */
int cta_ct_open(struct cta_ct **out, unsigned rcvbuf, bool starts);
void cta_ct_free(struct cta_ct *ct);

/*
 * Reliable delivery on (true) or off: with it, the kernel delivers every DESTROY event
 * to the event socket, however full it is (NETLINK_BROADCAST_ERROR, as conntrackd's
 * reliable event delivery). A DESTROY that does not fit is kept with its entry on
 * conntrack's ecache dying list and sent again by a worker (every 100 ms while the
 * socket is full, net/netfilter/nf_conntrack_ecache.c); any other event that does not
 * fit is remembered in the entry (e->missed) and sent along with its next event, at
 * the latest its DESTROY. Nothing is lost then; a NEW may come late, inside the
 * DESTROY. The price: undelivered entries stay allocated, counted against
 * nf_conntrack_max, until delivered; a reader that never catches up would fill the
 * table (the caller watches nf_conntrack_count and turns it off). Turned off, the
 * worker's next send "succeeds" and frees what waits. 0 or -errno.
 */
int cta_ct_reliable(struct cta_ct *ct, bool on);

/* The event socket, for epoll. */
int cta_ct_fd(const struct cta_ct *ct);

/* The receive buffer the kernel actually gave the event socket, in bytes. */
unsigned cta_ct_rcvbuf(const struct cta_ct *ct);

/*
 * Read every event that is queued now, without blocking. Returns the number of
 * events handed to cb, or -ENOBUFS when the kernel reported an overrun (the caller
 * must resync with a dump; events already delivered stay valid), or -errno.
 * Events come in order, in small batches: hint (NULL: none) sees each event of a
 * batch before cb sees the first, so it can prefetch what cb will touch.
 */
int cta_ct_read(struct cta_ct *ct, cta_ct_cb hint, cta_ct_cb cb, void *data);

/*
 * Dump the whole conntrack table (IPv4 and IPv6) to cb as CTA_EV_CT_DUMP events.
 * between (NULL: none) is called with data after each datagram but the last, where the
 * caller may read the event socket, as a dump of 100,000 entries takes a second, in
 * which events pile up. The kernel fills the next datagram as soon as one is read
 * (netlink_recvmsg runs the dump again), so a connection's DESTROY read in between can
 * come before a listing of it filled earlier: the caller must not count it again.
 * 0 or -errno.
 */
int cta_ct_dump(struct cta_ct *ct, cta_ct_cb cb, void *data, void (*between)(void *));
/*
 * Does the kernel still hold entries that ended and whose DESTROY event waits for room
 * in a listener's socket (reliable delivery, cta_ct_reliable)? They are conntrack's
 * ecache dying list, listed by IPCTNL_MSG_CT_GET_DYING (`conntrack -L dying`); only
 * the first datagram of that dump is read, and the rest dropped with the dump socket:
 * the kernel walks the list from its head again for every datagram it fills, under a
 * lock the packet path takes, so a whole dump of 100,000 entries takes seconds.
 * *held false on a kernel without the list. 0 or -errno.
 */
int cta_ct_held(struct cta_ct *ct, bool *held);

const struct cta_ct_stats *cta_ct_stats(const struct cta_ct *ct);

#endif
