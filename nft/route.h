/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * This namespace's routes and policy rules, dumped over rtnetlink (libmnl) and parsed
 * by nft/routemsg.h: what review rebuilds in its scratch namespace besides the
 * interfaces and addresses.
 */
#ifndef CTA_ROUTE_H
#define CTA_ROUTE_H

#include "nft/event.h"

typedef int (*cta_route_cb)(const struct cta_route *r, void *data);
typedef int (*cta_prule_cb)(const struct cta_prule *p, void *data);

/*
 * Dump every route (both families, every table but local; dev named; r->kernel for
 * those the kernel made) to on_route and
 * every rule but the kernel's defaults to on_rule (either may be NULL). A callback's
 * non-zero return stops the dump and is returned. 0 or -errno.
 */
int cta_route_dump(cta_route_cb on_route, cta_prule_cb on_rule, void *data);

#endif
