/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * review's scratch network namespace. It is held by a file descriptor only (never
 * named, never mounted), so it is gone when the tool exits, however it exits. The
 * tool steps in to build it (rtnetlink through libmnl: veth pairs named like the
 * recorded interfaces, the recorded addresses, routes, sysctls), to load rulesets
 * and to send packets, and steps out again; sockets opened inside stay inside.
 */
#ifndef CTA_SANDBOX_H
#define CTA_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

struct cta_sandbox;

/* Create it; the caller stays where it was. 0 or -errno (-EPERM: no CAP_SYS_ADMIN). */
int cta_sandbox_new(struct cta_sandbox **out);
/* Leave (if inside) and let it go. */
void cta_sandbox_free(struct cta_sandbox *sb);

/* Step in and out. 0 or -errno. */
int cta_sandbox_enter(struct cta_sandbox *sb);
int cta_sandbox_leave(struct cta_sandbox *sb);

/*
 * Inside: a veth pair, name (like a recorded interface) and its peer, both up; the
 * packets sent into the peer arrive on name. Returns name's ifindex, or -errno.
 */
int cta_sandbox_add_link(struct cta_sandbox *sb, const char *name, const char *peer);
/* Inside: bring an existing interface up (lo). */
int cta_sandbox_link_up(struct cta_sandbox *sb, const char *name);
/* Inside: an address on an interface (IPv6 without duplicate address detection). */
int cta_sandbox_add_addr(struct cta_sandbox *sb, int ifindex, uint8_t family,
			 const union cta_addr *a, uint8_t prefixlen);
/* Inside: the default route of a family out of an interface, on link. */
int cta_sandbox_add_default(struct cta_sandbox *sb, int ifindex, uint8_t family);
/*
 * Inside: a route as recorded (r->dev's index in ifindex, 0 for none; a gateway is
 * added on link, so it need not be reachable), or a policy rule (its interface names
 * need not exist). 0 or the kernel's -errno.
 */
int cta_sandbox_add_route(struct cta_sandbox *sb, const struct cta_route *r, int ifindex);
int cta_sandbox_add_prule(struct cta_sandbox *sb, const struct cta_prule *p);
/* Inside: write a sysctl under /proc/sys/net (this namespace's). */
int cta_sandbox_sysctl(const char *path, const char *value);

/*
 * Inside: send a whole IP packet as if it came from outside on interface name (into
 * its peer), or (ifindex 0) as a local program would (a raw socket: the output path).
 */
int cta_sandbox_send_in(struct cta_sandbox *sb, const char *name, const char *peer,
			const uint8_t *ip, size_t len);
int cta_sandbox_send_out(struct cta_sandbox *sb, const uint8_t *ip, size_t len);

#endif
