// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NFLOG packets recorded from this kernel (tests/data/nflog/000.nl: one datagram, as
 * nfnetlink_log batches them) from `ct state new log group 4711 snaplen 128` rules:
 * a SYN from 198.51.100.7 to 192.0.2.10:23, an ICMPv6 echo request from 2001:db8:b::20
 * (or ::21) to 2001:db8::10, and a UDP packet to 203.0.113.20:9999 sent by uid 65534.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "check.h"
#include "nft/ctmsg.h"
#include "nft/nflog.h"
#include "advisor/model/iptpath.h"

/*
 * ip_tables' TRACE lines through nfnetlink_log bound as the logger (group 0,
 * tests/data/nflog/trace-000.nl, recorded in a lab with case-legacy.v4 and its IPv6
 * twin loaded): each packet with its prefix and hook.
 */
static void test_trace(const char *src)
{
	char path[4096], buf[16384];
	int len, n = 0, input = 0, output = 0, v6 = 0, reject = 0;
	const struct nlmsghdr *nlh = (const void *)buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/nflog/trace-000.nl", src);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	len = (int)fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct cta_nflog_packet p;
		struct cta_ipt_trace t;

		if (cta_nflogmsg_parse(nlh, &p) != 0)
			continue;
		n++;
		CHECK_EQ(cta_ipt_trace_parse(p.prefix, strlen(p.prefix), &t), 0);
		CHECK_STR(t.table, "filter");
		input += p.hook == NF_INET_LOCAL_IN &&
			 cta_ipt_chain_hook(t.chain) != NF_INET_LOCAL_OUT;
		output += p.hook == NF_INET_LOCAL_OUT && !strcmp(t.chain, "OUTPUT");
		v6 += p.family == AF_INET6;
		/* tcp/80 from 198.51.100.7: rejected by INPUT's 8th rule */
		reject += p.family == AF_INET && p.tuple.dport == 80 && !strcmp(t.chain, "INPUT") &&
			  t.type == CTA_IPT_TRACE_RULE && t.num == 8;
	}
	CHECK(n > 10);
	CHECK_EQ(input + output, n);
	CHECK(v6 > 0);
	CHECK_EQ(reject, 1);
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	char path[4096], buf[16384];
	const struct nlmsghdr *nlh = (const void *)buf;
	int len, syn = 0, echo6 = 0, udp = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/nflog/000.nl", src ? src : ".");
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return check_report("nflog");
	len = (int)fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (; cta_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct cta_nflog_packet p;

		if (cta_nflogmsg_parse(nlh, &p) != 0)
			continue;
		n++;
		CHECK(!p.has_ct); /* no CONFIG_NETFILTER_NETLINK_GLUE_CT here */
		if (p.l4proto == IPPROTO_TCP && p.tuple.dport == 23 && p.family == AF_INET)
			syn++;
		CHECK_EQ(p.has_isn, p.l4proto == IPPROTO_TCP); /* the SYN's sequence number */
		if (p.l4proto == IPPROTO_ICMPV6 && p.tuple.icmp_type == 128)
			echo6++;
		if (p.l4proto == IPPROTO_UDP && p.tuple.dport == 9999) {
			udp++;
			CHECK(p.has_uid && p.uid == 65534);
			CHECK(p.has_gid && p.gid == 65534);
		}
	}
	CHECK_EQ(n, 3);
	CHECK_EQ(syn, 1);
	CHECK_EQ(echo6, 1);
	CHECK_EQ(udp, 1);
	test_trace(src ? src : ".");
	return check_report("nflog");
}
