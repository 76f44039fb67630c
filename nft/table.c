// SPDX-License-Identifier: GPL-2.0-or-later
#include "table.h"
#include "ctmsg.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX_MSGS 16

struct cta_table {
	struct mnl_socket *nl; /* owns the table: closing it deletes the table */
	uint32_t portid;
	uint32_t seq;
};

/* One batch under construction; names[] says which object each message creates. */
struct batch {
	char buf[16384];
	struct mnl_nlmsg_batch *b;
	uint32_t first_seq, seq;
	char names[BATCH_MAX_MSGS][64];
	unsigned n;
};

static void batch_begin(struct batch *bt, uint32_t seq)
{
	bt->b = mnl_nlmsg_batch_start(bt->buf, sizeof(bt->buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), seq++);
	mnl_nlmsg_batch_next(bt->b);
	bt->first_seq = bt->seq = seq;
	bt->n = 0;
}

static struct nlmsghdr *batch_msg(struct batch *bt, uint16_t type, uint16_t flags,
				  const char *what)
{
	struct nlmsghdr *nlh;

	if (bt->n >= BATCH_MAX_MSGS)
		return NULL;
	snprintf(bt->names[bt->n++], sizeof(bt->names[0]), "%s", what);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, NFPROTO_INET,
				    flags | NLM_F_ACK, bt->seq++);
	return nlh;
}

static void batch_end(struct batch *bt)
{
	mnl_nlmsg_batch_next(bt->b);
	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq);
	mnl_nlmsg_batch_next(bt->b);
}

static int add_table(struct batch *bt)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, CTA_TABLE_NAME);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nlh = batch_msg(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL,
			"table inet " CTA_TABLE_NAME);
	if (nlh)
		nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

static int add_chain(struct batch *bt, const char *name, uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char what[64];

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, CTA_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	snprintf(what, sizeof(what), "chain %s", name);
	nlh = batch_msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, what);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

static struct nftnl_expr *expr_new(const char *name)
{
	return nftnl_expr_alloc(name);
}

/*
 * `ct state new counter`: the ct expression is what makes the kernel run conntrack
 * in this namespace at all (design.md); the counter is the kernel's own tally.
 */
static int add_ct_rule(struct batch *bt, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e;
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;
	struct nlmsghdr *nlh;
	char what[80];

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, CTA_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);

	if (!(e = expr_new("ct")))
		goto nomem;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);

	if (!(e = expr_new("bitwise")))
		goto nomem;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	nftnl_rule_add_expr(r, e);

	if (!(e = expr_new("cmp")))
		goto nomem;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero));
	nftnl_rule_add_expr(r, e);

	if (!(e = expr_new("counter")))
		goto nomem;
	nftnl_rule_add_expr(r, e);

	snprintf(what, sizeof(what), "rule in chain %s", chain);
	nlh = batch_msg(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
nomem:
	nftnl_rule_free(r);
	return -ENOMEM;
}

/*
 * Send the batch and collect one reply per message (all carry NLM_F_ACK). The first
 * error wins; its message's name goes to *failed.
 */
static int batch_talk(struct cta_table *t, struct batch *bt, const char **failed)
{
	char buf[8192];
	unsigned replies = 0;
	int first_err = 0;

	if (mnl_socket_sendto(t->nl, mnl_nlmsg_batch_head(bt->b),
			      mnl_nlmsg_batch_size(bt->b)) < 0)
		return -errno;
	while (replies < bt->n) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(t->nl), .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t got;
		int len, rc = poll(&pfd, 1, 5000);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -ETIMEDOUT;
		got = mnl_socket_recvfrom(t->nl, buf, sizeof(buf));
		if (got < 0)
			return -errno;
		len = (int)got;
		for (nlh = (const struct nlmsghdr *)buf; cta_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;
			uint32_t i;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EBADMSG;
			e = mnl_nlmsg_get_payload(nlh);
			i = nlh->nlmsg_seq - bt->first_seq;
			if (i >= bt->n) {
				/* the batch as a whole was refused (EPERM without CAP_NET_ADMIN):
				 * one error for the batch-begin message, nothing else follows */
				*failed = "batch";
				return e->error ? e->error : -EPROTO;
			}
			replies++;
			if (e->error && !first_err) {
				first_err = e->error;
				*failed = bt->names[i];
				/* EPERM on the table itself: another socket owns it */
				if (first_err == -EPERM && i == 0)
					first_err = -EBUSY;
			}
		}
	}
	return first_err;
}

int cta_table_new(struct cta_table **out, struct cta_table_error *errinfo)
{
	struct cta_table *t;
	struct batch *bt;
	const char *failed = "netlink socket";
	int err;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	bt = calloc(1, sizeof(*bt));
	if (!t || !bt) {
		free(t);
		free(bt);
		return -ENOMEM;
	}
	t->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!t->nl || mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	t->portid = mnl_socket_get_portid(t->nl);
	t->seq = (uint32_t)time(NULL);

	batch_begin(bt, t->seq);
	err = add_table(bt);
	if (!err)
		err = add_chain(bt, "new_prerouting", NF_INET_PRE_ROUTING, -150);
	if (!err)
		err = add_ct_rule(bt, "new_prerouting");
	if (!err)
		err = add_chain(bt, "new_output", NF_INET_LOCAL_OUT, -150);
	if (!err)
		err = add_ct_rule(bt, "new_output");
	if (err) {
		failed = "batch";
		goto fail;
	}
	batch_end(bt);
	t->seq = bt->seq + 1;
	err = batch_talk(t, bt, &failed);
	if (err)
		goto fail;
	mnl_nlmsg_batch_stop(bt->b);
	free(bt);
	*out = t;
	return 0;
fail:
	if (errinfo)
		snprintf(errinfo->object, sizeof(errinfo->object), "%s", failed);
	if (bt->b)
		mnl_nlmsg_batch_stop(bt->b);
	free(bt);
	cta_table_free(t);
	return err ? err : -EIO;
}

void cta_table_free(struct cta_table *t)
{
	if (!t)
		return;
	if (t->nl)
		mnl_socket_close(t->nl);
	free(t);
}
