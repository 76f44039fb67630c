// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: a /proc/net/igmp, igmp6 or vif listing (nft/mcast.h), given to each parser.
 * A group taken is always 16 bytes in the output, however many the input held.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft/mcast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union cta_addr g[4];
	uint32_t idx[4];
	char *text = strndup((const char *)data, size);
	size_t n4, n6;

	if (!text)
		return 0;
	n4 = cta_mcast_parse_groups(AF_INET, text, g, idx, 4);
	n6 = cta_mcast_parse_groups(AF_INET6, text, g, idx, 4);
	/* a group is one line: never more groups than lines */
	if (n4 + n6 > 2 * (size_t)(1 + size))
		abort();
	(void)cta_mcast_parse_vifs(text);
	free(text);
	return 0;
}
