// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: the session reader, and the formatter on whatever it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cta_session s;
	struct cta_err err;
	char *text = NULL;
	size_t len;

	if (cta_session_parse("fuzz.json", (const char *)data, size, &s, &err) != 0)
		return 0;
	/* accepted: it must format, and read back to the same */
	if (cta_session_format(&s, &text, &len) == 0) {
		struct cta_session again;

		if (cta_session_parse("again.json", text, len, &again, &err) != 0 ||
		    again.n_flows != s.n_flows)
			abort();
		for (size_t i = 0; i < s.n_flows; i++)
			if (memcmp(&again.flows[i], &s.flows[i], sizeof(s.flows[i])))
				abort();
		cta_session_fini(&again);
		free(text);
	}
	cta_session_fini(&s);
	return 0;
}
