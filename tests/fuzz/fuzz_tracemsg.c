// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: every message of a datagram through the nf_tables trace parser. */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"
#include "nft/tracemsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *buf;
	const struct nlmsghdr *nlh;
	int len = (int)size;

	if (size > 1 << 20 || !(buf = malloc(size ? size : 1)))
		return 0;
	memcpy(buf, data, size);
	for (nlh = buf; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct cta_trace_event ev;

		if (cta_tracemsg_parse(nlh, &ev) == 0 && (!memchr(ev.table, 0, sizeof(ev.table)) ||
							  !memchr(ev.chain, 0, sizeof(ev.chain))))
			abort();
	}
	free(buf);
	return 0;
}
