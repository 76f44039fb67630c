// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/listen.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/util.h"
#include "nft/nlsock.h"
#include "nft/snapshot.h"
#include "nft/tracemsg.h"
#include "nft/xtcopy.h"

struct cta_listen {
	struct cta_nlsock *sock; /* NULL when nothing is traced */
	struct cta_snapshot *snap;
	struct cta_ruleset *rs;
	struct cta_tracer *tracer;
	struct cta_table *table;
	struct cta_table *ingress; /* netdev, where ingress chains are; NULL: none */
	bool counting; /* the table has its counting sets */
	bool xt_saved; /* cta_listen_config's */
	int ingress_err;
	cta_judgement_cb cb;
	void (*on_trace)(const struct cta_trace_event *ev, void *data);
	void (*on_listed)(uint64_t listings, const char *text, int err, void *data);
	void *data;
	struct cta_listen_stats stats;
};

struct note_q {
	struct cta_ruleset *rs;
	uint8_t family;
	const char *table;
};

static int note_xt(const char *chain, uint64_t handle, const char *line, void *data)
{
	const struct note_q *q = data;
	int err = cta_ruleset_note_xt(q->rs, q->family, q->table, chain, handle, line);

	return err == -ENOENT ? 0 : err; /* added after the listing: the next one has it */
}

/*
 * The rules with xt expressions of every ip and ip6 table, noted with their lines as
 * iptables-nft-save writes them, while the ruleset is of generation GEN, the one read
 * before the listing. What cannot be had (no iptables-nft-save, a table it refuses, a
 * change since) keeps nft's text alone. 0 or -ENOMEM.
 */
static int note_xt_rules(struct cta_listen *l, uint32_t gen)
{
	const char *done[64];
	uint8_t done_f[64];
	size_t n_done = 0, n = cta_ruleset_rule_count(l->rs);

	for (size_t i = 0; i < n && n_done < ARRAY_SIZE(done); i++) {
		struct note_q q = { .rs = l->rs };
		const char *chain;
		uint64_t handle;
		size_t k = 0;

		cta_ruleset_rule_at(l->rs, i, &q.family, &q.table, &chain, &handle);
		if (q.family != NFPROTO_IPV4 && q.family != NFPROTO_IPV6)
			continue;
		while (k < n_done && (done_f[k] != q.family || strcmp(done[k], q.table)))
			k++;
		if (k < n_done)
			continue;
		done_f[n_done] = q.family;
		done[n_done++] = q.table;
		if (cta_xt_rules_saved(q.family, q.table, gen, note_xt, &q) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

/* The listing is text (nft/snapshot.h); the model reads it (advisor/model/ruleset.h). */
static int relist(struct cta_listen *l)
{
	const char *text = NULL;
	uint32_t gen = 0;
	/* the generation the listing is of, at the latest: xt rules' lines must be too */
	bool noted = l->xt_saved && cta_nft_generation(&gen) == 0;
	int err = cta_snapshot_take(l->snap, &text);

	if (!err)
		err = cta_ruleset_add_text(l->rs, text);
	if (!err && l->xt_saved)
		cta_ruleset_clear_notes(l->rs);
	if (!err && noted)
		err = note_xt_rules(l, gen);
	if (!err)
		l->stats.listings++;
	if (l->on_listed)
		l->on_listed(l->stats.listings, err ? NULL : text, err, l->data);
	return err;
}

static void on_judgement(const struct cta_judgement *j, void *data)
{
	struct cta_listen *l = data;

	/* a rule the listing does not know yet: the ruleset changed, list it again */
	if (!cta_judgement_rules_known(j, l->rs))
		relist(l);
	l->cb(j, l->data);
}

/*
 * Ingress chains decide before the inet hooks mark anything: a netdev table of the
 * same name marks the packets on each of their devices, first there.
 */
static void trace_ingress(struct cta_listen *l, const struct cta_table_config *cfg)
{
	struct cta_table_config in = { .name = cfg->name,
				       .trace = cfg->trace,
				       .match = cfg->match };
	struct cta_table_error terr;
	const char *devs[32];

	if (cfg->trace == CTA_TRACE_NONE)
		return;
	in.devices = devs;
	in.n_devices = cta_ruleset_ingress_devices(l->rs, devs, 32);
	if (in.n_devices)
		l->ingress_err = cta_table_new(&l->ingress, &in, &terr);
	if (l->ingress_err)
		l->ingress = NULL;
}

/*
 * The own table; a kernel that refuses the counting sets (set expressions, 5.11 and
 * later) gets it without them, the refused part left in err->object.
 */
static int make_table(struct cta_listen *l, const struct cta_table_config *table,
		      struct cta_listen_error *err)
{
	struct cta_table_config cfg = *table;
	struct cta_table_error terr = { "" };
	int rc = cta_table_new(&l->table, &cfg, &terr);

	memcpy(err->object, terr.object, sizeof(err->object));
	l->counting = cfg.count && !rc;
	if (!rc || !cfg.count || (rc != -EOPNOTSUPP && rc != -EINVAL && rc != -ENOENT))
		return rc;
	cfg.count = false;
	return cta_table_new(&l->table, &cfg, &terr);
}

static int fail(struct cta_listen *l, struct cta_listen_error *err, int step, int rc)
{
	err->step = step;
	cta_listen_free(l);
	return rc;
}

int cta_listen_new(struct cta_listen **out, const struct cta_listen_config *cfg,
		   struct cta_listen_error *err)
{
	static const unsigned group = NFNLGRP_NFTRACE;
	const char *name = cfg->table->name ? cfg->table->name : CTA_TABLE_NAME;
	struct cta_listen *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!l)
		return -ENOMEM;
	l->cb = cfg->on_judgement;
	l->on_trace = cfg->on_trace;
	l->on_listed = cfg->on_listed;
	l->data = cfg->data;
	l->xt_saved = cfg->xt_saved;
	l->rs = cta_ruleset_new();
	l->tracer = cta_tracer_new(name, on_judgement, l);
	if (!l->rs || !l->tracer)
		return fail(l, err, CTA_LISTEN_TRACES, -ENOMEM);
	if (cfg->table->trace != CTA_TRACE_NONE &&
	    (rc = cta_nlsock_open(&l->sock, &group, 1, cfg->rcvbuf)))
		return fail(l, err, CTA_LISTEN_TRACES, rc);
	if ((rc = cta_snapshot_new(&l->snap, cfg->follow)))
		return fail(l, err, CTA_LISTEN_RULESET, rc);
	if ((rc = make_table(l, cfg->table, err)))
		return fail(l, err, CTA_LISTEN_TABLE, rc);
	if ((rc = relist(l)))
		return fail(l, err, CTA_LISTEN_RULESET, rc);
	if (cfg->ingress)
		trace_ingress(l, cfg->table);
	*out = l;
	return 0;
}

void cta_listen_free(struct cta_listen *l)
{
	if (!l)
		return;
	cta_table_free(l->table); /* closing its socket deletes the table */
	cta_table_free(l->ingress);
	cta_nlsock_free(l->sock);
	cta_snapshot_free(l->snap);
	cta_tracer_free(l->tracer);
	cta_ruleset_free(l->rs);
	free(l);
}

int cta_listen_fd(const struct cta_listen *l)
{
	return l->sock ? cta_nlsock_fd(l->sock) : -1;
}

int cta_listen_changes_fd(const struct cta_listen *l)
{
	return cta_snapshot_fd(l->snap);
}

static void on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct cta_listen *l = data;
	struct cta_trace_event ev;

	if (cta_tracemsg_parse(nlh, &ev) != 0) {
		l->stats.bad++;
		return;
	}
	l->stats.events++;
	if (l->on_trace)
		l->on_trace(&ev, l->data);
	cta_tracer_feed(l->tracer, &ev, cta_now_mono_ns());
}

int cta_listen_read(struct cta_listen *l)
{
	int n = l->sock ? cta_nlsock_read(l->sock, on_msg, l, NULL) : 0;

	if (n == -ENOBUFS)
		l->stats.overruns++;
	return n;
}

void cta_listen_flush(struct cta_listen *l, uint64_t now_ns, bool all)
{
	cta_tracer_flush(l->tracer, now_ns, all ? 0 : CTA_LISTEN_IDLE_NS);
}

bool cta_listen_follow(struct cta_listen *l)
{
	if (!cta_snapshot_changed(l->snap))
		return false;
	relist(l);
	return true;
}

const struct cta_ruleset *cta_listen_ruleset(const struct cta_listen *l)
{
	return l->rs;
}

const struct cta_listen_stats *cta_listen_stats(const struct cta_listen *l)
{
	return &l->stats;
}

struct cta_table *cta_listen_table(struct cta_listen *l)
{
	return l->table;
}

int cta_listen_ingress_err(const struct cta_listen *l)
{
	return l->ingress_err;
}

bool cta_listen_counting(const struct cta_listen *l)
{
	return l->counting;
}
