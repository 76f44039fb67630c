// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/suggest/ir.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/lib/util.h"
#include "advisor/model/ruleset.h"

/* One allowed flow as the filter hook sees it: the unit the model is built from. */
struct obs {
	uint8_t dir, family, l4proto, dnat;
	uint16_t port;
	uint8_t denied;
	union cta_addr peer; /* IN, FORWARD: source; OUT: destination */
	union cta_addr fdst; /* FORWARD: destination */
	int64_t owner; /* --per-process, OUT: the owner's uid; -1: not matched on */
	char comm[16]; /* the local program, "" if not known */
	uint64_t connections, bytes, first_ns, last_ns;
	uint64_t limited; /* attempts denied on a flow that was let through */
};

/* A service (ports of a rule-to-be) and the prefixes allowed to use it. */
struct svc {
	uint8_t dir, family, l4proto, dnat;
	uint16_t port;
	bool denied;
	union cta_addr fdst;
	int64_t owner;
	struct cta_prefix *pfx;
	size_t n_pfx;
	size_t obs_lo, obs_hi; /* its observations */
	uint64_t flows, connections, bytes, first_ns, last_ns, limited;
};

void cta_ir_fini(struct cta_ir *ir)
{
	for (size_t i = 0; i < ir->n_rules; i++) {
		free(ir->rules[i].ports);
		free(ir->rules[i].src);
		free(ir->rules[i].dst);
	}
	free(ir->rules);
	free(ir->denied);
	free(ir->helpers);
	free(ir->protections);
	memset(ir, 0, sizeof(*ir));
}

bool cta_flow_denied(const struct cta_flow *f, const struct cta_vtally *verdicts)
{
	/*
	 * A confirmed connection got through, whatever a later packet met; and a flow
	 * some of whose connections were accepted is a service, however many attempts a
	 * rate limit turned away.
	 */
	return cta_vtally_denied(verdicts) && !cta_vtally_accepted(verdicts) &&
	       f->reached == CTA_REACHED_UNREPLIED;
}

bool cta_flow_leftover(const struct cta_flow *f, const struct cta_vtally *verdicts)
{
	return f->leftover && f->leftover >= f->connections && !(verdicts && verdicts->n);
}

static void by_text(const struct cta_verdict *v, char *buf, size_t len)
{
	const char *kind = v ? cta_verdict_name(v->verdict) : "-";

	if (v && v->type == CTA_VTYPE_RULE)
		snprintf(buf, len, "%s by rule %s %s %s %s %llu", kind,
			 cta_vfamily_shown(v->family, v->legacy), v->table, v->chain,
			 v->legacy ? "number" : "handle", (unsigned long long)v->handle);
	else if (v && v->type == CTA_VTYPE_POLICY)
		snprintf(buf, len, "%s by policy of %s %s %s", kind,
			 cta_vfamily_shown(v->family, v->legacy), v->table, v->chain);
	else
		snprintf(buf, len, "%s, rule unknown", kind);
}

static int addr_cmp(const union cta_addr *a, const union cta_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

#define CMP(x, y)                                  \
	do {                                       \
		if ((x) != (y))                    \
			return (x) < (y) ? -1 : 1; \
	} while (0)

static int obs_cmp(const void *pa, const void *pb)
{
	const struct obs *a = pa, *b = pb;
	int c;

	CMP(a->dir, b->dir);
	CMP(a->family, b->family);
	CMP(a->l4proto, b->l4proto);
	CMP(a->dnat, b->dnat);
	CMP(a->owner, b->owner);
	CMP(a->port, b->port);
	c = addr_cmp(&a->fdst, &b->fdst);
	if (c)
		return c;
	return addr_cmp(&a->peer, &b->peer);
}

static bool same_service(const struct obs *a, const struct obs *b)
{
	return a->dir == b->dir && a->family == b->family && a->l4proto == b->l4proto &&
	       a->dnat == b->dnat && a->owner == b->owner && a->port == b->port &&
	       !addr_cmp(&a->fdst, &b->fdst);
}

static uint16_t service_port(const struct cta_flow *f)
{
	if (cta_proto_has_ports(f->key.l4proto))
		return f->key.reply_sport; /* after DNAT: what input and forward see */
	if (cta_proto_is_icmp(f->key.l4proto))
		return f->key.icmp_type;
	return 0;
}

static void widen(uint64_t *first, uint64_t *last, uint64_t f, uint64_t l)
{
	if (f && (!*first || f < *first))
		*first = f;
	if (l > *last)
		*last = l;
}

/*
 * The DNAT (or redirect) the verdict's traced path made, "192.0.2.2:80", "[2001:db8::2]:80"
 * or an address alone, into d's dnat fields; false when there is none.
 */
static bool traced_dnat(const struct cta_verdict *v, struct cta_ir_denied *d)
{
	const char *to = cta_verdict_dnat_to(v);
	char addr[INET6_ADDRSTRLEN + 2], *colon;
	unsigned port = 0;
	uint8_t fam;

	if (!to)
		return false;
	snprintf(addr, sizeof(addr), "%s", to[0] == '[' ? to + 1 : to);
	colon = to[0] == '[' ? strchr(addr, ']') : strrchr(addr, ':');
	if (colon && (to[0] == '[' || strchr(addr, ':') == colon)) {
		*colon = '\0';
		if (to[0] == '[' && colon[1] == ':')
			port = (unsigned)atoi(colon + 2);
		else if (to[0] != '[')
			port = (unsigned)atoi(colon + 1);
	}
	if (cta_addr_parse(addr, &fam, &d->dnat_dst) || fam != d->family)
		return false;
	d->dnat_port = port <= 65535 ? (uint16_t)port : 0;
	return d->dnat = true;
}

static int add_denied(struct cta_ir *ir, size_t *cap, const struct cta_flow *f, uint8_t dir,
		      const struct cta_verdict *verdict)
{
	struct cta_ir_denied *d;

	if (ir->n_denied == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(ir->denied, nc * sizeof(*ir->denied));

		if (!p)
			return -ENOMEM;
		ir->denied = p;
		*cap = nc;
	}
	d = &ir->denied[ir->n_denied++];
	memset(d, 0, sizeof(*d));
	d->dir = dir;
	d->family = f->key.family;
	d->l4proto = f->key.l4proto;
	d->port = service_port(f);
	d->src = f->key.src;
	d->dst = f->key.reply_src;
	d->connections = f->connections - f->leftover; /* the attempts */
	d->first_ns = f->first_ns;
	d->last_ns = f->last_ns;
	by_text(verdict, d->by, sizeof(d->by));
	if (cta_flow_translated(f) || !traced_dnat(verdict, d))
		d->dnat = false;
	return 0;
}

static int denied_cmp(const void *pa, const void *pb)
{
	const struct cta_ir_denied *a = pa, *b = pb;
	int c;

	CMP(a->dir, b->dir);
	CMP(a->family, b->family);
	CMP(a->l4proto, b->l4proto);
	CMP(a->port, b->port);
	c = addr_cmp(&a->src, &b->src);
	if (!c)
		c = addr_cmp(&a->dst, &b->dst);
	return c ? c : strcmp(a->by, b->by);
}

/* Same flow denied in several sessions (or recorded as several flows): one line. */
static void fold_denied(struct cta_ir *ir)
{
	size_t m = 0;

	if (!ir->n_denied)
		return;
	qsort(ir->denied, ir->n_denied, sizeof(*ir->denied), denied_cmp);
	for (size_t i = 0; i < ir->n_denied; i++) {
		struct cta_ir_denied *d = &ir->denied[i];

		if (m && !denied_cmp(&ir->denied[m - 1], d)) {
			ir->denied[m - 1].connections += d->connections;
			widen(&ir->denied[m - 1].first_ns, &ir->denied[m - 1].last_ns, d->first_ns,
			      d->last_ns);
			continue;
		}
		ir->denied[m++] = *d;
	}
	ir->n_denied = m;
}

/* The helper on this flow's connections, kept once per service. 0 or -ENOMEM. */
static int add_helper(struct cta_ir *ir, const struct cta_flow *f, uint8_t dir)
{
	struct cta_ir_helper *h = NULL, *v;
	uint8_t hdir = dir == CTA_IR_OUT ? CTA_IR_OUT : CTA_IR_IN;

	for (size_t i = 0; i < ir->n_helpers && !h; i++)
		if (ir->helpers[i].dir == hdir && ir->helpers[i].l4proto == f->key.l4proto &&
		    ir->helpers[i].port == service_port(f) &&
		    !strcmp(ir->helpers[i].name, f->helper))
			h = &ir->helpers[i];
	if (!h) {
		v = realloc(ir->helpers, (ir->n_helpers + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ir->helpers = v;
		h = &v[ir->n_helpers++];
		memset(h, 0, sizeof(*h));
		memcpy(h->name, f->helper, sizeof(h->name));
		h->dir = hdir;
		h->l4proto = f->key.l4proto;
		h->port = service_port(f); /* after DNAT: the helper chain is at priority filter */
	}
	h->flows++;
	h->connections += f->connections;
	return 0;
}

/* "synproxy" or "notrack" for a rule that does it (nft or iptables-save text), or NULL. */
static const char *protection_kind(const char *text)
{
	if (!text)
		return NULL;
	if (cta_rule_has_word(text, "synproxy") || cta_rule_has_word(text, "SYNPROXY"))
		return "synproxy";
	if (cta_rule_has_word(text, "notrack") || cta_rule_has_word(text, "--notrack") ||
	    cta_rule_has_word(text, "NOTRACK"))
		return "notrack";
	return NULL;
}

/* Rule r of stage st, a protection: counted once per rule. 0 or -ENOMEM. */
static int add_protection(struct cta_ir *ir, const char *kind, const struct cta_vstage *st,
			  const struct cta_vrule *r)
{
	struct cta_ir_protection *pr = NULL, *v;
	char where[160];

	snprintf(where, sizeof(where), "%s %s %s", cta_vfamily_shown(st->family, st->legacy),
		 st->table ? st->table : "-", r->chain ? r->chain : "-");
	for (size_t i = 0; i < ir->n_protections && !pr; i++)
		if (!strcmp(ir->protections[i].where, where) &&
		    !strncmp(ir->protections[i].rule, r->rule, sizeof(pr->rule) - 1))
			pr = &ir->protections[i];
	if (!pr) {
		v = realloc(ir->protections, (ir->n_protections + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ir->protections = v;
		pr = &v[ir->n_protections++];
		memset(pr, 0, sizeof(*pr));
		snprintf(pr->kind, sizeof(pr->kind), "%s", kind);
		snprintf(pr->where, sizeof(pr->where), "%s", where);
		snprintf(pr->rule, sizeof(pr->rule), "%s", r->rule);
	}
	if (pr->last_flow != ir->flows_total) /* once per flow, however many verdicts */
		pr->flows++;
	pr->last_flow = ir->flows_total;
	return 0;
}

/* The protections on the paths of an allowed flow's verdicts. 0 or -ENOMEM. */
static int add_protections(struct cta_ir *ir, const struct cta_vtally *verdicts)
{
	for (uint32_t g = 0; verdicts && g < verdicts->n; g++) {
		const struct cta_verdict *v = verdicts->g[g].v;

		for (size_t a = 0; v && a < v->n_path; a++)
			for (size_t b = 0; b < v->path[a].n_rules; b++) {
				const struct cta_vrule *r = &v->path[a].rules[b];
				const char *kind = r->policy ? NULL : protection_kind(r->rule);

				if (kind && add_protection(ir, kind, &v->path[a], r))
					return -ENOMEM;
			}
	}
	return 0;
}

/* Turn one flow into an observation, or count why it gives none. */
static int observe(const struct cta_ir_opts *o, struct cta_ir *ir, const struct cta_flow *f,
		   const struct cta_vtally *verdicts, const struct cta_process *process,
		   struct obs *out, size_t *n, size_t *denied_cap)
{
	uint8_t dir = CTA_IR_NDIRS;
	bool denied = cta_flow_denied(f, verdicts);
	struct cta_ir_tally *by;

	ir->flows_total++;
	if (f->direction == CTA_DIR_IN)
		dir = CTA_IR_IN;
	else if (f->direction == CTA_DIR_OUT)
		dir = CTA_IR_OUT;
	else if (f->direction == CTA_DIR_FORWARD)
		dir = CTA_IR_FORWARD;
	by = dir < CTA_IR_NDIRS ? &ir->by[dir][f->key.family == AF_INET6] : NULL;
	if (f->related) {
		/* its port was the master's choice: ct state related, with the helper kept */
		ir->flows_related++;
		if (by)
			by->related++;
		return 0;
	}
	if (cta_flow_leftover(f, verdicts)) {
		/* closing before the recording began: what passed it passed another ruleset */
		ir->flows_leftover++;
		return 0;
	}
	if (!by) {
		if (f->direction == CTA_DIR_LOCAL)
			ir->flows_local++;
		else
			ir->flows_unknown++;
		return 0;
	}
	if (denied) {
		ir->flows_denied++;
		by->denied++;
		if (!o->allow_denied)
			return add_denied(ir, denied_cap, f, dir, cta_vtally_main(verdicts));
	}
	if (f->helper[0] && cta_proto_has_ports(f->key.l4proto) && add_helper(ir, f, dir))
		return -ENOMEM;
	if (add_protections(ir, verdicts))
		return -ENOMEM;
	if (dir == CTA_IR_OUT && !o->restrict_output) {
		ir->flows_out_open++;
		return 0;
	}
	ir->flows_allowed++;
	by->allowed++;
	if (!denied && cta_vtally_denied(verdicts)) {
		ir->flows_limited++;
		by->limited++;
	}
	uint64_t limited = denied ? 0 : cta_vtally_denied(verdicts);

	widen(&ir->first_ns, &ir->last_ns, f->first_ns, f->last_ns);
	struct obs *b = &out[(*n)++];

	memset(b, 0, sizeof(*b));
	b->dir = dir;
	b->family = f->key.family;
	b->l4proto = f->key.l4proto;
	b->dnat = cta_flow_dnated(f);
	b->port = service_port(f);
	b->denied = denied;
	/* the responder after DNAT is the destination the filter hook sees */
	b->peer = dir == CTA_IR_OUT ? f->key.reply_src : f->key.src;
	if (dir == CTA_IR_FORWARD)
		b->fdst = f->key.reply_src;
	b->owner = -1;
	if (process) {
		cta_process_program(process, b->comm, sizeof(b->comm));
		/* the owner is known only for packets sent from a socket: output */
		if (o->per_process && dir == CTA_IR_OUT && process->has_uid)
			b->owner = process->uid;
	}
	b->connections = f->connections - f->leftover; /* leftovers are no evidence */
	b->limited = limited;
	b->bytes = f->bytes[0] + f->bytes[1];
	b->first_ns = f->first_ns;
	b->last_ns = f->last_ns;
	return 0;
}

static int pfx_list_cmp(const struct cta_prefix *a, size_t na, const struct cta_prefix *b,
			size_t nb)
{
	CMP(na, nb);
	for (size_t i = 0; i < na; i++) {
		int c = cta_prefix_cmp(&a[i], &b[i]);

		if (c)
			return c;
	}
	return 0;
}

/* Services that may share a rule sort next to each other. */
static int svc_cmp(const void *pa, const void *pb)
{
	const struct svc *a = pa, *b = pb;
	int c;

	CMP(a->dir, b->dir);
	CMP(a->family, b->family);
	CMP(a->l4proto, b->l4proto);
	CMP(a->dnat, b->dnat);
	CMP(a->owner, b->owner);
	c = addr_cmp(&a->fdst, &b->fdst);
	if (c)
		return c;
	c = pfx_list_cmp(a->pfx, a->n_pfx, b->pfx, b->n_pfx);
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

/*
 * The peers service s denied while recording (ir->denied: its sources, or for OUT its
 * destinations), into keep (room for ir->n_denied): no prefix of its may cover them.
 */
static size_t denied_peers(const struct cta_ir *ir, const struct svc *s, struct cta_prefix *keep)
{
	size_t n = 0;

	for (size_t i = 0; i < ir->n_denied; i++) {
		const struct cta_ir_denied *d = &ir->denied[i];

		/* a DNAT'ed one by where it was sent, as the service is keyed (helper-58) */
		uint16_t port = d->dnat && d->dnat_port ? d->dnat_port : d->port;

		if (d->dir != s->dir || d->family != s->family || d->l4proto != s->l4proto ||
		    port != s->port)
			continue;
		memset(&keep[n], 0, sizeof(keep[n]));
		keep[n].family = d->family;
		keep[n].addr = d->dir == CTA_IR_OUT ? d->dst : d->src;
		keep[n++].len = d->family == AF_INET ? 32 : 128;
	}
	return n;
}

/*
 * Group the observations into services, each with its folded peers: no prefix covers
 * a peer the same service denied (a /24 over an anti-spoofing drop's source would let
 * it in where the comment below the rule says it is not).
 */
static int make_services(const struct cta_ir_opts *o, const struct cta_ir *ir, struct obs *obs,
			 size_t n, struct svc **out, size_t *n_out)
{
	struct svc *sv = calloc(n ? n : 1, sizeof(*sv));
	struct cta_prefix *hosts = calloc(n ? n : 1, sizeof(*hosts));
	struct cta_prefix *keep = calloc(ir->n_denied ? ir->n_denied : 1, sizeof(*keep));
	size_t m = 0;
	int err = 0;

	if (!sv || !hosts || !keep) {
		free(sv);
		free(hosts);
		free(keep);
		return -ENOMEM;
	}
	qsort(obs, n, sizeof(*obs), obs_cmp);
	for (size_t i = 0; i < n && !err;) {
		size_t j = i;
		struct svc *s = &sv[m++];

		s->dir = obs[i].dir;
		s->family = obs[i].family;
		s->l4proto = obs[i].l4proto;
		s->dnat = obs[i].dnat;
		s->port = obs[i].port;
		s->fdst = obs[i].fdst;
		s->owner = obs[i].owner;
		s->obs_lo = i;
		for (; j < n && same_service(&obs[i], &obs[j]); j++) {
			struct cta_prefix *h = &hosts[j - i];

			memset(h, 0, sizeof(*h));
			h->family = obs[j].family;
			h->addr = obs[j].peer;
			h->connections = obs[j].connections;
			h->bytes = obs[j].bytes;
			h->first_ns = obs[j].first_ns;
			h->last_ns = obs[j].last_ns;
			s->denied |= obs[j].denied;
			s->flows++;
			s->connections += obs[j].connections;
			s->limited += obs[j].limited;
			s->bytes += obs[j].bytes;
			widen(&s->first_ns, &s->last_ns, obs[j].first_ns, obs[j].last_ns);
		}
		s->obs_hi = j;
		err = cta_group_fold(&o->group, hosts, j - i, keep, denied_peers(ir, s, keep),
				     &s->pfx, &s->n_pfx);
		i = j;
	}
	free(hosts);
	free(keep);
	if (err) {
		for (size_t i = 0; i < m; i++)
			free(sv[i].pfx);
		free(sv);
		return err;
	}
	*out = sv;
	*n_out = m;
	return 0;
}

static int push_rule(struct cta_ir *ir, size_t *cap, struct cta_ir_rule **r)
{
	if (ir->n_rules == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(ir->rules, nc * sizeof(*ir->rules));

		if (!p)
			return -ENOMEM;
		ir->rules = p;
		*cap = nc;
	}
	*r = &ir->rules[ir->n_rules++];
	memset(*r, 0, sizeof(**r));
	return 0;
}

static int addr_cmp_void(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

/* Distinct peers over the observations of services sv[lo..hi). */
static int count_peers(const struct obs *obs, const struct svc *sv, size_t lo, size_t hi,
		       uint32_t *peers)
{
	size_t n = 0, k = 0;
	union cta_addr *a;

	for (size_t i = lo; i < hi; i++)
		n += sv[i].obs_hi - sv[i].obs_lo;
	a = malloc((n ? n : 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = lo; i < hi; i++)
		for (size_t j = sv[i].obs_lo; j < sv[i].obs_hi; j++)
			a[k++] = obs[j].peer;
	qsort(a, n, sizeof(*a), addr_cmp_void);
	*peers = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || addr_cmp(&a[i - 1], &a[i]))
			(*peers)++;
	free(a);
	return 0;
}

static int str_cmp_void(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "curl,sshd" or "curl,sshd,+2": the programs seen on the observations of sv[lo..hi). */
static void programs(const struct obs *obs, const struct svc *sv, size_t lo, size_t hi, char *buf,
		     size_t len)
{
	char names[8][16];
	size_t n = 0, more = 0, at = 0;

	buf[0] = '\0';
	for (size_t i = lo; i < hi; i++)
		for (size_t j = sv[i].obs_lo; j < sv[i].obs_hi; j++) {
			bool known = !obs[j].comm[0];

			for (size_t k = 0; k < n && !known; k++)
				known = !strcmp(names[k], obs[j].comm);
			if (known)
				continue;
			if (n < 8)
				memcpy(names[n++], obs[j].comm, sizeof(names[0]));
			else
				more++;
		}
	qsort(names, n, sizeof(names[0]), str_cmp_void);
	for (size_t k = 0; k < n; k++) {
		size_t w = strlen(names[k]) + (k ? 1 : 0);

		/* what does not fit is counted instead */
		if (at + w + 4 >= len) {
			more += n - k;
			break;
		}
		at += (size_t)snprintf(buf + at, len - at, "%s%s", k ? "," : "", names[k]);
	}
	if (more)
		snprintf(buf + at, len - at, "%s+%zu", at ? "," : "", more);
}

/*
 * Services with the same peers (and, forwarded, the same destination) share a rule
 * with a port set. For forwarded flows the destinations then merge where the
 * sources and ports are the same.
 */
static int make_rules(struct cta_ir *ir, const struct obs *obs, struct svc *sv, size_t n)
{
	size_t cap = 0;
	int err = 0;

	qsort(sv, n, sizeof(*sv), svc_cmp);
	for (size_t i = 0; i < n && !err;) {
		struct cta_ir_rule *r;
		size_t j = i + 1;

		while (j < n && sv[j].dir == sv[i].dir && sv[j].family == sv[i].family &&
		       sv[j].l4proto == sv[i].l4proto && sv[j].dnat == sv[i].dnat &&
		       sv[j].owner == sv[i].owner && !addr_cmp(&sv[j].fdst, &sv[i].fdst) &&
		       !pfx_list_cmp(sv[j].pfx, sv[j].n_pfx, sv[i].pfx, sv[i].n_pfx))
			j++;
		err = push_rule(ir, &cap, &r);
		if (err)
			break;
		r->dir = sv[i].dir;
		r->family = sv[i].family;
		r->l4proto = sv[i].l4proto;
		r->dnat = sv[i].dnat;
		r->owner = sv[i].owner;
		programs(obs, sv, i, j, r->programs, sizeof(r->programs));
		r->ports = calloc(j - i, sizeof(*r->ports));
		if (!r->ports)
			return -ENOMEM;
		if (cta_proto_has_ports(r->l4proto) || cta_proto_is_icmp(r->l4proto))
			for (size_t k = i; k < j; k++)
				r->ports[r->n_ports++] = sv[k].port;
		for (size_t k = i; k < j; k++) {
			r->flows += sv[k].flows;
			r->connections += sv[k].connections;
			r->limited += sv[k].limited;
			r->bytes += sv[k].bytes;
			r->was_denied |= sv[k].denied;
			widen(&r->first_ns, &r->last_ns, sv[k].first_ns, sv[k].last_ns);
		}
		err = count_peers(obs, sv, i, j, &r->peers);
		/* the same prefixes: each one's evidence from every service of the rule */
		for (size_t k = i + 1; k < j; k++)
			for (size_t m = 0; m < sv[i].n_pfx; m++) {
				struct cta_prefix *a = &sv[i].pfx[m];
				uint32_t hosts = a->hosts > sv[k].pfx[m].hosts ? a->hosts
									       : sv[k].pfx[m].hosts;

				cta_prefix_add(a, &sv[k].pfx[m]);
				a->hosts = hosts; /* the same hosts, mostly: no sum */
			}
		/* the peer prefixes move into the rule */
		if (r->dir == CTA_IR_OUT) {
			r->dst = sv[i].pfx;
			r->n_dst = sv[i].n_pfx;
		} else {
			r->src = sv[i].pfx;
			r->n_src = sv[i].n_pfx;
		}
		sv[i].pfx = NULL;
		if (!err && r->dir == CTA_IR_FORWARD) {
			r->dst = calloc(1, sizeof(*r->dst));
			if (!r->dst)
				return -ENOMEM;
			r->n_dst = 1;
			r->dst->family = r->family;
			r->dst->len = r->family == AF_INET ? 32 : 128;
			r->dst->addr = sv[i].fdst;
			r->dst->hosts = 1;
			r->dst->connections = r->connections;
			r->dst->bytes = r->bytes;
			r->dst->first_ns = r->first_ns;
			r->dst->last_ns = r->last_ns;
		}
		i = j;
	}
	return err;
}

static bool same_ports(const struct cta_ir_rule *a, const struct cta_ir_rule *b)
{
	return a->n_ports == b->n_ports &&
	       !memcmp(a->ports, b->ports, a->n_ports * sizeof(*a->ports));
}

static int fwd_cmp(const void *pa, const void *pb)
{
	const struct cta_ir_rule *a = pa, *b = pb;
	int c;

	CMP(a->family, b->family);
	CMP(a->l4proto, b->l4proto);
	CMP(a->dnat, b->dnat);
	CMP(a->n_ports, b->n_ports);
	c = memcmp(a->ports, b->ports, a->n_ports * sizeof(*a->ports));
	if (c)
		return c;
	c = pfx_list_cmp(a->src, a->n_src, b->src, b->n_src);
	if (c)
		return c;
	return pfx_list_cmp(a->dst, a->n_dst, b->dst, b->n_dst);
}

/* Forward rules that differ only in their destination host become one. */
static int merge_forward_dsts(struct cta_ir *ir, size_t lo)
{
	struct cta_ir_rule *r;
	size_t n = ir->n_rules - lo, m = 0;

	if (!n)
		return 0;
	r = ir->rules + lo;
	qsort(r, n, sizeof(*r), fwd_cmp);
	for (size_t i = 0; i < n; i++) {
		struct cta_ir_rule *a = m ? &r[m - 1] : NULL, *b = &r[i];

		if (a && a->family == b->family && a->l4proto == b->l4proto && a->dnat == b->dnat &&
		    a->owner == b->owner && same_ports(a, b) &&
		    !pfx_list_cmp(a->src, a->n_src, b->src, b->n_src)) {
			void *p = realloc(a->dst, (a->n_dst + b->n_dst) * sizeof(*a->dst));

			if (!p)
				return -ENOMEM;
			a->dst = p;
			memcpy(a->dst + a->n_dst, b->dst, b->n_dst * sizeof(*b->dst));
			a->n_dst += b->n_dst;
			a->flows += b->flows;
			a->connections += b->connections;
			a->limited += b->limited;
			a->bytes += b->bytes;
			a->peers = a->peers > b->peers ? a->peers : b->peers;
			a->was_denied |= b->was_denied;
			widen(&a->first_ns, &a->last_ns, b->first_ns, b->last_ns);
			free(b->ports);
			free(b->src);
			free(b->dst);
			continue;
		}
		r[m++] = *b;
	}
	ir->n_rules = lo + m;
	return 0;
}

/* Output order: direction, then protocol and first port, IPv4 before IPv6. */
static int rule_order(const void *pa, const void *pb)
{
	const struct cta_ir_rule *a = pa, *b = pb;
	int c;

	CMP(a->dir, b->dir);
	CMP(a->l4proto, b->l4proto);
	CMP(a->n_ports ? a->ports[0] : 0, b->n_ports ? b->ports[0] : 0);
	CMP(a->family, b->family);
	CMP(a->dnat, b->dnat);
	c = fwd_cmp(a, b);
	return c;
}

int cta_ir_build(const struct cta_ir_opts *o, const struct cta_session *sessions, size_t n,
		 struct cta_ir *ir)
{
	size_t total = 0, n_obs = 0, denied_cap = 0, n_sv = 0, fwd_lo;
	struct obs *obs;
	struct svc *sv = NULL;
	unsigned idx[CTA_IR_NDIRS] = { 0 };
	int err = 0;

	memset(ir, 0, sizeof(*ir));
	for (size_t i = 0; i < n; i++)
		total += sessions[i].n_flows;
	obs = calloc(total ? total : 1, sizeof(*obs));
	if (!obs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		for (size_t j = 0; j < sessions[i].n_flows && !err; j++)
			err = observe(o, ir, &sessions[i].flows[j],
				      cta_session_verdicts(&sessions[i], &sessions[i].flows[j]),
				      cta_session_process(&sessions[i], &sessions[i].flows[j]), obs,
				      &n_obs, &denied_cap);
	if (!err)
		err = make_services(o, ir, obs, n_obs, &sv, &n_sv);
	if (!err)
		err = make_rules(ir, obs, sv, n_sv);
	for (size_t i = 0; i < n_sv; i++)
		free(sv[i].pfx);
	free(sv);
	free(obs);
	if (!err) {
		/* forward rules sit last after svc_cmp's order; merge their destinations */
		for (fwd_lo = 0; fwd_lo < ir->n_rules; fwd_lo++)
			if (ir->rules[fwd_lo].dir == CTA_IR_FORWARD)
				break;
		err = merge_forward_dsts(ir, fwd_lo);
	}
	if (err) {
		cta_ir_fini(ir);
		return err;
	}
	if (ir->n_rules)
		qsort(ir->rules, ir->n_rules, sizeof(*ir->rules), rule_order);
	for (size_t i = 0; i < ir->n_rules; i++)
		ir->rules[i].index = ++idx[ir->rules[i].dir];
	fold_denied(ir);
	return 0;
}

size_t cta_ir_count(const struct cta_ir *ir, enum cta_ir_dir dir, uint8_t family)
{
	size_t n = 0;

	for (size_t i = 0; i < ir->n_rules; i++)
		n += ir->rules[i].dir == dir && (!family || ir->rules[i].family == family);
	return n;
}

static const char *const icmp4_names[256] = {
	[0] = "echo-reply",	  [3] = "destination-unreachable", [5] = "redirect",
	[8] = "echo-request",	  [9] = "router-advertisement",	   [10] = "router-solicitation",
	[11] = "time-exceeded",	  [12] = "parameter-problem",	   [13] = "timestamp-request",
	[14] = "timestamp-reply",
};

static const char *const icmp6_names[256] = {
	[1] = "destination-unreachable", [2] = "packet-too-big",
	[3] = "time-exceeded",		 [4] = "parameter-problem",
	[128] = "echo-request",		 [129] = "echo-reply",
	[130] = "mld-listener-query",	 [131] = "mld-listener-report",
	[133] = "nd-router-solicit",	 [134] = "nd-router-advert",
	[135] = "nd-neighbor-solicit",	 [136] = "nd-neighbor-advert",
	[137] = "nd-redirect",		 [143] = "mld2-listener-report",
};

const char *cta_ir_port_str(uint8_t family, uint8_t l4proto, uint16_t port, char *buf, size_t len)
{
	const char *name = NULL;

	if (cta_proto_is_icmp(l4proto) && port < 256)
		name = (family == AF_INET ? icmp4_names : icmp6_names)[port];
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", (unsigned)port);
	return buf;
}

/* Minutes are enough in a comment: 2026-11-23T20:43Z */
static void minute(uint64_t ns, char *buf, size_t len)
{
	char t[40];

	cta_format_time(ns, t, sizeof(t));
	snprintf(buf, len, "%.16sZ", t);
}

const char *cta_ir_evidence(const struct cta_ir_rule *r, char *buf, size_t len)
{
	char a[24], b[24], lim[48] = "";

	minute(r->first_ns, a, sizeof(a));
	minute(r->last_ns, b, sizeof(b));
	/* some attempts were turned away (a rate limit, a ban): allowed, and said */
	if (r->limited)
		snprintf(lim, sizeof(lim), ", %llu of them denied", (unsigned long long)r->limited);
	snprintf(buf, len, "%llu conn%s %s %u host%s, %s..%s%s%s%s%s",
		 (unsigned long long)r->connections, r->connections == 1 ? "" : "s",
		 r->dir == CTA_IR_OUT ? "to" : "from", (unsigned)r->peers, r->peers == 1 ? "" : "s",
		 a, b, lim, r->was_denied ? ", was denied" : "", r->programs[0] ? ", by " : "",
		 r->programs);
	return buf;
}
