// SPDX-License-Identifier: GPL-2.0-or-later
/* Route and rule messages into values: what review rebuilds, what it skips, and why. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "nft/routemsg.h"

static char buf[1024];

static struct rtmsg *route_msg(uint8_t family, uint8_t dst_len, uint8_t table, uint8_t proto,
			       struct nlmsghdr **nlh)
{
	struct rtmsg *rtm;

	memset(buf, 0, sizeof(buf));
	*nlh = mnl_nlmsg_put_header(buf);
	(*nlh)->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(*nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = table;
	rtm->rtm_protocol = proto;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = RT_SCOPE_LINK;
	return rtm;
}

static void test_routes(void)
{
	struct nlmsghdr *nlh;
	struct cta_route r;
	uint8_t a[16];

	/* ip route add 192.0.2.128/25 dev wg0 (index 3) metric 5 */
	route_msg(AF_INET, 25, RT_TABLE_MAIN, RTPROT_BOOT, &nlh);
	inet_pton(AF_INET, "192.0.2.128", a);
	mnl_attr_put(nlh, RTA_DST, 4, a);
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put_u32(nlh, RTA_OIF, 3);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 5);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), 1);
	CHECK_EQ(r.family, AF_INET);
	CHECK_EQ(r.dst_len, 25);
	CHECK(!memcmp(r.dst.b, a, 4));
	CHECK_EQ(r.oif, 3);
	CHECK_EQ(r.metric, 5);
	CHECK_EQ(r.table, RT_TABLE_MAIN);
	CHECK_EQ(r.scope, RT_SCOPE_LINK);
	CHECK_STR(r.unsupported, "");
	CHECK_STR(r.dev, "");
	/* a gateway, a table above 255 (RTA_TABLE) */
	route_msg(AF_INET6, 0, RT_TABLE_UNSPEC, RTPROT_STATIC, &nlh);
	inet_pton(AF_INET6, "2001:db8::1", a);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, a);
	mnl_attr_put_u32(nlh, RTA_TABLE, 1000);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), 1);
	CHECK(r.has_gateway && !memcmp(r.gateway.b, a, 16));
	CHECK_EQ(r.table, 1000);
	/* the local table: made from the addresses; a kernel route elsewhere: said so */
	route_msg(AF_INET, 32, RT_TABLE_LOCAL, RTPROT_KERNEL, &nlh);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), 0);
	route_msg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_KERNEL, &nlh);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), 1);
	CHECK(r.kernel);
	route_msg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_BOOT, &nlh);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), 1);
	CHECK(!r.kernel);
	/* multipath: kept, and said not to be rebuilt */
	route_msg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_STATIC, &nlh);
	mnl_attr_put(nlh, RTA_DST, 4, a);
	mnl_attr_put(nlh, RTA_MULTIPATH, 8, "\0\0\0\0\0\0\0\0");
	CHECK_EQ(cta_routemsg_parse(nlh, &r), 1);
	CHECK_STR(r.unsupported, "multipath");
	/* malformed: a prefix longer than the family's, an address of the wrong length */
	route_msg(AF_INET, 33, RT_TABLE_MAIN, RTPROT_STATIC, &nlh);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), -EBADMSG);
	route_msg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_STATIC, &nlh);
	mnl_attr_put(nlh, RTA_DST, 16, a);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), -EBADMSG);
	route_msg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_STATIC, &nlh);
	mnl_attr_put(nlh, RTA_OIF, 2, a);
	CHECK_EQ(cta_routemsg_parse(nlh, &r), -EBADMSG);
	/* a short message */
	route_msg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_STATIC, &nlh);
	nlh->nlmsg_len = sizeof(*nlh) + 4;
	CHECK_EQ(cta_routemsg_parse(nlh, &r), -EBADMSG);
}

static struct nlmsghdr *rule_msg(uint8_t family, uint8_t action, uint32_t prio, uint32_t table)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *h;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWRULE;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = family;
	h->action = action;
	h->table = table < 256 ? (uint8_t)table : 0;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	return nlh;
}

static void test_rules(void)
{
	struct nlmsghdr *nlh;
	struct cta_prule p;
	uint8_t a[4];

	/* the defaults a new namespace has: skipped */
	CHECK_EQ(cta_prulemsg_parse(rule_msg(AF_INET, FR_ACT_TO_TBL, 0, 255), &p), 0);
	CHECK_EQ(cta_prulemsg_parse(rule_msg(AF_INET, FR_ACT_TO_TBL, 32766, 254), &p), 0);
	CHECK_EQ(cta_prulemsg_parse(rule_msg(AF_INET, FR_ACT_TO_TBL, 32767, 253), &p), 0);
	CHECK_EQ(cta_prulemsg_parse(rule_msg(AF_INET6, FR_ACT_TO_TBL, 32766, 254), &p), 0);
	/* ip rule add fwmark 1 lookup 100 (tproxy's) */
	nlh = rule_msg(AF_INET, FR_ACT_TO_TBL, 32765, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 1);
	CHECK_EQ(cta_prulemsg_parse(nlh, &p), 1);
	CHECK(p.has_fwmark && p.fwmark == 1 && p.fwmask == 0xffffffffu);
	CHECK_EQ(p.table, 100);
	CHECK_EQ(p.priority, 32765);
	/* from 192.0.2.128/25 iif wg0 lookup 1000 */
	nlh = rule_msg(AF_INET, FR_ACT_TO_TBL, 10, 1000);
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->src_len = 25;
	inet_pton(AF_INET, "192.0.2.128", a);
	mnl_attr_put(nlh, FRA_SRC, 4, a);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "wg0");
	CHECK_EQ(cta_prulemsg_parse(nlh, &p), 1);
	CHECK_EQ(p.src_len, 25);
	CHECK(!memcmp(p.src.b, a, 4));
	CHECK_STR(p.iif, "wg0");
	CHECK_EQ(p.table, 1000);
	/* what a rebuild would not carry */
	nlh = rule_msg(AF_INET, FR_ACT_TO_TBL, 100, 100);
	mnl_attr_put(nlh, FRA_UID_RANGE, 8, "\0\0\0\0\0\0\0\0");
	CHECK_EQ(cta_prulemsg_parse(nlh, &p), 1);
	CHECK_STR(p.unsupported, "uidrange");
	/* malformed: a name without its NUL, or too long; a prefix without its address */
	nlh = rule_msg(AF_INET, FR_ACT_TO_TBL, 10, 100);
	mnl_attr_put(nlh, FRA_IIFNAME, 3, "wg0");
	CHECK_EQ(cta_prulemsg_parse(nlh, &p), -EBADMSG);
	nlh = rule_msg(AF_INET, FR_ACT_TO_TBL, 10, 100);
	mnl_attr_put_strz(nlh, FRA_OIFNAME, "a-name-of-20-chars!!");
	CHECK_EQ(cta_prulemsg_parse(nlh, &p), -EBADMSG);
	nlh = rule_msg(AF_INET, FR_ACT_TO_TBL, 10, 100);
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->dst_len = 24;
	CHECK_EQ(cta_prulemsg_parse(nlh, &p), -EBADMSG);
}

static void test_names(void)
{
	uint8_t v = 0;

	CHECK_STR(cta_route_type_name(RTN_BLACKHOLE), "blackhole");
	CHECK_EQ(cta_route_type_from_name("unicast", &v), 0);
	CHECK_EQ(v, RTN_UNICAST);
	CHECK_EQ(cta_route_type_from_name("bogus", &v), -EINVAL);
	CHECK(cta_route_type_name(200) == NULL);
	CHECK_STR(cta_prule_action_name(FR_ACT_TO_TBL), "lookup");
	CHECK_EQ(cta_prule_action_from_name("prohibit", &v), 0);
	CHECK_EQ(v, FR_ACT_PROHIBIT);
}

/*
 * tests/data/route: a dump of a lab host's routes and rules, one message a file (a
 * subnet and fe80::/64 of proto kernel, a point-to-point peer, a /25 into wg0, a
 * gateway, multipath, blackhole, a local default in table 100, IPv6 via a gateway; the
 * rules 50 from-iif, 100 uidrange, 32000 fwmark, 60 IPv6 to, and the defaults).
 */
static void test_recorded(void)
{
	const char *src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	unsigned routes = 0, kernel = 0, rules = 0, skipped = 0, bad = 0;
	bool multipath = false, uidrange = false, fwmark = false, fromiif = false, local = false;

	for (int i = 0;; i++) {
		char path[4096], msg[4096];
		struct cta_route r;
		struct cta_prule p;
		FILE *f;
		size_t n;
		int rc;

		snprintf(path, sizeof(path), "%s/tests/data/route/%03d.nl", src, i);
		f = fopen(path, "rb");
		if (!f)
			break;
		n = fread(msg, 1, sizeof(msg), f);
		fclose(f);
		CHECK(n >= sizeof(struct nlmsghdr));
		if (((struct nlmsghdr *)msg)->nlmsg_type == RTM_NEWROUTE) {
			rc = cta_routemsg_parse((struct nlmsghdr *)msg, &r);
			routes += rc == 1;
			kernel += rc == 1 && r.kernel;
			multipath |= rc == 1 && !strcmp(r.unsupported, "multipath");
			local |= rc == 1 && r.type == RTN_LOCAL && r.table == 100 && !r.dst_len;
		} else {
			rc = cta_prulemsg_parse((struct nlmsghdr *)msg, &p);
			rules += rc == 1;
			uidrange |= rc == 1 && !strcmp(p.unsupported, "uidrange");
			fwmark |= rc == 1 && p.has_fwmark && p.fwmark == 1 && p.table == 100;
			fromiif |= rc == 1 && !strcmp(p.iif, "wg0") && p.src_len == 25;
		}
		skipped += rc == 0;
		bad += rc < 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(routes, 11);
	CHECK_EQ(kernel, 5); /* 192.0.2.0/24, the peer, 2001:db8:5::/64, fe80::/64 twice */
	CHECK_EQ(rules, 4);
	CHECK(multipath && uidrange && fwmark && fromiif && local);
	CHECK(skipped > 0);
}

int main(void)
{
	test_routes();
	test_rules();
	test_names();
	test_recorded();
	return check_report("routemsg");
}
