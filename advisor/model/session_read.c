// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session's general reader: the whole document as one jansson tree, every field
 * checked, each error told with file:line:col and the field's path. The fast reader
 * (session_fast.c) uses its pieces for whatever it declines.
 */
#include "advisor/model/session_rd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/util.h"
#include "nft/event.h"

static const char *family_name(uint8_t family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}
/* ------------------------------------------------------------------ reading */

/* The flow's host, by name, noted for cta_rd_resolve_hosts(). */
int cta_rd_note_host(struct cta_rd *rd, const char *name, struct cta_flow *f)
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

void cta_rd_fini(struct cta_rd *rd)
{
	for (size_t i = 0; i < rd->n_hostnames; i++)
		free(rd->hostnames[i]);
	free(rd->hostnames);
	rd->hostnames = NULL;
	rd->n_hostnames = 0;
}

int __attribute__((format(printf, 2, 3))) cta_rd_fail(struct cta_rd *rd, const char *fmt, ...)
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
 * Find obj.key of the given type and push its path (the caller pops with cta_rd_leave()).
 * Absent and optional: *out = NULL, nothing pushed, 0.
 */
int cta_rd_enter(struct cta_rd *rd, json_t *obj, const char *key, json_type type, bool required,
		 json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? cta_rd_fail(rd, "missing field \"%s\"", key) : 0;
	cta_jpath_push_key(&rd->path, key);
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		int err = cta_rd_fail(rd, "expected %s", type_name(type));

		cta_jpath_pop(&rd->path);
		return err;
	}
	*out = v;
	return 0;
}

void cta_rd_leave(struct cta_rd *rd)
{
	cta_jpath_pop(&rd->path);
}

int cta_rd_uint(struct cta_rd *rd, json_t *obj, const char *key, bool required, uint64_t max,
		uint64_t *out)
{
	json_t *v;
	int err = cta_rd_enter(rd, obj, key, JSON_INTEGER, required, &v);

	if (err || !v)
		return err;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		err = cta_rd_fail(rd, "expected an integer from 0 to %llu",
				  (unsigned long long)max);
	else
		*out = (uint64_t)json_integer_value(v);
	cta_rd_leave(rd);
	return err;
}

static int get_u16(struct cta_rd *rd, json_t *obj, const char *key, bool required, uint16_t *out)
{
	uint64_t v = *out;
	int err = cta_rd_uint(rd, obj, key, required, UINT16_MAX, &v);

	*out = (uint16_t)v;
	return err;
}

static int get_u8(struct cta_rd *rd, json_t *obj, const char *key, bool required, uint8_t *out)
{
	uint64_t v = *out;
	int err = cta_rd_uint(rd, obj, key, required, UINT8_MAX, &v);

	*out = (uint8_t)v;
	return err;
}

int cta_rd_string(struct cta_rd *rd, json_t *obj, const char *key, bool required, const char **out)
{
	json_t *v;
	int err = cta_rd_enter(rd, obj, key, JSON_STRING, required, &v);

	if (!err && v) {
		*out = json_string_value(v);
		cta_rd_leave(rd);
	}
	return err;
}

static int get_time(struct cta_rd *rd, json_t *obj, const char *key, uint64_t *ns)
{
	json_t *v;
	int err = cta_rd_enter(rd, obj, key, JSON_STRING, false, &v);

	*ns = 0;
	if (err || !v)
		return err;
	if (cta_parse_time(json_string_value(v), ns) < 0)
		err = cta_rd_fail(rd, "expected a UTC time like 2026-11-23T18:44:49.123Z");
	cta_rd_leave(rd);
	return err;
}

static int get_addr(struct cta_rd *rd, json_t *obj, const char *key, uint8_t family,
		    union cta_addr *a)
{
	const char *s = NULL;
	uint8_t fam;
	int err = cta_rd_string(rd, obj, key, true, &s);

	if (err)
		return err;
	cta_jpath_push_key(&rd->path, key);
	if (cta_addr_parse(s, &fam, a) < 0)
		err = cta_rd_fail(rd, "\"%s\" is not an IP address", s);
	else if (fam != family)
		err = cta_rd_fail(rd, "\"%s\" is not an %s address", s, family_name(family));
	cta_rd_leave(rd);
	return err;
}

static int get_name(struct cta_rd *rd, json_t *obj, const char *key,
		    int (*parse)(const char *, int *), const char *what, int *out)
{
	const char *s = NULL;
	int err = cta_rd_string(rd, obj, key, true, &s);

	if (err)
		return err;
	if (parse(s, out) < 0) {
		cta_jpath_push_key(&rd->path, key);
		err = cta_rd_fail(rd, "\"%s\" is not %s", s, what);
		cta_rd_leave(rd);
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

static int range(struct cta_rd *rd, json_t *o, const char *lo_key, const char *hi_key, uint16_t *lo,
		 uint16_t *hi)
{
	int err = get_u16(rd, o, lo_key, true, lo);

	if (!err)
		err = get_u16(rd, o, hi_key, true, hi);
	if (!err && *lo > *hi) {
		cta_jpath_push_key(&rd->path, hi_key);
		err = cta_rd_fail(rd, "%s is below %s", hi_key, lo_key);
		cta_rd_leave(rd);
	}
	return err;
}

static int read_orig(struct cta_rd *rd, json_t *fo, struct cta_flow *f)
{
	struct cta_flow_key *k = &f->key;
	json_t *o;
	int err = cta_rd_enter(rd, fo, "orig", JSON_OBJECT, true, &o);

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
		if (!err)
			cta_flow_drop_stray_ids(f);
	}
	cta_rd_leave(rd);
	return err;
}

static int read_reply(struct cta_rd *rd, json_t *fo, struct cta_flow *f)
{
	struct cta_flow_key *k = &f->key;
	json_t *o;
	int err = cta_rd_enter(rd, fo, "reply", JSON_OBJECT, false, &o);

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
	cta_rd_leave(rd);
	return err;
}

static int read_pair(struct cta_rd *rd, json_t *fo, const char *key, uint64_t v[2])
{
	json_t *o;
	int err = cta_rd_enter(rd, fo, key, JSON_OBJECT, true, &o);

	if (err)
		return err;
	err = cta_rd_uint(rd, o, "orig", true, INT64_MAX, &v[0]);
	if (!err)
		err = cta_rd_uint(rd, o, "reply", true, INT64_MAX, &v[1]);
	cta_rd_leave(rd);
	return err;
}

/* A merged session's flow: its host's index in "hosts", or (version 1) its name. */
static int read_flow_host(struct cta_rd *rd, json_t *fo, struct cta_flow *f)
{
	json_t *h = json_object_get(fo, "host");
	const char *name = NULL;
	uint64_t index;
	int err;

	if (json_is_integer(h)) {
		err = cta_rd_uint(rd, fo, "host", true, CTA_RD_HOST_INDEX - 1, &index);
		if (!err)
			f->host = CTA_RD_HOST_INDEX | (uint32_t)index;
		return err;
	}
	err = cta_rd_string(rd, fo, "host", false, &name);
	if (!err && name)
		err = cta_rd_note_host(rd, name, f);
	return err;
}

/* "helper" and "related" (optional: sessions before them have neither). */
static int read_helper(struct cta_rd *rd, json_t *fo, struct cta_flow *f)
{
	const char *h = NULL;
	json_t *o;
	int proto = 0, err = cta_rd_string(rd, fo, "helper", false, &h);

	if (!err && h && strlen(h) >= sizeof(f->helper)) {
		cta_jpath_push_key(&rd->path, "helper");
		err = cta_rd_fail(rd, "\"%s\" is longer than a conntrack helper's name", h);
		cta_rd_leave(rd);
	} else if (!err && h) {
		memcpy(f->helper, h, strlen(h) + 1);
	}
	if (!err)
		err = cta_rd_enter(rd, fo, "related", JSON_OBJECT, false, &o);
	if (err || !o)
		return err;
	f->related = true;
	if (json_object_get(o, "protocol")) {
		err = get_name(rd, o, "protocol", parse_proto, "a protocol name or number", &proto);
		f->master.l4proto = (uint8_t)proto;
		if (!err)
			err = get_addr(rd, o, "src", f->key.family, &f->master.src);
		if (!err)
			err = get_addr(rd, o, "dst", f->key.family, &f->master.dst);
		if (!err && cta_proto_has_ports(f->master.l4proto))
			err = get_u16(rd, o, "dport", true, &f->master.dport);
	}
	cta_rd_leave(rd);
	return err;
}

/* "leftover" (version 4; optional, 0 when absent): at most the flow's connections. */
static int read_leftover(struct cta_rd *rd, json_t *fo, struct cta_flow *f)
{
	int err = cta_rd_uint(rd, fo, "leftover", false, INT64_MAX, &f->leftover);

	if (!err && f->leftover > f->connections) {
		cta_jpath_push_key(&rd->path, "leftover");
		err = cta_rd_fail(rd, "%llu is more than the flow's %llu connections",
				  (unsigned long long)f->leftover,
				  (unsigned long long)f->connections);
		cta_jpath_pop(&rd->path);
	}
	return err;
}

int cta_rd_flow(struct cta_rd *rd, json_t *fo, struct cta_flow *f)
{
	int fam = 0, proto = 0, dir = 0, reached = 0, err;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(fo))
		return cta_rd_fail(rd, "expected an object");
	err = get_name(rd, fo, "family", parse_family, "ipv4 or ipv6", &fam);
	if (!err)
		err = get_name(rd, fo, "protocol", parse_proto, "a protocol name or number",
			       &proto);
	if (!err)
		err = get_name(rd, fo, "direction", parse_dir, "in, out, forward, local or unknown",
			       &dir);
	if (err)
		return err;
	f->key.family = (uint8_t)fam;
	f->key.l4proto = (uint8_t)proto;
	f->direction = (uint8_t)dir;
	err = read_orig(rd, fo, f);
	if (!err)
		err = read_reply(rd, fo, f);
	if (!err)
		err = cta_rd_uint(rd, fo, "connections", true, INT64_MAX, &f->connections);
	if (!err)
		err = read_leftover(rd, fo, f);
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
	if (!err)
		err = cta_rd_ifname(rd, fo, "iif", f->iif);
	if (!err)
		err = cta_rd_ifname(rd, fo, "oif", f->oif);
	if (!err)
		err = read_flow_host(rd, fo, f);
	return err ? err : read_helper(rd, fo, f);
}

static int read_flows(struct cta_rd *rd, json_t *top, struct cta_session *s)
{
	struct cta_vtally *verdicts;
	struct cta_process **processes;
	size_t n;
	json_t *arr;
	int err = cta_rd_enter(rd, top, "flows", JSON_ARRAY, true, &arr);

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
		cta_rd_leave(rd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		json_t *fo = json_array_get(arr, i);
		struct cta_flow *f = &s->flows[i];
		struct cta_vtally *t = &verdicts[s->n_verdicts];

		cta_jpath_push_index(&rd->path, i);
		err = cta_rd_flow(rd, fo, f);
		if (!err)
			err = cta_rd_flow_verdicts(rd, fo, f->connections, t);
		if (!err)
			err = cta_rd_flow_process(rd, fo, &processes[s->n_processes]);
		cta_jpath_pop(&rd->path);
		if (t->n)
			f->verdict = (uint32_t)++s->n_verdicts;
		if (processes[s->n_processes])
			f->process = (uint32_t)++s->n_processes;
		s->n_flows += !err;
	}
	cta_rd_leave(rd);
	return err;
}

static int read_iface(struct cta_rd *rd, json_t *io, struct cta_host *h)
{
	const char *name = NULL;
	uint64_t index = 0;
	json_t *addrs;
	int err;

	if (!json_is_object(io))
		return cta_rd_fail(rd, "expected an object");
	err = cta_rd_string(rd, io, "name", true, &name);
	/* the kernel's names have 1 to 15 characters: a longer one would be cut into another */
	if (!err && (!*name || strlen(name) > CTA_IFNAME_MAX)) {
		cta_jpath_push_key(&rd->path, "name");
		err = cta_rd_fail(rd, "\"%.40s%s\" is not an interface name (1 to %d characters)",
				  name, strlen(name) > 40 ? "..." : "", CTA_IFNAME_MAX);
		cta_jpath_pop(&rd->path);
	}
	if (!err)
		err = cta_rd_uint(rd, io, "index", false, UINT32_MAX, &index);
	if (!err)
		err = cta_rd_enter(rd, io, "addresses", JSON_ARRAY, true, &addrs);
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
			err = cta_rd_fail(rd, "expected an address like 192.0.2.1/24");
		} else {
			strcpy(ip, s);
			slash = strchr(ip, '/');
			if (slash)
				*slash++ = '\0';
			if (!slash || cta_addr_parse(ip, &a.family, &a.addr) < 0 ||
			    cta_parse_uint(slash, 0, a.family == AF_INET ? 32 : 128, &plen) < 0)
				err = cta_rd_fail(
					rd, "\"%s\" is not an address with a prefix length", s);
			a.prefixlen = (uint8_t)plen;
		}
		if (!err)
			err = cta_host_add_addr(h, name, (unsigned)index, &a);
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err;
}

/* machine_id (32 hex digits) and netns (an inode number): both optional */
static int read_host_identity(struct cta_rd *rd, json_t *ho, struct cta_host *h)
{
	const char *id = NULL;
	int err = cta_rd_string(rd, ho, "machine_id", false, &id);

	if (!err && id) {
		if (strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32) {
			cta_jpath_push_key(&rd->path, "machine_id");
			err = cta_rd_fail(rd, "\"%s\" is not a machine id (32 hex digits)", id);
			cta_rd_leave(rd);
		} else {
			memcpy(h->machine_id, id, 33);
		}
	}
	return err ? err : cta_rd_uint(rd, ho, "netns", false, INT64_MAX, &h->netns);
}

static int read_host_obj(struct cta_rd *rd, json_t *ho, struct cta_host *h)
{
	const char *hostname = "", *kernel = "";
	json_t *ifaces;
	int err = cta_rd_string(rd, ho, "hostname", true, &hostname);

	if (!err)
		err = cta_rd_string(rd, ho, "kernel", false, &kernel);
	snprintf(h->hostname, sizeof(h->hostname), "%s", hostname);
	snprintf(h->kernel, sizeof(h->kernel), "%s", kernel);
	if (!err)
		err = read_host_identity(rd, ho, h);
	if (!err)
		err = cta_rd_enter(rd, ho, "interfaces", JSON_ARRAY, true, &ifaces);
	if (err)
		return err;
	for (size_t i = 0; i < json_array_size(ifaces) && !err; i++) {
		cta_jpath_push_index(&rd->path, i);
		err = read_iface(rd, json_array_get(ifaces, i), h);
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err ? err : cta_rd_routing(rd, ho, h);
}

static int read_host(struct cta_rd *rd, json_t *top, struct cta_host *h)
{
	json_t *ho;
	int err = cta_rd_enter(rd, top, "host", JSON_OBJECT, true, &ho);

	if (err)
		return err;
	err = read_host_obj(rd, ho, h);
	cta_rd_leave(rd);
	return err;
}

/* A merged session's "hosts": each an object like "host", hostnames unique. */
static int read_hosts(struct cta_rd *rd, json_t *top, struct cta_session *s)
{
	json_t *arr;
	size_t n;
	int err = cta_rd_enter(rd, top, "hosts", JSON_ARRAY, false, &arr);

	if (err || !arr)
		return err;
	n = json_array_size(arr);
	s->hosts = calloc(n ? n : 1, sizeof(*s->hosts));
	if (!s->hosts) {
		cta_rd_leave(rd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		json_t *ho = json_array_get(arr, i);

		cta_jpath_push_index(&rd->path, i);
		if (!json_is_object(ho))
			err = cta_rd_fail(rd, "expected an object");
		else
			err = read_host_obj(rd, ho, &s->hosts[i]);
		s->n_hosts++;
		for (size_t j = 0; j < i && !err; j++)
			if (cta_host_same(&s->hosts[j], &s->hosts[i])) {
				cta_jpath_push_key(&rd->path, "hostname");
				err = cta_rd_fail(rd, "host \"%s\" is listed twice",
						  s->hosts[i].hostname);
				cta_rd_leave(rd);
			}
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err;
}

/* recording.ids: each recording's id (32 hex digits), none twice */
static int read_ids(struct cta_rd *rd, json_t *ro, struct cta_session *s)
{
	json_t *arr;
	int err = cta_rd_enter(rd, ro, "ids", JSON_ARRAY, false, &arr);

	if (err || !arr)
		return err;
	s->ids = calloc(json_array_size(arr) + 1, sizeof(*s->ids));
	if (!s->ids)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < json_array_size(arr); i++) {
		const char *id = json_string_value(json_array_get(arr, i));

		cta_jpath_push_index(&rd->path, i);
		if (!id || strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32)
			err = cta_rd_fail(rd, "expected a recording id (32 hex digits)");
		for (size_t j = 0; !err && j < s->n_ids; j++)
			if (!strcmp(s->ids[j], id))
				err = cta_rd_fail(rd, "recording %s is listed twice", id);
		if (!err)
			memcpy(s->ids[s->n_ids++], id, 33);
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err;
}

static int read_recording(struct cta_rd *rd, json_t *top, struct cta_session *s)
{
	json_t *ro, *opts, *complete;
	int err = cta_rd_enter(rd, top, "recording", JSON_OBJECT, true, &ro);

	if (err)
		return err;
	err = get_time(rd, ro, "start", &s->start_ns);
	if (!err)
		err = get_time(rd, ro, "end", &s->end_ns);
	if (!err)
		err = read_ids(rd, ro, s);
	if (!err)
		err = cta_rd_enter(rd, ro, "complete", JSON_TRUE, false, &complete);
	if (!err && complete) {
		s->complete = json_is_true(complete);
		cta_rd_leave(rd);
	}
	if (!err)
		err = cta_rd_enter(rd, ro, "options", JSON_OBJECT, false, &opts);
	if (!err && opts) {
		err = cta_rd_uint(rd, opts, "duration_ms", false, INT64_MAX,
				  &s->options.duration_ms);
		if (!err)
			err = cta_rd_uint(rd, opts, "checkpoint_ms", false, INT64_MAX,
					  &s->options.checkpoint_ms);
		if (!err)
			err = cta_rd_uint(rd, opts, "rcvbuf", false, INT64_MAX, &s->options.rcvbuf);
		if (!err) {
			const char *mode = NULL;
			uint64_t group = 0;

			err = cta_rd_string(rd, opts, "trace", false, &mode);
			if (!err && mode &&
			    (s->options.trace = cta_trace_mode_from_name(mode)) < 0) {
				cta_jpath_push_key(&rd->path, "trace");
				err = cta_rd_fail(rd, "\"%s\" is not new, all, none or match",
						  mode);
				cta_rd_leave(rd);
			}
			if (!err)
				err = cta_rd_uint(rd, opts, "nflog_group", false, UINT16_MAX,
						  &group);
			s->options.nflog_group = (unsigned)group;
		}
		if (!err) {
			json_t *procs;

			err = cta_rd_enter(rd, opts, "processes", JSON_TRUE, false, &procs);
			if (!err && procs) {
				s->options.processes = json_is_true(procs);
				cta_rd_leave(rd);
			}
		}
		cta_rd_leave(rd);
	}
	cta_rd_leave(rd);
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
static int read_counters(struct cta_rd *rd, json_t *obj, const struct stat_field *fields, size_t n,
			 struct cta_session_stats *st)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++)
		err = cta_rd_uint(rd, obj, fields[i].key, false, INT64_MAX,
				  (uint64_t *)((char *)st + fields[i].off));
	return err;
}

static int read_verdict_stats(struct cta_rd *rd, json_t *so, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		STAT(trace_events), STAT(trace_bad),	     STAT(trace_overruns),
		STAT(judgements),   STAT(nflog_packets),     STAT(nflog_overruns),
		STAT(denied),	    STAT(ruleset_snapshots), STAT(undelivered),
	};
	json_t *vo;
	int err = cta_rd_enter(rd, so, "verdicts", JSON_OBJECT, false, &vo);

	if (err || !vo)
		return err;
	err = read_counters(rd, vo, fields, ARRAY_SIZE(fields), st);
	cta_rd_leave(rd);
	return err;
}

static int read_process_stats(struct cta_rd *rd, json_t *so, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		{ "events", offsetof(struct cta_session_stats, process_events) },
		{ "scanned", offsetof(struct cta_session_stats, process_scanned) },
		{ "lost", offsetof(struct cta_session_stats, process_lost) },
		{ "sockets", offsetof(struct cta_session_stats, process_sockets) },
	};
	json_t *po;
	int err = cta_rd_enter(rd, so, "processes", JSON_OBJECT, false, &po);

	if (err || !po)
		return err;
	err = read_counters(rd, po, fields, ARRAY_SIZE(fields), st);
	cta_rd_leave(rd);
	return err;
}

static int read_kernel_stats(struct cta_rd *rd, json_t *so, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		{ "entered", offsetof(struct cta_session_stats, kernel_entered) },
		{ "left", offsetof(struct cta_session_stats, kernel_left) },
		{ "denied", offsetof(struct cta_session_stats, kernel_denied) },
		{ "uncounted", offsetof(struct cta_session_stats, kernel_uncounted) },
		{ "unsure", offsetof(struct cta_session_stats, kernel_unsure) },
		{ "unseen", offsetof(struct cta_session_stats, kernel_unseen) },
		{ "listings", offsetof(struct cta_session_stats, kernel_listings) },
		{ "largest_set", offsetof(struct cta_session_stats, kernel_largest) },
	};
	json_t *ko;
	int err = cta_rd_enter(rd, so, "kernel", JSON_OBJECT, false, &ko);

	if (err || !ko)
		return err;
	err = read_counters(rd, ko, fields, ARRAY_SIZE(fields), st);
	cta_rd_leave(rd);
	return err;
}

static int read_stats(struct cta_rd *rd, json_t *top, struct cta_session_stats *st)
{
	static const struct stat_field fields[] = {
		STAT(dumps),	    STAT(dump_entries),	    STAT(dump_retries), STAT(messages),
		STAT(bad_messages), STAT(overruns),	    STAT(resyncs),	STAT(swept),
		STAT(rcvbuf),	    STAT(open_connections),
	};
	json_t *so, *ev;
	int err = cta_rd_enter(rd, top, "stats", JSON_OBJECT, false, &so);

	if (err || !so)
		return err;
	err = read_counters(rd, so, fields, ARRAY_SIZE(fields), st);
	if (!err)
		err = cta_rd_enter(rd, so, "events", JSON_OBJECT, false, &ev);
	if (!err && ev) {
		err = cta_rd_uint(rd, ev, "new", false, INT64_MAX, &st->events_new);
		if (!err)
			err = cta_rd_uint(rd, ev, "update", false, INT64_MAX, &st->events_update);
		if (!err)
			err = cta_rd_uint(rd, ev, "destroy", false, INT64_MAX, &st->events_destroy);
		cta_rd_leave(rd);
	}
	if (!err)
		err = read_verdict_stats(rd, so, st);
	if (!err)
		err = read_process_stats(rd, so, st);
	if (!err)
		err = read_kernel_stats(rd, so, st);
	cta_rd_leave(rd);
	return err;
}

static int read_header(struct cta_rd *rd, json_t *top, struct cta_session *s)
{
	const char *format = NULL, *generator = "";
	uint64_t version = 0;
	int err;

	if (!json_is_object(top))
		return cta_rd_fail(rd, "not a conntrack-advise session (expected an object)");
	if (cta_rd_string(rd, top, "format", true, &format) || strcmp(format, CTA_SESSION_FORMAT)) {
		rd->path.depth = 0;
		return cta_rd_fail(rd, "not a conntrack-advise session (no \"format\": \"%s\")",
				   CTA_SESSION_FORMAT);
	}
	err = cta_rd_uint(rd, top, "version", true, INT32_MAX, &version);
	if (err)
		return err;
	if (version < 1 || version > CTA_SESSION_VERSION) {
		cta_jpath_push_key(&rd->path, "version");
		err = cta_rd_fail(
			rd,
			"session format version %llu; this conntrack-advise reads versions 1 to %d",
			(unsigned long long)version, CTA_SESSION_VERSION);
		cta_rd_leave(rd);
		return err;
	}
	err = cta_rd_string(rd, top, "generator", false, &generator);
	snprintf(s->generator, sizeof(s->generator), "%s", generator ? generator : "");
	return err;
}

/* Every flow's host name to its index in "hosts". */
int cta_rd_resolve_hosts(struct cta_rd *rd, struct cta_session *s)
{
	uint32_t *map;
	int err = 0;

	map = calloc(rd->n_hostnames + 1, sizeof(*map));
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
		if (f->host & CTA_RD_HOST_INDEX) {
			f->host &= ~CTA_RD_HOST_INDEX;
			if (f->host < s->n_hosts)
				continue;
			cta_jpath_push_key(&rd->path, "flows");
			cta_jpath_push_index(&rd->path, i);
			cta_jpath_push_key(&rd->path, "host");
			err = cta_rd_fail(rd, "%u is not an index in the session's \"hosts\"",
					  f->host);
			break;
		}
		if (map[f->host - 1] == UINT32_MAX) {
			cta_jpath_push_key(&rd->path, "flows");
			cta_jpath_push_index(&rd->path, i);
			cta_jpath_push_key(&rd->path, "host");
			err = cta_rd_fail(rd, "\"%s\" is not one of the session's \"hosts\"",
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
int cta_rd_top(struct cta_rd *rd, json_t *top, struct cta_session *s)
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

static bool number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/*
 * jansson says "too big integer" where the number ends: the number's own position,
 * field and text, worded as the readers word a value out of range. false: not found.
 */
static bool overflow_error(const char *name, const char *text, size_t len, const json_error_t *jerr,
			   struct cta_err *err)
{
	size_t pos = jerr->position > 0 && (size_t)jerr->position < len ? (size_t)jerr->position
									: len;
	size_t end = pos, start, shown;
	char path[256];
	int line, col;
	bool real, neg;

	while (end > 0 && pos - end < 2 && !number_char(text[end - 1]))
		end--; /* the lexer may have looked one character further */
	for (start = end; start > 0 && number_char(text[start - 1]); start--)
		;
	if (start == end)
		return false;
	real = memchr(text + start, '.', end - start) || memchr(text + start, 'e', end - start) ||
	       memchr(text + start, 'E', end - start);
	neg = text[start] == '-';
	shown = end - start > 40 ? 40 : end - start;
	cta_jsonpos_path_at(text, len, start, path, sizeof(path), &line, &col);
	snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: %s: %.*s%s is too %s%s", name, line, col,
		 path, (int)shown, text + start, shown < end - start ? "..." : "",
		 real  ? "big a number"
		 : neg ? "small"
		       : "big",
		 real  ? ""
		 : neg ? " (the smallest integer a session holds is -9223372036854775808)"
		       : " (the largest integer a session holds is 9223372036854775807)");
	return true;
}

int cta_rd_syntax_error(const char *name, const char *text, size_t len, const json_error_t *jerr,
			struct cta_err *err)
{
	if (json_error_code(jerr) == json_error_numeric_overflow &&
	    overflow_error(name, text, len, jerr, err))
		return -EBADMSG;
	snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: %s", name, jerr->line > 0 ? jerr->line : 1,
		 jerr->column > 0 ? jerr->column : 1, jerr->text);
	return -EBADMSG;
}

/*
 * The fast way, in one pass: the flows as the scan meets them, then the rest of the
 * document through jansson without its flows. -EAGAIN when it needs the general way.
 */
int cta_rd_failed(const char *name, int rc, struct cta_session *s, struct cta_err *err)
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
	struct cta_rd rd = { .name = name, .text = text, .len = len, .err = err };
	json_error_t jerr;
	json_t *top;
	int rc;

	memset(s, 0, sizeof(*s));
	err->msg[0] = '\0';
	top = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!top)
		return cta_rd_syntax_error(name, text, len, &jerr, err);
	rc = cta_rd_top(&rd, top, s);
	if (!rc)
		rc = read_flows(&rd, top, s);
	if (!rc)
		rc = cta_rd_resolve_hosts(&rd, s);
	json_decref(top);
	cta_rd_fini(&rd);
	return rc ? cta_rd_failed(name, rc, s, err) : 0;
}
