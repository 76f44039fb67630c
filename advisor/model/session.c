// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/session.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "advisor/lib/buf.h"
#include "advisor/model/flowscan.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/lib/util.h"

#define JSON_FLAGS (JSON_PRESERVE_ORDER | JSON_COMPACT)

void cta_session_fini(struct cta_session *s)
{
	cta_host_fini(&s->host);
	for (size_t i = 0; i < s->n_hosts; i++)
		cta_host_fini(&s->hosts[i]);
	free(s->hosts);
	s->hosts = NULL;
	s->n_hosts = 0;
	free(s->flows);
	s->flows = NULL;
	s->n_flows = 0;
	if (s->owns_verdicts) {
		for (size_t i = 0; i < s->n_verdicts; i++)
			json_decref(s->verdicts[i]);
		free((void *)s->verdicts);
		for (size_t i = 0; i < s->n_processes; i++)
			json_decref(s->processes[i]);
		free((void *)s->processes);
	}
	s->verdicts = NULL;
	s->n_verdicts = 0;
	s->processes = NULL;
	s->n_processes = 0;
}

json_t *cta_session_verdict(const struct cta_session *s, const struct cta_flow *f)
{
	return f->verdict && f->verdict <= s->n_verdicts ? s->verdicts[f->verdict - 1] : NULL;
}

json_t *cta_session_process(const struct cta_session *s, const struct cta_flow *f)
{
	return f->process && f->process <= s->n_processes ? s->processes[f->process - 1] : NULL;
}

/* ------------------------------------------------------------------ writing */

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

json_t *cta_flow_to_json(const struct cta_flow *f, json_t *verdict, json_t *process)
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
	set(o, "orig", orig);
	if (cta_flow_translated(f)) {
		json_t *reply = json_object();

		set(reply, "src", addr_json(k->family, &k->reply_src));
		set(reply, "dst", addr_json(k->family, &k->reply_dst));
		if (cta_proto_has_ports(k->l4proto)) {
			set(reply, "sport", json_integer(k->reply_sport));
			set(reply, "dport_min", json_integer(f->rdport_min));
			set(reply, "dport_max", json_integer(f->rdport_max));
		}
		set(o, "reply", reply);
	}
	set(o, "connections", json_integer((json_int_t)f->connections));
	set(o, "packets", pair_json(f->packets[0], f->packets[1]));
	set(o, "bytes", pair_json(f->bytes[0], f->bytes[1]));
	set(o, "first_seen", time_json(f->first_ns));
	set(o, "last_seen", time_json(f->last_ns));
	set(o, "state", json_string(cta_reached_name(f->reached)));
	if (process)
		json_object_set(o, "process", process);
	if (verdict)
		json_object_set(o, "verdict", verdict);
	return o;
}

static json_t *host_json(const struct cta_host *h)
{
	json_t *ifaces = json_array();

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
	return json_pack("{s:s,s:s,s:o}", "hostname", h->hostname, "kernel", h->kernel,
			 "interfaces", ifaces);
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
	if (o)
		json_object_set_new(o, "processes",
				    json_pack("{s:I,s:I,s:I,s:I}", "events",
					      (json_int_t)st->process_events, "scanned",
					      (json_int_t)st->process_scanned, "lost",
					      (json_int_t)st->process_lost, "sockets",
					      (json_int_t)st->process_sockets));
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
	struct cta_buf b = { 0 };
	json_t *top, *rec;

	rec = json_pack("{s:o,s:o,s:b,s:{s:I,s:I,s:I,s:s,s:i,s:b}}", "start",
			time_json(s->start_ns), "end", time_json(s->end_ns), "complete",
			s->complete, "options", "duration_ms", (json_int_t)s->options.duration_ms,
			"checkpoint_ms", (json_int_t)s->options.checkpoint_ms, "rcvbuf",
			(json_int_t)s->options.rcvbuf, "trace",
			cta_trace_mode_name(s->options.trace), "nflog_group",
			(int)s->options.nflog_group, "processes", s->options.processes != 0);
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
		json_t *f = cta_flow_to_json(&s->flows[i], cta_session_verdict(s, &s->flows[i]),
					     cta_session_process(s, &s->flows[i]));

		if (f && s->n_hosts && s->flows[i].host < s->n_hosts)
			json_object_set_new(f, "host",
					    json_string(s->hosts[s->flows[i].host].hostname));

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

/* ------------------------------------------------------------------ reading */

struct rd {
	const char *name, *text;
	size_t len;
	struct cta_jpath path;
	struct cta_err *err;
	/* the flows' "host" names, until "hosts" is read: flow.host = 1 + index here */
	char **hostnames;
	size_t n_hostnames;
};

/* The flow's host, by name, noted for resolve_hosts(). */
static int note_host(struct rd *rd, const char *name, struct cta_flow *f)
{
	char **names;

	for (size_t i = 0; i < rd->n_hostnames; i++)
		if (!strcmp(rd->hostnames[i], name)) {
			f->host = (uint32_t)i + 1;
			return 0;
		}
	names = realloc(rd->hostnames, (rd->n_hostnames + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	rd->hostnames = names;
	names[rd->n_hostnames] = strdup(name);
	if (!names[rd->n_hostnames])
		return -ENOMEM;
	f->host = (uint32_t)++rd->n_hostnames;
	return 0;
}

static void rd_fini(struct rd *rd)
{
	for (size_t i = 0; i < rd->n_hostnames; i++)
		free(rd->hostnames[i]);
	free(rd->hostnames);
	rd->hostnames = NULL;
	rd->n_hostnames = 0;
}

static int __attribute__((format(printf, 2, 3))) fail(struct rd *rd, const char *fmt, ...)
{
	char where[256], what[512];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cta_jpath_format(&rd->path, where, sizeof(where));
	if (cta_jsonpos_find(rd->text, rd->len, &rd->path, &line, &col))
		snprintf(rd->err->msg, sizeof(rd->err->msg), "%s:%d:%d: %s: %s", rd->name, line,
			 col, where, what);
	else
		snprintf(rd->err->msg, sizeof(rd->err->msg), "%s: %s: %s", rd->name, where, what);
	return -EBADMSG;
}

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	default:
		return "a value";
	}
}

/*
 * Find obj.key of the given type and push its path (the caller pops with leave()).
 * Absent and optional: *out = NULL, nothing pushed, 0.
 */
static int enter(struct rd *rd, json_t *obj, const char *key, json_type type, bool required,
		 json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? fail(rd, "missing field \"%s\"", key) : 0;
	cta_jpath_push_key(&rd->path, key);
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		int err = fail(rd, "expected %s", type_name(type));

		cta_jpath_pop(&rd->path);
		return err;
	}
	*out = v;
	return 0;
}

static void leave(struct rd *rd)
{
	cta_jpath_pop(&rd->path);
}

static int get_uint(struct rd *rd, json_t *obj, const char *key, bool required, uint64_t max,
		    uint64_t *out)
{
	json_t *v;
	int err = enter(rd, obj, key, JSON_INTEGER, required, &v);

	if (err || !v)
		return err;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		err = fail(rd, "expected an integer from 0 to %llu", (unsigned long long)max);
	else
		*out = (uint64_t)json_integer_value(v);
	leave(rd);
	return err;
}

static int get_u16(struct rd *rd, json_t *obj, const char *key, bool required, uint16_t *out)
{
	uint64_t v = *out;
	int err = get_uint(rd, obj, key, required, UINT16_MAX, &v);

	*out = (uint16_t)v;
	return err;
}

static int get_u8(struct rd *rd, json_t *obj, const char *key, bool required, uint8_t *out)
{
	uint64_t v = *out;
	int err = get_uint(rd, obj, key, required, UINT8_MAX, &v);

	*out = (uint8_t)v;
	return err;
}

static int get_string(struct rd *rd, json_t *obj, const char *key, bool required, const char **out)
{
	json_t *v;
	int err = enter(rd, obj, key, JSON_STRING, required, &v);

	if (!err && v) {
		*out = json_string_value(v);
		leave(rd);
	}
	return err;
}

static int get_time(struct rd *rd, json_t *obj, const char *key, uint64_t *ns)
{
	json_t *v;
	int err = enter(rd, obj, key, JSON_STRING, false, &v);

	*ns = 0;
	if (err || !v)
		return err;
	if (cta_parse_time(json_string_value(v), ns) < 0)
		err = fail(rd, "expected a UTC time like 2026-11-23T18:44:49.123Z");
	leave(rd);
	return err;
}

static int get_addr(struct rd *rd, json_t *obj, const char *key, uint8_t family, union cta_addr *a)
{
	const char *s = NULL;
	uint8_t fam;
	int err = get_string(rd, obj, key, true, &s);

	if (err)
		return err;
	cta_jpath_push_key(&rd->path, key);
	if (cta_addr_parse(s, &fam, a) < 0)
		err = fail(rd, "\"%s\" is not an IP address", s);
	else if (fam != family)
		err = fail(rd, "\"%s\" is not an %s address", s, family_name(family));
	leave(rd);
	return err;
}

static int get_name(struct rd *rd, json_t *obj, const char *key, int (*parse)(const char *, int *),
		    const char *what, int *out)
{
	const char *s = NULL;
	int err = get_string(rd, obj, key, true, &s);

	if (err)
		return err;
	if (parse(s, out) < 0) {
		cta_jpath_push_key(&rd->path, key);
		err = fail(rd, "\"%s\" is not %s", s, what);
		leave(rd);
	}
	return err;
}

static int parse_family(const char *s, int *v)
{
	if (!strcmp(s, "ipv4"))
		*v = AF_INET;
	else if (!strcmp(s, "ipv6"))
		*v = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static int parse_proto(const char *s, int *v)
{
	uint8_t p;
	uint64_t n;

	if (cta_proto_from_name(s, &p) == 0) {
		*v = p;
		return 0;
	}
	if (cta_parse_uint(s, 0, 255, &n) < 0)
		return -EINVAL;
	*v = (int)n;
	return 0;
}

static int parse_dir(const char *s, int *v)
{
	enum cta_direction d;
	int err = cta_direction_from_name(s, &d);

	*v = (int)d;
	return err;
}

static int parse_reached(const char *s, int *v)
{
	enum cta_reached r;
	int err = cta_reached_from_name(s, &r);

	*v = (int)r;
	return err;
}

static int range(struct rd *rd, json_t *o, const char *lo_key, const char *hi_key, uint16_t *lo,
		 uint16_t *hi)
{
	int err = get_u16(rd, o, lo_key, true, lo);

	if (!err)
		err = get_u16(rd, o, hi_key, true, hi);
	if (!err && *lo > *hi) {
		cta_jpath_push_key(&rd->path, hi_key);
		err = fail(rd, "%s is below %s", hi_key, lo_key);
		leave(rd);
	}
	return err;
}

static int read_orig(struct rd *rd, json_t *fo, struct cta_flow *f)
{
	struct cta_flow_key *k = &f->key;
	json_t *o;
	int err = enter(rd, fo, "orig", JSON_OBJECT, true, &o);

	if (err)
		return err;
	err = get_addr(rd, o, "src", k->family, &k->src);
	if (!err)
		err = get_addr(rd, o, "dst", k->family, &k->dst);
	if (!err && cta_proto_has_ports(k->l4proto)) {
		err = range(rd, o, "sport_min", "sport_max", &f->sport_min, &f->sport_max);
		if (!err)
			err = get_u16(rd, o, "dport", true, &k->dport);
	} else if (!err && cta_proto_is_icmp(k->l4proto)) {
		err = get_u8(rd, o, "type", true, &k->icmp_type);
		if (!err)
			err = get_u8(rd, o, "code", true, &k->icmp_code);
		/* only messages with an identifier (echo and its kin) have one */
		if (!err && json_object_get(o, "id_min"))
			err = range(rd, o, "id_min", "id_max", &f->sport_min, &f->sport_max);
	}
	leave(rd);
	return err;
}

static int read_reply(struct rd *rd, json_t *fo, struct cta_flow *f)
{
	struct cta_flow_key *k = &f->key;
	json_t *o;
	int err = enter(rd, fo, "reply", JSON_OBJECT, false, &o);

	/* absent: not translated, the mirror of the original direction */
	k->reply_src = k->dst;
	k->reply_dst = k->src;
	k->reply_sport = k->dport;
	f->rdport_min = f->sport_min;
	f->rdport_max = f->sport_max;
	if (err || !o)
		return err;
	err = get_addr(rd, o, "src", k->family, &k->reply_src);
	if (!err)
		err = get_addr(rd, o, "dst", k->family, &k->reply_dst);
	if (!err && cta_proto_has_ports(k->l4proto)) {
		err = get_u16(rd, o, "sport", true, &k->reply_sport);
		if (!err)
			err = range(rd, o, "dport_min", "dport_max", &f->rdport_min,
				    &f->rdport_max);
	}
	leave(rd);
	return err;
}

static int read_pair(struct rd *rd, json_t *fo, const char *key, uint64_t v[2])
{
	json_t *o;
	int err = enter(rd, fo, key, JSON_OBJECT, true, &o);

	if (err)
		return err;
	err = get_uint(rd, o, "orig", true, INT64_MAX, &v[0]);
	if (!err)
		err = get_uint(rd, o, "reply", true, INT64_MAX, &v[1]);
	leave(rd);
	return err;
}

static bool one_of(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(s, *names))
			return true;
	return false;
}

/*
 * A flow's verdict is kept as it is written (blame prints it), once its core fields
 * are checked: what it was, and what decided it.
 */
static int check_verdict(struct rd *rd, json_t *o)
{
	static const char *const verdicts[] = { "accept", "drop", "reject", "queue",
						"stolen", "none", NULL };
	static const char *const types[] = { "rule", "policy", "open", "unknown", "none", NULL };
	const char *v = NULL, *type = NULL, *table = NULL, *chain = NULL;
	uint64_t handle = 0;
	json_t *path;
	int err = get_string(rd, o, "verdict", true, &v);

	if (!err && !one_of(v, verdicts)) {
		cta_jpath_push_key(&rd->path, "verdict");
		err = fail(rd, "\"%s\" is not a verdict", v);
		leave(rd);
	}
	if (!err)
		err = get_string(rd, o, "type", true, &type);
	if (!err && !one_of(type, types)) {
		cta_jpath_push_key(&rd->path, "type");
		err = fail(rd, "\"%s\" is not rule, policy, open, unknown or none", type);
		leave(rd);
	}
	if (!err && (!strcmp(type, "rule") || !strcmp(type, "policy"))) {
		err = get_string(rd, o, "table", true, &table);
		if (!err)
			err = get_string(rd, o, "chain", true, &chain);
		if (!err && !strcmp(type, "rule"))
			err = get_uint(rd, o, "handle", true, UINT64_MAX >> 1, &handle);
	}
	if (!err)
		err = enter(rd, o, "path", JSON_ARRAY, false, &path);
	if (!err && path)
		leave(rd);
	return err;
}

/* A flow's process: kept as written once the fields that name it are checked. */
static int check_process(struct rd *rd, json_t *o)
{
	const char *str = NULL;
	uint64_t n = 0;
	/* eBPF names the program; NFLOG alone gives only the uid and gid */
	int err = get_uint(rd, o, "pid", false, UINT32_MAX, &n);

	if (!err)
		err = get_string(rd, o, "comm", false, &str);
	if (!err)
		err = get_string(rd, o, "exe", false, &str);
	if (!err)
		err = get_uint(rd, o, "uid", false, UINT32_MAX, &n);
	if (!err)
		err = get_string(rd, o, "user", false, &str);
	if (!err)
		err = get_uint(rd, o, "gid", false, UINT32_MAX, &n);
	if (!err)
		err = get_string(rd, o, "cgroup", false, &str);
	return err;
}

/* The flow's "verdict" or "process" object, checked, as a new reference (or NULL). */
static int read_obj(struct rd *rd, json_t *fo, const char *key, int (*check)(struct rd *, json_t *),
		    json_t **out)
{
	json_t *o;
	int err = enter(rd, fo, key, JSON_OBJECT, false, &o);

	*out = NULL;
	if (err || !o)
		return err;
	err = check(rd, o);
	if (!err)
		*out = json_incref(o);
	leave(rd);
	return err;
}

static int read_flow(struct rd *rd, json_t *fo, struct cta_flow *f)
{
	int fam = 0, proto = 0, dir = 0, reached = 0, err;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(fo))
		return fail(rd, "expected an object");
	err = get_name(rd, fo, "family", parse_family, "ipv4 or ipv6", &fam);
	if (!err)
		err = get_name(rd, fo, "protocol", parse_proto, "a protocol name or number",
			       &proto);
	if (!err)
		err = get_name(rd, fo, "direction", parse_dir, "in, out, forward or local", &dir);
	if (err)
		return err;
	f->key.family = (uint8_t)fam;
	f->key.l4proto = (uint8_t)proto;
	f->direction = (uint8_t)dir;
	err = read_orig(rd, fo, f);
	if (!err)
		err = read_reply(rd, fo, f);
	if (!err)
		err = get_uint(rd, fo, "connections", true, INT64_MAX, &f->connections);
	if (!err)
		err = read_pair(rd, fo, "packets", f->packets);
	if (!err)
		err = read_pair(rd, fo, "bytes", f->bytes);
	if (!err)
		err = get_time(rd, fo, "first_seen", &f->first_ns);
	if (!err)
		err = get_time(rd, fo, "last_seen", &f->last_ns);
	if (!err)
		err = get_name(rd, fo, "state", parse_reached, "unreplied, replied or assured",
			       &reached);
	f->reached = (uint8_t)reached;
	if (!err) {
		const char *host = NULL;

		err = get_string(rd, fo, "host", false, &host);
		if (!err && host)
			err = note_host(rd, host, f);
	}
	return err;
}

static int read_flows(struct rd *rd, json_t *top, struct cta_session *s)
{
	json_t *arr, **verdicts, **processes;
	size_t n;
	int err = enter(rd, top, "flows", JSON_ARRAY, true, &arr);

	if (err)
		return err;
	n = json_array_size(arr);
	s->flows = calloc(n ? n : 1, sizeof(*s->flows));
	verdicts = calloc(n ? n : 1, sizeof(*verdicts));
	processes = calloc(n ? n : 1, sizeof(*processes));
	s->verdicts = verdicts;
	s->processes = processes;
	s->owns_verdicts = true;
	if (!s->flows || !verdicts || !processes) {
		leave(rd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		json_t *v = NULL, *pr = NULL;

		cta_jpath_push_index(&rd->path, i);
		err = read_flow(rd, json_array_get(arr, i), &s->flows[i]);
		if (!err)
			err = read_obj(rd, json_array_get(arr, i), "verdict", check_verdict, &v);
		if (!err)
			err = read_obj(rd, json_array_get(arr, i), "process", check_process, &pr);
		cta_jpath_pop(&rd->path);
		if (err) {
			json_decref(v);
			break;
		}
		if (v) {
			verdicts[s->n_verdicts++] = v;
			s->flows[i].verdict = (uint32_t)s->n_verdicts;
		}
		if (pr) {
			processes[s->n_processes++] = pr;
			s->flows[i].process = (uint32_t)s->n_processes;
		}
		s->n_flows++;
	}
	leave(rd);
	return err;
}

static int read_iface(struct rd *rd, json_t *io, struct cta_host *h)
{
	const char *name = NULL;
	uint64_t index = 0;
	json_t *addrs;
	int err;

	if (!json_is_object(io))
		return fail(rd, "expected an object");
	err = get_string(rd, io, "name", true, &name);
	if (!err)
		err = get_uint(rd, io, "index", false, UINT32_MAX, &index);
	if (!err)
		err = enter(rd, io, "addresses", JSON_ARRAY, true, &addrs);
	if (err)
		return err;
	err = cta_host_add_addr(h, name, (unsigned)index, NULL);
	for (size_t j = 0; j < json_array_size(addrs) && !err; j++) {
		const char *s = json_string_value(json_array_get(addrs, j));
		struct cta_host_addr a = { 0 };
		char ip[INET6_ADDRSTRLEN + 8], *slash;
		uint64_t plen = 0;

		cta_jpath_push_index(&rd->path, j);
		if (!s || strlen(s) >= sizeof(ip)) {
			err = fail(rd, "expected an address like 192.0.2.1/24");
		} else {
			strcpy(ip, s);
			slash = strchr(ip, '/');
			if (slash)
				*slash++ = '\0';
			if (!slash || cta_addr_parse(ip, &a.family, &a.addr) < 0 ||
			    cta_parse_uint(slash, 0, a.family == AF_INET ? 32 : 128, &plen) < 0)
				err = fail(rd, "\"%s\" is not an address with a prefix length", s);
			a.prefixlen = (uint8_t)plen;
		}
		if (!err)
			err = cta_host_add_addr(h, name, (unsigned)index, &a);
		cta_jpath_pop(&rd->path);
	}
	leave(rd);
	return err;
}

static int read_host_obj(struct rd *rd, json_t *ho, struct cta_host *h)
{
	const char *hostname = "", *kernel = "";
	json_t *ifaces;
	int err = get_string(rd, ho, "hostname", true, &hostname);

	if (!err)
		err = get_string(rd, ho, "kernel", false, &kernel);
	snprintf(h->hostname, sizeof(h->hostname), "%s", hostname);
	snprintf(h->kernel, sizeof(h->kernel), "%s", kernel);
	if (!err)
		err = enter(rd, ho, "interfaces", JSON_ARRAY, true, &ifaces);
	if (err)
		return err;
	for (size_t i = 0; i < json_array_size(ifaces) && !err; i++) {
		cta_jpath_push_index(&rd->path, i);
		err = read_iface(rd, json_array_get(ifaces, i), h);
		cta_jpath_pop(&rd->path);
	}
	leave(rd);
	return err;
}

static int read_host(struct rd *rd, json_t *top, struct cta_host *h)
{
	json_t *ho;
	int err = enter(rd, top, "host", JSON_OBJECT, true, &ho);

	if (err)
		return err;
	err = read_host_obj(rd, ho, h);
	leave(rd);
	return err;
}

/* A merged session's "hosts": each an object like "host", hostnames unique. */
static int read_hosts(struct rd *rd, json_t *top, struct cta_session *s)
{
	json_t *arr;
	size_t n;
	int err = enter(rd, top, "hosts", JSON_ARRAY, false, &arr);

	if (err || !arr)
		return err;
	n = json_array_size(arr);
	s->hosts = calloc(n ? n : 1, sizeof(*s->hosts));
	if (!s->hosts) {
		leave(rd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		json_t *ho = json_array_get(arr, i);

		cta_jpath_push_index(&rd->path, i);
		if (!json_is_object(ho))
			err = fail(rd, "expected an object");
		else
			err = read_host_obj(rd, ho, &s->hosts[i]);
		s->n_hosts++;
		for (size_t j = 0; j < i && !err; j++)
			if (!strcmp(s->hosts[j].hostname, s->hosts[i].hostname)) {
				cta_jpath_push_key(&rd->path, "hostname");
				err = fail(rd, "host \"%s\" is listed twice", s->hosts[i].hostname);
				leave(rd);
			}
		cta_jpath_pop(&rd->path);
	}
	leave(rd);
	return err;
}

static int read_recording(struct rd *rd, json_t *top, struct cta_session *s)
{
	json_t *ro, *opts, *complete;
	int err = enter(rd, top, "recording", JSON_OBJECT, true, &ro);

	if (err)
		return err;
	err = get_time(rd, ro, "start", &s->start_ns);
	if (!err)
		err = get_time(rd, ro, "end", &s->end_ns);
	if (!err)
		err = enter(rd, ro, "complete", JSON_TRUE, false, &complete);
	if (!err && complete) {
		s->complete = json_is_true(complete);
		leave(rd);
	}
	if (!err)
		err = enter(rd, ro, "options", JSON_OBJECT, false, &opts);
	if (!err && opts) {
		err = get_uint(rd, opts, "duration_ms", false, INT64_MAX, &s->options.duration_ms);
		if (!err)
			err = get_uint(rd, opts, "checkpoint_ms", false, INT64_MAX,
				       &s->options.checkpoint_ms);
		if (!err)
			err = get_uint(rd, opts, "rcvbuf", false, INT64_MAX, &s->options.rcvbuf);
		if (!err) {
			const char *mode = NULL;
			uint64_t group = 0;

			err = get_string(rd, opts, "trace", false, &mode);
			if (!err && mode &&
			    (s->options.trace = cta_trace_mode_from_name(mode)) < 0) {
				cta_jpath_push_key(&rd->path, "trace");
				err = fail(rd, "\"%s\" is not new, all, none or match", mode);
				leave(rd);
			}
			if (!err)
				err = get_uint(rd, opts, "nflog_group", false, UINT16_MAX, &group);
			s->options.nflog_group = (unsigned)group;
		}
		if (!err) {
			json_t *procs;

			err = enter(rd, opts, "processes", JSON_TRUE, false, &procs);
			if (!err && procs) {
				s->options.processes = json_is_true(procs);
				leave(rd);
			}
		}
		leave(rd);
	}
	leave(rd);
	return err;
}

struct stat_field {
	const char *key;
	size_t off;
};

/* clang-format would put the stringified name on a line of its own */
/* clang-format off */
#define STAT(name) { #name, offsetof(struct cta_session_stats, name) }
/* clang-format on */

/* Optional counters of obj into st, by the table. */
static int read_counters(struct rd *rd, json_t *obj, const struct stat_field *fields, size_t n,
			 struct cta_session_stats *st)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++)
		err = get_uint(rd, obj, fields[i].key, false, INT64_MAX,
			       (uint64_t *)((char *)st + fields[i].off));
	return err;
}

static int read_verdict_stats(struct rd *rd, json_t *so, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		STAT(trace_events), STAT(trace_bad),	     STAT(trace_overruns),
		STAT(judgements),   STAT(nflog_packets),     STAT(nflog_overruns),
		STAT(denied),	    STAT(ruleset_snapshots),
	};
	json_t *vo;
	int err = enter(rd, so, "verdicts", JSON_OBJECT, false, &vo);

	if (err || !vo)
		return err;
	err = read_counters(rd, vo, fields, ARRAY_SIZE(fields), st);
	leave(rd);
	return err;
}

static int read_process_stats(struct rd *rd, json_t *so, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		{ "events", offsetof(struct cta_session_stats, process_events) },
		{ "scanned", offsetof(struct cta_session_stats, process_scanned) },
		{ "lost", offsetof(struct cta_session_stats, process_lost) },
		{ "sockets", offsetof(struct cta_session_stats, process_sockets) },
	};
	json_t *po;
	int err = enter(rd, so, "processes", JSON_OBJECT, false, &po);

	if (err || !po)
		return err;
	err = read_counters(rd, po, fields, ARRAY_SIZE(fields), st);
	leave(rd);
	return err;
}

static int read_stats(struct rd *rd, json_t *top, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		STAT(dumps),	    STAT(dump_entries),	    STAT(dump_retries), STAT(messages),
		STAT(bad_messages), STAT(overruns),	    STAT(resyncs),	STAT(swept),
		STAT(rcvbuf),	    STAT(open_connections),
	};
	json_t *so, *ev;
	int err = enter(rd, top, "stats", JSON_OBJECT, false, &so);

	if (err || !so)
		return err;
	err = read_counters(rd, so, fields, ARRAY_SIZE(fields), st);
	if (!err)
		err = enter(rd, so, "events", JSON_OBJECT, false, &ev);
	if (!err && ev) {
		err = get_uint(rd, ev, "new", false, INT64_MAX, &st->events_new);
		if (!err)
			err = get_uint(rd, ev, "update", false, INT64_MAX, &st->events_update);
		if (!err)
			err = get_uint(rd, ev, "destroy", false, INT64_MAX, &st->events_destroy);
		leave(rd);
	}
	if (!err)
		err = read_verdict_stats(rd, so, st);
	if (!err)
		err = read_process_stats(rd, so, st);
	leave(rd);
	return err;
}

static int read_header(struct rd *rd, json_t *top, struct cta_session *s)
{
	const char *format = NULL, *generator = "";
	uint64_t version = 0;
	int err;

	if (!json_is_object(top))
		return fail(rd, "not a conntrack-advise session (expected an object)");
	if (get_string(rd, top, "format", true, &format) || strcmp(format, CTA_SESSION_FORMAT)) {
		rd->path.depth = 0;
		return fail(rd, "not a conntrack-advise session (no \"format\": \"%s\")",
			    CTA_SESSION_FORMAT);
	}
	err = get_uint(rd, top, "version", true, INT32_MAX, &version);
	if (err)
		return err;
	if (version != CTA_SESSION_VERSION) {
		cta_jpath_push_key(&rd->path, "version");
		err = fail(rd,
			   "session format version %llu; this conntrack-advise reads version %d",
			   (unsigned long long)version, CTA_SESSION_VERSION);
		leave(rd);
		return err;
	}
	err = get_string(rd, top, "generator", false, &generator);
	snprintf(s->generator, sizeof(s->generator), "%s", generator ? generator : "");
	return err;
}

/*
 * Verdicts repeat: most flows were decided by the same few rules on the same path.
 * Identical verdict texts share one parsed object.
 */
struct vintern {
	struct {
		const char *text;
		size_t len;
		uint32_t index; /* 1 + index in the session's verdicts */
	} * slot;
	size_t mask, used;
};

/* A fast hash of a verdict's bytes, eight at a time. */
static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ULL, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 32);
}

static int vintern_grow(struct vintern *t)
{
	size_t n = t->mask ? (t->mask + 1) * 2 : 64;
	struct vintern old = *t;

	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot) {
		*t = old;
		return -ENOMEM;
	}
	t->mask = n - 1;
	for (size_t i = 0; old.slot && i <= old.mask; i++) {
		size_t j;

		if (!old.slot[i].index)
			continue;
		for (j = fnv(old.slot[i].text, old.slot[i].len) & t->mask; t->slot[j].index;
		     j = (j + 1) & t->mask)
			;
		t->slot[j] = old.slot[i];
	}
	free(old.slot);
	return 0;
}

/* The slot for this text: its index, or an empty slot to fill. */
static size_t vintern_find(const struct vintern *t, const char *text, size_t len)
{
	size_t j = fnv(text, len) & t->mask;

	while (t->slot[j].index && (t->slot[j].len != len || memcmp(t->slot[j].text, text, len)))
		j = (j + 1) & t->mask;
	return j;
}

/*
 * What a flow points at by index: its verdict or its process. Identical texts share
 * one parsed object.
 */
struct objs {
	const char *key;
	int (*check)(struct rd *, json_t *);
	json_t *const **arr; /* the session's array */
	size_t *n, cap;
	struct vintern t;
};

/* Append o (a reference taken) to the array. */
static int objs_add(struct objs *os, json_t *o)
{
	if (*os->n == os->cap) {
		size_t nc = os->cap ? os->cap * 2 : 64;
		json_t **v = realloc((json_t **)*os->arr, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*os->arr = v;
		os->cap = nc;
	}
	((json_t **)*os->arr)[(*os->n)++] = o;
	return 0;
}

/* The object at text (a flow's, its path on rd) as 1 + its index in the array. */
static int fast_obj(struct rd *rd, struct objs *os, const char *text, size_t len, uint32_t *index)
{
	struct vintern *t = &os->t;
	json_error_t jerr;
	json_t *o;
	size_t j;
	int err;

	if ((t->used + 1) * 2 > t->mask + 1 && vintern_grow(t))
		return -ENOMEM;
	j = vintern_find(t, text, len);
	if (t->slot[j].index) {
		*index = t->slot[j].index;
		return 0;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return -EAGAIN;
	cta_jpath_push_key(&rd->path, os->key);
	err = json_is_object(o) ? os->check(rd, o) : -EAGAIN;
	leave(rd);
	if (!err)
		err = objs_add(os, o);
	if (err) {
		json_decref(o);
		return err;
	}
	t->slot[j].text = text;
	t->slot[j].len = len;
	t->slot[j].index = (uint32_t)*os->n;
	t->used++;
	*index = t->slot[j].index;
	return 0;
}

/* The flow's object of this kind, by the general reader, into the array. */
static int slow_obj(struct rd *rd, json_t *fo, struct objs *os, uint32_t *index)
{
	json_t *o;
	int err = read_obj(rd, fo, os->key, os->check, &o);

	if (err || !o)
		return err;
	err = objs_add(os, o);
	if (err)
		json_decref(o);
	else
		*index = (uint32_t)*os->n;
	return err;
}

/* A flow the strict reader left alone: the general reader on that element alone. */
static int slow_flow(struct rd *rd, const char *p, const char *e, struct objs *vs, struct objs *ps,
		     struct cta_flow *f)
{
	json_error_t jerr;
	json_t *fo;
	int err;

	fo = json_loadb(p, (size_t)(e - p), JSON_REJECT_DUPLICATES, &jerr);
	if (!fo)
		return -EAGAIN; /* a syntax error: the whole document says where */
	err = read_flow(rd, fo, f);
	if (!err)
		err = slow_obj(rd, fo, vs, &f->verdict);
	if (!err)
		err = slow_obj(rd, fo, ps, &f->process);
	json_decref(fo);
	return err;
}

/* Every flow's host name to its index in "hosts". */
static int resolve_hosts(struct rd *rd, struct cta_session *s)
{
	uint32_t *map;
	int err = 0;

	if (!rd->n_hostnames)
		return 0;
	map = calloc(rd->n_hostnames, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < rd->n_hostnames; i++) {
		map[i] = UINT32_MAX;
		for (size_t j = 0; j < s->n_hosts; j++)
			if (!strcmp(rd->hostnames[i], s->hosts[j].hostname))
				map[i] = (uint32_t)j;
	}
	for (size_t i = 0; i < s->n_flows && !err; i++) {
		struct cta_flow *f = &s->flows[i];

		if (!f->host)
			continue;
		if (map[f->host - 1] == UINT32_MAX) {
			cta_jpath_push_key(&rd->path, "flows");
			cta_jpath_push_index(&rd->path, i);
			cta_jpath_push_key(&rd->path, "host");
			err = fail(rd, "\"%s\" is not one of the session's \"hosts\"",
				   rd->hostnames[f->host - 1]);
			break;
		}
		f->host = map[f->host - 1];
	}
	free(map);
	return err;
}

/*
 * The flows, as the scan meets them, each by the strict reader or, where it declines,
 * the general one. -EAGAIN: read the whole document the general way.
 */
static int read_flows_fast(struct rd *rd, struct cta_flowscan *sc, struct cta_session *s)
{
	struct objs vs = { "verdict", check_verdict, &s->verdicts, &s->n_verdicts, 0, { 0 } };
	struct objs ps = { "process", check_process, &s->processes, &s->n_processes, 0, { 0 } };
	const char *end = rd->text + rd->len, *p;
	size_t fcap = 0;
	int err = 0, more;

	s->owns_verdicts = true;
	cta_jpath_push_key(&rd->path, "flows");
	while (!err && (more = cta_flowscan_next(sc, &p)) == 1) {
		struct cta_flow_raw raw;
		const char *next = NULL;
		size_t i = s->n_flows;
		struct cta_flow *f;
		char host[256];

		if (i == fcap) {
			size_t nc = fcap ? fcap * 2 : 1024;
			void *q = realloc(s->flows, nc * sizeof(*s->flows));

			if (!q) {
				err = -ENOMEM;
				break;
			}
			s->flows = q;
			fcap = nc;
		}
		f = &s->flows[i];
		cta_jpath_push_index(&rd->path, i);
		if (cta_flow_read_fast(p, end, f, &raw, &next, host) == 0) {
			if (raw.verdict)
				err = fast_obj(rd, &vs, raw.verdict, raw.vlen, &f->verdict);
			if (!err && raw.process)
				err = fast_obj(rd, &ps, raw.process, raw.plen, &f->process);
			if (!err && host[0])
				err = note_host(rd, host, f);
		} else {
			next = cta_json_skip(p, end);
			err = next ? slow_flow(rd, p, next, &vs, &ps, f) : -EAGAIN;
		}
		cta_jpath_pop(&rd->path);
		if (!err) {
			s->n_flows++;
			cta_flowscan_done(sc, next);
		}
	}
	leave(rd);
	free(vs.t.slot);
	free(ps.t.slot);
	if (!err && more < 0)
		err = more;
	if (!err && !s->flows) {
		s->flows = calloc(1, sizeof(*s->flows));
		if (!s->flows)
			err = -ENOMEM;
	}
	return err;
}

/*
 * The document without its flows, for jansson: the array emptied but its line breaks
 * (and the last line's width) kept, so positions after it stay where they were.
 */
static char *header_text(const char *text, size_t len, const struct cta_flowscan *sc,
			 size_t *out_len)
{
	size_t fs = sc->flows_start, fe = sc->flows_end, nl = 0, tail = 0, n;
	char *h, *q;

	for (size_t i = fs + 1; i + 1 < fe; i++) {
		if (text[i] == '\n') {
			nl++;
			tail = 0;
		} else {
			tail++;
		}
	}
	if (tail > 4096)
		tail = 0; /* a one-line document: columns after the flows may be off */
	n = fs + 1 + nl + tail + 1 + (len - fe);
	h = malloc(n + 1);
	if (!h)
		return NULL;
	memcpy(h, text, fs + 1);
	q = h + fs + 1;
	memset(q, '\n', nl);
	q += nl;
	memset(q, ' ', tail);
	q += tail;
	*q++ = ']';
	memcpy(q, text + fe, len - fe);
	h[n] = '\0';
	*out_len = n;
	return h;
}

/* Everything but the flows: the header fields, from the document without its flows. */
static int read_top(struct rd *rd, json_t *top, struct cta_session *s)
{
	int rc = read_header(rd, top, s);

	if (!rc)
		rc = read_host(rd, top, &s->host);
	if (!rc)
		rc = read_hosts(rd, top, s);
	if (!rc)
		rc = read_recording(rd, top, s);
	if (!rc)
		rc = read_stats(rd, top, &s->stats);
	return rc;
}

static int syntax_error(const char *name, const json_error_t *jerr, struct cta_err *err)
{
	snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: %s", name, jerr->line > 0 ? jerr->line : 1,
		 jerr->column > 0 ? jerr->column : 1, jerr->text);
	return -EBADMSG;
}

/*
 * The fast way, in one pass: the flows as the scan meets them, then the rest of the
 * document through jansson without its flows. -EAGAIN when it needs the general way.
 */
static int parse_fast(struct rd *rd, struct cta_session *s)
{
	struct cta_flowscan sc;
	json_error_t jerr;
	char *head;
	size_t hlen;
	json_t *top;
	int rc = cta_flowscan_begin(rd->text, rd->len, &sc);

	if (!rc)
		rc = read_flows_fast(rd, &sc, s);
	if (rc)
		return rc;
	head = header_text(rd->text, rd->len, &sc, &hlen);
	if (!head)
		return -ENOMEM;
	top = json_loadb(head, hlen, JSON_REJECT_DUPLICATES, &jerr);
	free(head);
	if (!top)
		return syntax_error(rd->name, &jerr, rd->err);
	rc = read_top(rd, top, s);
	json_decref(top);
	if (!rc)
		rc = resolve_hosts(rd, s);
	return rc;
}

/* A read that failed leaves nothing behind, and says so when memory ran out. */
static int failed(const char *name, int rc, struct cta_session *s, struct cta_err *err)
{
	if (rc == -ENOMEM)
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
	cta_session_fini(s);
	memset(s, 0, sizeof(*s));
	return rc;
}

int cta_session_parse_tree(const char *name, const char *text, size_t len, struct cta_session *s,
			   struct cta_err *err)
{
	struct rd rd = { .name = name, .text = text, .len = len, .err = err };
	json_error_t jerr;
	json_t *top;
	int rc;

	memset(s, 0, sizeof(*s));
	err->msg[0] = '\0';
	top = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!top)
		return syntax_error(name, &jerr, err);
	rc = read_top(&rd, top, s);
	if (!rc)
		rc = read_flows(&rd, top, s);
	if (!rc)
		rc = resolve_hosts(&rd, s);
	json_decref(top);
	rd_fini(&rd);
	return rc ? failed(name, rc, s, err) : 0;
}

#define TREE_CHECK_MAX (64u << 20)

int cta_session_parse(const char *name, const char *text, size_t len, struct cta_session *s,
		      struct cta_err *err)
{
	struct rd rd = { .name = name, .text = text, .len = len, .err = err };
	int rc;

	memset(s, 0, sizeof(*s));
	err->msg[0] = '\0';
	rc = parse_fast(&rd, s);
	rd_fini(&rd);
	if (rc == -EAGAIN || (rc && rc != -ENOMEM && len <= TREE_CHECK_MAX)) {
		/*
		 * Not simple enough for the scan, or wrong: the whole document as one tree,
		 * whose first complaint (a syntax error anywhere comes before any field's)
		 * is the one to give. A document too big for a tree keeps the scan's
		 * complaint, which is as exact but may not be the first.
		 */
		cta_session_fini(s);
		return cta_session_parse_tree(name, text, len, s, err);
	}
	return rc ? failed(name, rc, s, err) : 0;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *p = malloc(cap);

	if (!p)
		return -ENOMEM;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			char *q = realloc(p, cap * 2);

			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap *= 2;
		}
		got = read(fd, p + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = -errno;

			free(p);
			return e;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*out = p;
	*len = n;
	return 0;
}

int cta_session_load(const char *path, struct cta_session *s, struct cta_err *err)
{
	bool is_stdin = !strcmp(path, "-");
	char *text = NULL;
	size_t len = 0;
	struct stat st = { 0 };
	int fd, rc;

	memset(s, 0, sizeof(*s));
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err->msg, sizeof(err->msg), "%s: is a directory, not a session file",
			 path);
		close(fd);
		return -EISDIR;
	}
	/* a regular file is mapped, not copied: sessions of a million flows are big */
	if (!is_stdin && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			close(fd);
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			rc = cta_session_parse(path, m, (size_t)st.st_size, s, err);
			munmap(m, (size_t)st.st_size);
			return rc;
		}
	}
	rc = read_all(fd, &text, &len);
	if (!is_stdin)
		close(fd);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = cta_session_parse(is_stdin ? "(stdin)" : path, text, len, s, err);
	free(text);
	return rc;
}
