/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iptables-legacy, seen from the kernel layer: the rules as `iptables-legacy-save`
 * prints them.
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

#endif
