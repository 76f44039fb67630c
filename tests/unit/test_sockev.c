// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockev: the eBPF programs' ring buffer records (bpf/procmon.h) into socket event
 * values: strings cut at their arrays, IPv4-mapped addresses made IPv4, and what the
 * programs never send refused.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "bpf/procmon.h"
#include "bpf/sockev.h"

static void test_from_bpf(void)
{
	struct cta_bpf_event b;
	struct cta_sock_event ev;

	memset(&b, 0, sizeof(b));
	b.kind = CTA_BPF_CONNECT;
	b.family = AF_INET6;
	b.protocol = IPPROTO_TCP;
	b.rport = 443;
	b.owner.pid = 77;
	b.owner.uid = 1000;
	memcpy(b.owner.comm, "0123456789abcdef", 16); /* no NUL: cut at the array */
	memcpy(b.owner.exe, "curl", 5);
	/* ::ffff:203.0.113.80 from a dual-stack socket is IPv4 to conntrack */
	b.raddr[10] = b.raddr[11] = 0xff;
	b.raddr[12] = 203, b.raddr[13] = 0, b.raddr[14] = 113, b.raddr[15] = 80;
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b), &ev), 0);
	CHECK_EQ(ev.family, AF_INET);
	CHECK(!memcmp(ev.raddr.b, (uint8_t[]){ 203, 0, 113, 80 }, 4));
	CHECK_EQ(ev.raddr.w[1], 0);
	CHECK_STR(ev.proc.comm, "0123456789abcde");
	CHECK_STR(ev.proc.exe, "curl");
	CHECK_EQ(ev.rport, 443);
	/* a real IPv6 peer stays IPv6 */
	b.raddr[10] = 0;
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b), &ev), 0);
	CHECK_EQ(ev.family, AF_INET6);
	/* what the programs never send is refused */
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b) - 1, &ev), -EBADMSG);
	b.kind = 0;
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b), &ev), -EBADMSG);
	b.kind = CTA_BPF_RECV + 1;
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b), &ev), -EBADMSG);
	b.kind = CTA_BPF_RECV;
	b.protocol = IPPROTO_ICMP;
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b), &ev), -EBADMSG);
	b.protocol = IPPROTO_UDP;
	b.family = 7;
	CHECK_EQ(cta_sock_event_from_bpf(&b, sizeof(b), &ev), -EBADMSG);
	/* the two enums are one */
	CHECK_EQ(CTA_BPF_CONNECT, CTA_SOCK_CONNECT);
	CHECK_EQ(CTA_BPF_RECV, CTA_SOCK_KIND_MAX);
}

int main(void)
{
	test_from_bpf();
	return check_report("sockev");
}
