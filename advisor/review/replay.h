/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * review's replay: a scratch namespace built like the recording host (nft/sandbox.h),
 * rulesets loaded into it (nft/nftrun.h), and each recorded flow's first packet
 * (advisor/review/craft.h) sent along its direction while the tool's own tracing
 * (advisor/record/listen.h) tells what the kernel did with it.
 */
#ifndef CTA_REPLAY_H
#define CTA_REPLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advisor/lib/err.h"
#include "advisor/model/flow.h"
#include "advisor/model/host.h"
#include "advisor/model/verdict.h"
#include "nft/nftrun.h"

#define CTA_REVIEW_TABLE_NAME "conntrack_advise_review"

struct cta_replay;

/*
 * The namespace, with host's interfaces (veth pairs of the same names), addresses,
 * routes and policy rules (those it could not rebuild: cta_replay_unbuilt), a default
 * route per family out of the first interface where the host had none recorded, and
 * forwarding on. 0 or -errno with err filled.
 */
int cta_replay_new(struct cta_replay **out, const struct cta_host *host, struct cta_err *err);
void cta_replay_free(struct cta_replay *r);
/*
 * What of the host's routes and policy rules the namespace does not have, one line
 * each ("route 192.0.2.0/24 dev wg1 table 254: multipath"), owned by r; the count.
 */
size_t cta_replay_unbuilt(const struct cta_replay *r, const char *const **what);

/*
 * Load a ruleset into the namespace: text (name: for messages), or the file at path
 * (text NULL). 0, or -EINVAL with err holding nft's messages.
 */
int cta_replay_load(struct cta_replay *r, const char *name, const char *text, struct cta_err *err);

struct cta_xt_rules;
/*
 * In the namespace, where table (family an NFPROTO_*) was loaded from the live
 * listing: its rules with xt expressions put back as live holds them (nft/xtcopy.h:
 * nft's text of them can mean something else). How many, or -errno (-ESTALE: the
 * copy's chains do not hold as many rules as live's).
 */
int cta_replay_put_xt(struct cta_replay *r, uint8_t family, const char *table,
		      const struct cta_xt_rules *live);

/*
 * iptables-legacy in the namespace: load TEXT (LEN bytes of iptables-restore input)
 * with iptables-legacy-restore of FAMILY (the tables it names are replaced), or list
 * FAMILY's legacy tables as iptables-legacy-save does (*TEXT malloc'd; "" with none).
 * 0, or -errno with err filled (load: the tool's own words).
 */
int cta_replay_legacy_load(struct cta_replay *r, int family, const char *text, size_t len,
			   struct cta_err *err);
int cta_replay_legacy_save(struct cta_replay *r, int family, char **text);

/*
 * The namespace's ruleset now, as `nft list ruleset`, malloc'd: stateless (for
 * comparing), with handles (for naming rules; stateless too), or as it is (counters,
 * quotas: for loading elsewhere). 0 or -errno.
 */
enum cta_listing {
	CTA_LIST_STATELESS = CTA_NFT_LIST_STATELESS,
	CTA_LIST_HANDLES = CTA_NFT_LIST_HANDLES,
	CTA_LIST_FULL = CTA_NFT_LIST_FULL,
};
int cta_replay_listing(struct cta_replay *r, enum cta_listing how, char **text);

/*
 * Can the namespace take this flow the way the host did? Not an inbound flow to an
 * address the host does not hold (its trace saw it reach input: TPROXY, or policy
 * routing with a local route, delivered it), since the namespace has the host's
 * addresses and default routes, not its policy routing: such a flow is not sent, so
 * not judged, rather than judged forwarded.
 */
bool cta_replay_rebuilds(const struct cta_replay *r, const struct cta_flow *f);

/*
 * Send each flow's first packet (in, out and forward flows; others, and those
 * cta_replay_rebuilds refuses, are skipped) and
 * judge it: verdicts[i] gets its verdict (a reference, source CTA_VSOURCE_REPLAY), or
 * NULL when no trace came for it. iptables-legacy tables in the namespace are
 * followed too (advisor/record/ltrace.h): their chains join the path.
 *
 * With later (n slots; NULL: first packets only), each connection whose first packet
 * got through is followed: its reply (a SYN-ACK, a datagram, an echo reply; headers
 * from the namespace's conntrack entry, so the candidate's NAT is in them), sent back
 * the way the host's came (out of a socket for an inbound flow, in by the first
 * packet's oif for the others), then its next packet (the handshake's ACK, another
 * datagram) the first one's way. later[i] gets the verdict (a reference) of the first
 * of them that was denied, else the reply's; NULL when the connection was not
 * followed (denied, astray, SCTP, DCCP, ICMP other than echo) or when no trace of a
 * packet conntrack took for established came back: a reply the stack or conntrack
 * refused for its own reasons says nothing of the candidate. With later_next (n slots,
 * with later only; NULL: not wanted), later_next[i] gets the next packet's verdict (a
 * reference), NULL when none was judged (it is sent only after a reply that got
 * through): the chains it crossed, which later[i], the reply's verdict unless the next
 * packet was denied, does not show (an inbound connection's reply crosses output, its
 * next packet input). Meanwhile the stack's
 * TCP resets are dropped before conntrack (a table of the tool's, QUIET_TABLE in
 * replay.c, gone after), since with no socket behind the replayed packets every SYN
 * would be answered by one that closes the connection. 0 or -errno with err filled.
 */
int cta_replay_judge(struct cta_replay *r, const struct cta_flow *flows, size_t n,
		     struct cta_verdict **verdicts, struct cta_verdict **later,
		     struct cta_verdict **later_next, struct cta_err *err);
/*
 * How often the last cta_replay_judge's trace socket overflowed (the kernel dropped
 * trace messages: flows it leaves without a verdict may have been among them); 0 when
 * every trace was read.
 */
uint64_t cta_replay_traces_lost(const struct cta_replay *r);
/*
 * Flow i of the last cta_replay_judge has no verdict because its replayed packet took
 * another way through the namespace than the flow took on the host (forwarded or
 * dropped in the stack where the flow was delivered, delivered where it was forwarded:
 * a flow the host bridged, a multicast group the namespace has not joined; an
 * outgoing or forwarded one sent out another interface than the flow's oif, for want of
 * the mark or bound socket that routed it here): what the
 * candidate did to it says nothing of the flow. Never a translated flow
 * (cta_flow_translated): the candidate's NAT decides its way, and is judged for it.
 */
bool cta_replay_astray(const struct cta_replay *r, size_t i);
/*
 * Flow i of the last cta_replay_judge (with later) is an inbound or forwarded one whose
 * replayed reply got through but left by another interface than the flow's first
 * packet came in on (its iif): routing sent the answer elsewhere, as when a candidate
 * no longer restores the connection mark a policy rule routes by (two uplinks). Its
 * later[i] is NULL: what the candidate does to it is not known.
 */
bool cta_replay_reply_astray(const struct cta_replay *r, size_t i);

#endif
