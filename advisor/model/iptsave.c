// SPDX-License-Identifier: GPL-2.0-or-later
/* iptables-save text, parsed into tables, chains and numbered rules; TRACE prefixes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/model/iptsave.h"

struct parser {
	struct cta_iptsave *s;
	struct cta_ipt_table *t; /* the table open since its `*name`, until COMMIT */
	size_t cap_chains, cap_rules;
	size_t *chain_of; /* the open table's rules' chains, in the order read */
	size_t cap_chain_of;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static bool copy_name(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0 || len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* The next word of *P (words are split by blanks; "…" with \" inside is one word). */
static bool next_word(char **p, char **word, size_t *len)
{
	char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return false;
	*word = s;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++)
			if (*s == '\\' && s[1])
				s++;
		if (*s == '"')
			s++;
	} else {
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	*len = (size_t)(s - *word);
	*p = s;
	return true;
}

static struct cta_ipt_chain *find_chain(struct cta_ipt_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->nchains; i++)
		if (strlen(t->chains[i].name) == len && !memcmp(t->chains[i].name, name, len))
			return &t->chains[i];
	return NULL;
}

/* `:NAME POLICY [packets:bytes]` */
static int chain_line(struct parser *ps, char *line)
{
	struct cta_ipt_table *t = ps->t;
	struct cta_ipt_chain *c;
	char *p = line + 1, *w;
	size_t n;

	if (!next_word(&p, &w, &n) || find_chain(t, w, n))
		return -EBADMSG;
	if (grow((void **)&t->chains, &ps->cap_chains, t->nchains, sizeof(*t->chains)))
		return -ENOMEM;
	c = &t->chains[t->nchains];
	memset(c, 0, sizeof(*c));
	if (!copy_name(c->name, sizeof(c->name), w, n))
		return -EBADMSG;
	if (!next_word(&p, &w, &n))
		return -EBADMSG;
	if (!(n == 1 && *w == '-') && !copy_name(c->policy, sizeof(c->policy), w, n))
		return -EBADMSG;
	t->nchains++;
	return 0;
}

/* The target of a rule line: the word after its last -j or -g outside quotes. */
static void rule_target(struct cta_ipt_rule *r, char *line)
{
	char *p = line, *w;
	size_t n;

	r->target = "";
	r->is_goto = false;
	while (next_word(&p, &w, &n)) {
		bool j = n == 2 && !memcmp(w, "-j", 2), g = n == 2 && !memcmp(w, "-g", 2);
		char *t;
		size_t tn;

		if ((!j && !g) || !next_word(&p, &t, &tn))
			continue;
		r->target = t;
		r->is_goto = g;
		if (*p) /* cut the target out in place: the text keeps its own copy */
			*p++ = '\0';
	}
}

/* `-A CHAIN …`: rules of one chain come together, as iptables-save writes them. */
static int rule_line(struct parser *ps, char *line, char **targets)
{
	struct cta_ipt_table *t = ps->t;
	struct cta_ipt_chain *c;
	struct cta_ipt_rule *r;
	char *p = line + 2, *w;
	size_t n;

	if (!next_word(&p, &w, &n) || !(c = find_chain(t, w, n)))
		return -EBADMSG;
	if (grow((void **)&t->rules, &ps->cap_rules, t->nrules, sizeof(*t->rules)) ||
	    grow((void **)&ps->chain_of, &ps->cap_chain_of, t->nrules, sizeof(*ps->chain_of)))
		return -ENOMEM;
	ps->chain_of[t->nrules] = (size_t)(c - t->chains);
	r = &t->rules[t->nrules++];
	r->num = (unsigned)++c->n;
	r->text = line;
	/* the target is taken from a copy of the line, so the text stays whole */
	*targets = strcpy(*targets, line);
	rule_target(r, *targets);
	*targets += strlen(line) + 1;
	return 0;
}

static int table_line(struct parser *ps, char *line)
{
	struct cta_iptsave *s = ps->s;
	struct cta_ipt_table *t;
	void *q;

	if (ps->t || cta_iptsave_table(s, line + 1))
		return -EBADMSG; /* iptables-save prints each table once */
	q = realloc(s->tables, (s->ntables + 1) * sizeof(*s->tables));
	if (!q)
		return -ENOMEM;
	s->tables = q;
	t = &s->tables[s->ntables];
	memset(t, 0, sizeof(*t));
	if (!copy_name(t->name, sizeof(t->name), line + 1, strlen(line + 1)))
		return -EBADMSG;
	s->ntables++;
	ps->t = t;
	ps->cap_chains = ps->cap_rules = 0;
	return 0;
}

/*
 * The open table's rules grouped by chain, each chain's in the order read, and each
 * chain's first: iptables-save prints a chain's rules together, but iptables-restore
 * takes them in any order (as `suggest --format iptables` writes a chain of a group
 * between another's). 0 or -ENOMEM.
 */
static int group_rules(struct parser *ps)
{
	struct cta_ipt_table *t = ps->t;
	struct cta_ipt_rule *sorted;
	size_t k = 0;

	if (!t->nrules)
		return 0;
	if (!(sorted = malloc(t->nrules * sizeof(*sorted))))
		return -ENOMEM;
	/* a counting sort: each chain's rule count is c->n */
	for (size_t c = 0; c < t->nchains; c++) {
		t->chains[c].first = k;
		k += t->chains[c].n;
		t->chains[c].n = 0;
	}
	for (size_t i = 0; i < t->nrules; i++) {
		struct cta_ipt_chain *c = &t->chains[ps->chain_of[i]];

		sorted[c->first + c->n++] = t->rules[i];
	}
	memcpy(t->rules, sorted, t->nrules * sizeof(*sorted));
	free(sorted);
	return 0;
}

static int one_line(struct parser *ps, char *line, char **targets)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!n || line[0] == '#')
		return 0;
	if (line[0] == '*')
		return table_line(ps, line);
	if (!ps->t)
		return -EBADMSG;
	if (!strcmp(line, "COMMIT")) {
		int err = group_rules(ps);

		ps->t = NULL;
		return err;
	}
	if (line[0] == ':')
		return chain_line(ps, line);
	if (!strncmp(line, "-A ", 3))
		return rule_line(ps, line, targets);
	return -EBADMSG;
}

int cta_iptsave_parse(const char *text, size_t len, struct cta_iptsave **out, unsigned *bad_line)
{
	struct parser ps = { 0 };
	char *line, *end, *targets;
	unsigned no = 0;
	int err = 0;

	*out = NULL;
	*bad_line = 0;
	ps.s = calloc(1, sizeof(*ps.s));
	/* the text, and room behind it for a copy of every line (the rules' targets) */
	if (!ps.s || !(ps.s->text = malloc(2 * len + 2))) {
		cta_iptsave_free(ps.s);
		return -ENOMEM;
	}
	memcpy(ps.s->text, text, len);
	ps.s->text[len] = '\0';
	targets = ps.s->text + len + 1;
	for (line = ps.s->text; !err && line < ps.s->text + len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(ps.s->text + len - line));
		if (!end)
			end = ps.s->text + len;
		*end = '\0';
		no++;
		if (strlen(line) != (size_t)(end - line))
			err = -EBADMSG; /* a NUL inside a line */
		else
			err = one_line(&ps, line, &targets);
	}
	if (!err && ps.t) {
		err = -EBADMSG; /* no COMMIT */
		no++;
	}
	free(ps.chain_of);
	if (err) {
		*bad_line = err == -EBADMSG ? no : 0;
		cta_iptsave_free(ps.s);
		return err;
	}
	*out = ps.s;
	return 0;
}

void cta_iptsave_free(struct cta_iptsave *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntables; i++) {
		free(s->tables[i].chains);
		free(s->tables[i].rules);
	}
	free(s->tables);
	free(s->text);
	free(s);
}

const struct cta_ipt_table *cta_iptsave_table(const struct cta_iptsave *s, const char *table)
{
	for (size_t i = 0; s && i < s->ntables; i++)
		if (!strcmp(s->tables[i].name, table))
			return &s->tables[i];
	return NULL;
}

const struct cta_ipt_chain *cta_iptsave_chain(const struct cta_ipt_table *t, const char *chain)
{
	for (size_t i = 0; t && i < t->nchains; i++)
		if (!strcmp(t->chains[i].name, chain))
			return &t->chains[i];
	return NULL;
}

const struct cta_ipt_rule *cta_iptsave_rule(const struct cta_iptsave *s, const char *table,
					    const char *chain, unsigned num)
{
	const struct cta_ipt_table *t = cta_iptsave_table(s, table);
	const struct cta_ipt_chain *c = cta_iptsave_chain(t, chain);

	if (!c || num == 0 || num > c->n)
		return NULL;
	return &t->rules[c->first + num - 1];
}

bool cta_ipt_table_decides(const struct cta_ipt_table *t)
{
	if (t->nrules)
		return true;
	for (size_t j = 0; j < t->nchains; j++)
		if (!t->chains[j].policy[0] || strcmp(t->chains[j].policy, "ACCEPT"))
			return true;
	return false;
}

bool cta_iptsave_decides(const struct cta_iptsave *s)
{
	for (size_t i = 0; s && i < s->ntables; i++)
		if (cta_ipt_table_decides(&s->tables[i]))
			return true;
	return false;
}

static const char *const trace_types[] = {
	[CTA_IPT_TRACE_RULE] = "rule",
	[CTA_IPT_TRACE_RETURN] = "return",
	[CTA_IPT_TRACE_POLICY] = "policy",
};

const char *cta_ipt_trace_type_name(enum cta_ipt_trace_type type)
{
	return (unsigned)type < sizeof(trace_types) / sizeof(trace_types[0]) ? trace_types[type]
									     : "?";
}

/* The next ':'-ended field of [*P, END) into DST; false when absent or too long. */
static bool field(const char **p, const char *end, char *dst, size_t size)
{
	const char *colon = memchr(*p, ':', (size_t)(end - *p));

	if (!colon || !copy_name(dst, size, *p, (size_t)(colon - *p)))
		return false;
	*p = colon + 1;
	return true;
}

int cta_ipt_trace_parse(const char *prefix, size_t len, struct cta_ipt_trace *t)
{
	static const char head[] = "TRACE: ";
	const char *p = prefix, *end;
	char type[8];
	unsigned long num = 0;

	memset(t, 0, sizeof(*t));
	end = memchr(prefix, '\0', len);
	if (!end)
		end = prefix + len;
	if ((size_t)(end - p) < sizeof(head) - 1 || memcmp(p, head, sizeof(head) - 1))
		return -EPROTO;
	p += sizeof(head) - 1;
	if (!field(&p, end, t->table, sizeof(t->table)) ||
	    !field(&p, end, t->chain, sizeof(t->chain)) || !field(&p, end, type, sizeof(type)))
		return -EBADMSG;
	if (p == end || *p < '0' || *p > '9')
		return -EBADMSG;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		num = num * 10 + (unsigned long)(*p - '0');
		if (num > 0xffffffUL)
			return -EBADMSG;
	}
	while (p < end && *p == ' ')
		p++;
	if (p != end || num == 0)
		return -EBADMSG;
	t->num = (unsigned)num;
	for (size_t i = 0; i < sizeof(trace_types) / sizeof(trace_types[0]); i++)
		if (!strcmp(type, trace_types[i])) {
			t->type = (enum cta_ipt_trace_type)i;
			return 0;
		}
	return -EBADMSG;
}

/* Does the line [p, end) hold NEEDLE? */
static bool has(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(end - p) >= n; p++)
		if (!memcmp(p, needle, n))
			return true;
	return false;
}

enum cta_ipt_file cta_ipt_file_kind(const char *text, size_t len, int *family)
{
	const char *p = text, *end = text + len;
	bool restore = false, decided = false, nft = false, legacy = false, v6 = false;

	for (; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *q = p;

		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q < e && *q == '#') {
			/* "ip6tables-…" holds no "iptables-": both spellings */
			nft |= has(q, e, "(nf_tables)") || has(q, e, "iptables-nft") ||
			       has(q, e, "ip6tables-nft");
			legacy |= has(q, e, "iptables-legacy") || has(q, e, "ip6tables-legacy") ||
				  has(q, e, "format iptables)") || has(q, e, "format ip6tables)") ||
				  ((has(q, e, "Generated by iptables-save") ||
				    has(q, e, "Generated by ip6tables-save")) &&
				   !has(q, e, "(nf_tables)"));
			v6 |= has(q, e, "ip6tables");
		} else if (q < e && !decided) {
			decided = true;
			restore = *q == '*';
		} else if (q < e) {
			v6 |= has(q, e, "icmp6") || has(q, e, "ipv6-icmp") || has(q, e, "::");
		}
		p = e;
	}
	*family = v6 ? AF_INET6 : AF_INET;
	if (!restore)
		return CTA_IPT_FILE_NFT;
	if (nft)
		return CTA_IPT_FILE_IPTNFT;
	return legacy ? CTA_IPT_FILE_LEGACY : CTA_IPT_FILE_UNMARKED;
}
