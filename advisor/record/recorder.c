// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/recorder.h"

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "nft/ct.h"
#include "nft/kcount.h"
#include "nft/mcast.h"
#include "advisor/record/events.h"
#include "advisor/model/iptsave.h"
#include "advisor/model/flowtab.h"
#include "advisor/model/natfold.h"
#include "advisor/record/denials.h"
#include "advisor/record/judge.h"
#include "advisor/model/listing.h"
#include "advisor/record/listen.h"
#include "advisor/record/ltrace.h"
#include "bpf/loader.h"
#include "nft/legacy.h"
#include "nft/nflog.h"
#include "nft/nftrun.h"
#include "nft/nlsock.h"
#include "nft/route.h"
#include "advisor/record/procs.h"
#include "nft/sysctl.h"
#include "nft/table.h"
#include "advisor/record/trace.h"
#include "nft/tracemsg.h"
#include "advisor/lib/signals.h"
#include "advisor/lib/util.h"

#define TICK_MS 200
#define DENY_WAIT_NS 2000000000ULL /* a new flow unconfirmed this long was denied */
#define LEGACY_WALK_NS 5000000000ULL /* a legacy walk no traced packet took this long goes */
#define VERDICTS_KEPT 4096 /* distinct verdicts shared at once; then start over */
/*
 * How often the kernel's counting sets are listed: every KCOUNT_MS, or less often when
 * they are large (list_due).
 */
#define KCOUNT_MS 1000
/* the counting sets' generations (turn_generation) */
#define TURN_AT 16384 /* flows in one set */
#define TURN_GRACE_NS 1000000000ULL
#define TURN_BITS 65536 /* of the estimate of the flows counted since the turn */
/* an overrun this recent may have ends the kernel still holds (cta_flowtab_hold_swept) */
#define SWEPT_HOLD_NS 60000000000ull
/* reliable delivery stays off this long at least once the guard turned it off */
#define GUARD_OFF_NS 30000000000ull

struct rec {
	const struct cta_record_config *cfg;
	bool notrack_said; /* the notice of notrack rules (on_listed) was given */
	struct cta_host host;
	struct cta_listen *listen; /* own table, traces, the ruleset */
	struct cta_kcount *kc; /* NULL: no counting in the kernel */
	struct cta_denials *denials;
	struct cta_syns *syns; /* the SYN sets' connects (syns.h), with kc */
	struct cta_mcast *mcast; /* the groups this namespace can receive (nft/mcast.h) */
	uint64_t syns_mono, syns_cpu_ns; /* the last SYN listing's end and CPU time */
	struct cta_ct *ct;
	struct cta_flowtab *ft;
	struct cta_sysctl sysctl;
	struct cta_nlsock *nflog;
	struct cta_ltrace *ltrace; /* NULL: no legacy rule decides anything here */
	bool ltrace_lost; /* TRACE lines were lost: said once */
	bool doubt_failed; /* cta_table_doubt failed: said once */
	struct cta_judge *judge;
	struct cta_procmon *procmon; /* NULL: no process attribution */
	struct cta_procs *procs;
	uint64_t nflog_overruns;
	/*
	 * Conntrack event delivery: reliable (cta_ct_reliable) while the table has room;
	 * turned off by the guard when it fills (guarded), when an overrun loses events
	 * again and a resync is needed. lossy: events may have been lost since the last
	 * whole dump begun with it on (an overrun then resyncs, and dumps are not
	 * interleaved).
	 */
	bool reliable, guarded, lossy;
	/* the last overrun with reliable delivery (the kernel sends again), the last said */
	uint64_t delayed_mono, delayed_said_mono;
	uint64_t guard_looked; /* the delayed_mono the guard last looked at */
	uint64_t guarded_mono; /* when the guard last turned reliable delivery off */
	bool final_lost; /* conntrack events delayed at the end (finish) */
	bool held_unknown; /* the kernel cannot tell what it holds (cta_ct_held) */
	struct cta_signals sig; /* blocked before the kernel is touched */
	int epfd, timerfd;
	int urgent_epfd; /* what cuts the gathering short: signals, process events */
	int apply_err; /* first error applying an event (only -ENOMEM) */
	uint64_t start_ns, start_mono;
	uint64_t since_ns; /* wall clock of the event subscription */
	bool startup_dump; /* the start-up dump is under way */
	/* the last dump that completed: when it ended, the CPU time it took, its entries */
	uint64_t dump_end_mono, dump_cpu_ns, dump_entries;
	uint64_t dump_walk_ns; /* the least CPU time a dump took (0: none yet) */
	/*
	 * the last listing of the counting sets: when it began and ended, the CPU time it
	 * took, whether it read every set
	 */
	uint64_t list_begin_mono, list_end_mono, list_cpu_ns;
	bool list_whole;
	/*
	 * The counting sets' generations (nft/kcount.h): the one the rules count into,
	 * the one retiring (-1: none) since turned_mono (turn_generation).
	 */
	int count_gen, retiring;
	uint64_t turned_mono, turns;
	uint64_t turned_real; /* wall clock of the last turn (of the recording's start) */
	bool retire_stuck; /* emptying it failed: listings come when due, not at once */
	/*
	 * The flows seen since the last turn, estimated: a bit per hash of their keys
	 * (linear counting, turn_estimate), set from conntrack events and NFLOG packets
	 */
	uint64_t turn_bits[TURN_BITS / 64];
	uint64_t checkpoint_cpu_ns; /* the CPU time the last checkpoint in tick took */
	uint64_t resyncs;
	json_t *verdicts; /* judgement key -> its index in vcache */
	struct cta_verdict *vcache[VERDICTS_KEPT]; /* shared by the flows each judged */
	uint64_t vcache_listing; /* the ruleset listing they were built under */
	char id[CTA_RECORDING_ID_LEN]; /* this recording's, made at its start ("": none) */
	bool id_made;
	size_t n_vcache;
	/* the output file's last good checkpoint, and the one that failed after it */
	uint64_t good_mono, good_flows, tried_flows;
	int events_fd; /* -1 once streaming stopped */
	struct cta_buf events; /* lines not written yet */
	struct cta_err *err;
	enum cta_record_fail *fail;
	/* the file written now: cfg->output, or with rotation this period's name */
	const char *output;
	char period_name[PATH_MAX];
	uint64_t period_start_ns, next_rotate_ns; /* wall clock */
	/* rotation: the flows' counts at the period's start; a file holds what came since */
	struct cta_flow *base;
	struct cta_vtally *base_t; /* their verdict counts, by flow position too */
	size_t n_base;
};

static int __attribute__((format(printf, 4, 5)))
failf(struct rec *r, enum cta_record_fail who, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
	va_end(ap);
	*r->fail = who;
	return rc;
}

static void notice(struct rec *r, const char *msg)
{
	if (r->cfg->on_notice)
		r->cfg->on_notice(msg, r->cfg->data);
}

static void __attribute__((format(printf, 2, 3))) verbose(struct rec *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!r->cfg->on_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->cfg->on_verbose(msg, r->cfg->data);
}

/* -v: what was read from each socket so far. */
static void verbose_counts(struct rec *r)
{
	const struct cta_ct_stats *cs = cta_ct_stats(r->ct);
	const struct cta_listen_stats *ls = cta_listen_stats(r->listen);

	verbose(r,
		"messages: conntrack=%llu bad=%llu overruns=%llu, traces=%llu bad=%llu "
		"overruns=%llu, nflog=%llu overruns=%llu, process_events=%llu",
		(unsigned long long)cs->messages, (unsigned long long)cs->bad_messages,
		(unsigned long long)cs->overruns, (unsigned long long)ls->events,
		(unsigned long long)ls->bad, (unsigned long long)ls->overruns,
		(unsigned long long)cta_judge_stats(r->judge)->nflog,
		(unsigned long long)r->nflog_overruns,
		(unsigned long long)(r->procmon ? cta_procmon_events(r->procmon) : 0));
	if (r->syns) {
		const struct cta_syns_stats *ss = cta_syns_stats(r->syns);

		verbose(r,
			"SYN sets: listings=%llu connects=%llu attempts=%llu retransmits=%llu "
			"unsure=%llu full=%llu",
			(unsigned long long)ss->listings, (unsigned long long)ss->identities,
			(unsigned long long)ss->attempts, (unsigned long long)ss->retransmits,
			(unsigned long long)ss->unsure, (unsigned long long)ss->full);
	}
}

static void note_err(struct rec *r, int err)
{
	if (err && !r->apply_err)
		r->apply_err = err;
}

/* Callbacks cannot fail the loop: they note errors, and this turns them into one. */
static int noted_err(struct rec *r)
{
	return r->apply_err ? failf(r, CTA_RECORD_SYSTEM, r->apply_err, "flow table: %s",
				    strerror(-r->apply_err))
			    : 0;
}

static void turn_note(struct rec *r, uint8_t family, uint8_t l4proto, const struct cta_tuple *t);

static void before_event(const struct cta_event *ev, void *data)
{
	struct rec *r = data;

	cta_flowtab_prefetch(r->ft, ev);
}

/* The stream's line of ev, as its type says, or a start line of it (start) */
static void stream_line(struct rec *r, const struct cta_event *ev, bool start)
{
	struct cta_event copy;
	struct cta_flow_key k;

	if (start) {
		copy = *ev;
		copy.type = CTA_EV_CT_NEW;
		copy.flags &= ~(CTA_EVF_COUNTERS | CTA_EVF_TSTOP);
		ev = &copy;
	}
	cta_flow_key_from_event(&k, ev);
	cta_events_line(ev, r->host.hostname, cta_host_direction(&r->host, &k), &r->events);
	if (r->events.oom)
		note_err(r, -ENOMEM);
}

/* Did the connection of ev begin while recording (its NEW was for us)? */
static bool began_recording(const struct rec *r, const struct cta_event *ev)
{
	return (ev->flags & CTA_EVF_TSTART) && ev->tstart_ns >= r->since_ns;
}

static void on_event(const struct cta_event *ev, void *data)
{
	struct rec *r = data;
	int started = 1;

	/*
	 * The stream has a start and an end line per connection of the recording. A NEW
	 * that did not fit the socket comes inside the DESTROY (reliable delivery), or
	 * after a dump that listed the connection: the start line comes then, once.
	 */
	if (r->events_fd >= 0 && ev->type == CTA_EV_CT_DESTROY)
		started = cta_flowtab_mark_started(r->ft, ev);
	note_err(r, cta_flowtab_apply(r->ft, ev, &r->host));
	note_err(r, cta_judge_conntrack(r->judge, ev));
	/*
	 * a connection begun since the turn: its first packet made an element then (one
	 * without a start time began before the recording switched timestamps on)
	 */
	if (r->kc && (ev->flags & CTA_EVF_TSTART) && ev->tstart_ns >= r->turned_real)
		turn_note(r, ev->family, ev->l4proto, &ev->orig);
	if (r->events_fd < 0)
		return;
	switch (ev->type) {
	case CTA_EV_CT_NEW:
		if (cta_flowtab_mark_started(r->ft, ev) != 1)
			stream_line(r, ev, false);
		break;
	case CTA_EV_CT_DUMP:
		if (!r->startup_dump && began_recording(r, ev) &&
		    cta_flowtab_mark_started(r->ft, ev) == 0)
			stream_line(r, ev, true);
		break;
	case CTA_EV_CT_DESTROY:
		if (started != 1 && began_recording(r, ev))
			stream_line(r, ev, true);
		stream_line(r, ev, false);
		break;
	default:
		break;
	}
}

/* The event lines so far, to their reader; one that went away ends the stream only. */
static void flush_events(struct rec *r)
{
	int err = r->events_fd >= 0 && r->events.len
			  ? cta_write_all(r->events_fd, r->events.p, r->events.len)
			  : 0;

	if (err) {
		char msg[300];

		snprintf(msg, sizeof(msg), "events: %s: %s; no more events are written",
			 r->cfg->events_name ? r->cfg->events_name : "stream", strerror(-err));
		notice(r, msg);
		r->events_fd = -1;
	}
	r->events.len = 0;
}

static void on_sock_event(const struct cta_sock_event *ev, void *data)
{
	struct rec *r = data;

	note_err(r, cta_procs_add(r->procs, ev));
}

/*
 * An inbound flow the firewall only ever denied: its packets never reached the program
 * listening on its port, which is not its process.
 */
static bool never_let_in(struct rec *r, const struct cta_flow *f)
{
	const struct cta_vtally *t = cta_flowtab_verdicts_of(r->ft, f);

	return f->direction == CTA_DIR_IN && t && cta_vtally_denied(t) && !cta_vtally_accepted(t);
}

/* Flows without a process yet get the one the socket events name, if any. */
static int attribute(struct rec *r)
{
	size_t n = cta_flowtab_count(r->ft);
	const struct cta_flow *flows = cta_flowtab_flows(r->ft);

	if (!r->procmon)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct cta_process *p;
		int err;

		if (never_let_in(r, &flows[i]))
			continue;
		/* a process NFLOG alone gave (a uid, no program) makes way for one */
		if (flows[i].process && cta_flowtab_process(r->ft, &flows[i])->has_pid)
			continue;
		if (!(p = cta_procs_for_flow(r->procs, &flows[i])))
			continue;
		err = cta_flowtab_set_process(r->ft, i, cta_process_ref(p));
		if (err)
			return err;
	}
	return 0;
}

static void vcache_clear(struct rec *r)
{
	for (size_t i = 0; i < r->n_vcache; i++)
		cta_verdict_unref(r->vcache[i]);
	r->n_vcache = 0;
	json_object_clear(r->verdicts);
}

/* TRACE lines queued now: read before a judgement takes its packet's walks. */
static void read_legacy(struct rec *r)
{
	int err = r->ltrace ? cta_ltrace_read(r->ltrace, cta_now_mono_ns()) : 0;

	if (err && !r->ltrace_lost) {
		char msg[200];

		r->ltrace_lost = true;
		snprintf(msg, sizeof(msg),
			 "iptables-legacy trace lines lost (%s): some legacy verdicts are missing",
			 strerror(-err));
		notice(r, msg);
	}
}

/* The nf_tables verdict with the packet's legacy walks (ltrace.h); takes V. */
static struct cta_verdict *with_walks(struct rec *r, struct cta_verdict *v,
				      const struct cta_ltrace_walk *w, int n)
{
	const struct cta_iptsave *rules[2];
	struct cta_verdict *m;

	if (!v || !n)
		return v;
	cta_ltrace_rules2(r->ltrace, rules);
	m = cta_ltrace_verdict(rules, v, w, n);
	cta_verdict_unref(v);
	return m;
}

/*
 * The verdict, built once per distinct path through the ruleset: a recording sees
 * thousands of flows judged by a handful of rules, and the verdict (a few KiB with its
 * path) is most of the memory a traced flow costs. A new reference each; NULL on
 * ENOMEM.
 */
static struct cta_verdict *verdict_of(struct rec *r, const struct cta_judgement *j)
{
	const struct cta_ruleset *rs = cta_listen_ruleset(r->listen);
	uint64_t listing = cta_listen_stats(r->listen)->listings;
	struct cta_ltrace_walk walks[CTA_LTRACE_WALKS_MAX];
	char key[8192];
	size_t n = cta_judgement_key(j, key, sizeof(key) / 2), m;
	json_t *known;
	struct cta_verdict *v;
	int nw = 0;

	if (r->ltrace) {
		read_legacy(r);
		nw = cta_ltrace_take(r->ltrace, j->family, j->l4proto, &j->tuple, walks,
				     CTA_LTRACE_WALKS_MAX);
		m = nw && n ? cta_ltrace_key(walks, nw, key + n, sizeof(key) - n) : 0;
		n = nw && !m ? 0 : n + m;
	}

	/* a new listing: rule texts and chains may have changed under the same handles */
	if (listing != r->vcache_listing) {
		vcache_clear(r);
		r->vcache_listing = listing;
	}
	known = n ? json_object_getn(r->verdicts, key, n) : NULL;
	if (known)
		return cta_verdict_ref(r->vcache[json_integer_value(known)]);
	v = with_walks(r, cta_judgement_verdict(j, rs, CTA_VSOURCE_TRACE), walks, nw);
	if (!v || !n)
		return v;
	if (r->n_vcache >= VERDICTS_KEPT)
		vcache_clear(r);
	r->vcache[r->n_vcache] = cta_verdict_ref(v);
	json_object_setn_new_nocheck(r->verdicts, key, n, json_integer((json_int_t)r->n_vcache++));
	return v;
}

static void on_judgement(const struct cta_judgement *j, void *data)
{
	struct rec *r = data;

	note_err(r, cta_judge_trace(r->judge, j, verdict_of(r, j), cta_now_mono_ns(),
				    cta_now_real_ns()));
}

static void on_nflog_msg(const struct nlmsghdr *nlh, void *data)
{
	struct rec *r = data;
	struct cta_nflog_packet p;

	if (cta_nflogmsg_parse(nlh, &p) != 0)
		return;
	note_err(r, cta_judge_nflog(r->judge, &p, cta_now_mono_ns(), cta_now_real_ns()));
	if (r->kc)
		turn_note(r, p.family, p.l4proto, &p.tuple);
}

static void on_kcount(const struct cta_kcount_elem *e, void *data)
{
	struct rec *r = data;

	note_err(r, cta_denials_add(r->denials, e));
}

static void on_syn(const struct cta_kcount_syn *e, void *data)
{
	struct rec *r = data;

	note_err(r, cta_syns_add(r->syns, e, r->syns_mono));
}

/* CPU time this process has used (user and kernel), in ns. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * A listing walks every element of the counting sets, and they keep an element per
 * flow seen (kcount.h): on a host of many distinct flows (a crowd of clients, a scan)
 * it is most of record's work (measured: 30,000 new flows in 3 s, each a flow of its
 * own, listed every second: 60% of record's CPU). So a listing comes when the time
 * since the last is LIST_SHARE times what the last one cost in CPU (listings take
 * 1/LIST_SHARE of a CPU at most), KCOUNT_MS at the least and LIST_EVERY_MAX_NS at the
 * most (below the uncounted sets' timeout). The judge waits for the listings it needs
 * (judge.c, LISTINGS_DUE), however far apart.
 */
#define LIST_SHARE 50
#define LIST_EVERY_MAX_NS (300 * 1000000000ULL)

/*
 * Is work of COST_NS of CPU due, the last one ended at END_MONO? When SHARE times its
 * cost has passed since (it takes 1/SHARE of a CPU at most), MIN_NS at the least and
 * MAX_NS at the most (dumps, listings).
 */
static bool due_by_cost(uint64_t end_mono, uint64_t cost_ns, uint64_t share, uint64_t min_ns,
			uint64_t max_ns)
{
	uint64_t wait = share * cost_ns;

	if (wait < min_ns)
		wait = min_ns;
	if (wait > max_ns)
		wait = max_ns;
	return cta_elapsed_ns(cta_now_mono_ns(), end_mono) >= wait;
}

/*
 * The counting sets keep an element per flow until they are emptied, and a listing
 * costs more than its elements (kcount.h): so when one set of the generation counted
 * into holds TURN_AT flows, the rules turn to the other generation (one transaction,
 * cta_table_count_into). Once every packet that saw the old rules is through (a
 * TURN_GRACE_NS after), a listing, due then, reads the old generation whole (its sets
 * no longer change, so a dump misses none of their elements), and it is emptied. A
 * flow's counts are the sum over both generations (denials.c), so a packet that
 * entered under one and left under the other balances. The price: a flow active at
 * the turn is new to the NFLOG rule's left set once (one NFLOG packet).
 *
 * How many flows a set holds, a listing says; but listings come further apart as they
 * cost more (list_due), and a set grown between two of them makes the next one cost
 * more still (measured: 5,000 new flows a second, each a flow of its own, listings
 * of 3 sets of 200,000 elements, 5 s of CPU each). So the flows counted since the
 * turn are also estimated as they come, from the keys of conntrack events and NFLOG
 * packets (a flow denied or let through shows in one or the other; of conntrack's,
 * only connections begun since the turn, whose first packets made elements: not the
 * long-lived ones each dump lists): linear counting, a bit per key's hash in
 * TURN_BITS bits; n = -m ln(zero bits / m), a few percent off at TURN_AT. A flow whose
 * connections have not ended is not in it: the listing still is the backstop.
 */
static void turn_note(struct rec *r, uint8_t family, uint8_t l4proto, const struct cta_tuple *t)
{
	struct cta_denial_key k;
	uint64_t h;

	cta_denial_key(&k, family, l4proto, t);
	h = cta_hash_words(&k, sizeof(k)) % TURN_BITS;
	r->turn_bits[h / 64] |= 1ULL << (h % 64);
}

/* The flows noted since the turn, estimated. */
static uint64_t turn_estimate(const struct rec *r)
{
	uint64_t set = 0;

	for (size_t i = 0; i < TURN_BITS / 64; i++)
		set += (uint64_t)__builtin_popcountll(r->turn_bits[i]);
	if (set >= TURN_BITS)
		return UINT64_MAX;
	return (uint64_t)(-(double)TURN_BITS * log((double)(TURN_BITS - set) / TURN_BITS));
}

/*
 * The SYN sets (kcount.h), on a cadence of their own: they hold only denied connects,
 * and a connect must be in two listings within their timeout, which the counting sets'
 * listings, further apart when those are large, would not always give.
 */
static int list_syns(struct rec *r)
{
	uint64_t cpu0 = cpu_ns();
	bool full = false;
	int n;

	r->syns_mono = cta_now_mono_ns();
	cta_syns_next_listing(r->syns);
	n = cta_kcount_read_syns(r->kc, on_syn, r, &full);
	r->syns_mono = cta_now_mono_ns();
	cta_syns_listed(r->syns, n >= 0, full, r->syns_mono);
	r->syns_cpu_ns = cta_elapsed_ns(cpu_ns(), cpu0);
	if (n < 0 && n != -ENOMEM) {
		char msg[200];

		snprintf(msg, sizeof(msg), "listing the denied SYNs: %s", strerror(-n));
		notice(r, msg);
	}
	return noted_err(r);
}

static bool syns_due(const struct rec *r)
{
	return due_by_cost(r->syns_mono, r->syns_cpu_ns, LIST_SHARE, KCOUNT_MS * 1000000ULL,
			   LIST_EVERY_MAX_NS);
}

static bool list_due(const struct rec *r)
{
	/* a retiring generation (turn_generation) is read and emptied as soon as it can */
	if (r->retiring >= 0 && !r->retire_stuck &&
	    cta_elapsed_ns(cta_now_mono_ns(), r->turned_mono) >= TURN_GRACE_NS)
		return true;
	return due_by_cost(r->list_end_mono, r->list_cpu_ns, LIST_SHARE, KCOUNT_MS * 1000000ULL,
			   LIST_EVERY_MAX_NS);
}

static void turn_generation(struct rec *r)
{
	const struct cta_kcount_stats *ks = cta_kcount_stats(r->kc);
	struct cta_table *t = cta_listen_table(r->listen);
	int err, gen = r->retiring;

	if (gen >= 0) {
		if (cta_elapsed_ns(r->list_begin_mono, r->turned_mono) < TURN_GRACE_NS)
			return;
		err = cta_table_flush_counting(t, r->cfg->table.name, gen);
		if (err) {
			/* the counts stay whole: emptied after a later listing, when due */
			verbose(r, "counting sets: cannot empty generation %d: %s", gen,
				strerror(-err));
			r->retire_stuck = true;
			return;
		}
		cta_denials_retired(r->denials, gen);
		r->retiring = -1;
		r->retire_stuck = false;
		verbose(r, "counting sets: generation %d read and emptied", gen);
		return;
	}
	if (ks->largest_in[r->count_gen] < TURN_AT && turn_estimate(r) < TURN_AT)
		return;
	gen = 1 - r->count_gen;
	err = cta_table_count_into(t, &r->cfg->table, gen);
	if (err) {
		verbose(r, "counting sets: cannot turn to generation %d: %s", gen, strerror(-err));
		return;
	}
	r->retiring = r->count_gen;
	r->count_gen = gen;
	r->turned_mono = cta_now_mono_ns();
	r->turned_real = cta_now_real_ns();
	r->turns++;
	verbose(r,
		"counting sets: %llu flows since the last turn (estimated), a set held %llu at "
		"the last listing: counting into generation %d (turn %llu)",
		(unsigned long long)turn_estimate(r),
		(unsigned long long)ks->largest_in[r->retiring], gen, (unsigned long long)r->turns);
	memset(r->turn_bits, 0, sizeof(r->turn_bits));
}

/* List the kernel's counts of first packets in and out: what did not leave was denied. */
static int count_kernel(struct rec *r)
{
	uint64_t cpu0 = cpu_ns();
	int n;

	r->list_whole = false;
	if (!r->kc)
		return 0;
	r->list_begin_mono = cta_now_mono_ns();
	cta_denials_next_listing(r->denials);
	n = cta_kcount_read(r->kc, on_kcount, r);
	r->list_cpu_ns = cta_elapsed_ns(cpu_ns(), cpu0);
	r->list_end_mono = cta_now_mono_ns();
	if (n >= 0) {
		cta_denials_listed(r->denials, r->list_end_mono);
		r->list_whole = true;
	} else {
		char msg[200];

		/*
		 * Not settled: the left sets may be unread. The next listing brings what
		 * this one missed (the counts are whole).
		 */
		snprintf(msg, sizeof(msg), "listing the kernel's counts: %s", strerror(-n));
		notice(r, msg);
	}
	return noted_err(r);
}

static void between_batches(void *data);

/*
 * startup: the first dump, whose closing connections are leftovers (flowtab.h).
 * With reliable delivery (nothing to resync), the events that come meanwhile are read
 * between the dump's datagrams: a dump of a large table takes a second or more, and
 * they would overrun the socket. A listing filled before a connection's DESTROY may
 * then come after it (cta_ct_dump); the flow table keeps such an end until the dump's.
 */
static int dump(struct rec *r, bool startup)
{
	bool interleave = !startup && r->reliable && !r->lossy, reliable_before = r->reliable;
	uint64_t cpu0 = cpu_ns();
	uint64_t entries0 = cta_ct_stats(r->ct)->dump_entries;
	int err;

	cta_flowtab_dump_begin(r->ft, startup);
	cta_judge_dump_begin(r->judge);
	r->startup_dump = startup;
	err = cta_ct_dump(r->ct, on_event, r, interleave ? between_batches : NULL);
	r->startup_dump = false;
	/* a failed dump proves nothing about what is gone: close nothing */
	if (err) {
		cta_flowtab_dump_abort(r->ft);
		cta_judge_dump_end(r->judge, false);
		return err;
	}
	cta_flowtab_dump_end(r->ft, cta_now_mono_ns());
	cta_judge_dump_end(r->judge, true);
	r->dump_end_mono = cta_now_mono_ns();
	r->dump_cpu_ns = cpu_ns() - cpu0;
	r->dump_entries = cta_ct_stats(r->ct)->dump_entries - entries0;
	if (!r->dump_walk_ns || r->dump_cpu_ns < r->dump_walk_ns)
		r->dump_walk_ns = r->dump_cpu_ns ? r->dump_cpu_ns : 1;
	verbose(r, "conntrack dump: %llu entries, %.1f ms of CPU",
		(unsigned long long)r->dump_entries, (double)r->dump_cpu_ns / 1e6);
	/* a whole dump with nothing lost since it began: every open connection is known */
	if (reliable_before && r->reliable)
		r->lossy = false;
	return 0;
}

static void fill_session(struct rec *r, struct cta_session *s, bool complete)
{
	const struct cta_ct_stats *cs = cta_ct_stats(r->ct);
	const struct cta_flowtab_stats *fs = cta_flowtab_stats(r->ft);

	memset(s, 0, sizeof(*s));
	snprintf(s->generator, sizeof(s->generator), "%s", r->cfg->generator);
	s->host = r->host;
	s->start_ns = r->period_start_ns;
	s->end_ns = cta_now_real_ns();
	s->complete = complete;
	s->options.duration_ms = r->cfg->duration_ms;
	s->options.checkpoint_ms = r->cfg->checkpoint_ms;
	s->options.rcvbuf = r->cfg->rcvbuf;
	s->stats.events_new = fs->events[CTA_EV_CT_NEW];
	s->stats.events_update = fs->events[CTA_EV_CT_UPDATE];
	s->stats.events_destroy = fs->events[CTA_EV_CT_DESTROY];
	s->stats.dumps = cs->dumps;
	s->stats.dump_entries = cs->dump_entries;
	s->stats.dump_retries = cs->dump_retries;
	s->stats.messages = cs->messages;
	s->stats.bad_messages = cs->bad_messages;
	s->stats.overruns = cs->overruns;
	s->stats.resyncs = r->resyncs;
	s->stats.swept = fs->swept;
	s->stats.rcvbuf = cta_ct_rcvbuf(r->ct);
	s->stats.open_connections = cta_flowtab_open_connections(r->ft);
	s->stats.trace_events = cta_listen_stats(r->listen)->events;
	s->stats.trace_bad = cta_listen_stats(r->listen)->bad;
	s->stats.trace_overruns = cta_listen_stats(r->listen)->overruns;
	s->stats.judgements = cta_judge_stats(r->judge)->judgements;
	s->stats.nflog_packets = cta_judge_stats(r->judge)->nflog;
	s->stats.nflog_overruns = r->nflog_overruns;
	s->stats.denied = cta_judge_stats(r->judge)->denied;
	s->stats.undelivered = cta_judge_stats(r->judge)->undelivered;
	s->stats.ruleset_snapshots = cta_listen_stats(r->listen)->listings;
	if (r->denials && cta_denials_stats(r->denials)->listings) {
		const struct cta_denials_stats *ds = cta_denials_stats(r->denials);

		s->stats.kernel_entered = ds->entered;
		s->stats.kernel_left = ds->left;
		s->stats.kernel_denied = ds->denied;
		s->stats.kernel_uncounted = ds->uncounted;
		s->stats.kernel_unsure = ds->unsure + cta_judge_stats(r->judge)->unsure;
		s->stats.kernel_unseen = cta_judge_stats(r->judge)->unseen;
		s->stats.kernel_listings = ds->listings;
		s->stats.kernel_largest = r->kc ? cta_kcount_stats(r->kc)->largest : 0;
	}
	s->options.trace = r->cfg->table.trace;
	s->options.nflog_group = r->cfg->table.nflog_group;
	s->options.processes = r->procmon != NULL;
	/* made once, before the first checkpoint: every checkpoint carries the same */
	if (!r->id_made && cta_recording_id_new(r->id))
		r->id[0] = '\0'; /* no randomness: the session says nothing rather than lie */
	r->id_made = true;
	if (r->id[0]) {
		s->ids = &r->id; /* borrowed: the session is never freed */
		s->n_ids = 1;
	}
	if (r->procmon) {
		s->stats.process_events = cta_procmon_events(r->procmon);
		s->stats.process_scanned = cta_procmon_scanned(r->procmon);
		s->stats.process_lost = cta_procmon_lost(r->procmon);
		s->stats.process_sockets = cta_procs_sockets(r->procs);
	}
}

static int cmp_flows(const void *a, const void *b)
{
	return cta_flow_cmp(a, b);
}

/* What a period's file holds: its flows and their verdict counts (flows' verdict indexes t). */
struct period {
	struct cta_flow *flows;
	struct cta_vtally *t; /* n_t: t[i] was flows[i]'s before cta_flows_fold_nat */
	size_t n, n_t;
};

static void period_fini(struct period *p)
{
	for (size_t i = 0; p->t && i < p->n_t; i++)
		cta_vtally_fini(&p->t[i]);
	free(p->t);
	free(p->flows);
}

/* The counts of now that the period's start did not have yet, into *out. 0 or -ENOMEM. */
static int tally_since(const struct cta_vtally *now, const struct cta_vtally *then,
		       struct cta_vtally *out)
{
	int err = 0;

	for (uint32_t i = 0; now && i < now->n && !err; i++) {
		uint64_t before = 0;

		for (uint32_t j = 0; then && j < then->n; j++)
			if (cta_verdict_same_decider(then->g[j].v, now->g[i].v))
				before = then->g[j].n;
		if (now->g[i].n > before)
			err = cta_vtally_add(out, now->g[i].v, now->g[i].n - before);
	}
	return err;
}

/*
 * What the flows did since the period began (with rotation; without, since the
 * start), sorted: counts less those at the start, flows that did nothing left out,
 * and the denied attempts of a NATed flow folded into it (cta_flows_fold_nat: the
 * period's counts of each, so a fold is never counted twice across periods). A
 * connection is counted in the period record first saw it in (its DESTROY, or a
 * dump), its verdict in the period the judge gave it (the same, but for a first
 * packet let through without its connection); its packets and bytes in the period
 * that read its counters. 0 or -ENOMEM.
 */
static int period_flows(struct rec *r, struct period *p)
{
	size_t all = cta_flowtab_count(r->ft);
	const struct cta_flow *flows = cta_flowtab_flows(r->ft);
	int folded;

	p->n = 0;
	p->flows = malloc((all ? all : 1) * sizeof(*p->flows));
	p->t = calloc(all ? all : 1, sizeof(*p->t));
	if (!p->flows || !p->t)
		return -ENOMEM;
	for (size_t i = 0; i < all; i++) {
		struct cta_flow f = flows[i];
		struct cta_vtally *t = &p->t[p->n];
		const struct cta_flow *b = i < r->n_base ? &r->base[i] : NULL;

		if (cta_flowtab_pending(&f))
			continue; /* its verdict goes with its connection, to that period */
		if (tally_since(cta_flowtab_verdicts_of(r->ft, &flows[i]), b ? &r->base_t[i] : NULL,
				t))
			return -ENOMEM;
		if (b) {
			f.connections -= b->connections;
			/* a leftover found live later is one less: never below none */
			f.leftover = f.leftover > b->leftover ? f.leftover - b->leftover : 0;
			if (f.leftover > f.connections)
				f.leftover = f.connections;
			for (int d = 0; d < 2; d++) {
				f.packets[d] -= b->packets[d];
				f.bytes[d] -= b->bytes[d];
			}
			if (!f.connections && !f.packets[0] && !f.packets[1] && !t->n)
				continue;
			if (f.first_ns < r->period_start_ns)
				f.first_ns = r->period_start_ns;
		}
		f.verdict = t->n ? (uint32_t)p->n + 1 : 0;
		p->flows[p->n++] = f;
	}
	p->n_t = p->n;
	folded = cta_flows_fold_nat(p->flows, &p->n, p->t);
	if (folded < 0)
		return folded;
	/* sorted by key: a flow's verdict index stays its own (it moves with it) */
	qsort(p->flows, p->n, sizeof(*p->flows), cmp_flows);
	return 0;
}

/* The flows' counts now, for the next period's files to count from. 0 or -ENOMEM. */
static int period_base(struct rec *r)
{
	size_t n = cta_flowtab_count(r->ft);
	const struct cta_flow *flows = cta_flowtab_flows(r->ft);
	struct cta_flow *base = realloc(r->base, (n ? n : 1) * sizeof(*base));
	struct cta_vtally *bt;
	int err = 0;

	if (!base)
		return -ENOMEM;
	r->base = base;
	for (size_t i = 0; i < r->n_base; i++)
		cta_vtally_fini(&r->base_t[i]);
	r->n_base = 0;
	bt = realloc(r->base_t, (n ? n : 1) * sizeof(*bt));
	if (!bt)
		return -ENOMEM;
	r->base_t = bt;
	memset(bt, 0, (n ? n : 1) * sizeof(*bt));
	if (n) /* an empty table may have no array at all: memcpy's NULL is undefined */
		memcpy(base, flows, n * sizeof(*base));
	for (size_t i = 0; i < n && !err; i++)
		if (!cta_flowtab_pending(&flows[i]))
			err = cta_vtally_merge(&bt[i], cta_flowtab_verdicts_of(r->ft, &flows[i]));
	r->n_base = n;
	return err;
}

/* Write the session: to the output file atomically, or (final only) to out_fd. */
static int checkpoint(struct rec *r, bool complete)
{
	struct period per = { 0 };
	struct cta_session s;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (!r->output && !complete)
		return 0;
	err = attribute(r);
	if (err)
		return err;
	fill_session(r, &s, complete);
	err = period_flows(r, &per);
	s.flows = per.flows;
	s.n_flows = per.n;
	s.verdicts = per.t;
	s.n_verdicts = per.n_t;
	s.processes = cta_flowtab_processes(r->ft, &s.n_processes);
	if (!err && !s.flows)
		err = -ENOMEM;
	if (!err)
		err = cta_session_format(&s, &text, &len);
	period_fini(&per);
	if (err)
		return err;
	r->tried_flows = s.n_flows;
	if (r->output)
		err = cta_write_atomic(r->output, text, len, 0600);
	else
		err = cta_write_all(r->cfg->out_fd, text, len);
	free(text);
	if (!err) {
		r->good_mono = cta_now_mono_ns();
		r->good_flows = s.n_flows;
	}
	return err;
}

/* A dump that finds what lost events hid; why: said on stderr first. */
static int resync(struct rec *r, const char *why)
{
	int err;

	r->resyncs++;
	notice(r, why);
	err = dump(r, false);
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err, "conntrack dump to resync: %s",
			     strerror(-err));
	return 0;
}

/* Trace or NFLOG: an overrun loses verdicts, not flows; say so and go on. */
static int side_read(struct rec *r, int n, const char *what)
{
	if (n == -ENOBUFS) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "%s lost (receive buffer overrun): some verdicts are missing", what);
		notice(r, msg);
		return 0;
	}
	if (n < 0)
		return failf(r, CTA_RECORD_SYSTEM, n, "reading %s: %s", what, strerror(-n));
	return noted_err(r);
}

static int read_traces(struct rec *r)
{
	return side_read(r, cta_listen_read(r->listen), "nf_tables traces");
}

static int read_nflog(struct rec *r)
{
	int n = cta_nlsock_read(r->nflog, on_nflog_msg, r, NULL);

	if (n == -ENOBUFS)
		r->nflog_overruns++;
	return side_read(r, n, "NFLOG packets");
}

/*
 * An overrun with reliable delivery on: nothing is lost. The kernel keeps each DESTROY
 * that did not fit and sends it again, and sends any other event along with the
 * entry's next one; what is still open comes in the next dump. Said at most once a
 * second.
 */
static void delayed(struct rec *r)
{
	uint64_t now = cta_now_mono_ns();
	char msg[200];

	r->delayed_mono = now;
	cta_flowtab_hold_swept(r->ft, now + SWEPT_HOLD_NS);
	if (r->delayed_said_mono && now - r->delayed_said_mono < 1000000000ull)
		return;
	r->delayed_said_mono = now;
	snprintf(msg, sizeof(msg),
		 "conntrack events delayed (receive buffer overrun, %u bytes): the kernel "
		 "holds them and sends them again, nothing is lost",
		 cta_ct_rcvbuf(r->ct));
	notice(r, msg);
}

/* During a dump (reliable delivery): the events queued now; errors wait for the loop */
static void between_batches(void *data)
{
	struct rec *r = data;

	if (cta_ct_read(r->ct, before_event, on_event, r) == -ENOBUFS)
		delayed(r);
	flush_events(r);
}

/*
 * Every conntrack event queued now. After an overrun the kernel reports ENOBUFS once,
 * then stays silent until the queue has drained. With reliable delivery that is all:
 * the events come later (delayed). Without it they are gone: drain the queue first
 * (what is queued is valid), then dump, and read again. A loss during the dump then
 * reports ENOBUFS anew and another resync follows, until a dump completes and what
 * queued meanwhile is read without a loss: no connection is missed, and none counted
 * twice (the flow table knows connections by id).
 */
static int read_events(struct rec *r)
{
	bool lost = false;

	for (;;) {
		int n = cta_ct_read(r->ct, before_event, on_event, r);

		if (r->apply_err)
			return noted_err(r);
		if (n == -ENOBUFS) {
			if (r->reliable && !r->lossy)
				delayed(r);
			else
				lost = true;
			continue;
		}
		if (n < 0)
			return failf(r, CTA_RECORD_SYSTEM, n, "reading conntrack events: %s",
				     strerror(-n));
		if (lost) {
			char msg[160];
			int err;

			snprintf(msg, sizeof(msg),
				 "conntrack events lost (receive buffer overrun, %u bytes): "
				 "resyncing with a dump",
				 cta_ct_rcvbuf(r->ct));
			err = resync(r, msg);

			if (err)
				return err;
			lost = false;
			r->lossy = !r->reliable;
			continue;
		}
		flush_events(r);
		return 0;
	}
}

/*
 * At the end (reliable delivery on): every event queued, with no resync, as the
 * final dump follows (before_dump) or has just been done. If the kernel could not
 * queue some (ENOBUFS: the final dump killed expired entries, a burst of DESTROYs; or
 * an overrun before), it holds those DESTROYs and sends them again as room comes:
 * after the final dump, read until the kernel holds none (cta_ct_held) and the socket
 * is drained, for FINAL_MAX_NS at most. On a kernel that cannot tell, wait for the
 * ends of the connections the dump closed until none waits or none came for
 * FINAL_QUIET_NS. A resync would kill and lose more. A connection whose end never
 * comes keeps its last counters (stats.swept).
 */
#define FINAL_QUIET_NS 2000000000ull
#define FINAL_MAX_NS 30000000000ull

static int read_final_events(struct rec *r, bool before_dump)
{
	uint64_t start = cta_now_mono_ns(), progress = start, probed = 0, now;
	bool held = true, drained = false, recent;

	for (;;) {
		int n = cta_ct_read(r->ct, before_event, on_event, r);
		struct pollfd p = { .fd = cta_ct_fd(r->ct), .events = POLLIN };

		if (r->apply_err)
			return noted_err(r);
		if (n == -ENOBUFS) {
			if (!r->final_lost)
				notice(r, "conntrack events delayed at the end (receive buffer "
					  "overrun): the kernel holds them and sends them again");
			r->final_lost = true;
			continue;
		}
		if (n < 0)
			return failf(r, CTA_RECORD_SYSTEM, n, "reading conntrack events: %s",
				     strerror(-n));
		flush_events(r);
		now = cta_now_mono_ns();
		if (n > 0)
			progress = now;
		/* what an overrun of long ago held has come since */
		recent = r->final_lost ||
			 (r->delayed_mono && now - r->delayed_mono < SWEPT_HOLD_NS);
		if (before_dump || !recent || drained || now - start > FINAL_MAX_NS)
			return 0;
		/* the socket is drained now; ask the kernel at most every 100 ms */
		if (!r->held_unknown && now - probed >= 100000000ull) {
			int err = cta_ct_held(r->ct, &held);

			probed = now;
			if (err) {
				char msg[160];

				snprintf(msg, sizeof(msg),
					 "cannot list the ends the kernel holds: %s; waiting for "
					 "the known ones",
					 strerror(-err));
				notice(r, msg);
				r->held_unknown = true;
			}
			/* none held: what was sent is queued; one more read takes it */
			drained = !err && !held;
			if (drained)
				continue;
		}
		if (r->held_unknown &&
		    (!cta_flowtab_swept_waiting(r->ft) || now - progress > FINAL_QUIET_NS))
			return 0;
		poll(&p, 1, 100);
	}
}

static const char *hint(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return " (needs CAP_NET_ADMIN in this network namespace)";
	case -EEXIST:
	case -EBUSY:
		return " (another conntrack-advise is recording in this network namespace)";
	case -EOPNOTSUPP:
	case -EINVAL:
	case -ENOENT:
	case -EPROTONOSUPPORT:
		return " (the kernel lacks nf_tables, conntrack or the owner table flag)";
	default:
		return "";
	}
}

/* -v: the table as the kernel lists it, a message of its own on several lines */
static void verbose_table(struct rec *r)
{
	char *text = NULL, *msg = NULL;

	if (!r->cfg->on_verbose)
		return;
	if (!cta_nft_list("inet", CTA_TABLE_NAME, false, &text) && text &&
	    asprintf(&msg, "created table inet %s:\n%s", CTA_TABLE_NAME, text) > 0) {
		if (msg[strlen(msg) - 1] == '\n')
			msg[strlen(msg) - 1] = '\0';
		r->cfg->on_verbose(msg, r->cfg->data);
		free(msg);
	}
	free(text);
}

static void on_listed(uint64_t listings, const char *text, int err, void *data)
{
	struct rec *r = data;
	char rule[300], msg[600];

	if (err) {
		verbose(r, "ruleset snapshot %llu: %s", (unsigned long long)listings,
			strerror(-err));
		return;
	}
	verbose(r, "ruleset snapshot %llu: listed with handles, %zu bytes",
		(unsigned long long)listings, strlen(text));
	/* once: what it misses, the recording cannot show, so it is said */
	if (r->notrack_said || !cta_listing_notrack(text, CTA_TABLE_NAME, rule, sizeof(rule)))
		return;
	r->notrack_said = true;
	snprintf(msg, sizeof(msg),
		 "the ruleset has notrack rules (%s): conntrack does not track the packets "
		 "they match, so this recording holds no connection of theirs (suggest and "
		 "review do not see those flows), and the host's answers to them look like "
		 "connections of their own",
		 rule);
	notice(r, msg);
}

/*
 * The own table, the trace socket and the ruleset (advisor/record/listen.h); a kernel
 * that refuses the counting sets (set expressions, 5.11 and later) gets the table
 * without them, and denials are judged by time.
 */
static int setup_listen(struct rec *r)
{
	struct cta_listen_config lc = { .table = &r->cfg->table,
					.rcvbuf = 16u << 20,
					.follow = true,
					.ingress = true,
					.xt_saved = true,
					.on_judgement = on_judgement,
					.on_listed = on_listed,
					.data = r };
	struct cta_listen_error lerr;
	int err = cta_listen_new(&r->listen, &lc, &lerr);

	if (!err && r->cfg->table.count && !cta_listen_counting(r->listen)) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "the kernel refused the counting sets (%s): denials are judged by time",
			 lerr.object);
		notice(r, msg);
	}
	if (!err)
		verbose_table(r);
	/* at ingress it is best effort: without it those chains stay unwatched */
	if (!err && cta_listen_ingress_err(r->listen))
		notice(r, "cannot trace at ingress: table netdev " CTA_TABLE_NAME " refused");
	if (!err)
		return 0;
	switch (lerr.step) {
	case CTA_LISTEN_TRACES:
		return failf(r, CTA_RECORD_SYSTEM, err,
			     "cannot subscribe to nf_tables traces: %s%s", strerror(-err),
			     hint(err));
	case CTA_LISTEN_RULESET:
		return failf(r, CTA_RECORD_SYSTEM, err, "cannot follow the ruleset: %s%s",
			     strerror(-err), hint(err));
	default:
		return failf(r, CTA_RECORD_SYSTEM, err, "cannot create table inet %s: %s: %s%s",
			     CTA_TABLE_NAME, lerr.object, strerror(-err), hint(err));
	}
}

static bool legacy_rules_decide(void);

/*
 * iptables-legacy tables that decide something are followed through their TRACE
 * lines (advisor/record/ltrace.h); when they cannot be, the recording goes on and
 * says what it misses.
 */
static void setup_legacy(struct rec *r)
{
	struct cta_err e = { "" };
	char msg[sizeof(e.msg) + 200];
	int err;

	if (r->cfg->table.trace == CTA_TRACE_NONE) {
		if (legacy_rules_decide())
			notice(r, "iptables-legacy rules are loaded here: with --trace none their "
				  "verdicts are not seen (ip_tables traces only the packets the "
				  "own table traces)");
		return;
	}
	/* group 0 is never the own table's (--nflog-group 0 means no NFLOG at all) */
	err = cta_ltrace_open(&r->ltrace, true, &e);
	if (err) {
		snprintf(msg, sizeof(msg),
			 "iptables-legacy rules are loaded here, but their verdicts cannot be "
			 "followed: %s; recording goes on without them",
			 e.msg[0] ? e.msg : strerror(-err));
		notice(r, msg);
	}
}

/* cta_judge_use_mcast's question, asked of this namespace's /proc/net (nft/mcast.h). */
static bool receivable(uint8_t family, const union cta_addr *group, uint32_t ifindex,
		       uint64_t now_mono, void *data)
{
	return cta_mcast_receivable(data, family, group, ifindex, now_mono);
}

static int setup_kernel(struct rec *r)
{
	int err;

	/* verdicts are joined to connections by tuple; without them nothing is */
	if (r->cfg->table.trace == CTA_TRACE_NONE && !r->cfg->table.nflog_group)
		cta_flowtab_no_tuple_index(r->ft);
	/* NFLOG before the table: its log rules find the group bound */
	if (r->cfg->table.nflog_group) {
		err = cta_nflog_open(&r->nflog, r->cfg->table.nflog_group, 8u << 20);
		if (err)
			return failf(r, CTA_RECORD_SYSTEM, err, "cannot bind NFLOG group %u: %s%s",
				     r->cfg->table.nflog_group, strerror(-err),
				     cta_nflog_group_taken(r->cfg->table.nflog_group)
					     ? " (another program has it, maybe another "
					       "conntrack-advise recording here: --nflog-group)"
					     : hint(err));
	}
	/* legacy's logger bound before the table traces anything: no packet misses it */
	setup_legacy(r);
	cta_sysctl_note(&r->sysctl); /* before the table, which switches accounting on */
	err = setup_listen(r);
	if (err)
		return err;
	if (cta_listen_counting(r->listen)) {
		err = cta_kcount_open(&r->kc, r->cfg->table.name);
		if (err)
			return failf(r, CTA_RECORD_SYSTEM, err, "cannot list the counting sets: %s",
				     strerror(-err));
		cta_judge_use_counts(r->judge, r->denials);
		if (!(r->syns = cta_syns_new()))
			return failf(r, CTA_RECORD_SYSTEM, -ENOMEM, "out of memory");
		cta_judge_use_syns(r->judge, r->syns);
	}
	/* counted or judged by time, a packet to a group nobody here holds is no denial */
	if (cta_mcast_new(&r->mcast))
		return failf(r, CTA_RECORD_SYSTEM, -ENOMEM, "out of memory");
	cta_judge_use_mcast(r->judge, receivable, r->mcast);
	/* the table's ct expression loaded conntrack: its sysctls exist now */
	err = cta_sysctl_enable(&r->sysctl);
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err,
			     "cannot enable conntrack accounting and timestamps (%s): %s%s",
			     cta_sysctl_path(CTA_SYSCTL_ACCT), strerror(-err), hint(err));
	/* an entry that began before this instant sent its NEW to nobody */
	r->since_ns = r->turned_real = cta_now_real_ns();
	cta_flowtab_set_since(r->ft, r->since_ns);
	/*
	 * NEW events only for the stream's start lines, or for a judge without the
	 * kernel's counts (it calls a first packet denied when no connection shows up in
	 * time): otherwise the flow table counts a connection at its DESTROY, or at the
	 * dump that lists it first (checkpoints, the end), and the judge joins a traced
	 * first packet to it there or at its flow (judge.h).
	 */
	err = cta_ct_open(&r->ct, r->cfg->rcvbuf,
			  r->events_fd >= 0 || !cta_listen_counting(r->listen));
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err,
			     "cannot subscribe to conntrack events: %s%s", strerror(-err),
			     hint(err));
	/* until the end, where finish() asks for it anyway */
	err = r->cfg->no_reliable ? 0 : cta_ct_reliable(r->ct, true);
	if (err) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "no reliable conntrack events (%s): an overrun costs a resync dump",
			 strerror(-err));
		notice(r, msg);
	} else
		r->reliable = !r->cfg->no_reliable;
	if (r->cfg->no_bpf) {
		notice(r, "--no-bpf: flows get no process; NFLOG still gives the uid of "
			  "outbound ones");
	} else {
		char why[300], msg[400];

		/* processes are a bonus: without them the recording goes on */
		if (cta_procmon_open(&r->procmon, on_sock_event, r, why, sizeof(why))) {
			snprintf(msg, sizeof(msg),
				 "no process attribution: %s; recording goes on without "
				 "processes",
				 why);
			notice(r, msg);
		}
	}
	return 0;
}

static int setup_loop(struct rec *r)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN };

	r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->urgent_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->timerfd < 0 || r->epfd < 0 || r->urgent_epfd < 0)
		return -errno;
	if (timerfd_settime(r->timerfd, 0, &its, NULL) < 0)
		return -errno;
	ev.data.fd = cta_ct_fd(r->ct);
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	ev.data.fd = r->sig.fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0 ||
	    epoll_ctl(r->urgent_epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	ev.data.fd = r->timerfd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	if ((ev.data.fd = cta_listen_changes_fd(r->listen)) >= 0 &&
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	if ((ev.data.fd = cta_listen_fd(r->listen)) >= 0 &&
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	if (r->nflog && (ev.data.fd = cta_nlsock_fd(r->nflog)) >= 0 &&
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	if ((ev.data.fd = cta_ltrace_fd(r->ltrace)) >= 0 &&
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		return -errno;
	/*
	 * Process events do not wait: a short-lived client is gone from /proc (its
	 * executable with it) if its event sits out the gathering.
	 */
	if (r->procmon && (ev.data.fd = cta_procmon_fd(r->procmon)) >= 0 &&
	    (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0 ||
	     epoll_ctl(r->urgent_epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0))
		return -errno;
	return 0;
}

static int read_fd(struct rec *r, int fd)
{
	if (fd == cta_listen_fd(r->listen))
		return read_traces(r);
	if (r->nflog && fd == cta_nlsock_fd(r->nflog))
		return read_nflog(r);
	if (r->ltrace && fd == cta_ltrace_fd(r->ltrace)) {
		read_legacy(r);
		return 0;
	}
	if (r->procmon && fd == cta_procmon_fd(r->procmon)) {
		int err = cta_procmon_read(r->procmon);

		if (err)
			return failf(r, CTA_RECORD_SYSTEM, err, "process events: %s",
				     strerror(-err));
		return noted_err(r);
	}
	if (fd == cta_listen_changes_fd(r->listen)) {
		if (!cta_listen_follow(r->listen))
			return 0;
		/* verdicts may have changed: every flow is traced afresh */
		if (r->cfg->table.trace == CTA_TRACE_NEW) {
			int err = cta_table_flush_seen(cta_listen_table(r->listen),
						       r->cfg->table.name);

			if (err)
				notice(r,
				       "cannot flush the seen sets after a ruleset change: flows "
				       "are traced again within 30 s");
		}
		return 0;
	}
	return read_events(r);
}

/* The packets NFLOG still holds back come within its flush time: wait that long. */
static int drain_nflog(struct rec *r)
{
	uint64_t until = cta_now_mono_ns() + (CTA_NFLOG_FLUSH_MS + 50) * 1000000ULL, now;
	int err = 0;

	while (!err && (now = cta_now_mono_ns()) < until) {
		struct pollfd p = { .fd = cta_nlsock_fd(r->nflog), .events = POLLIN };

		if (poll(&p, 1, (int)((until - now) / 1000000ULL) + 1) < 0 && errno != EINTR)
			return -errno;
		err = read_nflog(r);
	}
	return err;
}

/*
 * Flows of denials counted with no rule named (cta_judge_take_doubts): traced at
 * random for a while (--trace new), so that a trace names the rule. A failure costs
 * only that detail: a notice, once.
 */
static void doubt(struct rec *r)
{
	const struct cta_kcount_elem *keys;
	size_t n = cta_judge_take_doubts(r->judge, &keys);
	int err;

	if (!n || r->cfg->table.trace != CTA_TRACE_NEW || !cta_listen_counting(r->listen))
		return;
	err = cta_table_doubt(cta_listen_table(r->listen), r->cfg->table.name, keys, n);
	if (err && !r->doubt_failed) {
		char msg[160];

		r->doubt_failed = true;
		snprintf(msg, sizeof(msg),
			 "cannot trace flows of denials with no rule named (%s): they stay "
			 "unnamed until traced",
			 strerror(-err));
		notice(r, msg);
	}
}

/* Traced packets now quiet are done; attempts unconfirmed too long were denied. */
static int settle(struct rec *r, bool all)
{
	uint64_t now;
	/* quiet means nothing came: what waits in the socket is read first */
	int err = read_traces(r);

	if (err)
		return err;
	now = cta_now_mono_ns();
	cta_listen_flush(r->listen, now, all);
	if (r->ltrace)
		cta_ltrace_expire(r->ltrace, now, all ? 0 : LEGACY_WALK_NS);
	/* the flush judged packets at later readings: their waits are younger than now */
	note_err(r, cta_judge_expire(r->judge, cta_now_mono_ns(), all ? 0 : DENY_WAIT_NS));
	doubt(r);
	return noted_err(r);
}

/*
 * A checkpoint's dump refreshes the counters of the connections still open, and finds
 * those opened since the last one; the file is good without it (ended connections
 * come with their DESTROY, the last dump's open ones are there). On a big table a dump
 * is most of record's work (measured: 0.41x conntrack -E's CPU with a dump every 5 s
 * at 50k new flows/s, 0.17x with none; at 10k new flows/s for 12 s, 0.30x with dumps
 * due at 1/50 of a CPU, 0.16x at 1/200, bench/results.md): so one comes when the time
 * since the last is DUMP_SHARE times what the next should cost in CPU, or more (dumps
 * take 1/DUMP_SHARE of a CPU at most), 10 minutes at the most. Its cost: a fixed part,
 * the walk of every bucket that any dump makes (the least CPU time a dump took), plus
 * the table's entries now (nf_conntrack_count) at the last dump's CPU per entry above
 * that walk, between DUMP_ENTRY_NS and DUMP_ENTRY_MAX_NS. Without the fixed part a
 * start-up dump of a few entries put the walk on each of them: 20 us an entry, and no
 * dump for minutes under a flood. First packets waiting for a dump to show their connection
 * (cta_judge_waiting) get theirs every checkpoint all the same. None while the table
 * holds no entry: nothing is open to refresh or find, and a dump walks every bucket of
 * conntrack's hash (shared by all namespaces: 262144 here), a few ms of CPU for
 * nothing (on an idle host, a third of record's CPU, every checkpoint).
 */
#define DUMP_SHARE 200
#define DUMP_ENTRY_NS 2000 /* CPU ns per entry dumped, at the least (about 2 us here) */
/*
 * At the most: a dump's CPU time also holds the events read between its batches, so a
 * small table dumped under a flood of them says little of a big one's cost
 */
#define DUMP_ENTRY_MAX_NS 20000
#define DUMP_EVERY_MAX_NS (600 * 1000000000ULL) /* a dump every 10 minutes at least */

static bool refresh_due(const struct rec *r)
{
	uint64_t above = r->dump_cpu_ns -
			 (r->dump_walk_ns < r->dump_cpu_ns ? r->dump_walk_ns : r->dump_cpu_ns);
	uint64_t per = r->dump_entries ? above / r->dump_entries : 0;
	unsigned count = 0, max;

	if (per < DUMP_ENTRY_NS)
		per = DUMP_ENTRY_NS;
	if (per > DUMP_ENTRY_MAX_NS)
		per = DUMP_ENTRY_MAX_NS;
	if (cta_sysctl_ct_fill(&count, &max))
		count = (unsigned)r->dump_entries;
	else if (!count)
		return false;
	return due_by_cost(r->dump_end_mono, r->dump_walk_ns + per * count, DUMP_SHARE, 0,
			   DUMP_EVERY_MAX_NS);
}

struct ticker {
	uint64_t last_status_ms, last_checkpoint_ms, last_events;
};

static uint64_t events_total(const struct cta_flowtab *ft)
{
	const struct cta_flowtab_stats *s = cta_flowtab_stats(ft);

	return s->events[CTA_EV_CT_NEW] + s->events[CTA_EV_CT_UPDATE] +
	       s->events[CTA_EV_CT_DESTROY];
}

static void report(struct rec *r, struct ticker *t, uint64_t elapsed, bool final)
{
	uint64_t ev = events_total(r->ft), span = elapsed - t->last_status_ms;
	struct cta_record_status st = {
		.final = final,
		.elapsed_ms = elapsed,
		.flows = cta_flowtab_recorded(r->ft),
		.open_connections = cta_flowtab_open_connections(r->ft),
		.events_per_s = span ? (ev - t->last_events) * 1000 / span : 0,
		.lost = cta_ct_stats(r->ct)->overruns,
	};

	t->last_events = ev;
	t->last_status_ms = elapsed;
	if (r->cfg->on_status)
		r->cfg->on_status(&st, r->cfg->data);
	verbose_counts(r);
}

/*
 * The name of the period starting now: the pattern's, with "-2", "-3"... before the
 * extension when that names the file just closed or one already there (a SIGHUP
 * within the pattern's resolution).
 */
static int period_name(struct rec *r, char *buf, size_t size)
{
	char name[PATH_MAX];
	int err = cta_rotated_name(r->cfg->output, r->period_start_ns, name, sizeof(name));
	const char *base, *dot;
	size_t stem;

	if (err)
		return err;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	stem = dot && dot != base ? (size_t)(dot - name) : strlen(name);
	snprintf(buf, size, "%s", name);
	for (unsigned i = 2; (r->output && !strcmp(buf, r->output)) || !access(buf, F_OK); i++) {
		if (i > 999)
			return -EEXIST;
		if ((size_t)snprintf(buf, size, "%.*s-%u%s", (int)stem, name, i, name + stem) >=
		    size)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* The next period starts at the next multiple of the period since the epoch (UTC). */
static void next_rotation(struct rec *r)
{
	uint64_t p = r->cfg->rotate_ms * 1000000ULL;

	r->next_rotate_ns = (r->period_start_ns / p + 1) * p;
}

/*
 * Close the period's file as a complete session and start the next one (at the end of
 * a period, or on SIGHUP). Nothing is lost between them: the loop reads no event while
 * this runs. 0, or -errno when the new file cannot be written.
 */
static int rotate(struct rec *r, bool early)
{
	char next[PATH_MAX], msg[PATH_MAX + 100];
	int err = dump(r, false);

	if (!err)
		err = settle(r, false);
	if (!err)
		err = checkpoint(r, true);
	if (err) {
		snprintf(msg, sizeof(msg), "closing %s failed: %s", r->output,
			 cta_write_strerror(err));
		notice(r, msg);
	}
	if (period_base(r))
		return failf(r, CTA_RECORD_SYSTEM, -ENOMEM, "out of memory");
	/* each file is a recording of its own: readers add them up, refuse one twice */
	if (cta_recording_id_new(r->id))
		r->id[0] = '\0';
	r->period_start_ns = cta_now_real_ns();
	if (!early || r->next_rotate_ns <= r->period_start_ns)
		next_rotation(r);
	err = period_name(r, next, sizeof(next));
	if (!err) {
		memcpy(r->period_name, next, sizeof(next));
		err = checkpoint(r, false);
	}
	if (err)
		return failf(r, CTA_RECORD_OUTPUT, err, "the next file after %s: %s", r->output,
			     cta_write_strerror(err));
	return 0;
}

/*
 * Reliable delivery holds the entries whose DESTROY waits for room in the socket: a
 * reader that cannot keep up for long would fill conntrack's table with entries that
 * early_drop cannot evict, and a full table drops the host's new connections. Expired
 * entries the gc worker has not reached yet count too (at 50k new flows/s with a 2 s
 * UDP timeout, 3/4 of the table with nothing listening), so it takes both: the table
 * 7/8 full, and an overrun in the last two seconds (something held). Then reliable
 * delivery goes off (what waits is sent unreliably and freed; an overrun costs a resync
 * dump again) until the table is half empty, and for GUARD_OFF_NS at least (no
 * flapping). The events entries hold back (a NEW to be sent with the next one) may be
 * lost from then on: a dump now finds those entries.
 * 0 or -errno.
 */
#define GUARD_RECENT_NS 2000000000ull

static int guard_table(struct rec *r)
{
	uint64_t now = cta_now_mono_ns();
	unsigned count, max;
	char msg[240];

	/*
	 * Only an overrun just now (or one not looked at yet: reading what waited may
	 * have taken longer than that), or the guard on for long enough, can change
	 * anything.
	 */
	if (r->reliable ? !r->delayed_mono || (now - r->delayed_mono >= GUARD_RECENT_NS &&
					       r->guard_looked == r->delayed_mono)
			: !r->guarded || now - r->guarded_mono < GUARD_OFF_NS)
		return 0;
	r->guard_looked = r->delayed_mono;
	if (cta_sysctl_ct_fill(&count, &max) || !max)
		return 0;
	if (r->reliable && count > max / 8 * 7) {
		if (cta_ct_reliable(r->ct, false))
			return 0;
		r->reliable = false;
		r->guarded = r->lossy = true;
		r->guarded_mono = now;
		snprintf(msg, sizeof(msg),
			 "conntrack table %u of %u entries full while events wait: reliable "
			 "events off, so that the host's new connections find room; resyncing "
			 "with a dump, and after every overrun from now on",
			 count, max);
		return resync(r, msg);
	} else if (!r->reliable && count < max / 2 && !cta_ct_reliable(r->ct, true)) {
		r->reliable = true;
		r->guarded = false;
		snprintf(msg, sizeof(msg),
			 "conntrack table %u of %u entries full: reliable events on again", count,
			 max);
		notice(r, msg);
	}
	return 0;
}

/*
 * A checkpoint writes the whole session: with hundreds of thousands of flows, tens of
 * MB and a second of CPU (measured: 300,000 flows in a minute, each a flow of its own,
 * checkpoints every 5 s were half of record's CPU). So checkpoints come every
 * --checkpoint-interval, or further apart when the last one cost more than
 * 1/CHECKPOINT_SHARE of that time in CPU, CHECKPOINT_MAX_MS apart at most.
 */
#define CHECKPOINT_SHARE 20
#define CHECKPOINT_MAX_MS 60000u

static uint64_t checkpoint_wait_ms(const struct rec *r)
{
	uint64_t wait = CHECKPOINT_SHARE * r->checkpoint_cpu_ns / 1000000ULL;

	if (wait > CHECKPOINT_MAX_MS)
		wait = CHECKPOINT_MAX_MS;
	return wait > r->cfg->checkpoint_ms ? wait : r->cfg->checkpoint_ms;
}

/* Once a tick: status, checkpoints, the duration. 1 when time is up, or -errno. */
static int tick(struct rec *r, struct ticker *t)
{
	uint64_t elapsed = (cta_now_mono_ns() - r->start_mono) / 1000000ULL, exp;
	int err;

	while (read(r->timerfd, &exp, sizeof(exp)) > 0)
		;
	if (r->cfg->duration_ms && elapsed >= r->cfg->duration_ms)
		return 1;
	if ((err = guard_table(r)))
		return err;
	if (r->kc && list_due(r)) {
		if ((err = count_kernel(r)))
			return err;
		if (r->list_whole)
			turn_generation(r);
	} else if (r->kc && r->retiring < 0) {
		turn_generation(r); /* by the estimate */
	}
	if (r->syns && syns_due(r) && (err = list_syns(r)))
		return err;
	if ((err = settle(r, false)))
		return err;
	if (elapsed - t->last_status_ms >= 1000)
		report(r, t, elapsed, false);
	if (r->cfg->rotate_ms && cta_now_real_ns() >= r->next_rotate_ns) {
		t->last_checkpoint_ms = elapsed;
		return rotate(r, false);
	}
	/*
	 * Once an interval. Without a file to checkpoint, a dump all the same while first
	 * packets wait for a dump to show their connections (cta_judge_waiting).
	 */
	if (elapsed - t->last_checkpoint_ms >= checkpoint_wait_ms(r)) {
		t->last_checkpoint_ms = elapsed;
		/* refresh the counters of open connections (when due), then write */
		if (cta_judge_waiting(r->judge) || (r->output && refresh_due(r))) {
			verbose(r, "checkpoint: a conntrack dump (%s)",
				cta_judge_waiting(r->judge) ? "first packets wait for it" : "due");
			err = dump(r, false);
		}
		if (!err && r->output) {
			uint64_t cpu0 = cpu_ns();

			err = checkpoint(r, false);
			r->checkpoint_cpu_ns = cta_elapsed_ns(cpu_ns(), cpu0);
		}
		if (err) {
			char msg[300];

			if (r->output)
				snprintf(msg, sizeof(msg), "checkpoint of %s failed: %s", r->output,
					 cta_write_strerror(err));
			else
				snprintf(msg, sizeof(msg), "conntrack dump failed: %s",
					 strerror(-err));
			notice(r, msg);
		}
	}
	return 0;
}

/*
 * The final write failed: say why, and what the file lacks against the recording (the
 * flows and seconds since its last good checkpoint, which it still holds).
 */
static int output_failed(struct rec *r, int err)
{
	const struct cta_record_config *cfg = r->cfg;
	/* with --rotate, the period's file */
	const char *name = r->output ? r->output : cfg->out_name ? cfg->out_name : NULL;
	uint64_t secs, lost;

	if (!r->output || !r->good_mono)
		return failf(r, CTA_RECORD_OUTPUT, err, "%s: %s%s", name ? name : "standard output",
			     cta_write_strerror(err),
			     r->output ? "; it holds nothing of this recording" : "");
	secs = (cta_now_mono_ns() - r->good_mono) / 1000000000ULL;
	lost = r->tried_flows > r->good_flows ? r->tried_flows - r->good_flows : 0;
	return failf(r, CTA_RECORD_OUTPUT, err,
		     "%s: %s; it keeps the last checkpoint, of %llu s before the end: it lacks "
		     "those %llu s and %llu of the %llu flows",
		     name, cta_write_strerror(err), (unsigned long long)secs,
		     (unsigned long long)secs, (unsigned long long)lost,
		     (unsigned long long)r->tried_flows);
}

/* Messages read from every socket so far (conntrack, traces, NFLOG). */
static uint64_t messages_read(const struct rec *r)
{
	const struct cta_listen_stats *ls = cta_listen_stats(r->listen);

	return cta_ct_stats(r->ct)->messages + ls->events + ls->bad +
	       cta_judge_stats(r->judge)->nflog;
}

/* Read the signals: true when the only ones were SIGHUP and the recording rotates. */
static bool hangup(struct rec *r)
{
	bool hup = false;

	for (int sig; (sig = cta_signals_caught(&r->sig));) {
		if (sig != SIGHUP || !r->cfg->rotate_ms)
			return false;
		hup = true;
	}
	return hup;
}

static int loop(struct rec *r, struct ticker *t)
{
	uint64_t last_read_ns = cta_now_mono_ns(), msgs_seen = messages_read(r);

	for (bool read_some = false;; read_some = false) {
		struct epoll_event evs[8];
		int n = epoll_wait(r->epfd, evs, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return failf(r, CTA_RECORD_SYSTEM, -errno, "epoll: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, err;

			if (fd == r->sig.fd) {
				if (!hangup(r))
					return 0;
				if ((err = rotate(r, true)))
					return err;
				continue;
			}
			if (fd == r->timerfd) {
				err = tick(r, t);
				if (err)
					return err < 0 ? err : 0;
				continue;
			}
			err = read_fd(r, fd);
			if (err)
				return err;
			read_some = true;
		}
		if (read_some) {
			struct epoll_event e;
			uint64_t now = cta_now_mono_ns(), msgs = messages_read(r);

			/* let events gather; a signal or a process event ends it early */
			epoll_wait(r->urgent_epfd, &e, 1,
				   cta_gather_ms(msgs - msgs_seen, now - last_read_ns));
			last_read_ns = now;
			msgs_seen = msgs;
		}
	}
}

static void teardown(struct rec *r)
{
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->urgent_epfd >= 0)
		close(r->urgent_epfd);
	if (r->timerfd >= 0)
		close(r->timerfd);
	cta_sysctl_restore(&r->sysctl);
	cta_ltrace_free(r->ltrace); /* the nf_log binding back as it was */
	cta_ct_free(r->ct);
	cta_nlsock_free(r->nflog);
	cta_judge_free(r->judge);
	cta_procmon_free(r->procmon); /* its links go with it: nothing stays attached */
	cta_procs_free(r->procs);
	cta_kcount_free(r->kc);
	cta_denials_free(r->denials);
	cta_syns_free(r->syns);
	cta_mcast_free(r->mcast);
	cta_listen_free(r->listen); /* closing its socket deletes the table */
	cta_flowtab_free(r->ft);
	cta_host_fini(&r->host);
	vcache_clear(r);
	json_decref(r->verdicts);
	cta_signals_restore(&r->sig); /* last: everything is put back */
}

/*
 * Do the namespace's iptables-legacy tables decide anything: a rule, or a policy other
 * than ACCEPT? Tables left empty (by `iptables-legacy-restore --test`, or a bare
 * `iptables-legacy -L`) decide nothing and are no reason to warn. A ruleset that cannot
 * be read is taken to decide.
 */
static bool legacy_rules_decide(void)
{
	static const int families[] = { AF_INET, AF_INET6 };
	bool decides = false;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]) && !decides; i++) {
		struct cta_iptsave *s = NULL;
		char *text;
		size_t len;
		unsigned line;

		if (!cta_legacy_tables_loaded(families[i]))
			continue;
		if (cta_legacy_save(families[i], &text, &len, NULL) ||
		    cta_iptsave_parse(text, len, &s, &line))
			decides = true;
		else
			decides = cta_iptsave_decides(s);
		cta_iptsave_free(s);
		free(text);
	}
	return decides;
}

/* Memory, the host, the kernel, the loop, the first dump and checkpoint. 0 or -errno. */
static int start(struct rec *r)
{
	int err;

	r->ft = cta_flowtab_new();
	r->judge = r->ft ? cta_judge_new(r->ft, &r->host) : NULL;
	r->procs = cta_procs_new();
	r->verdicts = json_object();
	r->denials = cta_denials_new();
	r->retiring = -1;
	if (!r->ft || !r->judge || !r->procs || !r->verdicts || !r->denials)
		return failf(r, CTA_RECORD_SYSTEM, -ENOMEM, "out of memory");
	err = cta_host_read(&r->host);
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err, "cannot list this host's addresses: %s",
			     strerror(-err));
	/* what review rebuilds beside them: routes and policy rules */
	err = cta_route_dump(cta_host_route_cb, cta_host_prule_cb, &r->host);
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err, "cannot list this host's routes: %s",
			     strerror(-err));
	err = setup_kernel(r);
	if (err)
		return err;
	err = setup_loop(r);
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err, "event loop: %s", strerror(-err));
	r->start_ns = r->period_start_ns = cta_now_real_ns();
	r->output = r->cfg->output;
	if (r->cfg->rotate_ms) {
		next_rotation(r);
		err = period_name(r, r->period_name, sizeof(r->period_name));
		if (err)
			return failf(r, CTA_RECORD_OUTPUT, err, "%s: %s", r->cfg->output,
				     strerror(-err));
		r->output = r->period_name;
	}
	r->start_mono = cta_now_mono_ns();
	/* entries from before the subscription may never send an event: dump them */
	err = dump(r, true);
	if (err)
		return failf(r, CTA_RECORD_SYSTEM, err, "conntrack dump: %s%s", strerror(-err),
			     hint(err));
	/* a first checkpoint proves the output is writable before anything is recorded */
	err = checkpoint(r, false);
	if (err)
		return failf(r, CTA_RECORD_OUTPUT, err, "%s: %s", r->output,
			     cta_write_strerror(err));
	return 0;
}

/* After the loop: what the sockets still hold, the last dump, the last judgements. */
static int finish(struct rec *r)
{
	/*
	 * Dumps kill expired entries: their DESTROYs, the only place their last counters
	 * are, come in a burst that must not be lost to a full buffer. Not when the guard
	 * turned reliable delivery off: the table is full enough as it is.
	 */
	int err = r->guarded ? 0 : cta_ct_reliable(r->ct, true);

	if (!err)
		r->reliable = !r->guarded;
	else {
		char msg[160];

		snprintf(msg, sizeof(msg), "cannot ask for reliable ends of connections: %s",
			 strerror(-err));
		notice(r, msg);
	}
	err = read_traces(r);
	if (!err && r->nflog)
		err = drain_nflog(r);
	if (!err && r->procmon)
		err = read_fd(r, cta_procmon_fd(r->procmon));
	if (!err)
		err = read_final_events(r, true);
	if (!err) {
		/* the last traced packets are done */
		read_legacy(r);
		cta_listen_flush(r->listen, cta_now_mono_ns(), true);
		err = read_final_events(r, true);
	}
	if (!err) {
		/*
		 * The last counters of connections still open; and every connection the
		 * kernel confirmed is known before what still waits is called denied.
		 */
		err = dump(r, false);
		if (err)
			err = failf(r, CTA_RECORD_SYSTEM, err, "final conntrack dump: %s",
				    strerror(-err));
	}
	if (!err)
		err = read_final_events(r, false); /* what the dump killed ends with a DESTROY */
	/* the last denials, before the judge settles: twice, as a balance needs two listings */
	if (!err)
		err = count_kernel(r);
	if (!err)
		err = count_kernel(r);
	if (!err && r->syns)
		err = list_syns(r);
	if (!err)
		err = settle(r, true);
	if (!err)
		err = cta_judge_unseen(r->judge);
	return err;
}

int cta_record_run(const struct cta_record_config *cfg, enum cta_record_fail *fail,
		   struct cta_err *errout)
{
	struct rec r = {
		.cfg = cfg,
		.err = errout,
		.fail = fail,
		.events_fd = cfg->events_fd,
		.epfd = -1,
		.urgent_epfd = -1,
		.sig = { .fd = -1 },
		.timerfd = -1,
	};
	struct ticker t = { 0 };
	int err;

	*fail = CTA_RECORD_OK;
	errout->msg[0] = '\0';
	/* a signal from now on ends the loop, never the process: the teardown runs */
	err = cta_signals_block(&r.sig, cfg->rotate_ms != 0); /* SIGHUP rotates */
	if (err)
		return failf(&r, CTA_RECORD_SYSTEM, err, "signals: %s", strerror(-err));
	err = start(&r);
	if (err)
		goto out;
	err = loop(&r, &t);
	if (!err)
		err = finish(&r);
	if (err && r.output)
		checkpoint(&r, false); /* keep what was recorded up to the failure */
	if (!err) {
		err = checkpoint(&r, true);
		if (err)
			err = output_failed(&r, err);
	}
	if (!err)
		report(&r, &t, (cta_now_mono_ns() - r.start_mono) / 1000000ULL, true);
out:
	flush_events(&r);
	cta_buf_fini(&r.events);
	for (size_t i = 0; i < r.n_base; i++)
		cta_vtally_fini(&r.base_t[i]);
	free(r.base_t);
	free(r.base);
	teardown(&r);
	return err;
}
