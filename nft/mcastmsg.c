// SPDX-License-Identifier: GPL-2.0-or-later
/* nft/mcast.h's parsers of /proc/net/igmp, igmp6 and the vif tables: no kernel needed. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nft/mcast.h"

bool cta_addr_is_multicast(uint8_t family, const union cta_addr *addr)
{
	if (family == AF_INET)
		return (addr->b[0] & 0xf0) == 0xe0;
	return family == AF_INET6 && addr->b[0] == 0xff;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits at s into bytes b (n/2 of them), in the order written; false if not hex. */
static bool hexbytes(const char *s, size_t n, uint8_t *b)
{
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/*
 * /proc/net/igmp: a device line ("2\teth0      :     1      V3"), then one line per
 * group, indented by tabs: "\t\t\t\t010000E0     1 0:00000000\t\t0", the group's
 * __be32 printed as a number (%08X), so its bytes in memory order are the address.
 * /proc/net/igmp6: "2    eth0            ff0200000000000000000000000000fb     1 ...",
 * the address's 16 bytes in order.
 */
/* A decimal interface index at p (the line's first field), or 0. */
static uint32_t index_at(const char *p)
{
	uint32_t v = 0;

	while (*p >= '0' && *p <= '9' && v < 100000000)
		v = v * 10 + (uint32_t)(*p++ - '0');
	return v;
}

size_t cta_mcast_parse_groups(uint8_t family, const char *text, union cta_addr *out,
			      uint32_t *ifindex, size_t max)
{
	size_t n = 0;
	uint32_t dev = 0; /* igmp: the device line's index, for the groups under it */
	const char *next;

	/* the next line found first: a last line without '\n' ends the walk (no NULL + 1) */
	for (const char *line = text; line && *line; line = next) {
		const char *nl = strchr(line, '\n');
		const char *p = line;
		union cta_addr a = { 0 };

		next = nl ? nl + 1 : NULL;

		if (family == AF_INET) {
			uint8_t b[4];
			uint32_t v;

			if (*p != '\t') {
				dev = index_at(p); /* a device line (0: the header) */
				continue;
			}
			while (*p == '\t')
				p++;
			if (strspn(p, "0123456789abcdefABCDEF") != 8 || !hexbytes(p, 8, b))
				continue;
			/* the number's value, as the host stores it: the address's bytes */
			v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
			    b[3];
			memcpy(a.b, &v, 4);
		} else {
			dev = index_at(p);
			/* index, device, then the address */
			for (int field = 0; field < 2; field++) {
				p += strspn(p, " \t");
				p += strcspn(p, " \t\n");
			}
			p += strspn(p, " \t");
			if (strspn(p, "0123456789abcdefABCDEF") != 32 || !hexbytes(p, 32, a.b))
				continue;
		}
		if (n < max) {
			out[n] = a;
			ifindex[n] = dev;
		}
		n++;
	}
	return n;
}

bool cta_mcast_parse_vifs(const char *text)
{
	const char *nl = strchr(text, '\n');

	/* the header, then a line per vif */
	return nl && nl[1] && nl[1] != '\n';
}
