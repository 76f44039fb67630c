// SPDX-License-Identifier: GPL-2.0-or-later
/* What several commands do alike: read sessions, write what they made. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "advisor/cli/cli.h"
#include "advisor/lib/buf.h"
#include "advisor/model/merge.h"
#include "advisor/lib/util.h"

static int add_path(struct cta_paths *paths, const char *path)
{
	char **v = realloc(paths->v, (paths->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	paths->v = v;
	if (!(v[paths->n] = strdup(path)))
		return -ENOMEM;
	paths->n++;
	return 0;
}

/* Append the matches of pattern (sorted) to paths; 0, -ENOENT (none) or -ENOMEM. */
static int add_glob(struct cta_paths *paths, const char *pattern)
{
	glob_t gl;
	int rc = glob(pattern, 0, NULL, &gl), err = 0;

	if (rc == GLOB_NOMATCH)
		return -ENOENT;
	if (rc)
		return -ENOMEM;
	for (size_t i = 0; i < gl.gl_pathc && !err; i++)
		err = add_path(paths, gl.gl_pathv[i]);
	globfree(&gl);
	return err;
}

int cta_expand_sessions(const struct cta_cmd *cmd, char **args, size_t n, struct cta_paths *paths)
{
	memset(paths, 0, sizeof(*paths));
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i];
		char pattern[4096];
		struct stat st;
		int err;

		if (*a && !stat(a, &st) && S_ISDIR(st.st_mode)) {
			/* a directory of sessions: the rotated files of a recording service */
			snprintf(pattern, sizeof(pattern), "%s%s*.json", a,
				 a[strlen(a) - 1] == '/' ? "" : "/");
			if ((err = add_glob(paths, pattern)) == -ENOENT)
				cta_msg("%s: %s: a directory with no *.json session in it",
					cmd->name, a);
		} else if (strpbrk(a, "*?[") && access(a, F_OK)) {
			/* a glob the shell did not expand (quoted, or from a unit file) */
			if ((err = add_glob(paths, a)) == -ENOENT)
				cta_msg("%s: %s: no file matches", cmd->name, a);
		} else {
			err = add_path(paths, a); /* a file, or what loading it will complain of */
		}
		if (err == -ENOMEM)
			cta_msg("%s: out of memory", cmd->name);
		if (err)
			return err == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
	}
	return CTA_EXIT_OK;
}

void cta_paths_fini(struct cta_paths *paths)
{
	for (size_t i = 0; i < paths->n; i++)
		free(paths->v[i]);
	free(paths->v);
	memset(paths, 0, sizeof(*paths));
}

int cta_load_session_args(const struct cta_cmd *cmd, char **args, size_t *n,
			  struct cta_session **out)
{
	_cleanup_(cta_paths_fini) struct cta_paths paths = { 0 };
	int rc = cta_expand_sessions(cmd, args, *n, &paths);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	*n = paths.n;
	return cta_load_sessions(cmd, paths.v, paths.n, out);
}

int cta_load_sessions(const struct cta_cmd *cmd, char **paths, size_t n, struct cta_session **out)
{
	struct cta_session *s = calloc(n ? n : 1, sizeof(*s));

	*out = s;
	if (!s) {
		cta_msg("%s: out of memory", cmd->name);
		return CTA_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct cta_err err;
		int e = cta_session_load(paths[i], &s[i], &err);

		if (e) {
			cta_msg("%s: %s", cmd->name, err.msg);
			return e == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
		}
	}
	return cta_sessions_distinct(cmd->name, paths, s, n);
}

int cta_sessions_distinct(const char *what, char *const *paths, const struct cta_session *s,
			  size_t n)
{
	size_t a, b;
	const char *id;

	if (!cta_session_merge_dup(s, n, &a, &b, &id))
		return CTA_EXIT_OK;
	cta_msg("%s: %s and %s hold the same recording (%s): its connections would count twice",
		what, paths[a], paths[b], id);
	return CTA_EXIT_USAGE;
}

void cta_free_sessions(struct cta_session *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		cta_session_fini(&s[i]);
	free(s);
}

int cta_write_output(const struct cta_cmd *cmd, const char *path, const char *data, size_t len,
		     unsigned mode)
{
	int rc;

	if (path) {
		rc = cta_write_atomic(path, data ? data : "", len, mode);
		if (rc) {
			cta_msg("%s: %s: %s", cmd->name, path, cta_write_strerror(rc));
			return CTA_EXIT_USAGE;
		}
		return CTA_EXIT_OK;
	}
	/* a failure stays on stdout's error flag: cta_stdout_finish says it */
	if (len)
		fwrite(data, 1, len, stdout);
	return CTA_EXIT_OK;
}

int cta_stdout_finish(int rc)
{
	int err = 0;

	if (fflush(stdout) != 0)
		err = errno;
	/*
	 * failed earlier, in a write whose errno is gone: ask the descriptor again (what
	 * was written is incomplete already), so that a full disk says so and a reader
	 * that went away (| head) stays quiet
	 */
	if (ferror(stdout) && !err)
		err = write(STDOUT_FILENO, "\n", 1) < 0 ? errno : -1;
	if (fclose(stdout) != 0 && !err)
		err = errno;
	if (!err)
		return rc;
	/* a reader that went away (| head) ends a command quietly (SIGPIPE ignored) */
	if (err == EPIPE)
		return rc;
	cta_msg("standard output: %s: what was written is incomplete",
		err > 0 ? strerror(err) : "a write failed");
	return CTA_EXIT_USAGE;
}

#define JSTREAM_FLUSH (1u << 16) /* bytes gathered before one write */
#define JSTREAM_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)

static void jstream_flush(struct cta_jstream *js)
{
	if (js->out.len)
		fwrite(js->out.p, 1, js->out.len, stdout); /* errors: stdout's flag */
	js->out.len = 0;
}

void cta_jstream_begin(struct cta_jstream *js, const char *key)
{
	memset(js, 0, sizeof(*js));
	js->key = key;
}

/*
 * Each item is dumped inside {"KEY": [item]}, a wrapper made once, so jansson indents
 * it as it would in the whole document; the wrapper's own first and last lines are
 * cut off. One dump into a reused buffer an item, one write per 64 KiB.
 */
int cta_jstream_render(struct cta_jstream *js, json_t *item, const char **text, size_t *len)
{
	size_t head = strlen("{\n  \"") + strlen(js->key) + strlen("\": [\n");
	size_t tail = strlen("\n  ]\n}"), need;

	if (!item || (!js->wrap && !(js->wrap = json_pack("{s:[]}", js->key)))) {
		json_decref(item);
		return CTA_EXIT_SYSTEM;
	}
	json_array_append_new(json_object_get(js->wrap, js->key), item);
	while ((need = json_dumpb(js->wrap, js->dump, js->cap, JSTREAM_FLAGS)) > js->cap) {
		char *p = realloc(js->dump, need * 2);

		if (!p)
			break;
		js->dump = p;
		js->cap = need * 2;
	}
	json_array_clear(json_object_get(js->wrap, js->key));
	if (!need || need > js->cap || need < head + tail)
		return CTA_EXIT_SYSTEM;
	*text = js->dump + head;
	*len = need - head - tail;
	return CTA_EXIT_OK;
}

int cta_jstream_raw(struct cta_jstream *js, const char *text, size_t len)
{
	if (js->n++)
		cta_buf_add(&js->out, ",\n", 2);
	else
		cta_buf_printf(&js->out, "{\n  \"%s\": [\n", js->key);
	cta_buf_add(&js->out, text, len);
	if (js->out.oom)
		return CTA_EXIT_SYSTEM;
	if (js->out.len >= JSTREAM_FLUSH)
		jstream_flush(js);
	return CTA_EXIT_OK;
}

int cta_jstream_item(struct cta_jstream *js, json_t *item)
{
	const char *text;
	size_t len;
	int rc = cta_jstream_render(js, item, &text, &len);

	return rc ? rc : cta_jstream_raw(js, text, len);
}

int cta_jstream_end(struct cta_jstream *js)
{
	if (js->n)
		cta_buf_printf(&js->out, "\n  ],\n  \"version\": %d\n}\n", CTA_JSON_VERSION);
	else
		cta_buf_printf(&js->out, "{\n  \"%s\": [],\n  \"version\": %d\n}\n", js->key,
			       CTA_JSON_VERSION);
	jstream_flush(js);
	cta_jstream_fini(js);
	return CTA_EXIT_OK;
}

void cta_jstream_fini(struct cta_jstream *js)
{
	cta_buf_fini(&js->out);
	json_decref(js->wrap);
	free(js->dump);
	js->wrap = NULL;
	js->dump = NULL;
	js->cap = 0;
}
