// SPDX-License-Identifier: GPL-2.0-or-later
/* The multicast groups a namespace holds, from /proc/net/igmp and igmp6 (nft/mcast.h). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "nft/mcast.h"

/* as 6.18 prints them: a device line, then its groups indented by tabs */
static const char igmp[] = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
			   "1\tlo        :     1      V3\n"
			   "\t\t\t\t010000E0     1 0:00000000\t\t0\n"
			   "4\teth0      :     2      V3\n"
			   "\t\t\t\tFB0000E0     1 0:00000000\t\t0\n"
			   "\t\t\t\t010000E0     1 0:00000000\t\t0\n";

static const char igmp6[] =
	"1    lo              ff020000000000000000000000000001     1 0000000C 0\n"
	"4    eth0            ff0200000000000000000000000000fb     1 00000004 0\n"
	"4    eth0            ff0200000000000000000001ff000010     1 00000004 0\n";

static void addr(uint8_t family, const char *text, union cta_addr *a)
{
	memset(a, 0, sizeof(*a));
	CHECK_EQ(inet_pton(family, text, a->b), 1);
}

int main(void)
{
	union cta_addr g[8], want;
	uint32_t idx[8];

	CHECK_EQ(cta_mcast_parse_groups(AF_INET, igmp, g, idx, 8), 3);
	addr(AF_INET, "224.0.0.1", &want);
	CHECK(!memcmp(g[0].b, want.b, 16));
	addr(AF_INET, "224.0.0.251", &want);
	CHECK(!memcmp(g[1].b, want.b, 16));
	/* each with the index of the device line above it */
	CHECK_EQ(idx[0], 1);
	CHECK_EQ(idx[1], 4);
	CHECK_EQ(idx[2], 4);
	/* more groups than room: all counted, the first kept */
	CHECK_EQ(cta_mcast_parse_groups(AF_INET, igmp, g, idx, 1), 3);
	CHECK_EQ(cta_mcast_parse_groups(AF_INET6, igmp6, g, idx, 8), 3);
	addr(AF_INET6, "ff02::fb", &want);
	CHECK(!memcmp(g[1].b, want.b, 16));
	addr(AF_INET6, "ff02::1:ff00:10", &want);
	CHECK(!memcmp(g[2].b, want.b, 16));
	CHECK_EQ(idx[0], 1);
	CHECK_EQ(idx[1], 4);
	/* nothing to take from a header, a cut line, or garbage */
	CHECK_EQ(cta_mcast_parse_groups(AF_INET, "Idx\tDevice\n\t\t\t\t0100\n\t\tzzzzzzzz 1\n", g,
					idx, 8),
		 0);
	CHECK_EQ(cta_mcast_parse_groups(AF_INET6, "1 lo ff02\n2\n\n", g, idx, 8), 0);
	CHECK_EQ(cta_mcast_parse_groups(AF_INET, "", g, idx, 8), 0);
	/* a last line without its newline (the fuzzer's: NULL + 1 was undefined) */
	CHECK_EQ(cta_mcast_parse_groups(AF_INET6, "4 eth0 ff0200000000000000000000000000fb 1 4 0",
					g, idx, 8),
		 1);
	/* the vif tables: a header alone, or a vif under it */
	CHECK(!cta_mcast_parse_vifs(
		"Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n"));
	CHECK(cta_mcast_parse_vifs(
		"Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n"
		" 0 eth0              0       0         0       0 00000 0100000A 00000000\n"));
	CHECK(!cta_mcast_parse_vifs(""));
	/* which addresses are multicast */
	addr(AF_INET, "239.255.255.250", &want);
	CHECK(cta_addr_is_multicast(AF_INET, &want));
	addr(AF_INET, "192.0.2.10", &want);
	CHECK(!cta_addr_is_multicast(AF_INET, &want));
	addr(AF_INET6, "ff05::c", &want);
	CHECK(cta_addr_is_multicast(AF_INET6, &want));
	addr(AF_INET6, "2001:db8::1", &want);
	CHECK(!cta_addr_is_multicast(AF_INET6, &want));
	return check_report("mcast");
}
