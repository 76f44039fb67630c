// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/tuple.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/host.h"
#include "advisor/lib/util.h"

#define MAX_TOKENS 64
#define MAX_TOKEN 128

struct tok {
	char s[MAX_TOKEN];
	int col; /* 1-based */
};

struct parser {
	struct tok t[MAX_TOKENS];
	int n;
	struct cta_tuple_error *err;
	int end_col; /* the column just past the text, for "expected ... at the end" */
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, int col, const char *fmt, ...)
{
	va_list ap;

	p->err->column = col;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int push(struct parser *p, const char *s, size_t len, int col)
{
	if (p->n == MAX_TOKENS)
		return fail(p, col, "too many words for a tuple");
	if (len >= MAX_TOKEN)
		return fail(p, col, "a word of %zu characters is too long for a tuple", len);
	memcpy(p->t[p->n].s, s, len);
	p->t[p->n].s[len] = '\0';
	p->t[p->n].col = col;
	p->n++;
	return 0;
}

/* Whitespace separates words; "->" is a word of its own even when written a->b. */
static int tokenize(struct parser *p, const char *text)
{
	size_t i = 0, len = strlen(text);

	while (i < len) {
		size_t start, end;
		const char *arrow;

		if (isspace((unsigned char)text[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !isspace((unsigned char)text[i]))
			i++;
		end = i;
		while (start < end) {
			arrow = memmem(text + start, end - start, "->", 2);
			if (!arrow) {
				if (push(p, text + start, end - start, (int)start + 1))
					return -EINVAL;
				break;
			}
			if (arrow > text + start &&
			    push(p, text + start, (size_t)(arrow - text - start), (int)start + 1))
				return -EINVAL;
			if (push(p, "->", 2, (int)(arrow - text) + 1))
				return -EINVAL;
			start = (size_t)(arrow - text) + 2;
		}
	}
	p->end_col = (int)len + 1;
	return 0;
}

static const char *proto_label(uint8_t l4proto)
{
	return cta_proto_name(l4proto) ? cta_proto_name(l4proto) : "this protocol";
}

static bool number(const char *s, uint64_t max, uint64_t *v)
{
	return cta_parse_uint(s, 0, max, v) == 0;
}

static bool proto_word(const char *s, uint8_t *l4proto)
{
	uint64_t v;

	if (cta_proto_from_name(s, l4proto) == 0)
		return true;
	if (number(s, 255, &v) && v > 0) {
		*l4proto = (uint8_t)v;
		return true;
	}
	return false;
}

static int set_addr(struct parser *p, int col, const char *s, uint8_t *family, union cta_addr *a)
{
	if (cta_addr_parse(s, family, a) < 0)
		return fail(p, col, "'%s' is not an IPv4 or IPv6 address", s);
	return 0;
}

static int port(struct parser *p, int col, const char *s, uint16_t *out)
{
	uint64_t v;

	if (!number(s, 65535, &v) || v == 0)
		return fail(p, col, "expected a port from 1 to 65535, not '%s'", s);
	*out = (uint16_t)v;
	return 0;
}

/*
 * ADDR, ADDR:PORT, [V6ADDR] or [V6ADDR]:PORT; a bare IPv6 address (two colons or
 * more) has no port. *has_port says whether one was given.
 */
static int endpoint(struct parser *p, const struct tok *t, uint8_t *family, union cta_addr *a,
		    uint16_t *portv, bool *has_port)
{
	char addr[MAX_TOKEN];
	const char *s = t->s, *colon = strrchr(s, ':'), *close;

	*has_port = false;
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close)
			return fail(p, t->col, "expected ']' after an IPv6 address");
		memcpy(addr, s + 1, (size_t)(close - s - 1));
		addr[close - s - 1] = '\0';
		if (set_addr(p, t->col + 1, addr, family, a))
			return -EINVAL;
		if (*family != AF_INET6)
			return fail(p, t->col + 1, "brackets are for IPv6 addresses");
		if (close[1] == '\0')
			return 0;
		if (close[1] != ':')
			return fail(p, t->col + (int)(close - s) + 1,
				    "expected ':PORT' or nothing after ']'");
		*has_port = true;
		return port(p, t->col + (int)(close - s) + 2, close + 2, portv);
	}
	if (colon && strchr(s, ':') == colon) {
		/* one colon: IPv4 with a port */
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		if (set_addr(p, t->col, addr, family, a))
			return -EINVAL;
		*has_port = true;
		return port(p, t->col + (int)(colon - s) + 1, colon + 1, portv);
	}
	return set_addr(p, t->col, s, family, a);
}

static void fix_icmp_family(struct cta_tuple_query *q)
{
	/* "icmp" with IPv6 addresses means ICMPv6, as people say it */
	if ((q->has & CTA_TQ_FAMILY) && q->family == AF_INET6 && q->l4proto == IPPROTO_ICMP)
		q->l4proto = IPPROTO_ICMPV6;
	else if ((q->has & CTA_TQ_FAMILY) && q->family == AF_INET && q->l4proto == IPPROTO_ICMPV6)
		q->l4proto = IPPROTO_ICMP;
}

static int icmp_words(struct parser *p, int i, struct cta_tuple_query *q)
{
	while (i < p->n) {
		const struct tok *key = &p->t[i];
		uint64_t v;
		bool is_type = !strcmp(key->s, "type");

		if (!is_type && strcmp(key->s, "code"))
			return fail(p, key->col, "expected 'type N', 'code N' or the end, not '%s'",
				    key->s);
		if (!cta_proto_is_icmp(q->l4proto))
			return fail(p, key->col, "'%s' is for icmp and ipv6-icmp", key->s);
		if (i + 1 >= p->n || !number(p->t[i + 1].s, 255, &v))
			return fail(p, i + 1 < p->n ? p->t[i + 1].col : p->end_col,
				    "expected a number from 0 to 255 after '%s'", key->s);
		if (is_type)
			q->icmp_type = (uint8_t)v, q->has |= CTA_TQ_TYPE;
		else
			q->icmp_code = (uint8_t)v, q->has |= CTA_TQ_CODE;
		i += 2;
	}
	return 0;
}

/* PROTO SRC -> DST [type N] [code N] */
static int parse_arrow(struct parser *p, struct cta_tuple_query *q)
{
	uint8_t fs = 0, fd = 0;
	bool has_sport, has_dport;

	if (!proto_word(p->t[0].s, &q->l4proto))
		return fail(
			p, p->t[0].col,
			"expected a protocol (tcp, udp, icmp, ipv6-icmp, sctp, ... or a number), "
			"not '%s'",
			p->t[0].s);
	if (p->n < 2)
		return fail(p, p->end_col, "expected a source address after the protocol");
	if (endpoint(p, &p->t[1], &fs, &q->src, &q->sport, &has_sport))
		return -EINVAL;
	if (p->n < 3 || strcmp(p->t[2].s, "->"))
		return fail(p, p->n < 3 ? p->end_col : p->t[2].col,
			    "expected '->' after the source");
	if (p->n < 4)
		return fail(p, p->end_col, "expected a destination address after '->'");
	if (endpoint(p, &p->t[3], &fd, &q->dst, &q->dport, &has_dport))
		return -EINVAL;
	if (fs != fd)
		return fail(p, p->t[3].col, "expected an %s destination, like the source",
			    fs == AF_INET ? "IPv4" : "IPv6");
	q->family = fs;
	q->has |= CTA_TQ_FAMILY | CTA_TQ_SRC | CTA_TQ_DST;
	fix_icmp_family(q);
	if ((has_sport || has_dport) && !cta_proto_has_ports(q->l4proto))
		return fail(p, p->t[has_sport ? 1 : 3].col, "%s has no ports",
			    proto_label(q->l4proto));
	if (has_sport)
		q->has |= CTA_TQ_SPORT;
	if (has_dport)
		q->has |= CTA_TQ_DPORT;
	return icmp_words(p, 4, q);
}

/* key=value with a key of letters: the conntrack form. "=>" is not. */
static bool is_kv(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return false;
	for (const char *c = s; c < eq; c++)
		if (!isalpha((unsigned char)*c))
			return false;
	return true;
}

/* A value of a conntrack -L/-E line, or of `conntrack-advise flows`. */
static int kv(struct parser *p, const struct tok *t, const char *key, const char *val,
	      struct cta_tuple_query *q, uint8_t *family)
{
	int vcol = t->col + (int)strlen(key) + 1;
	uint64_t v;

	if (!strcmp(key, "src") || !strcmp(key, "dst")) {
		bool src = key[0] == 's';
		uint8_t fam;

		if (set_addr(p, vcol, val, &fam, src ? &q->src : &q->dst))
			return -EINVAL;
		if (*family && fam != *family)
			return fail(p, vcol, "'%s' is not of the same family as the other address",
				    val);
		*family = fam;
		q->has |= src ? CTA_TQ_SRC : CTA_TQ_DST;
		return 0;
	}
	if (!strcmp(key, "sport") || !strcmp(key, "dport")) {
		char lo[16];
		const char *dash = strchr(val, '-');
		bool s = key[0] == 's';

		if (!cta_proto_has_ports(q->l4proto))
			return fail(p, t->col, "%s has no ports", proto_label(q->l4proto));

		if (dash && (size_t)(dash - val) < sizeof(lo)) {
			/* a range from `flows`: one port only if both ends agree */
			memcpy(lo, val, (size_t)(dash - val));
			lo[dash - val] = '\0';
			if (strcmp(lo, dash + 1))
				return 0;
			val = dash + 1;
		}
		if (port(p, vcol, val, s ? &q->sport : &q->dport))
			return -EINVAL;
		q->has |= s ? CTA_TQ_SPORT : CTA_TQ_DPORT;
		return 0;
	}
	if (!strcmp(key, "type") || !strcmp(key, "code")) {
		if (!cta_proto_is_icmp(q->l4proto))
			return fail(p, t->col, "%s has no ICMP type or code",
				    proto_label(q->l4proto));
		if (!number(val, 255, &v))
			return fail(p, vcol, "expected a number from 0 to 255");
		if (key[0] == 't')
			q->icmp_type = (uint8_t)v, q->has |= CTA_TQ_TYPE;
		else
			q->icmp_code = (uint8_t)v, q->has |= CTA_TQ_CODE;
	}
	return 0; /* packets=, bytes=, mark=, id=, ...: not part of the tuple */
}

static int parse_kv(struct parser *p, struct cta_tuple_query *q)
{
	uint8_t family = 0;
	bool have_proto = false, seen_kv = false;

	for (int i = 0; i < p->n; i++) {
		struct tok *t = &p->t[i];
		char *eq = is_kv(t->s) ? strchr(t->s, '=') : NULL;

		if (!eq) {
			uint8_t proto;

			/* [NEW], ipv4 2, tcp 6, a timeout, ESTABLISHED, [ASSURED], in: skipped */
			if (!have_proto && !seen_kv && proto_word(t->s, &proto) &&
			    !isdigit((unsigned char)t->s[0])) {
				q->l4proto = proto;
				have_proto = true;
			}
			continue;
		}
		*eq = '\0';
		if (!have_proto)
			return fail(p, t->col, "expected a protocol (tcp, udp, ...) before '%s='",
				    t->s);
		/* the second src= starts the reply direction: the tuple is the first */
		if (!strcmp(t->s, "src") && (q->has & CTA_TQ_SRC))
			break;
		seen_kv = true;
		if (kv(p, t, t->s, eq + 1, q, &family))
			return -EINVAL;
	}
	if (!have_proto)
		return fail(p, 1, "expected a protocol (tcp, udp, icmp, ...)");
	if (family) {
		q->family = family;
		q->has |= CTA_TQ_FAMILY;
	}
	fix_icmp_family(q);
	return 0;
}

int cta_tuple_parse(const char *text, struct cta_tuple_query *q, struct cta_tuple_error *err)
{
	struct parser p = { .err = err };

	memset(q, 0, sizeof(*q));
	err->column = 0;
	err->msg[0] = '\0';
	if (tokenize(&p, text))
		return -EINVAL;
	if (!p.n)
		return fail(&p, 1, "expected a tuple, like 'tcp 198.51.100.7 -> 192.0.2.10:22'");
	for (int i = 0; i < p.n; i++)
		if (is_kv(p.t[i].s))
			return parse_kv(&p, q);
	return parse_arrow(&p, q);
}

static bool addr_eq(uint8_t family, const union cta_addr *a, const union cta_addr *b)
{
	return !memcmp(a->b, b->b, family == AF_INET ? 4 : 16);
}

bool cta_tuple_match(const struct cta_tuple_query *q, const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;

	if (q->l4proto != k->l4proto)
		return false;
	if ((q->has & CTA_TQ_FAMILY) && q->family != k->family)
		return false;
	if ((q->has & CTA_TQ_SRC) && !addr_eq(k->family, &q->src, &k->src))
		return false;
	/* the destination as the client saw it, or the one it was translated to */
	if ((q->has & CTA_TQ_DST) && !addr_eq(k->family, &q->dst, &k->dst) &&
	    !addr_eq(k->family, &q->dst, &k->reply_src))
		return false;
	if (cta_proto_has_ports(k->l4proto)) {
		if ((q->has & CTA_TQ_SPORT) && (q->sport < f->sport_min || q->sport > f->sport_max))
			return false;
		if ((q->has & CTA_TQ_DPORT) && q->dport != k->dport && q->dport != k->reply_sport)
			return false;
	}
	if ((q->has & CTA_TQ_TYPE) && q->icmp_type != k->icmp_type)
		return false;
	if ((q->has & CTA_TQ_CODE) && q->icmp_code != k->icmp_code)
		return false;
	return true;
}

static void endpoint_str(const struct cta_tuple_query *q, bool src, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool has_addr = q->has & (src ? CTA_TQ_SRC : CTA_TQ_DST);
	bool has_port = q->has & (src ? CTA_TQ_SPORT : CTA_TQ_DPORT);
	bool v6 = q->family == AF_INET6;

	if (has_addr)
		cta_addr_str(q->family, src ? &q->src : &q->dst, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "any");
	if (has_port)
		snprintf(buf, len, v6 && has_addr ? "[%s]:%u" : "%s:%u", a,
			 src ? q->sport : q->dport);
	else
		snprintf(buf, len, "%s", a);
}

void cta_tuple_format(const struct cta_tuple_query *q, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN + 10], d[INET6_ADDRSTRLEN + 10], proto[8];
	const char *name = cta_proto_name(q->l4proto);
	int n;

	if (!name) {
		snprintf(proto, sizeof(proto), "%u", q->l4proto);
		name = proto;
	}
	endpoint_str(q, true, s, sizeof(s));
	endpoint_str(q, false, d, sizeof(d));
	n = snprintf(buf, len, "%s %s -> %s", name, s, d);
	if (n > 0 && (size_t)n < len && (q->has & CTA_TQ_TYPE))
		n += snprintf(buf + n, len - (size_t)n, " type %u", q->icmp_type);
	if (n > 0 && (size_t)n < len && (q->has & CTA_TQ_CODE))
		snprintf(buf + n, len - (size_t)n, " code %u", q->icmp_code);
}
