// SPDX-License-Identifier: GPL-2.0-or-later
/* The rules with xt expressions, copied through libnftnl (xtcopy.h). */
#include "nft/xtcopy.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft/ctmsg.h"
#include "nft/legacy.h"

struct xt_rule {
	struct nftnl_rule *r;
	const char *chain; /* r's */
	uint64_t handle;
	bool xt;
};

struct cta_xt_rules {
	struct xt_rule *v;
	size_t n, cap, n_xt;
	uint8_t family;
	int err; /* of the dump's callback */
};

/* Does r hold a "match" or "target" expression (nft_compat)? */
static bool holds_xt(struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	bool xt = false;

	if (!it)
		return false;
	while (!xt && (e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		xt = name && (!strcmp(name, "match") || !strcmp(name, "target"));
	}
	nftnl_expr_iter_destroy(it);
	return xt;
}

/*
 * The protocol an xt rule tests, as its NFTA_RULE_COMPAT: an xt extension that needs
 * one (multiport, tcp, REJECT --reject-with tcp-reset) is refused without it (EINVAL,
 * nft_compat's checkentry), and the kernel keeps no such attribute to dump. iptables-nft
 * writes `-p P` as `meta l4proto` (older ones, IPv4: the header's protocol byte, offset
 * 9; IPv6: next header, offset 6) and a 1-byte cmp, != for `! -p P`. Set on r when found.
 */
static void compat_of(struct nftnl_rule *r, uint8_t family)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	bool loaded = false;

	if (!it)
		return;
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!name)
			continue;
		if (!strcmp(name, "meta")) {
			loaded = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_L4PROTO;
		} else if (!strcmp(name, "payload")) {
			uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);

			loaded = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE) ==
					 NFT_PAYLOAD_NETWORK_HEADER &&
				 nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN) == 1 &&
				 off == (family == NFPROTO_IPV6 ? 6u : 9u);
		} else if (!strcmp(name, "cmp") && loaded) {
			uint32_t len = 0, op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
			const uint8_t *v = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);

			if (v && len == 1 && (op == NFT_CMP_EQ || op == NFT_CMP_NEQ)) {
				nftnl_rule_set_u32(r, NFTNL_RULE_COMPAT_PROTO, v[0]);
				nftnl_rule_set_u32(r, NFTNL_RULE_COMPAT_FLAGS,
						   op == NFT_CMP_NEQ ? NFT_RULE_COMPAT_F_INV : 0);
				break;
			}
			loaded = false;
		} else {
			loaded = false;
		}
	}
	nftnl_expr_iter_destroy(it);
}

static int on_rule(const struct nlmsghdr *nlh, void *data)
{
	struct cta_xt_rules *x = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct xt_rule *slot;

	if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		x->err = r ? -EBADMSG : -ENOMEM;
		return MNL_CB_ERROR;
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		struct xt_rule *v = realloc(x->v, cap * sizeof(*v));

		if (!v) {
			nftnl_rule_free(r);
			x->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		x->v = v;
		x->cap = cap;
	}
	slot = &x->v[x->n++];
	slot->r = r;
	slot->chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	slot->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	slot->xt = holds_xt(r);
	x->n_xt += slot->xt;
	if (slot->xt)
		compat_of(r, x->family);
	if (!slot->chain) {
		x->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

void cta_xt_rules_free(struct cta_xt_rules *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		nftnl_rule_free(x->v[i].r);
	free(x->v);
	free(x);
}

size_t cta_xt_rules_count(const struct cta_xt_rules *x)
{
	return x ? x->n_xt : 0;
}

int cta_xt_rules_dump(uint8_t family, const char *table, struct cta_xt_rules **out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct cta_xt_rules *x = calloc(1, sizeof(*x));
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nftnl_rule *req = nftnl_rule_alloc();
	uint32_t seq = (uint32_t)time(NULL), port;
	struct nlmsghdr *nlh;
	int rc = 0;

	*out = NULL;
	if (!x || !nl || !req) {
		rc = nl ? -ENOMEM : -errno;
		goto out;
	}
	x->family = family;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	port = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, family, NLM_F_DUMP, seq);
	nftnl_rule_set_str(req, NFTNL_RULE_TABLE, table);
	nftnl_rule_nlmsg_build_payload(nlh, req);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (got < 0) {
			rc = -errno;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)got, seq, port, on_rule, x);
		if (rc <= MNL_CB_STOP) {
			rc = rc == MNL_CB_STOP ? 0 : (x->err ? x->err : -errno);
			break;
		}
	}
out:
	nftnl_rule_free(req);
	if (nl)
		mnl_socket_close(nl);
	if (rc) {
		cta_xt_rules_free(x);
		return rc;
	}
	*out = x;
	return 0;
}

/* Where chain's rules begin in x (a dump holds each chain's rules together), or x->n. */
static size_t chain_start(const struct cta_xt_rules *x, const char *chain)
{
	size_t i = 0;

	while (i < x->n && strcmp(x->v[i].chain, chain))
		i++;
	return i;
}

/* How many rules chain has in x from start on, together. */
static size_t chain_run(const struct cta_xt_rules *x, size_t start, const char *chain)
{
	size_t n = 0;

	while (start + n < x->n && !strcmp(x->v[start + n].chain, chain))
		n++;
	return n;
}

/*
 * For each rule of live, the index of the copy's rule at the same place into at[]
 * (live->n of them). 0, or -ESTALE: a chain with another count of rules.
 */
static int pair(const struct cta_xt_rules *live, const struct cta_xt_rules *copy, size_t *at)
{
	size_t i = 0;

	while (i < live->n) {
		const char *chain = live->v[i].chain;
		size_t n = chain_run(live, i, chain), c = chain_start(copy, chain);

		if (chain_run(copy, c, chain) != n || chain_start(live, chain) != i)
			return -ESTALE;
		for (size_t k = 0; k < n; k++)
			at[i + k] = c + k;
		i += n;
	}
	return 0;
}

/* Send the batch; wait for last_seq's acknowledgement or the first error. */
static int talk(struct mnl_socket *nl, const void *b, size_t len, uint32_t last_seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	if (mnl_socket_sendto(nl, b, len) < 0)
		return -errno;
	for (;;) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t got;
		int n, rc = poll(&pfd, 1, 5000);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -ETIMEDOUT;
		got = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (got < 0)
			return -errno;
		n = (int)got;
		for (nlh = (const struct nlmsghdr *)buf; cta_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EBADMSG;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error)
				return e->error;
			if (nlh->nlmsg_seq == last_seq)
				return 0;
		}
	}
}

/* live's rule r under handle (its own put back after), as a NEWRULE replacement at buf. */
static struct nlmsghdr *replacement(void *buf, uint8_t family, struct nftnl_rule *r, uint64_t own,
				    uint64_t handle, uint32_t seq)
{
	struct nlmsghdr *nlh =
		nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, family, NLM_F_REPLACE | NLM_F_ACK, seq);

	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION);
	nftnl_rule_unset(r, NFTNL_RULE_ID);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, own);
	return nlh;
}

int cta_xt_rules_put(const struct cta_xt_rules *live, const struct cta_xt_rules *copy)
{
	struct mnl_socket *nl = NULL;
	struct mnl_nlmsg_batch *b = NULL;
	uint32_t seq = (uint32_t)time(NULL), last = 0;
	size_t size = 2 * (size_t)MNL_SOCKET_BUFFER_SIZE, n = 0, *at = NULL;
	char *buf = NULL;
	int rc = 0;

	if (!live->n_xt)
		return 0;
	/* the same chains with as many rules: the copy is live's listing, loaded */
	if (!(at = calloc(live->n, sizeof(*at))))
		return -ENOMEM;
	if ((rc = pair(live, copy, at)))
		goto out;
	/* the transaction's size, message by message (an xt match's info has no bound) */
	if (!(buf = malloc(1u << 16))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < live->n; i++)
		if (live->v[i].xt)
			size += NLMSG_ALIGN(replacement(buf, live->family, live->v[i].r,
							live->v[i].handle, copy->v[at[i]].handle, 0)
						    ->nlmsg_len);
	free(buf);
	/* room past the limit for the message that finds it full (libmnl's batch) */
	buf = malloc(2 * size);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!buf || !nl) {
		rc = nl ? -ENOMEM : -errno;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	/* one transaction, however large: nft raises its own socket's buffer the same way */
	{
		int sz = size > (size_t)INT32_MAX ? INT32_MAX : (int)size;

		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz,
				 sizeof(sz));
	}
	b = mnl_nlmsg_batch_start(buf, size);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	for (size_t i = 0; i < live->n; i++) {
		const struct xt_rule *l = &live->v[i];

		if (!l->xt)
			continue;
		/* live's expressions under the copy's handle: a replacement in place */
		last = seq;
		replacement(mnl_nlmsg_batch_current(b), live->family, l->r, l->handle,
			    copy->v[at[i]].handle, seq++);
		if (!mnl_nlmsg_batch_next(b)) {
			rc = -ENOSPC;
			goto out;
		}
		n++;
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq);
	mnl_nlmsg_batch_next(b);
	rc = talk(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), last);
out:
	if (b)
		mnl_nlmsg_batch_stop(b);
	free(buf);
	free(at);
	if (nl)
		mnl_socket_close(nl);
	return rc ? rc : (int)n;
}

static int on_gen(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *g = nftnl_gen_alloc();
	int rc = MNL_CB_ERROR;

	if (g && nftnl_gen_nlmsg_parse(nlh, g) == 0 && nftnl_gen_is_set(g, NFTNL_GEN_ID)) {
		*(uint32_t *)data = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
		rc = MNL_CB_STOP;
	}
	nftnl_gen_free(g);
	return rc;
}

int cta_nft_generation(uint32_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	ssize_t got;
	int rc;

	if (!nl)
		return -errno;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
	    (got = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
		rc = -errno;
	} else {
		rc = mnl_cb_run(buf, (size_t)got, seq, mnl_socket_get_portid(nl), on_gen, gen);
		rc = rc == MNL_CB_STOP ? 0 : rc < 0 ? -errno : -EBADMSG;
	}
	mnl_socket_close(nl);
	return rc;
}

/* One "-A CHAIN ..." line of iptables-nft-save's output, cut at its end. */
struct saved_line {
	const char *chain; /* into the line: "CHAIN ..." (its length: chain_len) */
	size_t chain_len;
	char *line;
};

/* The "-A" lines of TEXT, in order, cut in place (TEXT changes). How many, or -ENOMEM. */
static ssize_t saved_lines(char *text, struct saved_line **out)
{
	struct saved_line *v = NULL;
	size_t n = 0, cap = 0;

	for (char *p = text, *nl; p && *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		if (strncmp(p, "-A ", 3))
			continue;
		if (n == cap) {
			struct saved_line *w = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!w) {
				free(v);
				return -ENOMEM;
			}
			v = w;
		}
		v[n].chain = p + 3;
		v[n].chain_len = strcspn(p + 3, " ");
		v[n++].line = p;
	}
	*out = v;
	return (ssize_t)n;
}

int cta_xt_rules_saved(uint8_t family, const char *table, uint32_t gen, cta_xt_saved_fn fn,
		       void *data)
{
	struct cta_xt_rules *x = NULL;
	struct saved_line *lines = NULL;
	uint32_t gen0, gen1;
	char *text = NULL;
	size_t len, done = 0;
	ssize_t n = 0;
	int rc;

	if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6)
		return 0;
	if ((rc = cta_nft_generation(&gen0)))
		goto out;
	if (gen0 != gen) {
		rc = -ESTALE; /* changed since the caller's listing */
		goto out;
	}
	if ((rc = cta_xt_rules_dump(family, table, &x)) || !x->n_xt)
		goto out;
	rc = cta_iptables_nft_save(family == NFPROTO_IPV6 ? AF_INET6 : AF_INET, table, &text, &len,
				   NULL);
	if (rc || (rc = cta_nft_generation(&gen1)))
		goto out;
	if (gen1 != gen) {
		rc = -ESTALE; /* changed meanwhile: the lines may be of other rules */
		goto out;
	}
	if ((n = saved_lines(text, &lines)) < 0) {
		rc = (int)n;
		goto out;
	}
	/* chain by chain, the k-th line is the k-th rule: counts checked first, then paired */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (size_t i = 0; i < x->n && !rc;) {
			const char *chain = x->v[i].chain;
			size_t run = chain_run(x, i, chain), clen = strlen(chain), k = 0;

			for (ssize_t l = 0; l < n && !rc; l++) {
				if (lines[l].chain_len != clen ||
				    strncmp(lines[l].chain, chain, clen))
					continue;
				if (pass && k < run && x->v[i + k].xt) {
					rc = fn(chain, x->v[i + k].handle, lines[l].line, data);
					done++;
				}
				k++;
			}
			if (!rc && k != run)
				rc = -ESTALE; /* iptables-nft-save left one out, or printed more */
			i += run;
		}
	}
out:
	free(lines);
	free(text);
	cta_xt_rules_free(x);
	return rc ? rc : (int)done;
}
