// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/merge.h"

#include "advisor/lib/util.h"

_Static_assert(sizeof(struct cta_session_stats) % sizeof(uint64_t) == 0,
	       "session stats are uint64_t counts only");

/* A flow on its way out: the flow, its host in the output, its verdicts and process. */
struct item {
	struct cta_flow f;
	uint32_t host;
	struct cta_vtally t; /* owned */
	const struct cta_process *process;
	uint64_t pfirst; /* first_ns of the flow whose process this is */
};

static const struct cta_host *flow_host(const struct cta_session *s, const struct cta_flow *f)
{
	if (s->n_hosts && f->host < s->n_hosts)
		return &s->hosts[f->host];
	return &s->host;
}

/* The output host that is h. */
static uint32_t host_index(const struct cta_session *out, const struct cta_host *h)
{
	for (size_t i = 0; i < out->n_hosts; i++)
		if (cta_host_same(&out->hosts[i], h))
			return (uint32_t)i;
	return 0;
}

/* Same host and key next to each other. */
static int key_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	return memcmp(&a->f.key, &b->f.key, sizeof(a->f.key));
}

/* The order of the output: by host, then as flows lists them. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	return cta_flow_cmp(&a->f, &b->f);
}

static bool same_flow(const struct item *a, const struct item *b)
{
	return a->host == b->host && !memcmp(&a->f.key, &b->f.key, sizeof(a->f.key));
}

/* Two processes in the order of their canonical texts. */
static int text_cmp(const struct cta_process *pa, const struct cta_process *pb)
{
	json_t *a = cta_process_to_json(pa), *b = cta_process_to_json(pb);
	char *x = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *y = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int r = x && y ? strcmp(x, y) : (x != NULL) - (y != NULL);

	json_decref(a);
	json_decref(b);
	free(x);
	free(y);
	return r;
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

/* Routes in one order whatever the inputs' (cta_host_add_route zeroes their padding). */
static int route_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct cta_route));
}

/* Rules by priority, the kernel's order; the same priority in one order too. */
static int prule_cmp(const void *pa, const void *pb)
{
	const struct cta_prule *a = pa, *b = pb;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return memcmp(a, b, sizeof(*a));
}

/* Fold host b into a (the same host): interfaces and addresses united. */
static int host_union(struct cta_host *a, const struct cta_host *b)
{
	if (!a->machine_id[0] && !a->netns) {
		memcpy(a->machine_id, b->machine_id, sizeof(a->machine_id));
		a->netns = b->netns;
	}
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
	/* routes and rules united too: each once */
	for (size_t i = 0; i < b->n_routes; i++)
		if (cta_host_add_route(a, &b->routes[i]))
			return -ENOMEM;
	for (size_t i = 0; i < b->n_rules; i++)
		if (cta_host_add_prule(a, &b->rules[i]))
			return -ENOMEM;
	return 0;
}

/* By name, then by identity: two hosts of one name stay apart, always in one order. */
static int host_cmp(const void *pa, const void *pb)
{
	const struct cta_host *a = pa, *b = pb;
	int c = strcmp(a->hostname, b->hostname);

	if (!c)
		c = strcmp(a->machine_id, b->machine_id);
	if (!c && a->netns != b->netns)
		c = a->netns < b->netns ? -1 : 1;
	return c;
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
				if (cta_host_same(&out->hosts[k], &hs[j]))
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
		if (h->n_routes)
			qsort(h->routes, h->n_routes, sizeof(*h->routes), route_cmp);
		if (h->n_rules)
			qsort(h->rules, h->n_rules, sizeof(*h->rules), prule_cmp);
	}
	/* "host" stays what every reader knows: the first of them */
	if (!out->n_hosts)
		return 0;
	snprintf(out->host.hostname, sizeof(out->host.hostname), "%s", out->hosts[0].hostname);
	memcpy(out->host.machine_id, out->hosts[0].machine_id, sizeof(out->host.machine_id));
	out->host.netns = out->hosts[0].netns;
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

bool cta_session_merge_dup(const struct cta_session *in, size_t n, size_t *a, size_t *b,
			   const char **id)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			for (size_t x = 0; x < in[i].n_ids; x++)
				for (size_t y = 0; y < in[j].n_ids; y++)
					if (!strcmp(in[i].ids[x], in[j].ids[y])) {
						*a = i;
						*b = j;
						*id = in[i].ids[x];
						return true;
					}
	return false;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every input's recording ids, sorted. */
static int merge_ids(const struct cta_session *in, size_t n, struct cta_session *out)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += in[i].n_ids;
	if (!total)
		return 0;
	out->ids = calloc(total, sizeof(*out->ids));
	if (!out->ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < in[i].n_ids; k++)
			memcpy(out->ids[out->n_ids++], in[i].ids[k], CTA_RECORDING_ID_LEN);
	qsort(out->ids, out->n_ids, sizeof(*out->ids), id_cmp);
	return 0;
}

/* The inputs' flows as items, each with its output host and a copy of its counts. */
static int load_items(const struct cta_session *in, size_t n, const struct cta_session *out,
		      struct item *it)
{
	int err = 0;

	for (size_t i = 0, k = 0; i < n; i++)
		for (size_t j = 0; j < in[i].n_flows; j++, k++) {
			const struct cta_flow *f = &in[i].flows[j];

			it[k].f = *f;
			it[k].host = host_index(out, flow_host(&in[i], f));
			if (!err)
				err = cta_vtally_merge(&it[k].t, cta_session_verdicts(&in[i], f));
			it[k].process = cta_session_process(&in[i], f);
			it[k].pfirst = f->first_ns;
		}
	return err;
}

/* Flows of the same host and key into one; the number left. */
static size_t fold_items(struct item *it, size_t total, int *err)
{
	size_t m = 0;

	for (size_t i = 0; i < total; i++) {
		if (m && same_flow(&it[m - 1], &it[i])) {
			if (!*err)
				*err = cta_vtally_merge(&it[m - 1].t, &it[i].t);
			cta_vtally_fini(&it[i].t);
			if (prefer_process(&it[i], &it[m - 1])) {
				it[m - 1].process = it[i].process;
				it[m - 1].pfirst = it[i].pfirst;
			}
			cta_flow_merge(&it[m - 1].f, &it[i].f);
			continue;
		}
		it[m++] = it[i];
	}
	return m;
}

int cta_session_merge(const struct cta_session *in, size_t n, struct cta_session *out)
{
	size_t total = 0, m, a, b;
	_cleanup_(freep) struct item *it = NULL;
	struct cta_vtally *vs;
	struct cta_process **ps;
	const char *id;
	int err;

	memset(out, 0, sizeof(*out));
	if (cta_session_merge_dup(in, n, &a, &b, &id))
		return -EEXIST;
	merge_header(in, n, out);
	err = merge_hosts(in, n, out);
	if (!err)
		err = merge_ids(in, n, out);
	for (size_t i = 0; i < n; i++)
		total += in[i].n_flows;
	it = calloc(total ? total : 1, sizeof(*it));
	out->flows = calloc(total ? total : 1, sizeof(*out->flows));
	vs = calloc(total ? total : 1, sizeof(*vs));
	ps = calloc(total ? total : 1, sizeof(*ps));
	out->verdicts = vs;
	out->processes = ps;
	out->owns_verdicts = true;
	if (!err && (!it || !out->flows || !vs || !ps))
		err = -ENOMEM;
	if (!err)
		err = load_items(in, n, out, it);
	if (it && total)
		qsort(it, total, sizeof(*it), key_cmp);
	m = it ? fold_items(it, total, &err) : 0;
	if (m)
		qsort(it, m, sizeof(*it), item_cmp);
	for (size_t i = 0; i < m; i++) {
		struct cta_flow *f = &out->flows[out->n_flows++];

		*f = it[i].f;
		f->verdict = 0;
		f->process = 0;
		f->host = it[i].host;
		if (it[i].t.n) {
			vs[out->n_verdicts++] = it[i].t;
			f->verdict = (uint32_t)out->n_verdicts;
		} else {
			cta_vtally_fini(&it[i].t);
		}
		if (it[i].process) {
			ps[out->n_processes++] =
				cta_process_ref((struct cta_process *)it[i].process);
			f->process = (uint32_t)out->n_processes;
		}
	}
	if (err)
		cta_session_fini(out);
	return err;
}
