// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/merge.h"

_Static_assert(sizeof(struct cta_session_stats) % sizeof(uint64_t) == 0,
	       "session stats are uint64_t counts only");

/* A flow on its way out: the flow, its host's name, its verdict and process (borrowed). */
struct item {
	struct cta_flow f;
	const char *host;
	json_t *verdict, *process;
	uint64_t vlast; /* last_ns of the flow whose verdict this is */
	uint64_t pfirst; /* first_ns of the flow whose process this is */
};

static const char *flow_host(const struct cta_session *s, const struct cta_flow *f)
{
	if (s->n_hosts && f->host < s->n_hosts)
		return s->hosts[f->host].hostname;
	return s->host.hostname;
}

/* Same host and key next to each other. */
static int key_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int c = strcmp(a->host, b->host);

	return c ? c : memcmp(&a->f.key, &b->f.key, sizeof(a->f.key));
}

/* The order of the output: by host, then as flows lists them. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int c = strcmp(a->host, b->host);

	return c ? c : cta_flow_cmp(&a->f, &b->f);
}

static bool same_flow(const struct item *a, const struct item *b)
{
	return !strcmp(a->host, b->host) && !memcmp(&a->f.key, &b->f.key, sizeof(a->f.key));
}

/* Two objects in the order of their canonical texts (one that cannot be written last). */
static int text_cmp(json_t *a, json_t *b)
{
	char *x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	char *y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	int r = x && y ? strcmp(x, y) : (x != NULL) - (y != NULL);

	free(x);
	free(y);
	return r;
}

/* Whose verdict a merged flow keeps: the later one's; equal times, the text decides. */
static bool prefer(const struct item *a, const struct item *b)
{
	if (!a->verdict || !b->verdict)
		return a->verdict != NULL;
	if (a->vlast != b->vlast)
		return a->vlast > b->vlast;
	return text_cmp(a->verdict, b->verdict) >= 0;
}

/*
 * Whose process a merged flow keeps: a known one, the earliest flow's; equal times,
 * the text decides. A total order, so merging stays associative.
 */
static bool prefer_process(const struct item *a, const struct item *b)
{
	if (!a->process || !b->process)
		return a->process != NULL;
	if (a->pfirst != b->pfirst)
		return a->pfirst < b->pfirst;
	return text_cmp(a->process, b->process) < 0;
}

static int addr_cmp(const void *pa, const void *pb)
{
	const struct cta_host_addr *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen < b->prefixlen ? -1 : 1;
	return memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
}

/* Fold host b into a (same hostname): interfaces and addresses united. */
static int host_union(struct cta_host *a, const struct cta_host *b)
{
	if (strcmp(b->kernel, a->kernel) > 0)
		snprintf(a->kernel, sizeof(a->kernel), "%s", b->kernel);
	for (size_t i = 0; i < b->n_ifaces; i++) {
		const struct cta_iface *bi = &b->ifaces[i];
		struct cta_iface *ai = cta_host_iface(a, bi->name);

		if (ai && bi->index < ai->index)
			ai->index = bi->index;
		if (!ai && cta_host_add_addr(a, bi->name, bi->index, NULL))
			return -ENOMEM;
		for (size_t k = 0; k < bi->n_addrs; k++) {
			bool have = false;

			ai = cta_host_iface(a, bi->name);
			for (size_t j = 0; j < ai->n_addrs && !have; j++)
				have = !addr_cmp(&ai->addrs[j], &bi->addrs[k]);
			if (!have && cta_host_add_addr(a, bi->name, bi->index, &bi->addrs[k]))
				return -ENOMEM;
		}
	}
	return 0;
}

static int host_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct cta_host *)pa)->hostname,
		      ((const struct cta_host *)pb)->hostname);
}

/* Every host of the inputs once, by name, sorted, their interfaces and addresses too. */
static int merge_hosts(const struct cta_session *in, size_t n, struct cta_session *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct cta_host *hs = in[i].n_hosts ? in[i].hosts : &in[i].host;
		size_t nh = in[i].n_hosts ? in[i].n_hosts : 1;

		for (size_t j = 0; j < nh; j++) {
			struct cta_host *h = NULL;

			for (size_t k = 0; k < out->n_hosts && !h; k++)
				if (!strcmp(out->hosts[k].hostname, hs[j].hostname))
					h = &out->hosts[k];
			if (!h) {
				void *p = realloc(out->hosts, (out->n_hosts + 1) * sizeof(*h));

				if (!p)
					return -ENOMEM;
				out->hosts = p;
				h = &out->hosts[out->n_hosts++];
				memset(h, 0, sizeof(*h));
				snprintf(h->hostname, sizeof(h->hostname), "%s", hs[j].hostname);
			}
			if (host_union(h, &hs[j]))
				return -ENOMEM;
		}
	}
	qsort(out->hosts, out->n_hosts, sizeof(*out->hosts), host_cmp);
	for (size_t i = 0; i < out->n_hosts; i++) {
		struct cta_host *h = &out->hosts[i];

		cta_host_sort(h, addr_cmp);
	}
	/* "host" stays what every reader knows: the first of them */
	if (!out->n_hosts)
		return 0;
	snprintf(out->host.hostname, sizeof(out->host.hostname), "%s", out->hosts[0].hostname);
	return host_union(&out->host, &out->hosts[0]);
}

static void merge_header(const struct cta_session *in, size_t n, struct cta_session *out)
{
	const struct cta_session *first = NULL;
	/* every stat is a uint64_t count, added up field by field */
	uint64_t *sum = (uint64_t *)&out->stats, rcvbuf = 0;

	snprintf(out->generator, sizeof(out->generator), "conntrack-advise merge");
	out->complete = true;
	for (size_t i = 0; i < n; i++) {
		const uint64_t *add = (const uint64_t *)&in[i].stats;

		if (in[i].start_ns && (!out->start_ns || in[i].start_ns < out->start_ns))
			out->start_ns = in[i].start_ns;
		if (in[i].end_ns > out->end_ns)
			out->end_ns = in[i].end_ns;
		out->complete &= in[i].complete;
		/* the options of the earliest recording (ties: the smaller options) */
		if (!first || in[i].start_ns < first->start_ns ||
		    (in[i].start_ns == first->start_ns &&
		     memcmp(&in[i].options, &first->options, sizeof(first->options)) < 0))
			first = &in[i];
		for (size_t k = 0; k < sizeof(out->stats) / sizeof(uint64_t); k++)
			sum[k] += add[k];
		if (in[i].stats.rcvbuf > rcvbuf)
			rcvbuf = in[i].stats.rcvbuf;
	}
	/* but the granted buffer is a size: the largest */
	out->stats.rcvbuf = rcvbuf;
	if (first)
		out->options = first->options;
}

int cta_session_merge(const struct cta_session *in, size_t n, struct cta_session *out)
{
	size_t total = 0, m = 0;
	struct item *it;
	json_t **vs, **ps;
	int err;

	memset(out, 0, sizeof(*out));
	merge_header(in, n, out);
	err = merge_hosts(in, n, out);
	for (size_t i = 0; i < n; i++)
		total += in[i].n_flows;
	it = calloc(total ? total : 1, sizeof(*it));
	out->flows = calloc(total ? total : 1, sizeof(*out->flows));
	vs = calloc(total ? total : 1, sizeof(*vs));
	ps = calloc(total ? total : 1, sizeof(*ps));
	out->verdicts = vs;
	out->processes = ps;
	out->owns_verdicts = true;
	if (err || !it || !out->flows || !vs || !ps) {
		free(it);
		cta_session_fini(out);
		return -ENOMEM;
	}
	for (size_t i = 0, k = 0; i < n; i++)
		for (size_t j = 0; j < in[i].n_flows; j++, k++) {
			it[k].f = in[i].flows[j];
			it[k].host = flow_host(&in[i], &in[i].flows[j]);
			it[k].verdict = cta_session_verdict(&in[i], &in[i].flows[j]);
			it[k].vlast = in[i].flows[j].last_ns;
			it[k].process = cta_session_process(&in[i], &in[i].flows[j]);
			it[k].pfirst = in[i].flows[j].first_ns;
		}
	if (total)
		qsort(it, total, sizeof(*it), key_cmp);
	for (size_t i = 0; i < total; i++) {
		if (m && same_flow(&it[m - 1], &it[i])) {
			if (prefer(&it[i], &it[m - 1])) {
				it[m - 1].verdict = it[i].verdict;
				it[m - 1].vlast = it[i].vlast;
			}
			if (prefer_process(&it[i], &it[m - 1])) {
				it[m - 1].process = it[i].process;
				it[m - 1].pfirst = it[i].pfirst;
			}
			cta_flow_merge(&it[m - 1].f, &it[i].f);
			continue;
		}
		it[m++] = it[i];
	}
	if (m)
		qsort(it, m, sizeof(*it), item_cmp);
	for (size_t i = 0; i < m; i++) {
		struct cta_flow *f = &out->flows[out->n_flows++];

		*f = it[i].f;
		f->verdict = 0;
		f->process = 0;
		for (size_t h = 0; h < out->n_hosts; h++)
			if (!strcmp(out->hosts[h].hostname, it[i].host))
				f->host = (uint32_t)h;
		if (it[i].verdict) {
			vs[out->n_verdicts++] = json_incref(it[i].verdict);
			f->verdict = (uint32_t)out->n_verdicts;
		}
		if (it[i].process) {
			ps[out->n_processes++] = json_incref(it[i].process);
			f->process = (uint32_t)out->n_processes;
		}
	}
	free(it);
	return 0;
}
