// SPDX-License-Identifier: GPL-2.0-or-later
#include <jansson.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "advisor/record/events.h"
#include "advisor/model/host.h"
#include "advisor/lib/util.h"

static json_t *when(uint64_t ns)
{
	char t[40];

	cta_format_time(ns, t, sizeof(t));
	return json_string(t);
}

static json_t *tuple(const struct cta_event *ev, const struct cta_tuple *t)
{
	char s[64], d[64];
	json_t *o;

	cta_addr_str(ev->family, &t->src, s, sizeof(s));
	cta_addr_str(ev->family, &t->dst, d, sizeof(d));
	o = json_pack("{s:s,s:s}", "src", s, "dst", d);
	if (!o)
		return NULL;
	if (cta_proto_has_ports(ev->l4proto)) {
		json_object_set_new(o, "sport", json_integer(t->sport));
		json_object_set_new(o, "dport", json_integer(t->dport));
	} else if (cta_proto_is_icmp(ev->l4proto)) {
		json_object_set_new(o, "type", json_integer(t->icmp_type));
		json_object_set_new(o, "code", json_integer(t->icmp_code));
		json_object_set_new(o, "id", json_integer(t->sport));
	}
	return o;
}

void cta_events_line(const struct cta_event *ev, const char *host, enum cta_direction dir,
		     struct cta_buf *out)
{
	bool end = ev->type == CTA_EV_CT_DESTROY;
	const char *proto = cta_proto_name(ev->l4proto);
	json_t *o;
	char *text;

	if (ev->type != CTA_EV_CT_NEW && !end)
		return;
	o = json_pack("{s:s,s:o,s:s}", "event", end ? "end" : "start", "time", when(ev->seen_ns),
		      "host", host);
	if (!o) {
		out->oom = true;
		return;
	}
	if (ev->flags & CTA_EVF_ID)
		json_object_set_new(o, "id", json_integer(ev->id));
	json_object_set_new(o, "family", json_string(ev->family == AF_INET ? "ipv4" : "ipv6"));
	json_object_set_new(o, "protocol", proto ? json_string(proto) : json_integer(ev->l4proto));
	json_object_set_new(o, "direction", json_string(cta_direction_name(dir)));
	json_object_set_new(o, "orig", tuple(ev, &ev->orig));
	json_object_set_new(o, "reply", tuple(ev, &ev->reply));
	if (end && (ev->flags & CTA_EVF_COUNTERS)) {
		json_object_set_new(o, "packets",
				    json_pack("{s:I,s:I}", "orig", (json_int_t)ev->packets[0],
					      "reply", (json_int_t)ev->packets[1]));
		json_object_set_new(o, "bytes",
				    json_pack("{s:I,s:I}", "orig", (json_int_t)ev->bytes[0],
					      "reply", (json_int_t)ev->bytes[1]));
	}
	if (ev->flags & CTA_EVF_TSTART)
		json_object_set_new(o, "started", when(ev->tstart_ns));
	if (end && (ev->flags & CTA_EVF_TSTOP))
		json_object_set_new(o, "ended", when(ev->tstop_ns));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text) {
		out->oom = true;
		return;
	}
	cta_buf_str(out, text);
	cta_buf_add(out, "\n", 1);
	free(text);
}
