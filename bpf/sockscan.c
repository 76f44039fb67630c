// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf/sockscan.h"

#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf/sockev.h"
#include "nft/ctmsg.h"
#include "nft/diagmsg.h"

#define TCP_LISTEN 10

struct socks {
	struct cta_diag_sock *v;
	size_t n, cap;
	int err;
};

static int on_diag(const struct nlmsghdr *nlh, void *data)
{
	struct socks *s = data;
	struct cta_diag_sock d;

	if (cta_diagmsg_parse(nlh, 0, &d) || !d.inode)
		return MNL_CB_OK;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 256;
		void *p = realloc(s->v, nc * sizeof(*s->v));

		if (!p) {
			s->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		s->v = p;
		s->cap = nc;
	}
	s->v[s->n++] = d;
	return MNL_CB_OK;
}

/* Every socket of one family and protocol in this network namespace. */
static int dump(struct mnl_socket *nl, uint8_t family, uint8_t l4proto, struct socks *s)
{
	char buf[32768];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	unsigned seq = (unsigned)time(NULL) + l4proto + family;
	size_t from = s->n;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = l4proto;
	req->idiag_states = ~0u;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int len;

		if (n < 0)
			return -errno;
		len = (int)n;
		/* each message is checked whole before the parser sees it */
		for (struct nlmsghdr *m = (void *)buf; cta_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_type == NLMSG_DONE)
				goto done;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				return m->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error
					       ? e->error
					       : -EPROTO;
			}
			on_diag(m, s);
			if (s->err)
				return s->err;
		}
	}
done:
	for (size_t i = from; i < s->n; i++)
		s->v[i].l4proto = l4proto;
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct cta_diag_sock *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Is there a TCP listener on this port (an accepted socket's end, not a client)? */
static bool listened(const struct socks *s, const struct cta_diag_sock *d)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].l4proto == IPPROTO_TCP && s->v[i].state == TCP_LISTEN &&
		    s->v[i].lport == d->lport)
			return true;
	return false;
}

/* What the socket tells of its owner, as the eBPF programs would have told it. */
static bool as_event(const struct socks *s, const struct cta_diag_sock *d,
		     struct cta_sock_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->family = d->family;
	ev->l4proto = d->l4proto;
	ev->lport = d->lport;
	ev->laddr = d->laddr;
	if (d->l4proto == IPPROTO_TCP && d->state == TCP_LISTEN) {
		ev->kind = CTA_SOCK_LISTEN;
	} else if (d->l4proto == IPPROTO_TCP) {
		if (!d->rport || listened(s, d))
			return false;
		ev->kind = CTA_SOCK_ESTABLISHED;
	} else {
		ev->kind = d->rport ? CTA_SOCK_CONNECT : CTA_SOCK_BIND;
	}
	ev->rport = d->rport;
	ev->raddr = d->raddr;
	cta_sock_event_normalize(ev);
	return true;
}

static void read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* The process's cgroup v2 path: its "0::" line. */
static void proc_cgroup(unsigned pid, char *out, size_t len)
{
	char path[64], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			size_t n = strcspn(line + 3, "\n");

			if (n >= len)
				n = len - 1;
			memcpy(out, line + 3, n);
			out[n] = '\0';
			break;
		}
	fclose(f);
}

static void owner(unsigned pid, const struct cta_diag_sock *d, struct cta_sock_event *ev)
{
	char path[64];
	struct stat st;
	ssize_t n;

	ev->proc.pid = pid;
	ev->proc.uid = d->uid;
	snprintf(path, sizeof(path), "/proc/%u", pid);
	if (stat(path, &st) == 0)
		ev->proc.gid = st.st_gid;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	read_line(path, ev->proc.comm, sizeof(ev->proc.comm));
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, ev->proc.exe, sizeof(ev->proc.exe) - 1);
	ev->proc.exe[n > 0 ? n : 0] = '\0';
	proc_cgroup(pid, ev->proc.cgroup, sizeof(ev->proc.cgroup));
}

/* Each process's socket descriptors: the sockets of the dump it holds. */
static void scan_proc(const struct socks *s, cta_sockscan_cb cb, void *data)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	if (!proc)
		return;
	while ((p = readdir(proc))) {
		char dir[64], link[384], target[64];
		struct dirent *fd;
		unsigned pid;
		DIR *fds;

		if (sscanf(p->d_name, "%u", &pid) != 1)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
		fds = opendir(dir);
		if (!fds)
			continue; /* gone, or not ours to see */
		while ((fd = readdir(fds))) {
			struct cta_diag_sock key = { 0 }, *d;
			struct cta_sock_event ev;
			ssize_t n;

			if (fd->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, fd->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (sscanf(target, "socket:[%u]", &key.inode) != 1)
				continue;
			d = bsearch(&key, s->v, s->n, sizeof(*s->v), by_inode);
			if (!d || !as_event(s, d, &ev))
				continue;
			owner(pid, d, &ev);
			cb(&ev, data);
		}
		closedir(fds);
	}
	closedir(proc);
}

int cta_sockscan(cta_sockscan_cb cb, void *data)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	struct socks s = { 0 };
	int err = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		err = -errno;
	for (size_t f = 0; !err && f < sizeof(families); f++)
		for (size_t p = 0; !err && p < sizeof(protos); p++)
			err = dump(nl, families[f], protos[p], &s);
	mnl_socket_close(nl);
	if (!err && s.n) {
		qsort(s.v, s.n, sizeof(*s.v), by_inode);
		scan_proc(&s, cb, data);
	}
	free(s.v);
	return err;
}
