// SPDX-License-Identifier: GPL-2.0-or-later
/* TUPLE: every form in design.md, pasted conntrack lines, matching, and errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"
#include "advisor/model/tuple.h"

static struct cta_tuple_query q;
static struct cta_tuple_error err;

static bool addr_is(const union cta_addr *a, const char *s)
{
	union cta_addr b = { 0 };

	inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, b.b);
	return !memcmp(a, &b, sizeof(b));
}

static void ok(const char *text, const char *formatted)
{
	char buf[160];

	CHECK_EQ(cta_tuple_parse(text, &q, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "  for '%s': %d: %s\n", text, err.column, err.msg);
	cta_tuple_format(&q, buf, sizeof(buf));
	CHECK_STR(buf, formatted);
}

static void bad(const char *text, int column, const char *msg)
{
	CHECK_EQ(cta_tuple_parse(text, &q, &err), -EINVAL);
	CHECK_EQ(err.column, column);
	CHECK_STR(err.msg, msg);
}

static void test_forms(void)
{
	ok("tcp 198.51.100.7:40312 -> 192.0.2.10:22", "tcp 198.51.100.7:40312 -> 192.0.2.10:22");
	CHECK(addr_is(&q.src, "198.51.100.7") && addr_is(&q.dst, "192.0.2.10"));
	CHECK_EQ(q.family, AF_INET);
	ok("tcp 198.51.100.7 -> 192.0.2.10:22", "tcp 198.51.100.7 -> 192.0.2.10:22");
	CHECK(!(q.has & CTA_TQ_SPORT));
	ok("udp [2001:db8::7]:5353 -> [2001:db8::1]:53",
	   "udp [2001:db8::7]:5353 -> [2001:db8::1]:53");
	CHECK_EQ(q.family, AF_INET6);
	ok("icmp 198.51.100.7 -> 192.0.2.10 type 8", "icmp 198.51.100.7 -> 192.0.2.10 type 8");
	ok("icmp 2001:db8::7 -> 2001:db8::1 type 128 code 0",
	   "ipv6-icmp 2001:db8::7 -> 2001:db8::1 type 128 code 0");
	ok("  tcp   198.51.100.7->192.0.2.10:22  ", "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("47 198.51.100.1 -> 203.0.113.1", "gre 198.51.100.1 -> 203.0.113.1");
	/* conntrack -L, -E and -o extended lines */
	ok("tcp      6 431999 ESTABLISHED src=198.51.100.7 dst=192.0.2.10 sport=40312 dport=22 "
	   "src=192.0.2.10 dst=198.51.100.7 sport=22 dport=40312 [ASSURED] mark=0 use=1",
	   "tcp 198.51.100.7:40312 -> 192.0.2.10:22");
	ok("    [NEW] udp      17 30 src=2001:db8:b::20 dst=2001:db8::10 sport=41158 dport=53 "
	   "[UNREPLIED] src=2001:db8::10 dst=2001:db8:b::20 sport=53 dport=41158",
	   "udp [2001:db8:b::20]:41158 -> [2001:db8::10]:53");
	ok("ipv4     2 icmp     1 29 src=198.51.100.7 dst=192.0.2.10 type=8 code=0 id=4832 "
	   "src=192.0.2.10 dst=198.51.100.7 type=0 code=0 id=4832 mark=0 use=1",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8 code 0 id 4832");
	CHECK_EQ(q.icmp_id, 4832);
	/* -o id: the conntrack id at the end is no part of the tuple */
	ok("icmp 1 29 src=198.51.100.7 dst=192.0.2.10 type=8 code=0 mark=0 use=1 id=3735928559",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8 code 0");
	ok("tcp 6 431999 ESTABLISHED src=198.51.100.7 dst=192.0.2.10 sport=40312 dport=22 "
	   "[ASSURED] mark=0 use=1 id=3735928559",
	   "tcp 198.51.100.7:40312 -> 192.0.2.10:22");
	/* a `flows -o extended` line: a range of identifiers is none of them, 7-7 is 7 */
	ok("ipv4 2 icmp 1 in src=198.51.100.7 dst=192.0.2.10 type=8 code=0 id=0-4242 packets=8",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8 code 0");
	ok("ipv4 2 icmp 1 in src=198.51.100.7 dst=192.0.2.10 type=8 code=0 id=7-7 packets=8",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8 code 0 id 7");
	/* an echo identifier in the arrow form */
	ok("icmp 198.51.100.7 -> 192.0.2.10 type 8 id 31868",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8 id 31868");
	ok("icmp 2001:db8::7 -> 2001:db8::1 id 0", "ipv6-icmp 2001:db8::7 -> 2001:db8::1 id 0");
	/* IPv6 in brackets on both ends once one has a port */
	ok("tcp 2001:db8:a::7 -> [2001:db8::10]:22", "tcp [2001:db8:a::7] -> [2001:db8::10]:22");
	ok("tcp [2001:db8:a::7] -> [2001:db8::10]:22", "tcp [2001:db8:a::7] -> [2001:db8::10]:22");
	/* a line of `conntrack-advise flows`: a port range is no single port */
	ok("ipv4     2 tcp      6 in      src=198.51.100.7 dst=192.0.2.10 sport=40455-47619 "
	   "dport=22 packets=18 bytes=6960 src=192.0.2.10 dst=198.51.100.7 sport=22 "
	   "dport=40455-47619 packets=12 bytes=6648 [ASSURED] conns=3",
	   "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("ipv4 2 udp 17 out src=203.0.113.1 dst=203.0.113.20 sport=60158-60158 dport=123",
	   "udp 203.0.113.1:60158 -> 203.0.113.20:123");
	ok("tcp dport=22", "tcp any -> any:22");
}

static void test_errors(void)
{
	bad("", 1, "expected a tuple, like 'tcp 198.51.100.7 -> 192.0.2.10:22'");
	bad("tpc 198.51.100.7 -> 192.0.2.10:22", 1,
	    "expected a protocol (tcp, udp, icmp, ipv6-icmp, sctp, ... or a number), not 'tpc'");
	bad("tcp", 4, "expected a source address after the protocol");
	bad("tcp 198.51.100.7", 17, "expected '->' after the source");
	bad("tcp 198.51.100.7 => 192.0.2.10", 18, "expected '->' after the source");
	bad("tcp 198.51.100.7 ->", 20, "expected a destination address after '->'");
	bad("tcp 198.51.100.777 -> 192.0.2.10:22", 5,
	    "'198.51.100.777' is not an IPv4 or IPv6 address");
	/* found by the fuzzer: a pasted line with ports on ICMP, or ICMP fields on TCP */
	bad("icmp 1 29 src=198.51.100.7 dst=192.0.2.10 sport=22", 43, "icmp has no ports");
	bad("tcp 6 29 src=198.51.100.7 dst=192.0.2.10 type=3", 42, "tcp has no ICMP type or code");
	bad("tcp 198.51.100.7 -> 192.0.2.10:99999", 32,
	    "expected a port from 1 to 65535, not '99999'");
	bad("tcp 198.51.100.7 -> 192.0.2.10:", 32, "expected a port from 1 to 65535, not ''");
	bad("tcp 198.51.100.7 -> 2001:db8::1", 21, "expected an IPv4 destination, like the source");
	bad("udp [2001:db8::7:5353 -> [2001:db8::1]:53", 5, "expected ']' after an IPv6 address");
	bad("udp [198.51.100.7]:53 -> 192.0.2.10", 6, "brackets are for IPv6 addresses");
	bad("icmp 198.51.100.7:9 -> 192.0.2.10", 6, "icmp has no ports");
	bad("icmp 198.51.100.7 -> 192.0.2.10 type", 37,
	    "expected a number from 0 to 255 or a type name (echo-request...) after 'type'");
	bad("icmp 198.51.100.7 -> 192.0.2.10 kind 8", 33,
	    "expected 'port P', 'sport P', 'type N', 'code N', 'id N' or the end, "
	    "not 'kind'");
	bad("icmp 198.51.100.7 -> 192.0.2.10 type 8 id 65536", 43,
	    "expected an echo identifier from 0 to 65535 after 'id'");
	bad("icmp 198.51.100.7 -> 192.0.2.10 id", 35,
	    "expected an echo identifier from 0 to 65535 after 'id'");
	bad("tcp 198.51.100.7 -> 192.0.2.10:22 id 7", 35, "'id' is for icmp and ipv6-icmp");
	/* an identifier with a type that has none (an error, neighbour discovery) */
	bad("icmp 198.51.100.7 -> 192.0.2.10 type 3 id 5", 40,
	    "icmp type 3 has no identifier: 'id' is for echo, timestamp and the like");
	bad("icmp 198.51.100.7 -> 192.0.2.10 id 5 type 3", 33,
	    "icmp type 3 has no identifier: 'id' is for echo, timestamp and the like");
	bad("ipv6-icmp 2001:db8::7 -> 2001:db8::1 type nd-neighbor-solicit id 0", 63,
	    "ipv6-icmp type 135 has no identifier: 'id' is for echo, timestamp and the like");
	bad("icmp 1 29 src=198.51.100.7 dst=192.0.2.10 type=8 code=0 id=x", 60,
	    "expected an echo identifier from 0 to 65535");
	bad("tcp 198.51.100.7 -> 192.0.2.10 type 8", 32, "'type' is for icmp and ipv6-icmp");
	/* a field given twice names no one connection */
	bad("icmp 198.51.100.7 -> 192.0.2.10 type 8 id 5 id 6", 45,
	    "the tuple already has its echo identifier");
	bad("icmp 198.51.100.7 -> 192.0.2.10 type 8 type 0", 40, "the tuple already has its type");
	bad("icmp 198.51.100.7 -> 192.0.2.10 code 0 code 1", 40, "the tuple already has its code");
	bad("tcp 198.51.100.7 -> 192.0.2.10:22 port 80", 35,
	    "the tuple already has its destination port");
	bad("tcp 198.51.100.7 -> 192.0.2.10 port 22 dport 22", 40,
	    "the tuple already has its destination port");
	bad("tcp 198.51.100.7:5 -> 192.0.2.10 sport 6", 34,
	    "the tuple already has its source port");
	bad("src=198.51.100.7 dst=192.0.2.10", 1,
	    "expected a protocol (tcp, udp, ...) before 'src='");
	bad("tcp src=198.51.100.7 dst=2001:db8::1", 26,
	    "'2001:db8::1' is not of the same family as the other address");
	bad("tcp src=198.51.100.7 dport=0", 28, "expected a port from 1 to 65535, not '0'");
}

static void test_match(void)
{
	struct cta_flow f = { 0 };

	f.key.family = AF_INET;
	f.key.l4proto = IPPROTO_TCP;
	inet_pton(AF_INET, "198.51.100.7", f.key.src.b);
	inet_pton(AF_INET, "192.0.2.10", f.key.dst.b);
	f.key.dport = 8080;
	/* a port forward: really answered by 203.0.113.20:80 */
	inet_pton(AF_INET, "203.0.113.20", f.key.reply_src.b);
	f.key.reply_sport = 80;
	f.sport_min = 40000;
	f.sport_max = 40100;

	cta_tuple_parse("tcp 198.51.100.7:40050 -> 192.0.2.10:8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	CHECK(cta_tuple_sport_seen(&q, &f));
	/* a source port the recording never saw: the flow still answers, and says so */
	cta_tuple_parse("tcp 198.51.100.7:39999 -> 192.0.2.10:8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	CHECK(!cta_tuple_sport_seen(&q, &f));
	cta_tuple_parse("tcp 198.51.100.7 -> 203.0.113.20:80", &q, &err);
	CHECK(cta_tuple_match(&q, &f)); /* by where it really went */
	cta_tuple_parse("udp 198.51.100.7 -> 192.0.2.10:8080", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.8 -> 192.0.2.10:8080", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp [2001:db8::7] -> [2001:db8::10]:8080", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp dport=8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	/* a subnet as the source: every flow from it */
	cta_tuple_parse("tcp 198.51.100.0/24 -> 192.0.2.10:8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.6/31 -> 192.0.2.10:8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.4/31 -> 192.0.2.10:8080", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.101.0/24 -> 192.0.2.10:8080", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp any -> 192.0.2.0/24 port 8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp port 8080", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp port 8081", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	/* address and port of one side: never the public address with the server's port */
	inet_pton(AF_INET, "198.51.100.7", f.key.reply_dst.b);
	cta_tuple_parse("tcp 198.51.100.7 -> 192.0.2.10:80", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.7 -> 203.0.113.20:8080", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.7 -> 203.0.113.20:80", &q, &err);
	CHECK(cta_tuple_match(&q, &f));

	/* masqueraded: from the LAN host, or from the address SNAT gave it */
	memset(&f, 0, sizeof(f));
	f.key.family = AF_INET;
	f.key.l4proto = IPPROTO_TCP;
	inet_pton(AF_INET, "192.0.2.5", f.key.src.b);
	inet_pton(AF_INET, "203.0.113.9", f.key.dst.b);
	f.key.dport = f.key.reply_sport = 443;
	f.key.reply_src = f.key.dst;
	inet_pton(AF_INET, "198.51.100.1", f.key.reply_dst.b);
	cta_tuple_parse("tcp 192.0.2.5 -> 203.0.113.9:443", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.1 -> 203.0.113.9:443", &q, &err);
	CHECK(cta_tuple_match(&q, &f));
	cta_tuple_parse("tcp 198.51.100.2 -> 203.0.113.9:443", &q, &err);
	CHECK(!cta_tuple_match(&q, &f));
}

/* Written from the reply's side: the reverse query finds the flow. */
static void test_reverse(void)
{
	struct cta_tuple_query r;
	char buf[160];

	cta_tuple_parse("tcp 192.0.2.10:22 -> 198.51.100.7:40312", &q, &err);
	cta_tuple_reverse(&q, &r);
	cta_tuple_format(&r, buf, sizeof(buf));
	CHECK_STR(buf, "tcp 198.51.100.7:40312 -> 192.0.2.10:22");
	cta_tuple_parse("tcp 192.0.2.10:22 -> 198.51.100.0/24", &q, &err);
	cta_tuple_reverse(&q, &r);
	cta_tuple_format(&r, buf, sizeof(buf));
	CHECK_STR(buf, "tcp 198.51.100.0/24 -> 192.0.2.10:22");
	cta_tuple_parse("icmp 192.0.2.10 -> 198.51.100.7 type echo-reply", &q, &err);
	cta_tuple_reverse(&q, &r);
	cta_tuple_format(&r, buf, sizeof(buf));
	CHECK_STR(buf, "icmp 198.51.100.7 -> 192.0.2.10 type 8");
	cta_tuple_parse("icmp 192.0.2.10 -> 198.51.100.7 type 3", &q, &err);
	cta_tuple_reverse(&q, &r);
	CHECK(!(r.has & CTA_TQ_TYPE));
	/* an echo reply has its request's identifier */
	cta_tuple_parse("icmp 192.0.2.10 -> 198.51.100.7 type echo-reply id 9", &q, &err);
	cta_tuple_reverse(&q, &r);
	cta_tuple_format(&r, buf, sizeof(buf));
	CHECK_STR(buf, "icmp 198.51.100.7 -> 192.0.2.10 type 8 id 9");
}

/* An echo identifier is an ICMP flow's "source port": seen, or said not to be. */
static void test_icmp_id_seen(void)
{
	struct cta_flow f = { 0 };

	f.key.family = AF_INET;
	f.key.l4proto = IPPROTO_ICMP;
	f.key.icmp_type = 8;
	inet_pton(AF_INET, "198.51.100.7", f.key.src.b);
	inet_pton(AF_INET, "192.0.2.10", f.key.dst.b);
	f.sport_min = 100;
	f.sport_max = 200;
	CHECK_EQ(cta_tuple_parse("icmp 198.51.100.7 -> 192.0.2.10 type 8 id 150", &q, &err), 0);
	CHECK(cta_tuple_match(&q, &f));
	CHECK(cta_tuple_sport_seen(&q, &f));
	CHECK_EQ(cta_tuple_parse("icmp 198.51.100.7 -> 192.0.2.10 type 8 id 7", &q, &err), 0);
	CHECK(cta_tuple_match(&q, &f));
	CHECK(!cta_tuple_sport_seen(&q, &f));
	CHECK_EQ(cta_tuple_parse("icmp 198.51.100.7 -> 192.0.2.10 type 8", &q, &err), 0);
	CHECK(cta_tuple_sport_seen(&q, &f));
}

/* As people type them: capitals, services, port words, subnets, arrows, nft trace. */
static void test_people(void)
{
	ok("TCP 198.51.100.7 -> 192.0.2.10:22", "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("Udp 198.51.100.7 -> 192.0.2.10:53", "udp 198.51.100.7 -> 192.0.2.10:53");
	ok("tcp 198.51.100.7 -> 192.0.2.10 port 22", "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("tcp 198.51.100.7 -> 192.0.2.10 sport 40312 dport 22",
	   "tcp 198.51.100.7:40312 -> 192.0.2.10:22");
	ok("tcp port 22", "tcp any -> any:22");
	ok("tcp any -> any:22", "tcp any -> any:22");
	ok("tcp any -> 192.0.2.10:22", "tcp any -> 192.0.2.10:22");
	ok("tcp 198.51.100.0/24 -> 192.0.2.10:22", "tcp 198.51.100.0/24 -> 192.0.2.10:22");
	CHECK_EQ(q.src_plen, 24);
	ok("tcp 198.51.100.7/24 -> 192.0.2.10:22", "tcp 198.51.100.0/24 -> 192.0.2.10:22");
	ok("tcp 198.51.100.7/32 -> 192.0.2.10:22", "tcp 198.51.100.7 -> 192.0.2.10:22");
	CHECK_EQ(q.src_plen, 0);
	ok("udp [2001:db8:b::/48]:5353 -> [2001:db8::1]:53",
	   "udp [2001:db8:b::/48]:5353 -> [2001:db8::1]:53");
	ok("tcp 198.51.100.7 \xe2\x86\x92 192.0.2.10:22", "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("tcp 198.51.100.7\xe2\x86\x92"
	   "192.0.2.10:22",
	   "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("icmp 198.51.100.7 -> 192.0.2.10 type echo-request",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8");
	ok("icmp 2001:db8::7 -> 2001:db8::1 type echo-request",
	   "ipv6-icmp 2001:db8::7 -> 2001:db8::1 type 128");
	/* nft monitor trace */
	ok("trace id 9c01f8a6 inet filter input packet: iif \"veth0\" ether saddr "
	   "02:00:00:00:00:01 ether daddr 02:00:00:00:00:02 ip saddr 198.51.100.7 ip daddr "
	   "192.0.2.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 5432 ip protocol tcp ip "
	   "length 60 tcp sport 40312 tcp dport 22 tcp flags == syn tcp window 64240",
	   "tcp 198.51.100.7:40312 -> 192.0.2.10:22");
	ok("trace id 1 ip6 filter input packet: iif \"eth0\" ip6 saddr 2001:db8::7 ip6 daddr "
	   "2001:db8::1 ip6 dscp cs0 ip6 nexthdr udp ip6 length 40 udp sport 5353 udp dport 53 "
	   "udp length 40",
	   "udp [2001:db8::7]:5353 -> [2001:db8::1]:53");
	ok("trace id 2 ip filter input packet: iif \"eth0\" ip saddr 198.51.100.7 ip daddr "
	   "192.0.2.10 ip protocol icmp icmp type echo-request icmp code net-unreachable icmp "
	   "id 7 icmp sequence 1",
	   "icmp 198.51.100.7 -> 192.0.2.10 type 8 id 7");
	/*
	 * ICMPv6 echo as nft 1.0.6 traces it: bytes 4-7 as "parameter-problem", the
	 * identifier (4242) times 65536 plus the sequence (1); for another type, no id
	 */
	ok("trace id de4c991f inet t out packet: oif \"lo\" ip6 saddr 2001:db8::7 ip6 daddr "
	   "2001:db8::1 ip6 dscp cs0 ip6 ecn not-ect ip6 hoplimit 64 ip6 flowlabel 149506 ip6 "
	   "nexthdr ipv6-icmp ip6 length 64 icmpv6 type echo-request icmpv6 code no-route "
	   "icmpv6 parameter-problem 278003713 @th,64,96 0x2d990f6b000000007dbe0100",
	   "ipv6-icmp 2001:db8::7 -> 2001:db8::1 type 128 id 4242");
	ok("trace id 4 inet t input packet: ip6 saddr 2001:db8::7 ip6 daddr 2001:db8::1 ip6 "
	   "nexthdr ipv6-icmp icmpv6 type parameter-problem icmpv6 code 0 icmpv6 "
	   "parameter-problem 40",
	   "ipv6-icmp 2001:db8::7 -> 2001:db8::1 type 4 code 0");
	bad("trace id 3 ip filter input packet: ip saddr 198.51.100.7 ip daddr 192.0.2.10", 1,
	    "no protocol in this trace line (no 'ip protocol', 'tcp dport'...)");
	bad("tcp 198.51.100.0/33 -> 192.0.2.10:22", 18,
	    "expected a prefix length from 1 to 32 after '/'");
	bad("tcp 198.51.100.7 -> 192.0.2.10 port", 36, "expected a port or a service after 'port'");
	bad("icmp 198.51.100.7 -> 192.0.2.10 port 22", 33, "icmp has no ports");
}

/* Service names come from the services database: skipped where there is none. */
static void test_services(void)
{
	FILE *f = fopen("/etc/services", "r");

	if (!f) {
		fprintf(stderr, "  no /etc/services: service names not tested\n");
		return;
	}
	fclose(f);
	ok("tcp 198.51.100.7 -> 192.0.2.10:ssh", "tcp 198.51.100.7 -> 192.0.2.10:22");
	ok("tcp 198.51.100.7 -> 192.0.2.10 port https", "tcp 198.51.100.7 -> 192.0.2.10:443");
	ok("udp 198.51.100.7 -> 192.0.2.10:domain", "udp 198.51.100.7 -> 192.0.2.10:53");
	ok("udp [2001:db8::7] -> [2001:db8::1]:domain", "udp [2001:db8::7] -> [2001:db8::1]:53");
	ok("tcp port ssh", "tcp any -> any:22");
	bad("tcp 198.51.100.7 -> 192.0.2.10:no-such-service", 32,
	    "'no-such-service' is neither a port nor a service of the services database "
	    "(/etc/services)");
}

int main(void)
{
	test_forms();
	test_errors();
	test_match();
	test_icmp_id_seen();
	test_reverse();
	test_people();
	test_services();
	return check_report("tuple");
}
