// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ctnetlink parsers on messages recorded from the kernel (tests/data/ct, captured
 * with tests/tools/nlcapture in the lab), on every truncation of them, and on
 * hand-built malformed messages: the hand-written one (cta_ctmsg_parse) and the one
 * through libnetfilter_conntrack (cta_ctmsg_read) must agree on every message here,
 * and the library must never see one it would exit() on.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "nft/ctmsg.h"

static size_t read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static struct cta_ctmsg *lib;

/* Both parsers: the same answer, the same event. */
static int parse(const struct nlmsghdr *nlh, bool dump, struct cta_event *ev)
{
	struct cta_event e2;
	int err = cta_ctmsg_parse(nlh, dump, ev);

	CHECK_EQ(cta_ctmsg_read(lib, nlh, dump, &e2), err);
	if (!err)
		CHECK(!memcmp(ev, &e2, sizeof(e2)));
	return err;
}

static bool is(const union cta_addr *a, int family, const char *s)
{
	union cta_addr b = { 0 };

	inet_pton(family, s, b.b);
	return !memcmp(a, &b, sizeof(b));
}

static void test_recorded(void)
{
	const char *src = getenv("SRCDIR");
	char dir[4096], path[8192], buf[8192];
	int types[5] = { 0 }, tcp22 = 0, udp6 = 0, icmp = 0, icmp6 = 0, counted = 0, files = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/ct", src ? src : ".");
	d = opendir(dir);
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		struct cta_event ev;
		size_t len;
		const struct nlmsghdr *nlh = (const void *)buf;

		if (!strstr(de->d_name, ".nl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = read_file(path, buf, sizeof(buf));
		files++;
		CHECK(len >= sizeof(*nlh) && nlh->nlmsg_len <= len);
		CHECK_EQ(parse(nlh, false, &ev), 0);
		types[ev.type]++;
		if (ev.l4proto == IPPROTO_TCP && ev.orig.dport == 22 &&
		    is(&ev.orig.src, AF_INET, "198.51.100.7") &&
		    is(&ev.orig.dst, AF_INET, "192.0.2.10"))
			tcp22++;
		if (ev.family == AF_INET6 && ev.l4proto == IPPROTO_UDP && ev.orig.dport == 53 &&
		    is(&ev.orig.src, AF_INET6, "2001:db8:b::20"))
			udp6++;
		if (ev.l4proto == IPPROTO_ICMP && ev.orig.icmp_type == 8)
			icmp++;
		if (ev.l4proto == IPPROTO_ICMPV6 && ev.orig.icmp_type == 128)
			icmp6++;
		if (ev.type == CTA_EV_CT_DESTROY && (ev.flags & CTA_EVF_COUNTERS) &&
		    (ev.flags & CTA_EVF_TSTART) && ev.packets[0] > 0 && ev.bytes[0] > 0)
			counted++;
		CHECK(ev.flags & CTA_EVF_ID);
		/* every cut of a real message parses or fails cleanly (ASan watches) */
		for (size_t cut = sizeof(*nlh); cut < nlh->nlmsg_len; cut++) {
			struct nlmsghdr *c = malloc(cut);
			struct cta_event e2;

			memcpy(c, buf, cut);
			c->nlmsg_len = (uint32_t)cut;
			(void)cta_ctmsg_parse(c, false, &e2);
			(void)cta_ctmsg_read(lib, c, false, &e2);
			free(c);
		}
	}
	if (d)
		closedir(d);
	CHECK(files >= 10);
	CHECK(types[CTA_EV_CT_NEW] >= 4);
	CHECK(types[CTA_EV_CT_UPDATE] >= 1);
	CHECK(types[CTA_EV_CT_DESTROY] >= 4);
	CHECK(tcp22 >= 3); /* NEW, UPDATEs, DESTROY */
	CHECK(udp6 >= 2);
	CHECK(icmp >= 2);
	CHECK(icmp6 >= 2);
	CHECK(counted >= 4);
}

/* A conntrack message as the kernel builds one, with knobs to break it. */
struct shape {
	uint16_t subsys_type;
	uint8_t family;
	bool no_orig, short_status, no_proto_num, counters_no_bytes, junk_attr;
};

static struct nlmsghdr *build(char *buf, const struct shape *sh)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *t, *ip, *pr, *c;
	uint32_t a = htonl(0xc6336407), b = htonl(0xc000020a); /* 198.51.100.7 192.0.2.10 */

	nlh->nlmsg_type = sh->subsys_type ? sh->subsys_type
					  : (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = sh->family ? sh->family : AF_INET;
	if (!sh->no_orig) {
		t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, a);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, b);
		mnl_attr_nest_end(nlh, ip);
		pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		if (!sh->no_proto_num)
			mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(40000));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(22));
		mnl_attr_nest_end(nlh, pr);
		mnl_attr_nest_end(nlh, t);
	}
	if (sh->short_status)
		mnl_attr_put_u16(nlh, CTA_STATUS, 1);
	else
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(42));
	c = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(3));
	if (!sh->counters_no_bytes)
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(180));
	mnl_attr_nest_end(nlh, c);
	c = mnl_attr_nest_start(nlh, CTA_COUNTERS_REPLY);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(2));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(120));
	mnl_attr_nest_end(nlh, c);
	if (sh->junk_attr)
		mnl_attr_put_u32(nlh, 200, 7); /* a type from the future: skipped */
	return nlh;
}

static void test_built(void)
{
	char buf[4096];
	struct cta_event ev;
	struct nlmsghdr *nlh;

	nlh = build(buf, &(struct shape){ 0 });
	CHECK_EQ(parse(nlh, false, &ev), 0);
	CHECK_EQ(ev.type, CTA_EV_CT_NEW);
	CHECK_EQ(ev.id, 42);
	CHECK_EQ(ev.orig.sport, 40000);
	CHECK_EQ(ev.orig.dport, 22);
	CHECK_EQ(ev.reply.sport, 22); /* no reply tuple: the mirror */
	CHECK(is(&ev.reply.src, AF_INET, "192.0.2.10"));
	CHECK_EQ(ev.packets[0], 3);
	CHECK_EQ(ev.bytes[1], 120);
	CHECK(ev.flags & CTA_EVF_COUNTERS);
	CHECK_EQ(parse(nlh, true, &ev), 0);
	CHECK_EQ(ev.type, CTA_EV_CT_DUMP);
	nlh->nlmsg_flags = 0;
	CHECK_EQ(parse(nlh, false, &ev), 0);
	CHECK_EQ(ev.type, CTA_EV_CT_UPDATE);

	CHECK_EQ(parse(build(buf, &(struct shape){ .junk_attr = true }), false, &ev), 0);
	CHECK_EQ(parse(build(buf, &(struct shape){ .no_orig = true }), false, &ev), -EBADMSG);
	CHECK_EQ(parse(build(buf, &(struct shape){ .short_status = true }), false, &ev), -EBADMSG);
	CHECK_EQ(parse(build(buf, &(struct shape){ .no_proto_num = true }), false, &ev), -EBADMSG);
	CHECK_EQ(parse(build(buf, &(struct shape){ .counters_no_bytes = true }), false, &ev),
		 -EBADMSG);
	CHECK_EQ(parse(build(buf, &(struct shape){ .family = AF_BRIDGE }), false, &ev),
		 -EAFNOSUPPORT);
	CHECK_EQ(parse(build(buf,
			     &(struct shape){ .subsys_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) }),
		       false, &ev),
		 -EPROTO);
	/* an IPv6 message carrying IPv4 addresses */
	CHECK_EQ(parse(build(buf, &(struct shape){ .family = AF_INET6 }), false, &ev), -EBADMSG);
	/* too short to hold even the nfgenmsg */
	nlh = build(buf, &(struct shape){ 0 });
	nlh->nlmsg_len = sizeof(*nlh) + 2;
	CHECK_EQ(parse(nlh, false, &ev), -EBADMSG);
}

/* Appended to a good message: what the kernel never sends and the library mishandles. */
enum lib_trap {
	TRAP_TIMEOUT_SHORT, /* a u32 of 2 bytes: mnl_attr_validate() fails, the library exits */
	TRAP_TCP_FLAGS_SHORT, /* nested two deep */
	TRAP_PROTOINFO_TYPE4, /* written past the library's protoinfo table */
	TRAP_HELPER_NO_NUL, /* copied with "%s": read past the attribute */
	TRAP_SECCTX_NO_NUL, /* strdup()ed */
	TRAP_MASTER_NEST_SHORT, /* a nest of 2 bytes */
	TRAP_IPV6_SHORT, /* an IPv6 address of 4 bytes in a master tuple */
	TRAPS,
};

static struct nlmsghdr *trap(char *buf, enum lib_trap t)
{
	struct nlmsghdr *nlh = build(buf, &(struct shape){ 0 });
	struct nlattr *n, *m;

	switch (t) {
	case TRAP_TIMEOUT_SHORT:
		mnl_attr_put_u16(nlh, CTA_TIMEOUT, 30);
		break;
	case TRAP_TCP_FLAGS_SHORT:
		n = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		m = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, 1);
		mnl_attr_nest_end(nlh, m);
		mnl_attr_nest_end(nlh, n);
		break;
	case TRAP_PROTOINFO_TYPE4:
		n = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		mnl_attr_put_u32(nlh, CTA_PROTOINFO_MAX + 1, 7);
		mnl_attr_nest_end(nlh, n);
		break;
	case TRAP_HELPER_NO_NUL:
	case TRAP_SECCTX_NO_NUL:
		n = mnl_attr_nest_start(nlh, t == TRAP_HELPER_NO_NUL ? CTA_HELP : CTA_SECCTX);
		mnl_attr_put(nlh, CTA_HELP_NAME, 4, "ftpx");
		mnl_attr_nest_end(nlh, n);
		break;
	case TRAP_MASTER_NEST_SHORT:
		mnl_attr_put_u16(nlh, CTA_TUPLE_MASTER, 1);
		break;
	case TRAP_IPV6_SHORT:
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_MASTER);
		m = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put_u32(nlh, CTA_IP_V6_SRC, 1);
		mnl_attr_nest_end(nlh, m);
		mnl_attr_nest_end(nlh, n);
		break;
	default:
		break;
	}
	return nlh;
}

static void test_lib_traps(void)
{
	char buf[4096];
	struct cta_event ev;

	/* each returns -EBADMSG instead of ending the process or corrupting memory */
	for (int t = 0; t < TRAPS; t++) {
		CHECK_EQ(cta_ctmsg_check(trap(buf, t)), -EBADMSG);
		CHECK_EQ(cta_ctmsg_read(lib, trap(buf, t), false, &ev), -EBADMSG);
	}
	CHECK_EQ(cta_ctmsg_check(build(buf, &(struct shape){ 0 })), 0);
}

/*
 * One object for every message: what one message set must not show in the next, and
 * what the library allocated for it (labels, security context) is freed (ASan's leak
 * check watches).
 */
static void test_lib_reuse(void)
{
	char buf[4096];
	struct cta_event ev;
	struct nlmsghdr *nlh = build(buf, &(struct shape){ 0 });
	struct nlattr *n;
	uint8_t labels[16] = { 1 };

	n = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(5));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_SECCTX);
	mnl_attr_put_strz(nlh, CTA_SECCTX_NAME, "system_u:object_r:ssh_t:s0");
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_HELP);
	mnl_attr_put_strz(nlh, CTA_HELP_NAME, "ftp");
	mnl_attr_nest_end(nlh, n);
	mnl_attr_put(nlh, CTA_LABELS, sizeof(labels), labels);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(parse(nlh, false, &ev), 0);
		CHECK(ev.flags & CTA_EVF_TSTART);
		CHECK_EQ(ev.tstart_ns, 5);
	}
	CHECK_EQ(parse(build(buf, &(struct shape){ 0 }), false, &ev), 0);
	CHECK(!(ev.flags & CTA_EVF_TSTART));
	CHECK_EQ(ev.tstart_ns, 0);
}

/* A helper's related connection names its master; a helped one its helper. */
static void test_master_helper(void)
{
	char buf[4096];
	struct cta_event ev;
	struct nlmsghdr *nlh = build(buf, &(struct shape){ 0 });
	struct nlattr *n, *m;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_MASTER);
	m = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(0xc6336407));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(0xc000020a));
	mnl_attr_nest_end(nlh, m);
	m = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(39999));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(21));
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	CHECK_EQ(parse(nlh, false, &ev), 0);
	CHECK(ev.flags & CTA_EVF_MASTER);
	CHECK(!(ev.flags & CTA_EVF_HELPER));
	CHECK_EQ(ev.master_l4proto, IPPROTO_TCP);
	CHECK_EQ(ev.master.dport, 21);
	CHECK(is(&ev.master.src, AF_INET, "198.51.100.7"));

	nlh = build(buf, &(struct shape){ 0 });
	n = mnl_attr_nest_start(nlh, CTA_HELP);
	mnl_attr_put_strz(nlh, CTA_HELP_NAME, "ftp");
	mnl_attr_nest_end(nlh, n);
	CHECK_EQ(parse(nlh, false, &ev), 0);
	CHECK(ev.flags & CTA_EVF_HELPER);
	CHECK(!(ev.flags & CTA_EVF_MASTER));
	CHECK_STR(ev.helper, "ftp");
}

int main(void)
{
	CHECK_EQ(cta_ctmsg_new(&lib), 0);
	test_master_helper();
	test_recorded();
	test_built();
	test_lib_traps();
	test_lib_reuse();
	cta_ctmsg_free(lib);
	return check_report("ctmsg");
}
