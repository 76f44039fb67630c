// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/kcount.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nft/ctmsg.h"
#include "nft/table.h"

struct cta_kcount {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char table[64];
	struct cta_kcount_stats stats;
	char buf[65536];
};

int cta_kcount_open(struct cta_kcount **out, const char *table)
{
	struct cta_kcount *kc = calloc(1, sizeof(*kc));
	int err;

	*out = NULL;
	if (!kc)
		return -ENOMEM;
	snprintf(kc->table, sizeof(kc->table), "%s", table ? table : CTA_TABLE_NAME);
	kc->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!kc->nl || mnl_socket_bind(kc->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		cta_kcount_free(kc);
		return err ? err : -EIO;
	}
	kc->portid = mnl_socket_get_portid(kc->nl);
	kc->seq = (uint32_t)time(NULL);
	*out = kc;
	return 0;
}

void cta_kcount_free(struct cta_kcount *kc)
{
	if (!kc)
		return;
	if (kc->nl)
		mnl_socket_close(kc->nl);
	free(kc);
}

const struct cta_kcount_stats *cta_kcount_stats(const struct cta_kcount *kc)
{
	return &kc->stats;
}

struct listing {
	cta_kcount_cb cb;
	cta_kcount_syn_cb syn_cb;
	void *data;
	uint64_t elements, delivered;
};

static void on_elem(const struct cta_kcount_elem *e, void *data)
{
	struct listing *l = data;

	l->elements++;
	l->delivered++;
	l->cb(e, l->data);
}

static void on_syn(const struct cta_kcount_syn *e, void *data)
{
	struct listing *l = data;

	l->elements++;
	l->delivered++;
	l->syn_cb(e, l->data);
}

/* One message of a listing: a counting set's, or a SYN set's (l->syn_cb). */
static int parse(const struct nlmsghdr *m, struct listing *l)
{
	return l->syn_cb ? cta_kcountmsg_parse_syns(m, on_syn, l)
			 : cta_kcountmsg_parse(m, on_elem, l);
}

/* One set, dumped: 0 or -errno. */
static int list_set(struct cta_kcount *kc, const char *set, struct listing *l)
{
	char req[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nfgenmsg *nfg;
	uint32_t seq = ++kc->seq;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, kc->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	if (mnl_socket_sendto(kc->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(kc->nl, kc->buf, sizeof(kc->buf));
		const struct nlmsghdr *m = (const struct nlmsghdr *)kc->buf;
		int len = (int)got;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		for (; cta_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != kc->portid)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return -EBADMSG;
				return e->error ? e->error : -EPROTO;
			}
			if (parse(m, l) < 0)
				return -EBADMSG;
		}
	}
}

int cta_kcount_read(struct cta_kcount *kc, cta_kcount_cb cb, void *data)
{
	struct listing l = { .cb = cb, .data = data };
	uint64_t before = 0;

	memset(kc->stats.largest_in, 0, sizeof(kc->stats.largest_in));
	/* entered before left: see the header; the others after both */
	for (int point = 0; point < CTA_KCOUNT_POINTS; point++)
		for (int gen = 0; gen < CTA_KCOUNT_GENS; gen++)
			for (int v6 = 0; v6 < 2; v6++) {
				uint64_t n;
				int err;

				if (point == CTA_KCOUNT_UNCOUNTED && gen)
					continue; /* one generation */
				err = list_set(kc, cta_kcount_set_name(point, v6, gen), &l);
				if (err)
					return err;
				n = l.elements - before;
				before = l.elements;
				if (n > kc->stats.largest)
					kc->stats.largest = n;
				if (point != CTA_KCOUNT_UNCOUNTED && n > kc->stats.largest_in[gen])
					kc->stats.largest_in[gen] = n;
			}
	kc->stats.listings++;
	kc->stats.elements = l.elements;
	return (int)l.delivered;
}

int cta_kcount_read_syns(struct cta_kcount *kc, cta_kcount_syn_cb cb, void *data, bool *full)
{
	struct listing l = { .syn_cb = cb, .data = data };
	uint64_t before = 0;

	*full = false;
	for (int i = 0; i < 4; i++) {
		int err = list_set(kc, cta_kcount_syn_set_name(i & 1, i >> 1), &l);

		if (err)
			return err;
		if (l.elements - before >= CTA_KCOUNT_SYN_SET_SIZE / 10 * 9)
			*full = true;
		before = l.elements;
	}
	return (int)l.delivered;
}
