// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nft/route.h"
#include "advisor/lib/buf.h"
#include "advisor/cli/candidate.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/cli/cli.h"
#include "nft/legacy.h"
#include "nft/nftrun.h"
#include "advisor/review/rsdiff.h"
#include "advisor/lib/signals.h"
#include "advisor/lib/util.h"

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_BACKUP_DIR "/var/lib/conntrack-advise/backups"
#define BACKUPS_KEPT 10 /* per network namespace, in the backup directory */
/* Abstract and per network namespace: `apply --confirm` in another shell finds it. */
#define CONFIRM_SOCKET "conntrack-advise-apply"

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_apply = {
	"apply",
	run,
	"load a ruleset, and take it back unless confirmed",
	"Usage: conntrack-advise apply RULESET [--confirm-timeout DURATION] [--force]\n"
	"                              [--session FILE]... [--backup FILE | --backup-dir DIR]\n"
	"       conntrack-advise [-j] apply --confirm\n"
	"\n"
	"Replaces, in one transaction, only the tables RULESET changes (as review finds\n"
	"them: RULESET is checked by the kernel, then loaded on top of a copy of the live\n"
	"ruleset in a scratch namespace and compared); every other table is untouched.\n"
	"Each table is changed in place (kept, with its base chains and their order).\n"
	"Before, those tables are saved (mode 0600) to FILE, or to a new file of DIR\n"
	"(default " DEFAULT_BACKUP_DIR ", made with mode 0700) named for the\n"
	"network namespace and the time, apply-netINODE-YYYYMMDDTHHMMSS.mmmZ.nft; the 10\n"
	"newest of a namespace are kept. apply prints the path; 'nft -f PATH' puts the\n"
	"tables back as they were (made anew).\n"
	"A RULESET that deletes a table (suggest --replace 'inet fw' writes one) replaces\n"
	"the host's firewall: that table is saved too, and comes back on rollback. Without\n"
	"it, the host's filter tables stay in force beside RULESET (review says which).\n"
	"Then it waits for confirmation: 'yes' typed on the terminal, or\n"
	"'conntrack-advise apply --confirm' run from another shell in the same network\n"
	"namespace by root or the same user, within the timeout (default 30s). Without it,\n"
	"or on Ctrl-C, the saved tables come back in one transaction, and apply says so.\n"
	"It refuses without a terminal unless --confirm-timeout 0 is given (no safety net:\n"
	"applied and kept).\n"
	"\n"
	"The lockout guard runs first: the management sessions ($SSH_CONNECTION, the\n"
	"connections established to the ports an sshd process listens on here, and the\n"
	"sessions' recorded connections to those ports) are replayed against RULESET in\n"
	"the scratch namespace; if one would be dropped, apply refuses unless --force.\n"
	"\n"
	"A RULESET that changes or deletes a live table nft cannot load back (iptables-nft's\n"
	"xt matches, such as ufw's recent), or one with any of iptables-nft's xt matches or\n"
	"targets (Docker's, kube-proxy's tables), is refused, exit 2: apply writes a table\n"
	"as nft lists it, and nft's text of an xt match can mean something else (nft 1.0.6\n"
	"lists kube-proxy's `! --ctstate RELATED,ESTABLISHED,DNAT` as `ct status dnat`), so\n"
	"that table could not be put back as it was.\n"
	"\n"
	"iptables-restore input for iptables-legacy (suggest --format iptables) is applied\n"
	"with iptables-legacy-restore, which replaces the tables it names; the backup is\n"
	"iptables-legacy-save's and comes back the same way. A file for iptables-nft is\n"
	"refused.\n"
	"\n"
	"Exit status: 0 applied and kept; 1 taken back (no confirmation) or refused by the\n"
	"lockout guard; 2 bad usage, or the kernel refuses RULESET; 3 the system refused.\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise apply new.nft\n"
	"  conntrack-advise apply new.nft --confirm-timeout 2m --session session.json\n"
	"  conntrack-advise apply --confirm        # from a second shell\n",
};

/* -j apply --confirm: {"confirm": RESULT, "kept": BOOL}; rc is the exit code. */
static int confirm_result(const struct cta_global *g, const char *result, int rc)
{
	if (!g->json)
		return rc;
	return cta_print_json(json_pack("{s:s,s:b}", "confirm", result, "kept", rc == CTA_EXIT_OK))
		       ?: rc;
}

/* The confirmation socket's address: abstract, so per network namespace. */
static socklen_t confirm_addr(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, CONFIRM_SOCKET, strlen(CONFIRM_SOCKET));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(CONFIRM_SOCKET));
}

/*
 * Who is at the other end of fd: only root or the same user may confirm an apply, and
 * a confirmer only trusts an apply of root's or its own user's. true when cred may.
 */
static bool peer_trusted(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0 || len != sizeof(*cred))
		return false;
	return cred->uid == 0 || cred->uid == geteuid() || cred->uid == getuid();
}

static int confirm_other(const struct cta_global *g)
{
	struct sockaddr_un sa;
	socklen_t len = confirm_addr(&sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct ucred cred;
	char reply[64] = "";
	ssize_t n;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) < 0) {
		cta_msg("apply --confirm: no apply is waiting for confirmation here");
		if (fd >= 0)
			close(fd);
		return confirm_result(g, "nothing-waiting", CTA_EXIT_NEGATIVE);
	}
	if (!peer_trusted(fd, &cred)) {
		close(fd);
		cta_msg("apply --confirm: @%s is held by pid %d of uid %u, not by an apply of "
			"root's or yours: nothing confirmed",
			CONFIRM_SOCKET, (int)cred.pid, (unsigned)cred.uid);
		return confirm_result(g, "untrusted", CTA_EXIT_NEGATIVE);
	}
	if (write(fd, "confirm\n", 8) != 8) {
		close(fd);
		cta_msg("apply --confirm: %s", strerror(errno));
		return confirm_result(g, "error", CTA_EXIT_SYSTEM);
	}
	n = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	if (n > 0 && !strncmp(reply, "kept", 4)) {
		cta_msg("apply --confirm: confirmed; the new ruleset stays");
		return confirm_result(g, "confirmed", CTA_EXIT_OK);
	}
	if (n > 0 && !strncmp(reply, "refused", 7)) {
		cta_msg("apply --confirm: refused: only root or the user who runs that apply may "
			"confirm it");
		return confirm_result(g, "refused", CTA_EXIT_NEGATIVE);
	}
	cta_msg("apply --confirm: the waiting apply did not take it (too late?)");
	return confirm_result(g, "not-taken", CTA_EXIT_NEGATIVE);
}

/*
 * Listen on the confirmation socket. Anyone may bind an abstract name first: then say
 * who holds it (another apply, or a squatter) and apply nothing. fd or an exit code < 0.
 */
static int confirm_listen(void)
{
	struct sockaddr_un sa;
	socklen_t len = confirm_addr(&sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), other;
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, len) == 0 && listen(fd, 4) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	if (errno != EADDRINUSE) {
		cta_msg("apply: confirmation socket: %s; nothing applied", strerror(errno));
		return -CTA_EXIT_SYSTEM;
	}
	other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (other >= 0 && connect(other, (struct sockaddr *)&sa, len) == 0 &&
	    getsockopt(other, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		cta_msg("apply: @%s is held by pid %d of uid %u (another apply waiting here%s); "
			"nothing applied",
			CONFIRM_SOCKET, (int)cred.pid, (unsigned)cred.uid,
			cred.uid == 0 || cred.uid == geteuid() ? "?"
							       : ", or squatted by that user");
	else
		cta_msg("apply: @%s is taken (another apply waiting here?); nothing applied",
			CONFIRM_SOCKET);
	if (other >= 0)
		close(other);
	return -CTA_EXIT_SYSTEM;
}

/* One connection on the confirmation socket: true when it confirms, from whom may. */
static bool confirmed_by(int lfd)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct pollfd q = { c, POLLIN, 0 };
	struct ucred cred;
	char msg[32] = "";
	bool yes = false;

	if (c < 0)
		return false;
	if (poll(&q, 1, 1000) == 1 && read(c, msg, sizeof(msg) - 1) > 0 &&
	    !strncmp(msg, "confirm", 7)) {
		yes = peer_trusted(c, &cred);
		if (!yes)
			cta_msg("a confirmation from pid %d of uid %u was refused: only root or "
				"uid %u may confirm",
				(int)cred.pid, (unsigned)cred.uid, (unsigned)geteuid());
		if (write(c, yes ? "kept\n" : "refused\n", yes ? 5 : 8) < 0) {
			/* the confirmer went away: the answer stands all the same */
		}
	}
	close(c);
	return yes;
}

/*
 * The backup file's form: "table F N", "delete table F N" (it may not exist), then the
 * table's text from source. It puts the tables back from any state, by hand, but makes
 * each table anew (its base chains then run after others of the same hook and
 * priority): apply and its rollback change the tables in place instead (in_place).
 */
static char *transaction(json_t *tables, const char *source)
{
	struct cta_buf b = { 0 };
	json_t *t;
	size_t i;

	json_array_foreach(tables, i, t) {
		char fam[16], name[256], *text;

		if (sscanf(json_string_value(t), "%15s %255s", fam, name) != 2)
			continue;
		cta_buf_printf(&b, "table %s %s\ndelete table %s %s\n", fam, name, fam, name);
		text = cta_rsdiff_table_text(source, fam, name);
		if (text) {
			cta_buf_str(&b, text);
			free(text);
		}
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

/*
 * One transaction that makes each listed table of the ruleset `now` what `want` says,
 * in place (cta_rsdiff_replace_tx): `nft list ruleset` keeps its order, and a rollback
 * gives back the very listing of before.
 */
static char *in_place(json_t *tables, const char *now, const char *want)
{
	struct cta_buf b = { 0 };
	json_t *t;
	size_t i;

	json_array_foreach(tables, i, t) {
		char fam[16], name[256], *text;

		if (sscanf(json_string_value(t), "%15s %255s", fam, name) != 2)
			continue;
		text = cta_rsdiff_replace_tx(now, want, fam, name);
		if (!text) {
			free(b.p);
			return NULL;
		}
		cta_buf_str(&b, text);
		free(text);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

/* What the tables were: the backup file's text, also the rollback transaction. */
static char *backup_text(json_t *tables, const char *live_full)
{
	struct cta_buf b = { 0 };
	char *tx = transaction(tables, live_full);

	cta_buf_str(&b, "# conntrack-advise apply: the tables as they were before; nft -f this "
			"file puts them back\n");
	if (tx)
		cta_buf_str(&b, tx);
	free(tx);
	if (!tx || b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

struct apply_opts {
	const char *path, *backup, *backup_dir;
	uint64_t timeout_ms;
	bool timeout_given, force;
	char **sessions;
	size_t n_sessions;
};

/* dir and its parent, mode 0700 where made. */
static int mkdirs(const char *dir)
{
	char parent[PATH_MAX], *slash;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* This network namespace's name in backup files: "net" and its inode. */
static void netns_id(char *out, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) == 0)
		snprintf(out, len, "net%llu", (unsigned long long)st.st_ino);
	else
		snprintf(out, len, "net");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep the BACKUPS_KEPT newest "apply-NETNS-TIME.nft" of this namespace in dir. */
static void prune_backups(const char *dir, const char *ns)
{
	char prefix[64], **names = NULL, path[PATH_MAX];
	size_t n = 0, cap = 0, plen;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "apply-%s-", ns);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **v;

		if (strncmp(de->d_name, prefix, plen) || l < 4 ||
		    strcmp(de->d_name + l - 4, ".nft"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(names, cap * sizeof(*names));
			if (!v)
				break;
			names = v;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name); /* the time in the name sorts them */
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (i + BACKUPS_KEPT < n && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid())
			unlink(path);
		free(names[i]);
	}
	free(names);
}

/*
 * Save the tables' text: to --backup FILE, or to a new file of the backup directory
 * named for this network namespace and the time, the older ones beyond BACKUPS_KEPT
 * removed. path gets the file's name. 0 or -errno.
 */
static int save_backup(const struct apply_opts *o, const char *text, char *path, size_t len)
{
	char ns[48], stamp[40];
	uint64_t now = cta_now_real_ns();
	time_t sec = (time_t)(now / 1000000000ULL);
	struct tm tm;
	int rc;

	if (o->backup) {
		snprintf(path, len, "%s", o->backup);
		return cta_write_atomic(path, text, strlen(text), 0600);
	}
	netns_id(ns, sizeof(ns));
	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if (snprintf(path, len, "%s/apply-%s-%s.%03uZ.nft", o->backup_dir, ns, stamp,
		     (unsigned)(now / 1000000ULL % 1000)) >= (int)len)
		return -ENAMETOOLONG;
	rc = mkdirs(o->backup_dir);
	if (!rc)
		rc = cta_write_atomic(path, text, strlen(text), 0600);
	if (!rc)
		prune_backups(o->backup_dir, ns);
	return rc;
}

/*
 * The tables back as they were (live_full), changed in place from what they are now;
 * when they cannot be listed, the backup's transaction (tables made anew). 0 or -errno.
 */
static int take_back(json_t *tables, const char *live_full, const char *back, char **errors)
{
	char *now = NULL, *tx = NULL;
	int rc = cta_nft_list(NULL, NULL, false, &now);

	if (!rc)
		tx = in_place(tables, now, live_full);
	rc = tx ? cta_nft_run(tx, errors) : -ENOMEM;
	if (rc) {
		free(*errors);
		*errors = NULL;
		rc = cta_nft_run(back, errors);
	}
	free(tx);
	free(now);
	return rc;
}

enum answer { KEEP, TAKE_BACK };

/* Wait for yes (terminal or socket), no, a signal or the time. */
static enum answer wait_confirmation(uint64_t timeout_ms, int lfd, int sigfd)
{
	uint64_t deadline = cta_now_mono_ns() + timeout_ms * 1000000ULL;
	char line[64];
	size_t have = 0;

	for (;;) {
		struct pollfd p[3] = { { STDIN_FILENO, POLLIN, 0 },
				       { lfd, POLLIN, 0 },
				       { sigfd, POLLIN, 0 } };
		uint64_t now = cta_now_mono_ns();
		int n;

		if (now >= deadline)
			return TAKE_BACK;
		n = poll(p, 3, (int)((deadline - now) / 1000000ULL) + 1);
		if (n < 0 && errno != EINTR)
			return TAKE_BACK;
		if (p[2].revents & POLLIN)
			return TAKE_BACK;
		if ((p[1].revents & POLLIN) && confirmed_by(lfd))
			return KEEP;
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(STDIN_FILENO, line + have, sizeof(line) - 1 - have);

			if (r <= 0)
				return TAKE_BACK; /* the terminal went away */
			have += (size_t)r;
			line[have] = '\0';
			if (strchr(line, '\n') || have == sizeof(line) - 1) {
				line[strcspn(line, "\n")] = '\0';
				if (!strcmp(line, "yes"))
					return KEEP;
				if (!strcmp(line, "no"))
					return TAKE_BACK;
				fprintf(stderr,
					"conntrack-advise: type yes to keep it, no to take it "
					"back\n");
				have = 0;
			}
		}
	}
}

/* What of the host's routing the guard's scratch namespace went without. */
static void note_unbuilt(const struct cta_candidate *c)
{
	const char *const *what = NULL;
	size_t n = c->replay ? cta_replay_unbuilt(c->replay, &what) : 0;

	for (size_t i = 0; i < n; i++)
		cta_msg("note: not rebuilt in the scratch namespace, the guard replayed without "
			"it: %s",
			what[i]);
}

/* The lockout guard: 0 when the management session passes (or there is none). */
static int guard(struct cta_candidate *c, const struct apply_opts *o, struct cta_session *s)
{
	struct cta_review_flow *v = NULL;
	size_t n = 0, mgmt = 0;
	int rc = 0;

	if (cta_candidate_flows(s, o->n_sessions, &v, &n))
		return CTA_EXIT_SYSTEM;
	/* only the management flows: the rest is review's */
	for (size_t i = 0; i < n; i++)
		if (v[i].management)
			v[mgmt++] = v[i];
	if (mgmt)
		rc = cta_candidate_replay(c, v, mgmt);
	if (mgmt && !rc)
		note_unbuilt(c);
	for (size_t i = 0; !rc && i < mgmt; i++) {
		char text[200];

		if (v[i].change != CTA_RV_BREAKS)
			continue;
		cta_review_flow_text(&v[i].flow, text, sizeof(text));
		cta_msg("LOCKOUT: the management session %s would be dropped by %s", text, o->path);
		rc = CTA_EXIT_NEGATIVE;
	}
	if (!mgmt && !o->force)
		cta_msg("note: no management session to guard ($SSH_CONNECTION unset, no "
			"connection to an sshd here, none recorded)");
	cta_review_flows_free(v, mgmt);
	return rc;
}

/*
 * The change itself: an nft transaction, or for an iptables-legacy candidate the file
 * (or the backup) through iptables-legacy-restore, which replaces the tables it names.
 */
static int run_change(const struct cta_candidate *c, const char *text, char **errors)
{
	if (!c->legacy)
		return cta_nft_run(text, errors);
	return cta_legacy_restore(c->legacy_family, text, strlen(text), errors) ? -EINVAL : 0;
}

/* How a backup goes back by hand. */
static const char *restore_cmd(const struct cta_candidate *c)
{
	if (!c->legacy)
		return "nft -f";
	return c->legacy_family == AF_INET6 ? "ip6tables-legacy-restore <"
					    : "iptables-legacy-restore <";
}

/*
 * The legacy backup BACK (iptables-legacy-save of the family) with an empty table for
 * each table the candidate brings that was not there: restoring it takes those back
 * to empty (ACCEPT policies, no rules), as iptables-legacy cannot unload a table.
 * Takes BACK; NULL on ENOMEM.
 */
static char *legacy_backup(char *back, const struct cta_candidate *c)
{
	struct cta_buf b = { 0 };
	json_t *t;
	size_t i;

	if (!back)
		return NULL;
	cta_buf_str(&b, back);
	json_array_foreach(c->tables, i, t) {
		const char *name = strchr(json_string_value(t), ' ') + 1;
		char head[64];

		/* "\n*nat\n" anywhere, or "*nat\n" at the start */
		snprintf(head, sizeof(head), "\n*%s\n", name);
		if (strncmp(back, head + 1, strlen(head + 1)) && !strstr(back, head))
			cta_buf_printf(&b, "*%s\nCOMMIT\n", name);
	}
	free(back);
	if (b.oom) {
		cta_buf_fini(&b);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

/*
 * A live table nft cannot load back (an xt match of iptables-nft's: candidate.h,
 * uncopied) that the candidate changes or deletes: apply would make it anew from the
 * scratch namespace, where only a stand-in of it was, and its backup would not load
 * either, so nothing could put it back. The same for one with xt expressions nft did
 * load (candidate.h, xt_tables): loaded from nft's text it could mean something else.
 * Refused (CTA_EXIT_USAGE), said; or 0.
 */
static int uncopied_changed(const struct cta_candidate *c, const char *path)
{
	/*
	 * xt_tables: copied by review as the kernel holds them, but apply's transaction
	 * and backup are nft's text of them (xtcopy.h: that text can mean something else)
	 */
	static const char *const why[2] = {
		"which nft cannot load back as it lists it (iptables-nft's xt matches): apply "
		"could neither make it anew nor put it back; nothing applied (change it with "
		"the tool that made it",
		"which holds iptables-nft's xt matches or targets: apply writes tables as nft "
		"lists them, and nft's text of an xt match can mean something else, so the "
		"table could not be put back as it was; nothing applied (change it with "
		"iptables-nft",
	};
	json_t *lists[2] = { c->uncopied, c->xt_tables }, *t;
	size_t i;

	for (int k = 0; k < 2; k++)
		json_array_foreach(lists[k], i, t) {
			const char *key = json_string_value(t);
			bool deleted = cta_jarray_has(c->replaced, key);

			if (!deleted && !cta_jarray_has(c->tables, key))
				continue;
			cta_msg("apply: %s %s the live table %s, %s, or apply RULESET with nft -f "
				"after review)",
				path, deleted ? "deletes" : "changes", key, why[k]);
			return CTA_EXIT_USAGE;
		}
	return 0;
}

/*
 * The tables as they are and as they will be, with their state (counters, sets): the
 * transaction that changes them in place, the text that puts them back, saved in the
 * backup file (its path into backup). 0, or an exit status with the reason told.
 */
static int texts(const struct apply_opts *o, struct cta_candidate *c, char **live_full, char **back,
		 char **tx, char *backup, size_t len)
{
	char *after_full = NULL;
	int rc = c->legacy ? 0 : cta_nft_list(NULL, NULL, false, live_full);

	if (!rc && !c->legacy)
		rc = cta_replay_listing(c->replay, CTA_LIST_FULL, &after_full) ? -ENOMEM : 0;
	if (rc) {
		cta_msg("apply: cannot list the ruleset: %s", strerror(-rc));
		return CTA_EXIT_SYSTEM;
	}
	if (c->legacy) {
		/* iptables-legacy: the family's tables as they are; the file as it is */
		*live_full = strdup("");
		*back = legacy_backup(strdup(c->legacy_live ? c->legacy_live : ""), c);
		*tx = strdup(c->legacy_text);
	} else {
		*back = backup_text(c->tables, *live_full);
		*tx = in_place(c->tables, *live_full, after_full);
	}
	free(after_full);
	if (!*back || !*tx) {
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	rc = save_backup(o, *back, backup, len);
	if (rc) {
		cta_msg("apply: backup %s: %s; nothing applied", backup, cta_write_strerror(rc));
		return rc == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE; /* an output, as -o */
	}
	cta_msg("the tables %s changes are saved in %s (%s %s puts them back)", o->path, backup,
		restore_cmd(c), backup);
	return 0;
}

/*
 * Run tx. With a confirmation timeout, wait for yes (lfd, the terminal) or a signal
 * (sigfd), and without it put back what live_full had (back). An exit status, told.
 */
static int change(const struct apply_opts *o, const struct cta_candidate *c, const char *live_full,
		  const char *back, const char *tx, const char *backup, int lfd, int sigfd)
{
	json_t *tables = c->tables;
	char *errors = NULL;
	int rc = run_change(c, tx, &errors);

	if (rc) {
		cta_msg("apply: %s, nothing changed:\n%s",
			c->legacy ? "iptables-legacy-restore refused it"
				  : "the kernel refused the transaction",
			errors ? errors : "");
		rc = CTA_EXIT_SYSTEM;
	} else if (!o->timeout_ms) {
		cta_msg("applied %s (%zu table%s); the previous tables are in %s", o->path,
			json_array_size(tables), json_array_size(tables) == 1 ? "" : "s", backup);
		rc = CTA_EXIT_OK;
	} else {
		fprintf(stderr,
			"conntrack-advise: applied %s. Type yes within %llus to keep it (or run "
			"'conntrack-advise apply --confirm' in another shell); otherwise the "
			"previous tables come back.\n",
			o->path, (unsigned long long)(o->timeout_ms / 1000));
		if (wait_confirmation(o->timeout_ms, lfd, sigfd) == KEEP) {
			cta_msg("confirmed: %s stays; the previous tables are in %s", o->path,
				backup);
			rc = CTA_EXIT_OK;
		} else if (c->legacy ? run_change(c, back, &errors)
				     : take_back(tables, live_full, back, &errors)) {
			cta_msg("apply: TAKING BACK FAILED: %s\nthe previous tables are in %s: %s %s",
				errors ? errors : "", backup, restore_cmd(c), backup);
			rc = CTA_EXIT_SYSTEM;
		} else {
			cta_msg("no confirmation: the previous tables are back (saved in %s)",
				backup);
			rc = CTA_EXIT_NEGATIVE;
		}
	}
	free(errors);
	return rc;
}

static int apply(const struct apply_opts *o, const struct cta_global *g)
{
	struct cta_session *s = NULL;
	struct cta_host here = { 0 };
	struct cta_candidate c = { 0 };
	char *live_full = NULL, *tx = NULL, *back = NULL;
	struct cta_signals sig = { .fd = -1 };
	char backup[PATH_MAX] = "";
	int rc, lfd = -1;

	(void)g;
	/* a reader of stderr that goes away must not end apply before its rollback */
	signal(SIGPIPE, SIG_IGN);
	if (o->timeout_ms && !isatty(STDIN_FILENO)) {
		cta_msg("apply: no terminal to confirm on: give --confirm-timeout 0 to apply "
			"without a way back");
		return CTA_EXIT_USAGE;
	}
	rc = cta_load_sessions(&cta_cmd_apply, o->sessions, o->n_sessions, &s);
	if (rc)
		goto out;
	if (!o->n_sessions &&
	    (cta_host_read(&here) || cta_route_dump(cta_host_route_cb, cta_host_prule_cb, &here))) {
		cta_msg("apply: cannot list this host's addresses and routes");
		rc = CTA_EXIT_SYSTEM;
		goto out;
	}
	rc = cta_candidate_open(&c, o->path, o->n_sessions ? &s[0].host : &here);
	if (rc)
		goto out;
	if (!json_array_size(c.tables)) {
		cta_msg("apply: %s changes nothing: nothing applied", o->path);
		rc = CTA_EXIT_OK;
		goto out;
	}
	if ((rc = uncopied_changed(&c, o->path)))
		goto out;
	rc = guard(&c, o, s);
	if (rc == CTA_EXIT_NEGATIVE && o->force) {
		cta_msg("warning: --force: applying all the same");
		rc = 0;
	} else if (rc == CTA_EXIT_NEGATIVE) {
		cta_msg("apply: refused (--force applies all the same); nothing applied");
	}
	if (rc || (rc = texts(o, &c, &live_full, &back, &tx, backup, sizeof(backup))))
		goto out;
	/* the confirmation socket before the change: a confirmer never finds nobody */
	if (o->timeout_ms) {
		lfd = confirm_listen();
		if (lfd < 0) {
			rc = -lfd;
			goto out;
		}
		/* from here a signal means no confirmation: the old tables come back */
		if ((rc = cta_signals_block(&sig, false))) {
			cta_msg("apply: signals: %s; nothing applied", strerror(-rc));
			rc = CTA_EXIT_SYSTEM;
			goto out;
		}
	}
	rc = change(o, &c, live_full, back, tx, backup, lfd, sig.fd);
out:
	if (lfd >= 0)
		close(lfd);
	cta_signals_restore(&sig);
	free(tx);
	free(back);
	free(live_full);
	cta_candidate_close(&c);
	cta_free_sessions(s, o->n_sessions);
	cta_host_fini(&here);
	return rc;
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	static const struct option opts[] = {
		{ "confirm-timeout", required_argument, NULL, 't' },
		{ "confirm", no_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "session", required_argument, NULL, 's' },
		{ "backup", required_argument, NULL, 'b' },
		{ "backup-dir", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct apply_opts o = { .backup_dir = DEFAULT_BACKUP_DIR,
				.timeout_ms = DEFAULT_TIMEOUT_MS };
	bool confirm = false;
	int c, rc;

	o.sessions = calloc((size_t)argc + 1, sizeof(*o.sessions));
	if (!o.sessions)
		return CTA_EXIT_SYSTEM;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cta_parse_duration(optarg, &o.timeout_ms) < 0) {
				free(o.sessions);
				return cta_usage_error(&cta_cmd_apply,
						       "--confirm-timeout: '%s' is not a duration "
						       "(like 0, 30s, 2m)",
						       optarg);
			}
			o.timeout_given = true;
			break;
		case 'c':
			confirm = true;
			break;
		case 'f':
			o.force = true;
			break;
		case 's':
			o.sessions[o.n_sessions++] = optarg;
			break;
		case 'b':
			o.backup = optarg;
			break;
		case 'B':
			o.backup_dir = optarg;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_apply, stdout);
			free(o.sessions);
			return CTA_EXIT_OK;
		default:
			free(o.sessions);
			return cta_usage_error(&cta_cmd_apply, "bad option");
		}
	}
	if (confirm)
		rc = optind < argc ? cta_usage_error(&cta_cmd_apply, "--confirm takes no RULESET")
				   : confirm_other(g);
	else if (optind + 1 != argc)
		rc = cta_usage_error(&cta_cmd_apply,
				     optind == argc ? "RULESET missing" : "one RULESET at a time");
	else if (g->json)
		rc = cta_usage_error(&cta_cmd_apply, "apply prints no JSON document");
	else {
		o.path = argv[optind];
		rc = apply(&o, g);
	}
	free(o.sessions);
	return rc;
}
