// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: every message of a datagram through the route and rule parsers. */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/ctmsg.h"
#include "nft/routemsg.h"

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
		struct cta_route r;
		struct cta_prule p;

		if (cta_routemsg_parse(nlh, &r) == 1 &&
		    (r.dst_len > (r.family == 2 ? 32 : 128) ||
		     !memchr(r.unsupported, 0, sizeof(r.unsupported))))
			abort();
		if (cta_prulemsg_parse(nlh, &p) == 1 &&
		    (!memchr(p.iif, 0, sizeof(p.iif)) || !memchr(p.oif, 0, sizeof(p.oif)) ||
		     p.src_len > (p.family == 2 ? 32 : 128)))
			abort();
	}
	free(buf);
	return 0;
}
