// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/cli/flowjson.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/buf.h"
#include "advisor/lib/util.h"
#include "advisor/model/host.h"
#include "advisor/model/session.h"

#define FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

/* A shared value's text, dumped at depth 0, by the value's address. */
struct cached {
	const void *key;
	char *text;
	size_t len;
};

struct cta_flowjson {
	struct cached *slot;
	size_t mask, used;
	struct cta_buf item; /* the item being put together */
	struct cta_vtally sorted;
};

struct cta_flowjson *cta_flowjson_new(void)
{
	return calloc(1, sizeof(struct cta_flowjson));
}

void cta_flowjson_free(struct cta_flowjson *fj)
{
	if (!fj)
		return;
	for (size_t i = 0; fj->slot && i <= fj->mask; i++)
		free(fj->slot[i].text);
	free(fj->slot);
	free(fj->sorted.g);
	cta_buf_fini(&fj->item);
	free(fj);
}

static size_t slot_at(const struct cta_flowjson *fj, const void *key)
{
	size_t j = (size_t)(((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ULL) & fj->mask;

	while (fj->slot[j].key && fj->slot[j].key != key)
		j = (j + 1) & fj->mask;
	return j;
}

static int grow(struct cta_flowjson *fj)
{
	struct cached *old = fj->slot;
	size_t old_mask = fj->mask, n = fj->mask ? (fj->mask + 1) * 2 : 64;

	fj->slot = calloc(n, sizeof(*fj->slot));
	if (!fj->slot) {
		fj->slot = old;
		return -1;
	}
	fj->mask = n - 1;
	for (size_t i = 0; old && i <= old_mask; i++)
		if (old[i].key)
			fj->slot[slot_at(fj, old[i].key)] = old[i];
	free(old);
	return 0;
}

/* The text of key's JSON (made by make, dumped once); NULL when out of memory. */
static const struct cached *text_of(struct cta_flowjson *fj, const void *key, json_t *v_new)
{
	size_t j, need;
	struct cached *c;

	if ((fj->used + 1) * 2 > fj->mask + 1 && grow(fj)) {
		json_decref(v_new);
		return NULL;
	}
	j = slot_at(fj, key);
	c = &fj->slot[j];
	if (c->key) {
		json_decref(v_new);
		return c;
	}
	if (!v_new)
		return NULL;
	need = json_dumpb(v_new, NULL, 0, FLAGS);
	c->text = need ? malloc(need) : NULL;
	if (!c->text || json_dumpb(v_new, c->text, need, FLAGS) != need) {
		free(c->text);
		c->text = NULL;
		json_decref(v_new);
		return NULL;
	}
	json_decref(v_new);
	c->key = key;
	c->len = need;
	fj->used++;
	return c;
}

/* text (a value dumped at depth 0) as the value of a key indented by `indent`. */
static void add_indented(struct cta_buf *b, const char *text, size_t len, size_t indent)
{
	static const char spaces[] = "                                ";

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		cta_buf_add(b, p, n);
		if (nl)
			cta_buf_add(b, spaces, indent);
		p += n;
	}
}

static int add_verdicts(struct cta_flowjson *fj, const struct cta_vtally *t)
{
	struct cta_buf *b = &fj->item;
	const struct cta_vtally *v = t;

	if (t->n > 1) {
		struct cta_vcount *g = realloc(fj->sorted.g, t->n * sizeof(*t->g));

		if (!g)
			return CTA_EXIT_SYSTEM;
		fj->sorted.g = g;
		memcpy(g, t->g, t->n * sizeof(*t->g));
		fj->sorted.n = fj->sorted.cap = t->n;
		cta_vtally_sort(&fj->sorted);
		v = &fj->sorted;
	}
	cta_buf_str(b, ",\n      \"verdicts\": [");
	for (uint32_t i = 0; i < v->n; i++) {
		const struct cached *c = text_of(fj, v->g[i].v, cta_verdict_to_json(v->g[i].v));

		if (!c)
			return CTA_EXIT_SYSTEM;
		cta_buf_printf(b,
			       "%s\n        {\n          \"connections\": %llu,\n          "
			       "\"verdict\": ",
			       i ? "," : "", (unsigned long long)v->g[i].n);
		add_indented(b, c->text, c->len, 10);
		cta_buf_str(b, "\n        }");
	}
	cta_buf_str(b, "\n      ]");
	return CTA_EXIT_OK;
}

static void add_time(struct cta_buf *b, const char *key, uint64_t ns)
{
	char t[40];

	if (!ns) {
		cta_buf_printf(b, ",\n      \"%s\": null", key);
		return;
	}
	cta_format_time(ns, t, sizeof(t));
	cta_buf_printf(b, ",\n      \"%s\": \"%s\"", key, t);
}

static void add_pair(struct cta_buf *b, const char *key, uint64_t orig, uint64_t reply)
{
	cta_buf_printf(b,
		       ",\n      \"%s\": {\n        \"orig\": %lld,\n        \"reply\": %lld\n"
		       "      }",
		       key, (long long)orig, (long long)reply);
}

/* Plain ASCII with nothing JSON escapes: printed as it is. */
static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '"' ||
		    *s == '\\')
			return false;
	return true;
}

/*
 * "iif" and "oif" as cta_flow_to_json writes them: jansson escapes a name that needs it
 * (and leaves out one that is not UTF-8, as the session writer does).
 */
static void add_ifname(struct cta_buf *b, const char *key, const char *name)
{
	json_t *v;
	char *quoted;

	if (!name[0])
		return;
	if (plain(name)) {
		cta_buf_printf(b, ",\n      \"%s\": \"%s\"", key, name);
		return;
	}
	v = json_string(name);
	quoted = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	if (quoted)
		cta_buf_printf(b, ",\n      \"%s\": %s", key, quoted);
	free(quoted);
	json_decref(v);
}

/* "helper" and "related" as cta_flow_to_json writes them (helper names need no escaping). */
static void add_helper(struct cta_buf *b, const struct cta_flow *f)
{
	const struct cta_flow_master *m = &f->master;
	const char *proto = cta_proto_name(m->l4proto);
	char a[INET6_ADDRSTRLEN], z[INET6_ADDRSTRLEN], num[8];

	if (f->helper[0])
		cta_buf_printf(b, ",\n      \"helper\": \"%s\"", f->helper);
	if (!f->related)
		return;
	if (!m->l4proto) {
		cta_buf_str(b, ",\n      \"related\": {}");
		return;
	}
	if (!proto) {
		snprintf(num, sizeof(num), "%u", m->l4proto);
		proto = num;
	}
	cta_buf_printf(b,
		       ",\n      \"related\": {\n        \"protocol\": \"%s\",\n        \"src\": "
		       "\"%s\",\n        \"dst\": \"%s\"",
		       proto, cta_addr_str(f->key.family, &m->src, a, sizeof(a)),
		       cta_addr_str(f->key.family, &m->dst, z, sizeof(z)));
	if (cta_proto_has_ports(m->l4proto))
		cta_buf_printf(b, ",\n        \"dport\": %u", m->dport);
	cta_buf_str(b, "\n      }");
}

/*
 * The flow's own fields, as cta_flow_to_json has them and jansson indents them at
 * depth 2, without the closing brace: every value here is a name, an address, a time
 * or a number, none that JSON escapes. unit-flowjson compares the two on fixtures.
 */
static void add_core(struct cta_buf *b, const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;
	const char *proto = cta_proto_name(k->l4proto);
	char a[INET6_ADDRSTRLEN], z[INET6_ADDRSTRLEN], num[8];

	if (!proto) {
		snprintf(num, sizeof(num), "%u", k->l4proto);
		proto = num;
	}
	cta_buf_printf(
		b,
		"    {\n      \"family\": \"%s\",\n      \"protocol\": \"%s\",\n      "
		"\"direction\": \"%s\",\n      \"orig\": {\n        \"src\": \"%s\",\n        "
		"\"dst\": \"%s\"",
		k->family == AF_INET ? "ipv4" : "ipv6", proto, cta_direction_name(f->direction),
		cta_addr_str(k->family, &k->src, a, sizeof(a)),
		cta_addr_str(k->family, &k->dst, z, sizeof(z)));
	if (cta_proto_has_ports(k->l4proto))
		cta_buf_printf(b,
			       ",\n        \"sport_min\": %u,\n        \"sport_max\": %u,\n        "
			       "\"dport\": %u",
			       f->sport_min, f->sport_max, k->dport);
	else if (cta_proto_is_icmp(k->l4proto))
		cta_buf_printf(
			b,
			",\n        \"type\": %u,\n        \"code\": %u,\n        \"id_min\": "
			"%u,\n        \"id_max\": %u",
			k->icmp_type, k->icmp_code, f->sport_min, f->sport_max);
	cta_buf_str(b, "\n      }");
	if (cta_flow_translated(f)) {
		cta_buf_printf(b,
			       ",\n      \"reply\": {\n        \"src\": \"%s\",\n        \"dst\": "
			       "\"%s\"",
			       cta_addr_str(k->family, &k->reply_src, a, sizeof(a)),
			       cta_addr_str(k->family, &k->reply_dst, z, sizeof(z)));
		if (cta_proto_has_ports(k->l4proto))
			cta_buf_printf(b,
				       ",\n        \"sport\": %u,\n        \"dport_min\": %u,\n    "
				       "    \"dport_max\": %u",
				       k->reply_sport, f->rdport_min, f->rdport_max);
		cta_buf_str(b, "\n      }");
	}
	cta_buf_printf(b, ",\n      \"connections\": %lld", (long long)f->connections);
	if (f->leftover)
		cta_buf_printf(b, ",\n      \"leftover\": %lld", (long long)f->leftover);
	add_pair(b, "packets", f->packets[0], f->packets[1]);
	add_pair(b, "bytes", f->bytes[0], f->bytes[1]);
	add_time(b, "first_seen", f->first_ns);
	add_time(b, "last_seen", f->last_ns);
	cta_buf_printf(b, ",\n      \"state\": \"%s\"", cta_reached_name(f->reached));
	add_ifname(b, "iif", f->iif);
	add_ifname(b, "oif", f->oif);
	add_helper(b, f);
}

int cta_flowjson_text(struct cta_flowjson *fj, const struct cta_flow *f, const struct cta_vtally *t,
		      const struct cta_process *p, const char *host, const char **text, size_t *len)
{
	int rc;

	fj->item.len = 0;
	add_core(&fj->item, f);
	if (p) {
		const struct cached *c = text_of(fj, p, cta_process_to_json(p));

		if (!c)
			return CTA_EXIT_SYSTEM;
		cta_buf_str(&fj->item, ",\n      \"process\": ");
		add_indented(&fj->item, c->text, c->len, 6);
	}
	if (t && t->n && (rc = add_verdicts(fj, t)))
		return rc;
	if (host) {
		const struct cached *c = text_of(fj, host, json_string(host));

		if (!c)
			return CTA_EXIT_SYSTEM;
		cta_buf_str(&fj->item, ",\n      \"host\": ");
		cta_buf_add(&fj->item, c->text, c->len);
	}
	cta_buf_str(&fj->item, "\n    }");
	if (fj->item.oom)
		return CTA_EXIT_SYSTEM;
	*text = fj->item.p;
	*len = fj->item.len;
	return CTA_EXIT_OK;
}

int cta_flowjson_item(struct cta_flowjson *fj, struct cta_jstream *js, const struct cta_flow *f,
		      const struct cta_vtally *t, const struct cta_process *p, const char *host)
{
	const char *text;
	size_t len;
	int rc = cta_flowjson_text(fj, f, t, p, host, &text, &len);

	return rc ? rc : cta_jstream_raw(js, text, len);
}
