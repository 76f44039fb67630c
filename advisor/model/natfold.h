/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A flow NAT translated, seen from both ends. A first packet the filter hooks dropped
 * made no connection, so record knows its denial by the original tuple alone: it is
 * booked on a flow whose reply is the mirror of the original (cta_flowtab_add_denied).
 * The connections of the same original tuple that were let through carry the reply
 * NAT gave them (DNAT to a server behind a router, a port forward): a flow of another
 * key. Both are the one flow an administrator asks about (`blame` of the forwarded
 * port, `review` of its rule), whose attempts a rate limit let through or dropped.
 */
#ifndef CTA_NATFOLD_H
#define CTA_NATFOLD_H

#include <stddef.h>

#include "advisor/model/flow.h"
#include "advisor/model/verdict.h"

/*
 * Fold each flow of flows[0..*n) all of whose connections were denied attempts (no
 * bytes counted: conntrack counts those of every connection it let through, and
 * record switches its accounting on) into the translated flow of its original side
 * (family, protocol, source, destination, destination port or ICMP type and code)
 * when there is exactly one and its direction is the same (a denial a trace saw in
 * the forward hook, for a DNAT to another host: cta_flowtab_set_direction); with
 * several (DNAT to a pool of servers) the attempt is none of theirs to choose, and it
 * stays. So does one of another direction: dropped at input, where the port is the
 * host's own (the DNAT rule gone meanwhile), or not traced (its direction is only
 * what its addresses say). Counts and port ranges add (cta_flow_merge);
 * its verdict counts go to the translated flow's, and a process to one that has none.
 *
 * tallies[i] is flows[i]'s own slot (flows[i].verdict is i + 1, or 0 for none yet),
 * and stays with it: a flow folded away leaves its slot empty (cta_vtally_fini), and
 * the array as many slots as before. The flows left keep their order; *n is how many.
 * Returns how many were folded, or -ENOMEM (then discard flows and tallies: a fold may
 * have been half done).
 */
int cta_flows_fold_nat(struct cta_flow *flows, size_t *n, struct cta_vtally *tallies);

#endif
