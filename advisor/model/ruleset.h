/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the ruleset said: rule texts by (family, table, chain, handle), and base chains
 * with hook, priority and policy, from `nft -a -s list ruleset` with numeric
 * priorities. A later listing adds rules and updates the text of a handle that
 * changed (`nft replace rule` keeps the handle); a verdict keeps the text that was
 * live when its packet was judged, because it is built then.
 */
#ifndef CTA_RULESET_H
#define CTA_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cta_ruleset;

struct cta_chain_info {
	uint8_t family; /* NFPROTO_* */
	bool base;
	int32_t prio;
	char table[256], name[256];
	char hook[16]; /* prerouting, input, forward, output, postrouting, ingress */
	char type[16]; /* filter, nat, route */
	char policy[8]; /* accept, drop */
	char device[64]; /* ingress and egress chains: their device ("sb"), "" if several */
};

struct cta_ruleset *cta_ruleset_new(void);
void cta_ruleset_free(struct cta_ruleset *rs);

/* NFPROTO_* from "ip", "ip6", "inet", "arp", "bridge", "netdev", and back. */
int cta_nfproto_from_name(const char *name);
const char *cta_nfproto_name(uint8_t family);

/* Take in a listing with handles and numeric priorities. 0 or -ENOMEM. */
int cta_ruleset_add_text(struct cta_ruleset *rs, const char *text);

const char *cta_ruleset_rule(const struct cta_ruleset *rs, uint8_t family, const char *table,
			     const char *chain, uint64_t handle);
const struct cta_chain_info *cta_ruleset_chain(const struct cta_ruleset *rs, uint8_t family,
					       const char *table, const char *chain);
size_t cta_ruleset_rule_count(const struct cta_ruleset *rs);
/* Rule i (< count), in the order the listings gave them: chain by chain, top down. */
const char *cta_ruleset_rule_at(const struct cta_ruleset *rs, size_t i, uint8_t *family,
				const char **table, const char **chain, uint64_t *handle);

/*
 * Chains the recording does not watch. It marks packets for tracing in chains of its
 * own at inet prerouting and output; chains that run before those (ingress, egress) or
 * on frames that never reach them (every chain of a netdev, bridge or arp table) decide
 * packets no trace, NFLOG or conntrack event of it shows.
 */
bool cta_chain_unwatched(uint8_t family, const char *hook);
/* Is rule i (< count) in such a chain (a base chain, or any chain of such a table)? */
bool cta_ruleset_rule_unwatched(const struct cta_ruleset *rs, size_t i);
/*
 * The devices of the ingress chains (netdev, and inet ingress), each once, pointers into
 * rs (valid while it lives), at most max into out. How many were stored.
 */
size_t cta_ruleset_ingress_devices(const struct cta_ruleset *rs, const char **out, size_t max);
/*
 * The base chains not watched, "netdev f in_sb (ingress, device sb)", joined by ", "
 * into buf (ingress_traced: not the ingress chains of a device, which blame --live
 * traces) (always terminated; cut short when it does not fit). Their count.
 */
size_t cta_ruleset_unwatched_text(const struct cta_ruleset *rs, bool ingress_traced, char *buf,
				  size_t len);

/*
 * The rules of unwatched chains whose counter ("counter packets N") grew from before
 * to after, two listings with counters (cta_snapshot_take_counted), as
 * "netdev f in_sb handle 2 (ip saddr 203.0.113.21 counter drop): 3 packets", joined by
 * "; " into buf (always terminated). How many grew.
 */
size_t cta_ruleset_unwatched_counted(const struct cta_ruleset *before,
				     const struct cta_ruleset *after, char *buf, size_t len);

/*
 * A rule with xt expressions (iptables-nft's matches and targets, nft_compat): nft
 * lists them through libxtables' translation, which can say something else (nft 1.0.6
 * lists `-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP` as `ct status
 * dnat counter drop`) or nothing (`xt match recent`). Such a rule's text is nft's,
 * followed by this note and the rule as iptables-nft-save writes it:
 * `ct status dnat counter drop # iptables-nft: -A KUBE-FIREWALL -m conntrack ...`.
 * Every function here that reads a rule's meaning from its text reads nft's part only.
 */
#define CTA_RULE_NOTE_XT " # iptables-nft: "
/* Where TEXT's note begins (outside double quotes), or NULL: none. */
const char *cta_rule_note(const char *text);
/* The length of TEXT without its note (0 for NULL). */
size_t cta_rule_text_len(const char *text);
/*
 * Are A and B the same rule text, notes aside, a flag list's order aside
 * (`ct state related,established` is `ct state established,related`)? false when
 * either is NULL.
 */
bool cta_rule_text_same(const char *a, const char *b);
/*
 * Note SAVED (the rule's line in iptables-nft-save's output) on the rule (family,
 * table, chain, handle), in place of any earlier note; a later listing with the same
 * text keeps it. 0, -ENOENT (no such rule) or -ENOMEM.
 */
int cta_ruleset_note_xt(struct cta_ruleset *rs, uint8_t family, const char *table,
			const char *chain, uint64_t handle, const char *saved);
/*
 * Take every note away (nft's texts stay): a rule replaced under its handle with the
 * same nft text (`iptables -R`, an xt match's options changed: `xt match recent` reads
 * the same) must not keep the line of the rule before it when no new note can be had.
 */
void cta_ruleset_clear_notes(struct cta_ruleset *rs);
/*
 * Does a rule's TEXT (as nft lists it) hold WORD as a statement or keyword: a whole
 * word outside double-quoted strings, so `comment "no drop here"`, `@drop_list` or
 * `ct mark 0xdrop` do not count, while `drop`, `{ 22 : drop }` and `reject with
 * tcp reset` do.
 */
bool cta_rule_has_word(const char *text, const char *word);

/*
 * A packet, as far as it is known, for cta_rule_cannot_match: what is not known
 * matches anything.
 */
struct cta_rule_packet {
	uint8_t family; /* AF_INET, AF_INET6; 0: either */
	int l4proto; /* IPPROTO_*, -1: not known (cta_rule_l4proto) */
	bool has_ct;
	uint32_t ct_state; /* with has_ct: NF_CT_STATE_* bits it may be in */
	const uint8_t *icmp_types; /* ICMP or ICMPv6 types it may have; none: any */
	size_t n_icmp_types;
	bool has_dport, has_sport; /* known (its l4proto has ports) */
	uint16_t sport, dport;
};

/*
 * The transport protocol of a packet of FAMILY whose first header after IP is
 * L4PROTO, or -1 when that is not known: an IPv6 extension header comes first (nft's
 * `meta l4proto` and `tcp dport` look past them), or no headers were seen (0).
 */
int cta_rule_l4proto(uint8_t family, uint8_t l4proto);

/*
 * *p: a flow's first packet of FAMILY (AF_INET, AF_INET6) and L4PROTO as far as a rule
 * can tell it from the flow: for ICMP its type (*icmp_type, which p points to: keep
 * it alive), for a protocol with ports its destination port; the rest unknown (no
 * conntrack state: the caller sets has_ct and ct_state).
 */
void cta_rule_packet_init(struct cta_rule_packet *p, uint8_t family, uint8_t l4proto,
			  const uint8_t *icmp_type, uint16_t dport);

/*
 * Can the rule TEXT (as nft lists it) surely not match the packet P? Only what the
 * listing says plainly before the rule's first statement counts: another protocol
 * (`meta l4proto tcp`, `ip protocol { tcp, udp }`, `ip6 nexthdr != ipv6-icmp`, a header
 * field such as `tcp dport` or `icmp type`), another family (`ip saddr` for IPv6,
 * `meta nfproto ipv4`), a conntrack state it is not in (`ct state invalid,new`), an
 * ICMP type it does not have, ports it does not have (`tcp dport { 25, 587 }`,
 * `th sport 1-1023`). Named sets, maps, ranges and interfaces are not weighed:
 * false (it may match) unless something says it surely cannot.
 */
bool cta_rule_cannot_match(const char *text, const struct cta_rule_packet *p);

/*
 * The chain the jump or goto at or after *at in a rule's text names (its quotes
 * dropped), into buf (always terminated; cut at len); *at moves past it. false when
 * there is no more: a verdict map names several, quoted strings (comments) none.
 */
bool cta_rule_next_target(const char **at, char *buf, size_t len);

/* Says whether a rule's TEXT surely cannot match the packet at hand (CTX). */
typedef bool (*cta_rule_skip_fn)(const char *text, const void *ctx);

/*
 * Does the rule TEXT of FAMILY's TABLE drop or reject, itself or in a chain it jumps or
 * goes to (a zone layout's `jump handle_reject`: OpenWrt's fw4 ends its base chains
 * so; followed 8 chains deep, 64 chains looked into at most)? Rules SKIP (when not
 * NULL) says cannot match are passed over, the jumps they make too. A verdict map's
 * targets are all followed; a named map (`vmap @m`) is not.
 */
bool cta_ruleset_rule_drops(const struct cta_ruleset *rs, uint8_t family, const char *table,
			    const char *text, cta_rule_skip_fn skip, const void *ctx);

#endif
