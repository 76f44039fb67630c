/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A candidate ruleset, as review and apply see it: checked by the kernel (a dry run),
 * loaded on top of a copy of the live ruleset in a scratch namespace built like the
 * recording host, compared with the live ruleset, and its recorded flows replayed.
 */
#ifndef CTA_CANDIDATE_H
#define CTA_CANDIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "advisor/review/replay.h"
#include "advisor/review/review.h"
#include "advisor/model/session.h"

/* The tool's own tables: never copied, compared or replaced. */
#define CTA_OWN_TABLES "conntrack_advise"

struct cta_candidate {
	char *live; /* the live ruleset, stateless, without the tool's tables: as the
		     * scratch namespace lists it once copied there */
	char *after; /* the scratch namespace's, once the candidate is on top */
	json_t *changes; /* cta_rsdiff(live, after) */
	json_t *tables; /* "FAMILY NAME" of every table the candidate changes */
	json_t *replaced; /* "FAMILY NAME" of live tables the candidate deletes */
	json_t *beside; /* "FAMILY NAME" of live tables with filter chains it leaves in force */
	json_t *kept; /* ... with base chains of any type (a drop in a nat chain is final) */
	/*
	 * The live sets' elements the candidate does not hold (cta_review_sets_lost of live
	 * and after), made once by cta_candidate_sets_lost; NULL until then
	 */
	json_t *sets_lost;
	struct cta_replay *replay;
	/* the copy's rules paired with the live ones (nft candidates): cta_candidate_live_handles */
	struct cta_handles_back *back;
	bool live_copied; /* false: the live ruleset did not load there (live_error) */
	/*
	 * "FAMILY NAME" of the live tables that did not load there (an xt match nft cannot
	 * read back): each stands in the scratch namespace as its chains, every base chain
	 * with its policy, and one accept rule in every chain for the live rules
	 * (candidate.c: stand_in), so what the candidate does to it (flush ruleset, delete
	 * table, flush chain) is the kernel's to say.
	 */
	json_t *uncopied;
	json_t *stood_in; /* those of uncopied the scratch namespace holds a stand-in of */
	/*
	 * "FAMILY NAME" of the copied live tables with rules holding xt expressions
	 * (iptables-nft's): copied as the kernel holds them (candidate.c: put_xt), but
	 * nft's text of them, which apply would load, can mean something else
	 */
	json_t *xt_tables;
	char *stand_ins; /* when nothing was copied: the scratch listing of the stand-ins */
	/*
	 * The first uncopied table the candidate changes but does not flush whole: its
	 * live rules mix with the candidate's in a way the replay cannot see, so no flow
	 * is judged (a string of stood_in); NULL.
	 */
	const char *changed_uncopied;
	char live_error[1024];
	/*
	 * iptables-restore input for iptables-legacy (cta_ipt_file_kind): loaded with
	 * iptables-legacy-restore of legacy_family on top of a copy of the live legacy
	 * tables; legacy_live and legacy_text are what apply restores and loads.
	 */
	bool legacy;
	int legacy_family;
	char *legacy_live, *legacy_text;
	size_t legacy_live_len, legacy_text_len;
};

/*
 * Check path with the kernel, build the scratch namespace like host, copy the live
 * ruleset in, load path on top, compare. iptables-restore input is taken when it is
 * for iptables-legacy (its comments say so, or it says nothing and this host's
 * `iptables` is iptables-legacy) and refused when it is for iptables-nft, or for
 * iptables-legacy on a host whose `iptables` is iptables-nft and that has no legacy
 * table (it would start a second firewall beside the one `iptables` shows). 0, or an exit code (CTA_EXIT_USAGE: the
 * candidate is refused; CTA_EXIT_SYSTEM) with the message said.
 */
int cta_candidate_open(struct cta_candidate *c, const char *path, const struct cta_host *host);
void cta_candidate_close(struct cta_candidate *c);

/*
 * The flows to replay: the management sessions first ($SSH_CONNECTION, and every
 * connection established to a port an sshd process listens on here: nft/sshd.h), then
 * every in, out and forward flow of the sessions (management too when inbound TCP to
 * $SSH_CONNECTION's port or an sshd port). No port is assumed: with neither, nothing
 * is management. *out is malloc'd. 0 or -ENOMEM.
 */
int cta_candidate_flows(const struct cta_session *s, size_t n, struct cta_review_flow **out,
			size_t *n_out);

/*
 * The live sets' elements the candidate does not hold: c's (made on the first call,
 * freed with c), or NULL when out of memory.
 */
json_t *cta_candidate_sets_lost(struct cta_candidate *c);

/* Replay them and classify each. 0 or an exit code, the message said. */
int cta_candidate_replay(struct cta_candidate *c, struct cta_review_flow *v, size_t n);

/*
 * Once judged: the rules the replay's verdicts of v (and the findings of no_evidence,
 * cta_review_no_evidence's array, may be NULL) name by the copy's handles get the live
 * ones (advisor/review/handles.h). A rule the candidate adds to a live table has none
 * yet, nor has a rule of a live table it makes anew (a reload): a verdict's or
 * decider's has_handle is cleared, a path rule's handle is 0, a finding's "handle"
 * null. A table of its own that the live ruleset does not have keeps the copy's
 * numbers: the host will give it the same. 0 or -ENOMEM.
 */
int cta_candidate_live_handles(const struct cta_candidate *c, struct cta_review_flow *v, size_t n,
			       json_t *no_evidence);

void cta_review_flows_free(struct cta_review_flow *v, size_t n);

#endif
