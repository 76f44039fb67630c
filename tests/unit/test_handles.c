// SPDX-License-Identifier: GPL-2.0-or-later
/* review's candidate handles: live numbers put into the scratch copy's (handles.h). */
#include <stdlib.h>

#include "check.h"
#include "advisor/review/handles.h"

/* a live table with a history: rules added and deleted, a set made after its chain */
static const char live[] = "table inet filter { # handle 7\n"
			   "\tset admins { # handle 9\n"
			   "\t\ttype ipv4_addr\n"
			   "\t}\n"
			   "\n"
			   "\tchain input { # handle 1\n"
			   "\t\ttype filter hook input priority 0; policy drop;\n"
			   "\t\tct state established,related accept # handle 4\n"
			   "\t\ttcp dport 22 accept # handle 6\n"
			   "\t\ttcp dport 80 accept # handle 12\n"
			   "\t}\n"
			   "\n"
			   "\tchain \"web in\" { # handle 13\n"
			   "\t\ttcp dport 443 accept # handle 14\n"
			   "\t}\n"
			   "}\n"
			   "table ip nat { # handle 8\n"
			   "\tchain pre { # handle 1\n"
			   "\t\ttype nat hook prerouting priority -100; policy accept;\n"
			   "\t\ttcp dport 8080 dnat to 192.0.2.2:80 # handle 5\n"
			   "\t}\n"
			   "}\n";

/* the same loaded in order in the scratch namespace: numbered anew */
static const char copy[] = "table inet filter { # handle 3\n"
			   "\tset admins { # handle 1\n"
			   "\t\ttype ipv4_addr\n"
			   "\t}\n"
			   "\n"
			   "\tchain input { # handle 2\n"
			   "\t\ttype filter hook input priority 0; policy drop;\n"
			   "\t\tct state established,related accept # handle 4\n"
			   "\t\ttcp dport 22 accept # handle 5\n"
			   "\t\ttcp dport 80 accept # handle 6\n"
			   "\t}\n"
			   "\n"
			   "\tchain \"web in\" { # handle 7\n"
			   "\t\ttcp dport 443 accept # handle 8\n"
			   "\t}\n"
			   "}\n"
			   "table ip nat { # handle 4\n"
			   "\tchain pre { # handle 1\n"
			   "\t\ttype nat hook prerouting priority -100; policy accept;\n"
			   "\t\t# stands in for the live rules nft cannot load back # handle 2\n"
			   "\t\taccept # handle 3\n"
			   "\t}\n"
			   "}\n";

static char unpaired[300];

static void renumbers(const char *candidate, const char *want)
{
	char *out = (char *)"unset";

	CHECK_EQ(cta_handles_renumber(live, copy, candidate, &out, unpaired, sizeof(unpaired)), 0);
	if (!want) {
		CHECK(out == NULL);
	} else {
		CHECK(out != NULL);
		if (out)
			CHECK_STR(out, want);
	}
	if (out && strcmp(out, "unset"))
		free(out);
}

/* The copy's rule handle in (family, table) put back: its live one, "new" or "as is". */
static void back(const struct cta_handles_back *b, const char *family, const char *table,
		 uint64_t copy_handle, int want, uint64_t want_live)
{
	uint64_t got = 0;

	CHECK_EQ(cta_handles_back_rule(b, family, table, copy_handle, &got), want);
	if (want == 1)
		CHECK_EQ(got, want_live);
}

static void backs(void)
{
	/* the copy after a candidate: inet filter kept (a rule added), ip nat made anew */
	static const char after[] = "table inet filter { # handle 3\n"
				    "\tchain input { # handle 2\n"
				    "\t\ttcp dport 22 accept # handle 5\n"
				    "\t\ttcp dport 25 accept # handle 9\n"
				    "\t}\n"
				    "}\n"
				    "table ip nat { # handle 5\n"
				    "}\n";
	struct cta_handles_back *b = NULL;

	CHECK_EQ(cta_handles_back_new(live, copy, &b), 0);
	CHECK(b != NULL);
	/* before the candidate: each copied rule has its live number */
	back(b, "inet", "filter", 4, 1, 4);
	back(b, "inet", "filter", 5, 1, 6);
	back(b, "inet", "filter", 6, 1, 12);
	back(b, "inet", "filter", 8, 1, 14);
	/* a number no live rule had in the copy: a rule the candidate adds */
	back(b, "inet", "filter", 9, 0, 0);
	/* a stand-in's table, another family, a table of the candidate's: as is */
	back(b, "ip", "nat", 3, -1, 0);
	back(b, "ip", "filter", 5, -1, 0);
	back(b, "inet", "mine", 5, -1, 0);
	CHECK_EQ(cta_handles_back_after(b, after), 0);
	back(b, "inet", "filter", 5, 1, 6);
	back(b, "inet", "filter", 9, 0, 0);
	cta_handles_back_free(b);

	/*
	 * made anew (a new table handle, a reload) or deleted: no live handle, the live
	 * numbers are other rules'; a stand-in made anew neither
	 */
	CHECK_EQ(cta_handles_back_new(live, copy, &b), 0);
	CHECK_EQ(cta_handles_back_after(b, "table inet filter { # handle 6\n}\n"
					   "table ip nat { # handle 7\n}\n"),
		 0);
	back(b, "inet", "filter", 5, 0, 0);
	back(b, "ip", "nat", 3, 0, 0);
	back(b, "inet", "mine", 5, -1, 0);
	CHECK_EQ(cta_handles_back_after(b, ""), 0);
	back(b, "inet", "filter", 5, 0, 0);
	cta_handles_back_free(b);
	/*
	 * helper-50: a stand-in alone in a chain of one live rule is not that rule (same
	 * place, same count): refused by number, and its own number stands
	 */
	{
		static const char live1[] =
			"table ip filter { # handle 2\n"
			"\tchain INPUT { # handle 1\n"
			"\t\ttype filter hook input priority filter; policy accept;\n"
			"\t\tmeta l4proto tcp tcp dport 22 xt match \"recent\" counter accept # handle 4\n"
			"\t}\n"
			"}\n";
		static const char copy1[] =
			"table ip filter { # handle 9\n"
			"\tchain INPUT { # handle 1\n"
			"\t\ttype filter hook input priority filter; policy accept;\n"
			"\t\taccept comment \"" CTA_STAND_IN_MARK "\" # handle 2\n"
			"\t}\n"
			"}\n";
		char *out = NULL;

		CHECK_EQ(cta_handles_renumber(live1, copy1,
					      "delete rule ip filter INPUT handle 4\n", &out,
					      unpaired, sizeof(unpaired)),
			 0);
		CHECK(out == NULL);
		CHECK_STR(unpaired, "ip filter");
		free(out);
		CHECK_EQ(cta_handles_back_new(live1, copy1, &b), 0);
		back(b, "ip", "filter", 2, -1, 0);
		cta_handles_back_free(b);
	}
	/* nothing to pair, and no map at all */
	CHECK_EQ(cta_handles_back_new("", "", &b), 0);
	back(b, "inet", "filter", 5, -1, 0);
	cta_handles_back_free(b);
	back(NULL, "inet", "filter", 5, -1, 0);
	cta_handles_back_free(NULL);
}

int main(void)
{
	/* rules by handle and by position, with and without a family, quoted names */
	renumbers("delete rule inet filter input handle 12\n",
		  "delete rule inet filter input handle 6\n");
	renumbers("replace rule inet filter input handle 6 tcp dport 2222 accept\n"
		  "add rule inet filter input position 4 udp dport 53 accept; insert rule inet "
		  "filter input handle 6 icmp type echo-request accept\n",
		  "replace rule inet filter input handle 5 tcp dport 2222 accept\n"
		  "add rule inet filter input position 4 udp dport 53 accept; insert rule inet "
		  "filter input handle 5 icmp type echo-request accept\n");
	renumbers("delete rule inet filter \"web in\" handle 14 # not 14 here\n",
		  "delete rule inet filter \"web in\" handle 8 # not 14 here\n");
	renumbers("destroy rule inet filter input handle 12",
		  "destroy rule inet filter input handle 6");
	/* objects by handle */
	renumbers("delete set inet filter handle 9\ndelete chain inet filter handle 13\n",
		  "delete set inet filter handle 1\ndelete chain inet filter handle 7\n");
	/* nothing to change: no handle, one the live ruleset has not, the same number, a
	 * table of another family (ip is the default), a stand-in's chain, a block */
	renumbers("add rule inet filter input tcp dport 25 accept\n", NULL);
	renumbers("delete rule inet filter input handle 99\n", NULL);
	renumbers("delete rule inet filter input handle 4\n", NULL);
	renumbers("delete rule filter input handle 12\n", NULL);
	renumbers("delete rule ip nat pre handle 5\n", NULL);
	/* a stand-in's rule: named, so that the candidate is not loaded on the copy */
	CHECK_STR(unpaired, "ip nat");
	renumbers("delete rule inet filter input handle 12\n",
		  "delete rule inet filter input handle 6\n");
	CHECK_STR(unpaired, "");
	renumbers("table inet filter {\n\tchain input {\n\t\tdelete rule handle 12\n\t}\n}\n",
		  NULL);
	renumbers("# delete rule inet filter input handle 12\n", NULL);
	renumbers("list ruleset handle 12\n", NULL);
	backs();
	return check_report("handles");
}
