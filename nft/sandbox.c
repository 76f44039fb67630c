// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct cta_sandbox {
	int orig_fd, ns_fd;
	int inside;
	struct mnl_socket *rt; /* opened inside */
	int raw4, raw6, pkt; /* opened inside, when first needed */
	unsigned seq;
};

int cta_sandbox_new(struct cta_sandbox **out)
{
	struct cta_sandbox *sb = calloc(1, sizeof(*sb));
	int err = 0;

	*out = NULL;
	if (!sb)
		return -ENOMEM;
	sb->raw4 = sb->raw6 = sb->pkt = -1;
	sb->seq = (unsigned)time(NULL);
	sb->orig_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sb->orig_fd < 0) {
		err = -errno;
		free(sb);
		return err;
	}
	/*
	 * A new namespace for this process, kept by a descriptor, and back at once: no
	 * name, no mount, nothing that outlives the descriptor (or the process).
	 */
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		close(sb->orig_fd);
		free(sb);
		return err;
	}
	sb->ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sb->ns_fd < 0)
		err = -errno;
	if (setns(sb->orig_fd, CLONE_NEWNET) < 0 && !err)
		err = -errno;
	if (err) {
		if (sb->ns_fd >= 0)
			close(sb->ns_fd);
		close(sb->orig_fd);
		free(sb);
		return err;
	}
	*out = sb;
	return 0;
}

int cta_sandbox_enter(struct cta_sandbox *sb)
{
	if (sb->inside)
		return 0;
	if (setns(sb->ns_fd, CLONE_NEWNET) < 0)
		return -errno;
	sb->inside = 1;
	if (!sb->rt) {
		sb->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
		if (!sb->rt || mnl_socket_bind(sb->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
			int err = -errno;

			if (sb->rt)
				mnl_socket_close(sb->rt);
			sb->rt = NULL;
			return err;
		}
	}
	return 0;
}

int cta_sandbox_leave(struct cta_sandbox *sb)
{
	if (!sb->inside)
		return 0;
	if (setns(sb->orig_fd, CLONE_NEWNET) < 0)
		return -errno;
	sb->inside = 0;
	return 0;
}

void cta_sandbox_free(struct cta_sandbox *sb)
{
	if (!sb)
		return;
	cta_sandbox_leave(sb);
	if (sb->rt)
		mnl_socket_close(sb->rt);
	if (sb->raw4 >= 0)
		close(sb->raw4);
	if (sb->raw6 >= 0)
		close(sb->raw6);
	if (sb->pkt >= 0)
		close(sb->pkt);
	close(sb->ns_fd);
	close(sb->orig_fd);
	free(sb);
}

/* One rtnetlink request, acknowledged. 0 or the kernel's -errno. */
static int talk(struct cta_sandbox *sb, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned portid = mnl_socket_get_portid(sb->rt);
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++sb->seq;
	if (mnl_socket_sendto(sb->rt, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(sb->rt, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, sb->seq, portid, NULL, NULL);
	} while (rc > 0);
	return rc < 0 ? -errno : 0;
}

int cta_sandbox_link_up(struct cta_sandbox *sb, const char *name)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	unsigned idx = if_nametoindex(name);

	if (!idx)
		return -ENODEV;
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return talk(sb, nlh);
}

int cta_sandbox_add_link(struct cta_sandbox *sb, const char *name, const char *peer)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi, *pifi;
	struct nlattr *info, *data, *pe;
	int err;

	if (strlen(name) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pe = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	memset(pifi, 0, sizeof(*pifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, pe);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	err = talk(sb, nlh);
	if (!err)
		err = cta_sandbox_link_up(sb, name);
	if (!err)
		err = cta_sandbox_link_up(sb, peer);
	return err ? err : (int)if_nametoindex(name);
}

int cta_sandbox_add_addr(struct cta_sandbox *sb, int ifindex, uint8_t family,
			 const union cta_addr *a, uint8_t prefixlen)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->b);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->b);
	return talk(sb, nlh);
}

int cta_sandbox_add_default(struct cta_sandbox *sb, int ifindex, uint8_t family)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return talk(sb, nlh);
}

int cta_sandbox_add_route(struct cta_sandbox *sb, const struct cta_route *r, int ifindex)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	size_t alen = r->family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	if (r->has_gateway && ifindex)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst.b);
	if (ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (r->has_gateway)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gateway.b);
	if (r->has_prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, alen, r->prefsrc.b);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return talk(sb, nlh);
}

int cta_sandbox_add_prule(struct cta_sandbox *sb, const struct cta_prule *p)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *h;
	size_t alen = p->family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWRULE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = p->family;
	h->src_len = p->src_len;
	h->dst_len = p->dst_len;
	h->tos = p->tos;
	h->action = p->action;
	h->table = p->table < 256 ? (uint8_t)p->table : RT_TABLE_UNSPEC;
	h->flags = p->invert ? FIB_RULE_INVERT : 0;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, p->priority);
	if (p->table)
		mnl_attr_put_u32(nlh, FRA_TABLE, p->table);
	if (p->src_len)
		mnl_attr_put(nlh, FRA_SRC, alen, p->src.b);
	if (p->dst_len)
		mnl_attr_put(nlh, FRA_DST, alen, p->dst.b);
	if (p->iif[0])
		mnl_attr_put_strz(nlh, FRA_IIFNAME, p->iif);
	if (p->oif[0])
		mnl_attr_put_strz(nlh, FRA_OIFNAME, p->oif);
	if (p->has_fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, p->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, p->fwmask);
	}
	if (p->has_suppress)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, p->suppress_prefixlen);
	return talk(sb, nlh);
}

int cta_sandbox_sysctl(const char *path, const char *value)
{
	char full[256];
	int fd, err = 0;

	snprintf(full, sizeof(full), "/proc/sys/net/%s", path);
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int hwaddr(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

int cta_sandbox_send_in(struct cta_sandbox *sb, const char *name, const char *peer,
			const uint8_t *ip, size_t len)
{
	uint8_t frame[14 + 1500];
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	uint16_t proto = (ip[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
	int err;

	if (len > 1500)
		return -EMSGSIZE;
	if (sb->pkt < 0) {
		sb->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (sb->pkt < 0)
			return -errno;
	}
	/* to name's address, from its peer's */
	if ((err = hwaddr(name, frame)) || (err = hwaddr(peer, frame + 6)))
		return err;
	frame[12] = (uint8_t)(proto >> 8);
	frame[13] = (uint8_t)proto;
	memcpy(frame + 14, ip, len);
	ll.sll_ifindex = (int)if_nametoindex(peer);
	ll.sll_protocol = htons(proto);
	memcpy(ll.sll_addr, frame, 6);
	if (!ll.sll_ifindex)
		return -ENODEV;
	if (sendto(sb->pkt, frame, 14 + len, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return -errno;
	return 0;
}

/*
 * The interface a link-local (fe80::/10, ff02::/16) destination is reached through: the
 * one holding the source address; 0 for any other destination, or none found.
 */
static unsigned link_scope(const uint8_t *src, const uint8_t *dst)
{
	struct ifaddrs *all = NULL;
	unsigned index = 0;

	if (!((dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80) || (dst[0] == 0xff && dst[1] == 0x02)))
		return 0;
	if (getifaddrs(&all) < 0)
		return 0;
	for (struct ifaddrs *a = all; a && !index; a = a->ifa_next) {
		const struct sockaddr_in6 *s6 = (const void *)a->ifa_addr;

		if (s6 && s6->sin6_family == AF_INET6 && !memcmp(&s6->sin6_addr, src, 16))
			index = if_nametoindex(a->ifa_name);
	}
	freeifaddrs(all);
	return index;
}

/*
 * Send IP (its header ours) to DST, routed as a socket bound to its source would be: a
 * raw socket's route lookup takes no source from the header (raw_sendmsg), so a policy
 * rule `from ADDR lookup T` (two uplinks) would not apply; IP_PKTINFO / IPV6_PKTINFO
 * give it. An IPv6 source the kernel refuses there (not local: EINVAL) is sent as
 * before. sendmsg's result.
 */
static ssize_t send_from(int fd, bool v6, const uint8_t *ip, size_t len,
			 const struct sockaddr_storage *dst, socklen_t dl)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = (void *)ip, .iov_len = len };
	struct msghdr m = { .msg_name = (void *)dst,
			    .msg_namelen = dl,
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = c.buf };
	struct cmsghdr *cm;
	ssize_t n;

	memset(&c, 0, sizeof(c));
	m.msg_controllen = v6 ? CMSG_SPACE(sizeof(struct in6_pktinfo))
			      : CMSG_SPACE(sizeof(struct in_pktinfo));
	cm = CMSG_FIRSTHDR(&m);
	if (v6) {
		struct in6_pktinfo pi = { 0 };

		memcpy(&pi.ipi6_addr, ip + 8, 16);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		struct in_pktinfo pi = { 0 };

		memcpy(&pi.ipi_spec_dst, ip + 12, 4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	n = sendmsg(fd, &m, 0);
	if (n < 0 && v6 && errno == EINVAL)
		n = sendto(fd, ip, len, 0, (const struct sockaddr *)dst, dl);
	return n;
}

int cta_sandbox_send_out(struct cta_sandbox *sb, const uint8_t *ip, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int *fd, v6 = (ip[0] >> 4) == 6;

	fd = v6 ? &sb->raw6 : &sb->raw4;
	if (*fd < 0) {
		/* IPPROTO_RAW: the header is ours, as given */
		*fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		if (*fd < 0)
			return -errno;
	}
	if (v6) {
		struct sockaddr_in6 *d = (void *)&ss;

		d->sin6_family = AF_INET6;
		memcpy(&d->sin6_addr, ip + 24, 16);
		d->sin6_scope_id = link_scope(ip + 8, ip + 24);
		sl = sizeof(*d);
	} else {
		struct sockaddr_in *d = (void *)&ss;

		d->sin_family = AF_INET;
		memcpy(&d->sin_addr, ip + 16, 4);
		sl = sizeof(*d);
	}
	/*
	 * an unresolved neighbour fails after the hooks: the verdict is in by then; EPERM
	 * is a drop; EINVAL a route refused after output's NAT changed the destination
	 * (ip_route_me_harder): what the hooks did so far is in the trace, and a flow
	 * with no verdict is not judged
	 */
	if (send_from(*fd, v6, ip, len, &ss, sl) < 0 && errno != EHOSTUNREACH &&
	    errno != ENETUNREACH && errno != EPERM && errno != EINVAL)
		return -errno;
	return 0;
}
