// SPDX-License-Identifier: GPL-2.0-or-later
/* Events into flows: connections, counters as deltas, dumps, sweeps, direction, order. */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/host.h"
#include "advisor/model/natfold.h"

/* the dumps' monotonic clock, in ns: any instant; a swept connection waits 60 s */
#define NOW_NS (1000ull * 1000000000ull)
#define SEC_NS 1000000000ull

static struct cta_host host;

static void setup_host(void)
{
	struct cta_host_addr a = { .family = AF_INET, .prefixlen = 24 };

	memset(&host, 0, sizeof(host));
	inet_pton(AF_INET, "192.0.2.10", a.addr.b);
	cta_host_add_addr(&host, "eth0", 2, &a);
	a = (struct cta_host_addr){ .family = AF_INET6, .prefixlen = 64 };
	inet_pton(AF_INET6, "2001:db8::10", a.addr.b);
	cta_host_add_addr(&host, "eth0", 2, &a);
}

static struct cta_event ev4(uint8_t type, uint32_t id, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport, uint8_t proto)
{
	struct cta_event e = { .type = type,
			       .family = AF_INET,
			       .l4proto = proto,
			       .id = id,
			       .flags = CTA_EVF_ID | CTA_EVF_STATUS,
			       .seen_ns = 1000 };

	inet_pton(AF_INET, src, e.orig.src.b);
	inet_pton(AF_INET, dst, e.orig.dst.b);
	e.orig.sport = sport;
	e.orig.dport = dport;
	e.reply.src = e.orig.dst;
	e.reply.dst = e.orig.src;
	e.reply.sport = dport;
	e.reply.dport = sport;
	return e;
}

static void counters(struct cta_event *e, uint64_t po, uint64_t bo, uint64_t pr, uint64_t br)
{
	e->flags |= CTA_EVF_COUNTERS;
	e->packets[0] = po;
	e->bytes[0] = bo;
	e->packets[1] = pr;
	e->bytes[1] = br;
}

static void test_connections_and_counters(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_event e;
	const struct cta_flow *f;

	/* two connections from different ports to one service: one flow */
	e = ev4(CTA_EV_CT_NEW, 1, "198.51.100.7", 40000, "192.0.2.10", 22, IPPROTO_TCP);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	e = ev4(CTA_EV_CT_NEW, 2, "198.51.100.7", 40100, "192.0.2.10", 22, IPPROTO_TCP);
	e.seen_ns = 2000;
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	CHECK_EQ(cta_flowtab_open_connections(ft), 2);

	/* an update with the reply seen and assured */
	e = ev4(CTA_EV_CT_UPDATE, 1, "198.51.100.7", 40000, "192.0.2.10", 22, IPPROTO_TCP);
	e.status = IPS_SEEN_REPLY | IPS_ASSURED;
	e.seen_ns = 3000;
	cta_flowtab_apply(ft, &e, &host);

	/* a dump gives running counters; a later DESTROY the final ones: added once */
	cta_flowtab_dump_begin(ft, false);
	e = ev4(CTA_EV_CT_DUMP, 1, "198.51.100.7", 40000, "192.0.2.10", 22, IPPROTO_TCP);
	counters(&e, 5, 500, 4, 400);
	e.seen_ns = 4000;
	cta_flowtab_apply(ft, &e, &host);
	e = ev4(CTA_EV_CT_DUMP, 2, "198.51.100.7", 40100, "192.0.2.10", 22, IPPROTO_TCP);
	counters(&e, 1, 60, 0, 0);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 0);
	CHECK_EQ(cta_flowtab_flows(ft)->last_ns, 3000);
	/* a second dump with grown counters is: last moves to that dump */
	cta_flowtab_dump_begin(ft, false);
	e = ev4(CTA_EV_CT_DUMP, 1, "198.51.100.7", 40000, "192.0.2.10", 22, IPPROTO_TCP);
	counters(&e, 6, 600, 4, 400);
	e.seen_ns = 5000;
	cta_flowtab_apply(ft, &e, &host);
	e = ev4(CTA_EV_CT_DUMP, 2, "198.51.100.7", 40100, "192.0.2.10", 22, IPPROTO_TCP);
	counters(&e, 1, 60, 0, 0);
	e.seen_ns = 5000;
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 0);
	CHECK_EQ(cta_flowtab_flows(ft)->last_ns, 5000);
	e = ev4(CTA_EV_CT_DESTROY, 1, "198.51.100.7", 40000, "192.0.2.10", 22, IPPROTO_TCP);
	counters(&e, 8, 800, 6, 600);
	e.flags |= CTA_EVF_TSTOP;
	e.tstop_ns = 9000;
	cta_flowtab_apply(ft, &e, &host);

	f = cta_flowtab_flows(ft);
	/* the dump's first counter readings are not activity: last stays at the update */
	CHECK_EQ(f->last_ns, 9000);
	CHECK_EQ(f->connections, 2);
	CHECK_EQ(f->packets[0], 9);
	CHECK_EQ(f->bytes[0], 860);
	CHECK_EQ(f->packets[1], 6);
	CHECK_EQ(f->bytes[1], 600);
	CHECK_EQ(f->sport_min, 40000);
	CHECK_EQ(f->sport_max, 40100);
	CHECK_EQ(f->first_ns, 1000);
	CHECK_EQ(f->last_ns, 9000);
	CHECK_EQ(f->reached, CTA_REACHED_ASSURED);
	CHECK_EQ(f->direction, CTA_DIR_IN);
	CHECK_EQ(cta_flowtab_open_connections(ft), 1);
	CHECK(!cta_flow_translated(f));
	CHECK_EQ(cta_flowtab_stats(ft)->events[CTA_EV_CT_NEW], 2);
	CHECK_EQ(cta_flowtab_stats(ft)->events[CTA_EV_CT_DUMP], 4);
	cta_flowtab_free(ft);
}

static void test_sweep(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_event e;

	e = ev4(CTA_EV_CT_NEW, 7, "198.51.100.7", 5000, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	e = ev4(CTA_EV_CT_NEW, 8, "198.51.100.8", 5001, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	/* a resync dump after an overrun that no longer has id 7: it ended unseen */
	cta_flowtab_dump_begin(ft, false);
	e = ev4(CTA_EV_CT_DUMP, 8, "198.51.100.8", 5001, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 1);
	CHECK_EQ(cta_flowtab_open_connections(ft), 1);
	/* its DESTROY was still queued: no second connection is counted */
	e = ev4(CTA_EV_CT_DESTROY, 7, "198.51.100.7", 5000, "192.0.2.10", 53, IPPROTO_UDP);
	counters(&e, 1, 50, 1, 70);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 1);
	CHECK_EQ(cta_flowtab_flows(ft)[0].bytes[1], 70);
	/* a connection only ever seen at its end still counts, once */
	e = ev4(CTA_EV_CT_DESTROY, 9, "198.51.100.7", 5002, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 2);
	/* id 7's own end came with its counters: not counted as swept */
	CHECK_EQ(cta_flowtab_stats(ft)->swept, 0);
	/* the next dump no longer has id 8 either */
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 5 * SEC_NS), 1);
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	CHECK_EQ(cta_flowtab_stats(ft)->swept, 1);
	/*
	 * two more dumps, in under a minute: its DESTROY, held by the kernel (reliable
	 * delivery) while the socket was full, still ends it, counted once
	 */
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 10 * SEC_NS), 0);
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 64 * SEC_NS), 0);
	CHECK_EQ(cta_flowtab_swept_waiting(ft), 1);
	e = ev4(CTA_EV_CT_DESTROY, 8, "198.51.100.8", 5001, "192.0.2.10", 53, IPPROTO_UDP);
	counters(&e, 2, 100, 0, 0);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_flows(ft)[1].connections, 1);
	CHECK_EQ(cta_flowtab_flows(ft)[1].packets[0], 2);
	CHECK_EQ(cta_flowtab_stats(ft)->swept, 0);
	CHECK_EQ(cta_flowtab_swept_waiting(ft), 0);
	/* while the kernel holds ends (an overrun), none is forgotten */
	e = ev4(CTA_EV_CT_NEW, 11, "198.51.100.8", 5004, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 70 * SEC_NS), 1);
	cta_flowtab_hold_swept(ft, NOW_NS + 200 * SEC_NS);
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 190 * SEC_NS), 0);
	CHECK_EQ(cta_flowtab_swept_waiting(ft), 1);
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_flows(ft)[1].connections, 2); /* ids 8 and 11 */
	CHECK_EQ(cta_flowtab_swept_waiting(ft), 0);
	/* one whose DESTROY never comes is forgotten a minute after its sweep */
	e = ev4(CTA_EV_CT_NEW, 10, "198.51.100.8", 5003, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 200 * SEC_NS), 1);
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 259 * SEC_NS), 0);
	CHECK_EQ(cta_flowtab_swept_waiting(ft), 1);
	cta_flowtab_dump_begin(ft, false);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS + 260 * SEC_NS), 0);
	CHECK_EQ(cta_flowtab_swept_waiting(ft), 0);
	CHECK_EQ(cta_flowtab_stats(ft)->swept, 1);
	cta_flowtab_free(ft);
}

/*
 * Events read between a dump's datagrams: the kernel fills the next datagram when the
 * last one is read, so a listing from before a connection's DESTROY can come after it.
 * Counted once either way, known before or only from its DESTROY.
 */
static void test_end_during_dump(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_event e;

	e = ev4(CTA_EV_CT_NEW, 21, "198.51.100.7", 6000, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_begin(ft, false);
	e = ev4(CTA_EV_CT_DESTROY, 21, "198.51.100.7", 6000, "192.0.2.10", 53, IPPROTO_UDP);
	counters(&e, 1, 50, 0, 0);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	/* the stale listing of 21, and an end and a stale listing of 22, never seen */
	e = ev4(CTA_EV_CT_DUMP, 21, "198.51.100.7", 6000, "192.0.2.10", 53, IPPROTO_UDP);
	counters(&e, 1, 50, 0, 0);
	cta_flowtab_apply(ft, &e, &host);
	e = ev4(CTA_EV_CT_DESTROY, 22, "198.51.100.7", 6001, "192.0.2.10", 53, IPPROTO_UDP);
	counters(&e, 1, 50, 0, 0);
	cta_flowtab_apply(ft, &e, &host);
	e.type = CTA_EV_CT_DUMP;
	cta_flowtab_apply(ft, &e, &host);
	/* its DESTROY twice */
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 0);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 2);
	CHECK_EQ(cta_flowtab_flows(ft)[0].packets[0], 2);
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	CHECK_EQ(cta_flowtab_stats(ft)->swept, 0);
	/* gone with the dump's end: the same id later is another connection */
	e = ev4(CTA_EV_CT_NEW, 21, "198.51.100.7", 6000, "192.0.2.10", 53, IPPROTO_UDP);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 3);
	CHECK_EQ(cta_flowtab_open_connections(ft), 1);
	/* the stream's start line: marked once; an ended connection has had it */
	CHECK_EQ(cta_flowtab_mark_started(ft, &e), 0);
	CHECK_EQ(cta_flowtab_mark_started(ft, &e), 1);
	e.id = 99;
	CHECK_EQ(cta_flowtab_mark_started(ft, &e), -1);
	e.id = 21;
	/* during a dump too, when a NEW says so (the port reused at once, the same id) */
	cta_flowtab_dump_begin(ft, false);
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_mark_started(ft, &e), 1);
	e.type = CTA_EV_CT_NEW;
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 4);
	CHECK_EQ(cta_flowtab_mark_started(ft, &e), 0);
	CHECK_EQ(cta_flowtab_open_connections(ft), 1);
	/* a dump that fails: its ended connections go, nothing is swept */
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_abort(ft);
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	e.type = CTA_EV_CT_DUMP;
	cta_flowtab_apply(ft, &e, &host); /* a later dump's listing: another one */
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 5);
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host); /* not during a dump: its end, no conn kept */
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 5);
	cta_flowtab_free(ft);
}

static void test_id_reuse_and_nat(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_event e;
	size_t n;
	struct cta_flow *sorted;

	e = ev4(CTA_EV_CT_NEW, 5, "198.51.100.7", 1000, "192.0.2.10", 80, IPPROTO_TCP);
	cta_flowtab_apply(ft, &e, &host);
	/*
	 * id 5 again for another tuple: ids collide (32-bit hashes), or the first one's
	 * DESTROY was missed; a new connection either way, and the first stays open until
	 * a dump without it
	 */
	e = ev4(CTA_EV_CT_NEW, 5, "203.0.113.5", 1000, "192.0.2.10", 443, IPPROTO_TCP);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_count(ft), 2);
	CHECK_EQ(cta_flowtab_open_connections(ft), 2);
	/* both in a dump: each is its own connection, neither counted again */
	cta_flowtab_dump_begin(ft, false);
	e = ev4(CTA_EV_CT_DUMP, 5, "198.51.100.7", 1000, "192.0.2.10", 80, IPPROTO_TCP);
	cta_flowtab_apply(ft, &e, &host);
	e = ev4(CTA_EV_CT_DUMP, 5, "203.0.113.5", 1000, "192.0.2.10", 443, IPPROTO_TCP);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 0);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections + cta_flowtab_flows(ft)[1].connections, 2);
	/* a dump with the second only: the first is gone */
	cta_flowtab_dump_begin(ft, false);
	cta_flowtab_apply(ft, &e, &host);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 1);
	CHECK_EQ(cta_flowtab_open_connections(ft), 1);

	/* a port forward: 192.0.2.10:8080 DNATed to 198.51.100.50:80 */
	e = ev4(CTA_EV_CT_NEW, 6, "203.0.113.5", 2000, "192.0.2.10", 8080, IPPROTO_TCP);
	inet_pton(AF_INET, "198.51.100.50", e.reply.src.b);
	e.reply.sport = 80;
	cta_flowtab_apply(ft, &e, &host);
	sorted = cta_flowtab_sorted(ft, &n);
	CHECK_EQ(n, 3);
	/* sorted by protocol, source, destination, ports */
	CHECK_EQ(sorted[0].key.dport, 80);
	CHECK_EQ(sorted[1].key.dport, 443);
	CHECK_EQ(sorted[2].key.dport, 8080);
	CHECK(cta_flow_translated(&sorted[2]));
	CHECK(cta_flow_dnated(&sorted[2]) && !cta_flow_snated(&sorted[2]));
	/* masqueraded: the reply to another address; a source port alone is no snat */
	{
		struct cta_flow m = sorted[2];

		m.key.reply_src = m.key.dst;
		m.key.reply_sport = m.key.dport;
		CHECK(!cta_flow_dnated(&m) && !cta_flow_snated(&m));
		m.rdport_min = m.rdport_max = (uint16_t)(m.sport_min + 1);
		CHECK(cta_flow_translated(&m) && !cta_flow_snated(&m));
		inet_pton(AF_INET, "198.51.100.1", m.key.reply_dst.b);
		CHECK(cta_flow_snated(&m) && !cta_flow_dnated(&m));
	}
	CHECK_EQ(sorted[2].direction, CTA_DIR_FORWARD);
	CHECK_EQ(sorted[2].key.reply_sport, 80);
	free(sorted);
	cta_flowtab_free(ft);
}

/* Without the tuple index, events still pair by id; lookups by tuple answer -1. */
static void test_no_tuple_index(void)
{
	struct cta_flowtab *ft = cta_flowtab_new(), *full = cta_flowtab_new();
	struct cta_event e =
		ev4(CTA_EV_CT_NEW, 7, "198.51.100.7", 1000, "192.0.2.10", 53, IPPROTO_UDP);

	cta_flowtab_no_tuple_index(ft);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	CHECK_EQ(cta_flowtab_apply(full, &e, &host), 0);
	CHECK_EQ(cta_flowtab_conn_by_tuple(ft, AF_INET, IPPROTO_UDP, &e.orig), -1);
	CHECK_EQ(cta_flowtab_conn_by_tuple(full, AF_INET, IPPROTO_UDP, &e.orig), 0);
	CHECK_EQ(cta_flowtab_conn_flow(ft, 7), 0);
	/* too late once connections are there: the index stays */
	cta_flowtab_no_tuple_index(full);
	CHECK_EQ(cta_flowtab_conn_by_tuple(full, AF_INET, IPPROTO_UDP, &e.orig), 0);
	e.type = CTA_EV_CT_DESTROY;
	counters(&e, 1, 60, 1, 60);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	CHECK_EQ(cta_flowtab_apply(full, &e, &host), 0);
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	CHECK_EQ(cta_flowtab_conn_flow(ft, 7), -1);
	CHECK_EQ(cta_flowtab_conn_by_tuple(full, AF_INET, IPPROTO_UDP, &e.orig), -1);
	CHECK_EQ(cta_flowtab_flows(ft)[0].connections, 1);
	CHECK_EQ(cta_flowtab_flows(ft)[0].bytes[1], 60);
	cta_flowtab_free(ft);
	cta_flowtab_free(full);
}

static void test_direction(void)
{
	struct cta_flow_key k = { .family = AF_INET };

	inet_pton(AF_INET, "198.51.100.7", k.src.b);
	inet_pton(AF_INET, "192.0.2.10", k.dst.b);
	k.reply_src = k.dst;
	k.reply_dst = k.src;
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_IN);
	k.reply_src = k.src, k.src = k.dst, k.dst = k.reply_src, k.reply_src = k.dst;
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_OUT);
	inet_pton(AF_INET, "198.51.100.7", k.src.b);
	inet_pton(AF_INET, "203.0.113.9", k.dst.b);
	k.reply_src = k.dst;
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_FORWARD);
	/* DNAT to this host (a redirect): in, judged by who answered */
	inet_pton(AF_INET, "192.0.2.10", k.reply_src.b);
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_IN);
	inet_pton(AF_INET, "127.0.0.1", k.src.b);
	inet_pton(AF_INET, "127.0.0.1", k.reply_src.b);
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_LOCAL);
	memset(&k, 0, sizeof(k));
	k.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:a::7", k.src.b);
	inet_pton(AF_INET6, "2001:db8::10", k.reply_src.b);
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_IN);
	inet_pton(AF_INET6, "::1", k.src.b);
	CHECK_EQ(cta_host_direction(&host, &k), CTA_DIR_LOCAL);
}

static void test_merge_and_icmp(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_event e;
	struct cta_flow a, b;

	e = ev4(CTA_EV_CT_NEW, 1, "198.51.100.7", 77, "192.0.2.10", 0, IPPROTO_ICMP);
	e.orig.icmp_type = 8;
	e.reply.sport = 77;
	e.reply.dport = 0;
	cta_flowtab_apply(ft, &e, &host);
	a = cta_flowtab_flows(ft)[0];
	CHECK_EQ(a.key.icmp_type, 8);
	CHECK_EQ(a.sport_min, 77);
	CHECK(!cta_flow_translated(&a));
	b = a;
	b.connections = 4;
	b.first_ns = 10;
	b.last_ns = 99999;
	b.sport_min = 5;
	b.packets[0] = 3;
	CHECK_EQ(cta_flowtab_merge(ft, &b, NULL, NULL), 0);
	CHECK_EQ(cta_flowtab_count(ft), 1);
	a = cta_flowtab_flows(ft)[0];
	CHECK_EQ(a.connections, 5);
	CHECK_EQ(a.first_ns, 10);
	CHECK_EQ(a.last_ns, 99999);
	CHECK_EQ(a.sport_min, 5);
	CHECK_EQ(a.sport_max, 77);
	CHECK_EQ(a.packets[0], 3);
	b.key.icmp_type = 13;
	CHECK_EQ(cta_flowtab_merge(ft, &b, NULL, NULL), 0);
	CHECK_EQ(cta_flowtab_count(ft), 2);
	/*
	 * a flow of a rotated file with nothing counted in its period but a verdict is
	 * one of the files' flows, listed: pending is record's own state, never a shape
	 */
	b.key.icmp_type = 14;
	b.connections = b.packets[0] = b.packets[1] = 0;
	CHECK_EQ(cta_flowtab_merge(ft, &b, NULL, NULL), 0);
	{
		size_t n = 0;
		struct cta_flow *out = cta_flowtab_sorted(ft, &n);

		CHECK_EQ(n, 3);
		CHECK_EQ(cta_flowtab_recorded(ft), 3);
		free(out);
	}
	cta_flowtab_free(ft);
}

/* A dump entry of a TCP connection in this conntrack state, assured, with counters. */
static struct cta_event tcp_dump(uint32_t id, uint16_t sport, uint16_t dport, uint8_t state,
				 uint64_t packets)
{
	struct cta_event e =
		ev4(CTA_EV_CT_DUMP, id, "198.51.100.7", sport, "192.0.2.10", dport, IPPROTO_TCP);

	e.flags |= CTA_EVF_TCPSTATE;
	e.tcp_state = state;
	e.status = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED;
	counters(&e, packets, packets * 100, packets, packets * 100);
	return e;
}

static const struct cta_flow *flow_to(const struct cta_flowtab *ft, uint16_t dport)
{
	const struct cta_flow *f = cta_flowtab_flows(ft);

	for (size_t i = 0; i < cta_flowtab_count(ft); i++)
		if (f[i].key.dport == dport)
			return &f[i];
	return NULL;
}

/*
 * The start-up dump's closing connections are leftovers: counted, nothing more, until
 * the recording sees one live. Later dumps make none; open connections never are.
 */
static void test_leftover(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	const struct cta_flow *f;
	struct cta_event e;

	cta_flowtab_dump_begin(ft, true);
	e = tcp_dump(1, 40001, 80, TCP_CONNTRACK_TIME_WAIT, 10);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	e = tcp_dump(2, 40002, 443, TCP_CONNTRACK_ESTABLISHED, 10);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	e = tcp_dump(3, 40003, 8443, TCP_CONNTRACK_CLOSE_WAIT, 10);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	e = tcp_dump(4, 40004, 8444, TCP_CONNTRACK_FIN_WAIT, 10);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	e = tcp_dump(5, 40005, 8445, TCP_CONNTRACK_CLOSE_WAIT, 0);
	e.flags &= ~CTA_EVF_COUNTERS; /* made before acct was on: no counters */
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	CHECK_EQ(cta_flowtab_dump_end(ft, NOW_NS), 0);

	f = flow_to(ft, 80);
	CHECK(f && f->connections == 1 && f->leftover == 1);
	CHECK(f && f->reached == CTA_REACHED_UNREPLIED && !f->packets[0] && !f->bytes[1]);
	f = flow_to(ft, 443); /* open: as before */
	CHECK(f && f->connections == 1 && f->leftover == 0);
	CHECK(f && f->reached == CTA_REACHED_ASSURED && f->packets[0] == 10);
	CHECK(flow_to(ft, 8443) && flow_to(ft, 8443)->leftover == 1);

	/* the next dump: packets of the TIME_WAIT one are its end's; the half-closed live */
	cta_flowtab_dump_begin(ft, false);
	e = tcp_dump(1, 40001, 80, TCP_CONNTRACK_TIME_WAIT, 12);
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(3, 40003, 8443, TCP_CONNTRACK_CLOSE_WAIT, 15); /* counters grew */
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(4, 40004, 8444, TCP_CONNTRACK_FIN_WAIT, 10); /* idle */
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(5, 40005, 8445, TCP_CONNTRACK_LAST_ACK, 0); /* another state */
	e.flags &= ~CTA_EVF_COUNTERS;
	cta_flowtab_apply(ft, &e, &host);
	/* a closing connection first seen now began during the recording (its NEW lost) */
	e = tcp_dump(6, 40006, 8446, TCP_CONNTRACK_TIME_WAIT, 3);
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_end(ft, NOW_NS);

	f = flow_to(ft, 80);
	CHECK(f && f->leftover == 1 && f->reached == CTA_REACHED_UNREPLIED && !f->packets[0]);
	f = flow_to(ft, 8443);
	CHECK(f && f->leftover == 0 && f->reached == CTA_REACHED_ASSURED);
	CHECK(f && f->packets[0] == 15 && f->bytes[0] == 1500);
	f = flow_to(ft, 8444);
	CHECK(f && f->leftover == 1 && f->connections == 1);
	CHECK(flow_to(ft, 8445) && flow_to(ft, 8445)->leftover == 0);
	CHECK(flow_to(ft, 8446) && flow_to(ft, 8446)->leftover == 0);

	/* its end: a DESTROY with grown counters makes a half-closed one live, not a closed one */
	e = tcp_dump(4, 40004, 8444, TCP_CONNTRACK_FIN_WAIT, 11);
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(1, 40001, 80, TCP_CONNTRACK_TIME_WAIT, 13);
	e.type = CTA_EV_CT_DESTROY;
	cta_flowtab_apply(ft, &e, &host);
	CHECK(flow_to(ft, 8444) && flow_to(ft, 8444)->leftover == 0);
	CHECK(flow_to(ft, 8444) && flow_to(ft, 8444)->packets[0] == 11);
	f = flow_to(ft, 80);
	CHECK(f && f->leftover == 1 && f->connections == 1 && !f->packets[0]);

	/* a new connection of the leftover's flow: the flow has evidence, its leftover stays */
	e = ev4(CTA_EV_CT_NEW, 7, "198.51.100.7", 40007, "192.0.2.10", 80, IPPROTO_TCP);
	cta_flowtab_apply(ft, &e, &host);
	f = flow_to(ft, 80);
	CHECK(f && f->leftover == 1 && f->connections == 2);
	cta_flowtab_free(ft);

	/*
	 * A DESTROY of a connection never seen, after the subscription: one that began
	 * before it (its start earlier, or none: timestamps were off) ended before the
	 * start-up dump listed it, a leftover; one that began after it is of the
	 * recording, its NEW lost or carried inside the DESTROY
	 */
	ft = cta_flowtab_new();
	cta_flowtab_set_since(ft, 5000 * SEC_NS);
	e = tcp_dump(11, 40011, 8011, TCP_CONNTRACK_ESTABLISHED, 9);
	e.type = CTA_EV_CT_DESTROY;
	e.flags |= CTA_EVF_TSTART;
	e.tstart_ns = 4990 * SEC_NS;
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(12, 40012, 8012, TCP_CONNTRACK_ESTABLISHED, 9);
	e.type = CTA_EV_CT_DESTROY;
	e.flags &= ~CTA_EVF_TSTART;
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(13, 40013, 8013, TCP_CONNTRACK_ESTABLISHED, 9);
	e.type = CTA_EV_CT_DESTROY;
	e.flags |= CTA_EVF_TSTART;
	e.tstart_ns = 5001 * SEC_NS;
	cta_flowtab_apply(ft, &e, &host);
	f = flow_to(ft, 8011);
	CHECK(f && f->connections == 1 && f->leftover == 1 && !f->packets[0]);
	f = flow_to(ft, 8012);
	CHECK(f && f->connections == 1 && f->leftover == 1 && !f->packets[0]);
	f = flow_to(ft, 8013);
	CHECK(f && f->connections == 1 && f->leftover == 0 && f->packets[0] == 9);
	CHECK_EQ(cta_flowtab_open_connections(ft), 0);
	cta_flowtab_free(ft);

	/* a NEW event queued before the start-up dump, read after it: not a leftover */
	ft = cta_flowtab_new();
	cta_flowtab_dump_begin(ft, true);
	e = tcp_dump(1, 40001, 80, TCP_CONNTRACK_TIME_WAIT, 10);
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_end(ft, NOW_NS);
	e = ev4(CTA_EV_CT_NEW, 1, "198.51.100.7", 40001, "192.0.2.10", 80, IPPROTO_TCP);
	cta_flowtab_apply(ft, &e, &host);
	f = flow_to(ft, 80);
	CHECK(f && f->leftover == 0 && f->connections == 1 && f->reached == CTA_REACHED_ASSURED);
	cta_flowtab_free(ft);

	/*
	 * Without NEW events (record's default) the start time says it: a connection the
	 * start-up dump finds closing that began after the subscription is no leftover
	 */
	ft = cta_flowtab_new();
	cta_flowtab_set_since(ft, 5000 * SEC_NS);
	cta_flowtab_dump_begin(ft, true);
	e = tcp_dump(1, 40001, 80, TCP_CONNTRACK_TIME_WAIT, 10);
	e.flags |= CTA_EVF_TSTART;
	e.tstart_ns = 5001 * SEC_NS;
	cta_flowtab_apply(ft, &e, &host);
	e = tcp_dump(2, 40002, 81, TCP_CONNTRACK_TIME_WAIT, 10);
	e.flags |= CTA_EVF_TSTART;
	e.tstart_ns = 4999 * SEC_NS;
	cta_flowtab_apply(ft, &e, &host);
	cta_flowtab_dump_end(ft, NOW_NS);
	f = flow_to(ft, 80);
	CHECK(f && f->leftover == 0 && f->connections == 1 && f->packets[0] == 10);
	f = flow_to(ft, 81);
	CHECK(f && f->leftover == 1 && f->connections == 1 && !f->packets[0]);
	cta_flowtab_free(ft);
	{
		/* merged (sessions, merge): leftovers add up like connections */
		struct cta_flow a = { .connections = 2, .leftover = 1 };
		struct cta_flow b = { .connections = 1, .leftover = 1 };

		cta_flow_merge(&a, &b);
		CHECK(a.connections == 3 && a.leftover == 2);
	}
}

/*
 * A port forward behind a limit: the denied attempts' flow (the original tuple, its
 * reply the mirror, no bytes) folds into the translated flow of the same original
 * side, verdicts and all; with two translated flows (a pool) it stays; a flow of
 * untranslated connections let through never folds. cta_vtally_take renames.
 */
static void test_fold_nat(void)
{
	struct cta_flowtab *ft = cta_flowtab_new();
	struct cta_event e =
		ev4(CTA_EV_CT_DESTROY, 1, "198.51.100.7", 40000, "198.51.100.1", 2222, IPPROTO_TCP);
	struct cta_tuple t = { 0 };
	struct cta_verdict *drop = cta_verdict_new(), *acc = cta_verdict_new();
	struct cta_vtally tallies[4] = { 0 };
	struct cta_flow flows[4];
	size_t n = 0;
	int64_t dpos, npos;

	inet_pton(AF_INET, "192.0.2.2", e.reply.src.b);
	e.reply.sport = 22;
	e.flags |= CTA_EVF_COUNTERS;
	e.packets[0] = e.packets[1] = 3;
	e.bytes[0] = e.bytes[1] = 180;
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	inet_pton(AF_INET, "198.51.100.7", t.src.b);
	inet_pton(AF_INET, "198.51.100.1", t.dst.b);
	t.dport = 2222;
	dpos = cta_flowtab_add_denied(ft, AF_INET, IPPROTO_TCP, &t, &host, 2000, 5, 3);
	npos = cta_flowtab_flow_of(ft, &e);
	CHECK(dpos >= 0 && npos >= 0 && dpos != npos);
	drop->verdict = CTA_VERDICT_DROP;
	drop->type = CTA_VTYPE_UNKNOWN;
	drop->source = CTA_VSOURCE_KERNEL;
	acc->verdict = CTA_VERDICT_ACCEPT;
	CHECK_EQ(cta_flowtab_add_verdict(ft, (size_t)dpos, drop, 3), 0);
	CHECK_EQ(cta_flowtab_add_verdict(ft, (size_t)npos, acc, 1), 0);
	for (size_t i = 0; i < cta_flowtab_count(ft); i++) {
		flows[n] = cta_flowtab_flows(ft)[i];
		if (flows[n].verdict)
			cta_vtally_merge(&tallies[n], cta_flowtab_verdicts_of(ft, &flows[n]));
		flows[n].verdict = tallies[n].n ? (uint32_t)n + 1 : 0;
		n++;
	}
	CHECK_EQ(n, 2);
	/* denied at input (the host's own port then, or never traced): not that flow's */
	CHECK_EQ(flows[npos].direction, CTA_DIR_FORWARD);
	flows[dpos].direction = CTA_DIR_IN;
	CHECK_EQ(cta_flows_fold_nat(flows, &n, tallies), 0);
	CHECK_EQ(n, 2);
	/* denied in the forward hook, as a trace says: the translated flow's attempts */
	flows[dpos].direction = CTA_DIR_FORWARD;
	CHECK_EQ(cta_flows_fold_nat(flows, &n, tallies), 1);
	CHECK_EQ(n, 1);
	CHECK_EQ(flows[0].connections, 4);
	CHECK_EQ(flows[0].packets[0], 8);
	CHECK_EQ(flows[0].sport_min, 40000); /* the denials' unknown port is none */
	CHECK_EQ(cta_vtally_denied(&tallies[flows[0].verdict - 1]), 3);
	CHECK_EQ(cta_vtally_accepted(&tallies[flows[0].verdict - 1]), 1);
	/* a trace names the rule of one of them later */
	{
		struct cta_verdict *named = cta_verdict_new();
		struct cta_vtally *tl = &tallies[flows[0].verdict - 1];

		named->verdict = CTA_VERDICT_DROP;
		named->type = CTA_VTYPE_RULE;
		CHECK_EQ(cta_vtally_take(tl, cta_verdict_denies, 1), 1);
		CHECK_EQ(cta_vtally_add(tl, named, 1), 0);
		CHECK_EQ(cta_vtally_denied(tl), 3);
		CHECK_EQ(tl->n, 3);
		CHECK_EQ(cta_vtally_take(tl, cta_verdict_denies, 10), 3);
		CHECK_EQ(tl->n, 1); /* the accept alone is left */
		cta_verdict_unref(named);
	}
	for (size_t i = 0; i < 4; i++)
		cta_vtally_fini(&tallies[i]);

	/* a second translated flow of the side (DNAT to a pool): the denials stay */
	e.id = 2;
	inet_pton(AF_INET, "192.0.2.3", e.reply.src.b);
	CHECK_EQ(cta_flowtab_apply(ft, &e, &host), 0);
	n = 0;
	for (size_t i = 0; i < cta_flowtab_count(ft); i++) {
		flows[n] = cta_flowtab_flows(ft)[i];
		flows[n++].verdict = 0;
	}
	CHECK_EQ(n, 3);
	CHECK_EQ(cta_flows_fold_nat(flows, &n, tallies), 0);
	CHECK_EQ(n, 3);

	/* untranslated connections let through: no flow to fold */
	{
		struct cta_flow f[2] = { cta_flowtab_flows(ft)[dpos], cta_flowtab_flows(ft)[dpos] };

		n = 1;
		f[0].bytes[0] = 60;
		f[0].verdict = 0;
		CHECK_EQ(cta_flows_fold_nat(f, &n, tallies), 0);
		CHECK_EQ(n, 1);
	}
	cta_verdict_unref(drop);
	cta_verdict_unref(acc);
	cta_flowtab_free(ft);
}

int main(void)
{
	setup_host();
	test_connections_and_counters();
	test_sweep();
	test_end_during_dump();
	test_id_reuse_and_nat();
	test_no_tuple_index();
	test_direction();
	test_merge_and_icmp();
	test_leftover();
	test_fold_nat();
	cta_host_fini(&host);
	return check_report("flowtab");
}
