// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include "bpf/loader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procmon.skel.h"
#include "bpf/sockev.h"
#include "bpf/sockscan.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define N_CGROUPS 64
#define N_USERS 32

struct cta_procmon {
	struct procmon *skel;
	struct ring_buffer *rb;
	int cgfd;
	cta_procmon_cb cb;
	void *data;
	uint64_t events, scanned;
	char cgroot[PATH_MAX];
	struct {
		uint64_t id;
		char path[256];
	} cg[N_CGROUPS];
	size_t n_cg, next_cg;
	struct {
		uint32_t uid;
		char name[64];
	} users[N_USERS];
	size_t n_users, next_user;
};

/* libbpf speaks only when asked; its last line explains a failure. */
static char libbpf_last[256];

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n)
		memcpy(libbpf_last, line, n + 1);
	return 0;
}

/* The cgroup v2 mount point, from /proc/self/mountinfo. 0 or -ENOENT. */
static int cgroup2_root(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - cgroup2 "), *p = line;

		if (!dash)
			continue;
		/* the fifth field is the mount point */
		for (int i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p || p > dash)
			continue;
		*strchrnul(p, ' ') = '\0';
		if (strlen(p) < len) {
			memcpy(buf, p, strlen(p) + 1);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

/*
 * The cgroup v2 root as a directory fd, and a path to it (pm->cgroot). `ip netns exec`
 * mounts a fresh /sys in a mount namespace of its own, without the cgroup mounts: then
 * the tool mounts cgroup2 itself, in a mount namespace of its own, keeps a descriptor
 * and unmounts it at once. The path is then /proc/self/fd/N.
 */
static int open_cgroup_root(struct cta_procmon *pm, char *why, size_t whylen)
{
	char dir[] = "/tmp/conntrack-advise-cgroup.XXXXXX";
	int err;

	if (cgroup2_root(pm->cgroot, sizeof(pm->cgroot)) == 0) {
		pm->cgfd = open(pm->cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pm->cgfd >= 0)
			return 0;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		err = -errno;
		snprintf(why, whylen,
			 "no cgroup v2 hierarchy is mounted here, and a mount namespace to mount "
			 "one in was refused: %s",
			 strerror(-err));
		return err;
	}
	if (!mkdtemp(dir)) {
		err = -errno;
		snprintf(why, whylen, "no cgroup v2 hierarchy is mounted here: mkdtemp: %s",
			 strerror(-err));
		return err;
	}
	err = mount("cgroup2", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? -errno
											   : 0;
	if (!err) {
		pm->cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pm->cgfd < 0)
			err = -errno;
		umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
	if (err) {
		snprintf(why, whylen,
			 "no cgroup v2 hierarchy is mounted, and mounting one failed: %s",
			 strerror(-err));
		return err;
	}
	/* "/.": nftw must enter the link, not report it */
	snprintf(pm->cgroot, sizeof(pm->cgroot), "/proc/self/fd/%d/.", pm->cgfd);
	return 0;
}

/* nftw has no argument for its callback: one search at a time, this thread's. */
static __thread struct {
	uint64_t id;
	const char *root;
	char *out;
	size_t len;
} cg_search;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + strlen(cg_search.root);

	(void)ftw;
	if (type != FTW_D || (uint64_t)st->st_ino != cg_search.id)
		return 0;
	while (*rel == '/')
		rel++;
	snprintf(cg_search.out, cg_search.len, "/%s", rel);
	return 1;
}

/* A cgroup v2 id (its kernfs inode number) as its path under the mount. */
static void cgroup_path(struct cta_procmon *pm, uint64_t id, char *out, size_t len)
{
	size_t at;

	out[0] = '\0';
	if (!id || !pm->cgroot[0])
		return;
	for (size_t i = 0; i < pm->n_cg; i++)
		if (pm->cg[i].id == id) {
			snprintf(out, len, "%s", pm->cg[i].path);
			return;
		}
	cg_search.id = id;
	cg_search.root = pm->cgroot;
	cg_search.out = out;
	cg_search.len = len;
	if (nftw(pm->cgroot, cg_visit, 16, FTW_PHYS | FTW_MOUNT) != 1)
		out[0] = '\0'; /* gone already: no path is better than a wrong one */
	at = pm->n_cg < N_CGROUPS ? pm->n_cg++ : pm->next_cg++ % N_CGROUPS;
	pm->cg[at].id = id;
	snprintf(pm->cg[at].path, sizeof(pm->cg[at].path), "%s", out);
}

static void user_name(struct cta_procmon *pm, uint32_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	size_t at;

	for (size_t i = 0; i < pm->n_users; i++)
		if (pm->users[i].uid == uid) {
			snprintf(out, len, "%s", pm->users[i].name);
			return;
		}
	out[0] = '\0';
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, len, "%s", res->pw_name);
	at = pm->n_users < N_USERS ? pm->n_users++ : pm->next_user++ % N_USERS;
	pm->users[at].uid = uid;
	snprintf(pm->users[at].name, sizeof(pm->users[at].name), "%s", out);
}

/*
 * The executable's path while the process lives; if it is gone (or the pid is now
 * another program's) the file name the kernel gave stays.
 */
static void exe_path(uint32_t pid, char *exe, size_t len)
{
	char link[64], path[PATH_MAX];
	const char *base;
	ssize_t n;

	if (!pid)
		return;
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return;
	path[n] = '\0';
	if (n > 10 && !strcmp(path + n - 10, " (deleted)"))
		path[n - 10] = '\0';
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (exe[0] && strncmp(base, exe, strlen(exe)))
		return;
	if (strlen(path) < len)
		memcpy(exe, path, strlen(path) + 1);
}

static int on_sample(void *ctx, void *rec, size_t size)
{
	struct cta_procmon *pm = ctx;
	struct cta_sock_event ev;

	if (cta_sock_event_from_bpf(rec, size, &ev))
		return 0;
	exe_path(ev.proc.pid, ev.proc.exe, sizeof(ev.proc.exe));
	user_name(pm, ev.proc.uid, ev.proc.user, sizeof(ev.proc.user));
	cgroup_path(pm, ev.cgroup_id, ev.proc.cgroup, sizeof(ev.proc.cgroup));
	pm->events++;
	pm->cb(&ev, pm->data);
	return 0;
}

/* A socket found by the start scan: its process is read from /proc already. */
static void on_scanned(const struct cta_sock_event *scanned, void *ctx)
{
	struct cta_procmon *pm = ctx;
	struct cta_sock_event ev = *scanned;

	user_name(pm, ev.proc.uid, ev.proc.user, sizeof(ev.proc.user));
	pm->scanned++;
	pm->cb(&ev, pm->data);
}

static int netns_cookie(uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int attach_all(struct cta_procmon *pm, char *why, size_t whylen)
{
	struct procmon *s = pm->skel;
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
		const char *what;
	} cg[] = {
		{ s->progs.cta_connect4, &s->links.cta_connect4, "cgroup/connect4" },
		{ s->progs.cta_connect6, &s->links.cta_connect6, "cgroup/connect6" },
		{ s->progs.cta_sendmsg4, &s->links.cta_sendmsg4, "cgroup/sendmsg4" },
		{ s->progs.cta_sendmsg6, &s->links.cta_sendmsg6, "cgroup/sendmsg6" },
		{ s->progs.cta_recvmsg4, &s->links.cta_recvmsg4, "cgroup/recvmsg4" },
		{ s->progs.cta_recvmsg6, &s->links.cta_recvmsg6, "cgroup/recvmsg6" },
		{ s->progs.cta_post_bind4, &s->links.cta_post_bind4, "cgroup/post_bind4" },
		{ s->progs.cta_post_bind6, &s->links.cta_post_bind6, "cgroup/post_bind6" },
	};

	for (size_t i = 0; i < sizeof(cg) / sizeof(cg[0]); i++) {
		*cg[i].link = bpf_program__attach_cgroup(cg[i].prog, pm->cgfd);
		if (!*cg[i].link) {
			int err = -errno;

			snprintf(why, whylen, "cannot attach %s to %s: %s", cg[i].what, pm->cgroot,
				 strerror(-err));
			return err;
		}
	}
	s->links.cta_sock_state = bpf_program__attach(s->progs.cta_sock_state);
	if (!s->links.cta_sock_state) {
		int err = -errno;

		snprintf(why, whylen, "cannot attach tp_btf/inet_sock_set_state: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}

int cta_procmon_open(struct cta_procmon **out, cta_procmon_cb cb, void *data, char *why,
		     size_t whylen)
{
	struct cta_procmon *pm;
	uint64_t cookie = 0;
	int err;

	*out = NULL;
	libbpf_set_print(libbpf_quiet);
	libbpf_last[0] = '\0';
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		err = -errno;
		snprintf(why, whylen, "the kernel has no BTF (/sys/kernel/btf/vmlinux: %s)",
			 strerror(-err));
		return err;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->cb = cb;
	pm->data = data;
	pm->cgfd = -1;
	err = netns_cookie(&cookie);
	if (err) {
		snprintf(why, whylen,
			 "the kernel cannot name network namespaces (SO_NETNS_COOKIE: %s)",
			 strerror(-err));
		goto fail;
	}
	pm->skel = procmon__open();
	if (!pm->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the eBPF object: %s", strerror(-err));
		goto fail;
	}
	pm->skel->rodata->netns_cookie = cookie;
	err = procmon__load(pm->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			snprintf(why, whylen,
				 "loading eBPF programs was refused (%s): CAP_BPF and CAP_PERFMON "
				 "(or CAP_SYS_ADMIN) are needed",
				 strerror(-err));
		else
			snprintf(why, whylen, "loading the eBPF programs failed: %s%s%s",
				 strerror(-err), libbpf_last[0] ? ": libbpf: " : "", libbpf_last);
		goto fail;
	}
	/* after the load: a refusal to load says the most about what is missing */
	err = open_cgroup_root(pm, why, whylen);
	if (err)
		goto fail;
	err = attach_all(pm, why, whylen);
	if (err)
		goto fail;
	pm->rb = ring_buffer__new(bpf_map__fd(pm->skel->maps.events), on_sample, pm, NULL);
	if (!pm->rb) {
		err = -errno;
		snprintf(why, whylen, "ring buffer: %s", strerror(-err));
		goto fail;
	}
	/*
	 * Attached: what happens from now on is told. What was there before (services
	 * listening since boot) is found in the sockets that exist and who holds them.
	 */
	(void)cta_sockscan(on_scanned, pm);
	*out = pm;
	return 0;
fail:
	cta_procmon_free(pm);
	return err < 0 ? err : -EINVAL;
}

void cta_procmon_free(struct cta_procmon *pm)
{
	if (!pm)
		return;
	ring_buffer__free(pm->rb);
	procmon__destroy(pm->skel); /* detaches every link */
	if (pm->cgfd >= 0)
		close(pm->cgfd);
	free(pm);
}

int cta_procmon_fd(const struct cta_procmon *pm)
{
	return ring_buffer__epoll_fd(pm->rb);
}

int cta_procmon_read(struct cta_procmon *pm)
{
	int n = ring_buffer__consume(pm->rb);

	return n < 0 ? n : 0;
}

uint64_t cta_procmon_events(const struct cta_procmon *pm)
{
	return pm->events;
}

uint64_t cta_procmon_scanned(const struct cta_procmon *pm)
{
	return pm->scanned;
}

uint64_t cta_procmon_lost(const struct cta_procmon *pm)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;
	uint32_t zero = 0;

	if (ncpu <= 0)
		return 0;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(pm->skel->maps.lost), &zero, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

#else /* !HAVE_BPF */

int cta_procmon_open(struct cta_procmon **pm, cta_procmon_cb cb, void *data, char *why,
		     size_t whylen)
{
	(void)cb;
	(void)data;
	*pm = NULL;
	snprintf(why, whylen, "this conntrack-advise was built without eBPF (meson -Dbpf)");
	return -EOPNOTSUPP;
}

void cta_procmon_free(struct cta_procmon *pm)
{
	(void)pm;
}

int cta_procmon_fd(const struct cta_procmon *pm)
{
	(void)pm;
	return -1;
}

int cta_procmon_read(struct cta_procmon *pm)
{
	(void)pm;
	return 0;
}

uint64_t cta_procmon_events(const struct cta_procmon *pm)
{
	(void)pm;
	return 0;
}

uint64_t cta_procmon_scanned(const struct cta_procmon *pm)
{
	(void)pm;
	return 0;
}

uint64_t cta_procmon_lost(const struct cta_procmon *pm)
{
	(void)pm;
	return 0;
}

#endif
