// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/record/procs.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advisor/lib/hashidx.h"
#include "advisor/lib/util.h"

/* Compared and hashed as bytes: zeroed first. */
struct skey {
	uint8_t role; /* ROLE_* */
	uint8_t family, l4proto, pad;
	uint16_t port; /* server: its local port; client: the peer's port */
	uint16_t pad2;
	uint32_t pad3;
	union cta_addr addr; /* client: the peer's address; server: zero */
	union cta_addr laddr; /* the local address; zero: any */
};

enum { ROLE_SERVER = 1, ROLE_CLIENT };

struct ent {
	struct skey k;
	uint32_t proc; /* index in procs */
};

struct cta_procs {
	struct ent *ents;
	size_t n_ents, cap_ents;
	struct cta_hashidx idx;
	struct cta_process **procs;
	size_t n_procs, cap_procs;
	json_t *by_text; /* the process's fields as one text -> 1 + index in procs */
};

struct cta_procs *cta_procs_new(void)
{
	struct cta_procs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	cta_hashidx_init(&p->idx);
	p->by_text = json_object();
	if (!p->by_text) {
		free(p);
		return NULL;
	}
	return p;
}

void cta_procs_free(struct cta_procs *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_procs; i++)
		cta_process_unref(p->procs[i]);
	free(p->procs);
	free(p->ents);
	cta_hashidx_fini(&p->idx);
	json_decref(p->by_text);
	free(p);
}

/* The process's fields as one text: equal texts, one process. NULL on ENOMEM. */
static char *proc_key(const struct cta_process *pr)
{
	char *text = NULL;

	if (asprintf(&text, "%u\x1f%u\x1f%u\x1f%s\x1f%s\x1f%s\x1f%s", pr->pid, pr->uid, pr->gid,
		     pr->comm, pr->exe ? pr->exe : "", pr->user ? pr->user : "",
		     pr->cgroup ? pr->cgroup : "") < 0)
		return NULL;
	return text;
}

/* The process's index in p->procs, adding it if new. */
static int intern(struct cta_procs *p, const struct cta_proc *pr, uint32_t *out)
{
	_cleanup_(cta_process_unrefp) struct cta_process *o = cta_process_from_event(pr);
	_cleanup_(freep) char *text = o ? proc_key(o) : NULL;
	json_t *known;

	if (!text)
		return -ENOMEM;
	known = json_object_get(p->by_text, text);
	if (known) {
		*out = (uint32_t)json_integer_value(known) - 1;
		return 0;
	}
	if (p->n_procs == p->cap_procs) {
		size_t nc = p->cap_procs ? p->cap_procs * 2 : 16;
		struct cta_process **v = realloc(p->procs, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->procs = v;
		p->cap_procs = nc;
	}
	if (json_object_set_new(p->by_text, text, json_integer((json_int_t)p->n_procs + 1)))
		return -ENOMEM;
	p->procs[p->n_procs] = o;
	o = NULL;
	*out = (uint32_t)p->n_procs++;
	return 0;
}

struct find_ctx {
	const struct cta_procs *p;
	const struct skey *k;
};

static bool ent_eq(uint32_t pos, const void *ctx)
{
	const struct find_ctx *c = ctx;

	return !memcmp(&c->p->ents[pos].k, c->k, sizeof(*c->k));
}

static int64_t find(const struct cta_procs *p, const struct skey *k)
{
	struct find_ctx c = { p, k };

	return cta_hashidx_find(&p->idx, cta_hash_words(k, sizeof(*k)), ent_eq, &c);
}

/* Who owns this role now: the latest event says. */
static int set_owner(struct cta_procs *p, const struct skey *k, uint32_t proc)
{
	int64_t at = find(p, k);
	int err;

	if (at >= 0) {
		p->ents[at].proc = proc;
		return 0;
	}
	if (p->n_ents == p->cap_ents) {
		size_t nc = p->cap_ents ? p->cap_ents * 2 : 64;
		struct ent *e = realloc(p->ents, nc * sizeof(*e));

		if (!e)
			return -ENOMEM;
		p->ents = e;
		p->cap_ents = nc;
	}
	err = cta_hashidx_add(&p->idx, cta_hash_words(k, sizeof(*k)), (uint32_t)p->n_ents);
	if (err)
		return err;
	p->ents[p->n_ents].k = *k;
	p->ents[p->n_ents].proc = proc;
	p->n_ents++;
	return 0;
}

static void key(struct skey *k, uint8_t role, uint8_t family, uint8_t l4proto, uint16_t port,
		const union cta_addr *addr, const union cta_addr *laddr)
{
	memset(k, 0, sizeof(*k));
	k->role = role;
	k->family = family;
	k->l4proto = l4proto;
	k->port = port;
	if (addr)
		k->addr = *addr;
	if (laddr)
		k->laddr = *laddr;
}

int cta_procs_add(struct cta_procs *p, const struct cta_sock_event *ev)
{
	struct skey k;
	uint32_t proc;
	int err;

	switch (ev->kind) {
	case CTA_SOCK_LISTEN:
	case CTA_SOCK_BIND:
	case CTA_SOCK_RECV:
		/* a service: whoever listens on (or receives at) the local port */
		if (!ev->lport)
			return 0;
		key(&k, ROLE_SERVER, ev->family, ev->l4proto, ev->lport, NULL, &ev->laddr);
		break;
	case CTA_SOCK_CONNECT:
	case CTA_SOCK_ESTABLISHED:
	case CTA_SOCK_SEND:
		/* a client of the peer; the local address where the kernel had chosen it */
		if (!ev->rport)
			return 0;
		key(&k, ROLE_CLIENT, ev->family, ev->l4proto, ev->rport, &ev->raddr, &ev->laddr);
		break;
	default:
		return 0;
	}
	err = intern(p, &ev->proc, &proc);
	if (!err)
		err = set_owner(p, &k, proc);
	/* a connect() whose local address comes later also answers for "any" */
	if (!err && ev->kind == CTA_SOCK_ESTABLISHED) {
		memset(&k.laddr, 0, sizeof(k.laddr));
		err = set_owner(p, &k, proc);
	}
	return err;
}

/* The owner of role k at local address laddr, or at any address; -1 if none. */
static int64_t owner(const struct cta_procs *p, struct skey *k, const union cta_addr *laddr)
{
	int64_t at;

	k->laddr = *laddr;
	at = find(p, k);
	if (at < 0) {
		memset(&k->laddr, 0, sizeof(k->laddr));
		at = find(p, k);
	}
	return at < 0 ? -1 : (int64_t)p->ents[at].proc;
}

static int64_t client_of(const struct cta_procs *p, const struct cta_flow *f)
{
	const struct cta_flow_key *fk = &f->key;
	struct skey k;

	/* the socket's view: the peer it asked for, before any DNAT */
	key(&k, ROLE_CLIENT, fk->family, fk->l4proto, fk->dport, &fk->dst, NULL);
	return owner(p, &k, &fk->src);
}

static int64_t server_of(const struct cta_procs *p, const struct cta_flow *f)
{
	const struct cta_flow_key *fk = &f->key;
	struct skey k;
	int64_t at;

	/* the service as it answered: after DNAT, the real responder and port */
	key(&k, ROLE_SERVER, fk->family, fk->l4proto, fk->reply_sport, NULL, NULL);
	at = owner(p, &k, &fk->reply_src);
	if (at < 0 && fk->family == AF_INET) {
		/* an IPv6 socket on "::" takes IPv4 connections too */
		static const union cta_addr any;

		key(&k, ROLE_SERVER, AF_INET6, fk->l4proto, fk->reply_sport, NULL, NULL);
		at = owner(p, &k, &any);
	}
	return at;
}

struct cta_process *cta_procs_for_flow(const struct cta_procs *p, const struct cta_flow *f)
{
	int64_t at = -1;

	if (!cta_proto_has_ports(f->key.l4proto))
		return NULL;
	switch (f->direction) {
	case CTA_DIR_OUT:
		at = client_of(p, f);
		break;
	case CTA_DIR_IN:
		at = server_of(p, f);
		break;
	case CTA_DIR_LOCAL:
		at = client_of(p, f);
		if (at < 0)
			at = server_of(p, f);
		break;
	default:
		break;
	}
	return at < 0 ? NULL : p->procs[at];
}

size_t cta_procs_sockets(const struct cta_procs *p)
{
	return p->n_ents;
}

size_t cta_procs_processes(const struct cta_procs *p)
{
	return p->n_procs;
}
