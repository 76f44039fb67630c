// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/sshd.h"

#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nft/ctmsg.h"

#define TCP_ESTABLISHED 1
#define TCP_LISTEN 10

struct socks {
	struct cta_diag_sock *v;
	size_t n, cap;
};

static int add(struct socks *s, const struct cta_diag_sock *d)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->v, nc * sizeof(*s->v));

		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = nc;
	}
	s->v[s->n++] = *d;
	return 0;
}

/* The listening and established TCP sockets of one family. */
static int dump(struct mnl_socket *nl, uint8_t family, struct socks *s)
{
	char buf[32768];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (unsigned)time(NULL) + family;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = (1u << TCP_LISTEN) | (1u << TCP_ESTABLISHED);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int len, err;

		if (n < 0)
			return -errno;
		len = (int)n;
		for (struct nlmsghdr *m = (void *)buf; cta_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			struct cta_diag_sock d;

			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				return m->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error
					       ? e->error
					       : -EPROTO;
			}
			if (cta_diagmsg_parse(m, IPPROTO_TCP, &d))
				continue;
			err = add(s, &d);
			if (err)
				return err;
		}
	}
}

static bool is_sshd(unsigned pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, "sshd");
}

static void add_port(struct cta_sshd *s, uint16_t port)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i] == port)
			return;
	if (s->n_ports < CTA_SSHD_MAX_PORTS)
		s->ports[s->n_ports++] = port;
}

/* The listening sockets an sshd process holds give the ports. */
static void sshd_ports(const struct socks *socks, struct cta_sshd *s)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	if (!proc)
		return;
	while ((p = readdir(proc))) {
		char dir[64], link[384], target[64];
		struct dirent *fd;
		unsigned pid, inode;
		DIR *fds;

		if (sscanf(p->d_name, "%u", &pid) != 1 || !is_sshd(pid))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
		fds = opendir(dir);
		if (!fds)
			continue;
		while ((fd = readdir(fds))) {
			ssize_t n;

			if (fd->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, fd->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (sscanf(target, "socket:[%u]", &inode) != 1)
				continue;
			for (size_t i = 0; i < socks->n; i++)
				if (socks->v[i].inode == inode && socks->v[i].state == TCP_LISTEN)
					add_port(s, socks->v[i].lport);
		}
		closedir(fds);
	}
	closedir(proc);
}

int cta_sshd_find(struct cta_sshd *s)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	struct socks socks = { 0 };
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		err = -errno;
	if (!err)
		err = dump(nl, AF_INET, &socks);
	if (!err)
		err = dump(nl, AF_INET6, &socks);
	mnl_socket_close(nl);
	if (!err)
		sshd_ports(&socks, s);
	for (size_t i = 0; !err && i < socks.n; i++) {
		const struct cta_diag_sock *d = &socks.v[i];
		bool to_sshd = false;

		for (size_t k = 0; k < s->n_ports; k++)
			to_sshd |= d->lport == s->ports[k];
		if (d->state != TCP_ESTABLISHED || !to_sshd || !d->rport)
			continue;
		socks.v[s->n_sessions++] = *d; /* compacted in place: the array is theirs */
	}
	if (!err && s->n_sessions) {
		s->sessions = socks.v;
		socks.v = NULL;
	}
	free(socks.v);
	return err;
}

void cta_sshd_fini(struct cta_sshd *s)
{
	free(s->sessions);
	memset(s, 0, sizeof(*s));
}
