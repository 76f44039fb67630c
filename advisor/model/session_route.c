// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a host's "routes" and "rules" and a flow's "iif" and "oif" (session version
 * 3 on; optional: older sessions have none of them).
 */
#include "advisor/model/session_rd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/util.h"

int cta_rd_ifname(struct cta_rd *rd, json_t *obj, const char *key, char buf[CTA_IFNAMSIZ])
{
	const char *s = NULL;
	int err = cta_rd_string(rd, obj, key, false, &s);

	if (err || !s)
		return err;
	/* the kernel's names have 1 to 15 characters */
	if (!*s || strlen(s) > CTA_IFNAME_MAX) {
		cta_jpath_push_key(&rd->path, key);
		err = cta_rd_fail(rd, "\"%.40s%s\" is not an interface name (1 to %d characters)",
				  s, strlen(s) > 40 ? "..." : "", CTA_IFNAME_MAX);
		cta_rd_leave(rd);
		return err;
	}
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* An address of the family ("192.0.2.1"), or with want_len a prefix ("192.0.2.0/24"). */
static int get_ip(struct cta_rd *rd, json_t *obj, const char *key, uint8_t family, bool want_len,
		  union cta_addr *a, uint8_t *len)
{
	const char *s = NULL;
	char ip[INET6_ADDRSTRLEN + 8], *slash = NULL;
	uint64_t plen = 0;
	uint8_t fam = 0;
	int err = cta_rd_string(rd, obj, key, false, &s);

	if (err || !s)
		return err;
	cta_jpath_push_key(&rd->path, key);
	if (strlen(s) < sizeof(ip)) {
		strcpy(ip, s);
		slash = strchr(ip, '/');
		if (slash)
			*slash++ = '\0';
	}
	if (strlen(s) >= sizeof(ip) || !slash != !want_len || cta_addr_parse(ip, &fam, a) < 0 ||
	    fam != family ||
	    (slash && cta_parse_uint(slash, 0, family == AF_INET ? 32 : 128, &plen) < 0))
		err = cta_rd_fail(rd, "\"%.60s\" is not an %s %s", s,
				  family == AF_INET ? "IPv4" : "IPv6",
				  want_len ? "prefix (ADDRESS/LENGTH)" : "address");
	if (len)
		*len = (uint8_t)plen;
	cta_rd_leave(rd);
	return err;
}

/* "type" or "action": a name the parser knows, or the kernel's number (0 to 255). */
static int get_kind(struct cta_rd *rd, json_t *obj, const char *key,
		    int (*parse)(const char *, uint8_t *), uint8_t *out)
{
	json_t *v = json_object_get(obj, key);
	uint64_t n = 0;
	int err;

	if (v && json_is_integer(v)) {
		err = cta_rd_uint(rd, obj, key, true, UINT8_MAX, &n);
		*out = (uint8_t)n;
		return err;
	}
	err = cta_rd_enter(rd, obj, key, JSON_STRING, true, &v);
	if (err)
		return err;
	if (parse(json_string_value(v), out) < 0)
		err = cta_rd_fail(rd, "\"%.40s\" is not a known %s", json_string_value(v), key);
	cta_rd_leave(rd);
	return err;
}

/* A field there and not null (null reads as absent, as everywhere in a session). */
static bool present(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && !json_is_null(v);
}

static int get_family(struct cta_rd *rd, json_t *o, uint8_t *family)
{
	const char *s = NULL;
	int err = cta_rd_string(rd, o, "family", true, &s);

	if (err)
		return err;
	*family = !strcmp(s, "ipv4") ? AF_INET : !strcmp(s, "ipv6") ? AF_INET6 : 0;
	if (*family)
		return 0;
	cta_jpath_push_key(&rd->path, "family");
	err = cta_rd_fail(rd, "\"%.40s\" is not ipv4 or ipv6", s);
	cta_rd_leave(rd);
	return err;
}

static int get_flag(struct cta_rd *rd, json_t *o, const char *key, bool *out)
{
	json_t *v;
	int err = cta_rd_enter(rd, o, key, JSON_TRUE, false, &v);

	if (!err && v) {
		*out = json_is_true(v);
		cta_rd_leave(rd);
	}
	return err;
}

static int get_u32(struct cta_rd *rd, json_t *o, const char *key, bool required, uint32_t *out)
{
	uint64_t v = 0;
	int err = cta_rd_uint(rd, o, key, required, UINT32_MAX, &v);

	*out = (uint32_t)v;
	return err;
}

static int get_unsupported(struct cta_rd *rd, json_t *o, char buf[CTA_UNSUPPORTED_MAX])
{
	const char *s = NULL;
	int err = cta_rd_string(rd, o, "unsupported", false, &s);

	if (!err && s)
		snprintf(buf, CTA_UNSUPPORTED_MAX, "%s", s);
	return err;
}

static int read_route(struct cta_rd *rd, json_t *o, struct cta_host *h)
{
	struct cta_route r = { 0 };
	uint32_t scope = 0;
	int err;

	if (!json_is_object(o))
		return cta_rd_fail(rd, "expected an object");
	err = get_family(rd, o, &r.family);
	if (!err && !present(o, "dst"))
		err = cta_rd_fail(rd, "missing field \"dst\"");
	if (!err)
		err = get_ip(rd, o, "dst", r.family, true, &r.dst, &r.dst_len);
	if (!err)
		err = get_kind(rd, o, "type", cta_route_type_from_name, &r.type);
	if (!err)
		err = get_u32(rd, o, "table", true, &r.table);
	if (!err)
		err = cta_rd_ifname(rd, o, "dev", r.dev);
	r.has_gateway = present(o, "gateway");
	if (!err && r.has_gateway)
		err = get_ip(rd, o, "gateway", r.family, false, &r.gateway, NULL);
	r.has_prefsrc = present(o, "src");
	if (!err && r.has_prefsrc)
		err = get_ip(rd, o, "src", r.family, false, &r.prefsrc, NULL);
	if (!err)
		err = get_u32(rd, o, "metric", false, &r.metric);
	if (!err)
		err = get_u32(rd, o, "scope", false, &scope);
	if (!err && scope > UINT8_MAX)
		err = cta_rd_fail(rd, "scope %u is not from 0 to 255", scope);
	r.scope = (uint8_t)scope;
	if (!err)
		err = get_flag(rd, o, "onlink", &r.onlink);
	if (!err)
		err = get_unsupported(rd, o, r.unsupported);
	return err ? err : cta_host_add_route(h, &r);
}

static int read_prule_match(struct cta_rd *rd, json_t *o, struct cta_prule *p)
{
	uint32_t tos = 0;
	int err = get_ip(rd, o, "from", p->family, true, &p->src, &p->src_len);

	if (!err)
		err = get_ip(rd, o, "to", p->family, true, &p->dst, &p->dst_len);
	if (!err)
		err = cta_rd_ifname(rd, o, "iif", p->iif);
	if (!err)
		err = cta_rd_ifname(rd, o, "oif", p->oif);
	p->has_fwmark = present(o, "fwmark");
	p->fwmask = 0xffffffffu;
	if (!err)
		err = get_u32(rd, o, "fwmark", false, &p->fwmark);
	if (!err)
		err = get_u32(rd, o, "fwmask", false, &p->fwmask);
	if (!err)
		err = get_u32(rd, o, "tos", false, &tos);
	if (!err && tos > UINT8_MAX)
		err = cta_rd_fail(rd, "tos %u is not from 0 to 255", tos);
	p->tos = (uint8_t)tos;
	p->has_suppress = present(o, "suppress_prefixlen");
	if (!err)
		err = get_u32(rd, o, "suppress_prefixlen", false, &p->suppress_prefixlen);
	return err;
}

static int read_prule(struct cta_rd *rd, json_t *o, struct cta_host *h)
{
	struct cta_prule p = { 0 };
	int err;

	if (!json_is_object(o))
		return cta_rd_fail(rd, "expected an object");
	err = get_family(rd, o, &p.family);
	if (!err)
		err = get_u32(rd, o, "priority", true, &p.priority);
	if (!err)
		err = get_kind(rd, o, "action", cta_prule_action_from_name, &p.action);
	if (!err)
		err = get_u32(rd, o, "table", false, &p.table);
	if (!err)
		err = get_flag(rd, o, "not", &p.invert);
	if (!err)
		err = read_prule_match(rd, o, &p);
	if (!err)
		err = get_unsupported(rd, o, p.unsupported);
	return err ? err : cta_host_add_prule(h, &p);
}

int cta_rd_routing(struct cta_rd *rd, json_t *ho, struct cta_host *h)
{
	static const char *const keys[] = { "routes", "rules" };
	int err = 0;

	for (int k = 0; k < 2 && !err; k++) {
		json_t *arr;

		err = cta_rd_enter(rd, ho, keys[k], JSON_ARRAY, false, &arr);
		if (err || !arr)
			continue;
		for (size_t i = 0; i < json_array_size(arr) && !err; i++) {
			json_t *o = json_array_get(arr, i);

			cta_jpath_push_index(&rd->path, i);
			err = k ? read_prule(rd, o, h) : read_route(rd, o, h);
			cta_jpath_pop(&rd->path);
		}
		cta_rd_leave(rd);
	}
	return err;
}
