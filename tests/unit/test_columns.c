// SPDX-License-Identifier: GPL-2.0-or-later
/* Aligned columns: widths from the widest cell, numbers right, no trailing blanks. */
#include <stdlib.h>

#include "check.h"
#include "advisor/cli/columns.h"

static char *printed(const struct cta_columns *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (!f)
		return NULL;
	CHECK_EQ(cta_columns_print(c, f), 0);
	fclose(f);
	return text;
}

int main(void)
{
	static const char *const heads[] = { "HOST", "PROTO", "SOURCE", "CONNS", "PROCESS" };
	static const bool right[] = { false, false, false, true, false };
	struct cta_columns *c = cta_columns_new(5, heads, right);
	const char *r1[] = { "web1", "tcp", "198.51.100.7", "3", "sshd[812]" };
	const char *r2[] = { "web1", "udp", "2001:db8:b::20", "1.2k", NULL };
	const char *r3[] = { "web1", "tcp", "203.0.113.0/24 …", "12", "-" };
	char *text;

	CHECK(c != NULL);
	if (!c)
		return check_report("columns");
	CHECK_EQ(cta_columns_add(c, r1), 0);
	CHECK_EQ(cta_columns_add(c, r2), 0);
	CHECK_EQ(cta_columns_add(c, r3), 0);
	CHECK_EQ(cta_columns_rows(c), 3);
	text = printed(c);
	CHECK_STR(text, "HOST  PROTO  SOURCE            CONNS  PROCESS\n"
			"web1  tcp    198.51.100.7          3  sshd[812]\n"
			"web1  udp    2001:db8:b::20     1.2k\n"
			"web1  tcp    203.0.113.0/24 …     12  -\n");
	free(text);
	/* a hidden column is left out, the last shown one has no blanks after it */
	cta_columns_hide(c, 0);
	cta_columns_hide(c, 4);
	text = printed(c);
	CHECK_STR(text, "PROTO  SOURCE            CONNS\n"
			"tcp    198.51.100.7          3\n"
			"udp    2001:db8:b::20     1.2k\n"
			"tcp    203.0.113.0/24 …     12\n");
	free(text);
	cta_columns_free(c);
	cta_columns_free(NULL);
	return check_report("columns");
}
