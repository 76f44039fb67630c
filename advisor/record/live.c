// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "advisor/model/host.h"
#include "advisor/record/listen.h"
#include "advisor/record/ltrace.h"
#include "advisor/lib/signals.h"
#include "advisor/lib/util.h"

struct live {
	struct cta_listen *listen;
	struct cta_ltrace *lt; /* NULL: no legacy rule decides anything here */
	struct cta_verdict *verdict;
	struct cta_live_packet packet;
	/*
	 * The first packet of a connection already tracked (kept): the answer if no new
	 * one comes. later is NULL when its judgement ran out of memory.
	 */
	bool kept;
	struct cta_verdict *later;
	struct cta_live_packet later_packet;
	/* the TUPLE has a source port or an echo identifier: it names one connection */
	bool one;
	struct cta_live_hooks hooks;
};

/* Legacy tables are a part of the answer; without them it comes all the same. */
static void legacy_open(struct live *l, struct cta_err *err)
{
	struct cta_err e = { "" };
	int rc = cta_ltrace_open(&l->lt, true, &e);

	if (rc)
		snprintf(err->msg, sizeof(err->msg),
			 "iptables-legacy rules are loaded here, but their verdicts cannot be "
			 "followed: %.900s",
			 e.msg[0] ? e.msg : strerror(-rc));
}

static void on_judgement(const struct cta_judgement *j, void *data)
{
	struct live *l = data;
	/*
	 * A packet of a connection conntrack already tracks (its trace says established)
	 * was let through by `ct state established` or the like: it says nothing of what
	 * let the connection in. A late packet of an earlier connection of TUPLE is kept
	 * aside, and the answer waits for a new connection until the timeout; unless the
	 * TUPLE names that one connection (a source port, an echo identifier). A related
	 * packet is not one: it is the first of its own (an FTP data connection, an ICMP
	 * error), and `ct state related accept` is what lets it in.
	 */
	bool established = j->has_ct && (j->ct_state & NF_CT_STATE_BIT(IP_CT_ESTABLISHED));
	bool aside = established && !l->one;
	/* an ICMP error is related to the connection it answers, in its reply direction */
	bool reply = j->has_ct && j->ct_dir != 0 && !(j->ct_state & NF_CT_STATE_BIT(IP_CT_RELATED));

	if (l->verdict || reply || j->by_kernel)
		return; /* answered already, a reply, or synproxy's packet (trace.h) */
	if (aside && l->kept)
		return;
	if (aside && l->hooks.on_later)
		l->hooks.on_later(l->hooks.data);
	l->kept |= aside;
	*(aside ? &l->later : &l->verdict) =
		cta_ltrace_judgement(l->lt, j, cta_listen_ruleset(l->listen), CTA_VSOURCE_NONE);
	*(aside ? &l->later_packet : &l->packet) =
		(struct cta_live_packet){ j->family, j->l4proto, j->tuple, established };
}

/* No new connection came: a packet of an established one is the answer, if one came. */
static bool fall_back(struct live *l)
{
	if (l->verdict || !l->kept)
		return l->verdict != NULL;
	l->verdict = l->later;
	l->packet = l->later_packet;
	l->later = NULL;
	return true;
}

static void on_trace(const struct cta_trace_event *ev, void *data)
{
	const struct live *l = data;

	l->hooks.on_trace(ev, l->hooks.data);
}

static int wait_loop(struct live *l, int sigfd, uint64_t timeout_ms)
{
	uint64_t deadline = cta_now_mono_ns() + timeout_ms * 1000000ULL;

	while (!l->verdict) {
		struct pollfd p[3] = { { cta_listen_fd(l->listen), POLLIN, 0 },
				       { sigfd, POLLIN, 0 },
				       { cta_ltrace_fd(l->lt), POLLIN, 0 } };
		uint64_t now = cta_now_mono_ns();
		int n;

		if (now >= deadline) {
			cta_listen_flush(l->listen, now, true);
			return fall_back(l) ? 0 : -ETIMEDOUT;
		}
		n = poll(p, 3, 100);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN) {
			cta_listen_flush(l->listen, cta_now_mono_ns(), true);
			return fall_back(l) ? 0 : -EINTR;
		}
		if (p[2].revents & POLLIN)
			(void)cta_ltrace_read(l->lt, cta_now_mono_ns());
		n = cta_listen_read(l->listen);
		if (n < 0 && n != -ENOBUFS)
			return n;
		cta_listen_flush(l->listen, cta_now_mono_ns(), false);
	}
	return 0;
}

static int listen_err(struct cta_err *err, int rc, const struct cta_listen_error *le)
{
	if (le->step == CTA_LISTEN_TABLE)
		snprintf(err->msg, sizeof(err->msg), "cannot create table inet %s: %s: %s%s",
			 CTA_LIVE_TABLE_NAME, le->object, strerror(-rc),
			 rc == -EPERM	? " (needs CAP_NET_ADMIN)"
			 : rc == -EBUSY ? " (another blame --live is waiting here)"
					: "");
	else
		snprintf(err->msg, sizeof(err->msg), "cannot follow nf_tables traces: %s%s",
			 strerror(-rc), rc == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return rc;
}

int cta_live_blame(const struct cta_trace_match *m, uint64_t timeout_ms,
		   const struct cta_live_hooks *hooks, struct cta_verdict **verdict,
		   struct cta_live_packet *packet, struct cta_err *err)
{
	struct cta_table_config cfg = { .name = CTA_LIVE_TABLE_NAME,
					.trace = CTA_TRACE_MATCH,
					.match = *m };
	struct live l = { .one = m->has_sport || m->has_icmp_id };
	struct cta_listen_config lc = {
		.table = &cfg,
		.rcvbuf = 8u << 20,
		.ingress = true,
		.xt_saved = true,
		.on_judgement = on_judgement,
		.data = &l,
	};
	struct cta_listen_error le;
	struct cta_signals sig;
	int rc;

	*verdict = NULL;
	err->msg[0] = '\0';
	if (hooks)
		l.hooks = *hooks;
	lc.on_trace = l.hooks.on_trace ? on_trace : NULL;
	rc = cta_signals_block(&sig, false);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "signals: %s", strerror(-rc));
		return rc;
	}
	/*
	 * Legacy tables first: once the own table exists, packets are traced, and one
	 * traced before nfnetlink_log is bound would be judged without its legacy walks.
	 */
	legacy_open(&l, err);
	rc = cta_listen_new(&l.listen, &lc, &le);
	if (rc == -ENOMEM) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}
	if (rc) {
		listen_err(err, rc, &le);
		goto out;
	}
	rc = wait_loop(&l, sig.fd, timeout_ms);
	if (!rc) {
		*verdict = l.verdict;
		*packet = l.packet;
		l.verdict = NULL;
	}
out:
	cta_listen_free(l.listen); /* the kernel drops the table with its socket */
	cta_ltrace_free(l.lt); /* the nf_log binding back as it was */
	cta_verdict_unref(l.verdict);
	cta_verdict_unref(l.later);
	cta_signals_restore(&sig);
	return rc;
}
