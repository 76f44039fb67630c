// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/cli/candidate.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "advisor/cli/cli.h"
#include "advisor/lib/buf.h"
#include "advisor/lib/jsonpos.h"
#include "advisor/lib/util.h"
#include "advisor/model/iptsave.h"
#include "advisor/model/verdict.h"
#include "nft/legacy.h"
#include "nft/nftrun.h"
#include "nft/sshd.h"
#include "nft/xtcopy.h"
#include "advisor/model/listing.h"
#include "advisor/model/ruleset.h"
#include "advisor/review/handles.h"
#include "advisor/review/rsdiff.h"
#include "advisor/suggest/ir.h"

#define CANDIDATE_MAX (16u << 20) /* bytes of a RULESET file */

/* Every table a change touches, once. */
static json_t *touched(json_t *changes)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(changes, i, c) {
		char key[300];
		json_t *t;
		size_t k;
		bool seen = false;

		snprintf(key, sizeof(key), "%s %s", json_string_value(json_object_get(c, "family")),
			 json_string_value(json_object_get(c, "table")));
		json_array_foreach(out, k, t)
			seen |= !strcmp(json_string_value(t), key);
		if (!seen)
			json_array_append_new(out, json_string(key));
	}
	return out;
}

/* What this host's `iptables` command is: 'l' legacy, 'n' nft, 0 not known. */
static char host_iptables(void)
{
	char target[256];
	ssize_t n = readlink("/etc/alternatives/iptables", target, sizeof(target) - 1);

	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strstr(target, "legacy") ? 'l' : strstr(target, "nft") ? 'n' : 0;
}

/*
 * Is PATH iptables-restore input, and for which iptables? 0 with *legacy set (and
 * the text read into *text when it is), or an exit code with the message said.
 */
static int file_kind(const char *path, bool *legacy, int *family, char **text, size_t *len)
{
	char sys = host_iptables();
	enum cta_ipt_file kind;
	bool marked; /* the file says which iptables */
	int rc = cta_read_file(path, CANDIDATE_MAX, text, len);

	*legacy = false;
	if (rc) {
		cta_msg("cannot read %s: %s", path, strerror(-rc));
		return rc == -ENOMEM ? CTA_EXIT_SYSTEM : CTA_EXIT_USAGE;
	}
	kind = cta_ipt_file_kind(*text, *len, family);
	marked = kind != CTA_IPT_FILE_UNMARKED;
	if (kind == CTA_IPT_FILE_UNMARKED && sys)
		kind = sys == 'l' ? CTA_IPT_FILE_LEGACY : CTA_IPT_FILE_IPTNFT;
	switch (kind) {
	case CTA_IPT_FILE_NFT:
		return 0;
	case CTA_IPT_FILE_IPTNFT:
		cta_msg("%s is iptables-restore input for iptables-nft (%s): review and apply take "
			"nft rulesets and iptables-legacy files; iptables-nft's rules are nf_tables "
			"rules: review the nft ruleset they make (iptables-restore-translate -f %s)",
			path,
			!marked ? "it does not say which iptables, and this host's is iptables-nft"
				: "its comments say so",
			path);
		return CTA_EXIT_USAGE;
	case CTA_IPT_FILE_UNMARKED:
		cta_msg("%s is iptables-restore input that does not say for which iptables, and "
			"this host does not say either: add a comment line '# for %s' if it is "
			"for iptables-legacy",
			path, *family == AF_INET6 ? "ip6tables-legacy" : "iptables-legacy");
		return CTA_EXIT_USAGE;
	case CTA_IPT_FILE_LEGACY:
		break;
	}
	if (sys == 'n' && !cta_legacy_tables_loaded(AF_INET) &&
	    !cta_legacy_tables_loaded(AF_INET6)) {
		cta_msg("%s is for iptables-legacy, but this host's iptables is iptables-nft and no "
			"legacy table is loaded: it would start a second firewall beside the one "
			"iptables shows; load it with iptables-nft-restore if it is meant for that",
			path);
		return CTA_EXIT_USAGE;
	}
	*legacy = true;
	return 0;
}

/* "iptables-legacy TABLE" (ip6tables-legacy for IPv6) of every table the candidate names, once. */
static json_t *legacy_tables(const struct cta_iptsave *cand, int family)
{
	const char *fam = cta_vfamily_shown(family == AF_INET6 ? "ip6" : "ip", true);
	json_t *out = json_array();
	char key[64];

	for (size_t i = 0; out && i < cand->ntables; i++) {
		snprintf(key, sizeof(key), "%s %s", fam, cand->tables[i].name);
		json_array_append_new(out, json_string(key));
	}
	return out;
}

static void change(json_t *out, const char *op, const char *object, const char *family,
		   const char *table, const char *name, const char *text)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "op", op, "object", object, "family", family,
			      "table", table, "name", name);

	if (o && text)
		json_object_set_new(o, "text", json_string(text));
	json_array_append_new(out, o);
}

/* Is rule TEXT of chain C in table T? */
static bool has_rule(const struct cta_ipt_table *t, const struct cta_ipt_chain *c, const char *text)
{
	for (size_t k = 0; c && k < c->n; k++)
		if (!strcmp(t->rules[c->first + k].text, text))
			return true;
	return false;
}

/* Rules (and policies) removed from table A and added in table B; tables added. */
static void legacy_diff(json_t *out, const char *fam, const struct cta_ipt_table *a,
			const struct cta_ipt_table *b)
{
	if (!a) {
		change(out, "add", "table", fam, b->name, "", NULL);
		a = b; /* its rules are listed as added below, against nothing */
	}
	for (size_t i = 0; a != b && i < a->nchains; i++) {
		const struct cta_ipt_chain *ca = &a->chains[i],
					   *cb = cta_iptsave_chain(b, ca->name);

		for (size_t k = 0; k < ca->n; k++)
			if (!has_rule(b, cb, a->rules[ca->first + k].text))
				change(out, "remove", "rule", fam, a->name, ca->name,
				       a->rules[ca->first + k].text);
	}
	for (size_t i = 0; i < b->nchains; i++) {
		const struct cta_ipt_chain *cb = &b->chains[i];
		const struct cta_ipt_chain *ca = a == b ? NULL : cta_iptsave_chain(a, cb->name);

		for (size_t k = 0; k < cb->n; k++)
			if (!has_rule(a, ca, b->rules[cb->first + k].text))
				change(out, "add", "rule", fam, b->name, cb->name,
				       b->rules[cb->first + k].text);
		if (ca && strcmp(ca->policy, cb->policy)) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "op", "change",
					      "object", "chain", "family", fam, "table", b->name,
					      "name", cb->name, "from", ca->policy, "to",
					      cb->policy);

			json_array_append_new(out, o);
		}
	}
}

/* What the candidate changes in the legacy tables it names. 0 or an exit code. */
static int legacy_changes(struct cta_candidate *c, const char *path, const char *after,
			  size_t after_len)
{
	struct cta_iptsave *a = NULL, *b = NULL;
	const char *fam = c->legacy_family == AF_INET6 ? "ip6tables-legacy" : "iptables-legacy";
	unsigned line = 0;
	int rc = cta_iptsave_parse(c->legacy_live, c->legacy_live_len, &a, &line);

	if (!rc)
		rc = cta_iptsave_parse(after, after_len, &b, &line);
	if (rc) {
		cta_msg("%s: iptables-legacy-save output not understood (line %u)", path, line);
		cta_iptsave_free(a);
		return CTA_EXIT_SYSTEM;
	}
	c->changes = json_array();
	for (size_t i = 0; c->changes && i < b->ntables; i++)
		legacy_diff(c->changes, fam, cta_iptsave_table(a, b->tables[i].name),
			    &b->tables[i]);
	cta_iptsave_free(a);
	cta_iptsave_free(b);
	return c->changes ? 0 : CTA_EXIT_SYSTEM;
}

/*
 * The live iptables-legacy rules of both families copied into the scratch namespace:
 * the kernel applies them beside nf_tables, and a packet passes only if they let it
 * through too. keep (AF_INET or AF_INET6; 0: none): that family's text is kept in
 * c->legacy_live. The tables that decide something (a rule, a chain of the user's, or
 * a policy other than ACCEPT) are added to names when given ("iptables-legacy
 * filter", once per table). 0 or an exit code, said.
 */
static int copy_live_legacy(struct cta_candidate *c, int keep, json_t *names)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct cta_err err = { "" };
	size_t len;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		struct cta_iptsave *live = NULL;
		char *text = NULL;
		unsigned line;

		rc = cta_legacy_save(families[i], &text, &len, NULL);
		if (!rc && len)
			rc = cta_replay_legacy_load(c->replay, families[i], text, len, &err);
		if (!rc && len && names && !cta_iptsave_parse(text, len, &live, &line)) {
			for (size_t t = 0; t < live->ntables; t++) {
				json_t *name =
					json_sprintf("iptables-legacy %s", live->tables[t].name);

				if (!name || !cta_ipt_table_decides(&live->tables[t]) ||
				    cta_jarray_has(names, json_string_value(name)))
					json_decref(name);
				else
					json_array_append_new(names, name);
			}
			cta_iptsave_free(live);
		}
		if (!rc && families[i] == keep) {
			c->legacy_live = text;
			c->legacy_live_len = len;
			text = NULL;
		}
		free(text);
		if (rc) {
			cta_msg("the live iptables-legacy rules: %s",
				rc == -EIO ? err.msg : strerror(-rc));
			return CTA_EXIT_SYSTEM;
		}
	}
	return 0;
}

/* The legacy part: live legacy tables copied in, the candidate loaded on top. */
static int open_legacy(struct cta_candidate *c, const char *path)
{
	struct cta_iptsave *cand = NULL;
	struct cta_err err = { "" };
	char *after = NULL;
	unsigned line = 0;
	int rc;

	if (cta_iptsave_parse(c->legacy_text, c->legacy_text_len, &cand, &line)) {
		cta_msg("%s:%u: not iptables-restore input", path, line);
		return CTA_EXIT_USAGE;
	}
	c->tables = legacy_tables(cand, c->legacy_family);
	cta_iptsave_free(cand);
	if ((rc = copy_live_legacy(c, c->legacy_family, NULL)))
		return rc;
	rc = cta_replay_legacy_load(c->replay, c->legacy_family, c->legacy_text, c->legacy_text_len,
				    &err);
	if (rc) {
		cta_msg("%s is refused by %s (in the scratch namespace, nothing applied):\n%s",
			path,
			c->legacy_family == AF_INET6 ? "ip6tables-legacy-restore"
						     : "iptables-legacy-restore",
			err.msg);
		return rc == -EIO ? CTA_EXIT_USAGE : CTA_EXIT_SYSTEM;
	}
	rc = cta_replay_legacy_save(c->replay, c->legacy_family, &after);
	if (rc) {
		cta_msg("cannot list the scratch namespace's legacy rules: %s", strerror(-rc));
		return CTA_EXIT_SYSTEM;
	}
	rc = legacy_changes(c, path, after, strlen(after));
	free(after);
	return rc;
}

/* Every table the changes remove ("- table"): the live tables the candidate replaces. */
static json_t *removed(json_t *changes)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(changes, i, c) {
		if (strcmp(cta_jstr(c, "op"), "remove") || strcmp(cta_jstr(c, "object"), "table"))
			continue;
		json_array_append_new(out, json_sprintf("%s %s", cta_jstr(c, "family"),
							cta_jstr(c, "table")));
	}
	return out;
}

/*
 * The tables of listing (nft's text) with a filter base chain (any_type: a base chain
 * of any type) that the candidate does not touch: the kernel applies them beside it,
 * and a packet passes only if each lets it through (a drop in a nat chain too).
 */
static json_t *in_force_beside(const char *listing, json_t *touched_tables, bool any_type)
{
	json_t *out = json_array();
	char table[300] = "";

	for (const char *p = listing; p && *p && out;) {
		const char *nl = strchr(p, '\n');
		int w = (int)(nl ? nl - p : (ptrdiff_t)strlen(p));
		char fam[16], name[256];

		bool base = any_type ? memmem(p, (size_t)w, "type ", 5) &&
					       memmem(p, (size_t)w, " hook ", 6)
				     : memmem(p, (size_t)w, "type filter hook", 16) != NULL;

		if (sscanf(p, "table %15s %255[^ {\n]", fam, name) == 2)
			snprintf(table, sizeof(table), "%s %s", fam, name);
		else if (*table && base && !cta_jarray_has(touched_tables, table) &&
			 !cta_jarray_has(out, table))
			json_array_append_new(out, json_string(table));
		p = nl ? nl + 1 : NULL;
	}
	return out;
}

#define DIAG_BLOCKS 16

/* Where the next diagnostic of nft's starts after p (a line "Error: ..." or "Warning:"). */
static const char *next_block(const char *p)
{
	for (const char *nl = strchr(p, '\n'); nl; nl = strchr(nl + 1, '\n'))
		if (!strncmp(nl + 1, "Error:", 6) || !strncmp(nl + 1, "Warning:", 8))
			return nl + 1;
	return p + strlen(p);
}

/*
 * nft's diagnostics in msg, each once (a ruleset with two rules nft cannot read says
 * the same twice), every line indented by four spaces, a repeated one with its count,
 * into out (len bytes, truncated if need be).
 */
static void indent_diag(const char *msg, char *out, size_t len)
{
	const char *start[DIAG_BLOCKS];
	size_t size[DIAG_BLOCKS], at = 0;
	int times[DIAG_BLOCKS], n = 0;

	out[0] = '\0';
	for (const char *p = msg; *p && n < DIAG_BLOCKS;) {
		const char *e = next_block(p);
		size_t sz = (size_t)(e - p);
		int k;

		while (sz && p[sz - 1] == '\n')
			sz--;
		for (k = 0; k < n && (size[k] != sz || memcmp(start[k], p, sz)); k++)
			;
		if (k == n) {
			start[n] = p;
			size[n] = sz;
			times[n++] = 0;
		}
		times[k]++;
		p = e;
	}
	for (int k = 0; k < n && at < len; k++) {
		const char *p = start[k], *end = start[k] + size[k];

		for (bool first = true; p < end && at < len; first = false) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			int w = (int)((nl ? nl : end) - p);

			at += (size_t)snprintf(out + at, len - at, "%s    %.*s", at ? "\n" : "", w,
					       p);
			if (first && times[k] > 1 && at < len)
				at += (size_t)snprintf(out + at, len - at, "  (%d times)",
						       times[k]);
			p = nl ? nl + 1 : end;
		}
	}
}

/*
 * Before the scratch namespace: path readable (else bad input, not the kernel's
 * refusal), the live ruleset listed stateless and as it is (without CAP_NET_ADMIN the
 * dry run fails too: say what is missing first), path checked by the kernel. 0 with
 * *live and *state malloc'd, or an exit code with the message said.
 */
static int prepare(const char *path, bool legacy, char **live, char **state)
{
	char *errors = NULL;
	int rc = open(path, O_RDONLY | O_CLOEXEC);

	if (rc < 0) {
		cta_msg("cannot read %s: %s", path, strerror(errno));
		return CTA_EXIT_USAGE;
	}
	close(rc);
	rc = cta_nft_list(NULL, NULL, true, live);
	if (!rc)
		rc = cta_nft_list(NULL, NULL, false, state);
	if (rc) {
		cta_msg("cannot list the live ruleset: %s%s", strerror(-rc),
			rc == -EPERM ? " (needs CAP_NET_ADMIN in this network namespace)" : "");
		rc = CTA_EXIT_SYSTEM;
	} else if (legacy) {
		/* iptables-legacy-restore checks it, in the scratch namespace */
	} else if ((rc = cta_nft_check_file(path, &errors)) == -EINVAL &&
		   strstr(errors, "Operation not permitted")) {
		cta_msg("%s: the kernel refused the dry run: Operation not permitted (needs "
			"CAP_NET_ADMIN in this network namespace)",
			path);
		rc = CTA_EXIT_SYSTEM;
	} else if (rc == -EINVAL) {
		/* nft's own words: file, line, column and what is wrong */
		cta_msg("%s is refused by the kernel (dry run, nothing applied):\n%s", path,
			errors);
		rc = CTA_EXIT_USAGE;
	} else if (rc) {
		cta_msg("out of memory");
		rc = CTA_EXIT_SYSTEM;
	}
	free(errors);
	if (rc) {
		free(*live);
		free(*state);
		*live = *state = NULL;
	}
	return rc;
}

/*
 * When the live ruleset does not load whole: table by table, each as nft lists it,
 * or else as its JSON (nftrun.h: cta_nft_list_json). The tables neither loads are
 * appended to c->uncopied ("ip range"), the first one's diagnostic (of its text) in
 * err. How many tables were copied.
 */
static size_t copy_live_tables(struct cta_candidate *c, const char *live, struct cta_err *err)
{
	json_t *tables = cta_rsdiff_tables(live, CTA_OWN_TABLES), *t;
	size_t i, copied = 0;

	json_array_foreach(tables, i, t) {
		char family[32], name[256], *text = NULL;
		struct cta_err terr = { "" };
		bool done;

		if (sscanf(json_string_value(t), "%31s %255s", family, name) != 2)
			continue;
		done = !cta_nft_list(family, name, false, &text) &&
		       !cta_replay_load(c->replay, "live ruleset", text, &terr);
		free(text);
		text = NULL;
		if (!done) {
			struct cta_err jerr;

			/*
			 * an xt expression (iptables-nft's match or target nft cannot
			 * express) does not load as JSON either: nft 1.0.6 says so and
			 * leaks the names it parsed, so it is not asked
			 */
			done = !cta_nft_list_json(family, name, &text) &&
			       !strstr(text, "\"xt\":") &&
			       !cta_replay_load(c->replay, "live ruleset", text, &jerr);
			free(text);
		}
		if (done) {
			copied++;
			continue;
		}
		if (!json_array_size(c->uncopied) && terr.msg[0])
			*err = terr;
		json_array_append(c->uncopied, t);
	}
	json_decref(tables);
	return copied;
}

/* The rule that stands in for an uncopied table's rules in each of its chains. */
#define STAND_IN_MARK CTA_STAND_IN_MARK

struct stand_in {
	const char *family, *name;
	struct cta_buf b;
	bool in_chain;
};

static int stand_in_line(const struct cta_listing_item *it, void *data)
{
	struct stand_in *si = data;
	bool ours = !strcmp(it->family, si->family) && !strcmp(it->table, si->name);

	if (!ours)
		return 0;
	if ((it->what == CTA_LISTING_OBJECT || it->what == CTA_LISTING_TABLE_END) && si->in_chain) {
		cta_buf_str(&si->b, "\t\taccept comment \"" STAND_IN_MARK "\"\n\t}\n");
		si->in_chain = false;
	}
	if (it->what == CTA_LISTING_OBJECT && !strcmp(it->kind, "chain")) {
		cta_buf_printf(&si->b, "\t%s\n", it->text);
		si->in_chain = true;
	} else if (it->what == CTA_LISTING_HEAD && si->in_chain) {
		cta_buf_printf(&si->b, "\t\t%s\n", it->text);
	}
	return 0;
}

/*
 * The stand-in of table key ("FAMILY NAME") of live: its chains, each base chain with
 * its type, hook, priority and policy, and in every chain one rule, `accept comment
 * STAND_IN_MARK`, for the rules nft cannot load; no set, no other object. Untouched,
 * it lets every packet on (what the live rules do is not known: a denial they made
 * while recording is theirs still, denied_in); flushed whole by the candidate (`flush
 * table`), what is left is what the host will have: the live policies and the
 * candidate's rules (uncopied_after). malloc'd, or NULL.
 */
static char *stand_in_text(const char *live, const char *key)
{
	char family[32], name[256];
	struct stand_in si = { family, name, { 0 }, false };

	if (sscanf(key, "%31s %255s", family, name) != 2)
		return NULL;
	cta_buf_printf(&si.b, "table %s %s {\n", family, name);
	if (cta_listing_walk(live, stand_in_line, &si) || si.b.oom) {
		cta_buf_fini(&si.b);
		return NULL;
	}
	if (si.in_chain)
		cta_buf_str(&si.b, "\t\taccept comment \"" STAND_IN_MARK "\"\n\t}\n");
	cta_buf_str(&si.b, "}\n");
	if (si.b.oom) {
		cta_buf_fini(&si.b);
		return NULL;
	}
	return si.b.p;
}

/* How many stand-in rules table key ("FAMILY NAME") holds in listing. */
static size_t stand_in_marks(const char *listing, const char *key)
{
	char family[32], name[256], *text;
	size_t n = 0;

	if (!listing || sscanf(key, "%31s %255s", family, name) != 2 ||
	    !(text = cta_rsdiff_table_text(listing, family, name)))
		return 0;
	for (const char *p = strstr(text, STAND_IN_MARK); p; p = strstr(p + 1, STAND_IN_MARK))
		n++;
	free(text);
	return n;
}

/*
 * Each table of c->uncopied as its stand-in (stand_in_text) in the scratch namespace:
 * the kernel then says whether the candidate deletes or flushes it, and takes a
 * candidate's rules that name its chains; its base chains stand in the listings as the
 * live ones do, so compare() finds it replaced, touched or in force beside like any
 * table. Those there are c->stood_in. 0 or an exit code, said.
 */
static int stand_in(struct cta_candidate *c, const char *live)
{
	json_t *t;
	size_t i;

	if (!(c->stood_in = json_array())) {
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	json_array_foreach(c->uncopied, i, t) {
		char *text = stand_in_text(live, json_string_value(t)), empty[320];
		struct cta_err err;
		bool loaded = text && !cta_replay_load(c->replay, "live ruleset", text, &err);

		free(text);
		/*
		 * a chain on a device the scratch namespace lacks: the table alone, which no
		 * listing then shows in force beside the candidate
		 */
		snprintf(empty, sizeof(empty), "table %s {\n}\n", json_string_value(t));
		if (!loaded && cta_replay_load(c->replay, "live ruleset", empty, &err))
			continue; /* not there: a candidate's delete of it is refused, said */
		json_array_append(c->stood_in, t);
	}
	return 0;
}

/*
 * The copied live tables' rules with xt expressions (iptables-nft's matches and
 * targets), put in the scratch namespace as the kernel holds them (nft/xtcopy.h): the
 * text they were loaded from is nft's reading of them, which can mean something else
 * (kube-proxy's `! --ctstate RELATED,ESTABLISHED,DNAT` read as `ct status dnat`). Their
 * tables go to c->xt_tables, which apply does not rewrite from text. A table whose
 * rules cannot be put is said; it keeps nft's reading. 0, or an exit code, said.
 */
static int put_xt(struct cta_candidate *c, const char *live)
{
	json_t *tables = cta_rsdiff_tables(live, CTA_OWN_TABLES), *t;
	size_t i;

	if (!tables || !(c->xt_tables = json_array())) {
		json_decref(tables);
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	json_array_foreach(tables, i, t) {
		const char *key = json_string_value(t);
		struct cta_xt_rules *x = NULL;
		char family[32], name[256];
		int nfproto, rc;

		/* iptables-nft (arptables-, ebtables-nft) writes these families only */
		if (sscanf(key, "%31s %255s", family, name) != 2 ||
		    (nfproto = cta_nfproto_from_name(family)) < 0 ||
		    (nfproto != NFPROTO_IPV4 && nfproto != NFPROTO_IPV6 && nfproto != NFPROTO_ARP &&
		     nfproto != NFPROTO_BRIDGE) ||
		    cta_jarray_has(c->uncopied, key))
			continue;
		if (cta_xt_rules_dump((uint8_t)nfproto, name, &x) || !cta_xt_rules_count(x)) {
			cta_xt_rules_free(x);
			continue;
		}
		json_array_append(c->xt_tables, t);
		rc = cta_replay_put_xt(c->replay, (uint8_t)nfproto, name, x);
		if (rc < 0)
			cta_msg("warning: the live table %s has %zu rules with iptables-nft's xt "
				"matches or targets, which could not be put in the scratch namespace "
				"as the kernel holds them (%s): they are judged as nft lists them, "
				"which can mean something else",
				key, cta_xt_rules_count(x), strerror(-rc));
		cta_xt_rules_free(x);
	}
	json_decref(tables);
	return 0;
}

/* What review does with a table nft cannot load back (stand_in, denied_in, uncopied_after). */
#define STAND_IN_SAID                                                                           \
	"such a table stands in as its chains, base chains with their policies, one accept "    \
	"in each chain in place of its rules; what it denied while recording stands where the " \
	"candidate leaves it alone, and no flow is judged when the candidate changes it in "    \
	"part (a change other than deleting it or flushing it whole)"

/*
 * The live ruleset (text as it is) into the scratch namespace, and c->live as the
 * namespace lists it: both sides of the comparison the kernel's own listing, so rules
 * nft prints in another order (iptables-nft's ct state related,established reads back
 * as established,related) are no change. When it does not load whole, it goes table
 * by table (copy_live_tables); what does not load (an xt match nft cannot read back),
 * one line says what it means, nft's diagnostic indented below, and stands in as an
 * empty table (stand_in). 0 or an exit code, said.
 */
static int copy_live(struct cta_candidate *c, const char *live)
{
	struct cta_err err;
	char *before = NULL;
	int rc;

	if (!(c->uncopied = json_array())) {
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	c->live_copied = cta_replay_load(c->replay, "live ruleset", live, &err) == 0;
	if (!c->live_copied) {
		char missing[512] = "";
		json_t *t;
		size_t i, n;

		c->live_copied = copy_live_tables(c, live, &err) > 0;
		indent_diag(err.msg, c->live_error, sizeof(c->live_error));
		json_array_foreach(c->uncopied, i, t)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", i ? ", " : "", json_string_value(t));
		n = json_array_size(c->uncopied);
		if ((rc = stand_in(c, live)))
			return rc;
		if (!c->live_copied) {
			/* what the candidate changes is compared with the stand-ins alone */
			if (cta_replay_listing(c->replay, CTA_LIST_STATELESS, &c->stand_ins))
				c->stand_ins = NULL;
			cta_msg("warning: nft cannot load any live table as it lists it (nft "
				"said, below): " STAND_IN_SAID "\n%s",
				c->live_error);
			return 0;
		}
		if (n) {
			bool many = n > 1;

			cta_msg("warning: nft cannot load the live table%s %s as it lists %s, nor "
				"as JSON (nft said, below): " STAND_IN_SAID "\n%s",
				many ? "s" : "", missing, many ? "them" : "it", c->live_error);
		}
	}
	if ((rc = put_xt(c, live)))
		return rc;
	if (cta_replay_listing(c->replay, CTA_LIST_STATELESS, &before))
		return 0; /* compared with the host's listing, as it was */
	free(c->live);
	c->live = cta_rsdiff_without(before, CTA_OWN_TABLES);
	free(before);
	if (!c->live) {
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	return 0;
}

/*
 * An uncopied table (stand_in) the candidate changes (compare: c->tables) but neither
 * deletes nor flushes whole (a stand-in rule is left) mixes live rules the replay
 * cannot see with the candidate's, in an order it cannot tell: the first such is
 * c->changed_uncopied, and no flow is judged. Untouched, it is in force beside the
 * candidate (its recorded denials stand: denied_in); flushed whole, it is what the
 * host will have, the live chains and policies and the candidate's rules; deleted, it
 * is replaced.
 */
static void uncopied_after(struct cta_candidate *c)
{
	json_t *t;
	size_t i;

	json_array_foreach(c->stood_in, i, t)
		if (!c->changed_uncopied && cta_jarray_has(c->tables, json_string_value(t)) &&
		    stand_in_marks(c->after, json_string_value(t)))
			c->changed_uncopied = json_string_value(t);
}

/*
 * The live ruleset's and the copy's listings with handles: c->back pairs their rules
 * (review's verdicts name the copy's, advisor/review/handles.h), and the candidate at
 * path gets the live handles it names (`delete rule inet filter input handle 12`) put
 * into the copy's numbers, into *out (malloc'd); NULL when nothing had to change, or
 * when it cannot be told: a listing refused, or an include (a text loaded from memory
 * would look for it elsewhere). A handle of a live table the copy holds only a
 * stand-in of (or none) is refused, exit 2: the copy's same number is another rule. 0 or
 * an exit code.
 */
static int renumbered(struct cta_candidate *c, const char *path, char **out)
{
	char *text = NULL, *live = NULL, *copy = NULL, unpaired[300] = "";
	size_t len;
	int rc = 0;

	*out = NULL;
	if (cta_nft_list_ruleset(CTA_NFT_LIST_HANDLES, &live) ||
	    cta_replay_listing(c->replay, CTA_LIST_HANDLES, &copy))
		goto done; /* the verdicts' handles stay the copy's */
	rc = cta_handles_back_new(live, copy, &c->back);
	if (!rc && !cta_read_file(path, CANDIDATE_MAX, &text, &len) &&
	    (strstr(text, "handle") || strstr(text, "position")) && !strstr(text, "include"))
		rc = cta_handles_renumber(live, copy, text, out, unpaired, sizeof(unpaired));
done:
	free(text);
	free(live);
	free(copy);
	if (rc) {
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	if (unpaired[0]) {
		/* its number in the copy is another rule (a stand-in's): never loaded so */
		free(*out);
		*out = NULL;
		cta_msg("%s names a rule or object of the live table %s by handle, a table review "
			"could not copy as it is (its rules have no match in the copy): not "
			"reviewed; name the whole chain or table instead (flush, delete)",
			path, unpaired);
		return CTA_EXIT_USAGE;
	}
	return 0;
}

/* The tables the candidate made anew (or deleted) pair no more (handles.h). */
static int back_after(struct cta_candidate *c)
{
	char *after = NULL;
	int rc;

	if (!c->back)
		return 0;
	if (cta_replay_listing(c->replay, CTA_LIST_HANDLES, &after)) {
		/* not told which tables are new: no handle is put back */
		cta_handles_back_free(c->back);
		c->back = NULL;
		return 0;
	}
	rc = cta_handles_back_after(c->back, after);
	free(after);
	return rc ? CTA_EXIT_SYSTEM : 0;
}

/*
 * Does the candidate's TEXT flush the ruleset of the table "FAMILY NAME" (`flush
 * ruleset`, or `flush ruleset FAMILY`, a statement of its own line)? Then no live
 * table of that family stays beside it: one it makes anew the same is its own.
 */
static bool flushes(const char *text, const char *table)
{
	char fam[16] = "";

	sscanf(table, "%15s", fam);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[160], *w, *save = NULL;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
			 p);
		line[strcspn(line, "#;")] = '\0'; /* a comment, or the next statement */
		w = strtok_r(line, " \t", &save);
		if (w && !strcmp(w, "flush") && (w = strtok_r(NULL, " \t", &save)) &&
		    !strcmp(w, "ruleset")) {
			w = strtok_r(NULL, " \t", &save);
			if (!w || !strcmp(w, fam))
				return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* The entries of tables ("FAMILY NAME") the candidate's text flushes with the ruleset. */
static void drop_flushed(json_t *tables, const char *text)
{
	for (size_t i = json_array_size(tables); i-- > 0;)
		if (flushes(text, json_string_value(json_array_get(tables, i))))
			json_array_remove(tables, i);
}

/* What the candidate changes, the tables it touches, replaces, and leaves in force. */
static int compare(struct cta_candidate *c)
{
	/* without the copy, what the candidate does is compared with nothing */
	c->changes = cta_rsdiff(c->live_copied ? c->live
				: c->stand_ins ? c->stand_ins
					       : "",
				c->after, CTA_OWN_TABLES);
	c->tables = c->changes ? touched(c->changes) : NULL;
	c->replaced = c->changes ? removed(c->changes) : NULL;
	c->beside = c->tables ? in_force_beside(c->after, c->tables, false) : NULL;
	c->kept = c->tables ? in_force_beside(c->after, c->tables, true) : NULL;
	if (!c->changes || !c->tables || !c->replaced || !c->beside || !c->kept) {
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	uncopied_after(c);
	return 0;
}

int cta_candidate_open(struct cta_candidate *c, const char *path, const struct cta_host *host)
{
	struct cta_err err;
	char *live = NULL, *state = NULL, *text = NULL;
	json_t *legacy;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = file_kind(path, &c->legacy, &c->legacy_family, &c->legacy_text, &c->legacy_text_len);
	if (!rc)
		rc = prepare(path, c->legacy, &live, &state);
	if (rc)
		return rc;
	/* stateless to compare; as it is (counters, quotas) to copy: apply keeps them */
	c->live = cta_rsdiff_without(live, CTA_OWN_TABLES);
	free(live);
	live = cta_rsdiff_without(state, CTA_OWN_TABLES);
	free(state);
	rc = c->live && live ? cta_replay_new(&c->replay, host, &err) : -ENOMEM;
	if (rc) {
		cta_msg("%s", rc == -ENOMEM ? "out of memory" : err.msg);
		free(live);
		return CTA_EXIT_SYSTEM;
	}
	/* the candidate changes the live ruleset: it goes on top of a copy of it */
	rc = copy_live(c, live);
	free(live);
	if (rc)
		return rc;
	if (c->legacy) {
		rc = open_legacy(c, path);
		if (!rc && cta_replay_listing(c->replay, CTA_LIST_STATELESS, &c->after))
			rc = CTA_EXIT_SYSTEM;
		/* it replaces no nf_tables table; their filter chains stay in force beside it */
		c->replaced = json_array();
		c->beside = c->after ? in_force_beside(c->after, c->tables, false) : json_array();
		c->kept = c->after ? in_force_beside(c->after, c->tables, true) : json_array();
		if (!rc && (!c->replaced || !c->beside || !c->kept))
			rc = CTA_EXIT_SYSTEM;
		return rc;
	}
	/* the live legacy tables stay in force beside an nft candidate */
	if (!(legacy = json_array()))
		return CTA_EXIT_SYSTEM;
	if ((rc = copy_live_legacy(c, 0, legacy))) {
		json_decref(legacy);
		return rc;
	}
	/* a handle it names is a live one: the copy's numbers differ (handles.h) */
	if ((rc = renumbered(c, path, &text))) {
		json_decref(legacy);
		return rc;
	}
	rc = cta_replay_load(c->replay, path, text, &err);
	if (rc) {
		free(text);
		cta_msg("%s does not load on top of the live ruleset:\n%s", path, err.msg);
		json_decref(legacy);
		return CTA_EXIT_USAGE;
	}
	rc = cta_replay_listing(c->replay, CTA_LIST_STATELESS, &c->after);
	if (rc) {
		cta_msg("cannot list the scratch namespace's ruleset: %s", strerror(-rc));
		free(text);
		json_decref(legacy);
		return CTA_EXIT_SYSTEM;
	}
	if ((rc = back_after(c))) {
		cta_msg("out of memory");
		free(text);
		json_decref(legacy);
		return rc;
	}
	rc = compare(c);
	if (!rc) {
		/* made anew after `flush ruleset`, the same or not: the candidate's own */
		char *own = NULL;
		size_t len;

		if (text || !cta_read_file(path, CANDIDATE_MAX, &own, &len)) {
			drop_flushed(c->beside, text ? text : own);
			drop_flushed(c->kept, text ? text : own);
		}
		free(own);
	}
	free(text);
	if (!rc && (json_array_extend(c->beside, legacy) || json_array_extend(c->kept, legacy)))
		rc = CTA_EXIT_SYSTEM;
	json_decref(legacy);
	return rc;
}

void cta_candidate_close(struct cta_candidate *c)
{
	cta_replay_free(c->replay);
	cta_handles_back_free(c->back);
	free(c->live);
	free(c->after);
	free(c->legacy_live);
	free(c->legacy_text);
	json_decref(c->changes);
	json_decref(c->tables);
	json_decref(c->replaced);
	json_decref(c->beside);
	json_decref(c->uncopied);
	json_decref(c->stood_in);
	json_decref(c->xt_tables);
	json_decref(c->kept);
	json_decref(c->sets_lost);
	free(c->stand_ins);
	memset(c, 0, sizeof(*c));
}

/* A connection established to the SSH daemon, as the inbound flow it is. */
static void sshd_flow(const struct cta_diag_sock *d, struct cta_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->key.family = d->family;
	f->key.l4proto = IPPROTO_TCP;
	f->key.src = d->raddr;
	f->key.dst = d->laddr;
	f->key.dport = d->lport;
	f->key.reply_src = d->laddr;
	f->key.reply_dst = d->raddr;
	f->key.reply_sport = d->lport;
	f->sport_min = f->sport_max = f->rdport_min = f->rdport_max = d->rport;
	f->direction = CTA_DIR_IN;
	f->reached = CTA_REACHED_ASSURED;
	f->connections = 1;
}

static bool same_conn(const struct cta_flow *a, const struct cta_flow *b)
{
	return a->key.family == b->key.family && a->key.dport == b->key.dport &&
	       a->sport_min == b->sport_min && !memcmp(&a->key.src, &b->key.src, 16) &&
	       !memcmp(&a->key.dst, &b->key.dst, 16);
}

int cta_candidate_flows(const struct cta_session *s, size_t n, struct cta_review_flow **out,
			size_t *n_out)
{
	size_t total = 1, m = 0, n_ports = 0;
	uint16_t ports[CTA_SSHD_MAX_PORTS + 1];
	struct cta_review_flow *v;
	struct cta_sshd sshd;
	struct cta_flow ssh;
	uint16_t ssh_port;

	/* what is guarded: $SSH_CONNECTION, and sshd's ports and sessions here (if seen) */
	if (cta_sshd_find(&sshd))
		cta_sshd_fini(&sshd);
	for (size_t k = 0; k < n; k++)
		total += s[k].n_flows;
	v = calloc(total + sshd.n_sessions, sizeof(*v));
	if (!v) {
		cta_sshd_fini(&sshd);
		return -ENOMEM;
	}
	if (cta_review_ssh_flow(getenv("SSH_CONNECTION"), &ssh, &ssh_port) == 0) {
		v[m].flow = ssh;
		v[m].management = true;
		m++;
		ports[n_ports++] = ssh_port;
	}
	for (size_t i = 0; i < sshd.n_ports; i++)
		ports[n_ports++] = sshd.ports[i];
	for (size_t i = 0; i < sshd.n_sessions; i++) {
		sshd_flow(&sshd.sessions[i], &v[m].flow);
		if (m && same_conn(&v[0].flow, &v[m].flow))
			continue; /* $SSH_CONNECTION's own */
		v[m++].management = true;
	}
	cta_sshd_fini(&sshd);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s[k].n_flows; i++) {
			const struct cta_flow *f = &s[k].flows[i];
			bool to_ssh = false;

			if (f->direction != CTA_DIR_IN && f->direction != CTA_DIR_OUT &&
			    f->direction != CTA_DIR_FORWARD)
				continue;
			for (size_t p = 0; p < n_ports; p++)
				to_ssh |= f->key.reply_sport == ports[p];
			v[m].flow = *f;
			v[m].recorded = cta_session_verdicts(&s[k], f);
			v[m].management = f->direction == CTA_DIR_IN && f->key.l4proto == 6 &&
					  to_ssh;
			m++;
		}
	*out = v;
	*n_out = m;
	return 0;
}

/* Was V decided in one of TABLES ("FAMILY NAME")? */
static bool decided_in(const struct cta_verdict *v, json_t *tables)
{
	char key[300];

	if (!v || !v->table)
		return false;
	snprintf(key, sizeof(key), "%s %s", cta_vfamily_shown(v->family, v->legacy), v->table);
	return cta_jarray_has(tables, key);
}

/* Does a rule's text, its comment aside, hold one of n words? */
static bool has_word(const char *text, const char *const *words, size_t n)
{
	const char *comment = text ? strstr(text, " comment \"") : NULL;
	size_t len = text ? (comment ? (size_t)(comment - text) : strlen(text)) : 0;

	for (size_t i = 0; i < n; i++)
		if (len && memmem(text, len, words[i], strlen(words[i])))
			return true;
	return false;
}

/*
 * Does a rule's text hold state that a replay in the scratch namespace starts afresh
 * (a rate limit, a named one too, a meter, a set or map that bans fill, a connection
 * count, a quota, named or not; in iptables' words, their matches)? Its comment does
 * not count.
 */
static bool stateful_rule(const char *text)
{
	static const char *const words[] = {
		"limit rate",	"limit name ",	"meter ",  "@",
		"ct count",	"quota ",	"numgen ", "-m limit",
		"-m hashlimit", "-m recent",	"-m set",  "-m connlimit",
		"-m quota",	"-m statistic",
	};

	return has_word(text, words, sizeof(words) / sizeof(words[0]));
}

/*
 * Does a rule's verdict depend on the pace of the packets before it (a rate limit,
 * named or not, a meter, a connection count, a quota, numgen; iptables' limit,
 * hashlimit, connlimit, quota, statistic, recent)? The replay sends its packets one
 * after another, not at the host's pace: such a rule's drop says nothing of the host.
 * Not a set's membership (a ban, a block list): that is the same at any pace.
 */
static bool paced_rule(const char *text)
{
	static const char *const words[] = {
		"limit rate",	"limit name ", "meter ",       "ct count",
		"quota ",	"numgen ",     "-m limit",     "-m hashlimit",
		"-m connlimit", "-m quota",    "-m statistic", "-m recent",
	};

	return has_word(text, words, sizeof(words) / sizeof(words[0]));
}

struct chain_rules {
	const char *family, *table, *chain;
	json_t *rules; /* the chain's rule texts, in order */
	bool found; /* the chain is there */
};

static int chain_rules_line(const struct cta_listing_item *it, void *data)
{
	struct chain_rules *cr = data;

	if (strcmp(it->family, cr->family) || strcmp(it->table, cr->table) ||
	    strcmp(it->kind, "chain") || strcmp(it->name, cr->chain))
		return 0;
	if (it->what == CTA_LISTING_OBJECT)
		cr->found = true;
	else if (it->what == CTA_LISTING_HEAD)
		json_array_append_new(cr->rules, json_string(it->text)); /* the policy too */
	else if (it->what == CTA_LISTING_LINE && it->depth == 2)
		json_array_append_new(cr->rules, json_string(it->text));
	return 0;
}

/*
 * v's chain in listing: its head (type, hook, priority, policy) then its rule texts,
 * in order; NULL when the chain is not there (or out of memory).
 */
static json_t *chain_rules(const char *listing, const struct cta_verdict *v)
{
	struct chain_rules cr = { v->family, v->table, v->chain, json_array(), false };

	if (!listing || !cr.rules || cta_listing_walk(listing, chain_rules_line, &cr) ||
	    !cr.found) {
		json_decref(cr.rules);
		return NULL;
	}
	return cr.rules;
}

/*
 * Does v's chain read the same in before and after up to v's rule (a policy: the
 * whole chain)? Then a packet the candidate lets through meets there what it met
 * while recording, up to the rule that denied it.
 */
static bool same_up_to(const char *before, const char *after, const struct cta_verdict *v)
{
	json_t *b, *a;
	bool same = false;

	if (!v->family || !v->table || !v->chain || v->legacy ||
	    (v->type == CTA_VTYPE_RULE && !v->rule))
		return false;
	b = chain_rules(before, v);
	a = chain_rules(after, v);
	if (b && a && v->type == CTA_VTYPE_POLICY) {
		same = json_equal(b, a);
	} else if (b && a) {
		size_t i, n = json_array_size(a);

		for (i = 0;
		     i < n && !cta_rule_text_same(json_string_value(json_array_get(a, i)), v->rule);
		     i++)
			;
		same = i < n && i < json_array_size(b);
		for (size_t k = 0; same && k <= i; k++)
			same = json_equal(json_array_get(a, k), json_array_get(b, k));
	}
	json_decref(b);
	json_decref(a);
	return same;
}

/*
 * Is every denial the recording saw for the flow one that the host makes still, with
 * the candidate applied, whatever the replay's packet met? So it is when it was
 * decided in a live table the candidate leaves in place that review could not copy
 * (the replay saw only a stand-in) or that is iptables-legacy's; and when it depends
 * on state the replay starts afresh (the deciding rule holds some, stateful_rule, or
 * the flow was let through as well: a rate limit of fw4's on the accept, the reject
 * after it) and its chain reads the same up to the deciding rule (same_up_to): the
 * replay's fresh limit let one packet through, the host's denies as before
 * (netfilter: a drop in any base chain is final). Not a denial without state: the
 * replay met the same rules, and a packet they let through shows what changed around
 * them (a mark a deleted table set). False when nothing was denied.
 */
/*
 * Does r's rule read a set of its table whose live elements the candidate does not
 * hold (lost: cta_review_sets_lost's array)? `ip saddr @f2b-sshd drop` with the ban
 * deleted (`delete element`, `flush set`, the table loaded again without its
 * elements): the host no longer denies what the ban denied. Not a rule that fills the
 * set itself (a meter, `add @x`, `update @x`): it fills it again as it did.
 */
static bool reads_lost_set(const struct cta_verdict *r, json_t *lost)
{
	size_t len = cta_rule_text_len(r->rule), i;
	json_t *s;

	json_array_foreach(lost, i, s) {
		const char *name = cta_jstr(s, "name");
		size_t n = name ? strlen(name) : 0;

		if (!n || !r->family || !r->table || strcmp(cta_jstr(s, "family"), r->family) ||
		    strcmp(cta_jstr(s, "table"), r->table))
			continue;
		for (const char *p = r->rule;
		     p && (p = memchr(p, '@', len - (size_t)(p - r->rule))); p++) {
			const char *e = p + 1 + n;

			/* not a meter's: `add @x { ip saddr limit ... }` fills its own */
			bool fills = (p - r->rule >= 4 && !strncmp(p - 4, "add ", 4)) ||
				     (p - r->rule >= 7 && !strncmp(p - 7, "update ", 7));

			if (e <= r->rule + len && !strncmp(p + 1, name, n) && !fills &&
			    (e == r->rule + len || *e == ' ' || *e == ',' || *e == '}'))
				return true;
		}
	}
	return false;
}

static bool same_str(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/*
 * Did a rule holding state (stateful_rule: a set a knock fills, a rate limit) let the
 * flow in while recording, in the chain whose drop policy denies the candidate's
 * packet now (cand), with that rule still in the chain (after) and its set's elements
 * kept (lost: cta_review_sets_lost)? Then the state as it is now decides: a port knock
 * that expired since the recording, the candidate unchanged.
 */
static bool accepted_by_state(const struct cta_candidate *c, const struct cta_vtally *recorded,
			      const struct cta_verdict *cand, json_t *lost)
{
	if (!cta_verdict_denies(cand) || cand->type != CTA_VTYPE_POLICY || cand->legacy)
		return false;
	for (uint32_t i = 0; recorded && i < recorded->n; i++) {
		const struct cta_verdict *r = recorded->g[i].v;
		json_t *rules, *t;
		size_t k;
		bool kept = false;

		for (size_t d = 0; d < r->n_deciders && !kept; d++) {
			const struct cta_vdecider *dc = &r->deciders[d];
			struct cta_verdict at = { .family = dc->family,
						  .table = dc->table,
						  .chain = dc->chain,
						  .rule = dc->rule };

			if (dc->verdict != CTA_VERDICT_ACCEPT || dc->type != CTA_VTYPE_RULE ||
			    dc->legacy || !stateful_rule(dc->rule) ||
			    !same_str(dc->family, cand->family) ||
			    !same_str(dc->table, cand->table) ||
			    !same_str(dc->chain, cand->chain) || reads_lost_set(&at, lost) ||
			    !(rules = chain_rules(c->after, &at)))
				continue;
			json_array_foreach(rules, k, t)
				kept |= cta_rule_text_same(json_string_value(t), dc->rule);
			json_decref(rules);
		}
		if (kept)
			return true;
	}
	return false;
}

static bool denied_in(const struct cta_candidate *c, const struct cta_vtally *recorded,
		      json_t *lost)
{
	const char *before = c->live_copied ? c->live : c->stand_ins;
	bool any = false, mixed = false;

	for (uint32_t i = 0; recorded && i < recorded->n; i++)
		mixed |= !cta_verdict_denies(recorded->g[i].v);
	for (uint32_t i = 0; recorded && i < recorded->n; i++) {
		const struct cta_verdict *r = recorded->g[i].v;
		bool stays;

		if (!cta_verdict_denies(r))
			continue;
		if (decided_in(r, c->kept) && (r->legacy || decided_in(r, c->uncopied)))
			stays = true;
		else
			stays = (mixed || (r->type == CTA_VTYPE_RULE && stateful_rule(r->rule))) &&
				same_up_to(before, c->after, r) &&
				!(r->type == CTA_VTYPE_RULE && reads_lost_set(r, lost));
		if (!stays)
			return false;
		any = true;
	}
	return any;
}

/*
 * The table of tables ("FAMILY NAME") whose nat rule translated a recorded connection
 * of the flow (a stage of a verdict's path), or NULL. Its string is the array's.
 */
static const char *translated_in(const struct cta_vtally *recorded, json_t *tables)
{
	for (uint32_t i = 0; recorded && i < recorded->n; i++) {
		const struct cta_verdict *v = recorded->g[i].v;

		for (size_t a = 0; a < v->n_path; a++) {
			const struct cta_vstage *st = &v->path[a];
			char key[300];
			json_t *t;
			size_t k;
			bool nat = false;

			for (size_t b = 0; b < st->n_rules; b++)
				nat |= st->rules[b].nat != NULL;
			if (!nat || st->legacy || !st->table)
				continue;
			snprintf(key, sizeof(key), "%s %s", st->family ? st->family : "-",
				 st->table);
			json_array_foreach(tables, k, t)
				if (!strcmp(json_string_value(t), key))
					return json_string_value(t);
		}
	}
	return NULL;
}

static bool replayed(const struct cta_review_flow *rf)
{
	return !rf->flow.related && !cta_flow_leftover(&rf->flow, rf->recorded);
}

/* One rule's copy handle, put back (handles.h); *has_handle false: the candidate's own. */
static void live_handle(const struct cta_handles_back *b, const char *family, const char *table,
			uint64_t *handle, bool *has_handle)
{
	uint64_t live;

	switch (cta_handles_back_rule(b, family, table, *handle, &live)) {
	case 1:
		*handle = live;
		break;
	case 0:
		*handle = 0;
		*has_handle = false;
		break;
	default:
		break;
	}
}

static void verdict_live_handles(const struct cta_handles_back *b, struct cta_verdict *v)
{
	bool unused = true;

	if (v->type == CTA_VTYPE_RULE && v->has_handle && !v->legacy)
		live_handle(b, v->family, v->table, &v->handle, &v->has_handle);
	for (size_t i = 0; i < v->n_deciders; i++) {
		struct cta_vdecider *d = &v->deciders[i];

		if (d->type == CTA_VTYPE_RULE && d->has_handle && !d->legacy)
			live_handle(b, d->family, d->table, &d->handle, &d->has_handle);
	}
	for (size_t i = 0; i < v->n_path; i++) {
		struct cta_vstage *st = &v->path[i];

		for (size_t k = 0; !st->legacy && k < st->n_rules; k++)
			if (!st->rules[k].policy)
				live_handle(b, st->family, st->table, &st->rules[k].handle,
					    &unused);
	}
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

int cta_candidate_live_handles(const struct cta_candidate *c, struct cta_review_flow *v, size_t n,
			       json_t *no_evidence)
{
	struct cta_verdict **seen;
	json_t *r;
	size_t i, m = 0;

	if (!c->back)
		return 0;
	if (!(seen = calloc(n ? n : 1, sizeof(*seen))))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (v[i].candidate)
			seen[m++] = v[i].candidate;
	qsort(seen, m, sizeof(*seen), ptr_cmp);
	for (i = 0; i < m; i++)
		if (!i || seen[i] != seen[i - 1]) /* a verdict shared by flows: once */
			verdict_live_handles(c->back, seen[i]);
	free(seen);
	json_array_foreach(no_evidence, i, r) {
		json_t *h = json_object_get(r, "handle");
		uint64_t handle = (uint64_t)json_integer_value(h);
		bool has = true;

		if (!json_is_integer(h) || json_is_true(json_object_get(r, "legacy")))
			continue;
		live_handle(c->back, cta_jstr(r, "family"), cta_jstr(r, "table"), &handle, &has);
		json_object_set_new(r, "handle",
				    has ? json_integer((json_int_t)handle) : json_null());
	}
	return 0;
}

/*
 * The replay's verdict on a connection's later packets (replay.h), or NULL (taken from
 * the caller) when a rule that counts the pace of packets denied them (paced_rule):
 * the replay's fresh limit or meter, which its own first packet used up, says nothing
 * of the host's.
 */
static struct cta_verdict *later_judged(struct cta_verdict *later)
{
	if (cta_verdict_denies(later) && later->type == CTA_VTYPE_RULE && paced_rule(later->rule)) {
		cta_verdict_unref(later);
		return NULL;
	}
	return later;
}

json_t *cta_candidate_sets_lost(struct cta_candidate *c)
{
	if (!c->sets_lost)
		c->sets_lost = cta_review_sets_lost(c->live_copied ? c->live : "", c->after);
	return c->sets_lost;
}

int cta_candidate_replay(struct cta_candidate *c, struct cta_review_flow *v, size_t n)
{
	struct cta_flow *flows = calloc(n ? n : 1, sizeof(*flows));
	struct cta_verdict **verdicts = calloc(n ? n : 1, sizeof(*verdicts));
	struct cta_verdict **later = calloc(n ? n : 1, sizeof(*later));
	struct cta_verdict **next = calloc(n ? n : 1, sizeof(*next));
	json_t *lost = cta_candidate_sets_lost(c);
	struct cta_err err;
	size_t m = 0;
	int rc;

	if (!flows || !verdicts || !later || !next || !lost) {
		free(flows);
		free(verdicts);
		free(later);
		free(next);
		cta_msg("out of memory");
		return CTA_EXIT_SYSTEM;
	}
	/*
	 * A related flow replayed alone is a stranger with no master; a leftover of before
	 * the recording was over then: neither is replayed.
	 */
	for (size_t i = 0; i < n; i++)
		if (replayed(&v[i]))
			flows[m++] = v[i].flow;
	rc = cta_replay_judge(c->replay, flows, m, verdicts, later, next, &err);
	for (size_t i = 0, k = 0; i < n; i++) {
		v[i].astray = replayed(&v[i]) && cta_replay_astray(c->replay, k);
		v[i].reply_astray = replayed(&v[i]) && cta_replay_reply_astray(c->replay, k);
		v[i].later = replayed(&v[i]) ? later_judged(later[k]) : NULL;
		v[i].later_next = replayed(&v[i]) ? next[k] : NULL;
		v[i].candidate = replayed(&v[i]) ? verdicts[k++] : NULL;
		v[i].decided_beside = decided_in(v[i].candidate, c->beside);
		v[i].state_beside = v[i].decided_beside && !decided_in(v[i].candidate, c->tables) &&
				    cta_verdict_denies(v[i].candidate) &&
				    v[i].candidate->type == CTA_VTYPE_RULE &&
				    stateful_rule(v[i].candidate->rule);
		v[i].denied_beside = denied_in(c, v[i].recorded, lost);
		v[i].state_accept = accepted_by_state(c, v[i].recorded, v[i].candidate, lost);
		v[i].state_drop = !v[i].state_beside && cta_verdict_denies(v[i].candidate) &&
				  v[i].candidate->type == CTA_VTYPE_RULE &&
				  paced_rule(v[i].candidate->rule);
		v[i].nat_uncopied = translated_in(v[i].recorded, c->uncopied);
		v[i].changed_uncopied = c->changed_uncopied;
		cta_review_classify(&v[i]);
	}
	free(flows);
	free(verdicts);
	free(later);
	free(next);
	if (rc) {
		cta_msg("%s", err.msg);
		return CTA_EXIT_SYSTEM;
	}
	if (cta_replay_traces_lost(c->replay))
		cta_msg("review: the replay's traces overflowed their socket %llu time%s: flows "
			"'not judged' may have lost theirs",
			(unsigned long long)cta_replay_traces_lost(c->replay),
			cta_replay_traces_lost(c->replay) == 1 ? "" : "s");
	return 0;
}

void cta_review_flows_free(struct cta_review_flow *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		cta_verdict_unref(v[i].candidate);
		cta_verdict_unref(v[i].later);
		cta_verdict_unref(v[i].later_next);
	}
	free(v);
}
