// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/table.h"
#include "nft/ctmsg.h"
#include "nft/kcount.h"

#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers, which defer to it */
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX_MSGS 256

struct cta_table {
	struct mnl_socket *nl; /* owns the table: closing it deletes the table */
	uint32_t portid;
	uint32_t seq;
};

/* One batch under construction; names[] says which object each message creates. */
struct batch {
	char buf[131072];
	struct mnl_nlmsg_batch *b;
	uint32_t first_seq, seq;
	char names[BATCH_MAX_MSGS][64];
	unsigned n;
	const char *table; /* the table's name */
	uint8_t family; /* NFPROTO_INET, or NFPROTO_NETDEV for ingress tracing */
	const char *device; /* a netdev chain's device */
};

static void batch_begin(struct batch *bt, uint32_t seq)
{
	bt->b = mnl_nlmsg_batch_start(bt->buf, sizeof(bt->buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), seq++);
	mnl_nlmsg_batch_next(bt->b);
	bt->first_seq = bt->seq = seq;
	bt->n = 0;
}

static struct nlmsghdr *batch_msg(struct batch *bt, uint16_t type, uint16_t flags, const char *what)
{
	struct nlmsghdr *nlh;

	if (bt->n >= BATCH_MAX_MSGS)
		return NULL;
	/* a name for error messages: cut short if need be */
	snprintf(bt->names[bt->n++], sizeof(bt->names[0]), "%.*s", (int)sizeof(bt->names[0]) - 1,
		 what);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, bt->family,
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
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, bt->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, bt->family);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nlh = batch_msg(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL,
			bt->family == NFPROTO_NETDEV ? "table netdev" : "table inet");
	if (nlh)
		nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

/* A base chain at hook, priority prio; base false: a regular chain (hook, prio unused). */
static int new_chain(struct batch *bt, const char *name, bool base, uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char what[CTA_NAME_MAX + 8];

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, bt->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, bt->family);
	if (bt->device)
		nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, bt->device);
	if (base) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
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

static int add_chain(struct batch *bt, const char *name, uint32_t hook, int32_t prio)
{
	return new_chain(bt, name, true, hook, prio);
}

/*
 * The sets of 5-tuples already marked: saddr . daddr . l4proto . th dport, each part
 * in a 4-byte register slot as nft lays out concatenations.
 */
struct seen {
	const char *name, *syn_name;
	uint32_t id;
	uint8_t nfproto, icmp; /* family; its ICMP, keyed by echo identifier */
	uint32_t addr_len, saddr_off, daddr_off, key_len;
	uint32_t reg_daddr, reg_proto, reg_port; /* reg_saddr is NFT_REG_1 */
};

static const struct seen seen4 = {
	.name = "seen4",
	.syn_name = "syn4",
	.id = 4,
	.nfproto = NFPROTO_IPV4,
	.icmp = IPPROTO_ICMP,
	.addr_len = 4,
	.saddr_off = 12,
	.daddr_off = 16,
	.key_len = 16,
	.reg_daddr = NFT_REG32_01,
	.reg_proto = NFT_REG32_02,
	.reg_port = NFT_REG32_03,
};
static const struct seen seen6 = {
	.name = "seen6",
	.syn_name = "syn6",
	.id = 6,
	.nfproto = NFPROTO_IPV6,
	.icmp = IPPROTO_ICMPV6,
	.addr_len = 16,
	.saddr_off = 8,
	.daddr_off = 24,
	.key_len = 40,
	.reg_daddr = NFT_REG_2,
	.reg_proto = NFT_REG32_08,
	.reg_port = NFT_REG32_09,
};

/* The TCP SYNs traced per flow: a burst, then a rate (see add_trace_syns). */
#define PER_FLOW_RATE 1 /* a second */
#define PER_FLOW_BURST 5

/* nft's type ids, 6 bits each in a concatenation's key type */
#define TYPE_IPV4 7u
#define TYPE_IPV6 8u
#define TYPE_INET_PROTO 12u
#define TYPE_INET_SERVICE 13u
#define TYPE_MARK 19u

/* A set of the table, family inet: what sets differ in. */
struct set_spec {
	const char *name;
	uint32_t id; /* the batch's name for it (NFTNL_SET_ID) */
	uint32_t key_type, key_len;
	uint64_t timeout_ms; /* 0: none */
	uint32_t size;
	struct nftnl_expr *expr; /* per element (a counter), taken; NULL: none */
};

/* Set NAME of the batch's table (family inet), to build a message of: NULL on ENOMEM. */
static struct nftnl_set *set_named(const struct batch *bt, const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, bt->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	return s;
}

/*
 * A message of TYPE about set s into the batch: its elements (elems: true, a
 * NEWSETELEM or DELSETELEM) or the set itself; s is freed. what names it in errors.
 * 0 or -ENOSPC.
 */
static int set_to_batch(struct batch *bt, struct nftnl_set *s, uint16_t type, uint16_t flags,
			bool elems, const char *what)
{
	struct nlmsghdr *nlh = batch_msg(bt, type, flags, what);

	if (nlh && elems)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	else if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

/* The set's NEWSET message into the batch. 0, -ENOMEM or -ENOSPC. */
static int add_set_msg(struct batch *bt, const struct set_spec *sp)
{
	struct nftnl_set *s = set_named(bt, sp->name);
	char what[64];

	if (!s) {
		nftnl_expr_free(sp->expr);
		return -ENOMEM;
	}
	nftnl_set_set_u32(s, NFTNL_SET_ID, sp->id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS,
			  sp->timeout_ms ? NFT_SET_TIMEOUT | NFT_SET_EVAL : NFT_SET_EVAL);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sp->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sp->key_len);
	if (sp->timeout_ms)
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, sp->timeout_ms);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, sp->size);
	if (sp->expr)
		nftnl_set_add_expr(s, sp->expr); /* the set takes it */
	snprintf(what, sizeof(what), "set %s", sp->name);
	return set_to_batch(bt, s, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, false, what);
}

/* addr . addr . inet_proto . inet_service, as nft types the flow keys */
static uint32_t flow_key_type(bool v6)
{
	uint32_t addr = v6 ? TYPE_IPV6 : TYPE_IPV4;

	return ((addr << 6 | addr) << 6 | TYPE_INET_PROTO) << 6 | TYPE_INET_SERVICE;
}

/* A seen set of sn's key; name and id: sn's, or its SYN set's (syn: true). */
static int add_set(struct batch *bt, const struct seen *sn, bool syn)
{
	struct set_spec sp = { .name = syn ? sn->syn_name : sn->name,
			       .id = syn ? sn->id + 1 : sn->id,
			       .key_type = flow_key_type(sn->addr_len == 16),
			       .key_len = sn->key_len,
			       .timeout_ms = CTA_SEEN_TIMEOUT_MS,
			       .size = 65536 };

	return add_set_msg(bt, &sp);
}

/*
 * --trace new's budget, `limit trace_rate { rate N/second burst N packets }`: one
 * token bucket that every rule marking a new flow for tracing draws from
 * (add_trace_syns, add_trace_new), so that a flood of new flows (a scan, many
 * clients at once) costs at most N traces a second, each several messages
 * (tracemsg.h). A flow over the budget is not marked seen: its next packet tries
 * again (a reply's too: no conntrack yet at -350). Limit objects: Linux 4.18.
 */
static int add_trace_rate(struct batch *bt, uint32_t per_second)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, bt->table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, CTA_TRACE_RATE_OBJ);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, bt->family);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_LIMIT);
	nftnl_obj_set_u64(o, NFTNL_OBJ_LIMIT_RATE, per_second);
	nftnl_obj_set_u64(o, NFTNL_OBJ_LIMIT_UNIT, 1); /* seconds */
	nftnl_obj_set_u32(o, NFTNL_OBJ_LIMIT_BURST, per_second);
	nftnl_obj_set_u32(o, NFTNL_OBJ_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nlh = batch_msg(bt, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL, "limit " CTA_TRACE_RATE_OBJ);
	if (nlh)
		nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

/*
 * The counting sets (nft/kcount.h): one element per flow, keyed by the conntrack
 * original tuple's saddr . daddr . l4proto . proto-dst (a port, or ICMP type . code),
 * each element with a counter of the packets in state new that passed, kept until
 * record stops: each listing's count is the difference to the last one. The
 * uncounted sets only say which flows missed a count, and expire; the nat sets only
 * which flows left translated, kept.
 */
static uint32_t count_set_id(int point, int v6, int gen);

static int add_count_set(struct batch *bt, int point, bool v6, int gen)
{
	bool count = point != CTA_KCOUNT_UNCOUNTED && point != CTA_KCOUNT_NAT;
	struct set_spec sp = {
		.name = cta_kcount_set_name(point, v6, gen),
		.id = count_set_id(point, v6, gen),
		.key_type = flow_key_type(v6),
		.key_len = v6 ? 40 : 16,
		.timeout_ms = point == CTA_KCOUNT_UNCOUNTED ? CTA_KCOUNT_TIMEOUT_MS : 0,
		.size = CTA_KCOUNT_SET_SIZE,
		.expr = count ? nftnl_expr_alloc("counter") : NULL,
	};

	if (count && !sp.expr)
		return -ENOMEM;
	return add_set_msg(bt, &sp);
}

#define SYN_SET_ID 40 /* + 2 * again + v6 */

/*
 * A SYN set (nft/kcount.h): saddr . daddr . inet_service . inet_service . mark (the
 * sequence number: nft has no bare 32-bit type to name it), with a timeout.
 */
static int add_syn_set(struct batch *bt, bool v6, bool again)
{
	uint32_t addr = v6 ? TYPE_IPV6 : TYPE_IPV4;
	uint32_t addrs = addr << 6 | addr;
	uint32_t ports = (addrs << 6 | TYPE_INET_SERVICE) << 6 | TYPE_INET_SERVICE;
	struct set_spec sp = {
		.name = cta_kcount_syn_set_name(v6, again),
		.id = SYN_SET_ID + 2 * (uint32_t)again + (uint32_t)v6,
		.key_type = ports << 6 | TYPE_MARK,
		.key_len = v6 ? 44 : 20,
		.timeout_ms = CTA_KCOUNT_SYN_TIMEOUT_MS,
		.size = CTA_KCOUNT_SYN_SET_SIZE,
	};

	return add_set_msg(bt, &sp);
}

/* ---- expressions: each adds one to the rule, or marks it broken (ENOMEM) ---- */

struct rule {
	struct nftnl_rule *r;
	bool oom;
};

static void add(struct rule *r, struct nftnl_expr *e)
{
	if (!e)
		r->oom = true;
	else
		nftnl_rule_add_expr(r->r, e);
}

static void e_meta_load(struct rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	add(r, e);
}

static void e_cmp(struct rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	add(r, e);
}

static void e_payload(struct rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	add(r, e);
}

static void e_mask(struct rule *r, uint32_t mask, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, len);
	}
	add(r, e);
}

/* meta nftrace set 1 */
static void e_nftrace(struct rule *r)
{
	struct nftnl_expr *imm = nftnl_expr_alloc("immediate"), *set = nftnl_expr_alloc("meta");
	uint32_t one = 1;

	if (imm) {
		nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, &one, sizeof(one));
	}
	add(r, imm);
	if (set) {
		nftnl_expr_set_u32(set, NFTNL_EXPR_META_KEY, NFT_META_NFTRACE);
		nftnl_expr_set_u32(set, NFTNL_EXPR_META_SREG, NFT_REG_1);
	}
	add(r, set);
}

static void e_verdict(struct rule *r, int32_t verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	}
	add(r, e);
}

/* goto CHAIN: its end or a return there ends the base chain (policy accept) */
static void e_goto(struct rule *r, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_GOTO);
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	add(r, e);
}

static void e_counter(struct rule *r)
{
	add(r, nftnl_expr_alloc("counter"));
}

/* limit name trace_rate: matches while --trace new's budget has a token (add_trace_rate) */
static void e_trace_rate(struct rule *r, uint32_t per_second)
{
	struct nftnl_expr *e;

	if (!per_second)
		return;
	e = nftnl_expr_alloc("objref");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_LIMIT);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, CTA_TRACE_RATE_OBJ);
	}
	add(r, e);
}

static void e_log(struct rule *r, uint16_t group)
{
	struct nftnl_expr *e = nftnl_expr_alloc("log");

	if (e) {
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, 128);
	}
	add(r, e);
}

static void e_set_op(struct rule *r, const struct seen *sn, bool dynset_add)
{
	struct nftnl_expr *e = nftnl_expr_alloc(dynset_add ? "dynset" : "lookup");

	if (e && dynset_add) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, sn->name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, sn->id);
	} else if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, sn->name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, sn->id);
	}
	add(r, e);
}

/* the key in NFT_REG_1 on @SET (by name and id); inv: != @SET */
static void e_lookup(struct rule *r, const char *set, uint32_t set_id, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
		if (inv)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	add(r, e);
}

/* meta KEY == value (one byte: nfproto, l4proto) */
static void e_meta_is(struct rule *r, uint32_t key, uint8_t value)
{
	e_meta_load(r, key, NFT_REG_1);
	e_cmp(r, NFT_CMP_EQ, &value, 1);
}

/*
 * Load the 5-tuple key into the registers, forward or reversed. The last part is the
 * destination port (reversed: the source port), or for ICMP the echo identifier, the
 * same in both directions: its bytes 2-3 are the checksum, which differs from packet
 * to packet and made every echo look like a new flow.
 */
static void e_key(struct rule *r, const struct seen *sn, bool reverse, bool icmp)
{
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, reverse ? sn->daddr_off : sn->saddr_off,
		  sn->addr_len, NFT_REG_1);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, reverse ? sn->saddr_off : sn->daddr_off,
		  sn->addr_len, sn->reg_daddr);
	e_meta_load(r, NFT_META_L4PROTO, sn->reg_proto);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, icmp ? 4 : reverse ? 0 : 2, 2, sn->reg_port);
}

static struct rule rule_begin(const struct batch *bt, const char *chain)
{
	struct rule r = { nftnl_rule_alloc(), false };

	if (!r.r) {
		r.oom = true;
		return r;
	}
	nftnl_rule_set_str(r.r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r.r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r.r, NFTNL_RULE_FAMILY, bt->family);
	return r;
}

static int rule_commit(struct batch *bt, struct rule *r, const char *chain)
{
	struct nlmsghdr *nlh = NULL;
	char what[80];

	if (!r->oom) {
		snprintf(what, sizeof(what), "rule in chain %s", chain);
		nlh = batch_msg(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);
		if (nlh)
			nftnl_rule_nlmsg_build_payload(nlh, r->r);
	}
	nftnl_rule_free(r->r);
	if (r->oom)
		return -ENOMEM;
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

/*
 * update @SET { KEY limit rate PER_FLOW_RATE/second burst PER_FLOW_BURST packets }:
 * matches while the key's own limit (in its element) lets it; NULL: ENOMEM.
 */
static struct nftnl_expr *limited_update(const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = nftnl_expr_alloc("dynset"), *limit = nftnl_expr_alloc("limit");

	if (!e || !limit) {
		nftnl_expr_free(limit);
		nftnl_expr_free(e);
		return NULL;
	}
	nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_RATE, PER_FLOW_RATE);
	nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_BURST, PER_FLOW_BURST);
	nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, set_id);
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, limit, 0); /* e takes it */
	return e;
}

/* ct KEY (of the original direction: orig) into dreg */
static void e_ct_load(struct rule *r, uint32_t key, bool orig, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		if (orig)
			nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, 0); /* IP_CT_DIR_ORIGINAL */
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	}
	add(r, e);
}

/*
 * ct state new (is_new) or not new: the first packets of a connection, until its
 * first reply, or every other packet (established, related, invalid, untracked)
 */
static void e_ct_state_new(struct rule *r, bool is_new)
{
	uint32_t zero = 0;

	e_ct_load(r, NFT_CT_STATE, false, NFT_REG_1);
	e_mask(r, NF_CT_STATE_BIT(IP_CT_NEW), 4);
	e_cmp(r, is_new ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero, 4);
}

/*
 * `ct state & new == 0 return`, first in each chain whose rules are all for first
 * packets: every other packet leaves the chain after one rule instead of trying each.
 */
static int add_skip_not_new(struct batch *bt, const char *chain)
{
	struct rule r = rule_begin(bt, chain);

	e_ct_state_new(&r, false);
	e_verdict(&r, NFT_RETURN);
	return rule_commit(bt, &r, chain);
}

/*
 * `counter`, after add_skip_not_new's rule: the kernel's own tally of packets in ct
 * state new. That rule's ct expression is what makes the kernel run conntrack in
 * this namespace at all (design.md).
 */
static int add_ct_rule(struct batch *bt, const char *chain)
{
	struct rule r = rule_begin(bt, chain);

	e_counter(&r);
	return rule_commit(bt, &r, chain);
}

/* ct original KEY into dreg */
static void e_ct_orig(struct rule *r, uint32_t key, uint32_t dreg)
{
	e_ct_load(r, key, true, dreg);
}

/*
 * The flow's key from the conntrack original tuple: saddr . daddr . protocol .
 * proto-dst (ICMP: type . code) into NFT_REG_1 on. The family is the caller's to test.
 */
static void e_ct_tuple(struct rule *r, bool v6)
{
	const struct seen *sn = v6 ? &seen6 : &seen4;

	e_ct_orig(r, v6 ? NFT_CT_SRC_IP6 : NFT_CT_SRC_IP, NFT_REG_1);
	e_ct_orig(r, v6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP, sn->reg_daddr);
	e_ct_orig(r, NFT_CT_PROTOCOL, sn->reg_proto);
	e_ct_orig(r, NFT_CT_PROTO_DST, sn->reg_port);
}

/* meta nfproto F, then e_ct_tuple */
static void e_ct_key(struct rule *r, bool v6)
{
	e_meta_is(r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_ct_tuple(r, v6);
}

/* [meta KEY (iiftype or oiftype) != loopback]; key 0: nothing */
static void e_not_loopback(struct rule *r, uint32_t key)
{
	uint16_t loopback = 772; /* ARPHRD_LOOPBACK */

	if (!key)
		return;
	e_meta_load(r, key, NFT_REG_1);
	e_cmp(r, NFT_CMP_NEQ, &loopback, 2);
}

/*
 * meta KEY == loopback return: the chain's rules after it are for packets that did
 * not come in on loopback (one rule's test instead of one in each rule)
 */
static int add_skip_loopback(struct batch *bt, const char *chain, uint32_t key)
{
	struct rule r = rule_begin(bt, chain);
	uint16_t loopback = 772; /* ARPHRD_LOOPBACK */

	e_meta_load(&r, key, NFT_REG_1);
	e_cmp(&r, NFT_CMP_EQ, &loopback, 2);
	e_verdict(&r, NFT_RETURN);
	return rule_commit(bt, &r, chain);
}

/* add|update @SET { the key in NFT_REG_1 on } (SET by name and id) */
static void e_dynset(struct rule *r, uint32_t op, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = nftnl_expr_alloc("dynset");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, op);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, set_id);
	}
	add(r, e);
}

/* meta l4proto tcp tcp flags & (syn | ack) == syn */
static void e_tcp_syn(struct rule *r)
{
	uint8_t syn = 0x02;

	e_meta_is(r, NFT_META_L4PROTO, IPPROTO_TCP);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_mask(r, 0x12, 1);
	e_cmp(r, NFT_CMP_EQ, &syn, 1);
}

/*
 * A SYN's identity into NFT_REG_1 on, as the SYN sets key it: ct original saddr .
 * daddr . proto-src . proto-dst . tcp sequence (after e_ct_key's registers: the same
 * slots, sport where the protocol was).
 */
static void e_syn_key(struct rule *r, bool v6)
{
	const struct seen *sn = v6 ? &seen6 : &seen4;

	e_ct_orig(r, v6 ? NFT_CT_SRC_IP6 : NFT_CT_SRC_IP, NFT_REG_1);
	e_ct_orig(r, v6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP, sn->reg_daddr);
	e_ct_orig(r, NFT_CT_PROTO_SRC, sn->reg_proto);
	e_ct_orig(r, NFT_CT_PROTO_DST, sn->reg_port);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 4, 4, sn->reg_port + 1);
}

/* the SYN identity in NFT_REG_1 on is in syns4/6 (the set has no counter to run) */
static void e_in_syns(struct rule *r, bool v6)
{
	e_lookup(r, cta_kcount_syn_set_name(v6, false), SYN_SET_ID + (uint32_t)v6, false);
}

/*
 * Where it leaves (nft/kcount.h, the SYN sets):
 * tcp flags & (syn|ack) == syn meta nfproto F delete @synsF { identity }
 */
static int add_syn_leave_rule(struct batch *bt, const char *chain, bool v6)
{
	struct rule r = rule_begin(bt, chain);

	e_tcp_syn(&r);
	e_meta_is(&r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_syn_key(&r, v6);
	e_dynset(&r, NFT_DYNSET_OP_DELETE, cta_kcount_syn_set_name(v6, false), SYN_SET_ID + v6);
	return rule_commit(bt, &r, chain);
}

/*
 * meta nfproto F update @SET { ct original saddr . daddr . protocol . proto-dst }
 * (after the chain's `ct state ! new return` and, at prerouting and input, its
 * `meta iiftype loopback return`). The original tuple, not the packet's headers: NAT
 * between where a packet enters and where it leaves changes the headers, not the
 * tuple.
 */
static int add_count_rule(struct batch *bt, const char *chain, const char *set, uint32_t set_id,
			  bool v6, bool uncounted)
{
	struct rule r = rule_begin(bt, chain);

	e_ct_key(&r, v6);
	e_dynset(&r, uncounted ? NFT_DYNSET_OP_ADD : NFT_DYNSET_OP_UPDATE, set, set_id);
	if (!uncounted)
		e_verdict(&r, NFT_RETURN); /* counted: the next rule is for what was not */
	return rule_commit(bt, &r, chain);
}

/* ct status & (snat | dnat) != 0 */
static void e_ct_nat(struct rule *r)
{
	uint32_t zero = 0;

	e_ct_load(r, NFT_CT_STATUS, false, NFT_REG_1);
	e_mask(r, IPS_SRC_NAT | IPS_DST_NAT, 4);
	e_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

/* fib daddr type unicast: delivered here all the same (TPROXY and policy routing) */
static void e_diverted(struct rule *r)
{
	struct nftnl_expr *fib = nftnl_expr_alloc("fib");
	uint32_t unicast = RTN_UNICAST;

	if (fib) {
		nftnl_expr_set_u32(fib, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(fib, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(fib, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	}
	add(r, fib);
	e_cmp(r, NFT_CMP_EQ, &unicast, 4);
}

/*
 * meta nfproto F ct status & (snat | dnat) != 0
 * add @natF { ct original saddr . daddr . protocol . proto-dst }
 * At the left points, after every NAT chain: the flows that left translated. With
 * diverted (input only), `fib daddr type unicast` for the ct status: the flows
 * delivered to this host whose destination is not its own (TPROXY). Either way the
 * original tuple does not say where the flow went.
 */
static int add_nat_rule(struct batch *bt, const char *chain, bool v6, int gen, bool diverted)
{
	struct rule r = rule_begin(bt, chain);

	/* the family first: the other family's packets skip the fib lookup */
	e_meta_is(&r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (diverted)
		e_diverted(&r);
	else
		e_ct_nat(&r);
	e_ct_tuple(&r, v6);
	e_dynset(&r, NFT_DYNSET_OP_ADD, cta_kcount_set_name(CTA_KCOUNT_NAT, v6, gen),
		 count_set_id(CTA_KCOUNT_NAT, v6, gen));
	return rule_commit(bt, &r, chain);
}

/*
 * meta nfproto F ct original packets 1
 * update @firstF { KEY } update @leftF { KEY } return
 * (KEY: ct original saddr . daddr . protocol . proto-dst)
 * At the left points: a connection's very first packet (the others in state new are
 * more of the same connection: no reply yet), counted in firstF and, with the key
 * made once, in leftF. The rules after it count the other packets in leftF, and a very
 * first one whose element in either set could not be made, as they did when this rule
 * counted in firstF alone.
 */
static int add_first_rule(struct batch *bt, const char *chain, bool v6, int gen)
{
	struct rule r = rule_begin(bt, chain);
	uint64_t one = 1;

	e_meta_is(&r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_ct_orig(&r, NFT_CT_PKTS, NFT_REG_1);
	e_cmp(&r, NFT_CMP_EQ, &one, 8);
	e_ct_tuple(&r, v6);
	e_dynset(&r, NFT_DYNSET_OP_UPDATE, cta_kcount_set_name(CTA_KCOUNT_FIRST, v6, gen),
		 count_set_id(CTA_KCOUNT_FIRST, v6, gen));
	e_dynset(&r, NFT_DYNSET_OP_UPDATE, cta_kcount_set_name(CTA_KCOUNT_LEFT, v6, gen),
		 count_set_id(CTA_KCOUNT_LEFT, v6, gen));
	e_verdict(&r, NFT_RETURN);
	return rule_commit(bt, &r, chain);
}

/*
 * Where first packets enter the filter hooks and where they leave them (see
 * nft/kcount.h): entered at prerouting and output, just after conntrack (-200); left
 * at input and postrouting, after every other chain and after conntrack confirmed
 * the entry. What loopback brings back is neither: it entered at output and left at
 * postrouting, where conntrack confirmed it (a drop at input then is not counted: the
 * connection exists).
 */
static uint32_t count_set_id(int point, int v6, int gen)
{
	if (point == CTA_KCOUNT_UNCOUNTED)
		gen = 0;
	/* 10 ... 29 */
	return 10 + 2 * CTA_KCOUNT_POINTS * (uint32_t)gen + CTA_KCOUNT_POINTS * (uint32_t)v6 +
	       (uint32_t)point;
}

static const struct {
	const char *chain;
	uint32_t hook;
	int32_t prio;
	uint32_t not_loopback; /* meta key, or 0 */
	enum cta_kcount_point point;
} count_points[] = {
	{ CTA_CHAIN_ENTERED_PREROUTING, NF_INET_PRE_ROUTING, -199, NFT_META_IIFTYPE,
	  CTA_KCOUNT_ENTERED },
	{ CTA_CHAIN_ENTERED_OUTPUT, NF_INET_LOCAL_OUT, -199, 0, CTA_KCOUNT_ENTERED },
	{ CTA_CHAIN_LEFT_INPUT, NF_INET_LOCAL_IN, INT32_MAX, NFT_META_IIFTYPE, CTA_KCOUNT_LEFT },
	{ CTA_CHAIN_LEFT_POSTROUTING, NF_INET_POST_ROUTING, INT32_MAX, 0, CTA_KCOUNT_LEFT },
};
#define N_COUNT_POINTS (sizeof(count_points) / sizeof(count_points[0]))

/* The rules of count_points[i]'s chain, counting into generation gen's sets. */
static int add_count_rules(struct batch *bt, size_t i, int gen)
{
	const char *chain = count_points[i].chain;
	uint32_t nl = count_points[i].not_loopback;
	bool left = count_points[i].point == CTA_KCOUNT_LEFT;
	int err = add_skip_not_new(bt, chain);

	/* a SYN leaves on loopback too (the SYN sets count connects, kcount.h) */
	for (int v6 = 0; v6 < 2 && !err && left; v6++)
		err = add_syn_leave_rule(bt, chain, v6);
	if (!err && nl)
		err = add_skip_loopback(bt, chain, nl);
	/*
	 * A set element's counter is per-CPU memory, allocated atomically: when the
	 * kernel has none ready, the element is not made and the update fails. The flow
	 * then goes to the uncounted set, whose elements need no such memory.
	 */
	for (int v6 = 0; v6 < 2 && !err; v6++) {
		if (left)
			err = add_nat_rule(bt, chain, v6, gen, false);
		if (!err && count_points[i].hook == NF_INET_LOCAL_IN)
			err = add_nat_rule(bt, chain, v6, gen, true);
		if (!err && left)
			err = add_first_rule(bt, chain, v6, gen);
		if (!err)
			err = add_count_rule(bt, chain,
					     cta_kcount_set_name(count_points[i].point, v6, gen),
					     count_set_id(count_points[i].point, v6, gen), v6,
					     false);
		if (!err)
			err = add_count_rule(bt, chain,
					     cta_kcount_set_name(CTA_KCOUNT_UNCOUNTED, v6, 0),
					     count_set_id(CTA_KCOUNT_UNCOUNTED, v6, 0), v6, true);
	}
	return err;
}

static int add_counting(struct batch *bt)
{
	int err = 0;

	for (int gen = 0; gen < CTA_KCOUNT_GENS && !err; gen++)
		for (int v6 = 0; v6 < 2 && !err; v6++)
			for (int i = 0; i < CTA_KCOUNT_POINTS && !err; i++)
				if (!gen || i != CTA_KCOUNT_UNCOUNTED)
					err = add_count_set(bt, i, v6, gen);
	for (size_t i = 0; i < N_COUNT_POINTS && !err; i++) {
		err = add_chain(bt, count_points[i].chain, count_points[i].hook,
				count_points[i].prio);
		if (!err)
			err = add_count_rules(bt, i, 0);
	}
	return err;
}

/*
 * --trace new: the first packet of a flow (source, destination, protocol, destination
 * port; ICMP: echo identifier) in CTA_SEEN_TIMEOUT_MS; TCP SYNs of a flow in a burst,
 * then at a rate. A verdict that changes is seen again when the flow's element
 * expires (a SYN: at once), and every flow is traced afresh when the seen sets are
 * flushed (cta_table_flush_seen, on a ruleset change).
 */
/*
 * TCP: its SYNs, a burst of PER_FLOW_BURST per flow and then PER_FLOW_RATE a second
 * (the limit lives in the flow's element of the SYN set, 30 s after its last SYN):
 * a flood of connections of one flow costs a few traces, and a verdict that
 * changes from one connection to the next (a meter, a limit) is still seen.
 * In the TCP chain (trace_HOOK_tcp, add_trace_new), whose packets are SYNs
 * (add_trace_not_syn):
 * meta nfproto F  update @synF { ... } meta nftrace set 1 return
 * then the chain's end (SYNs over the limit)
 */
static int add_trace_syns(struct batch *bt, const char *chain, uint32_t per_second)
{
	const struct seen *sets[] = { &seen4, &seen6 };
	int err = 0;

	for (size_t i = 0; i < 2 && !err; i++) {
		struct rule r = rule_begin(bt, chain);

		e_meta_is(&r, NFT_META_NFPROTO, sets[i]->nfproto);
		e_key(&r, sets[i], false, false);
		add(&r, limited_update(sets[i]->syn_name, sets[i]->id + 1));
		e_trace_rate(&r, per_second);
		e_nftrace(&r);
		e_verdict(&r, NFT_RETURN);
		err = rule_commit(bt, &r, chain);
	}
	return err;
}

/*
 * First in the TCP chain: tcp flags & (syn|ack) != syn return. The packets of TCP
 * connections (the bulk of most hosts' traffic) leave the trace chain after the
 * dispatch rule and this one.
 */
static int add_trace_not_syn(struct batch *bt, const char *chain)
{
	struct rule r = rule_begin(bt, chain);
	uint8_t syn = 0x02;

	e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_mask(&r, 0x12, 1);
	e_cmp(&r, NFT_CMP_NEQ, &syn, 1);
	e_verdict(&r, NFT_RETURN);
	return rule_commit(bt, &r, chain);
}

#define RETRACE_SET_ID 50 /* + v6 */

/* retrace4/6: a flow's budget of traced SYN retransmits (add_trace_resyns) */
static int add_retrace_set(struct batch *bt, bool v6)
{
	const struct seen *sn = v6 ? &seen6 : &seen4;
	struct set_spec sp = { .name = v6 ? "retrace6" : "retrace4",
			       .id = RETRACE_SET_ID + v6,
			       .key_type = flow_key_type(v6),
			       .key_len = sn->key_len,
			       .timeout_ms = CTA_SEEN_TIMEOUT_MS,
			       .size = 65536 };

	return add_set_msg(bt, &sp);
}

#define DOUBT_SET_ID 52 /* + v6 */
#define DOUBT_SAMPLE 4u /* a flow in doubt: one packet in this many, at random */

/*
 * doubt4/6: flows of denials the kernel counted that no trace named a rule for
 * (cta_table_doubt), keyed as the counting sets key them (nft/kcount.h); each for
 * CTA_DOUBT_TIMEOUT_MS.
 */
static int add_doubt_set(struct batch *bt, bool v6)
{
	struct set_spec sp = { .name = v6 ? "doubt6" : "doubt4",
			       .id = DOUBT_SET_ID + v6,
			       .key_type = flow_key_type(v6),
			       .key_len = (v6 ? &seen6 : &seen4)->key_len,
			       .timeout_ms = CTA_DOUBT_TIMEOUT_MS,
			       .size = 65536 };

	return add_set_msg(bt, &sp);
}

/* numgen random mod m == 0 (in a register of its own, past the keys') */
static void e_sampled(struct rule *r, uint32_t m)
{
	struct nftnl_expr *e = nftnl_expr_alloc("numgen");
	uint32_t zero = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, NFT_REG32_15);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, m);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	}
	add(r, e);
	e = nftnl_expr_alloc("cmp");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG32_15);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero));
	}
	add(r, e);
}

/*
 * --trace new with counting: the packets of a flow in doubt (doubtF: denials counted,
 * no rule named, cta_table_doubt, which also takes it out of seenF) are traced one in
 * DOUBT_SAMPLE at random, a burst of PER_FLOW_BURST and then PER_FLOW_RATE a second
 * per flow (retraceF), within the trace budget; the flow is not marked seen. A flow's
 * own budget alone traces the first packet of each second, which is the one a rate
 * limit that refilled meanwhile lets through (seen: a UDP flow behind `limit rate
 * 5/second`, its accepts traced, its 350 drops never): at random, packets of a burst
 * the limit cut are traced too. Packets of connections established are traced as
 * well (UDP has no first-packet flag at -350); the judge leaves them out (judge.c).
 * For the port protocols but TCP (whose dropped SYNs are traced as they are sent
 * again), after seenF's lookup, with seenF's key (the counting sets' key for ports,
 * from the headers: the original tuple at -350): no cost to the packets of flows seen,
 * two lookups to the others (replies and new flows).
 *   meta nfproto F KEY @doubtF numgen random mod 4 == 0
 *       update @retraceF { KEY limit rate 1/second burst 5 packets }
 *       [limit name trace_rate] meta nftrace set 1 return
 *   meta nfproto F KEY @doubtF return
 */
static int add_trace_doubts(struct batch *bt, const char *chain, const struct seen *sn,
			    uint32_t per_second)
{
	bool v6 = sn->nfproto == NFPROTO_IPV6;
	int err = 0;

	for (int step = 0; step < 2 && !err; step++) {
		struct rule r = rule_begin(bt, chain);

		e_meta_is(&r, NFT_META_NFPROTO, sn->nfproto);
		e_key(&r, sn, false, false);
		e_lookup(&r, v6 ? "doubt6" : "doubt4", DOUBT_SET_ID + (uint32_t)v6, false);
		if (step == 0) {
			e_sampled(&r, DOUBT_SAMPLE);
			add(&r, limited_update(v6 ? "retrace6" : "retrace4",
					       RETRACE_SET_ID + (uint32_t)v6));
			e_trace_rate(&r, per_second);
			e_nftrace(&r);
		}
		e_verdict(&r, NFT_RETURN);
		err = rule_commit(bt, &r, chain);
	}
	return err;
}

/*
 * A SYN's identity into NFT_REG_1 on, from its headers, as the SYN sets key it (the
 * same slots as e_syn_key): at -350, before conntrack and NAT, its headers are its
 * connection's original tuple.
 */
static void e_syn_key_headers(struct rule *r, const struct seen *sn)
{
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, sn->saddr_off, sn->addr_len, NFT_REG_1);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, sn->daddr_off, sn->addr_len, sn->reg_daddr);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, sn->reg_proto);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, sn->reg_port);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 4, 4, sn->reg_port + 1);
}

/*
 * --trace new with counting: a SYN whose connect is in synsF (nft/kcount.h) was sent
 * again after the filter hooks dropped it (or while it was still on its way, for
 * microseconds). A burst of PER_FLOW_BURST per flow, then PER_FLOW_RATE a second,
 * is traced. Of a flow some connects of which were let through (a rate limit) the
 * SYNs add_trace_syns traces once its burst is spent are each the first of a second,
 * the one a limit that refilled meanwhile lets through (seen: 40 connects at once to
 * a port behind `limit rate 2/second`, 35 dropped, none traced): the rule dropping the
 * others went unnamed. Retransmits come in a burst as their SYNs did, and most are
 * dropped again.
 * In the TCP chain, whose packets are SYNs (add_trace_not_syn):
 *   meta nfproto F  IDENTITY @synsF
 *   update @retraceF { KEY limit rate 1/second burst 5 packets } [limit name trace_rate]
 *   meta nftrace set 1 return
 */
static int add_trace_resyns(struct batch *bt, const char *chain, uint32_t per_second)
{
	const struct seen *sets[] = { &seen4, &seen6 };
	int err = 0;

	for (size_t i = 0; i < 2 && !err; i++) {
		struct rule r = rule_begin(bt, chain);

		e_meta_is(&r, NFT_META_NFPROTO, sets[i]->nfproto);
		e_syn_key_headers(&r, sets[i]);
		e_in_syns(&r, i);
		e_key(&r, sets[i], false, false);
		add(&r, limited_update(i ? "retrace6" : "retrace4", RETRACE_SET_ID + (uint32_t)i));
		e_trace_rate(&r, per_second);
		e_nftrace(&r);
		e_verdict(&r, NFT_RETURN);
		err = rule_commit(bt, &r, chain);
	}
	return err;
}

/*
 * A packet whose reversed key is a flow marked seen is a reply of that flow: its
 * source the flow's destination, its source port the flow's destination port. Each
 * connection of a UDP service's client comes from a new source port, so its replies'
 * own keys are new every time, and each was traced as a new flow (the marking runs
 * before conntrack), took a token of the budget from the new flows, and was thrown
 * away by the judge. Not traced:
 *   meta nfproto F reversed KEY @seenF return
 * The seen sets hold the keys of flows only, never reversed ones (but ICMP's, keyed
 * by echo identifier): a reversed key there would make the flows from that port to
 * any port of the other side look like replies (a client sending from port 53 to 53,
 * then to 514). The price: a flow's first packet is looked up twice, and a new flow
 * whose reversed key is a seen flow's (the same port both ways, as NTP's or IKE's
 * peers use, after its conntrack entry ended) is not traced until that element
 * expires; its counts and denials are the counting sets' all the same.
 */
static int add_seen_replies(struct batch *bt, const char *chain, const struct seen *sn)
{
	struct rule r = rule_begin(bt, chain);

	e_meta_is(&r, NFT_META_NFPROTO, sn->nfproto);
	e_key(&r, sn, true, false);
	e_set_op(&r, sn, false);
	e_verdict(&r, NFT_RETURN);
	return rule_commit(bt, &r, chain);
}

/* meta l4proto P goto TARGET */
static int add_dispatch(struct batch *bt, const char *chain, uint8_t l4proto, const char *target)
{
	struct rule r = rule_begin(bt, chain);

	e_meta_is(&r, NFT_META_L4PROTO, l4proto);
	e_goto(&r, target);
	return rule_commit(bt, &r, chain);
}

/*
 * The rules of family sn that mark a flow's first packet, in chain: ICMP's (icmp: in
 * its own chain, keyed by echo identifier, both directions marked seen) or the port
 * protocols' but TCP (in the trace chain itself, with the doubts and the replies).
 *   meta nfproto F KEY @seenF return
 *   [add_trace_doubts, add_seen_replies: not ICMP]
 *   meta nfproto F [limit name trace_rate] add @seenF { KEY } [ICMP: add @seenF
 *   { reversed KEY }] meta nftrace set 1
 * Over the budget a flow is not marked seen: the chain ends, its next packet tried again.
 */
static int add_trace_flows(struct batch *bt, const char *chain, const struct seen *sn,
			   uint32_t per_second, bool icmp, bool doubts)
{
	struct rule r = rule_begin(bt, chain);
	int err;

	e_meta_is(&r, NFT_META_NFPROTO, sn->nfproto);
	e_key(&r, sn, false, icmp);
	e_set_op(&r, sn, false);
	e_verdict(&r, NFT_RETURN);
	if ((err = rule_commit(bt, &r, chain)))
		return err;
	if (!icmp && doubts && (err = add_trace_doubts(bt, chain, sn, per_second)))
		return err;
	if (!icmp && (err = add_seen_replies(bt, chain, sn)))
		return err;
	r = rule_begin(bt, chain);
	e_meta_is(&r, NFT_META_NFPROTO, sn->nfproto);
	e_trace_rate(&r, per_second);
	e_key(&r, sn, false, icmp);
	e_set_op(&r, sn, true);
	if (icmp) {
		e_key(&r, sn, true, icmp);
		e_set_op(&r, sn, true);
	}
	e_nftrace(&r);
	return rule_commit(bt, &r, chain);
}

/*
 * --trace new in the trace chain CHAIN (at -350) and the regular chains it goes to
 * by protocol, CHAIN_tcp, CHAIN_icmp and CHAIN_icmpv6, where a return or the chain's
 * end ends CHAIN (goto): one rule's test per protocol instead of every rule of the
 * others (a TCP packet of an established connection tried some 20 expressions before).
 * Their names begin with CHAIN's, "trace_" (the tracer tells its marks by it).
 *   CHAIN:        meta l4proto tcp goto CHAIN_tcp
 *                 meta l4proto icmp goto CHAIN_icmp
 *                 meta l4proto ipv6-icmp goto CHAIN_icmpv6
 *                 the other protocols, IPv4 then IPv6 (add_trace_flows)
 *   CHAIN_tcp:    add_trace_not_syn, [add_trace_resyns (with counting)], add_trace_syns
 *   CHAIN_icmp:   add_trace_flows, ICMP (IPv4); CHAIN_icmpv6: the same, IPv6
 */
static int add_trace_new(struct batch *bt, const char *chain, uint32_t per_second, bool count)
{
	static const char *const suffix[3] = { "tcp", "icmp", "icmpv6" };
	static const uint8_t proto[3] = { IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_ICMPV6 };
	char sub[3][64];
	int err = 0;

	for (int k = 0; k < 3 && !err; k++) {
		snprintf(sub[k], sizeof(sub[k]), "%s_%s", chain, suffix[k]);
		err = new_chain(bt, sub[k], false, 0, 0);
	}
	for (int k = 0; k < 3 && !err; k++)
		err = add_dispatch(bt, chain, proto[k], sub[k]);
	for (int v6 = 0; v6 < 2 && !err; v6++)
		err = add_trace_flows(bt, chain, v6 ? &seen6 : &seen4, per_second, false, count);
	if (!err)
		err = add_trace_not_syn(bt, sub[0]);
	if (!err && count)
		err = add_trace_resyns(bt, sub[0], per_second);
	if (!err)
		err = add_trace_syns(bt, sub[0], per_second);
	for (int v6 = 0; v6 < 2 && !err; v6++)
		err = add_trace_flows(bt, sub[1 + v6], v6 ? &seen6 : &seen4, per_second, true,
				      false);
	return err;
}

/* blame --live: the packets of one tuple, in the original direction. */
static int add_trace_match(struct batch *bt, const char *chain, const struct cta_trace_match *m)
{
	struct rule r = rule_begin(bt, chain);
	bool v6 = m->family == AF_INET6;
	uint32_t alen = v6 ? 16 : 4;

	if (m->family && bt->family == NFPROTO_NETDEV) {
		/* no nfproto at ingress: the frame's ethertype */
		uint16_t proto = htons(v6 ? 0x86dd : 0x0800);

		e_meta_load(&r, NFT_META_PROTOCOL, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, &proto, 2);
	} else if (m->family) {
		e_meta_is(&r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	}
	if (m->l4proto)
		e_meta_is(&r, NFT_META_L4PROTO, m->l4proto);
	if (m->has_src) {
		e_payload(&r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, m->src.b, alen);
	}
	if (m->has_dst) {
		e_payload(&r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, m->dst.b, alen);
	}
	if (m->has_sport) {
		uint16_t p = htons(m->sport);

		e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, &p, 2);
	}
	if (m->has_dport) {
		uint16_t p = htons(m->dport);

		e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, &p, 2);
	}
	if (m->has_icmp_type) {
		e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, &m->icmp_type, 1);
	}
	if (m->has_icmp_code) {
		e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, &m->icmp_code, 1);
	}
	if (m->has_icmp_id) {
		uint16_t id = htons(m->icmp_id);

		e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 4, 2, NFT_REG_1);
		e_cmp(&r, NFT_CMP_EQ, &id, 2);
	}
	e_nftrace(&r);
	return rule_commit(bt, &r, chain);
}

static int add_trace_all(struct batch *bt, const char *chain)
{
	struct rule r = rule_begin(bt, chain);

	e_nftrace(&r);
	return rule_commit(bt, &r, chain);
}

/*
 * record --trace new at ingress, where there is no conntrack to tell a new flow: TCP
 * connection attempts, `tcp flags & (syn | ack) == syn`.
 */
static int add_trace_syn(struct batch *bt, const char *chain)
{
	struct rule r = rule_begin(bt, chain);
	uint8_t syn = 0x02;

	e_meta_is(&r, NFT_META_L4PROTO, IPPROTO_TCP);
	e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_mask(&r, 0x12, 1);
	e_cmp(&r, NFT_CMP_EQ, &syn, 1);
	e_nftrace(&r);
	return rule_commit(bt, &r, chain);
}

/*
 * A netdev table: per device, a chain at ingress before every other (the first
 * priority there is) whose rule marks packets for tracing: cfg->match's, TCP SYNs
 * (--trace new) or all (--trace all).
 */
static int build_ingress(struct batch *bt, const struct cta_table_config *cfg)
{
	int err = add_table(bt);

	for (size_t i = 0; i < cfg->n_devices && !err; i++) {
		char name[64];

		snprintf(name, sizeof(name), "ingress_%s", cfg->devices[i]);
		bt->device = cfg->devices[i];
		err = add_chain(bt, name, NF_NETDEV_INGRESS, INT32_MIN);
		bt->device = NULL;
		if (!err && cfg->trace == CTA_TRACE_NEW)
			err = add_trace_syn(bt, name);
		else if (!err && cfg->trace == CTA_TRACE_ALL)
			err = add_trace_all(bt, name);
		else if (!err)
			err = add_trace_match(bt, name, &cfg->match);
	}
	return err;
}

/*
 * KEY != @leftF: the key in NFT_REG_1 on (e_ct_key) is not in generation gen's left
 * set. Inverted on purpose: a lookup that finds its element runs the element's
 * expressions, so the left set's counter would count the packet as one that left
 * (measured on 6.18: a SYN of a flow let through before counted in left4 when it
 * entered); an inverted one that finds it stops before.
 */
static void e_not_left(struct rule *r, bool v6, int gen)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET,
				   cta_kcount_set_name(CTA_KCOUNT_LEFT, v6, gen));
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID,
				   count_set_id(CTA_KCOUNT_LEFT, v6, gen));
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	add(r, e);
}

/*
 * NFLOG's share (record, --nflog-group G): first packets (state new) of the flows
 * never let through, keyed as the counting sets key them (the conntrack original
 * tuple; nft/kcount.h):
 *   meta nfproto F KEY != @leftF log group G
 * Every attempt of a flow denied so far is seen, with where it came in and whose
 * socket sent it; a flow's first connection too, before it leaves. Once a flow was
 * let through, its connections cost no NFLOG message: the trace (once per flow in
 * CTA_SEEN_TIMEOUT_MS) and the counting sets say the rest, and denied packets of such
 * a flow are counted by the kernel (judge.h). Without counting (count false: denials
 * judged by NFLOG and time) every first packet is logged, `log group G`. Both after the
 * chain's `ct state ! new return`.
 */
static int add_log_rule(struct batch *bt, const char *chain, int v6, uint16_t group, bool count,
			int gen)
{
	struct rule r = rule_begin(bt, chain);

	if (count) {
		e_ct_key(&r, v6);
		e_not_left(&r, v6, gen);
	}
	e_log(&r, group);
	return rule_commit(bt, &r, chain);
}

/*
 * new_prerouting, new_output: conntrack runs, and (group > 0) NFLOG sees new flows;
 * after add_counting (the left sets), whose sets add_log_rule looks up.
 */
static const struct {
	const char *chain;
	uint32_t hook;
} new_chains[] = { { "new_prerouting", NF_INET_PRE_ROUTING }, { "new_output", NF_INET_LOCAL_OUT } };

/*
 * Where a SYN enters (nft/kcount.h, the SYN sets), last in new_prerouting and
 * new_output: of a flow let through before, one NFLOG does not log (add_log_rule),
 *   tcp flags & (syn|ack) == syn KEY != @leftF return
 *   [meta iiftype != loopback] tcp flags & (syn|ack) == syn meta nfproto F
 *   identity @synsF update @resynF { identity }
 *   [meta iiftype != loopback] tcp flags & (syn|ack) == syn meta nfproto F
 *   update @synsF { identity }
 * (e_not_left says why the first is inverted.)
 */
static int add_syn_enter_rules(struct batch *bt, const char *chain, bool v6, int gen,
			       uint32_t not_loopback)
{
	struct rule r = rule_begin(bt, chain);
	int err;

	e_tcp_syn(&r);
	e_ct_key(&r, v6);
	e_not_left(&r, v6, gen);
	e_verdict(&r, NFT_RETURN);
	if ((err = rule_commit(bt, &r, chain)))
		return err;
	/* again, and again: the set has no counter, so its lookup changes nothing */
	for (int again = 1; again >= 0; again--) {
		r = rule_begin(bt, chain);
		e_not_loopback(&r, not_loopback);
		e_tcp_syn(&r);
		e_meta_is(&r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		e_syn_key(&r, v6);
		if (again)
			e_in_syns(&r, v6);
		e_dynset(&r, NFT_DYNSET_OP_UPDATE, cta_kcount_syn_set_name(v6, again),
			 SYN_SET_ID + 2 * again + v6);
		if ((err = rule_commit(bt, &r, chain)))
			return err;
	}
	return 0;
}

/* meta l4proto != tcp return: before the SYN rules, which the others need not try */
static int add_skip_not_tcp(struct batch *bt, const char *chain)
{
	struct rule r = rule_begin(bt, chain);
	uint8_t tcp = IPPROTO_TCP;

	e_meta_load(&r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp(&r, NFT_CMP_NEQ, &tcp, 1);
	e_verdict(&r, NFT_RETURN);
	return rule_commit(bt, &r, chain);
}

/*
 * The rules of new_chains[i]; with counting, NFLOG's lookup and the SYN sets' are in
 * generation gen's left sets.
 */
static int add_new_rules(struct batch *bt, size_t i, uint16_t group, bool count, int gen)
{
	int err = add_skip_not_new(bt, new_chains[i].chain);

	if (!err)
		err = add_ct_rule(bt, new_chains[i].chain);
	/* with counting one rule per family, else one for both */
	for (int v6 = 0; v6 < (count ? 2 : 1) && group && !err; v6++)
		err = add_log_rule(bt, new_chains[i].chain, v6, group, count, gen);
	if (count && !err)
		err = add_skip_not_tcp(bt, new_chains[i].chain);
	for (int v6 = 0; v6 < 2 && count && !err; v6++)
		err = add_syn_enter_rules(
			bt, new_chains[i].chain, v6, gen,
			new_chains[i].hook == NF_INET_PRE_ROUTING ? NFT_META_IIFTYPE : 0);
	return err;
}

static int add_new_chains(struct batch *bt, uint16_t group, bool count)
{
	int err = 0;

	for (size_t i = 0; i < 2 && !err; i++) {
		err = add_chain(bt, new_chains[i].chain, new_chains[i].hook, -150);
		if (!err)
			err = add_new_rules(bt, i, group, count, 0);
	}
	return err;
}

/*
 * Without counting (blame --live): the counting chains at the end of input and
 * postrouting, empty. A traced packet that reaches one has crossed that hook, which
 * the trace tells even when no chain of the host's saw the packet (trace.h: reached).
 */
static int add_end_chains(struct batch *bt)
{
	int err = add_chain(bt, CTA_CHAIN_LEFT_INPUT, NF_INET_LOCAL_IN, INT32_MAX);

	return err ? err
		   : add_chain(bt, CTA_CHAIN_LEFT_POSTROUTING, NF_INET_POST_ROUTING, INT32_MAX);
}

static int build(struct batch *bt, const struct cta_table_config *cfg)
{
	static const struct {
		const char *name;
		uint32_t hook;
	} trace_chains[] = { { "trace_prerouting", NF_INET_PRE_ROUTING },
			     { CTA_CHAIN_TRACE_OUTPUT, NF_INET_LOCAL_OUT } };
	int err = add_table(bt);

	if (!err && cfg->trace == CTA_TRACE_NEW)
		err = add_set(bt, &seen4, false);
	if (!err && cfg->trace == CTA_TRACE_NEW)
		err = add_set(bt, &seen6, false);
	for (int v6 = 0; v6 < 2 && !err && cfg->trace == CTA_TRACE_NEW; v6++)
		err = add_set(bt, v6 ? &seen6 : &seen4, true);
	if (!err && cfg->trace == CTA_TRACE_NEW && cfg->trace_rate)
		err = add_trace_rate(bt, cfg->trace_rate);
	/* before the trace chains, whose rules look them up (add_trace_resyns) */
	for (int i = 0; i < 4 && !err && cfg->count; i++)
		err = add_syn_set(bt, i & 1, i >> 1);
	for (int v6 = 0; v6 < 2 && !err && cfg->count && cfg->trace == CTA_TRACE_NEW; v6++) {
		err = add_retrace_set(bt, v6);
		if (!err)
			err = add_doubt_set(bt, v6);
	}
	for (size_t i = 0; i < 2 && !err && cfg->trace != CTA_TRACE_NONE; i++) {
		const char *c = trace_chains[i].name;

		/* below raw (-300): every other base chain sees the mark */
		err = add_chain(bt, c, trace_chains[i].hook, -350);
		if (!err && cfg->trace == CTA_TRACE_NEW)
			err = add_trace_new(bt, c, cfg->trace_rate, cfg->count);
		else if (!err && cfg->trace == CTA_TRACE_ALL)
			err = add_trace_all(bt, c);
		else if (!err)
			err = add_trace_match(bt, c, &cfg->match);
	}
	if (!err && cfg->count)
		err = add_counting(bt);
	else if (!err && cfg->trace != CTA_TRACE_NONE)
		err = add_end_chains(bt);
	if (!err && cfg->conntrack)
		err = add_new_chains(bt, cfg->nflog_group, cfg->count);
	return err;
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

	if (mnl_socket_sendto(t->nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0)
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

int cta_table_new(struct cta_table **out, const struct cta_table_config *cfg,
		  struct cta_table_error *errinfo)
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
	bt->table = cfg->name ? cfg->name : CTA_TABLE_NAME;
	bt->family = cfg->n_devices ? NFPROTO_NETDEV : NFPROTO_INET;
	err = cfg->n_devices ? build_ingress(bt, cfg) : build(bt, cfg);
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

/* Send bt (begun with batch_begin), ended here, and stop it. 0 or -errno. */
static int batch_send(struct cta_table *t, struct batch *bt, int err)
{
	const char *failed = "";

	if (!err) {
		batch_end(bt);
		t->seq = bt->seq + 1;
		err = batch_talk(t, bt, &failed);
	}
	mnl_nlmsg_batch_stop(bt->b);
	free(bt);
	return err;
}

/* A batch for record's table (inet; name NULL: CTA_TABLE_NAME), or NULL: ENOMEM. */
static struct batch *batch_for(const struct cta_table *t, const char *name)
{
	struct batch *bt = calloc(1, sizeof(*bt));

	if (!bt)
		return NULL;
	batch_begin(bt, t->seq);
	bt->table = name ? name : CTA_TABLE_NAME;
	bt->family = NFPROTO_INET;
	return bt;
}

/*
 * A message about record's set SET: DELSETELEM without elements (whole: true), the
 * whole set emptied; or DELSET, the set and its elements.
 */
static int set_msg(struct batch *bt, const char *set, bool whole)
{
	struct nftnl_set *s = set_named(bt, set);
	char what[64];

	if (!s)
		return -ENOMEM;
	snprintf(what, sizeof(what), "%s %s", whole ? "flush set" : "delete set", set);
	return set_to_batch(bt, s, whole ? NFT_MSG_DELSETELEM : NFT_MSG_DELSET, 0, whole, what);
}

/* DELRULE without a handle: every rule of the chain. */
static int flush_chain(struct batch *bt, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	char what[80];

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, bt->family);
	snprintf(what, sizeof(what), "flush chain %s", chain);
	nlh = batch_msg(bt, NFT_MSG_DELRULE, 0, what);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

int cta_table_flush_seen(struct cta_table *t, const char *name)
{
	const char *sets[] = { seen4.name, seen6.name, seen4.syn_name, seen6.syn_name };
	struct batch *bt = batch_for(t, name);
	int err = 0;

	if (!bt)
		return -ENOMEM;
	for (size_t i = 0; i < 4 && !err; i++)
		err = set_msg(bt, sets[i], true);
	return batch_send(t, bt, err);
}

/*
 * Port flow k's key as the counting and seen sets lay it out (e_key, e_ct_key;
 * parse_key in kcountmsg.c): saddr . daddr . protocol . dport in 4-byte slots, the
 * rest of each slot zero, as a load into a register leaves it. Its length.
 */
static uint32_t doubt_key(const struct cta_kcount_elem *k, uint8_t *p)
{
	uint32_t alen = k->family == AF_INET6 ? 16 : 4;
	uint16_t port = htons(k->dport);

	memset(p, 0, 2 * alen + 8);
	memcpy(p, k->src.b, alen);
	memcpy(p + alen, k->dst.b, alen);
	p[2 * alen] = k->l4proto;
	memcpy(p + 2 * alen + 4, &port, 2);
	return 2 * alen + 8;
}

/* NEWSETELEM (add) or DELSETELEM of keys[0..n) of family v6 into set, one message */
static int elems_msg(struct batch *bt, const char *set, bool add_them,
		     const struct cta_kcount_elem *keys, size_t n, bool v6)
{
	struct nftnl_set *s = set_named(bt, set);
	uint8_t key[40];
	char what[64];
	size_t used = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e;

		if ((keys[i].family == AF_INET6) != v6)
			continue;
		if (!(e = nftnl_set_elem_alloc())) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, doubt_key(&keys[i], key));
		nftnl_set_elem_add(s, e);
		used++;
	}
	if (!used) {
		nftnl_set_free(s);
		return 0;
	}
	snprintf(what, sizeof(what), "%s elements of set %s", add_them ? "add" : "delete", set);
	return set_to_batch(bt, s, add_them ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			    add_them ? NLM_F_CREATE : 0, true, what);
}

int cta_table_doubt(struct cta_table *t, const char *name, const struct cta_kcount_elem *keys,
		    size_t n)
{
	struct batch *bt;
	int err = 0;

	if (!n)
		return 0;
	if (n > CTA_DOUBT_MAX)
		return -E2BIG;
	if (!(bt = batch_for(t, name)))
		return -ENOMEM;
	for (int v6 = 0; v6 < 2 && !err; v6++)
		err = elems_msg(bt, v6 ? "doubt6" : "doubt4", true, keys, n, v6);
	if ((err = batch_send(t, bt, err)))
		return err;
	/* out of seenF, so that its packets reach doubtF's rules */
	for (size_t i = 0; i < n && !err; i++) {
		bool v6 = keys[i].family == AF_INET6;

		if (!(bt = batch_for(t, name)))
			return -ENOMEM;
		err = elems_msg(bt, v6 ? seen6.name : seen4.name, false, &keys[i], 1, v6);
		err = batch_send(t, bt, err);
		if (err == -ENOENT) /* not seen now: nothing to take out */
			err = 0;
	}
	return err;
}

int cta_table_count_into(struct cta_table *t, const struct cta_table_config *cfg, int gen)
{
	struct batch *bt;
	int err = 0;

	if (!cfg->count || gen < 0 || gen >= CTA_KCOUNT_GENS)
		return -EINVAL;
	if (!(bt = batch_for(t, cfg->name)))
		return -ENOMEM;
	for (size_t i = 0; i < N_COUNT_POINTS && !err; i++) {
		err = flush_chain(bt, count_points[i].chain);
		if (!err)
			err = add_count_rules(bt, i, gen);
	}
	for (size_t i = 0; i < 2 && cfg->conntrack && !err; i++) {
		err = flush_chain(bt, new_chains[i].chain);
		if (!err)
			err = add_new_rules(bt, i, cfg->nflog_group, true, gen);
	}
	return batch_send(t, bt, err);
}

int cta_table_flush_counting(struct cta_table *t, const char *name, int gen)
{
	struct batch *bt;
	int err = 0;

	if (gen < 0 || gen >= CTA_KCOUNT_GENS)
		return -EINVAL;
	if (!(bt = batch_for(t, name)))
		return -ENOMEM;
	/*
	 * Deleted and made again, not flushed: a flush is a transaction and a change
	 * notification per element (some 30,000 messages to every ruleset listener for a
	 * generation of 10,000 flows); a set no rule refers to goes whole
	 */
	for (int point = 0; point < CTA_KCOUNT_POINTS && !err; point++)
		for (int v6 = 0; v6 < 2 && !err && point != CTA_KCOUNT_UNCOUNTED; v6++) {
			err = set_msg(bt, cta_kcount_set_name(point, v6, gen), false);
			if (!err)
				err = add_count_set(bt, point, v6, gen);
		}
	return batch_send(t, bt, err);
}

void cta_table_free(struct cta_table *t)
{
	if (!t)
		return;
	if (t->nl)
		mnl_socket_close(t->nl);
	free(t);
}
