// SPDX-License-Identifier: GPL-2.0-or-later
/* The session: its lifetime, its flows' verdicts and processes, loading it from a file. */
#include "advisor/model/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

void cta_session_fini(struct cta_session *s)
{
	cta_host_fini(&s->host);
	for (size_t i = 0; i < s->n_hosts; i++)
		cta_host_fini(&s->hosts[i]);
	free(s->hosts);
	s->hosts = NULL;
	s->n_hosts = 0;
	free(s->flows);
	s->flows = NULL;
	s->n_flows = 0;
	if (s->owns_verdicts) {
		for (size_t i = 0; i < s->n_verdicts; i++)
			cta_vtally_fini((struct cta_vtally *)&s->verdicts[i]);
		free((void *)s->verdicts);
		for (size_t i = 0; i < s->n_processes; i++)
			cta_process_unref(s->processes[i]);
		free((void *)s->processes);
	}
	free(s->ids);
	s->ids = NULL;
	s->n_ids = 0;
	s->verdicts = NULL;
	s->n_verdicts = 0;
	s->processes = NULL;
	s->n_processes = 0;
}

const struct cta_vtally *cta_session_verdicts(const struct cta_session *s, const struct cta_flow *f)
{
	return f->verdict && f->verdict <= s->n_verdicts ? &s->verdicts[f->verdict - 1] : NULL;
}

const struct cta_verdict *cta_session_verdict(const struct cta_session *s, const struct cta_flow *f)
{
	return cta_vtally_main(cta_session_verdicts(s, f));
}

const struct cta_process *cta_session_process(const struct cta_session *s, const struct cta_flow *f)
{
	return f->process && f->process <= s->n_processes ? s->processes[f->process - 1] : NULL;
}

int cta_recording_id_new(char id[CTA_RECORDING_ID_LEN])
{
	uint8_t r[16];
	ssize_t n;

	do
		n = getrandom(r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r))
		return n < 0 ? -errno : -EIO;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *p = malloc(cap);

	if (!p)
		return -ENOMEM;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			char *q = realloc(p, cap * 2);

			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap *= 2;
		}
		got = read(fd, p + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = -errno;

			free(p);
			return e;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*out = p;
	*len = n;
	return 0;
}

int cta_session_load(const char *path, struct cta_session *s, struct cta_err *err)
{
	bool is_stdin = !strcmp(path, "-");
	char *text = NULL;
	size_t len = 0;
	struct stat st = { 0 };
	int fd, rc;

	memset(s, 0, sizeof(*s));
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err->msg, sizeof(err->msg), "%s: is a directory, not a session file",
			 path);
		close(fd);
		return -EISDIR;
	}
	/* a regular file is mapped, not copied: sessions of a million flows are big */
	if (!is_stdin && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			close(fd);
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			rc = cta_session_parse(path, m, (size_t)st.st_size, s, err);
			munmap(m, (size_t)st.st_size);
			return rc;
		}
	}
	rc = read_all(fd, &text, &len);
	if (!is_stdin)
		close(fd);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = cta_session_parse(is_stdin ? "(stdin)" : path, text, len, s, err);
	free(text);
	return rc;
}
