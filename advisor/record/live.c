// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "advisor/model/host.h"
#include "advisor/model/ruleset.h"
#include "nft/nlsock.h"
#include "nft/snapshot.h"
#include "nft/tracemsg.h"
#include "advisor/lib/util.h"

#define IDLE_NS 300000000ULL /* a packet quiet this long has passed every hook */

struct live {
	struct cta_ruleset *rs;
	struct cta_snapshot *snap;
	struct cta_tracer *tracer;
	json_t *verdict;
};

static void on_judgement(const struct cta_judgement *j, void *data)
{
	struct live *l = data;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *text;
	json_t *v;

	if (l->verdict || (j->has_ct && j->ct_dir != 0))
		return; /* answered already, or a reply */
	if (!cta_judgement_rules_known(j, l->rs) && cta_snapshot_take(l->snap, &text) == 0)
		cta_ruleset_add_text(l->rs, text); /* changed since the start */
	v = cta_judgement_to_json(j, l->rs);
	if (!v)
		return;
	cta_addr_str(j->family, &j->tuple.src, s, sizeof(s));
	cta_addr_str(j->family, &j->tuple.dst, d, sizeof(d));
	json_object_set_new(v, "packet",
			    json_pack("{s:s,s:s,s:s,s:i,s:i}", "protocol",
				      cta_proto_name(j->l4proto) ? cta_proto_name(j->l4proto) : "?",
				      "src", s, "dst", d, "sport", j->tuple.sport, "dport",
				      j->tuple.dport));
	l->verdict = v;
}

static void (*trace_fn)(const struct cta_trace_event *ev, void *data);
static void *trace_data;

void cta_live_on_trace(void (*fn)(const struct cta_trace_event *ev, void *data), void *data)
{
	trace_fn = fn;
	trace_data = data;
}

static void on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct live *l = data;
	struct cta_trace_event ev;

	if (cta_tracemsg_parse(nlh, &ev) != 0)
		return;
	if (trace_fn)
		trace_fn(&ev, trace_data);
	cta_tracer_feed(l->tracer, &ev, cta_now_mono_ns());
}

static int wait_loop(struct live *l, struct cta_nlsock *sock, int sigfd, uint64_t timeout_ms)
{
	uint64_t deadline = cta_now_mono_ns() + timeout_ms * 1000000ULL;

	while (!l->verdict) {
		struct pollfd p[2] = { { cta_nlsock_fd(sock), POLLIN, 0 }, { sigfd, POLLIN, 0 } };
		uint64_t now = cta_now_mono_ns();
		int n;

		if (now >= deadline) {
			cta_tracer_flush(l->tracer, now, 0);
			return l->verdict ? 0 : -ETIMEDOUT;
		}
		n = poll(p, 2, 100);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN)
			return -EINTR;
		if (p[0].revents & POLLIN) {
			n = cta_nlsock_read(sock, on_msg, l, NULL);
			if (n < 0 && n != -ENOBUFS)
				return n;
		}
		cta_tracer_flush(l->tracer, cta_now_mono_ns(), IDLE_NS);
	}
	return 0;
}

/*
 * Where ingress chains may take the packet before the inet hooks: a netdev table of
 * the same name marks it on each of their devices too. Best effort: without it (a
 * device gone), blame still says which chains it does not watch.
 */
static void trace_ingress(const struct live *l, const struct cta_table_config *cfg,
			  struct cta_table **ingress)
{
	struct cta_table_config in = *cfg;
	struct cta_table_error terr;
	const char *devs[32];

	in.devices = devs;
	in.n_devices = cta_ruleset_ingress_devices(l->rs, devs, 32);
	if (in.n_devices && cta_table_new(ingress, &in, &terr))
		*ingress = NULL;
}

int cta_live_blame(const struct cta_trace_match *m, uint64_t timeout_ms, json_t **verdict,
		   struct cta_err *err)
{
	static const unsigned group = NFNLGRP_NFTRACE;
	struct cta_table_config cfg = { .name = CTA_LIVE_TABLE_NAME,
					.trace = CTA_TRACE_MATCH,
					.match = *m };
	struct cta_table_error terr = { "" };
	struct live l = { 0 };
	struct cta_nlsock *sock = NULL;
	struct cta_table *table = NULL, *ingress = NULL;
	const char *text;
	sigset_t mask;
	int sigfd = -1, rc;

	*verdict = NULL;
	err->msg[0] = '\0';
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l.rs = cta_ruleset_new();
	l.tracer = cta_tracer_new(CTA_LIVE_TABLE_NAME, on_judgement, &l);
	if (sigfd < 0 || !l.rs || !l.tracer) {
		rc = -ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}
	/* listen before marking: no trace may pass unheard */
	rc = cta_nlsock_open(&sock, &group, 1, 8u << 20);
	if (!rc)
		rc = cta_snapshot_new(&l.snap, false);
	if (!rc)
		rc = cta_snapshot_take(l.snap, &text);
	if (!rc)
		rc = cta_ruleset_add_text(l.rs, text);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "cannot follow nf_tables traces: %s%s",
			 strerror(-rc), rc == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		goto out;
	}
	rc = cta_table_new(&table, &cfg, &terr);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "cannot create table inet %s: %s: %s%s",
			 CTA_LIVE_TABLE_NAME, terr.object, strerror(-rc),
			 rc == -EPERM	? " (needs CAP_NET_ADMIN)"
			 : rc == -EBUSY ? " (another blame --live is waiting here)"
					: "");
		goto out;
	}
	trace_ingress(&l, &cfg, &ingress);
	rc = wait_loop(&l, sock, sigfd, timeout_ms);
	if (!rc) {
		*verdict = l.verdict;
		l.verdict = NULL;
	}
out:
	cta_table_free(table); /* the kernel drops the table with its socket */
	cta_table_free(ingress);
	cta_nlsock_free(sock);
	cta_snapshot_free(l.snap);
	cta_tracer_free(l.tracer);
	cta_ruleset_free(l.rs);
	json_decref(l.verdict);
	if (sigfd >= 0)
		close(sigfd);
	return rc;
}
