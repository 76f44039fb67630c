// SPDX-License-Identifier: GPL-2.0-or-later
#include "advisor/model/natfold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advisor/lib/hashidx.h"
#include "nft/event.h"

/* k without its reply half: what it shares with the flows NAT gave other replies */
static void side_key(struct cta_flow_key *sk, const struct cta_flow_key *k)
{
	*sk = *k;
	memset(&sk->reply_src, 0, sizeof(sk->reply_src));
	memset(&sk->reply_dst, 0, sizeof(sk->reply_dst));
	sk->reply_sport = 0;
}

/*
 * Did NAT give k's connections another reply than their original's mirror (the key a
 * denied attempt's flow has: cta_flowtab_add_denied)?
 */
static bool key_translated(const struct cta_flow_key *k)
{
	struct cta_flow_key m;

	side_key(&m, k);
	m.reply_src = k->dst;
	m.reply_dst = k->src;
	if (cta_proto_has_ports(k->l4proto))
		m.reply_sport = k->dport;
	return memcmp(&m, k, sizeof(m)) != 0;
}

/* Connections, none of which conntrack let through: no bytes, no reply, no leftover. */
static bool denials_only(const struct cta_flow *f)
{
	return f->connections && !f->bytes[0] && !f->bytes[1] && !f->packets[1] && !f->leftover;
}

struct side {
	struct cta_flow_key key;
	size_t pos; /* its translated flow */
	bool many; /* there are several */
};

struct side_q {
	const struct side *s;
	const struct cta_flow_key *key;
};

static bool side_eq(uint32_t pos, const void *ctx)
{
	const struct side_q *q = ctx;

	return !memcmp(&q->s[pos].key, q->key, sizeof(*q->key));
}

/* Flow from's counts, verdicts and process go to flow to. 0 or -ENOMEM. */
static int fold(struct cta_flow *flows, struct cta_vtally *tallies, size_t from, size_t to)
{
	struct cta_flow *a = &flows[to], *b = &flows[from];

	if (b->verdict) {
		struct cta_vtally *src = &tallies[b->verdict - 1];
		int err;

		if (!a->verdict)
			a->verdict = (uint32_t)to + 1; /* its own slot, empty so far */
		err = cta_vtally_merge(&tallies[a->verdict - 1], src);
		if (err)
			return err;
		cta_vtally_fini(src);
	}
	cta_flow_merge(a, b);
	if (!a->process)
		a->process = b->process;
	return 0;
}

int cta_flows_fold_nat(struct cta_flow *flows, size_t *n, struct cta_vtally *tallies)
{
	struct cta_hashidx idx;
	struct side *sides = NULL;
	size_t n_sides = 0, k = 0;
	bool *gone = NULL;
	int folded = 0, err = 0;

	for (size_t i = 0; i < *n; i++)
		n_sides += key_translated(&flows[i].key);
	if (!n_sides)
		return 0;
	cta_hashidx_init(&idx);
	sides = malloc(n_sides * sizeof(*sides));
	gone = calloc(*n, sizeof(*gone));
	if (!sides || !gone) {
		err = -ENOMEM;
		goto out;
	}
	n_sides = 0;
	for (size_t i = 0; i < *n; i++) {
		struct cta_flow_key sk;
		uint64_t hash;
		int64_t pos;

		if (!key_translated(&flows[i].key))
			continue;
		side_key(&sk, &flows[i].key);
		hash = cta_hash_words(&sk, sizeof(sk));
		pos = cta_hashidx_find(&idx, hash, side_eq, &(struct side_q){ sides, &sk });
		if (pos >= 0) {
			sides[pos].many = true;
			continue;
		}
		if (cta_hashidx_add(&idx, hash, (uint32_t)n_sides) < 0) {
			err = -ENOMEM;
			goto out;
		}
		sides[n_sides++] = (struct side){ .key = sk, .pos = i };
	}
	for (size_t i = 0; i < *n; i++) {
		struct cta_flow_key sk;
		int64_t pos;

		if (key_translated(&flows[i].key) || !denials_only(&flows[i]))
			continue;
		side_key(&sk, &flows[i].key);
		pos = cta_hashidx_find(&idx, cta_hash_words(&sk, sizeof(sk)), side_eq,
				       &(struct side_q){ sides, &sk });
		/*
		 * denied where the translated flow went: in the forward hook (a trace saw
		 * it there) for a DNAT to another host. Dropped at input, the attempts
		 * were not translated (no DNAT rule then: a container stopped) and are
		 * none of that flow's.
		 */
		if (pos < 0 || sides[pos].many ||
		    flows[i].direction != flows[sides[pos].pos].direction)
			continue;
		if ((err = fold(flows, tallies, i, sides[pos].pos)))
			goto out;
		gone[i] = true;
		folded++;
	}
	for (size_t i = 0; i < *n; i++)
		if (!gone[i])
			flows[k++] = flows[i];
	*n = k;
out:
	cta_hashidx_fini(&idx);
	free(sides);
	free(gone);
	return err ? err : folded;
}
