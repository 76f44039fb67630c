// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf/sockev.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/procmon.h"

static void cut(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n = strnlen(src, srclen);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is. */
static bool v4mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, 12);
}

static bool zero16(const uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

void cta_sock_event_normalize(struct cta_sock_event *ev)
{
	uint8_t l[16], r[16];

	if (ev->family != AF_INET6 || !v4mapped(ev->raddr.b) ||
	    !(v4mapped(ev->laddr.b) || zero16(ev->laddr.b)))
		return;
	/* a dual-stack socket talking IPv4: conntrack sees IPv4 */
	memcpy(l, ev->laddr.b, 16);
	memcpy(r, ev->raddr.b, 16);
	memset(&ev->laddr, 0, sizeof(ev->laddr));
	memset(&ev->raddr, 0, sizeof(ev->raddr));
	if (!zero16(l))
		memcpy(ev->laddr.b, l + 12, 4);
	memcpy(ev->raddr.b, r + 12, 4);
	ev->family = AF_INET;
}

int cta_sock_event_from_bpf(const void *rec, size_t len, struct cta_sock_event *ev)
{
	struct cta_bpf_event b;

	memset(ev, 0, sizeof(*ev));
	if (len != sizeof(b))
		return -EBADMSG;
	memcpy(&b, rec, sizeof(b));
	if (b.kind < CTA_SOCK_CONNECT || b.kind > CTA_SOCK_KIND_MAX ||
	    (b.family != AF_INET && b.family != AF_INET6) ||
	    (b.protocol != IPPROTO_TCP && b.protocol != IPPROTO_UDP))
		return -EBADMSG;
	ev->kind = b.kind;
	ev->family = b.family;
	ev->l4proto = b.protocol;
	ev->lport = b.lport;
	ev->rport = b.rport;
	memcpy(ev->laddr.b, b.laddr, b.family == AF_INET ? 4 : 16);
	memcpy(ev->raddr.b, b.raddr, b.family == AF_INET ? 4 : 16);
	cta_sock_event_normalize(ev);
	ev->proc.pid = b.owner.pid;
	ev->proc.uid = b.owner.uid;
	ev->proc.gid = b.owner.gid;
	ev->cgroup_id = b.owner.cgroup_id;
	cut(ev->proc.comm, sizeof(ev->proc.comm), b.owner.comm, sizeof(b.owner.comm));
	cut(ev->proc.exe, sizeof(ev->proc.exe), b.owner.exe, sizeof(b.owner.exe));
	return 0;
}
