// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: a datagram of a counting set's or a SYN set's listing (nft/kcount.h),
 * several messages, each given to both parsers.
 */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"
#include "nft/kcount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_elem(const struct cta_kcount_elem *e, void *data)
{
	*(uint64_t *)data += e->packets;
}

static void on_syn(const struct cta_kcount_syn *e, void *data)
{
	*(uint64_t *)data += e->isn;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	int len = (int)size;
	uint64_t sum = 0;
	void *buf;

	if (size > 1 << 20 || !(buf = malloc(size ? size : 1)))
		return 0;
	memcpy(buf, data, size);
	for (nlh = buf; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		(void)cta_kcountmsg_parse(nlh, on_elem, &sum);
		(void)cta_kcountmsg_parse_syns(nlh, on_syn, &sum);
	}
	free(buf);
	return 0;
}
