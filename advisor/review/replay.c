// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/review/replay.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "advisor/lib/util.h"
#include "advisor/record/listen.h"
#include "advisor/model/session.h"
#include "advisor/record/ltrace.h"
#include "advisor/review/craft.h"
#include "nft/ct.h"
#include "nft/legacy.h"
#include "nft/sandbox.h"
#include "nft/xtcopy.h"

#define WAIT_NS 3000000000ULL /* the longest a replay waits for its traces */

struct link {
	char name[16], peer[16];
	int index;
};

/*
 * A connection the replay follows past its first packet (cta_replay_judge's later):
 * its first packet got through on the flow's way, so the namespace's conntrack holds
 * it, and its reply (headers from that entry's reply tuple: the candidate's NAT shows
 * there) and its next packet go the same way as the host's did.
 */
struct follow {
	bool want; /* its first packet passed on its way */
	bool untracked; /* conntrack did not track its first packet (notrack) */
	bool have_ct; /* its reply's headers are known (reply): conntrack's, or the mirror */
	struct cta_tuple reply;
	uint32_t oif; /* where its first packet left (the trace's), 0: not known */
	struct cta_verdict *reply_v, *next_v; /* references, NULL: no trace judged */
};

/* The phases of a judgement: first packets, replies, next packets. */
enum phase { PHASE_FIRST = 0, PHASE_REPLY, PHASE_NEXT };

/*
 * In the namespace while it judges: the stack's resets (to a replayed SYN no socket
 * listens for, to a SYN-ACK no socket asked for) go before conntrack (-200) sees them,
 * so that the connection stays open for its reply and next packet, and before the own
 * table traces them (-350): they are no flow's packets. Its `ct state` expression
 * makes the kernel run conntrack in the namespace (nf_ct_netns_get, as any ct
 * expression does) when the candidate has none: the host it is for ran conntrack
 * while recording, and a reply is only a reply to conntrack.
 */
#define QUIET_TABLE CTA_REVIEW_TABLE_NAME "_quiet"
static const char quiet_rules[] = "table inet " QUIET_TABLE " {\n"
				  "  chain output {\n"
				  "    type filter hook output priority -400; policy accept;\n"
				  "    tcp flags & rst == rst drop\n"
				  "    ct state untracked counter\n"
				  "  }\n"
				  "}\n";

struct cta_replay {
	struct cta_sandbox *sb;
	const struct cta_host *host;
	struct link *links; /* one per host interface (lo: none) */
	/* while judging */
	const struct cta_flow *flows;
	size_t n;
	struct cta_verdict **verdicts;
	bool *astray; /* per flow of the last cta_replay_judge: see cta_replay_astray */
	bool *reply_astray; /* per flow of the last cta_replay_judge: cta_replay_reply_astray */
	struct follow *follow; /* per flow, with later (cta_replay_judge) */
	enum phase phase;
	struct cta_listen *listen;
	struct cta_ltrace *lt; /* the namespace's legacy tables, when they decide something */
	uint64_t overruns; /* the trace socket's overruns in the last cta_replay_judge */
	char **unbuilt; /* what of the host's routing could not be rebuilt, said for people */
	size_t n_unbuilt;
	bool has_default[2]; /* a recorded default route was rebuilt: [0] IPv4, [1] IPv6 */
};

static int fail(struct cta_err *err, int rc, const char *fmt, const char *what)
{
	snprintf(err->msg, sizeof(err->msg), fmt, what, strerror(-rc));
	return rc;
}

/* Say what could not be rebuilt: "route 192.0.2.0/24 dev wg1 table 254: why". -ENOMEM. */
static int unbuilt(struct cta_replay *r, const char *what, const char *why)
{
	char **n = realloc(r->unbuilt, (r->n_unbuilt + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	r->unbuilt = n;
	if (asprintf(&n[r->n_unbuilt], "%s: %s", what, why) < 0)
		return -ENOMEM;
	r->n_unbuilt++;
	return 0;
}

static void route_text(const struct cta_route *rt, char *buf, size_t len)
{
	char d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	const char *type = cta_route_type_name(rt->type);

	cta_addr_str(rt->family, &rt->dst, d, sizeof(d));
	if (rt->has_gateway)
		cta_addr_str(rt->family, &rt->gateway, g, sizeof(g));
	snprintf(buf, len, "route %s%s%s/%u%s%s%s%s table %u",
		 type && rt->type != RTN_UNICAST ? type : "",
		 type && rt->type != RTN_UNICAST ? " " : "", d, rt->dst_len,
		 rt->has_gateway ? " via " : "", rt->has_gateway ? g : "",
		 rt->dev[0] ? " dev " : "", rt->dev, rt->table);
}

static void prule_text(const struct cta_prule *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "", b[INET6_ADDRSTRLEN] = "", sel[200] = "";
	const char *act = cta_prule_action_name(p->action);
	int n = 0;

	if (p->src_len)
		n += snprintf(sel + n, sizeof(sel) - (size_t)n, "from %s/%u ",
			      cta_addr_str(p->family, &p->src, a, sizeof(a)), p->src_len);
	if (p->dst_len && n < (int)sizeof(sel))
		n += snprintf(sel + n, sizeof(sel) - (size_t)n, "to %s/%u ",
			      cta_addr_str(p->family, &p->dst, b, sizeof(b)), p->dst_len);
	if (p->iif[0] && n < (int)sizeof(sel))
		n += snprintf(sel + n, sizeof(sel) - (size_t)n, "iif %s ", p->iif);
	if (p->oif[0] && n < (int)sizeof(sel))
		n += snprintf(sel + n, sizeof(sel) - (size_t)n, "oif %s ", p->oif);
	if (p->has_fwmark && n < (int)sizeof(sel))
		snprintf(sel + n, sizeof(sel) - (size_t)n, "fwmark %#x/%#x ", p->fwmark, p->fwmask);
	if (p->action == FR_ACT_TO_TBL)
		snprintf(buf, len, "policy rule %u (%s%slookup %u)", p->priority,
			 p->invert ? "not " : "", sel, p->table);
	else
		snprintf(buf, len, "policy rule %u (%s%s%s)", p->priority, p->invert ? "not " : "",
			 sel, act ? act : "action");
}

/* The scratch namespace's index of a recorded interface name: 0 when it has none. */
static int link_index(const struct cta_replay *r, const char *name)
{
	if (!strcmp(name, "lo"))
		return 1;
	for (size_t i = 0; i < r->host->n_ifaces; i++)
		if (!strcmp(r->host->ifaces[i].name, name))
			return r->links[i].index;
	return 0;
}

static int rebuild_route(struct cta_replay *r, const struct cta_route *rt)
{
	char what[200];
	int index = rt->dev[0] ? link_index(r, rt->dev) : 0, rc;

	route_text(rt, what, sizeof(what));
	if (rt->unsupported[0])
		return unbuilt(r, what, rt->unsupported);
	if (rt->dev[0] && !index)
		return unbuilt(r, what, "its interface is not among the recorded ones");
	rc = cta_sandbox_add_route(r->sb, rt, index);
	if (rc)
		return unbuilt(r, what, strerror(-rc));
	if (rt->table == RT_TABLE_MAIN && !rt->dst_len)
		r->has_default[rt->family == AF_INET6] = true;
	return 0;
}

/*
 * The host's routes, then its policy rules, as recorded (session version 3 on); what
 * cannot be rebuilt is kept for the report, not fatal. 0 or -ENOMEM.
 */
static int rebuild_routing(struct cta_replay *r)
{
	const struct cta_host *h = r->host;
	int rc = 0;

	/* gateways first need their on-link routes: those without one go first */
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t i = 0; i < h->n_routes && !rc; i++)
			if (h->routes[i].has_gateway == (pass == 1))
				rc = rebuild_route(r, &h->routes[i]);
	for (size_t i = 0; i < h->n_rules && !rc; i++) {
		const struct cta_prule *p = &h->rules[i];
		char what[200];
		int krc;

		prule_text(p, what, sizeof(what));
		if (p->unsupported[0])
			rc = unbuilt(r, what, p->unsupported);
		else if ((krc = cta_sandbox_add_prule(r->sb, p)))
			rc = unbuilt(r, what, strerror(-krc));
	}
	return rc;
}

size_t cta_replay_unbuilt(const struct cta_replay *r, const char *const **what)
{
	*what = (const char *const *)r->unbuilt;
	return r->n_unbuilt;
}

/* lo is there already; every other interface becomes a veth pair of its name. */
static int build(struct cta_replay *r, struct cta_err *err)
{
	const struct cta_host *h = r->host;
	int def4 = 0, def6 = 0, rc;

	rc = cta_sandbox_link_up(r->sb, "lo");
	if (rc)
		return fail(err, rc, "scratch namespace: %s: %s", "lo");
	for (size_t i = 0; i < h->n_ifaces; i++) {
		const struct cta_iface *ifc = &h->ifaces[i];
		struct link *l = &r->links[i];

		if (!strcmp(ifc->name, "lo")) {
			l->index = 1;
		} else {
			snprintf(l->name, sizeof(l->name), "%s", ifc->name);
			snprintf(l->peer, sizeof(l->peer), "ctapeer%u", (unsigned)(i % 100000));
			rc = cta_sandbox_add_link(r->sb, l->name, l->peer);
			if (rc < 0)
				return fail(err, rc, "scratch namespace: interface %s: %s",
					    l->name);
			l->index = rc;
		}
		for (size_t j = 0; j < ifc->n_addrs; j++) {
			const struct cta_host_addr *a = &ifc->addrs[j];

			/* lo's own loopback addresses are there already */
			if (l->index == 1 && a->prefixlen >= 8 &&
			    ((a->family == AF_INET && a->addr.b[0] == 127) ||
			     (a->family == AF_INET6 && a->prefixlen == 128 && a->addr.b[15] == 1 &&
			      !a->addr.w[0] && !a->addr.w[1] && !a->addr.w[2])))
				continue;
			/*
			 * link-local ones too: the interface makes one of its own, not the
			 * recorded one, and neighbour discovery to it must reach input
			 */
			rc = cta_sandbox_add_addr(r->sb, l->index, a->family, &a->addr,
						  a->prefixlen);
			if (rc)
				return fail(err, rc, "scratch namespace: address on %s: %s",
					    ifc->name);
			if (l->index != 1 && a->family == AF_INET && !def4)
				def4 = l->index;
			if (l->index != 1 && a->family == AF_INET6 && !def6)
				def6 = l->index;
		}
	}
	rc = rebuild_routing(r);
	if (rc)
		return fail(err, rc, "scratch namespace: %s: %s", "routes");
	/* what no route covers goes out of the first interface of its family */
	if (def4 && !r->has_default[0] && (rc = cta_sandbox_add_default(r->sb, def4, AF_INET)))
		return fail(err, rc, "scratch namespace: %s route: %s", "default");
	if (def6 && !r->has_default[1] && (rc = cta_sandbox_add_default(r->sb, def6, AF_INET6)))
		return fail(err, rc, "scratch namespace: %s route: %s", "default IPv6");
	/* forwarded flows pass; a packet from anywhere comes in (no reverse path filter) */
	cta_sandbox_sysctl("ipv4/ip_forward", "1");
	cta_sandbox_sysctl("ipv6/conf/all/forwarding", "1");
	cta_sandbox_sysctl("ipv4/conf/all/rp_filter", "0");
	cta_sandbox_sysctl("ipv4/conf/default/rp_filter", "0");
	/*
	 * a flow from 127.0.0.1 that output's NAT sent elsewhere (a port published on
	 * localhost: Podman, Docker without its proxy) was routed on the host, which had
	 * route_localnet: here, without it, ip_route_me_harder refuses the packet (EINVAL)
	 */
	cta_sandbox_sysctl("ipv4/conf/all/route_localnet", "1");
	cta_sandbox_sysctl("ipv4/conf/default/route_localnet", "1");
	for (size_t i = 0; i < h->n_ifaces; i++) {
		char path[96];

		if (!r->links[i].name[0])
			continue;
		snprintf(path, sizeof(path), "ipv4/conf/%s/rp_filter", r->links[i].name);
		cta_sandbox_sysctl(path, "0");
		snprintf(path, sizeof(path), "ipv4/conf/%s/accept_local", r->links[i].name);
		cta_sandbox_sysctl(path, "1");
	}
	return 0;
}

int cta_replay_new(struct cta_replay **out, const struct cta_host *host, struct cta_err *err)
{
	struct cta_replay *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	err->msg[0] = '\0';
	if (!r || !(r->links = calloc(host->n_ifaces + 1, sizeof(*r->links)))) {
		free(r);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	r->host = host;
	rc = cta_sandbox_new(&r->sb);
	if (rc) {
		free(r->links);
		free(r);
		return fail(err, rc, "cannot create a scratch network namespace%s: %s",
			    rc == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	}
	rc = cta_sandbox_enter(r->sb);
	if (rc)
		fail(err, rc, "cannot enter the scratch namespace%s: %s", "");
	if (!rc)
		rc = build(r, err);
	cta_sandbox_leave(r->sb);
	if (rc) {
		cta_replay_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void cta_replay_free(struct cta_replay *r)
{
	if (!r)
		return;
	cta_sandbox_free(r->sb); /* the namespace goes with its last descriptor */
	for (size_t i = 0; i < r->n_unbuilt; i++)
		free(r->unbuilt[i]);
	free(r->unbuilt);
	free(r->links);
	free(r->astray);
	free(r->reply_astray);
	free(r);
}

int cta_replay_load(struct cta_replay *r, const char *name, const char *text, struct cta_err *err)
{
	char *errors = NULL;
	int rc = cta_sandbox_enter(r->sb);

	if (rc)
		return fail(err, rc, "cannot enter the scratch namespace%s: %s", "");
	rc = text ? cta_nft_run(text, &errors) : cta_nft_run_file(name, &errors);
	cta_sandbox_leave(r->sb);
	if (rc == -EINVAL)
		snprintf(err->msg, sizeof(err->msg), "%s", errors ? errors : "nft refused it");
	else if (rc)
		fail(err, rc, "scratch namespace: loading %s: %s", name);
	free(errors);
	return rc;
}

int cta_replay_put_xt(struct cta_replay *r, uint8_t family, const char *table,
		      const struct cta_xt_rules *live)
{
	struct cta_xt_rules *copy = NULL;
	int rc;

	if (!cta_xt_rules_count(live))
		return 0;
	rc = cta_sandbox_enter(r->sb);
	if (rc)
		return rc;
	rc = cta_xt_rules_dump(family, table, &copy);
	if (!rc)
		rc = cta_xt_rules_put(live, copy);
	cta_sandbox_leave(r->sb);
	cta_xt_rules_free(copy);
	return rc;
}

int cta_replay_legacy_load(struct cta_replay *r, int family, const char *text, size_t len,
			   struct cta_err *err)
{
	char *msg = NULL;
	int rc = cta_sandbox_enter(r->sb);

	if (rc)
		return fail(err, rc, "cannot enter the scratch namespace%s: %s", "");
	rc = cta_legacy_restore(family, text, len, &msg);
	cta_sandbox_leave(r->sb);
	if (rc)
		snprintf(err->msg, sizeof(err->msg), "%s: %s",
			 family == AF_INET6 ? "ip6tables-legacy-restore"
					    : "iptables-legacy-restore",
			 msg ? msg : strerror(-rc));
	free(msg);
	return rc;
}

int cta_replay_legacy_save(struct cta_replay *r, int family, char **text)
{
	size_t len;
	int rc = cta_sandbox_enter(r->sb);

	*text = NULL;
	if (rc)
		return rc;
	rc = cta_legacy_save(family, text, &len, NULL);
	cta_sandbox_leave(r->sb);
	return rc;
}

int cta_replay_listing(struct cta_replay *r, enum cta_listing how, char **text)
{
	int rc = cta_sandbox_enter(r->sb);

	*text = NULL;
	if (rc)
		return rc;
	rc = cta_nft_list_ruleset((enum cta_nft_listing)how, text);
	cta_sandbox_leave(r->sb);
	return rc;
}

/*
 * The interface a flow's packet arrives on: where the trace saw it come in, else the
 * reverse path to its source (cta_host_in_iface).
 */
static const struct link *in_link(const struct cta_replay *r, const struct cta_flow *f)
{
	const char *name = cta_host_in_iface(r->host, f);

	for (size_t i = 0; name && i < r->host->n_ifaces; i++)
		if (r->links[i].name[0] && !strcmp(r->links[i].name, name))
			return &r->links[i];
	return NULL;
}

static bool same_packet(const struct cta_judgement *j, const struct cta_flow *f)
{
	const struct cta_flow_key *k = &f->key;
	size_t alen = k->family == AF_INET ? 4 : 16;

	if (j->family != k->family || j->l4proto != k->l4proto ||
	    memcmp(j->tuple.src.b, k->src.b, alen) || memcmp(j->tuple.dst.b, k->dst.b, alen))
		return false;
	if (cta_proto_has_ports(k->l4proto))
		return j->tuple.sport == f->sport_min && j->tuple.dport == k->dport;
	if (cta_proto_is_icmp(k->l4proto))
		return j->tuple.icmp_type == k->icmp_type;
	return true;
}

/* Is HOOK one of those a flow of direction DIR crosses? */
static bool on_way(enum cta_direction dir, const char *hook)
{
	static const char *const ways[][3] = {
		[CTA_DIR_IN] = { "prerouting", "input", NULL },
		[CTA_DIR_OUT] = { "output", "postrouting", NULL },
		[CTA_DIR_FORWARD] = { "prerouting", "forward", "postrouting" },
	};

	if (!hook || (unsigned)dir >= ARRAY_SIZE(ways))
		return false;
	for (size_t i = 0; i < 3 && ways[dir][i]; i++)
		if (!strcmp(ways[dir][i], hook))
			return true;
	return false;
}

/*
 * Did the packet take the flow's way through the namespace, so that v says what the
 * candidate does to the flow? Dropped by a chain on that way, or let through by a
 * chain of a hook past prerouting on it, or to its end: input for an inbound flow,
 * postrouting for the others, and not input for a forwarded one (the own table's end
 * chains tell, trace.h: reached). A forward flow
 * the host bridged (br_netfilter) comes in as a packet to the namespace itself; a
 * multicast one of a group the namespace has not joined, or one with no route, ends
 * in the stack with no verdict: none of them says anything of the candidate. Nor does
 * a packet of the namespace's own with the same headers (its links' MLD reports from
 * ::, as the host's were): an outbound flow's packet leaves from a socket (through the
 * own output chain), the others' come in on a link.
 */
static bool took_its_way(const struct cta_judgement *j, const struct cta_verdict *v,
			 enum cta_direction dir)
{
	if ((dir == CTA_DIR_OUT) != !!(j->reached & CTA_REACHED_OUTPUT))
		return false;
	if (cta_verdict_denies(v))
		return v->n_deciders && on_way(dir, v->deciders[0].hook);
	if (dir == CTA_DIR_FORWARD && (j->reached & CTA_REACHED_INPUT))
		return false;
	/*
	 * let through by a rule or policy of the way's last filter hook: its end not
	 * reached when a rule took the packet there (synproxy answers a SYN itself)
	 */
	for (size_t i = 0; i < v->n_deciders; i++)
		if (v->deciders[i].type != CTA_VTYPE_NONE && on_way(dir, v->deciders[i].hook) &&
		    strcmp(v->deciders[i].hook, "prerouting"))
			return true;
	switch (dir) {
	case CTA_DIR_IN:
		return j->reached & CTA_REACHED_INPUT;
	case CTA_DIR_OUT:
	case CTA_DIR_FORWARD:
		return j->reached & CTA_REACHED_POSTROUTING;
	default:
		return false;
	}
}

/*
 * Did an outgoing or forwarded flow's replayed packet leave by another interface than
 * the one its first packet left by here (the flow's oif, from its trace)? Routing
 * decided otherwise: by a mark the replay cannot give the packet (wg-quick's fwmark
 * and its policy rules), a socket bound to a device, a route the namespace lacks.
 */
static bool left_elsewhere(const struct cta_replay *r, const struct cta_judgement *j,
			   const struct cta_flow *f)
{
	int want;

	if (f->direction == CTA_DIR_IN || !f->oif[0] || !j->oif)
		return false;
	want = link_index(r, f->oif);
	return want > 0 && (uint32_t)want != j->oif;
}

/* The direction of a flow's replies: an inbound flow's leave, an outbound one's come in. */
static enum cta_direction reply_direction(enum cta_direction dir)
{
	return dir == CTA_DIR_IN ? CTA_DIR_OUT : dir == CTA_DIR_OUT ? CTA_DIR_IN : dir;
}

/*
 * The type of an ICMP/ICMPv6 request's answer (echo's echo reply); for a message that
 * has none here, 0xff (ICMP, where 0 is echo reply) or 0 (ICMPv6).
 */
static uint8_t icmp_answer(uint8_t l4proto, uint8_t type)
{
	if (l4proto == IPPROTO_ICMP)
		return type == 8 ? 0 : 0xff; /* echo: echo reply (0) */
	return type == 128 ? 129 : 0; /* ICMPv6 echo request: echo reply */
}

/*
 * Is j a later packet of f's connection, in the phase's direction? Judged when
 * conntrack took it for one (established, in the trace's ct direction: 0 original, 1
 * reply), and when no trace of it names a conntrack entry: conntrack left it
 * untracked as the first (notrack), or a chain before conntrack (priority raw)
 * decided it; not when conntrack called it new or invalid: a reply it refused for reasons
 * of its own says nothing of the candidate.
 */
static bool later_packet(const struct cta_replay *r, const struct cta_judgement *j,
			 const struct cta_flow *f, const struct follow *fw)
{
	size_t alen = f->key.family == AF_INET ? 4 : 16;
	uint8_t dir = r->phase == PHASE_NEXT ? 0 : 1;

	if (j->has_ct && (!(j->ct_state & NF_CT_STATE_BIT(IP_CT_ESTABLISHED)) || j->ct_dir != dir))
		return false;
	if (r->phase == PHASE_NEXT)
		return same_packet(j, f);
	if (j->family != f->key.family || j->l4proto != f->key.l4proto ||
	    memcmp(j->tuple.src.b, fw->reply.src.b, alen) ||
	    memcmp(j->tuple.dst.b, fw->reply.dst.b, alen))
		return false;
	if (cta_proto_has_ports(f->key.l4proto))
		return j->tuple.sport == fw->reply.sport && j->tuple.dport == fw->reply.dport;
	return j->tuple.icmp_type == icmp_answer(f->key.l4proto, f->key.icmp_type);
}

/*
 * Did an inbound or forwarded flow's replayed reply leave by another interface than
 * the one its first packet came in on (the flow's iif)? A mark the candidate no
 * longer restores (`meta mark set ct mark` and a policy rule per uplink) routes it out
 * the other uplink, where its answer is lost.
 */
static bool reply_elsewhere(const struct cta_replay *r, const struct cta_judgement *j,
			    const struct cta_flow *f)
{
	int want;

	if (f->direction == CTA_DIR_OUT || !f->iif[0] || !j->oif)
		return false;
	want = link_index(r, f->iif);
	return want > 0 && (uint32_t)want != j->oif;
}

/* A reply's or next packet's trace: the verdict of each connection it belongs to. */
static void on_later(struct cta_replay *r, const struct cta_judgement *j)
{
	struct cta_verdict *v = NULL;

	for (size_t i = 0; i < r->n; i++) {
		struct follow *fw = &r->follow[i];
		struct cta_verdict **slot = r->phase == PHASE_REPLY ? &fw->reply_v : &fw->next_v;
		enum cta_direction dir = r->phase == PHASE_REPLY
						 ? reply_direction(r->flows[i].direction)
						 : (enum cta_direction)r->flows[i].direction;

		if (!fw->have_ct || *slot || !later_packet(r, j, &r->flows[i], fw))
			continue;
		if (!v && !(v = cta_ltrace_judgement(r->lt, j, cta_listen_ruleset(r->listen),
						     CTA_VSOURCE_REPLAY)))
			return;
		if (r->phase == PHASE_REPLY && !cta_verdict_denies(v) &&
		    reply_elsewhere(r, j, &r->flows[i]))
			r->reply_astray[i] = true;
		else if (took_its_way(j, v, dir))
			*slot = cta_verdict_ref(v);
	}
	cta_verdict_unref(v);
}

static void on_judgement(const struct cta_judgement *j, void *data)
{
	struct cta_replay *r = data;
	struct cta_verdict *v = NULL;

	if (r->phase != PHASE_FIRST) {
		if (!j->by_kernel)
			on_later(r, j);
		return;
	}
	if ((j->has_ct && j->ct_dir != 0) || j->by_kernel)
		return; /* an answer of the stack (a reset, an unreachable), synproxy's SYN */
	/* flows of the same first packet (the management session, also recorded) share it */
	for (size_t i = 0; i < r->n; i++) {
		if (r->verdicts[i] || !same_packet(j, &r->flows[i]))
			continue;
		if (!v) {
			v = cta_ltrace_judgement(r->lt, j, cta_listen_ruleset(r->listen),
						 CTA_VSOURCE_REPLAY);
			if (!v)
				return;
		}
		/* a translated flow's way is the candidate's NAT's to decide: judged */
		r->astray[i] = !cta_flow_translated(&r->flows[i]) &&
			       (!took_its_way(j, v, r->flows[i].direction) ||
				left_elsewhere(r, j, &r->flows[i]));
		if (!r->astray[i])
			r->verdicts[i] = cta_verdict_ref(v);
		if (r->follow && !r->astray[i]) {
			r->follow[i].oif = j->oif;
			/* the kernel's trace names no conntrack entry for an untracked one */
			r->follow[i].untracked = !j->has_ct;
		}
	}
	cta_verdict_unref(v);
}

bool cta_replay_rebuilds(const struct cta_replay *r, const struct cta_flow *f)
{
	return f->direction != CTA_DIR_IN || cta_host_direction(r->host, &f->key) == CTA_DIR_IN;
}

/* A packet of f's original direction (its first, its next) sent the way f came. */
static int send_along(struct cta_replay *r, const struct cta_flow *f, const uint8_t *pkt,
		      size_t len)
{
	const struct link *l;

	switch (f->direction) {
	case CTA_DIR_OUT:
		return cta_sandbox_send_out(r->sb, pkt, len);
	case CTA_DIR_IN:
	case CTA_DIR_FORWARD:
		l = in_link(r, f);
		return l ? cta_sandbox_send_in(r->sb, l->name, l->peer, pkt, len) : -ENODEV;
	default:
		return 0;
	}
}

/*
 * Read what the trace sockets hold, waiting up to timeout_ms for it, and finish the
 * packets quiet long enough. Whether trace messages came; -errno.
 */
static int hear(struct cta_replay *r, int timeout_ms)
{
	struct pollfd p[2] = { { cta_listen_fd(r->listen), POLLIN, 0 },
			       { cta_ltrace_fd(r->lt), POLLIN, 0 } };
	int got;

	if (poll(p, 2, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	if (p[1].revents & POLLIN)
		(void)cta_ltrace_read(r->lt, cta_now_mono_ns());
	got = cta_listen_read(r->listen);
	cta_listen_flush(r->listen, cta_now_mono_ns(), false);
	return got > 0;
}

static int send_flow(struct cta_replay *r, const struct cta_flow *f)
{
	uint8_t pkt[CTA_CRAFT_MAX];
	size_t len = cta_craft_first_packet(f, pkt);

	if (!cta_replay_rebuilds(r, f))
		return 0; /* not judged: see replay.h */
	return send_along(r, f, pkt, len);
}

/*
 * The reply to f's first packet, as the scratch conntrack entry expects it (fw->reply):
 * a SYN-ACK acknowledging the SYN, a datagram, an echo reply. false for protocols the
 * replay does not follow (SCTP, DCCP: their own state machines; ICMP other than echo).
 */
static bool craft_reply(const struct cta_flow *f, const struct follow *fw, struct cta_craft *c)
{
	cta_craft_first(f, c);
	c->src = fw->reply.src;
	c->dst = fw->reply.dst;
	switch (f->key.l4proto) {
	case IPPROTO_TCP:
		c->tcp_flags = CTA_CRAFT_SYN | CTA_CRAFT_ACK;
		c->seq = CTA_CRAFT_ISN ^ 0xffffu;
		c->ack = CTA_CRAFT_ISN + 1;
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		c->sport = fw->reply.sport;
		c->dport = fw->reply.dport;
		return true;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		c->icmp_type = icmp_answer(f->key.l4proto, f->key.icmp_type);
		c->icmp_code = 0;
		return c->icmp_type != 0xff && (f->key.l4proto == IPPROTO_ICMP || c->icmp_type);
	default:
		return false;
	}
}

/* The reply goes back the way the first packet came: out of a socket, or in by its oif. */
static int send_reply(struct cta_replay *r, size_t i)
{
	const struct cta_flow *f = &r->flows[i];
	struct follow *fw = &r->follow[i];
	uint8_t pkt[CTA_CRAFT_MAX];
	struct cta_craft c;
	size_t len;

	if (!fw->have_ct || !craft_reply(f, fw, &c))
		return 0;
	len = cta_craft_packet(&c, pkt);
	if (f->direction == CTA_DIR_IN)
		return cta_sandbox_send_out(r->sb, pkt, len);
	for (size_t k = 0; fw->oif && k < r->host->n_ifaces; k++)
		if (r->links[k].name[0] && (uint32_t)r->links[k].index == fw->oif)
			return cta_sandbox_send_in(r->sb, r->links[k].name, r->links[k].peer, pkt,
						   len);
	return 0; /* left by an interface not known: not followed */
}

/* f's next packet once its reply got through: the handshake's ACK, another datagram. */
static int send_next(struct cta_replay *r, size_t i)
{
	const struct cta_flow *f = &r->flows[i];
	uint8_t pkt[CTA_CRAFT_MAX];
	struct cta_craft c;

	if (!r->follow[i].reply_v || cta_verdict_denies(r->follow[i].reply_v) ||
	    cta_proto_is_icmp(f->key.l4proto))
		return 0;
	cta_craft_first(f, &c);
	if (f->key.l4proto == IPPROTO_TCP) {
		c.tcp_flags = CTA_CRAFT_ACK;
		c.seq = CTA_CRAFT_ISN + 1;
		c.ack = (CTA_CRAFT_ISN ^ 0xffffu) + 1;
	}
	return send_along(r, f, pkt, cta_craft_packet(&c, pkt));
}

/* A scratch conntrack entry: the reply tuple of the followed flow it is the entry of. */
static void on_entry(const struct cta_event *ev, void *data)
{
	struct cta_replay *r = data;

	for (size_t i = 0; i < r->n; i++) {
		const struct cta_flow *f = &r->flows[i];
		const struct cta_flow_key *k = &f->key;
		size_t alen = k->family == AF_INET ? 4 : 16;
		struct follow *fw = &r->follow[i];

		if (!fw->want || fw->have_ct || ev->family != k->family ||
		    ev->l4proto != k->l4proto || memcmp(ev->orig.src.b, k->src.b, alen) ||
		    memcmp(ev->orig.dst.b, k->dst.b, alen) || ev->orig.sport != f->sport_min)
			continue;
		if (cta_proto_has_ports(k->l4proto) ? ev->orig.dport != k->dport
						    : ev->orig.icmp_type != k->icmp_type)
			continue;
		fw->reply = ev->reply;
		fw->have_ct = true;
	}
}

/*
 * Inside: every flow's first packet, one at a time through the hooks. The traces are
 * read as they come: a packet through a few tables makes some 10..30 trace messages,
 * and a few thousand flows' worth overflow any receive buffer (the rest would come
 * back "not judged").
 */
static int send_all(struct cta_replay *r, struct cta_err *err)
{
	for (size_t i = 0; i < r->n; i++) {
		struct timespec gap = { 0, 200000 };
		int rc = send_flow(r, &r->flows[i]);

		if (rc)
			return fail(err, rc, "scratch namespace: sending a packet (%s): %s",
				    cta_direction_name(r->flows[i].direction));
		nanosleep(&gap, NULL);
		rc = hear(r, 0);
		if (rc < 0)
			return fail(err, rc, "scratch namespace: reading traces%s: %s", "");
	}
	return 0;
}

/* Read traces until they have been quiet for the listener's idle time, or WAIT_NS. */
static int hear_all(struct cta_replay *r)
{
	uint64_t start, quiet_since, now;

	start = quiet_since = cta_now_mono_ns();
	for (;;) {
		int got = hear(r, 50);

		if (got < 0)
			return got;
		now = cta_now_mono_ns();
		if (got)
			quiet_since = now;
		if (now - quiet_since >= CTA_LISTEN_IDLE_NS || now - start >= WAIT_NS)
			break;
	}
	cta_listen_flush(r->listen, cta_now_mono_ns(), true);
	return 0;
}

/*
 * Inside, after the first packets: the followed connections' replies, then their next
 * packets, each phase heard to its end before the next begins. 0 or -errno.
 */
static int send_later(struct cta_replay *r, struct cta_err *err)
{
	struct cta_ct *ct;
	int rc;

	for (size_t i = 0; i < r->n; i++)
		r->follow[i].want = r->verdicts[i] && !cta_verdict_denies(r->verdicts[i]);
	rc = cta_ct_open(&ct, 1u << 20, false);
	if (!rc) {
		rc = cta_ct_dump(ct, on_entry, r, NULL);
		cta_ct_free(ct);
	}
	if (rc)
		return fail(err, rc, "scratch namespace: listing conntrack%s: %s", "");
	/* an untracked connection has no entry: its reply mirrors it (no NAT without one) */
	for (size_t i = 0; i < r->n; i++) {
		struct follow *fw = &r->follow[i];
		const struct cta_flow_key *k = &r->flows[i].key;

		if (!fw->want || fw->have_ct || !fw->untracked)
			continue;
		memset(&fw->reply, 0, sizeof(fw->reply));
		fw->reply.src = k->dst;
		fw->reply.dst = k->src;
		fw->reply.sport = k->dport;
		fw->reply.dport = r->flows[i].sport_min;
		if (cta_proto_is_icmp(k->l4proto))
			fw->reply.sport = r->flows[i].sport_min; /* the echo identifier */
		fw->have_ct = true;
	}
	for (r->phase = PHASE_REPLY; r->phase <= PHASE_NEXT; r->phase++) {
		for (size_t i = 0; i < r->n; i++) {
			struct timespec gap = { 0, 200000 };

			rc = r->phase == PHASE_REPLY ? send_reply(r, i) : send_next(r, i);
			if (rc)
				return fail(err, rc, "scratch namespace: sending a packet (%s): %s",
					    r->phase == PHASE_REPLY ? "a reply" : "a next packet");
			nanosleep(&gap, NULL);
			if ((rc = hear(r, 0)) < 0)
				return fail(err, rc, "scratch namespace: reading traces%s: %s", "");
		}
		if ((rc = hear_all(r)))
			return fail(err, rc, "scratch namespace: reading traces%s: %s", "");
	}
	return 0;
}

/* A followed flow's later verdict: the first of its reply and next packet that was denied. */
static struct cta_verdict *later_verdict(const struct follow *fw)
{
	if (!fw->reply_v || cta_verdict_denies(fw->reply_v) || !cta_verdict_denies(fw->next_v))
		return cta_verdict_ref(fw->reply_v);
	return cta_verdict_ref(fw->next_v);
}

/* The quiet table in (on true) or out of the namespace, where the caller is. */
static int quiet(bool on, struct cta_err *err)
{
	char *errors = NULL;
	int rc = cta_nft_run(on ? quiet_rules : "delete table inet " QUIET_TABLE "\n", &errors);

	if (rc)
		snprintf(err->msg, sizeof(err->msg), "scratch namespace: the table %s: %s",
			 QUIET_TABLE, errors ? errors : strerror(-rc));
	free(errors);
	return rc;
}

int cta_replay_judge(struct cta_replay *r, const struct cta_flow *flows, size_t n,
		     struct cta_verdict **verdicts, struct cta_verdict **later,
		     struct cta_verdict **later_next, struct cta_err *err)
{
	struct cta_table_config cfg = { .name = CTA_REVIEW_TABLE_NAME, .trace = CTA_TRACE_ALL };
	struct cta_listen_config lc = {
		.table = &cfg,
		.rcvbuf = 16u << 20,
		.xt_saved = true, /* the copy's xt rules are live's (xtcopy.h) */
		.on_judgement = on_judgement,
		.data = r
	};
	struct cta_listen_error le;
	struct cta_err lerr = { "" };
	int rc;

	for (size_t i = 0; i < n; i++) {
		verdicts[i] = NULL;
		if (later)
			later[i] = NULL;
		if (later_next)
			later_next[i] = NULL;
	}
	free(r->astray);
	free(r->reply_astray);
	r->reply_astray = NULL;
	if (!(r->astray = calloc(n ? n : 1, sizeof(*r->astray))) ||
	    !(r->reply_astray = calloc(n ? n : 1, sizeof(*r->reply_astray))))
		return fail(err, -ENOMEM, "replay%s: %s", "");
	if (later && !(r->follow = calloc(n ? n : 1, sizeof(*r->follow))))
		return fail(err, -ENOMEM, "replay%s: %s", "");
	r->flows = flows;
	r->n = n;
	r->overruns = 0;
	r->verdicts = verdicts;
	r->phase = PHASE_FIRST;
	rc = cta_sandbox_enter(r->sb);
	if (rc) {
		free(r->follow);
		r->follow = NULL;
		return fail(err, rc, "cannot enter the scratch namespace%s: %s", "");
	}
	if ((rc = quiet(true, err))) {
		cta_sandbox_leave(r->sb);
		free(r->follow);
		r->follow = NULL;
		return rc;
	}
	/* listen before marking, list before sending: every trace is heard and named */
	rc = cta_listen_new(&r->listen, &lc, &le);
	if (rc)
		fail(err, rc, "scratch namespace: tracing (%s): %s",
		     le.object[0] ? le.object : "setup");
	/* the namespace's own nf_log binding for its legacy tables: it goes with it */
	if (!rc && (rc = cta_ltrace_open(&r->lt, true, &lerr)))
		snprintf(err->msg, sizeof(err->msg), "scratch namespace: iptables-legacy: %.900s",
			 lerr.msg[0] ? lerr.msg : strerror(-rc));
	if (!rc)
		rc = send_all(r, err);
	if (!rc && (rc = hear_all(r)))
		fail(err, rc, "scratch namespace: reading traces%s: %s", "");
	if (!rc && r->follow)
		rc = send_later(r, err);
	if (r->listen)
		r->overruns = cta_listen_stats(r->listen)->overruns;
	cta_ltrace_free(r->lt);
	r->lt = NULL;
	cta_listen_free(r->listen);
	r->listen = NULL;
	if (quiet(false, &lerr) && !rc) {
		snprintf(err->msg, sizeof(err->msg), "%s", lerr.msg);
		rc = -EIO;
	}
	cta_sandbox_leave(r->sb);
	for (size_t i = 0; r->follow && i < n; i++) {
		if (!rc)
			later[i] = later_verdict(&r->follow[i]);
		/* the next packet's path too: the chains it crossed (input, for an inbound one) */
		if (!rc && later_next)
			later_next[i] = cta_verdict_ref(r->follow[i].next_v);
		cta_verdict_unref(r->follow[i].reply_v);
		cta_verdict_unref(r->follow[i].next_v);
	}
	free(r->follow);
	r->follow = NULL;
	r->phase = PHASE_FIRST;
	return rc;
}

uint64_t cta_replay_traces_lost(const struct cta_replay *r)
{
	return r->overruns;
}

bool cta_replay_astray(const struct cta_replay *r, size_t i)
{
	return r->astray && i < r->n && r->astray[i];
}

bool cta_replay_reply_astray(const struct cta_replay *r, size_t i)
{
	return r->reply_astray && i < r->n && r->reply_astray[i];
}
