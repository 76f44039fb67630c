/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A flow: every connection between the same two addresses to the same service,
 * whatever ephemeral source port each one used. The source port is kept as the
 * range seen; the reply side is part of the key so NAT shows up as its own flow.
 */
#ifndef CTA_FLOW_H
#define CTA_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/event.h"

enum cta_direction {
	CTA_DIR_UNKNOWN = 0,
	CTA_DIR_IN, /* to a local address (after any DNAT) */
	CTA_DIR_OUT, /* from a local address */
	CTA_DIR_FORWARD, /* through the host */
	CTA_DIR_LOCAL, /* from a local address to a local address */
};

/* The furthest state any connection of the flow reached. */
enum cta_reached {
	CTA_REACHED_UNREPLIED = 0,
	CTA_REACHED_REPLIED,
	CTA_REACHED_ASSURED,
};

/* Compared and hashed as bytes: no padding, always fully zeroed. */
struct cta_flow_key {
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t l4proto;
	uint8_t icmp_type, icmp_code; /* ICMP and ICMPv6 only */
	uint16_t dport; /* the service port, original direction */
	uint16_t reply_sport; /* the service port as the responder saw it (DNAT) */
	union cta_addr src, dst; /* original direction */
	union cta_addr reply_src, reply_dst; /* reply direction */
};

/* A RELATED flow's master: the connection whose helper expected it (the flow's family). */
struct cta_flow_master {
	uint8_t l4proto; /* 0: not known */
	uint16_t dport; /* its service port */
	union cta_addr src, dst; /* its original direction */
};

struct cta_flow {
	struct cta_flow_key key;
	uint8_t direction; /* enum cta_direction */
	uint8_t reached; /* enum cta_reached */
	uint16_t sport_min, sport_max; /* ports: source ports; ICMP: echo ids */
	uint16_t rdport_min, rdport_max; /* reply destination ports (SNAT shows here) */
	uint64_t connections;
	/*
	 * Of connections, leftovers of the time before the recording: found by the start-up
	 * dump already closing (TCP FIN_WAIT ... CLOSE), no packet of them seen since. They
	 * say nothing of the ruleset while recording (cta_flow_leftover, suggest/ir.h).
	 */
	uint64_t leftover;
	uint64_t packets[2], bytes[2]; /* [0] original, [1] reply */
	uint64_t first_ns, last_ns; /* wall clock */
	uint32_t verdict; /* 1 + index in the owner's verdict store; 0: none seen */
	uint32_t host; /* merged sessions: index in the session's hosts, which saw it */
	uint32_t process; /* 1 + index in the owner's process store; 0: none known */
	bool related; /* conntrack expected it: a helper's data connection (ct state related) */
	bool pending; /* record's, made for a verdict before any connection of it (flowtab.h) */
	char helper[CTA_HELPER_NAME_MAX]; /* the conntrack helper of its connections; "" none */
	struct cta_flow_master master; /* related flows: their master, when known */
	/* where its first packet came in and went out, as a trace saw it; "" not known */
	char iif[CTA_IFNAMSIZ], oif[CTA_IFNAMSIZ];
};

/* Protocols with and without ports: nft/event.h (cta_proto_has_ports, cta_proto_is_icmp). */
/* "tcp", "udp", "icmp", "ipv6-icmp"... or NULL for one without a name here. */
const char *cta_proto_name(uint8_t l4proto);
int cta_proto_from_name(const char *name, uint8_t *l4proto);

const char *cta_direction_name(enum cta_direction d);
int cta_direction_from_name(const char *name, enum cta_direction *d);
const char *cta_reached_name(enum cta_reached r);
int cta_reached_from_name(const char *name, enum cta_reached *r);

/* The key of the flow an event belongs to (zeroed first). */
void cta_flow_key_from_event(struct cta_flow_key *k, const struct cta_event *ev);
/*
 * A flow read from a file: ICMP ids given to a message type without an identifier
 * mean nothing, and the writer leaves them out, so they are dropped (both readers).
 */
void cta_flow_drop_stray_ids(struct cta_flow *f);
/* Is the reply direction anything but the mirror of the original (NAT)? */
bool cta_flow_translated(const struct cta_flow *f);
/*
 * Its destination translated (dnat, redirect): the reply comes from another address,
 * or port, than the original went to.
 */
bool cta_flow_dnated(const struct cta_flow *f);
/*
 * Its source address translated (snat, masquerade): the reply goes to another address
 * than the original came from. A source port alone is not asked: conntrack changes it
 * without any NAT rule where two connections would clash.
 */
bool cta_flow_snated(const struct cta_flow *f);

/* Order for listings: protocol, source, destination, source port, service port. */
int cta_flow_cmp(const struct cta_flow *a, const struct cta_flow *b);

/* Take what an event says of helpers: the flow's helper, or that it is related. */
void cta_flow_note_helper(struct cta_flow *f, const struct cta_event *ev);
/* "tcp 198.51.100.7 -> 192.0.2.10:21": a related flow's master, for reports. */
void cta_flow_master_text(const struct cta_flow *f, char *buf, size_t len);

/* Fold b into a (same key): counts add, times and port ranges widen. */
void cta_flow_merge(struct cta_flow *a, const struct cta_flow *b);

#endif
