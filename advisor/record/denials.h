/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Denials as the kernel counted them (nft/kcount.h): per flow (family, source,
 * destination, protocol, destination port or ICMP type and code), first packets that
 * entered the filter hooks minus those that left them. Each listing's counts come
 * in; what is left over in two listings in a row is denied, exactly, with no time
 * window. The judge takes the denials from here and gives them the detail (which
 * rule) that traces and NFLOG saw.
 *
 * Every flow the kernel counted is kept, with the counts of the last listing of each
 * generation of the sets (each listing carries a generation's whole counts; what is
 * new is the difference) and its totals over all of them.
 */
#ifndef CTA_DENIALS_H
#define CTA_DENIALS_H

#include <stdbool.h>
#include <stdint.h>

#include "nft/event.h"
#include "nft/kcount.h"

/* Compared and hashed as bytes: always fully zeroed. */
struct cta_denial_key {
	uint8_t family, l4proto, icmp_type, icmp_code;
	uint16_t dport; /* ports only; 0 for other protocols */
	uint16_t pad;
	union cta_addr src, dst;
};

struct cta_denials_stats {
	uint64_t entered, left; /* first packets, over every listing */
	uint64_t denied; /* packets found denied (entered, never left), handed on */
	uint64_t uncounted; /* flows the kernel could not count every packet of */
	uint64_t unsure; /* their unbalanced packets, that no trace or NFLOG claimed */
	uint64_t listings;
};

struct cta_denials;

struct cta_denials *cta_denials_new(void);
void cta_denials_free(struct cta_denials *d);

/* The key of a packet's flow, as the counting sets key it (dport, or ICMP type/code). */
void cta_denial_key(struct cta_denial_key *k, uint8_t family, uint8_t l4proto,
		    const struct cta_tuple *t);

/* Before a listing's elements come in. */
void cta_denials_next_listing(struct cta_denials *d);
/*
 * Generation gen's sets were emptied (cta_table_flush_counting) after a listing that
 * read them whole, with no rule counting into them: their next counts start from 0.
 */
void cta_denials_retired(struct cta_denials *d, int gen);
/* One element of a listing (cta_kcount_read's callback). 0 or -ENOMEM. */
int cta_denials_add(struct cta_denials *d, const struct cta_kcount_elem *e);
/*
 * A listing is complete: flows with packets entered and not left in this listing and
 * the one before are denied from now_mono on (one listing proves nothing: a set's
 * dump can miss an element while the kernel resizes the set); balanced flows are
 * forgotten.
 */
void cta_denials_listed(struct cta_denials *d, uint64_t now_mono);
/*
 * Is this flow's balance in doubt? Some of its first packets were not counted (the
 * kernel had no memory ready for a new element's counter): a denial then needs
 * more proof than the balance, which the judge has (a trace that saw it dropped).
 */
bool cta_denials_uncounted(const struct cta_denials *d, const struct cta_denial_key *k);
/*
 * Take up to max denied packets of this flow (for the judge, which knows the rule
 * that dropped them); returns how many were taken.
 */
uint64_t cta_denials_take(struct cta_denials *d, const struct cta_denial_key *k, uint64_t max);

/*
 * The kernel's whole count of this flow's first packets that left the filter hooks,
 * over every generation, as of the last listing; 0 for a flow it has not listed.
 */
uint64_t cta_denials_left(const struct cta_denials *d, const struct cta_denial_key *k);
/*
 * Have first packets of flow k left the filter hooks, none of them translated (no
 * element in the nat sets, which are listed after the left sets: one that left
 * translated is in them by then), as a complete listing found (cta_denials_listed)? Its connections' flow is then the one its tuple
 * keys, reply mirrored.
 */
bool cta_denials_untranslated(const struct cta_denials *d, const struct cta_denial_key *k);

/*
 * The judge saw `packets` more denied packets of an attempt of flow k than it could
 * take (cta_denials_take): the balance is the flow's, and an attempt whose packet was
 * listed later took their counts first. The flow's next denials nothing claims are
 * handed on as these packets, not as attempts (cta_denials_expire). Forgotten once more
 * than six listings and more than 15 s have passed since (never listed: no packets the
 * kernel counted).
 * now_mono: monotonic ns. 0 or -ENOMEM.
 */
int cta_denials_owe(struct cta_denials *d, const struct cta_denial_key *k, uint64_t packets,
		    uint64_t now_mono);

/*
 * attempts: denied packets nothing claimed, each an attempt of its own; owed: denied
 * packets of attempts recorded before (cta_denials_owe). One of them may be 0.
 */
typedef int (*cta_denials_cb)(const struct cta_denial_key *k, uint64_t attempts, uint64_t owed,
			      void *data);
/*
 * Hand every flow's denied packets found at least wait_ns ago, by a listing before the
 * last one (with 0: all), to cb and forget them: those nothing claimed with
 * cta_denials_take. A flow in doubt (cta_denials_uncounted) is not handed on: counted
 * as unsure. cb's first error stops it.
 */
int cta_denials_expire(struct cta_denials *d, uint64_t now_mono, uint64_t wait_ns,
		       cta_denials_cb cb, void *data);
/* This flow is known otherwise (record's flow table has it): see cta_denials_each_unseen. */
void cta_denials_mark_seen(struct cta_denials *d, const struct cta_denial_key *k);
/*
 * Every flow not marked seen with connections counted leaving the filter hooks: cb
 * with the kernel's whole counts (the last listing's, since the table was made) of its
 * first packets that left (packets: state new, retransmits and one-way streams
 * included) and of its connections (the first set's: each one's very first packet).
 * Not a flow of a nat set (CTA_KCOUNT_NAT): its original tuple does not say where it
 * went. cb's first error stops it and is returned.
 */
typedef int (*cta_denials_unseen_cb)(const struct cta_denial_key *k, uint64_t packets,
				     uint64_t connections, void *data);
int cta_denials_each_unseen(const struct cta_denials *d, cta_denials_unseen_cb cb, void *data);
const struct cta_denials_stats *cta_denials_stats(const struct cta_denials *d);

#endif
