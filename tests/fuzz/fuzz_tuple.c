// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: the TUPLE parser; a complete tuple must read back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/model/tuple.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_tuple_query q, again;
	struct cta_tuple_error err;
	char *text = malloc(size + 1), buf[256];
	const uint32_t full = CTA_TQ_FAMILY | CTA_TQ_SRC | CTA_TQ_DST;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cta_tuple_parse(text, &q, &err) == 0 && (q.has & full) == full) {
		cta_tuple_format(&q, buf, sizeof(buf));
		if (cta_tuple_parse(buf, &again, &err) != 0 || memcmp(&q, &again, sizeof(q)))
			abort();
	} else if (err.column < 0 || err.column > (int)size + 1) {
		abort();
	}
	free(text);
	return 0;
}
