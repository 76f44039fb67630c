// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A counting set's listing (nft/kcount.h): elements as the kernel lays them out (a
 * key in 4-byte slots, a counter expression), for IPv4 and ICMP; other sets and
 * messages are refused, and a key of the wrong length is malformed. A SYN set's
 * elements: source, destination, ports and sequence number.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"
#include "nft/kcount.h"

static struct cta_kcount_elem got[4];
static int n_got;

static void on_elem(const struct cta_kcount_elem *e, void *data)
{
	(void)data;
	if (n_got < 4)
		got[n_got] = *e;
	n_got++;
}

/* An element: saddr . daddr . proto . port (or ICMP type . code), packets. */
static void put_elem(struct nlmsghdr *nlh, uint8_t proto, const uint8_t port[2], uint64_t packets,
		     size_t key_len)
{
	uint8_t key[40] = { 198, 51, 100, 7, 192, 0, 2, 10, proto, 0, 0, 0, port[0], port[1] };
	struct nlattr *el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM), *k, *ex, *data;

	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, key_len, key);
	mnl_attr_nest_end(nlh, k);
	ex = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_EXPR);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "counter");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put_u64(nlh, NFTA_COUNTER_BYTES, htobe64(packets * 28));
	mnl_attr_put_u64(nlh, NFTA_COUNTER_PACKETS, htobe64(packets));
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, ex);
	mnl_attr_nest_end(nlh, el);
}

static struct nlmsghdr *msg(char *buf, const char *set)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "conntrack_advise");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nlh;
}

static struct cta_kcount_syn syn_got[2];
static int n_syn;

static void on_syn(const struct cta_kcount_syn *e, void *data)
{
	(void)data;
	if (n_syn < 2)
		syn_got[n_syn] = *e;
	n_syn++;
}

/* A list of one element, a key of len bytes and nothing else (a SYN set's). */
static void put_syn_list(struct nlmsghdr *nlh, const uint8_t *key, size_t len)
{
	struct nlattr *list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	struct nlattr *el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	struct nlattr *k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
}

/* syns4's: 198.51.100.7 . 203.0.113.5 . 40001 . 22 . 0xdeadbeef */
static void syns(void)
{
	uint8_t key[20] = { 198, 51, 100, 7,  203, 0, 113,  5,	  0x9c, 0x41,
			    0,	 0,  0,	  22, 0,   0, 0xde, 0xad, 0xbe, 0xef };
	char buf[4096];
	struct nlmsghdr *nlh = msg(buf, "syns4");
	char addr[INET_ADDRSTRLEN];

	put_syn_list(nlh, key, sizeof(key));
	CHECK_EQ(cta_kcountmsg_parse_syns(nlh, on_syn, NULL), 1);
	CHECK_EQ(n_syn, 1);
	CHECK_EQ(syn_got[0].family, AF_INET);
	CHECK_EQ(syn_got[0].sport, 40001);
	CHECK_EQ(syn_got[0].dport, 22);
	CHECK_EQ(syn_got[0].isn, 0xdeadbeef);
	inet_ntop(AF_INET, syn_got[0].dst.b, addr, sizeof(addr));
	CHECK_STR(addr, "203.0.113.5");
	/* a counting set's message is not a SYN set's, nor the other way round */
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), -EPROTO);
	nlh = msg(buf, "left4");
	CHECK_EQ(cta_kcountmsg_parse_syns(nlh, on_syn, NULL), -EPROTO);
	/* a key one slot short: malformed */
	nlh = msg(buf, "syns6");
	put_syn_list(nlh, key, sizeof(key));
	CHECK_EQ(cta_kcountmsg_parse_syns(nlh, on_syn, NULL), -EBADMSG);
	CHECK_STR(cta_kcount_syn_set_name(true, false), "syns6");
	CHECK_STR(cta_kcount_syn_set_name(false, true), "resyn4");
}

int main(void)
{
	static const uint8_t dns[2] = { 0, 53 }, echo[2] = { 8, 0 };
	char buf[4096];
	struct nlmsghdr *nlh = msg(buf, "left4");
	struct nlattr *list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);

	put_elem(nlh, IPPROTO_UDP, dns, 5, 16);
	put_elem(nlh, IPPROTO_ICMP, echo, 2, 16);
	mnl_attr_nest_end(nlh, list);
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), 2);
	CHECK_EQ(n_got, 2);
	CHECK_EQ(got[0].point, CTA_KCOUNT_LEFT);
	CHECK_EQ(got[0].family, AF_INET);
	CHECK_EQ(got[0].l4proto, IPPROTO_UDP);
	CHECK_EQ(got[0].dport, 53);
	CHECK_EQ(got[0].packets, 5);
	CHECK_EQ(got[0].src.b[0], 198);
	CHECK_EQ(got[0].dst.b[3], 10);
	CHECK_EQ(got[1].l4proto, IPPROTO_ICMP);
	CHECK_EQ(got[1].dport, 0);
	CHECK_EQ(got[1].icmp_type, 8);
	CHECK_EQ(got[1].packets, 2);
	CHECK_EQ(got[0].gen, 0);
	CHECK_STR(cta_kcount_set_name(CTA_KCOUNT_UNCOUNTED, true, 0), "uncounted6");
	CHECK_STR(cta_kcount_set_name(CTA_KCOUNT_UNCOUNTED, true, 1), "uncounted6");
	CHECK_STR(cta_kcount_set_name(CTA_KCOUNT_NAT, false, 0), "nat4");
	CHECK_STR(cta_kcount_set_name(CTA_KCOUNT_FIRST, true, 0), "first6");
	CHECK_STR(cta_kcount_set_name(CTA_KCOUNT_LEFT, false, 1), "left4_1");

	/* the other generation's set: the same point, gen 1 */
	n_got = 0;
	nlh = msg(buf, "entered6_1");
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	put_elem(nlh, IPPROTO_UDP, dns, 7, 40);
	mnl_attr_nest_end(nlh, list);
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), 1);
	CHECK_EQ(got[0].point, CTA_KCOUNT_ENTERED);
	CHECK_EQ(got[0].family, AF_INET6);
	CHECK_EQ(got[0].gen, 1);
	CHECK_EQ(got[0].packets, 7);
	nlh = msg(buf, "uncounted4_1"); /* no such set: one generation */
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), -EPROTO);

	/* another set of the table, another message */
	nlh = msg(buf, "seen4");
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), -EPROTO);
	nlh = msg(buf, "entered4");
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), -EPROTO);
	/* an IPv4 set's key of an IPv6 set's length */
	nlh = msg(buf, "entered4");
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	put_elem(nlh, IPPROTO_UDP, dns, 1, 12);
	mnl_attr_nest_end(nlh, list);
	CHECK_EQ(cta_kcountmsg_parse(nlh, on_elem, NULL), -EBADMSG);
	syns();
	return check_report("kcountmsg");
}
