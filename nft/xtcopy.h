/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules of a table that hold xt expressions (iptables-nft's matches and targets,
 * expressions "match" and "target"), copied as the kernel holds them. nft lists such a
 * rule through libxtables' translation, which can mean something else: nft 1.0.6 lists
 * `-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT` (kube-proxy's KUBE-FIREWALL) as
 * `ct status dnat`, no negation, no state. A copy loaded from that text drops what the
 * host lets through and lets through what it drops. Through libnftnl the rule's
 * expressions, the xt ones with their binary info, go over unchanged.
 */
#ifndef CTA_XTCOPY_H
#define CTA_XTCOPY_H

#include <stddef.h>
#include <stdint.h>

struct cta_xt_rules;

/*
 * The rules of table (family an NFPROTO_*) in the caller's network namespace, in each
 * chain's order (NFT_MSG_GETRULE dump). *out is the caller's (cta_xt_rules_free). 0,
 * -ENOENT (no such table) or -errno.
 */
int cta_xt_rules_dump(uint8_t family, const char *table, struct cta_xt_rules **out);
void cta_xt_rules_free(struct cta_xt_rules *r);
/* How many of its rules hold an xt expression. */
size_t cta_xt_rules_count(const struct cta_xt_rules *r);

/*
 * In the caller's network namespace, where copy (a dump of the same table there) was
 * loaded from live's listing: each rule of live with an xt expression replaces the
 * copy's rule at the same place (chain, k-th rule; loading keeps a listing's order),
 * with live's expressions (NFT_MSG_NEWRULE, NLM_F_REPLACE of the copy's handle), in one
 * transaction. The chains must hold as many rules on both sides, else -ESTALE and
 * nothing changed. How many were replaced, or -errno (the kernel's).
 */
int cta_xt_rules_put(const struct cta_xt_rules *live, const struct cta_xt_rules *copy);

/*
 * The ruleset's generation in the caller's network namespace (NFT_MSG_GETGEN, the
 * kernel's nft_net->base_seq): it changes with every committed transaction. 0 or -errno.
 */
int cta_nft_generation(uint32_t *gen);

/* One rule's line: CHAIN's rule HANDLE is LINE ("-A CHAIN ..."). 0, or -errno to stop. */
typedef int (*cta_xt_saved_fn)(const char *chain, uint64_t handle, const char *line, void *data);

/*
 * Each rule of TABLE (family NFPROTO_IPV4 or NFPROTO_IPV6; others have none) in the
 * caller's network namespace that holds an xt expression, with its line as
 * iptables-nft-save (nft/legacy.h) writes it: fn(chain, handle, line, data). Paired by
 * place, chain by chain: the k-th "-A CHAIN" line is the chain's k-th rule. The tool
 * runs only for a table that holds such rules. Nothing is paired unless the ruleset
 * is still of generation GEN (cta_nft_generation, read by the caller before the listing
 * the pairs go with) before the dump and after the save, and every chain has as many
 * lines as rules: else -ESTALE. How many were handed, or -errno (fn's, the dump's,
 * cta_iptables_nft_save's: -ENOENT when it is not installed, -EIO when it refused).
 */
int cta_xt_rules_saved(uint8_t family, const char *table, uint32_t gen, cta_xt_saved_fn fn,
		       void *data);

#endif
