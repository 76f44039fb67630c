// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/flowscan.h"
#include "advisor/model/host.h"
#include "advisor/lib/util.h"

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Bytes that matter inside a container: quotes, brackets (and, in strings, '\\'). */
static const unsigned char special[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, ['\\'] = 2,
};

/* One past the closing quote of the string at p (which is '"'), or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (!special[(unsigned char)*p])
			continue;
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

const char *cta_json_skip(const char *p, const char *end)
{
	size_t depth = 0;

	p = ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		const char *s = p;

		while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
				   *p == '-' || *p == '+' || *p == '.' || *p == 'E'))
			p++;
		return p > s ? p : NULL;
	}
	/* brackets are counted, not matched: whoever reads the value checks it */
	while (p < end) {
		char c = *p;

		if (special[(unsigned char)c] != 1) {
			p++;
			continue;
		}
		if (c == '"') {
			p = skip_string(p, end);
			if (!p)
				return NULL;
			continue;
		}
		p++;
		if (c == '{' || c == '[')
			depth++;
		else if (--depth == 0)
			return p;
	}
	return NULL;
}

/* Skip "key": value members until a "flows" array (when look is set) or the end. */
static int members(struct cta_flowscan *sc, bool look)
{
	const char *p = sc->p, *end = sc->end;

	while (p < end && *p == '"') {
		const char *k = p;
		size_t klen;

		p = skip_string(p, end);
		if (!p)
			return -EAGAIN;
		klen = (size_t)(p - k);
		p = ws(p, end);
		if (p >= end || *p != ':')
			return -EAGAIN;
		p = ws(p + 1, end);
		if (look && klen == 7 && !memcmp(k, "\"flows\"", 7) && p < end && *p == '[') {
			sc->flows_start = (size_t)(p - sc->text);
			sc->p = p + 1;
			return 1;
		}
		p = cta_json_skip(p, end);
		if (!p)
			return -EAGAIN;
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
		else
			break;
	}
	sc->p = p;
	return 0;
}

int cta_flowscan_begin(const char *text, size_t len, struct cta_flowscan *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->text = text;
	sc->end = text + len;
	sc->p = ws(text, sc->end);
	if (sc->p >= sc->end || *sc->p != '{')
		return -EAGAIN;
	sc->p = ws(sc->p + 1, sc->end);
	return members(sc, true) == 1 ? 0 : -EAGAIN;
}

int cta_flowscan_next(struct cta_flowscan *sc, const char **elem)
{
	const char *p = ws(sc->p, sc->end), *end = sc->end;

	if (p < end && *p == ']') {
		sc->flows_end = (size_t)(p + 1 - sc->text);
		sc->p = ws(p + 1, end);
		if (sc->p < end && *sc->p == ',') {
			sc->p = ws(sc->p + 1, end);
			if (members(sc, false) < 0)
				return -EAGAIN;
		}
		/* the object's end, and nothing after it */
		if (sc->p >= end || *sc->p != '}' || ws(sc->p + 1, end) != end)
			return -EAGAIN;
		return 0;
	}
	if (sc->n) {
		if (p >= end || *p != ',')
			return -EAGAIN;
		p = ws(p + 1, end);
	}
	if (p >= end || *p != '{')
		return -EAGAIN;
	*elem = p;
	return 1;
}

void cta_flowscan_done(struct cta_flowscan *sc, const char *elem_end)
{
	sc->p = elem_end;
	sc->n++;
}

/* The strict flow reader: known keys, no escapes, no nulls, integers as digits. */
struct rd {
	const char *p, *end;
};

static bool lit(struct rd *r, char c)
{
	r->p = ws(r->p, r->end);
	if (r->p >= r->end || *r->p != c)
		return false;
	r->p++;
	return true;
}

/* A string without escapes into buf (NUL-terminated), at most len - 1 bytes. */
static bool str(struct rd *r, char *buf, size_t len)
{
	const char *s;

	if (!lit(r, '"'))
		return false;
	for (s = r->p; r->p < r->end && *r->p != '"'; r->p++)
		if (*r->p == '\\' || (unsigned char)*r->p < 0x20)
			return false;
	if (r->p >= r->end || (size_t)(r->p - s) >= len)
		return false;
	memcpy(buf, s, (size_t)(r->p - s));
	buf[r->p - s] = '\0';
	r->p++;
	return true;
}

static bool read_uint(struct rd *r, uint64_t max, uint64_t *v)
{
	const char *s;

	r->p = ws(r->p, r->end);
	s = r->p;
	*v = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (*v > (UINT64_MAX - 9) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(*r->p++ - '0');
	}
	if (r->p == s || (*s == '0' && r->p - s > 1) || *v > max)
		return false;
	/* a fraction or exponent makes it a real: not ours to judge */
	return r->p >= r->end || (*r->p != '.' && *r->p != 'e' && *r->p != 'E');
}

/* Walk an object's members: calls member() with each key; false stops the walk. */
static bool object(struct rd *r, bool (*member)(struct rd *, const char *, void *), void *ctx)
{
	char key[32];

	if (!lit(r, '{'))
		return false;
	r->p = ws(r->p, r->end);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return true;
	}
	for (;;) {
		if (!str(r, key, sizeof(key)) || !lit(r, ':') || !member(r, key, ctx))
			return false;
		r->p = ws(r->p, r->end);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		return lit(r, '}');
	}
}

static int key_index(const char *key, const char *const *keys)
{
	/* compare the first byte before calling strcmp: this runs for every member */
	for (int i = 0; keys[i]; i++)
		if (key[0] == keys[i][0] && key[1] == keys[i][1] && !strcmp(key, keys[i]))
			return i;
	return -1;
}

/* Numbers of an object ("orig", "reply", "packets", "bytes"), and its addresses. */
enum {
	K_SRC,
	K_DST,
	K_SPORT_MIN,
	K_SPORT_MAX,
	K_DPORT,
	K_TYPE,
	K_CODE,
	K_ID_MIN,
	K_ID_MAX,
	K_SPORT,
	K_DPORT_MIN,
	K_DPORT_MAX,
	K_ORIG,
	K_REPLY,
	K_N
};

static const char *const sub_keys[] = { "src",	     "dst",	  "sport_min", "sport_max", "dport",
					"type",	     "code",	  "id_min",    "id_max",    "sport",
					"dport_min", "dport_max", "orig",      "reply",	    NULL };

struct sub {
	unsigned seen;
	uint64_t v[K_N];
	char src[64], dst[64];
};

static bool sub_member(struct rd *r, const char *key, void *ctx)
{
	struct sub *s = ctx;
	int k = key_index(key, sub_keys);

	if (k < 0 || (s->seen & (1u << k)))
		return false;
	s->seen |= 1u << k;
	if (k == K_SRC)
		return str(r, s->src, sizeof(s->src));
	if (k == K_DST)
		return str(r, s->dst, sizeof(s->dst));
	return read_uint(r, INT64_MAX, &s->v[k]);
}

static bool has(const struct sub *s, unsigned mask)
{
	return (s->seen & mask) == mask;
}

static bool addr(const char *s, uint8_t family, union cta_addr *a)
{
	uint8_t fam;

	return cta_addr_parse(s, &fam, a) == 0 && fam == family;
}

static bool range(const struct sub *s, int lo, int hi, uint16_t *a, uint16_t *b)
{
	if (!has(s, 1u << lo | 1u << hi) || s->v[lo] > UINT16_MAX || s->v[hi] > UINT16_MAX ||
	    s->v[lo] > s->v[hi])
		return false;
	*a = (uint16_t)s->v[lo];
	*b = (uint16_t)s->v[hi];
	return true;
}

static bool u16(const struct sub *s, int k, uint16_t *out)
{
	if (!has(s, 1u << k) || s->v[k] > UINT16_MAX)
		return false;
	*out = (uint16_t)s->v[k];
	return true;
}

static bool u8(const struct sub *s, int k, uint8_t *out)
{
	if (!has(s, 1u << k) || s->v[k] > UINT8_MAX)
		return false;
	*out = (uint8_t)s->v[k];
	return true;
}

enum {
	F_FAMILY,
	F_PROTOCOL,
	F_DIRECTION,
	F_ORIG,
	F_REPLY,
	F_CONNECTIONS,
	F_PACKETS,
	F_BYTES,
	F_FIRST,
	F_LAST,
	F_STATE,
	F_VERDICT,
	F_HOST,
	F_PROCESS,
	F_VERDICTS,
	F_IIF,
	F_OIF,
	F_LEFTOVER,
	F_N
};

static const char *const flow_keys[] = { "family",     "protocol",    "direction", "orig",
					 "reply",      "connections", "packets",   "bytes",
					 "first_seen", "last_seen",   "state",	   "verdict",
					 "host",       "process",     "verdicts",  "iif",
					 "oif",	       "leftover",    NULL };

struct flow_ctx {
	unsigned seen, nulls;
	char family[8], protocol[16], direction[16], state[16], first[32], last[32];
	char iif[CTA_IFNAMSIZ], oif[CTA_IFNAMSIZ];
	char *host; /* 256 bytes, the caller's */
	struct sub orig, reply, packets, bytes;
	uint64_t connections, leftover;
	struct cta_flow_raw *raw;
};

static bool flow_member(struct rd *r, const char *key, void *ctx)
{
	struct flow_ctx *c = ctx;
	int k = key_index(key, flow_keys);
	const char *v;

	if (k < 0 || ((c->seen | c->nulls) & (1u << k)))
		return false;
	c->seen |= 1u << k;
	switch (k) {
	case F_FAMILY:
		return str(r, c->family, sizeof(c->family));
	case F_PROTOCOL:
		return str(r, c->protocol, sizeof(c->protocol));
	case F_DIRECTION:
		return str(r, c->direction, sizeof(c->direction));
	case F_STATE:
		return str(r, c->state, sizeof(c->state));
	case F_IIF:
	case F_OIF:
		return str(r, k == F_IIF ? c->iif : c->oif, CTA_IFNAMSIZ);
	case F_HOST:
		/* version 2: the host's index in "hosts"; version 1: its name */
		r->p = ws(r->p, r->end);
		if (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			uint64_t index;

			if (!read_uint(r, INT32_MAX, &index))
				return false;
			c->raw->has_host_index = true;
			c->raw->host_index = (uint32_t)index;
			return true;
		}
		return str(r, c->host, 256);
	case F_FIRST:
	case F_LAST:
		/* null is absent, as the general reader has it: the time was not known */
		r->p = ws(r->p, r->end);
		if (r->end - r->p >= 4 && !memcmp(r->p, "null", 4)) {
			r->p += 4;
			c->seen &= ~(1u << k);
			c->nulls |= 1u << k;
			return true;
		}
		return k == F_FIRST ? str(r, c->first, sizeof(c->first))
				    : str(r, c->last, sizeof(c->last));
	case F_CONNECTIONS:
		return read_uint(r, INT64_MAX, &c->connections);
	case F_LEFTOVER:
		return read_uint(r, INT64_MAX, &c->leftover);
	case F_ORIG:
		return object(r, sub_member, &c->orig);
	case F_REPLY:
		return object(r, sub_member, &c->reply);
	case F_PACKETS:
		return object(r, sub_member, &c->packets);
	case F_BYTES:
		return object(r, sub_member, &c->bytes);
	case F_VERDICT:
	case F_PROCESS:
	case F_VERDICTS:
		/* kept as text: the caller parses each distinct one once */
		r->p = ws(r->p, r->end);
		if (r->p >= r->end || *r->p != (k == F_VERDICTS ? '[' : '{'))
			return false;
		v = cta_json_skip(r->p, r->end);
		if (!v)
			return false;
		if (k == F_VERDICTS) {
			c->raw->verdicts = r->p;
			c->raw->vslen = (size_t)(v - r->p);
		} else if (k == F_VERDICT) {
			c->raw->verdict = r->p;
			c->raw->vlen = (size_t)(v - r->p);
		} else {
			c->raw->process = r->p;
			c->raw->plen = (size_t)(v - r->p);
		}
		r->p = v;
		return true;
	}
	return false;
}

/* packets/bytes: exactly orig and reply, integers the reader takes */
static bool pair(const struct sub *s, uint64_t v[2])
{
	if (s->seen != (1u << K_ORIG | 1u << K_REPLY) || s->v[K_ORIG] > INT64_MAX ||
	    s->v[K_REPLY] > INT64_MAX)
		return false;
	v[0] = s->v[K_ORIG];
	v[1] = s->v[K_REPLY];
	return true;
}

static bool fill_orig(const struct sub *o, struct cta_flow *f)
{
	struct cta_flow_key *k = &f->key;

	if (!has(o, 1u << K_SRC | 1u << K_DST) || !addr(o->src, k->family, &k->src) ||
	    !addr(o->dst, k->family, &k->dst))
		return false;
	if (cta_proto_has_ports(k->l4proto))
		return range(o, K_SPORT_MIN, K_SPORT_MAX, &f->sport_min, &f->sport_max) &&
		       u16(o, K_DPORT, &k->dport);
	if (cta_proto_is_icmp(k->l4proto)) {
		/* only messages with an identifier (echo and its kin) have one */
		if (!u8(o, K_TYPE, &k->icmp_type) || !u8(o, K_CODE, &k->icmp_code) ||
		    ((o->seen & (1u << K_ID_MIN | 1u << K_ID_MAX)) &&
		     !range(o, K_ID_MIN, K_ID_MAX, &f->sport_min, &f->sport_max)))
			return false;
		cta_flow_drop_stray_ids(f);
	}
	return true;
}

static bool fill_reply(const struct flow_ctx *c, struct cta_flow *f)
{
	const struct sub *o = &c->reply;
	struct cta_flow_key *k = &f->key;

	k->reply_src = k->dst;
	k->reply_dst = k->src;
	k->reply_sport = k->dport;
	f->rdport_min = f->sport_min;
	f->rdport_max = f->sport_max;
	if (!(c->seen & (1u << F_REPLY)))
		return true;
	if (!has(o, 1u << K_SRC | 1u << K_DST) || !addr(o->src, k->family, &k->reply_src) ||
	    !addr(o->dst, k->family, &k->reply_dst))
		return false;
	if (cta_proto_has_ports(k->l4proto))
		return u16(o, K_SPORT, &k->reply_sport) &&
		       range(o, K_DPORT_MIN, K_DPORT_MAX, &f->rdport_min, &f->rdport_max);
	return true;
}

/* An interface name the general reader takes too: 1 to 15 plain ASCII characters. */
static bool ifname(const struct flow_ctx *c, int k, const char *s, char out[CTA_IFNAMSIZ])
{
	if (!(c->seen & (1u << k)))
		return true;
	if (!*s)
		return false;
	for (const char *q = s; *q; q++)
		if ((unsigned char)*q >= 0x80)
			return false;
	memcpy(out, s, strlen(s) + 1);
	return true;
}

int cta_flow_read_fast(const char *p, const char *end, struct cta_flow *f, struct cta_flow_raw *raw,
		       const char **next, char host[256])
{
	static const unsigned required = 1u << F_FAMILY | 1u << F_PROTOCOL | 1u << F_DIRECTION |
					 1u << F_ORIG | 1u << F_CONNECTIONS | 1u << F_PACKETS |
					 1u << F_BYTES | 1u << F_STATE;
	struct flow_ctx c;
	struct rd r = { p, end };
	enum cta_direction dir;
	enum cta_reached reached;
	uint8_t proto;
	uint64_t n;

	memset(&c, 0, sizeof(c));
	memset(f, 0, sizeof(*f));
	memset(raw, 0, sizeof(*raw));
	c.raw = raw;
	host[0] = '\0';
	c.host = host;
	if (!object(&r, flow_member, &c) || (c.seen & required) != required)
		return -EAGAIN;
	if (!strcmp(c.family, "ipv4"))
		f->key.family = AF_INET;
	else if (!strcmp(c.family, "ipv6"))
		f->key.family = AF_INET6;
	else
		return -EAGAIN;
	if (cta_proto_from_name(c.protocol, &proto) == 0)
		f->key.l4proto = proto;
	else if (cta_parse_uint(c.protocol, 0, 255, &n) == 0)
		f->key.l4proto = (uint8_t)n;
	else
		return -EAGAIN;
	if (cta_direction_from_name(c.direction, &dir) < 0 ||
	    cta_reached_from_name(c.state, &reached) < 0)
		return -EAGAIN;
	f->direction = (uint8_t)dir;
	f->reached = (uint8_t)reached;
	f->connections = c.connections;
	f->leftover = c.leftover;
	if (f->leftover > f->connections) /* the general reader says what is wrong */
		return -EAGAIN;
	if (!fill_orig(&c.orig, f) || !fill_reply(&c, f) || !pair(&c.packets, f->packets) ||
	    !pair(&c.bytes, f->bytes))
		return -EAGAIN;
	if ((c.seen & (1u << F_FIRST)) && cta_parse_time(c.first, &f->first_ns) < 0)
		return -EAGAIN;
	if ((c.seen & (1u << F_LAST)) && cta_parse_time(c.last, &f->last_ns) < 0)
		return -EAGAIN;
	if (!ifname(&c, F_IIF, c.iif, f->iif) || !ifname(&c, F_OIF, c.oif, f->oif))
		return -EAGAIN;
	*next = r.p;
	return 0;
}
