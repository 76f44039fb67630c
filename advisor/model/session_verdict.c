// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a verdict, a process and a flow's verdict counts from their session form
 * (the writer is session_write.c). Every field is checked with its path, so a bad
 * verdict is told where it is whichever reader met it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/util.h"
#include "advisor/model/session_rd.h"

#define CLEANUP_VERDICT _cleanup_(cta_verdict_unrefp)

/* An optional string field, copied into *out (NULL when absent). */
static int opt_str(struct cta_rd *rd, json_t *o, const char *key, char **out)
{
	const char *s = NULL;
	int err = cta_rd_string(rd, o, key, false, &s);

	if (err || !s)
		return err;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* A string field that must be one of the names parse() knows. */
static int named(struct cta_rd *rd, json_t *o, const char *key, bool required,
		 int (*parse)(const char *, int *), const char *what, int *out)
{
	const char *s = NULL;
	int err = cta_rd_string(rd, o, key, required, &s);

	if (err || !s)
		return err;
	if (parse(s, out) < 0) {
		cta_jpath_push_key(&rd->path, key);
		err = cta_rd_fail(rd, "\"%s\" is not %s", s, what);
		cta_rd_leave(rd);
	}
	return err;
}

static int parse_kind(const char *s, int *v)
{
	enum cta_vkind k;
	int err = cta_verdict_from_name(s, &k);

	*v = (int)k;
	return err;
}

static int parse_type(const char *s, int *v)
{
	for (int t = CTA_VTYPE_NONE; t <= CTA_VTYPE_OPEN; t++)
		if (!strcmp(s, cta_vtype_name(t))) {
			*v = t;
			return 0;
		}
	return -EINVAL;
}

static int parse_source(const char *s, int *v)
{
	for (int t = CTA_VSOURCE_TRACE; t <= CTA_VSOURCE_KERNEL; t++)
		if (!strcmp(s, cta_vsource_name(t))) {
			*v = t;
			return 0;
		}
	return -EINVAL;
}

/* An optional true or false. */
static int opt_bool(struct cta_rd *rd, json_t *o, const char *key, bool *out)
{
	json_t *b = json_object_get(o, key);

	if (!b)
		return 0;
	if (!json_is_boolean(b)) {
		cta_jpath_push_key(&rd->path, key);
		return cta_rd_fail(rd, "expected true or false");
	}
	*out = json_is_true(b);
	return 0;
}

static int read_vrule(struct cta_rd *rd, json_t *o, struct cta_vrule *r, bool legacy)
{
	int err;

	if (!json_is_object(o))
		return cta_rd_fail(rd, "expected an object");
	err = opt_str(rd, o, "chain", &r->chain);
	if (!err && json_object_get(o, "policy")) {
		r->policy = true;
		return opt_str(rd, o, "policy", &r->verdict);
	}
	if (!err)
		err = cta_rd_uint(rd, o, legacy ? "rule_num" : "handle", false, UINT64_MAX >> 1,
				  &r->handle);
	if (!err)
		err = opt_str(rd, o, "rule", &r->rule);
	if (!err)
		err = opt_str(rd, o, "verdict", &r->verdict);
	if (!err)
		err = opt_str(rd, o, "nat", &r->nat);
	if (!err)
		err = opt_str(rd, o, "to", &r->to);
	return err;
}

/* One of "deciders": a hook, and the rule or policy there, or type none. */
static int read_vdecider(struct cta_rd *rd, json_t *o, struct cta_vdecider *d)
{
	uint64_t handle = UINT64_MAX;
	int type = 0, kind = 0;
	int err;

	if (!json_is_object(o))
		return cta_rd_fail(rd, "expected an object");
	err = opt_str(rd, o, "hook", &d->hook);
	if (!err)
		err = named(rd, o, "type", true, parse_type, "rule, policy or none", &type);
	if (!err && type != CTA_VTYPE_RULE && type != CTA_VTYPE_POLICY && type != CTA_VTYPE_NONE) {
		cta_jpath_push_key(&rd->path, "type");
		err = cta_rd_fail(rd, "a decider is a rule, a policy or none");
		cta_rd_leave(rd);
	}
	if (!err)
		err = named(rd, o, "verdict", false, parse_kind, "a verdict", &kind);
	d->type = (uint8_t)type;
	d->verdict = (uint8_t)kind;
	if (!err)
		err = opt_bool(rd, o, "legacy", &d->legacy);
	if (!err)
		err = cta_rd_uint(rd, o, d->legacy ? "rule_num" : "handle", type == CTA_VTYPE_RULE,
				  UINT64_MAX >> 1, &handle);
	if (!err && handle != UINT64_MAX) {
		d->has_handle = true;
		d->handle = handle;
	}
	if (!err)
		err = opt_str(rd, o, "family", &d->family);
	if (!err)
		err = opt_str(rd, o, "table", &d->table);
	if (!err)
		err = opt_str(rd, o, "chain", &d->chain);
	return err ? err : opt_str(rd, o, "rule", &d->rule);
}

static int read_deciders(struct cta_rd *rd, json_t *o, struct cta_verdict *v)
{
	json_t *arr;
	int err = cta_rd_enter(rd, o, "deciders", JSON_ARRAY, false, &arr);

	if (err || !arr)
		return err;
	v->deciders = calloc(json_array_size(arr) + 1, sizeof(*v->deciders));
	if (!v->deciders)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < json_array_size(arr); i++, v->n_deciders++) {
		cta_jpath_push_index(&rd->path, i);
		err = read_vdecider(rd, json_array_get(arr, i), &v->deciders[i]);
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err;
}

static int read_vstage(struct cta_rd *rd, json_t *o, struct cta_vstage *st)
{
	json_t *prio, *rules;
	int err;

	if (!json_is_object(o))
		return cta_rd_fail(rd, "expected an object");
	err = opt_str(rd, o, "family", &st->family);
	if (!err)
		err = opt_str(rd, o, "table", &st->table);
	if (!err)
		err = opt_str(rd, o, "chain", &st->chain);
	if (!err)
		err = opt_str(rd, o, "hook", &st->hook);
	if (!err)
		err = opt_str(rd, o, "policy", &st->policy);
	if (!err)
		err = opt_str(rd, o, "verdict", &st->verdict);
	if (!err)
		err = opt_bool(rd, o, "legacy", &st->legacy);
	if (!err)
		err = opt_str(rd, o, "type", &st->type);
	if (!err) {
		char *by = NULL;

		err = opt_str(rd, o, "by", &by);
		st->by_policy = by && !strcmp(by, "policy");
		free(by);
	}
	if (!err)
		err = cta_rd_enter(rd, o, "priority", JSON_INTEGER, false, &prio);
	if (!err && prio) {
		st->has_priority = true;
		st->priority = json_integer_value(prio);
		cta_rd_leave(rd);
	}
	if (!err)
		err = cta_rd_enter(rd, o, "rules", JSON_ARRAY, false, &rules);
	if (err || !rules)
		return err;
	st->rules = calloc(json_array_size(rules) + 1, sizeof(*st->rules));
	if (!st->rules)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < json_array_size(rules); i++, st->n_rules++) {
		cta_jpath_push_index(&rd->path, i);
		err = read_vrule(rd, json_array_get(rules, i), &st->rules[i], st->legacy);
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err;
}

static int read_path(struct cta_rd *rd, json_t *o, struct cta_verdict *v)
{
	json_t *path;
	int err = cta_rd_enter(rd, o, "path", JSON_ARRAY, false, &path);

	if (err || !path)
		return err;
	v->has_path = true;
	v->path = calloc(json_array_size(path) + 1, sizeof(*v->path));
	if (!v->path)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < json_array_size(path); i++, v->n_path++) {
		cta_jpath_push_index(&rd->path, i);
		err = read_vstage(rd, json_array_get(path, i), &v->path[i]);
		cta_jpath_pop(&rd->path);
	}
	cta_rd_leave(rd);
	return err;
}

/* An optional u32 with its presence flag. */
static int opt_u32(struct cta_rd *rd, json_t *o, const char *key, bool *has, uint32_t *out)
{
	uint64_t n = UINT64_MAX;
	int err = cta_rd_uint(rd, o, key, false, UINT32_MAX, &n);

	if (!err && n != UINT64_MAX) {
		*has = true;
		*out = (uint32_t)n;
	}
	return err;
}

/* What it was and what decided it; a rule or policy names where. */
static int read_decider(struct cta_rd *rd, json_t *o, struct cta_verdict *v)
{
	int kind = 0, type = 0, source = 0;
	uint64_t handle = UINT64_MAX;
	bool decided, legacy = false;
	int err = named(rd, o, "verdict", true, parse_kind, "a verdict", &kind);

	if (!err)
		err = named(rd, o, "type", true, parse_type, "rule, policy, open, unknown or none",
			    &type);
	if (!err)
		err = named(rd, o, "source", false, parse_source, "trace or nflog", &source);
	v->verdict = (uint8_t)kind;
	v->type = (uint8_t)type;
	v->source = (uint8_t)source;
	decided = type == CTA_VTYPE_RULE || type == CTA_VTYPE_POLICY;
	if (!err && decided) {
		const char *s;

		err = cta_rd_string(rd, o, "table", true, &s);
		if (!err)
			err = cta_rd_string(rd, o, "chain", true, &s);
	}
	if (!err)
		err = opt_bool(rd, o, "legacy", &legacy);
	v->legacy = legacy;
	/* an iptables-legacy rule has its number in its chain; an nf_tables one, a handle */
	if (!err)
		err = cta_rd_uint(rd, o, legacy ? "rule_num" : "handle", type == CTA_VTYPE_RULE,
				  UINT64_MAX >> 1, &handle);
	if (!err && handle != UINT64_MAX) {
		v->has_handle = true;
		v->handle = handle;
	}
	if (!err)
		err = opt_str(rd, o, "family", &v->family);
	if (!err)
		err = opt_str(rd, o, "table", &v->table);
	if (!err)
		err = opt_str(rd, o, "chain", &v->chain);
	return err ? err : opt_str(rd, o, "rule", &v->rule);
}

int cta_rd_verdict(struct cta_rd *rd, json_t *o, struct cta_verdict **out)
{
	CLEANUP_VERDICT struct cta_verdict *v = cta_verdict_new();
	int err;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	err = read_decider(rd, o, v);
	if (!err)
		err = read_deciders(rd, o, v);
	if (!err)
		err = read_path(rd, o, v);
	if (!err)
		err = cta_rd_uint(rd, o, "steps_not_kept", false, INT64_MAX, &v->steps_not_kept);
	if (!err)
		err = opt_u32(rd, o, "uid", &v->has_uid, &v->uid);
	if (!err)
		err = opt_u32(rd, o, "gid", &v->has_gid, &v->gid);
	if (err)
		return err;
	*out = v;
	v = NULL;
	return 0;
}

int cta_rd_process(struct cta_rd *rd, json_t *o, struct cta_process **out)
{
	_cleanup_(cta_process_unrefp) struct cta_process *p = cta_process_new();
	/* eBPF names the program; NFLOG alone gives only the uid and gid */
	int err = p ? opt_u32(rd, o, "pid", &p->has_pid, &p->pid) : -ENOMEM;

	*out = NULL;
	if (!err)
		err = opt_str(rd, o, "comm", &p->comm);
	if (!err)
		err = opt_str(rd, o, "exe", &p->exe);
	if (!err)
		err = opt_u32(rd, o, "uid", &p->has_uid, &p->uid);
	if (!err)
		err = opt_str(rd, o, "user", &p->user);
	if (!err)
		err = opt_u32(rd, o, "gid", &p->has_gid, &p->gid);
	if (!err)
		err = opt_str(rd, o, "cgroup", &p->cgroup);
	if (err)
		return err;
	*out = p;
	p = NULL;
	return 0;
}

int cta_rd_flow_process(struct cta_rd *rd, json_t *fo, struct cta_process **out)
{
	json_t *o;
	int err = cta_rd_enter(rd, fo, "process", JSON_OBJECT, false, &o);

	*out = NULL;
	if (err || !o)
		return err;
	err = cta_rd_process(rd, o, out);
	cta_rd_leave(rd);
	return err;
}

/* One entry of "verdicts": {"connections": N, "verdict": {...}}. */
static int read_vcount(struct cta_rd *rd, json_t *e, struct cta_vtally *t)
{
	CLEANUP_VERDICT struct cta_verdict *v = NULL;
	uint64_t n = 0;
	json_t *o;
	int err;

	if (!json_is_object(e))
		return cta_rd_fail(rd, "expected an object");
	err = cta_rd_uint(rd, e, "connections", true, INT64_MAX, &n);
	if (!err)
		err = cta_rd_enter(rd, e, "verdict", JSON_OBJECT, true, &o);
	if (err)
		return err;
	err = cta_rd_verdict(rd, o, &v);
	cta_rd_leave(rd);
	return err ? err : cta_vtally_add(t, v, n);
}

int cta_rd_flow_verdicts(struct cta_rd *rd, json_t *fo, uint64_t connections, struct cta_vtally *t)
{
	CLEANUP_VERDICT struct cta_verdict *v = NULL;
	json_t *arr, *o;
	int err = cta_rd_enter(rd, fo, "verdicts", JSON_ARRAY, false, &arr);

	if (!err && arr) {
		for (size_t i = 0; !err && i < json_array_size(arr); i++) {
			cta_jpath_push_index(&rd->path, i);
			err = read_vcount(rd, json_array_get(arr, i), t);
			cta_jpath_pop(&rd->path);
		}
		cta_rd_leave(rd);
		return err;
	}
	/* version 1: one verdict, for every connection the flow had */
	if (!err)
		err = cta_rd_enter(rd, fo, "verdict", JSON_OBJECT, false, &o);
	if (err || !o)
		return err;
	err = cta_rd_verdict(rd, o, &v);
	cta_rd_leave(rd);
	return err ? err : cta_vtally_add(t, v, connections ? connections : 1);
}

/* A reader of one object that is not in a file: errors name the path alone. */
static int from_json(json_t *o, struct cta_err *err, void **out,
		     int (*rd_fn)(struct cta_rd *, json_t *, void **))
{
	struct cta_rd rd = { .name = "(json)", .text = "", .err = err };

	err->msg[0] = '\0';
	if (!json_is_object(o)) {
		snprintf(err->msg, sizeof(err->msg), "expected an object");
		return -EBADMSG;
	}
	return rd_fn(&rd, o, out);
}

static int rd_verdict_v(struct cta_rd *rd, json_t *o, void **out)
{
	return cta_rd_verdict(rd, o, (struct cta_verdict **)out);
}

static int rd_process_v(struct cta_rd *rd, json_t *o, void **out)
{
	return cta_rd_process(rd, o, (struct cta_process **)out);
}

int cta_verdict_from_json(json_t *o, struct cta_verdict **out, struct cta_err *err)
{
	return from_json(o, err, (void **)out, rd_verdict_v);
}

int cta_process_from_json(json_t *o, struct cta_process **out, struct cta_err *err)
{
	return from_json(o, err, (void **)out, rd_process_v);
}
