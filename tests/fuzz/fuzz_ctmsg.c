// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: every netlink message in a datagram through the conntrack parser. */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* aligned copy, as a receive buffer would be */
	void *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh = buf;
	int len = (int)size;

	if (!buf || size > 1 << 20) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	/* the same walk the recorder does */
	for (; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct cta_event ev;

		(void)cta_ctmsg_parse(nlh, (nlh->nlmsg_flags & NLM_F_MULTI) != 0, &ev);
	}
	free(buf);
	return 0;
}
