/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * review's judgement, without the kernel: which recorded flows a candidate ruleset
 * would break or open (from the replay's verdicts), the management session, the
 * candidate's rules no flow reached, and for --live, what the recording says of the
 * rules that are there.
 */
#ifndef CTA_REVIEW_H
#define CTA_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "advisor/model/flow.h"
#include "advisor/model/iptsave.h"
#include "advisor/model/ruleset.h"
#include "advisor/model/session.h"

enum cta_review_change {
	CTA_RV_BREAKS = 0, /* got through while recording; the candidate drops it */
	CTA_RV_OPENS, /* was denied; the candidate lets it through */
	CTA_RV_SAME,
	CTA_RV_UNJUDGED, /* no trace came back for its packet */
};

struct cta_review_flow {
	struct cta_flow flow;
	/* the session's verdict counts, borrowed; NULL for SSH_CONNECTION's */
	const struct cta_vtally *recorded;
	struct cta_verdict *candidate; /* the replay's, a reference of its own */
	/*
	 * The replay's verdict on the connection's later packets, its reply and next one
	 * (replay.h: later), a reference of its own; NULL when they were not followed.
	 */
	struct cta_verdict *later;
	/*
	 * The replay's verdict on the connection's next packet alone (replay.h:
	 * later_next), a reference of its own, NULL when none was judged: the chains it
	 * crossed, which later (the reply's, unless the next packet was denied) does not
	 * show. Evidence for rules and for chains followed, never a judgement of its own.
	 */
	struct cta_verdict *later_next;
	/*
	 * Set by cta_review_classify(): BREAKS because the candidate lets the first packet
	 * through and drops a later one (later), where the flow had replies (counted
	 * while recording, or a connection found already replied) or is the management
	 * session.
	 */
	bool later_denied;
	bool management; /* the session we are on, or a recorded one to the SSH port */
	bool worked; /* got through while recording */
	/*
	 * The candidate's verdict was decided in a live table the candidate leaves in
	 * place (its "in force beside" tables): set before cta_review_classify().
	 */
	bool decided_beside;
	/*
	 * Every denial the recording saw is one the host makes still where the replay
	 * cannot tell (set with decided_beside: candidate.c, denied_in): decided in a live
	 * table left in place that the replay could not hold (uncopied, iptables-legacy),
	 * or by a rule that stays in a table holding state (a rate limit, a ban set). The
	 * candidate opens none of them, whatever its replay says.
	 */
	bool denied_beside;
	/*
	 * Set by cta_review_classify(): it got through while recording, and the replay's
	 * packet was dropped first in a live table the candidate leaves in place
	 * (decided_beside) by the rule or policy that denied some of its connections while
	 * recording (a ban that came after its first ones: fail2ban's, CrowdSec's set), or
	 * by a rule holding state of a table the candidate does not touch (state_beside: a
	 * ban added since). That table's state, not the candidate, decides it now, and what the candidate's
	 * own chains do to it behind the drop is not known: not judged, neither BREAKS nor
	 * ok. Never the management session's.
	 */
	bool dropped_beside;
	/*
	 * Set before cta_review_classify(): the candidate's verdict is a denial by a rule
	 * holding state (a ban set, a rate limit, a meter) of a live table the candidate
	 * leaves in place and does not touch. That state may have changed since the
	 * recording (a ban added since): with worked, dropped_beside too.
	 */
	bool state_beside;
	/*
	 * Set before cta_review_classify(): a rule holding state let it in while recording
	 * (a port knock's `ip saddr @knocked accept`, a rate limit's accept), the candidate
	 * keeps that rule in its chain and the set it reads, and the replay's packet fell
	 * to that chain's drop policy: the state as it is now (a knock expired since), not
	 * the candidate, decides. With worked, not judged (never the management session).
	 */
	bool state_accept;
	/*
	 * Set before cta_review_classify(): the candidate's verdict is a denial by a rule
	 * whose verdict depends on the pace of packets (a rate limit, a meter, a connection
	 * count): the replay sends its packets one after another, not at the host's pace,
	 * so such a drop says nothing of the host. With worked, not judged (never the
	 * management session).
	 */
	bool state_drop;
	bool leftover; /* cta_flow_leftover (suggest/ir.h): not replayed, never worked */
	bool astray; /* no candidate: its replayed packet took another way (replay.h) */
	/*
	 * Its replayed reply got through but left by another interface than the flow came
	 * in on (cta_replay_reply_astray): with worked and a candidate that lets it in, not
	 * judged.
	 */
	bool reply_astray;
	enum cta_review_change change;
	/*
	 * With BREAKS of a flow the candidate lets through: the translation its recorded
	 * path made that the candidate's does not ("masquerade", "dnat"...); else NULL.
	 */
	const char *nat_lost;
	/*
	 * Set before cta_review_classify(): "FAMILY NAME" of a live table review could not
	 * copy (candidate.h: uncopied) whose nat rule translated the flow while recording.
	 * The replay cannot make that translation: not judged. NULL otherwise.
	 */
	const char *nat_uncopied;
	/*
	 * Set before cta_review_classify(): a live table review could not copy that the
	 * candidate changes without flushing it whole (candidate.h): not judged. NULL.
	 */
	const char *changed_uncopied;
};

/* Does a verdict let the packet through (accept; or nothing decided, nothing dropped)? */
bool cta_review_passes(const struct cta_verdict *verdict);

/*
 * Is rf denied still, though the candidate lets its replayed packet through: it was
 * denied while recording, and every denial is one the host makes still
 * (denied_beside)? Such a flow is `ok`, not `opens`.
 */
bool cta_review_denied_still(const struct cta_review_flow *rf);

/*
 * Set worked, dropped_beside and change from the recorded flow and the candidate's
 * verdict. A flow that got through is BREAKS when the candidate denies it, unless the
 * denial is one the recording saw: decided_beside, and the same verdict by the same
 * rule or policy denied some of its connections while recording (a ban that came
 * after its first connections, fail2ban's or CrowdSec's): that table's doing, not the
 * candidate's, with what the candidate does behind it unknown: not judged
 * (dropped_beside); so too a denial by a rule holding state (a ban set, a limit) of
 * such a table the candidate does not touch (state_beside: a ban added since the
 * recording). Another drop in such a table the recording never saw may be the
 * candidate's (a mark it sets, a NAT that sends the packet into a drop): BREAKS. One
 * it lets through is BREAKS too when the recorded path translated it (masquerade,
 * snat, dnat, redirect, traced in a nat chain; for a flow never traced, its
 * connections' tuples) and the candidate's does not: a LAN masqueraded to the
 * Internet would get no answer (nat_lost says which). And when the candidate drops
 * its reply or next packet (later), where it had replies (later_denied: counted while
 * recording, or a connection the start-up dump found already replied): a chain with
 * a drop policy and no accept for established connections.
 */
void cta_review_classify(struct cta_review_flow *rf);

/*
 * The management session from $SSH_CONNECTION ("CLIENT_IP CLIENT_PORT SERVER_IP
 * SERVER_PORT"), as an inbound TCP flow. 0, or -EINVAL when it is not one.
 */
int cta_review_ssh_flow(const char *ssh_connection, struct cta_flow *f, uint16_t *ssh_port);

/* Breaking management flows first, then what breaks, opens, stays, was not judged. */
void cta_review_sort(struct cta_review_flow *v, size_t n);

/* "BREAKS", "opens", "ok", "not judged" */
const char *cta_review_change_name(enum cta_review_change c);

/*
 * The rules of the listing BEFORE (the live ruleset) that only packets after a
 * connection's first reach (an accept of `ct state established,related`, a conntrack
 * verdict map, loopback, a connmark restore) and that AFTER (with the candidate) lost
 * from a chain it keeps. The replay sends first packets only: no flow shows what their
 * loss does (helper-59: removing `ct state established,related accept` was "0 would
 * break"). Each {"family", "table", "chain", "rule", "why", "breaks"}: breaks when an
 * accept left a chain whose policy is drop, so every recorded connection's later
 * packets (its replies) meet that drop. Tables whose names begin with SKIP (NULL: none)
 * are left out. A new array, or NULL (out of memory).
 */
json_t *cta_review_untraced_lost(const char *before, const char *after, const char *skip);

/*
 * The rules of the given tables ("FAMILY NAME" strings) that no flow's candidate path
 * reached, as a JSON array of {family, table, chain, handle, rule}. Rules of chains
 * no trace watches (cta_ruleset_rule_unwatched), and rules no first packet can reach
 * (what review --live calls untraced: established, invalid, loopback, neighbour
 * discovery), are left out.
 */
json_t *cta_review_no_evidence(const struct cta_ruleset *rs, json_t *tables,
			       const struct cta_review_flow *v, size_t n);

/*
 * review --live: what a recording says of the live ruleset rs. A JSON array of
 * findings {"kind": "unreached"|"untraced"|"hot"|"policy"|"unwatched", family, table,
 * chain, handle, rule, "connections", "position", "detail"}. Rules of tables starting
 * with skip_prefix (the tool's own) are left out. A rule in a chain the recording does
 * not watch (cta_ruleset_rule_unwatched: netdev, bridge, arp, ingress) is "unwatched",
 * never "unreached": no recorded packet could have shown it reached. untraced: not
 * reached, but by what record does not trace (later packets, loopback, NAT of
 * translated connections): not "unreached" either. Only filter chains' policies decide.
 */
json_t *cta_review_live(const struct cta_ruleset *rs, const struct cta_session *s, size_t n,
			const char *skip_prefix);

/*
 * review --live on iptables-legacy rules (IPT, the ruleset of FAMILY, AF_INET or
 * AF_INET6, as iptables-legacy-save prints it): the same findings as cta_review_live,
 * appended to OUT, with "legacy": true and "rule_num" (the rule's number in its chain)
 * where those have "handle". Rules a traced first packet cannot reach (conntrack's
 * ESTABLISHED, RELATED, INVALID; loopback; the nat table) are never called unreached.
 * 0 or -ENOMEM (review_legacy.c).
 */
int cta_review_live_legacy(const struct cta_iptsave *ipt, int family, const struct cta_session *s,
			   size_t n, json_t *out);

/*
 * The rules of an iptables-legacy candidate (CAND, the file as parsed; FAMILY AF_INET
 * or AF_INET6) that no flow's candidate path reached, as a JSON array of {family,
 * "legacy": true, table, chain, rule_num, rule}. NULL on ENOMEM (review_legacy.c).
 */
json_t *cta_review_no_evidence_legacy(const struct cta_iptsave *cand, int family,
				      const struct cta_review_flow *v, size_t n);

/*
 * The conntrack helpers recorded on services (a flow's "helper") that the live
 * ruleset assigns and after, the ruleset with the candidate on top (both nft list
 * ruleset text), no longer does: no ct helper object of that type, or no "ct helper
 * set" naming one. A helper the live nft ruleset does not assign (iptables' -j CT, a
 * legacy table) is not the candidate's to lose. Each is a break:
 * the helper's related connections (passive FTP's data connections) would no longer
 * be expected, so ct state related lets none of them in. A JSON array of {"helper",
 * "protocol", "port", "flow"} (a flow that used it), one per helper and service; NULL
 * when out of memory.
 */
json_t *cta_review_helpers_lost(const struct cta_review_flow *v, size_t n, const char *live,
				const char *after);

/*
 * The elements of the sets and maps of listing live (nft's text) that listing after
 * (the same once the candidate is loaded) no longer holds: the set is gone with its
 * table, or made anew without them. State filled at run time (fail2ban's bans added
 * with `nft add element`, a meter's or dynamic set's entries) that no ruleset file
 * carries, so applying the candidate loses it. A JSON array of {"family", "table",
 * "kind" (set, map), "name", "elements" (the live set's count), "lost", "example" (the
 * first lost element)}; NULL when out of memory (setstate.c).
 */
json_t *cta_review_sets_lost(const char *live, const char *after);

/* "tcp 198.51.100.7:40000 -> 192.0.2.10:22" for reports. */
void cta_review_flow_text(const struct cta_flow *f, char *buf, size_t len);

#endif
