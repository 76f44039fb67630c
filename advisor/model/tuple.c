// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/tuple.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
	int id_col; /* where an ICMP echo identifier was given, for errors found after */
	/*
	 * nft's trace of an ICMPv6 echo: "icmpv6 parameter-problem N", bytes 4-7 of the
	 * header as one number (nft 1.0.6 picks that field), N = identifier << 16 | sequence
	 */
	bool has_word4;
	uint32_t word4;
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
	char lower[MAX_TOKEN];
	size_t i;
	uint64_t v;

	/* TCP, Udp: as people type them */
	for (i = 0; s[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)s[i]);
	lower[i] = '\0';
	if (cta_proto_from_name(lower, l4proto) == 0)
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

/* ADDR or ADDR/LEN (a subnet: the bits past LEN are cleared); *plen 0 for ADDR. */
static int set_net(struct parser *p, int col, const char *s, uint8_t *family, union cta_addr *a,
		   uint8_t *plen)
{
	char addr[MAX_TOKEN];
	const char *slash = strchr(s, '/');
	uint64_t len;
	unsigned bits;

	*plen = 0;
	if (!slash)
		return set_addr(p, col, s, family, a);
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (set_addr(p, col, addr, family, a))
		return -EINVAL;
	bits = *family == AF_INET ? 32 : 128;
	if (!number(slash + 1, bits, &len) || len == 0)
		return fail(p, col + (int)(slash - s) + 1,
			    "expected a prefix length from 1 to %u after '/'", bits);
	if (len == bits)
		return 0;
	*plen = (uint8_t)len;
	for (unsigned b = (unsigned)len; b < bits; b++)
		a->b[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	return 0;
}

/* A port: a number, or a service name of the services database for this protocol. */
static int port(struct parser *p, int col, const char *s, uint8_t l4proto, uint16_t *out)
{
	const char *proto = l4proto == IPPROTO_UDP || l4proto == IPPROTO_UDPLITE ? "udp"
			    : l4proto == IPPROTO_SCTP				 ? "sctp"
			    : l4proto == IPPROTO_DCCP				 ? "dccp"
										 : "tcp";
	struct servent *se;
	uint64_t v;

	if (number(s, 65535, &v) && v > 0) {
		*out = (uint16_t)v;
		return 0;
	}
	if (!*s || isdigit((unsigned char)*s))
		return fail(p, col, "expected a port from 1 to 65535, not '%s'", s);
	/* a service known for TCP only (most) is still its port for UDP or SCTP */
	se = getservbyname(s, proto);
	if (!se && strcmp(proto, "tcp"))
		se = getservbyname(s, "tcp");
	if (!se)
		return fail(p, col,
			    "'%s' is neither a port nor a service of the services database "
			    "(/etc/services)",
			    s);
	*out = ntohs((uint16_t)se->s_port);
	return 0;
}

/*
 * ADDR, ADDR:PORT, [V6ADDR] or [V6ADDR]:PORT, ADDR/LEN (a subnet) in each, or "any";
 * a bare IPv6 address (two colons or more) has no port. PORT may be a service name.
 * *has_addr and *has_port say what was given.
 */
static int endpoint(struct parser *p, const struct tok *t, uint8_t l4proto, uint8_t *family,
		    union cta_addr *a, uint8_t *plen, uint16_t *portv, bool *has_addr,
		    bool *has_port)
{
	char addr[MAX_TOKEN];
	const char *s = t->s, *colon = strrchr(s, ':'), *close;

	*has_port = false;
	*has_addr = true;
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close)
			return fail(p, t->col, "expected ']' after an IPv6 address");
		memcpy(addr, s + 1, (size_t)(close - s - 1));
		addr[close - s - 1] = '\0';
		if (set_net(p, t->col + 1, addr, family, a, plen))
			return -EINVAL;
		if (*family != AF_INET6)
			return fail(p, t->col + 1, "brackets are for IPv6 addresses");
		if (close[1] == '\0')
			return 0;
		if (close[1] != ':')
			return fail(p, t->col + (int)(close - s) + 1,
				    "expected ':PORT' or nothing after ']'");
		*has_port = true;
		return port(p, t->col + (int)(close - s) + 2, close + 2, l4proto, portv);
	}
	if (colon && strchr(s, ':') == colon) {
		/* one colon: IPv4 (or "any") with a port */
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		*has_port = true;
		if (!strcmp(addr, "any") || !*addr)
			*has_addr = false;
		else if (set_net(p, t->col, addr, family, a, plen))
			return -EINVAL;
		return port(p, t->col + (int)(colon - s) + 1, colon + 1, l4proto, portv);
	}
	if (!strcmp(s, "any")) {
		*has_addr = false;
		return 0;
	}
	return set_net(p, t->col, s, family, a, plen);
}

static void fix_icmp_family(struct cta_tuple_query *q)
{
	/* "icmp" with IPv6 addresses means ICMPv6, as people say it */
	if ((q->has & CTA_TQ_FAMILY) && q->family == AF_INET6 && q->l4proto == IPPROTO_ICMP)
		q->l4proto = IPPROTO_ICMPV6;
	else if ((q->has & CTA_TQ_FAMILY) && q->family == AF_INET && q->l4proto == IPPROTO_ICMPV6)
		q->l4proto = IPPROTO_ICMP;
}

/* ICMP and ICMPv6 types by the names nft gives them. */
static const struct {
	const char *name;
	uint8_t v4, v6; /* 255: none of that name */
} icmp_types[] = {
	{ "echo-reply", 0, 129 },
	{ "destination-unreachable", 3, 1 },
	{ "source-quench", 4, 255 },
	{ "redirect", 5, 137 },
	{ "echo-request", 8, 128 },
	{ "router-advertisement", 9, 134 },
	{ "router-solicitation", 10, 133 },
	{ "time-exceeded", 11, 3 },
	{ "parameter-problem", 12, 4 },
	{ "timestamp-request", 13, 255 },
	{ "timestamp-reply", 14, 255 },
	{ "packet-too-big", 255, 2 },
	{ "nd-router-solicit", 255, 133 },
	{ "nd-router-advert", 255, 134 },
	{ "nd-neighbor-solicit", 255, 135 },
	{ "nd-neighbor-advert", 255, 136 },
	{ "nd-redirect", 255, 137 },
	{ "info-request", 15, 255 },
	{ "info-reply", 16, 255 },
	{ "address-mask-request", 17, 255 },
	{ "address-mask-reply", 18, 255 },
	{ "mld-listener-query", 255, 130 },
	{ "mld-listener-report", 255, 131 },
	{ "mld-listener-done", 255, 132 },
	{ "mld-listener-reduction", 255, 132 },
	{ "router-renumbering", 255, 138 },
	{ "ind-neighbor-solicit", 255, 141 },
	{ "ind-neighbor-advert", 255, 142 },
	{ "mld2-listener-report", 255, 143 },
};

bool cta_icmp_type_parse(const char *s, uint8_t l4proto, uint8_t *out)
{
	uint64_t v;

	if (number(s, 255, &v)) {
		*out = (uint8_t)v;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(icmp_types); i++) {
		uint8_t t = l4proto == IPPROTO_ICMPV6 ? icmp_types[i].v6 : icmp_types[i].v4;

		if (!strcmp(s, icmp_types[i].name) && t != 255) {
			*out = t;
			return true;
		}
	}
	return false;
}

static bool is_word(const char *s)
{
	return !strcmp(s, "type") || !strcmp(s, "code") || !strcmp(s, "id") || !strcmp(s, "port") ||
	       !strcmp(s, "dport") || !strcmp(s, "sport");
}

/* What a word of words() sets: CTA_TQ_DPORT for port and dport... */
static unsigned word_field(const char *s)
{
	return !strcmp(s, "type")    ? CTA_TQ_TYPE
	       : !strcmp(s, "code")  ? CTA_TQ_CODE
	       : !strcmp(s, "id")    ? CTA_TQ_ID
	       : !strcmp(s, "sport") ? CTA_TQ_SPORT
				     : CTA_TQ_DPORT;
}

/*
 * The words after the addresses: type N, code N, id N, port P (or dport P), sport P;
 * each once (`id 5 id 6` names no one connection, nor does `B:22 port 80`).
 */
static int words(struct parser *p, int i, struct cta_tuple_query *q)
{
	while (i < p->n) {
		const struct tok *key = &p->t[i];
		const char *val = i + 1 < p->n ? p->t[i + 1].s : NULL;
		int vcol = i + 1 < p->n ? p->t[i + 1].col : p->end_col;
		uint64_t v;

		if (!is_word(key->s))
			return fail(p, key->col,
				    "expected 'port P', 'sport P', 'type N', 'code N', 'id N' or "
				    "the end, not '%s'",
				    key->s);
		if (q->has & word_field(key->s))
			return fail(p, key->col, "the tuple already has its %s",
				    key->s[0] == 't'   ? "type"
				    : key->s[0] == 'c' ? "code"
				    : key->s[0] == 'i' ? "echo identifier"
				    : key->s[0] == 's' ? "source port"
						       : "destination port");
		if (!strcmp(key->s, "id")) {
			if (!cta_proto_is_icmp(q->l4proto))
				return fail(p, key->col, "'id' is for icmp and ipv6-icmp");
			if (!val || !number(val, 65535, &v))
				return fail(
					p, vcol,
					"expected an echo identifier from 0 to 65535 after 'id'");
			q->icmp_id = (uint16_t)v;
			q->has |= CTA_TQ_ID;
			p->id_col = key->col;
		} else if (key->s[0] == 't' || key->s[0] == 'c') {
			bool is_type = key->s[0] == 't';

			if (!cta_proto_is_icmp(q->l4proto))
				return fail(p, key->col, "'%s' is for icmp and ipv6-icmp", key->s);
			if (is_type &&
			    (!val || !cta_icmp_type_parse(val, q->l4proto, &q->icmp_type)))
				return fail(p, vcol,
					    "expected a number from 0 to 255 or a type name "
					    "(echo-request...) after 'type'");
			if (!is_type && (!val || !number(val, 255, &v)))
				return fail(p, vcol,
					    "expected a number from 0 to 255 after 'code'");
			if (is_type)
				q->has |= CTA_TQ_TYPE;
			else
				q->icmp_code = (uint8_t)v, q->has |= CTA_TQ_CODE;
		} else {
			bool src = key->s[0] == 's';

			if (!cta_proto_has_ports(q->l4proto))
				return fail(p, key->col, "%s has no ports",
					    proto_label(q->l4proto));
			if (!val)
				return fail(p, vcol, "expected a port or a service after '%s'",
					    key->s);
			if (port(p, vcol, val, q->l4proto, src ? &q->sport : &q->dport))
				return -EINVAL;
			q->has |= src ? CTA_TQ_SPORT : CTA_TQ_DPORT;
		}
		i += 2;
	}
	return 0;
}

/* PROTO SRC -> DST [words], or PROTO words ("tcp port ssh") */
static int parse_arrow(struct parser *p, struct cta_tuple_query *q)
{
	uint8_t fs = 0, fd = 0;
	bool has_src, has_dst, has_sport, has_dport;

	if (!proto_word(p->t[0].s, &q->l4proto))
		return fail(
			p, p->t[0].col,
			"expected a protocol (tcp, udp, icmp, ipv6-icmp, sctp, ... or a number), "
			"not '%s'",
			p->t[0].s);
	if (p->n >= 2 && is_word(p->t[1].s))
		return words(p, 1, q);
	if (p->n < 2)
		return fail(p, p->end_col, "expected a source address after the protocol");
	if (endpoint(p, &p->t[1], q->l4proto, &fs, &q->src, &q->src_plen, &q->sport, &has_src,
		     &has_sport))
		return -EINVAL;
	if (p->n < 3 || strcmp(p->t[2].s, "->"))
		return fail(p, p->n < 3 ? p->end_col : p->t[2].col,
			    "expected '->' after the source");
	if (p->n < 4)
		return fail(p, p->end_col, "expected a destination address after '->'");
	if (endpoint(p, &p->t[3], q->l4proto, &fd, &q->dst, &q->dst_plen, &q->dport, &has_dst,
		     &has_dport))
		return -EINVAL;
	if (fs && fd && fs != fd)
		return fail(p, p->t[3].col, "expected an %s destination, like the source",
			    fs == AF_INET ? "IPv4" : "IPv6");
	q->family = fs ? fs : fd;
	if (q->family)
		q->has |= CTA_TQ_FAMILY;
	q->has |= (has_src ? CTA_TQ_SRC : 0) | (has_dst ? CTA_TQ_DST : 0);
	fix_icmp_family(q);
	if ((has_sport || has_dport) && !cta_proto_has_ports(q->l4proto))
		return fail(p, p->t[has_sport ? 1 : 3].col, "%s has no ports",
			    proto_label(q->l4proto));
	if (has_sport)
		q->has |= CTA_TQ_SPORT;
	if (has_dport)
		q->has |= CTA_TQ_DPORT;
	return words(p, 4, q);
}

/* "ip saddr A": does an address field start at token i? 's' or 'd', or 0. */
static char nft_addr_field(const struct parser *p, int i)
{
	const char *a = p->t[i].s, *b = p->t[i + 1].s;

	if (strcmp(a, "ip") && strcmp(a, "ip6"))
		return 0;
	return !strcmp(b, "saddr") ? 's' : !strcmp(b, "daddr") ? 'd' : 0;
}

/* One "FIELD KEY VALUE" triple of an nft trace line; 1 when it was not one of ours. */
static int nft_field(struct parser *p, int i, struct cta_tuple_query *q, uint8_t *family,
		     uint8_t *proto)
{
	const char *a = p->t[i].s, *b = p->t[i + 1].s;
	const struct tok *val = &p->t[i + 2];
	char which = nft_addr_field(p, i);
	bool icmp = !strcmp(a, "icmp") || !strcmp(a, "icmpv6");
	uint8_t fam, l4;
	uint64_t v;

	if (which) {
		if (set_addr(p, val->col, val->s, &fam, which == 's' ? &q->src : &q->dst))
			return -EINVAL;
		if (*family && fam != *family)
			return fail(p, val->col, "'%s' is not of the family of the other address",
				    val->s);
		*family = fam;
		q->has |= which == 's' ? CTA_TQ_SRC : CTA_TQ_DST;
	} else if ((!strcmp(b, "protocol") || !strcmp(b, "nexthdr") || !strcmp(b, "l4proto")) &&
		   (!strcmp(a, "ip") || !strcmp(a, "ip6") || !strcmp(a, "meta"))) {
		if (!proto_word(val->s, proto))
			return fail(p, val->col, "'%s' is not a protocol", val->s);
	} else if ((!strcmp(b, "sport") || !strcmp(b, "dport")) && proto_word(a, &l4) &&
		   cta_proto_has_ports(l4)) {
		*proto = l4;
		if (port(p, val->col, val->s, *proto, b[0] == 's' ? &q->sport : &q->dport))
			return -EINVAL;
		q->has |= b[0] == 's' ? CTA_TQ_SPORT : CTA_TQ_DPORT;
	} else if (icmp && !strcmp(b, "type")) {
		*proto = a[4] ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		if (!cta_icmp_type_parse(val->s, *proto, &q->icmp_type))
			return fail(p, val->col, "'%s' is not an ICMP type", val->s);
		q->has |= CTA_TQ_TYPE;
	} else if (icmp && !strcmp(b, "code") && number(val->s, 255, &v)) {
		q->icmp_code = (uint8_t)v;
		q->has |= CTA_TQ_CODE;
	} else if (icmp && !strcmp(b, "id") && number(val->s, 65535, &v)) {
		q->icmp_id = (uint16_t)v;
		q->has |= CTA_TQ_ID;
		p->id_col = p->t[i].col;
	} else if (icmp && (!strcmp(b, "parameter-problem") || !strcmp(b, "mtu")) &&
		   number(val->s, UINT32_MAX, &v)) {
		p->has_word4 = true;
		p->word4 = (uint32_t)v;
	} else {
		return 1;
	}
	return 0;
}

/*
 * A line from `nft monitor trace`: "trace id 1 inet filter input packet: iif ... ip
 * saddr A ip daddr B ... ip protocol tcp ... tcp sport N tcp dport M tcp flags ...".
 * Only the header fields of the tuple are read; everything else is skipped.
 */
static int parse_nft(struct parser *p, struct cta_tuple_query *q)
{
	uint8_t family = 0, proto = 0;

	for (int i = 0; i + 2 < p->n; i++) {
		int rc = nft_field(p, i, q, &family, &proto);

		if (rc < 0)
			return rc;
		if (rc == 0)
			i += 2;
	}
	if (!proto)
		return fail(p, 1,
			    "no protocol in this trace line (no 'ip protocol', 'tcp dport'...)");
	q->l4proto = proto;
	/* fields of another protocol than the one the line ends up with are not its own */
	if (!cta_proto_has_ports(proto)) {
		q->has &= ~(CTA_TQ_SPORT | CTA_TQ_DPORT);
		q->sport = q->dport = 0;
	}
	if (!cta_proto_is_icmp(proto)) {
		q->has &= ~(CTA_TQ_TYPE | CTA_TQ_CODE | CTA_TQ_ID);
		q->icmp_type = q->icmp_code = 0;
		q->icmp_id = 0;
	}
	/* an echo's bytes 4-7 printed as one field: the identifier is the first half */
	if (p->has_word4 && !(q->has & CTA_TQ_ID) && (q->has & CTA_TQ_TYPE) &&
	    cta_proto_is_icmp(proto) && cta_icmp_has_id(proto, q->icmp_type)) {
		q->icmp_id = (uint16_t)(p->word4 >> 16);
		q->has |= CTA_TQ_ID;
	}
	if (family) {
		q->family = family;
		q->has |= CTA_TQ_FAMILY;
	}
	fix_icmp_family(q);
	return 0;
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

/*
 * A value of a conntrack -L/-E line, or of `conntrack-advise flows`; after_code: the
 * key=value before it was code=.
 */
static int kv(struct parser *p, const struct tok *t, const char *key, const char *val,
	      struct cta_tuple_query *q, uint8_t *family, bool after_code)
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
		if (port(p, vcol, val, q->l4proto, s ? &q->sport : &q->dport))
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
		return 0;
	}
	/*
	 * An ICMP tuple's echo identifier: conntrack prints it right after type= and code=
	 * (`type=8 code=0 id=31868`); any other id= (`-o id`: the conntrack id, at the end
	 * of the line) is not part of the tuple
	 */
	if (!strcmp(key, "id") && cta_proto_is_icmp(q->l4proto) && after_code &&
	    !(q->has & CTA_TQ_ID)) {
		const char *dash = strchr(val, '-');

		/* a range from `flows` (its connections' identifiers): one only if both ends agree */
		if (dash && (strlen(dash + 1) != (size_t)(dash - val) ||
			     strncmp(val, dash + 1, (size_t)(dash - val))))
			return 0;
		if (dash)
			val = dash + 1;
		if (!number(val, 65535, &v))
			return fail(p, vcol, "expected an echo identifier from 0 to 65535");
		q->icmp_id = (uint16_t)v;
		q->has |= CTA_TQ_ID;
		p->id_col = t->col;
	}
	return 0; /* packets=, bytes=, mark=, ...: not part of the tuple */
}

static int parse_kv(struct parser *p, struct cta_tuple_query *q)
{
	uint8_t family = 0;
	bool have_proto = false, seen_kv = false, after_code = false;

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
		if (kv(p, t, t->s, eq + 1, q, &family, after_code))
			return -EINVAL;
		after_code = !strcmp(t->s, "code");
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

/* "→" (U+2192, three bytes) as " ->" (three too): the columns stay those of text. */
static char *arrows(const char *text)
{
	char *t = strdup(text), *a;

	while (t && (a = strstr(t, "\xe2\x86\x92")))
		memcpy(a, " ->", 3);
	return t;
}

/* A line from `nft monitor trace` names its header fields: "ip saddr", "tcp dport". */
static bool is_nft_trace(const struct parser *p)
{
	for (int i = 0; i + 1 < p->n; i++)
		if ((!strcmp(p->t[i].s, "ip") || !strcmp(p->t[i].s, "ip6")) &&
		    (!strcmp(p->t[i + 1].s, "saddr") || !strcmp(p->t[i + 1].s, "daddr")))
			return true;
	return false;
}

static bool has_kv(const struct parser *p)
{
	for (int i = 0; i < p->n; i++)
		if (is_kv(p->t[i].s))
			return true;
	return false;
}

int cta_tuple_parse(const char *text, struct cta_tuple_query *q, struct cta_tuple_error *err)
{
	struct parser p = { .err = err };
	char *t = arrows(text);
	int rc;

	memset(q, 0, sizeof(*q));
	err->column = 0;
	err->msg[0] = '\0';
	if (!t)
		return fail(&p, 1, "out of memory");
	rc = tokenize(&p, t);
	free(t);
	if (rc)
		return -EINVAL;
	if (!p.n)
		return fail(&p, 1, "expected a tuple, like 'tcp 198.51.100.7 -> 192.0.2.10:22'");
	if (is_nft_trace(&p))
		rc = parse_nft(&p, q);
	else if (has_kv(&p))
		rc = parse_kv(&p, q);
	else
		rc = parse_arrow(&p, q);
	/* an identifier is what echo, timestamp and the like carry: not an error, not ND */
	if (!rc && (q->has & CTA_TQ_ID) && (q->has & CTA_TQ_TYPE) &&
	    !cta_icmp_has_id(q->l4proto, q->icmp_type))
		return fail(
			&p, p.id_col,
			"%s type %u has no identifier: 'id' is for echo, timestamp and the like",
			proto_label(q->l4proto), q->icmp_type);
	return rc;
}

/* Is b within a/plen (plen 0: the whole address)? */
static bool addr_in(uint8_t family, const union cta_addr *a, uint8_t plen, const union cta_addr *b)
{
	unsigned bits = plen ? plen : family == AF_INET ? 32 : 128;

	if (memcmp(a->b, b->b, bits / 8))
		return false;
	return bits % 8 == 0 || !((a->b[bits / 8] ^ b->b[bits / 8]) & (0xff00u >> (bits % 8)));
}

/* Does the query's destination (address and port) fall on addr and port? */
static bool dst_is(const struct cta_tuple_query *q, const struct cta_flow_key *k,
		   const union cta_addr *addr, uint16_t port)
{
	if ((q->has & CTA_TQ_DST) && !addr_in(k->family, &q->dst, q->dst_plen, addr))
		return false;
	return !cta_proto_has_ports(k->l4proto) || !(q->has & CTA_TQ_DPORT) || q->dport == port;
}

bool cta_tuple_match(const struct cta_tuple_query *q, const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;

	if (q->l4proto != k->l4proto)
		return false;
	if ((q->has & CTA_TQ_FAMILY) && q->family != k->family)
		return false;
	/* the source as it sent, or as SNAT (masquerade) made it */
	if ((q->has & CTA_TQ_SRC) && !addr_in(k->family, &q->src, q->src_plen, &k->src) &&
	    !addr_in(k->family, &q->src, q->src_plen, &k->reply_dst))
		return false;
	/*
	 * the destination as the client saw it, or the one DNAT translated it to: address
	 * and port of the same side (198.51.100.1:80 is not a forward of :8080 to :80)
	 */
	if (!dst_is(q, k, &k->dst, k->dport) && !dst_is(q, k, &k->reply_src, k->reply_sport))
		return false;
	if ((q->has & CTA_TQ_TYPE) && q->icmp_type != k->icmp_type)
		return false;
	if ((q->has & CTA_TQ_CODE) && q->icmp_code != k->icmp_code)
		return false;
	return true;
}

bool cta_tuple_sport_seen(const struct cta_tuple_query *q, const struct cta_flow *f)
{
	/* an ICMP flow's connections' echo identifiers are where ports go (flowtab.h) */
	if (cta_proto_is_icmp(f->key.l4proto))
		return !(q->has & CTA_TQ_ID) ||
		       (q->icmp_id >= f->sport_min && q->icmp_id <= f->sport_max);
	return !(q->has & CTA_TQ_SPORT) || !cta_proto_has_ports(f->key.l4proto) ||
	       (q->sport >= f->sport_min && q->sport <= f->sport_max);
}

void cta_tuple_reverse(const struct cta_tuple_query *q, struct cta_tuple_query *r)
{
	static const uint8_t echo[][2] = { { 8, 0 }, { 0, 8 }, { 128, 129 }, { 129, 128 } };
	uint32_t ends = CTA_TQ_SRC | CTA_TQ_DST | CTA_TQ_SPORT | CTA_TQ_DPORT;

	*r = *q;
	r->has &= ~(ends | CTA_TQ_TYPE | CTA_TQ_CODE);
	r->has |= (q->has & CTA_TQ_SRC ? CTA_TQ_DST : 0) | (q->has & CTA_TQ_DST ? CTA_TQ_SRC : 0) |
		  (q->has & CTA_TQ_SPORT ? CTA_TQ_DPORT : 0) |
		  (q->has & CTA_TQ_DPORT ? CTA_TQ_SPORT : 0);
	r->src = q->dst;
	r->dst = q->src;
	r->src_plen = q->dst_plen;
	r->dst_plen = q->src_plen;
	r->sport = q->dport;
	r->dport = q->sport;
	/* an echo reply answers a request; other ICMP types have no other direction */
	for (size_t i = 0; i < ARRAY_SIZE(echo) && (q->has & CTA_TQ_TYPE); i++)
		if (q->icmp_type == echo[i][0]) {
			r->icmp_type = echo[i][1];
			r->has |= CTA_TQ_TYPE | (q->has & CTA_TQ_CODE);
		}
}

/*
 * One end, "addr[/plen][:port]" or "any"; an IPv6 address in brackets when either end
 * has a port, so that both ends read alike ("[2001:db8::7] -> [2001:db8::1]:22").
 */
static void endpoint_str(const struct cta_tuple_query *q, bool src, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool has_addr = q->has & (src ? CTA_TQ_SRC : CTA_TQ_DST);
	bool has_port = q->has & (src ? CTA_TQ_SPORT : CTA_TQ_DPORT);
	bool v6 = q->family == AF_INET6;
	bool brackets = v6 && has_addr && (q->has & (CTA_TQ_SPORT | CTA_TQ_DPORT));
	uint8_t plen = src ? q->src_plen : q->dst_plen;
	char net[INET6_ADDRSTRLEN + 8];

	if (has_addr)
		cta_addr_str(q->family, src ? &q->src : &q->dst, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "any");
	if (has_addr && plen)
		snprintf(net, sizeof(net), "%s/%u", a, plen);
	else
		snprintf(net, sizeof(net), "%s", a);
	if (has_port)
		snprintf(buf, len, brackets ? "[%s]:%u" : "%s:%u", net, src ? q->sport : q->dport);
	else
		snprintf(buf, len, brackets ? "[%s]" : "%s", net);
}

void cta_tuple_format(const struct cta_tuple_query *q, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN + 20], d[INET6_ADDRSTRLEN + 20], proto[8];
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
		n += snprintf(buf + n, len - (size_t)n, " code %u", q->icmp_code);
	if (n > 0 && (size_t)n < len && (q->has & CTA_TQ_ID))
		snprintf(buf + n, len - (size_t)n, " id %u", q->icmp_id);
}
