// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/ruleset.h"

#include <ctype.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"
#include "advisor/lib/util.h"
#include "advisor/model/flow.h"
#include "advisor/model/listing.h"
#include "advisor/model/tuple.h"

struct rule {
	uint64_t handle;
	uint8_t family;
	char *table, *chain, *text;
};

struct cta_ruleset {
	struct rule *rules;
	size_t n_rules, cap_rules;
	struct cta_hashidx idx;
	struct cta_chain_info *chains;
	size_t n_chains;
};

static const struct {
	const char *name;
	uint8_t family;
} families[] = {
	{ "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 },      { "inet", NFPROTO_INET },
	{ "arp", NFPROTO_ARP }, { "bridge", NFPROTO_BRIDGE }, { "netdev", NFPROTO_NETDEV },
};

int cta_nfproto_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(families); i++)
		if (!strcmp(families[i].name, name))
			return families[i].family;
	return -EINVAL;
}

const char *cta_nfproto_name(uint8_t family)
{
	for (size_t i = 0; i < ARRAY_SIZE(families); i++)
		if (families[i].family == family)
			return families[i].name;
	return "unknown";
}

struct cta_ruleset *cta_ruleset_new(void)
{
	struct cta_ruleset *rs = calloc(1, sizeof(*rs));

	if (rs)
		cta_hashidx_init(&rs->idx);
	return rs;
}

void cta_ruleset_free(struct cta_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_rules; i++) {
		free(rs->rules[i].table);
		free(rs->rules[i].chain);
		free(rs->rules[i].text);
	}
	free(rs->rules);
	free(rs->chains);
	cta_hashidx_fini(&rs->idx);
	free(rs);
}

static uint64_t key_hash(uint8_t family, const char *table, const char *chain, uint64_t handle)
{
	uint64_t h = 1469598103934665603ULL ^ family ^ (handle * 0x9e3779b97f4a7c15ULL);

	for (const char *s = table; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *s = chain; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct query {
	const struct cta_ruleset *rs;
	uint8_t family;
	const char *table, *chain;
	uint64_t handle;
};

static bool rule_eq(uint32_t pos, const void *ctx)
{
	const struct query *q = ctx;
	const struct rule *r = &q->rs->rules[pos];

	return r->handle == q->handle && r->family == q->family && !strcmp(r->table, q->table) &&
	       !strcmp(r->chain, q->chain);
}

static int64_t find(const struct cta_ruleset *rs, uint8_t family, const char *table,
		    const char *chain, uint64_t handle)
{
	struct query q = { rs, family, table, chain, handle };

	return cta_hashidx_find(&rs->idx, key_hash(family, table, chain, handle), rule_eq, &q);
}

static int put_rule(struct cta_ruleset *rs, uint8_t family, const char *table, const char *chain,
		    uint64_t handle, const char *text)
{
	int64_t pos = find(rs, family, table, chain, handle);
	struct rule *r;

	if (pos >= 0) {
		char *t;

		r = &rs->rules[pos];
		/* the same rule: its note (cta_ruleset_note_xt) stays */
		if (cta_rule_text_same(r->text, text))
			return 0;
		if (!(t = strdup(text)))
			return -ENOMEM;
		free(r->text);
		r->text = t;
		return 0;
	}
	if (rs->n_rules == rs->cap_rules) {
		size_t cap = rs->cap_rules ? rs->cap_rules * 2 : 64;

		r = realloc(rs->rules, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		rs->rules = r;
		rs->cap_rules = cap;
	}
	r = &rs->rules[rs->n_rules];
	r->handle = handle;
	r->family = family;
	r->table = strdup(table);
	r->chain = strdup(chain);
	r->text = strdup(text);
	if (!r->table || !r->chain || !r->text ||
	    cta_hashidx_add(&rs->idx, key_hash(family, table, chain, handle),
			    (uint32_t)rs->n_rules)) {
		free(r->table);
		free(r->chain);
		free(r->text);
		return -ENOMEM;
	}
	rs->n_rules++;
	return 0;
}

/* The word after KEY in a chain declaration, up to a space or ';'. */
static bool word_after(const char *line, const char *key, char *out, size_t len)
{
	const char *p = strstr(line, key);
	size_t n = 0;

	if (!p)
		return false;
	for (p += strlen(key); *p && *p != ' ' && *p != ';' && n + 1 < len; p++)
		out[n++] = *p;
	out[n] = '\0';
	return n > 0;
}

/*
 * "type filter hook input priority 0; policy drop;" (priorities numeric: the listing
 * is made with NFT_CTX_OUTPUT_NUMERIC_PRIO).
 */
static int base_chain(struct cta_ruleset *rs, uint8_t family, const char *table, const char *name,
		      const char *decl)
{
	struct cta_chain_info *ci = NULL;
	char prio[24];
	long v;
	char *end;

	for (size_t i = 0; i < rs->n_chains && !ci; i++)
		if (rs->chains[i].family == family && !strcmp(rs->chains[i].table, table) &&
		    !strcmp(rs->chains[i].name, name))
			ci = &rs->chains[i];
	if (!ci) {
		ci = realloc(rs->chains, (rs->n_chains + 1) * sizeof(*ci));
		if (!ci)
			return -ENOMEM;
		rs->chains = ci;
		ci = &rs->chains[rs->n_chains++];
	}
	memset(ci, 0, sizeof(*ci));
	ci->family = family;
	ci->base = true;
	snprintf(ci->table, sizeof(ci->table), "%s", table);
	snprintf(ci->name, sizeof(ci->name), "%s", name);
	word_after(decl, "type ", ci->type, sizeof(ci->type));
	word_after(decl, " hook ", ci->hook, sizeof(ci->hook));
	if (word_after(decl, " device ", ci->device, sizeof(ci->device)) && ci->device[0] == '"')
		memmove(ci->device, ci->device + 1, strcspn(ci->device + 1, "\"") + 1);
	ci->device[strcspn(ci->device, "\"")] = '\0';
	if (!word_after(decl, " policy ", ci->policy, sizeof(ci->policy)))
		snprintf(ci->policy, sizeof(ci->policy), "accept");
	if (word_after(decl, " priority ", prio, sizeof(prio))) {
		v = strtol(prio, &end, 10);
		if (end != prio)
			ci->prio = (int32_t)v;
	}
	return 0;
}

/* Rules (depth 2 in a chain, with a handle) and base chains of a known family. */
static int take(const struct cta_listing_item *it, void *data)
{
	struct cta_ruleset *rs = data;
	int family = cta_nfproto_from_name(it->family);

	if (family < 0 || strcmp(it->kind, "chain"))
		return 0;
	if (it->what == CTA_LISTING_HEAD)
		return base_chain(rs, (uint8_t)family, it->table, it->name, it->text);
	if (it->what == CTA_LISTING_LINE && it->depth == 2 && it->has_handle && it->handle)
		return put_rule(rs, (uint8_t)family, it->table, it->name, it->handle, it->text);
	return 0;
}

int cta_ruleset_add_text(struct cta_ruleset *rs, const char *text)
{
	return text ? cta_listing_walk(text, take, rs) : 0;
}

const char *cta_ruleset_rule(const struct cta_ruleset *rs, uint8_t family, const char *table,
			     const char *chain, uint64_t handle)
{
	int64_t pos = find(rs, family, table, chain, handle);

	return pos >= 0 ? rs->rules[pos].text : NULL;
}

const struct cta_chain_info *cta_ruleset_chain(const struct cta_ruleset *rs, uint8_t family,
					       const char *table, const char *chain)
{
	for (size_t i = 0; i < rs->n_chains; i++)
		if (rs->chains[i].family == family && !strcmp(rs->chains[i].table, table) &&
		    !strcmp(rs->chains[i].name, chain))
			return &rs->chains[i];
	return NULL;
}

const char *cta_ruleset_rule_at(const struct cta_ruleset *rs, size_t i, uint8_t *family,
				const char **table, const char **chain, uint64_t *handle)
{
	const struct rule *r = &rs->rules[i];

	*family = r->family;
	*table = r->table;
	*chain = r->chain;
	*handle = r->handle;
	return r->text;
}

size_t cta_ruleset_rule_count(const struct cta_ruleset *rs)
{
	return rs->n_rules;
}

bool cta_chain_unwatched(uint8_t family, const char *hook)
{
	return family == NFPROTO_NETDEV || family == NFPROTO_BRIDGE || family == NFPROTO_ARP ||
	       !strcmp(hook, "ingress") || !strcmp(hook, "egress");
}

bool cta_ruleset_rule_unwatched(const struct cta_ruleset *rs, size_t i)
{
	const struct rule *r = &rs->rules[i];
	const struct cta_chain_info *ci = cta_ruleset_chain(rs, r->family, r->table, r->chain);

	return cta_chain_unwatched(r->family, ci ? ci->hook : "");
}

size_t cta_ruleset_unwatched_text(const struct cta_ruleset *rs, bool ingress_traced, char *buf,
				  size_t len)
{
	size_t n = 0, at = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct cta_chain_info *ci = &rs->chains[i];

		if (!ci->base || !cta_chain_unwatched(ci->family, ci->hook) ||
		    (ingress_traced && !strcmp(ci->hook, "ingress") && ci->device[0]))
			continue;
		n++;
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%s %s %s (%s%s%s)",
					       n > 1 ? ", " : "", cta_nfproto_name(ci->family),
					       ci->table, ci->name, ci->hook,
					       ci->device[0] ? ", device " : "", ci->device);
	}
	return n;
}

/* "counter packets N bytes M": N, and the text without " packets N bytes M" into out. */
static bool counted(const char *text, uint64_t *packets, char *out, size_t len)
{
	const char *c = strstr(text, "counter packets "), *b;
	char *end;

	snprintf(out, len, "%s", text);
	if (!c)
		return false;
	*packets = strtoull(c + 16, &end, 10);
	b = strstr(end, " bytes ");
	if (b == end) {
		strtoull(b + 7, &end, 10);
		if ((size_t)(c + 7 - text) < len)
			snprintf(out + (c + 7 - text), len - (size_t)(c + 7 - text), "%s", end);
	}
	return true;
}

size_t cta_ruleset_unwatched_counted(const struct cta_ruleset *before,
				     const struct cta_ruleset *after, char *buf, size_t len)
{
	size_t n = 0, at = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < after->n_rules; i++) {
		const struct rule *r = &after->rules[i];
		int64_t was = find(before, r->family, r->table, r->chain, r->handle);
		uint64_t now = 0, then = 0;
		char text[512], old[512];

		if (!cta_ruleset_rule_unwatched(after, i) ||
		    !counted(r->text, &now, text, sizeof(text)))
			continue;
		if (was >= 0)
			counted(before->rules[was].text, &then, old, sizeof(old));
		if (now <= then)
			continue;
		n++;
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at,
					       "%s%s %s %s handle %llu (%s): %llu packet%s",
					       n > 1 ? "; " : "", cta_nfproto_name(r->family),
					       r->table, r->chain, (unsigned long long)r->handle,
					       text, (unsigned long long)(now - then),
					       now - then == 1 ? "" : "s");
	}
	return n;
}

size_t cta_ruleset_ingress_devices(const struct cta_ruleset *rs, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_chains && n < max; i++) {
		const struct cta_chain_info *ci = &rs->chains[i];
		bool seen = false;

		if (!ci->base || strcmp(ci->hook, "ingress") || !ci->device[0])
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = !strcmp(out[k], ci->device);
		if (!seen)
			out[n++] = ci->device;
	}
	return n;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '@' || c == '$' || c == '.' || c == '/';
}

const char *cta_rule_note(const char *text)
{
	static const char note[] = CTA_RULE_NOTE_XT;
	bool quoted = false;

	for (const char *p = text; p && *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ' ' && !strncmp(p, note, sizeof(note) - 1))
			return p;
	}
	return NULL;
}

size_t cta_rule_text_len(const char *text)
{
	const char *note = cta_rule_note(text);

	return note ? (size_t)(note - text) : text ? strlen(text) : 0;
}

/* The length of the word at p (up to a space or end, end: at most e). */
static size_t word_len(const char *p, const char *e)
{
	const char *q = p;

	while (q < e && *q != ' ')
		q++;
	return (size_t)(q - p);
}

/* Is item it (len bytes) one of the comma-separated items of list (n bytes)? */
static bool list_has(const char *list, size_t n, const char *it, size_t len)
{
	for (const char *p = list, *e = list + n; p < e;) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		size_t l = (size_t)((c ? c : e) - p);

		if (l == len && !memcmp(p, it, len))
			return true;
		p = c ? c + 1 : e;
	}
	return false;
}

/*
 * Are two words the same flag list in another order (`related,established` and
 * `established,related`: nft prints a bitmask's flags in bit order, iptables-nft's
 * translation in the order of the iptables rule)? Only bare words of letters, digits,
 * '-' and ',': no set, no quoted name.
 */
static bool same_flags(const char *a, size_t na, const char *b, size_t nb)
{
	size_t ia = 0, ib = 0;

	if (na != nb || !memchr(a, ',', na))
		return false;
	for (size_t i = 0; i < na; i++)
		if (!(word_char(a[i]) || a[i] == ',') || !(word_char(b[i]) || b[i] == ','))
			return false;
	for (const char *p = a, *e = a + na; p < e; ia++) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		size_t l = (size_t)((c ? c : e) - p);

		if (!list_has(b, nb, p, l))
			return false;
		p = c ? c + 1 : e;
	}
	for (size_t i = 0; i < nb; i++)
		ib += b[i] == ',';
	return ia == ib + 1;
}

bool cta_rule_text_same(const char *a, const char *b)
{
	size_t n = cta_rule_text_len(a), m = cta_rule_text_len(b);
	const char *ea = a + n, *eb = b + m;

	if (!a || !b)
		return false;
	if (n == m && !memcmp(a, b, n))
		return true;
	while (a < ea && b < eb) {
		size_t wa = word_len(a, ea), wb = word_len(b, eb);

		if (!(wa == wb && !memcmp(a, b, wa)) && !same_flags(a, wa, b, wb))
			return false;
		a += wa;
		b += wb;
		if (a < ea && b < eb && *a == ' ' && *b == ' ') {
			a++;
			b++;
		}
	}
	return a == ea && b == eb;
}

int cta_ruleset_note_xt(struct cta_ruleset *rs, uint8_t family, const char *table,
			const char *chain, uint64_t handle, const char *saved)
{
	int64_t pos = find(rs, family, table, chain, handle);
	struct rule *r;
	size_t n;
	char *t;

	if (pos < 0)
		return -ENOENT;
	r = &rs->rules[pos];
	n = cta_rule_text_len(r->text);
	if (asprintf(&t, "%.*s%s%s", (int)n, r->text, CTA_RULE_NOTE_XT, saved) < 0)
		return -ENOMEM;
	free(r->text);
	r->text = t;
	return 0;
}

void cta_ruleset_clear_notes(struct cta_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		char *note = (char *)cta_rule_note(rs->rules[i].text);

		if (note)
			*note = '\0'; /* nft's text stays, in the same allocation */
	}
}

bool cta_rule_has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	bool quoted = false;
	const char *end = text + cta_rule_text_len(text);

	for (const char *p = text; p && p < end; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && (p == text || !word_char(p[-1])) && !strncmp(p, word, n) &&
			   !word_char(p[n])) {
			return true;
		}
	}
	return false;
}

bool cta_rule_next_target(const char **at, char *buf, size_t len)
{
	static const char *const words[] = { "jump", "goto" };
	bool quoted = false;
	const char *end = *at ? *at + cta_rule_text_len(*at) : NULL;

	for (const char *p = *at; p && p < end; p++) {
		if (*p == '"') {
			quoted = !quoted; /* a comment or a log prefix says nothing */
			continue;
		}
		for (size_t w = 0; w < ARRAY_SIZE(words) && !quoted; w++) {
			size_t n = strlen(words[w]), k = 0;
			bool q;

			if (strncmp(p, words[w], n) || p[n] != ' ' ||
			    (p > *at && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
				continue;
			for (p += n; *p == ' '; p++)
				;
			q = *p == '"'; /* a quoted name may hold spaces */
			p += q;
			while (*p && (q ? *p != '"' : *p != ' ' && *p != ',' && *p != '}') &&
			       k + 1 < len)
				buf[k++] = *p++;
			buf[k] = '\0';
			*at = *p ? p + (q && *p == '"') : p;
			return k > 0; /* none after the word: the text is cut, nothing follows */
		}
	}
	return false;
}

#define JUMP_DEPTH 8 /* chains followed from a jump, as deep: the kernel allows 16 */
#define JUMP_VISITS 64 /* chains looked into for one rule: verdict maps fan out */

struct drops_q {
	const struct cta_ruleset *rs;
	uint8_t family;
	const char *table;
	cta_rule_skip_fn skip;
	const void *ctx;
	int visits;
};

static bool rule_drops(struct drops_q *q, const char *text, int depth);

/* Does a rule of this chain drop or reject, or jump or go to a chain that does? */
static bool chain_drops(struct drops_q *q, const char *chain, int depth)
{
	size_t n = cta_ruleset_rule_count(q->rs);

	if (--q->visits < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *t, *c, *text;
		uint64_t handle;
		uint8_t f;

		text = cta_ruleset_rule_at(q->rs, i, &f, &t, &c, &handle);
		if (f == q->family && !strcmp(t, q->table) && !strcmp(c, chain) && text &&
		    rule_drops(q, text, depth))
			return true;
	}
	return false;
}

static bool rule_drops(struct drops_q *q, const char *text, int depth)
{
	const char *at = text;
	char target[CTA_NAME_MAX];

	if (q->skip && q->skip(text, q->ctx))
		return false;
	if (cta_rule_has_word(text, "drop") || cta_rule_has_word(text, "reject"))
		return true;
	while (depth > 0 && cta_rule_next_target(&at, target, sizeof(target)))
		if (chain_drops(q, target, depth - 1))
			return true;
	return false;
}

bool cta_ruleset_rule_drops(const struct cta_ruleset *rs, uint8_t family, const char *table,
			    const char *text, cta_rule_skip_fn skip, const void *ctx)
{
	struct drops_q q = { rs, family, table, skip, ctx, JUMP_VISITS };

	return text && rule_drops(&q, text, JUMP_DEPTH);
}

/*
 * The next word of a rule's text at *at into buf; *at moves past it. Spaces split
 * words, and commas too unless KEEP_COMMAS (a flag list such as `established,related`
 * is one value); a quoted string is skipped: a comment says nothing. false at the end.
 */
static bool next_word(const char **at, char *buf, size_t len, bool keep_commas)
{
	const char *p = *at;
	size_t k = 0;

	for (;;) {
		/* the note (cta_ruleset_note_xt) says nothing of what nft matches */
		if (!strncmp(p, CTA_RULE_NOTE_XT, sizeof(CTA_RULE_NOTE_XT) - 1))
			p = "";
		while (*p == ' ' || *p == ',')
			p++;
		if (*p != '"')
			break;
		p = strchr(p + 1, '"');
		p = p ? p + 1 : "";
	}
	while (*p && *p != ' ' && (keep_commas || *p != ',') && *p != '"')
		if (k + 1 < len)
			buf[k++] = *p++;
		else
			p++;
	buf[k] = '\0';
	*at = p;
	return k > 0;
}

typedef bool (*holds_fn)(const char *word, const struct cta_rule_packet *p);

/* Does one value (a comma list of flags: any of them) hold what is_in says? */
static bool value_holds(char *w, holds_fn is_in, const struct cta_rule_packet *p)
{
	bool holds = false;

	for (char *save = NULL, *v = strtok_r(w, ",", &save); v; v = strtok_r(NULL, ",", &save))
		holds |= is_in(v, p);
	return holds;
}

/*
 * The value or set after a selector at *at: whether the packet's is in it, negation
 * applied. false when it is not a plain value or set (a verdict map, a named set, a
 * bitwise expression): nothing follows from it.
 */
static bool selector_holds(const char **at, holds_fn is_in, const struct cta_rule_packet *p,
			   bool *holds)
{
	char w[256];
	bool neg = false, set;

	if (!next_word(at, w, sizeof(w), true))
		return false;
	if (!strcmp(w, "!=") || !strcmp(w, "==")) {
		neg = w[0] == '!';
		if (!next_word(at, w, sizeof(w), true))
			return false;
	}
	set = !strcmp(w, "{");
	*holds = false;
	do {
		if (set && !next_word(at, w, sizeof(w), false))
			return false;
		if (!strcmp(w, "}"))
			break;
		if (w[0] == '@' || w[0] == '$' || w[0] == '&' || w[0] == '|' || w[0] == '!' ||
		    !strcmp(w, "vmap") || !strcmp(w, "map"))
			return false;
		*holds |= value_holds(w, is_in, p);
	} while (set);
	*holds ^= neg;
	return true;
}

static bool is_proto(const char *w, const struct cta_rule_packet *p)
{
	uint8_t n = 0;
	char *end;
	unsigned long v = strtoul(w, &end, 10);

	if (p->l4proto < 0)
		return true;
	if (*end || end == w) {
		if (cta_proto_from_name(w, &n))
			return true; /* a name not known here: it may be the packet's */
	} else {
		n = (uint8_t)v;
	}
	return n == p->l4proto;
}

static bool is_nfproto(const char *w, const struct cta_rule_packet *p)
{
	if (!strcmp(w, "ipv4"))
		return p->family == AF_INET;
	if (!strcmp(w, "ipv6"))
		return p->family == AF_INET6;
	return true; /* a number, another name: it may be */
}

static bool is_state(const char *w, const struct cta_rule_packet *p)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} states[] = { { "invalid", NF_CT_STATE_INVALID_BIT },
		       { "established", NF_CT_STATE_BIT(IP_CT_ESTABLISHED) },
		       { "related", NF_CT_STATE_BIT(IP_CT_RELATED) },
		       { "new", NF_CT_STATE_BIT(IP_CT_NEW) },
		       { "untracked", NF_CT_STATE_UNTRACKED_BIT } };

	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		if (!strcmp(w, states[i].name))
			return states[i].bit & p->ct_state;
	return true; /* not known here: it may be the packet's */
}

static bool is_icmp_type(const char *w, const struct cta_rule_packet *p)
{
	uint8_t type;

	if (!cta_icmp_type_parse(w, (uint8_t)p->l4proto, &type))
		return true; /* a range, a name not known here: it may be the packet's */
	for (size_t i = 0; i < p->n_icmp_types; i++)
		if (p->icmp_types[i] == type)
			return true;
	return !p->n_icmp_types;
}

/* Does W (a port number, or a range a-b) hold PORT? A name not known here may. */
static bool is_port_of(const char *w, uint16_t port)
{
	char *end;
	unsigned long lo = strtoul(w, &end, 10), hi = lo;

	if (end == w)
		return true; /* a service name, not known here: it may be */
	if (*end == '-') {
		const char *h = end + 1;

		hi = strtoul(h, &end, 10);
		if (end == h)
			return true;
	}
	if (*end)
		return true;
	return port >= lo && port <= hi;
}

/* Is WORD the name of the packet's protocol (`tcp`, not `th` nor an unknown name)? */
static bool names_proto(const char *word, const struct cta_rule_packet *p)
{
	uint8_t n;

	return !cta_proto_from_name(word, &n) && n == p->l4proto;
}

static bool is_sport(const char *w, const struct cta_rule_packet *p)
{
	return !p->has_sport || is_port_of(w, p->sport);
}

static bool is_dport(const char *w, const struct cta_rule_packet *p)
{
	return !p->has_dport || is_port_of(w, p->dport);
}

void cta_rule_packet_init(struct cta_rule_packet *p, uint8_t family, uint8_t l4proto,
			  const uint8_t *icmp_type, uint16_t dport)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->l4proto = cta_rule_l4proto(family, l4proto);
	if (p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) {
		p->icmp_types = icmp_type;
		p->n_icmp_types = 1;
	} else if (p->l4proto >= 0 && cta_proto_has_ports((uint8_t)p->l4proto)) {
		p->has_dport = true;
		p->dport = dport;
	}
}

int cta_rule_l4proto(uint8_t family, uint8_t l4proto)
{
	/* IPv6 extension headers (RFC 8200 and IANA's list), and none: not the transport */
	static const uint8_t ext[] = { 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 };

	if (family != AF_INET && family != AF_INET6)
		return -1;
	for (size_t i = 0; family == AF_INET6 && i < ARRAY_SIZE(ext); i++)
		if (l4proto == ext[i])
			return -1;
	return family == AF_INET && !l4proto ? -1 : l4proto;
}

bool cta_rule_cannot_match(const char *text, const struct cta_rule_packet *p)
{
	static const char *const fields[] = { "dport", "sport",	   "flags",  "type", "code",
					      "id",    "sequence", "option", "vtag" };
	/* statements: the matches end where one begins (`reject with icmp type ...`) */
	static const char *const statements[] = { "accept",  "drop",	 "reject",     "jump",
						  "goto",    "queue",	 "return",     "continue",
						  "dnat",    "snat",	 "masquerade", "redirect",
						  "set",     "synproxy", "notrack",    "log",
						  "counter", "limit",	 "meter",      "quota",
						  "tproxy",  "dup",	 "fwd",	       "mark" };
	/* fields of the IPv4 and IPv6 headers (not `meta protocol { ip, ip6 }`) */
	static const char *const ip_fields[] = { "saddr",     "daddr",	  "protocol", "nexthdr",
						 "version",   "length",	  "dscp",     "ecn",
						 "ttl",	      "hoplimit", "id",	      "frag-off",
						 "flowlabel", "checksum", "hdrlength" };
	const char *at = text;
	char prev[64] = "", w[64];
	bool holds;

	while (next_word(&at, w, sizeof(w), false)) {
		bool ip4 = !strcmp(prev, "ip"), ip6 = !strcmp(prev, "ip6");
		holds_fn is_in = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(statements); i++)
			if (!strcmp(w, statements[i]))
				return false;
		/* `ip saddr` never matches IPv6, nor `ip6 nexthdr` IPv4 */
		for (size_t i = 0; (ip4 || ip6) && p->family && i < ARRAY_SIZE(ip_fields); i++)
			if (!strcmp(w, ip_fields[i]) && ip6 != (p->family == AF_INET6))
				return true;
		if ((!strcmp(prev, "meta") && !strcmp(w, "l4proto")) ||
		    (ip4 && !strcmp(w, "protocol")) || (ip6 && !strcmp(w, "nexthdr")))
			is_in = is_proto;
		else if (!strcmp(prev, "meta") && !strcmp(w, "nfproto") && p->family)
			is_in = is_nfproto;
		else if (!strcmp(prev, "ct") && !strcmp(w, "state") && p->has_ct)
			is_in = is_state;
		else if ((!strcmp(w, "dport") || !strcmp(w, "sport")) &&
			 (p->has_dport || p->has_sport) &&
			 (!strcmp(prev, "th") || names_proto(prev, p)))
			is_in = w[0] == 'd' ? is_dport : is_sport;
		else if (!strcmp(w, "type") && p->n_icmp_types &&
			 ((!strcmp(prev, "icmp") && p->l4proto == IPPROTO_ICMP) ||
			  (!strcmp(prev, "icmpv6") && p->l4proto == IPPROTO_ICMPV6)))
			is_in = is_icmp_type;
		if (is_in) {
			if (!selector_holds(&at, is_in, p, &holds))
				return false;
			if (!holds)
				return true;
		} else if (prev[0]) {
			/* a header field: `tcp dport`, `icmp type` (`th dport`: any) */
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
				if (!strcmp(w, fields[i]) && !is_proto(prev, p))
					return true;
		}
		snprintf(prev, sizeof(prev), "%s", w);
	}
	return false;
}
