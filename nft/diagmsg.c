// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/diagmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>

int cta_diagmsg_parse(const struct nlmsghdr *nlh, uint8_t l4proto, struct cta_diag_sock *s)
{
	struct inet_diag_msg m;

	memset(s, 0, sizeof(*s));
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(m)))
		return -EBADMSG;
	memcpy(&m, NLMSG_DATA(nlh), sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return -EBADMSG;
	s->family = m.idiag_family;
	s->l4proto = l4proto;
	s->state = m.idiag_state;
	s->lport = ntohs(m.id.idiag_sport);
	s->rport = ntohs(m.id.idiag_dport);
	memcpy(s->laddr.b, m.id.idiag_src, s->family == AF_INET ? 4 : 16);
	memcpy(s->raddr.b, m.id.idiag_dst, s->family == AF_INET ? 4 : 16);
	s->uid = m.idiag_uid;
	s->inode = m.idiag_inode;
	return 0;
}
