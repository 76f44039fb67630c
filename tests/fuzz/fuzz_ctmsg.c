// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: every netlink message in a datagram through both conntrack parsers, the
 * hand-written one and the one through libnetfilter_conntrack (which must never reach
 * the library's exit() on a malformed attribute, nor read past one).
 */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cta_ctmsg *lib; /* reused, as the recorder reuses it */
	/* aligned copy, as a receive buffer would be */
	void *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh = buf;
	int len = (int)size;

	if (!lib && cta_ctmsg_new(&lib))
		abort();
	if (!buf || size > 1 << 20) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	/* the same walk the recorder does */
	for (; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		bool dump = (nlh->nlmsg_flags & NLM_F_MULTI) != 0;
		struct cta_event ev;

		(void)cta_ctmsg_parse(nlh, dump, &ev);
		(void)cta_ctmsg_read(lib, nlh, dump, &ev);
	}
	free(buf);
	return 0;
}
