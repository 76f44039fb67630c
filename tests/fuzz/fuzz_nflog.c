// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: an NFLOG datagram (several packets, as the kernel batches them). */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"
#include "nft/nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	int len = (int)size;
	void *buf;

	if (size > 1 << 20 || !(buf = malloc(size ? size : 1)))
		return 0;
	memcpy(buf, data, size);
	for (nlh = buf; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct cta_nflog_packet p;

		(void)cta_nflogmsg_parse(nlh, &p);
	}
	free(buf);
	return 0;
}
