// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: ring buffer records of bpf/procmon.bpf.c, one after another, into the
 * process table. Whatever a record says, the flow it describes must be answered with
 * its process right after (the latest owner wins), and nothing crashes on the rest.
 * The same bytes are also read as sock_diag replies (the sockets found at the start).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"
#include "nft/diagmsg.h"
#include "bpf/procmon.h"
#include "bpf/sockev.h"
#include "advisor/record/procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The flow this socket event is one end of, seen from this host. */
static void flow_of(const struct cta_sock_event *ev, struct cta_flow *f)
{
	bool server = ev->kind == CTA_SOCK_LISTEN || ev->kind == CTA_SOCK_BIND ||
		      ev->kind == CTA_SOCK_RECV;

	memset(f, 0, sizeof(*f));
	f->key.family = ev->family;
	f->key.l4proto = ev->l4proto;
	f->direction = server ? CTA_DIR_IN : CTA_DIR_OUT;
	f->key.src = server ? ev->raddr : ev->laddr;
	f->key.dst = server ? ev->laddr : ev->raddr;
	f->key.dport = server ? ev->lport : ev->rport;
	f->key.reply_src = f->key.dst;
	f->key.reply_dst = f->key.src;
	f->key.reply_sport = f->key.dport;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_procs *p = cta_procs_new();
	size_t rec = sizeof(struct cta_bpf_event);

	if (!p)
		return 0;
	for (size_t at = 0; at < size; at += rec) {
		struct cta_sock_event ev;
		struct cta_flow f;
		struct cta_process *got;

		if (cta_sock_event_from_bpf(data + at, size - at < rec ? size - at : rec, &ev))
			continue;
		if (cta_procs_add(p, &ev))
			break;
		flow_of(&ev, &f);
		got = cta_procs_for_flow(p, &f);
		if ((ev.kind == CTA_SOCK_LISTEN || ev.kind == CTA_SOCK_BIND ||
		     ev.kind == CTA_SOCK_RECV)
			    ? ev.lport != 0
			    : ev.rport != 0) {
			if (!got || got->pid != ev.proc.pid)
				abort();
		}
	}
	cta_procs_free(p);
	if (size <= 1 << 20) {
		void *buf = malloc(size ? size : 1);
		const struct nlmsghdr *nlh;
		int len = (int)size;

		if (!buf)
			return 0;
		memcpy(buf, data, size);
		for (nlh = buf; cta_nlmsg_ok(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			struct cta_diag_sock d;

			if (cta_diagmsg_parse(nlh, 6, &d) == 0 && d.family != 2 && d.family != 10)
				abort();
		}
		free(buf);
	}
	return 0;
}
