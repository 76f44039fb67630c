/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iptables-legacy, seen from the kernel layer: the rules as `iptables-legacy-save`
 * prints them, and the binding of the packet logger that ip_tables' TRACE lines go
 * through; and an iptables-nft table as `iptables-nft-save` prints it.
 *
 * The rules are read by running iptables-legacy-save (ip6tables-legacy-save) with a
 * fixed argument vector, no shell and a fixed environment: the text users know, with
 * the extensions' own printing, which libiptc alone does not give (it hands out raw
 * ipt_entry blobs; rendering them is iptables' own code, not a library's).
 */
#ifndef CTA_LEGACY_H
#define CTA_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does this namespace hold legacy tables of FAMILY (AF_INET, AF_INET6)? */
bool cta_legacy_tables_loaded(int family);

/*
 * The legacy ruleset of FAMILY (AF_INET or AF_INET6) in this network namespace, as
 * iptables-legacy-save prints it, counters left out. *TEXT is a NUL-terminated
 * string of *LEN bytes the caller frees; an empty string when no legacy table is
 * loaded (the tool is not run then: running it must not load ip_tables).
 * 0, -ENOENT (the tool is not installed), -ETIMEDOUT (it ran over 10 s), -EIO (it
 * failed: *ERRMSG, if not NULL, gets its first line of stderr, caller frees), -ENOMEM.
 */
int cta_legacy_save(int family, char **text, size_t *len, char **errmsg);

/*
 * Load TEXT (LEN bytes, iptables-restore input) with iptables-legacy-restore
 * (ip6tables-legacy-restore for AF_INET6), fixed argument vector, no shell: every table
 * the text names is replaced, the others stay. 0, -ENOENT (the tool is not installed),
 * -ETIMEDOUT, -EIO (it refused: *ERRMSG, if not NULL, gets its stderr, caller frees),
 * -errno.
 */
int cta_legacy_restore(int family, const char *text, size_t len, char **errmsg);

/*
 * TABLE of FAMILY (AF_INET, AF_INET6) as iptables-nft-save (ip6tables-nft-save) prints
 * it, `-t TABLE`, fixed argument vector, no shell: the text of an iptables-nft table's
 * rules with their xt matches and targets as iptables prints them (nft's listing
 * translates those through libxtables, not always rightly: nft/xtcopy.h). *TEXT is
 * NUL-terminated, *LEN bytes, the caller frees it. 0, -ENOENT (the tool is not
 * installed), -ETIMEDOUT (over 10 s), -EIO (it failed, as for a table it cannot read:
 * *ERRMSG, if not NULL, gets its first line of stderr, caller frees), -ENOMEM.
 */
int cta_iptables_nft_save(int family, const char *table, char **text, size_t *len, char **errmsg);

/*
 * A cheap mark of TABLE's rules (FAMILY AF_INET or AF_INET6), from the kernel's
 * description of the table (IPT_SO_GET_INFO: entry offsets, count, size): it changes
 * when a rule is added, deleted or changes size, so a new snapshot is due. A rule
 * replaced by one of the same size keeps it. Only ask for tables that are loaded (the
 * kernel loads a table it is asked about). 0 or -errno (-ENOENT: no such table).
 */
int cta_legacy_table_sig(int family, const char *table, uint64_t *sig);

/*
 * The logger bound to a family decides where ip_tables' TRACE lines go:
 * /proc/sys/net/netfilter/nf_log/2 (IPv4) and /10 (IPv6), per network namespace.
 * Bound to nfnetlink_log, they arrive as NFLOG messages on group 0 (design.md).
 * Loggers called without their own settings log through the binding as well
 * (conntrack's nf_conntrack_log_invalid): while bound, those go to group 0 too; the
 * LOG target and nft's `log` name their logger and are not touched. The binding is
 * a sysctl of the namespace: after `kill -9` it stays nfnetlink_log.
 */
struct cta_nflog_binding {
	char old[2][32]; /* what was there: "nf_log_ipv4", "NONE", ... */
	bool changed[2];
};

/*
 * Bind nfnetlink_log for IPv4 and IPv6, keeping what was there. 0 or -errno; on
 * error nothing stays changed. A family already bound to nfnetlink_log is left as is.
 */
int cta_nflog_binding_set(struct cta_nflog_binding *b);
/* "/proc/sys/net/netfilter/nf_log/2" for AF_INET, "…/10" for AF_INET6, for messages. */
const char *cta_nflog_binding_path(int family);
/* Put back what set changed; safe to call twice. */
void cta_nflog_binding_restore(struct cta_nflog_binding *b);

#endif
