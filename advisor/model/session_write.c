// SPDX-License-Identifier: GPL-2.0-or-later
/* Writing a session: the header indented, then one flow per line. */
#include "advisor/model/session.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/buf.h"
#include "advisor/lib/util.h"
#include "nft/event.h"

#define JSON_FLAGS (JSON_PRESERVE_ORDER | JSON_COMPACT)

static const char *family_name(uint8_t family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}

static int set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v);
}

static json_t *addr_json(uint8_t family, const union cta_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return json_string(cta_addr_str(family, a, buf, sizeof(buf)));
}

static json_t *time_json(uint64_t ns)
{
	char buf[40];

	if (!ns)
		return json_null();
	cta_format_time(ns, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *pair_json(uint64_t orig, uint64_t reply)
{
	return json_pack("{s:I,s:I}", "orig", (json_int_t)orig, "reply", (json_int_t)reply);
}

static json_t *proto_json(uint8_t l4proto)
{
	const char *name = cta_proto_name(l4proto);
	char buf[8];

	if (name)
		return json_string(name);
	snprintf(buf, sizeof(buf), "%u", l4proto);
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A legacy stage's rules are numbered in their chain ("rule_num"), nf_tables' by handle. */
static json_t *vrule_json(const struct cta_vrule *r, bool legacy)
{
	json_t *o;

	if (r->policy)
		return json_pack("{s:s?,s:s?}", "chain", r->chain, "policy", r->verdict);
	o = json_pack("{s:s?,s:I,s:o,s:s?}", "chain", r->chain, legacy ? "rule_num" : "handle",
		      (json_int_t)r->handle, "rule", str_or_null(r->rule), "verdict", r->verdict);
	if (o && r->nat)
		set(o, "nat", json_string(r->nat));
	if (o && r->to)
		set(o, "to", json_string(r->to));
	return o;
}

/* One decider: the hook, and the rule or policy there (or type none). */
json_t *cta_vdecider_to_json(const struct cta_vdecider *d)
{
	json_t *o = json_pack("{s:s,s:s}", "hook", d->hook ? d->hook : "", "type",
			      cta_vtype_name(d->type));

	if (!o || d->type == CTA_VTYPE_NONE)
		return o;
	if (d->family)
		set(o, "family", json_string(d->family));
	if (d->table)
		set(o, "table", json_string(d->table));
	if (d->chain)
		set(o, "chain", json_string(d->chain));
	if (d->legacy)
		set(o, "legacy", json_true());
	if (d->has_handle)
		set(o, d->legacy ? "rule_num" : "handle", json_integer((json_int_t)d->handle));
	if (d->type == CTA_VTYPE_RULE)
		set(o, "rule", str_or_null(d->rule));
	set(o, "verdict", json_string(cta_verdict_name(d->verdict)));
	return o;
}

static json_t *vstage_json(const struct cta_vstage *st)
{
	json_t *o = json_pack("{s:s?,s:s?,s:s?}", "family", st->family, "table", st->table, "chain",
			      st->chain),
	       *rules = json_array();

	if (!o || !rules) {
		json_decref(o);
		json_decref(rules);
		return NULL;
	}
	if (st->legacy)
		set(o, "legacy", json_true());
	if (st->hook)
		set(o, "hook", json_string(st->hook));
	if (st->has_priority)
		set(o, "priority", json_integer(st->priority));
	if (st->type)
		set(o, "type", json_string(st->type));
	if (st->policy)
		set(o, "policy", json_string(st->policy));
	for (size_t i = 0; i < st->n_rules; i++)
		json_array_append_new(rules, vrule_json(&st->rules[i], st->legacy));
	set(o, "rules", rules);
	if (st->verdict) {
		set(o, "verdict", json_string(st->verdict));
		set(o, "by", json_string(st->by_policy ? "policy" : "rule"));
	}
	return o;
}

json_t *cta_verdict_to_json(const struct cta_verdict *v)
{
	json_t *o = json_pack("{s:s,s:s}", "verdict", cta_verdict_name(v->verdict), "type",
			      cta_vtype_name(v->type));

	if (!o)
		return NULL;
	if (cta_vsource_name(v->source))
		set(o, "source", json_string(cta_vsource_name(v->source)));
	if (v->family)
		set(o, "family", json_string(v->family));
	if (v->table)
		set(o, "table", json_string(v->table));
	if (v->chain)
		set(o, "chain", json_string(v->chain));
	if (v->legacy)
		set(o, "legacy", json_true());
	if (v->has_handle)
		set(o, v->legacy ? "rule_num" : "handle", json_integer((json_int_t)v->handle));
	if (v->rule || v->type == CTA_VTYPE_RULE)
		set(o, "rule", str_or_null(v->rule));
	if (v->n_deciders) {
		json_t *ds = json_array();

		for (size_t i = 0; ds && i < v->n_deciders; i++)
			json_array_append_new(ds, cta_vdecider_to_json(&v->deciders[i]));
		set(o, "deciders", ds);
	}
	if (v->has_path) {
		json_t *path = json_array();

		for (size_t i = 0; path && i < v->n_path; i++)
			json_array_append_new(path, vstage_json(&v->path[i]));
		set(o, "path", path);
	}
	if (v->steps_not_kept)
		set(o, "steps_not_kept", json_integer((json_int_t)v->steps_not_kept));
	if (v->has_uid)
		set(o, "uid", json_integer(v->uid));
	if (v->has_gid)
		set(o, "gid", json_integer(v->gid));
	return o;
}

json_t *cta_process_to_json(const struct cta_process *p)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (p->has_pid)
		set(o, "pid", json_integer(p->pid));
	if (p->comm)
		set(o, "comm", json_string(p->comm));
	if (p->exe)
		set(o, "exe", json_string(p->exe));
	if (p->has_uid)
		set(o, "uid", json_integer(p->uid));
	if (p->user)
		set(o, "user", json_string(p->user));
	if (p->has_gid)
		set(o, "gid", json_integer(p->gid));
	if (p->cgroup)
		set(o, "cgroup", json_string(p->cgroup));
	return o;
}

/*
 * Verdicts and processes written once each: flows share them by pointer (the readers
 * and the recorder intern them), so a million flows judged by a handful of rules carry
 * a handful of verdict objects, as their JSON did before the values were typed.
 */
struct cta_json_memo {
	struct {
		const void *key;
		json_t *v;
	} * slot;
	size_t mask, used;
};

struct cta_json_memo *cta_json_memo_new(void)
{
	return calloc(1, sizeof(struct cta_json_memo));
}

void cta_json_memo_free(struct cta_json_memo *m)
{
	for (size_t i = 0; m && m->slot && i <= m->mask; i++)
		json_decref(m->slot[i].v);
	if (m)
		free(m->slot);
	free(m);
}

static size_t memo_at(const struct cta_json_memo *m, const void *key)
{
	size_t j = (size_t)(((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ULL) & m->mask;

	while (m->slot[j].key && m->slot[j].key != key)
		j = (j + 1) & m->mask;
	return j;
}

static int memo_grow(struct cta_json_memo *m)
{
	struct cta_json_memo old = *m;
	size_t n = m->mask ? (m->mask + 1) * 2 : 64;

	m->slot = calloc(n, sizeof(*m->slot));
	if (!m->slot) {
		*m = old;
		return -ENOMEM;
	}
	m->mask = n - 1;
	for (size_t i = 0; old.slot && i <= old.mask; i++)
		if (old.slot[i].key)
			m->slot[memo_at(m, old.slot[i].key)] = old.slot[i];
	free(old.slot);
	return 0;
}

/* The JSON of key (made by make() once per memo), a new reference; NULL on ENOMEM. */
static json_t *memo_json(struct cta_json_memo *m, const void *key, json_t *(*make)(const void *))
{
	size_t j;

	if (!m)
		return make(key);
	if ((m->used + 1) * 2 > m->mask + 1 && memo_grow(m))
		return NULL;
	j = memo_at(m, key);
	if (!m->slot[j].key) {
		json_t *v = make(key);

		if (!v)
			return NULL;
		m->slot[j].key = key;
		m->slot[j].v = v;
		m->used++;
	}
	return json_incref(m->slot[j].v);
}

static json_t *verdict_json(const void *v)
{
	return cta_verdict_to_json(v);
}

static json_t *process_json(const void *p)
{
	return cta_process_to_json(p);
}

/* Each verdict with the connections it was given, most first. */
static json_t *tally_json(const struct cta_vtally *t, struct cta_json_memo *m)
{
	struct cta_vtally sorted = *t;
	json_t *arr = json_array();

	if (t->n == 1) {
		json_array_append_new(arr,
				      json_pack("{s:I,s:o}", "connections", (json_int_t)t->g[0].n,
						"verdict", memo_json(m, t->g[0].v, verdict_json)));
		return arr;
	}
	sorted.g = malloc(t->n * sizeof(*t->g));
	if (!arr || !sorted.g) {
		free(sorted.g);
		json_decref(arr);
		return NULL;
	}
	memcpy(sorted.g, t->g, t->n * sizeof(*t->g));
	cta_vtally_sort(&sorted);
	for (uint32_t i = 0; i < sorted.n; i++)
		json_array_append_new(arr, json_pack("{s:I,s:o}", "connections",
						     (json_int_t)sorted.g[i].n, "verdict",
						     memo_json(m, sorted.g[i].v, verdict_json)));
	free(sorted.g);
	return arr;
}

static void orig_fields(json_t *orig, const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;

	set(orig, "src", addr_json(k->family, &k->src));
	set(orig, "dst", addr_json(k->family, &k->dst));
	if (cta_proto_has_ports(k->l4proto)) {
		set(orig, "sport_min", json_integer(f->sport_min));
		set(orig, "sport_max", json_integer(f->sport_max));
		set(orig, "dport", json_integer(k->dport));
	} else if (cta_proto_is_icmp(k->l4proto)) {
		set(orig, "type", json_integer(k->icmp_type));
		set(orig, "code", json_integer(k->icmp_code));
		if (cta_icmp_has_id(k->l4proto, k->icmp_type)) {
			set(orig, "id_min", json_integer(f->sport_min));
			set(orig, "id_max", json_integer(f->sport_max));
		}
	}
}

static json_t *reply_json(const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;
	json_t *reply = json_object();

	set(reply, "src", addr_json(k->family, &k->reply_src));
	set(reply, "dst", addr_json(k->family, &k->reply_dst));
	if (cta_proto_has_ports(k->l4proto)) {
		set(reply, "sport", json_integer(k->reply_sport));
		set(reply, "dport_min", json_integer(f->rdport_min));
		set(reply, "dport_max", json_integer(f->rdport_max));
	}
	return reply;
}

/* A related flow's master: {} when conntrack did not name it. */
static json_t *master_json(const struct cta_flow *f)
{
	const struct cta_flow_master *m = &f->master;
	json_t *o = json_object();

	if (!o || !m->l4proto)
		return o;
	set(o, "protocol", proto_json(m->l4proto));
	set(o, "src", addr_json(f->key.family, &m->src));
	set(o, "dst", addr_json(f->key.family, &m->dst));
	if (cta_proto_has_ports(m->l4proto))
		set(o, "dport", json_integer(m->dport));
	return o;
}

json_t *cta_flow_to_json(const struct cta_flow *f, const struct cta_vtally *verdicts,
			 const struct cta_process *process)
{
	return cta_flow_to_json_memo(f, verdicts, process, NULL);
}

json_t *cta_flow_to_json_memo(const struct cta_flow *f, const struct cta_vtally *verdicts,
			      const struct cta_process *process, struct cta_json_memo *m)
{
	const struct cta_flow_key *k = &f->key;
	json_t *o = json_object(), *orig = json_object();

	if (!o || !orig) {
		json_decref(o);
		json_decref(orig);
		return NULL;
	}
	set(o, "family", json_string(family_name(k->family)));
	set(o, "protocol", proto_json(k->l4proto));
	set(o, "direction", json_string(cta_direction_name(f->direction)));
	orig_fields(orig, f);
	set(o, "orig", orig);
	if (cta_flow_translated(f))
		set(o, "reply", reply_json(f));
	set(o, "connections", json_integer((json_int_t)f->connections));
	if (f->leftover)
		set(o, "leftover", json_integer((json_int_t)f->leftover));
	set(o, "packets", pair_json(f->packets[0], f->packets[1]));
	set(o, "bytes", pair_json(f->bytes[0], f->bytes[1]));
	set(o, "first_seen", time_json(f->first_ns));
	set(o, "last_seen", time_json(f->last_ns));
	set(o, "state", json_string(cta_reached_name(f->reached)));
	if (f->iif[0])
		set(o, "iif", json_string(f->iif));
	if (f->oif[0])
		set(o, "oif", json_string(f->oif));
	if (f->helper[0])
		set(o, "helper", json_string(f->helper));
	if (f->related)
		set(o, "related", master_json(f));
	if (process)
		set(o, "process", memo_json(m, process, process_json));
	if (verdicts && verdicts->n)
		set(o, "verdicts", tally_json(verdicts, m));
	return o;
}

static json_t *prefix_json(uint8_t family, const union cta_addr *a, unsigned len)
{
	char ip[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

	snprintf(buf, sizeof(buf), "%s/%u", cta_addr_str(family, a, ip, sizeof(ip)), len);
	return json_string(buf);
}

/* A name where there is one, else the kernel's number. */
static json_t *name_or_number(const char *name, unsigned n)
{
	return name ? json_string(name) : json_integer(n);
}

static json_t *route_json(const struct cta_route *r)
{
	json_t *o = json_object();

	set(o, "family", json_string(family_name(r->family)));
	set(o, "dst", prefix_json(r->family, &r->dst, r->dst_len));
	set(o, "type", name_or_number(cta_route_type_name(r->type), r->type));
	set(o, "table", json_integer(r->table));
	if (r->dev[0])
		set(o, "dev", json_string(r->dev));
	if (r->has_gateway)
		set(o, "gateway", addr_json(r->family, &r->gateway));
	if (r->has_prefsrc)
		set(o, "src", addr_json(r->family, &r->prefsrc));
	if (r->metric)
		set(o, "metric", json_integer(r->metric));
	if (r->scope)
		set(o, "scope", json_integer(r->scope));
	if (r->onlink)
		set(o, "onlink", json_true());
	if (r->unsupported[0])
		set(o, "unsupported", json_string(r->unsupported));
	return o;
}

static json_t *prule_json(const struct cta_prule *p)
{
	json_t *o = json_object();

	set(o, "family", json_string(family_name(p->family)));
	set(o, "priority", json_integer(p->priority));
	set(o, "action", name_or_number(cta_prule_action_name(p->action), p->action));
	if (p->table)
		set(o, "table", json_integer(p->table));
	if (p->invert)
		set(o, "not", json_true());
	if (p->src_len)
		set(o, "from", prefix_json(p->family, &p->src, p->src_len));
	if (p->dst_len)
		set(o, "to", prefix_json(p->family, &p->dst, p->dst_len));
	if (p->iif[0])
		set(o, "iif", json_string(p->iif));
	if (p->oif[0])
		set(o, "oif", json_string(p->oif));
	if (p->has_fwmark) {
		set(o, "fwmark", json_integer(p->fwmark));
		set(o, "fwmask", json_integer(p->fwmask));
	}
	if (p->tos)
		set(o, "tos", json_integer(p->tos));
	if (p->has_suppress)
		set(o, "suppress_prefixlen", json_integer(p->suppress_prefixlen));
	if (p->unsupported[0])
		set(o, "unsupported", json_string(p->unsupported));
	return o;
}

/* "routes" and "rules" of a host: only when it has any (version 3 on). */
static void routing_json(json_t *o, const struct cta_host *h)
{
	json_t *a;

	if (h->n_routes) {
		a = json_array();
		for (size_t i = 0; i < h->n_routes; i++)
			json_array_append_new(a, route_json(&h->routes[i]));
		set(o, "routes", a);
	}
	if (h->n_rules) {
		a = json_array();
		for (size_t i = 0; i < h->n_rules; i++)
			json_array_append_new(a, prule_json(&h->rules[i]));
		set(o, "rules", a);
	}
}

static json_t *host_json(const struct cta_host *h)
{
	json_t *ifaces = json_array(), *o;

	for (size_t i = 0; i < h->n_ifaces; i++) {
		const struct cta_iface *ifc = &h->ifaces[i];
		json_t *addrs = json_array();

		for (size_t j = 0; j < ifc->n_addrs; j++) {
			char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

			cta_addr_str(ifc->addrs[j].family, &ifc->addrs[j].addr, a, sizeof(a));
			snprintf(buf, sizeof(buf), "%s/%u", a, ifc->addrs[j].prefixlen);
			json_array_append_new(addrs, json_string(buf));
		}
		json_array_append_new(ifaces, json_pack("{s:s,s:i,s:o}", "name", ifc->name, "index",
							(int)ifc->index, "addresses", addrs));
	}
	o = json_pack("{s:s,s:s}", "hostname", h->hostname, "kernel", h->kernel);
	if (o && h->machine_id[0])
		set(o, "machine_id", json_string(h->machine_id));
	if (o && h->netns)
		set(o, "netns", json_integer((json_int_t)h->netns));
	if (o) {
		set(o, "interfaces", ifaces);
		routing_json(o, h);
	} else {
		json_decref(ifaces);
	}
	return o;
}

static json_t *stats_json(const struct cta_session_stats *st)
{
	json_t *o = json_pack("{s:{s:I,s:I,s:I},s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "events",
			      "new", (json_int_t)st->events_new, "update",
			      (json_int_t)st->events_update, "destroy",
			      (json_int_t)st->events_destroy, "dumps", (json_int_t)st->dumps,
			      "dump_entries", (json_int_t)st->dump_entries, "dump_retries",
			      (json_int_t)st->dump_retries, "messages", (json_int_t)st->messages,
			      "bad_messages", (json_int_t)st->bad_messages, "overruns",
			      (json_int_t)st->overruns, "resyncs", (json_int_t)st->resyncs, "swept",
			      (json_int_t)st->swept, "rcvbuf", (json_int_t)st->rcvbuf,
			      "open_connections", (json_int_t)st->open_connections);

	if (o)
		json_object_set_new(o, "verdicts",
				    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "trace_events",
					      (json_int_t)st->trace_events, "trace_bad",
					      (json_int_t)st->trace_bad, "trace_overruns",
					      (json_int_t)st->trace_overruns, "judgements",
					      (json_int_t)st->judgements, "nflog_packets",
					      (json_int_t)st->nflog_packets, "nflog_overruns",
					      (json_int_t)st->nflog_overruns, "denied",
					      (json_int_t)st->denied, "ruleset_snapshots",
					      (json_int_t)st->ruleset_snapshots));
	/* written when there were any (sessions before 2026-12-02 have none) */
	if (o && st->undelivered)
		json_object_set_new(json_object_get(o, "verdicts"), "undelivered",
				    json_integer((json_int_t)st->undelivered));
	if (o)
		json_object_set_new(o, "processes",
				    json_pack("{s:I,s:I,s:I,s:I}", "events",
					      (json_int_t)st->process_events, "scanned",
					      (json_int_t)st->process_scanned, "lost",
					      (json_int_t)st->process_lost, "sockets",
					      (json_int_t)st->process_sockets));
	if (o && st->kernel_listings)
		json_object_set_new(o, "kernel",
				    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "entered",
					      (json_int_t)st->kernel_entered, "left",
					      (json_int_t)st->kernel_left, "denied",
					      (json_int_t)st->kernel_denied, "uncounted",
					      (json_int_t)st->kernel_uncounted, "unsure",
					      (json_int_t)st->kernel_unsure, "unseen",
					      (json_int_t)st->kernel_unseen, "listings",
					      (json_int_t)st->kernel_listings, "largest_set",
					      (json_int_t)st->kernel_largest));
	return o;
}

static void buf_json(struct cta_buf *b, json_t *v, size_t flags)
{
	char *s = v ? json_dumps(v, flags) : NULL;

	if (!s) {
		b->oom = true;
		return;
	}
	cta_buf_add(b, s, strlen(s));
	free(s);
}

int cta_session_format(const struct cta_session *s, char **out, size_t *len)
{
	_cleanup_(cta_json_memo_freep) struct cta_json_memo *memo = cta_json_memo_new();
	struct cta_buf b = { 0 };
	json_t *top, *rec;

	rec = json_pack("{s:o,s:o,s:b,s:{s:I,s:I,s:I,s:s,s:i,s:b}}", "start",
			time_json(s->start_ns), "end", time_json(s->end_ns), "complete",
			s->complete, "options", "duration_ms", (json_int_t)s->options.duration_ms,
			"checkpoint_ms", (json_int_t)s->options.checkpoint_ms, "rcvbuf",
			(json_int_t)s->options.rcvbuf, "trace",
			cta_trace_mode_name(s->options.trace), "nflog_group",
			(int)s->options.nflog_group, "processes", s->options.processes != 0);
	if (rec && s->n_ids) {
		json_t *ids = json_array();

		for (size_t i = 0; i < s->n_ids; i++)
			json_array_append_new(ids, json_string(s->ids[i]));
		set(rec, "ids", ids);
	}
	top = json_pack("{s:s,s:i,s:s,s:o,s:o,s:o}", "format", CTA_SESSION_FORMAT, "version",
			CTA_SESSION_VERSION, "generator", s->generator, "host", host_json(&s->host),
			"recording", rec, "stats", stats_json(&s->stats));
	if (top && s->n_hosts) {
		json_t *hosts = json_array();

		for (size_t i = 0; i < s->n_hosts; i++)
			json_array_append_new(hosts, host_json(&s->hosts[i]));
		json_object_set_new(top, "hosts", hosts);
	}
	if (!top)
		return -ENOMEM;
	/* the header pretty-printed, then one flow per line: greppable, diffable */
	buf_json(&b, top, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(top);
	if (b.oom || b.len < 2 || b.p[b.len - 1] != '}') {
		free(b.p);
		return -ENOMEM;
	}
	b.len -= 2; /* "\n}" */
	cta_buf_add(&b, ",\n  \"flows\": [", 14);
	for (size_t i = 0; i < s->n_flows; i++) {
		json_t *f = cta_flow_to_json_memo(&s->flows[i],
						  cta_session_verdicts(s, &s->flows[i]),
						  cta_session_process(s, &s->flows[i]), memo);

		/* a merged session's flow: its host's index in "hosts" (names may repeat) */
		if (f && s->n_hosts && s->flows[i].host < s->n_hosts)
			set(f, "host", json_integer(s->flows[i].host));

		cta_buf_add(&b, i ? ",\n    " : "\n    ", i ? 6 : 5);
		buf_json(&b, f, JSON_FLAGS);
		json_decref(f);
	}
	cta_buf_add(&b, s->n_flows ? "\n  ]\n}\n" : "]\n}\n", s->n_flows ? 7 : 4);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
