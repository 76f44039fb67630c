// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctnetlink message -> struct cta_event through libnetfilter_conntrack: the message
 * is checked against the library's rules, parsed by nfct_nlmsg_parse() into one
 * reused struct nf_conntrack and read back with its getters.
 *
 * Why the check: the library (1.0.9, src/conntrack/parse_mnl.c) validates each known
 * attribute with mnl_attr_validate() and calls exit() through abi_breakage() when one
 * fails; it copies CTA_HELP_NAME with "%s" and CTA_SECCTX_NAME with strdup() without
 * looking for their NUL; and it walks CTA_PROTOINFO with CTA_PROTOINFO_TCP_MAX as the
 * bound into a table of CTA_PROTOINFO_MAX + 1 entries, so a protoinfo attribute of
 * type 4 or 5 is written past it. The rules below are the library's, in its own
 * header's numbering, made strict where it is not safe.
 */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft/ctmsg.h"

/* What one attribute type must look like inside a nest. */
enum {
	R_ANY = 0, /* not validated by the library: anything */
	R_FIXED, /* exactly len bytes of payload (MNL_TYPE_U8..U64, validate2) */
	R_NEST, /* empty, or room for one attribute header; then sub, recursively */
	R_STR, /* a NUL-terminated string (the library copies it as one) */
	R_MAX, /* at most len bytes */
	R_BAD, /* a type the library mishandles: reject the message */
};

struct policy;

struct rule {
	uint8_t kind;
	uint16_t len;
	const struct policy *sub;
};

struct policy {
	int max; /* the bound the library's walk uses: types above it are skipped */
	const struct rule *rules;
};

/* clang-format off */
#define FIXED(n) { .kind = R_FIXED, .len = (n) }
#define NEST(p) { .kind = R_NEST, .sub = &(p) }
#define STR { .kind = R_STR }
/* clang-format on */
#define POLICY(name, max, ...)                                          \
	static const struct rule name##_rules[(max) + 1] = __VA_ARGS__; \
	static const struct policy name = { (max), name##_rules }

POLICY(ip_pol, CTA_IP_MAX,
       { [CTA_IP_V4_SRC] = FIXED(4),
	 [CTA_IP_V4_DST] = FIXED(4),
	 [CTA_IP_V6_SRC] = FIXED(16),
	 [CTA_IP_V6_DST] = FIXED(16) });
POLICY(proto_pol, CTA_PROTO_MAX,
       { [CTA_PROTO_NUM] = FIXED(1),
	 [CTA_PROTO_SRC_PORT] = FIXED(2),
	 [CTA_PROTO_DST_PORT] = FIXED(2),
	 [CTA_PROTO_ICMP_ID] = FIXED(2),
	 [CTA_PROTO_ICMP_TYPE] = FIXED(1),
	 [CTA_PROTO_ICMP_CODE] = FIXED(1),
	 [CTA_PROTO_ICMPV6_ID] = FIXED(2),
	 [CTA_PROTO_ICMPV6_TYPE] = FIXED(1),
	 [CTA_PROTO_ICMPV6_CODE] = FIXED(1) });
POLICY(tuple_pol, CTA_TUPLE_MAX,
       { [CTA_TUPLE_IP] = NEST(ip_pol),
	 [CTA_TUPLE_PROTO] = NEST(proto_pol),
	 [CTA_TUPLE_ZONE] = FIXED(2) });
POLICY(tcp_pol, CTA_PROTOINFO_TCP_MAX,
       { [CTA_PROTOINFO_TCP_STATE] = FIXED(1),
	 [CTA_PROTOINFO_TCP_WSCALE_ORIGINAL] = FIXED(1),
	 [CTA_PROTOINFO_TCP_WSCALE_REPLY] = FIXED(1),
	 [CTA_PROTOINFO_TCP_FLAGS_ORIGINAL] = FIXED(2) /* struct nf_ct_tcp_flags */,
	 [CTA_PROTOINFO_TCP_FLAGS_REPLY] = FIXED(2) /* struct nf_ct_tcp_flags */ });
POLICY(sctp_pol, CTA_PROTOINFO_SCTP_MAX,
       { [CTA_PROTOINFO_SCTP_STATE] = FIXED(1),
	 [CTA_PROTOINFO_SCTP_VTAG_ORIGINAL] = FIXED(4),
	 [CTA_PROTOINFO_SCTP_VTAG_REPLY] = FIXED(4) });
POLICY(dccp_pol, CTA_PROTOINFO_DCCP_MAX,
       { [CTA_PROTOINFO_DCCP_STATE] = FIXED(1),
	 [CTA_PROTOINFO_DCCP_ROLE] = FIXED(1),
	 [CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ] = FIXED(8) });
/* the library's bound here is CTA_PROTOINFO_TCP_MAX, its table CTA_PROTOINFO_MAX + 1 */
POLICY(protoinfo_pol, CTA_PROTOINFO_TCP_MAX,
       { [CTA_PROTOINFO_TCP] = NEST(tcp_pol),
	 [CTA_PROTOINFO_DCCP] = NEST(dccp_pol),
	 [CTA_PROTOINFO_SCTP] = NEST(sctp_pol),
	 [CTA_PROTOINFO_MAX + 1 ... CTA_PROTOINFO_TCP_MAX] = { .kind = R_BAD } });
POLICY(counters_pol, CTA_COUNTERS_MAX,
       { [CTA_COUNTERS_PACKETS] = FIXED(8),
	 [CTA_COUNTERS_BYTES] = FIXED(8),
	 [CTA_COUNTERS32_PACKETS] = FIXED(4),
	 [CTA_COUNTERS32_BYTES] = FIXED(4) });
POLICY(natseq_pol, CTA_NAT_SEQ_MAX,
       { [CTA_NAT_SEQ_CORRECTION_POS] = FIXED(4),
	 [CTA_NAT_SEQ_OFFSET_BEFORE] = FIXED(4),
	 [CTA_NAT_SEQ_OFFSET_AFTER] = FIXED(4) });
POLICY(help_pol, CTA_HELP_MAX, { [CTA_HELP_NAME] = STR });
POLICY(secctx_pol, CTA_SECCTX_MAX, { [CTA_SECCTX_NAME] = STR });
POLICY(timestamp_pol, CTA_TIMESTAMP_MAX,
       { [CTA_TIMESTAMP_START] = FIXED(8), [CTA_TIMESTAMP_STOP] = FIXED(8) });
POLICY(synproxy_pol, CTA_SYNPROXY_MAX,
       { [CTA_SYNPROXY_ISN] = FIXED(4),
	 [CTA_SYNPROXY_ITS] = FIXED(4),
	 [CTA_SYNPROXY_TSOFF] = FIXED(4) });
POLICY(ct_pol, CTA_MAX,
       { [CTA_TUPLE_ORIG] = NEST(tuple_pol),
	 [CTA_TUPLE_REPLY] = NEST(tuple_pol),
	 [CTA_TUPLE_MASTER] = NEST(tuple_pol),
	 [CTA_NAT_SEQ_ADJ_ORIG] = NEST(natseq_pol),
	 [CTA_NAT_SEQ_ADJ_REPLY] = NEST(natseq_pol),
	 [CTA_PROTOINFO] = NEST(protoinfo_pol),
	 [CTA_COUNTERS_ORIG] = NEST(counters_pol),
	 [CTA_COUNTERS_REPLY] = NEST(counters_pol),
	 [CTA_HELP] = NEST(help_pol),
	 [CTA_SECCTX] = NEST(secctx_pol),
	 [CTA_TIMESTAMP] = NEST(timestamp_pol),
	 [CTA_SYNPROXY] = NEST(synproxy_pol),
	 [CTA_STATUS] = FIXED(4),
	 [CTA_TIMEOUT] = FIXED(4),
	 [CTA_MARK] = FIXED(4),
	 [CTA_SECMARK] = FIXED(4),
	 [CTA_USE] = FIXED(4),
	 [CTA_ID] = FIXED(4),
	 [CTA_ZONE] = FIXED(2),
	 /* a bitmask of len * 8 bits: nfct_bitmask_new() refuses more than 2^16 */
	 [CTA_LABELS] = { .kind = R_MAX, .len = 8192 } });

static int check_rule(const struct nlattr *a, const struct rule *r);

/*
 * The attributes in [p, p + len), walked as libmnl's mnl_attr_for_each_payload() does:
 * up to the first that does not fit, which the library does not see either.
 */
static int check_attrs(const void *p, size_t len, const struct policy *pol)
{
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = p;
		size_t alen = a->nla_len, step = MNL_ALIGN(alen);
		int type = a->nla_type & NLA_TYPE_MASK;

		if (alen < sizeof(*a) || alen > len)
			break;
		if (type <= pol->max && check_rule(a, &pol->rules[type]))
			return -EBADMSG;
		if (step >= len)
			break;
		p = (const char *)p + step;
		len -= step;
	}
	return 0;
}

static int check_rule(const struct nlattr *a, const struct rule *r)
{
	size_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	switch (r->kind) {
	case R_FIXED:
		return len == r->len ? 0 : -EBADMSG;
	case R_NEST:
		if (len && len < MNL_ATTR_HDRLEN)
			return -EBADMSG;
		return check_attrs(s, len, r->sub);
	case R_STR:
		return len && !s[len - 1] ? 0 : -EBADMSG;
	case R_MAX:
		return len <= r->len ? 0 : -EBADMSG;
	case R_BAD:
		return -EBADMSG;
	default:
		return 0;
	}
}

int cta_ctmsg_check(const struct nlmsghdr *nlh)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

	if (nlh->nlmsg_len < hdr)
		return -EBADMSG;
	return check_attrs((const char *)nlh + hdr, nlh->nlmsg_len - hdr, &ct_pol);
}

struct cta_ctmsg {
	struct nf_conntrack *ct; /* parsed into, message after message */
	struct nf_conntrack *blank; /* never parsed into: what ct is reset from */
};

int cta_ctmsg_new(struct cta_ctmsg **out)
{
	struct cta_ctmsg *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->ct = nfct_new();
	m->blank = nfct_new();
	if (!m->ct || !m->blank) {
		cta_ctmsg_free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void cta_ctmsg_free(struct cta_ctmsg *m)
{
	if (!m)
		return;
	if (m->ct)
		nfct_destroy(m->ct);
	if (m->blank)
		nfct_destroy(m->blank);
	free(m);
}

/*
 * Forget the previous message: nfct_nlmsg_parse() only adds to an object. What the
 * library allocated (security context, labels, helper data) only nfct_destroy()
 * frees, so an object holding any is replaced; else it is overwritten from the blank
 * one (nfct_copy(NFCT_CP_OVERRIDE) is a memcpy when the source holds none).
 */
static int reset(struct cta_ctmsg *m)
{
	if (nfct_attr_is_set(m->ct, ATTR_SECCTX) > 0 ||
	    nfct_attr_is_set(m->ct, ATTR_CONNLABELS) > 0 ||
	    nfct_attr_is_set(m->ct, ATTR_HELPER_INFO) > 0) {
		nfct_destroy(m->ct);
		m->ct = nfct_new();
		return m->ct ? 0 : -ENOMEM;
	}
	nfct_copy(m->ct, m->blank, NFCT_CP_OVERRIDE);
	return 0;
}

/* The attributes of one direction's tuple. */
struct dir_attrs {
	enum nf_conntrack_attr l3, v4src, v4dst, v6src, v6dst, sport, dport, l4proto;
};

static const struct dir_attrs orig_attrs = {
	ATTR_ORIG_L3PROTO,  ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_SRC,
	ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST, ATTR_ORIG_L4PROTO,
};
static const struct dir_attrs reply_attrs = {
	ATTR_REPL_L3PROTO,  ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_SRC,
	ATTR_REPL_IPV6_DST, ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST, ATTR_REPL_L4PROTO,
};

static const struct dir_attrs master_attrs = {
	ATTR_MASTER_L3PROTO,  ATTR_MASTER_IPV4_SRC, ATTR_MASTER_IPV4_DST, ATTR_MASTER_IPV6_SRC,
	ATTR_MASTER_IPV6_DST, ATTR_MASTER_PORT_SRC, ATTR_MASTER_PORT_DST, ATTR_MASTER_L4PROTO,
};

static bool has(const struct nf_conntrack *ct, enum nf_conntrack_attr a)
{
	return nfct_attr_is_set(ct, a) > 0;
}

/* Addresses, ports and protocol of one direction; -EBADMSG when incomplete. */
static int get_tuple(const struct nf_conntrack *ct, const struct dir_attrs *d, uint8_t family,
		     struct cta_tuple *t, uint8_t *l4proto)
{
	bool v4 = family == AF_INET;
	const void *src = nfct_get_attr(ct, v4 ? d->v4src : d->v6src);
	const void *dst = nfct_get_attr(ct, v4 ? d->v4dst : d->v6dst);

	if (!src || !dst || !has(ct, d->l4proto))
		return -EBADMSG;
	memcpy(t->src.b, src, v4 ? 4 : 16);
	memcpy(t->dst.b, dst, v4 ? 4 : 16);
	*l4proto = nfct_get_attr_u8(ct, d->l4proto);
	if (has(ct, d->sport))
		t->sport = ntohs(nfct_get_attr_u16(ct, d->sport));
	if (has(ct, d->dport))
		t->dport = ntohs(nfct_get_attr_u16(ct, d->dport));
	return 0;
}

/* The last attribute of a type in a (checked) nest, or NULL. */
static const struct nlattr *nested(const struct nlattr *nest, int type)
{
	const struct nlattr *a, *found = NULL;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == type)
			found = a;
	}
	return found;
}

/*
 * ICMP type, code and id of one direction. The library keeps one of each, the
 * original direction's (ATTR_ICMP_*); the reply's, which NAT may change, are read
 * from the checked message (proto: its CTA_TUPLE_PROTO nest).
 */
static void reply_icmp(const struct nlattr *proto, struct cta_tuple *t)
{
	static const int v4[] = { CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE, CTA_PROTO_ICMP_ID };
	static const int v6[] = { CTA_PROTO_ICMPV6_TYPE, CTA_PROTO_ICMPV6_CODE,
				  CTA_PROTO_ICMPV6_ID };

	for (int i = 0; i < 2; i++) {
		const int *k = i ? v6 : v4;
		const struct nlattr *type = nested(proto, k[0]), *code, *id;

		if (!type)
			continue;
		t->icmp_type = mnl_attr_get_u8(type);
		if ((code = nested(proto, k[1])))
			t->icmp_code = mnl_attr_get_u8(code);
		if ((id = nested(proto, k[2])))
			t->sport = ntohs(mnl_attr_get_u16(id));
	}
}

static const struct nlattr *reply_proto(const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *tuple = NULL;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_TUPLE_REPLY)
			tuple = a;
	}
	return tuple ? nested(tuple, CTA_TUPLE_PROTO) : NULL;
}

static void get_icmp(const struct nf_conntrack *ct, struct cta_tuple *t)
{
	if (!has(ct, ATTR_ICMP_TYPE))
		return;
	t->icmp_type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);
	if (has(ct, ATTR_ICMP_CODE))
		t->icmp_code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
	if (has(ct, ATTR_ICMP_ID))
		t->sport = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
}

/* Both directions' counters or none; one direction without both values is malformed. */
static int get_counters(const struct nf_conntrack *ct, struct cta_event *ev)
{
	static const enum nf_conntrack_attr c[2][2] = {
		{ ATTR_ORIG_COUNTER_PACKETS, ATTR_ORIG_COUNTER_BYTES },
		{ ATTR_REPL_COUNTER_PACKETS, ATTR_REPL_COUNTER_BYTES },
	};
	int dirs = 0;

	for (int d = 0; d < 2; d++) {
		int n = has(ct, c[d][0]) + has(ct, c[d][1]);

		if (n == 1)
			return -EBADMSG;
		dirs += n == 2;
	}
	if (dirs < 2)
		return 0;
	for (int d = 0; d < 2; d++) {
		ev->packets[d] = nfct_get_attr_u64(ct, c[d][0]);
		ev->bytes[d] = nfct_get_attr_u64(ct, c[d][1]);
	}
	ev->flags |= CTA_EVF_COUNTERS;
	return 0;
}

static void get_optional(const struct nf_conntrack *ct, struct cta_event *ev)
{
	if (has(ct, ATTR_ID)) {
		ev->id = nfct_get_attr_u32(ct, ATTR_ID);
		ev->flags |= CTA_EVF_ID;
	}
	if (has(ct, ATTR_STATUS)) {
		ev->status = nfct_get_attr_u32(ct, ATTR_STATUS);
		ev->flags |= CTA_EVF_STATUS;
	}
	ev->zone = nfct_get_attr_u16(ct, ATTR_ZONE); /* 0 when absent */
	if (has(ct, ATTR_TIMESTAMP_START)) {
		ev->tstart_ns = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START);
		ev->flags |= CTA_EVF_TSTART;
	}
	if (has(ct, ATTR_TIMESTAMP_STOP)) {
		ev->tstop_ns = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_STOP);
		ev->flags |= CTA_EVF_TSTOP;
	}
	if (has(ct, ATTR_TCP_STATE)) {
		ev->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
		ev->flags |= CTA_EVF_TCPSTATE;
	}
	/* a helper's related connection (CTA_TUPLE_MASTER) and a helper's name (CTA_HELP) */
	if (has(ct, ATTR_MASTER_L4PROTO) &&
	    get_tuple(ct, &master_attrs, ev->family, &ev->master, &ev->master_l4proto) == 0)
		ev->flags |= CTA_EVF_MASTER;
	if (has(ct, ATTR_HELPER_NAME) &&
	    strlen(nfct_get_attr(ct, ATTR_HELPER_NAME)) < sizeof(ev->helper)) {
		strcpy(ev->helper, nfct_get_attr(ct, ATTR_HELPER_NAME));
		ev->flags |= CTA_EVF_HELPER;
	}
}

int cta_ctmsg_read(struct cta_ctmsg *m, const struct nlmsghdr *nlh, bool dump, struct cta_event *ev)
{
	uint8_t l4_reply = 0;
	int err = cta_ctmsg_head(nlh, dump, ev);

	if (!err)
		err = cta_ctmsg_check(nlh);
	if (!err)
		err = reset(m);
	if (err)
		return err;
	if (nfct_nlmsg_parse(nlh, m->ct) < 0)
		return -ENOMEM; /* its only failure left: allocating helper data or labels */
	err = get_tuple(m->ct, &orig_attrs, ev->family, &ev->orig, &ev->l4proto);
	if (err)
		return err;
	get_icmp(m->ct, &ev->orig);
	if (has(m->ct, reply_attrs.l3)) {
		err = get_tuple(m->ct, &reply_attrs, ev->family, &ev->reply, &l4_reply);
		if (err)
			return err;
		if (l4_reply != ev->l4proto)
			return -EBADMSG;
		if (ev->l4proto == IPPROTO_ICMP || ev->l4proto == IPPROTO_ICMPV6)
			reply_icmp(reply_proto(nlh), &ev->reply);
	} else {
		cta_ctmsg_mirror(ev);
	}
	err = get_counters(m->ct, ev);
	if (err)
		return err;
	get_optional(m->ct, ev);
	return 0;
}
