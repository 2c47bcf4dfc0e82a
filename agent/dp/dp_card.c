/* dp_card.c — Child SAs in the card through libipsecha (docs/hostlib.md):
 * one card group per IKE SA, one slot per direction of each Child SA, the
 * ESN mode of the group set by its first slot (RFC 6311 §6.4), initial
 * values per RFC 4303 (the first outbound packet gets 1, the inbound window
 * starts empty). Groups and slots are allocated here, on the host. */
#include "dp_hw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecha.h"

struct cardctx {
	struct ipsecha *h;
	uint32_t num_sa, num_group;
	uint8_t *slot_used, *group_used;
	uint32_t next_slot, next_group;
};

static int alloc_idx(uint8_t *used, uint32_t n, uint32_t *next, uint32_t *out)
{
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (*next + k) % n;

		if (!used[i]) {
			used[i] = 1;
			*next = (i + 1) % n;
			*out = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static int group_new(void *ctx, bool esn, uint32_t *group)
{
	struct cardctx *c = ctx;
	struct ipsecha_group_state st;
	uint64_t ep;
	int err;

	(void)esn;   /* set by the first slot installed */
	err = alloc_idx(c->group_used, c->num_group, &c->next_group, group);
	if (err)
		return err;
	/* A group left held by an earlier user (a crashed agent) must start
	 * active; one with slots is someone else's. */
	err = ipsecha_group_read(c->h, *group, &st);
	if (!err && (st.flags & IPSECHA_GROUP_HAS_SLOTS))
		err = -EBUSY;
	if (!err && (st.flags & IPSECHA_GROUP_HELD))
		err = ipsecha_group_release(c->h, *group, &ep);
	if (err)
		c->group_used[*group] = 0;
	return err;
}

static int group_del(void *ctx, uint32_t group)
{
	struct cardctx *c = ctx;
	struct ipsecha_group_state st;
	uint64_t ep;

	if (group >= c->num_group || !c->group_used[group])
		return -ENOENT;
	if (!ipsecha_group_read(c->h, group, &st) && (st.flags & IPSECHA_GROUP_HELD))
		ipsecha_group_release(c->h, group, &ep);
	c->group_used[group] = 0;
	return 0;
}

static int sa_add(void *ctx, uint32_t group, const struct dp_sa *sa, struct dp_slots *out)
{
	struct cardctx *c = ctx;
	uint32_t so, si;
	int err;

	err = alloc_idx(c->slot_used, c->num_sa, &c->next_slot, &so);
	if (err)
		return err;
	err = alloc_idx(c->slot_used, c->num_sa, &c->next_slot, &si);
	if (err) {
		c->slot_used[so] = 0;
		return err;
	}
	/* RFC 4303 §3.3.3: "the sender's counter is initialized to 0 when an
	 * SA is established" — last used 0, so the first packet carries 1; a
	 * restored SA continues from its recorded counters. */
	err = ipsecha_child_install(c->h, group, so, si, sa->esn, sa->tx_seq, sa->rx_top,
				    sa->life_packets, 0);
	if (err) {
		c->slot_used[so] = c->slot_used[si] = 0;
		return err;
	}
	out->out = so;
	out->in = si;
	return 0;
}

static int sa_del(void *ctx, uint32_t group, const struct dp_sa *sa, const struct dp_slots *s)
{
	struct cardctx *c = ctx;
	int err;

	(void)group;
	(void)sa;
	if (s->out >= c->num_sa || s->in >= c->num_sa)
		return -EINVAL;
	err = ipsecha_child_remove(c->h, s->out, s->in);
	c->slot_used[s->out] = c->slot_used[s->in] = 0;
	return err == -ENOENT ? 0 : err;
}

static int group_hold(void *ctx, uint32_t g, uint64_t *ep)
{
	return ipsecha_group_hold(((struct cardctx *)ctx)->h, g, ep);
}

static int group_release(void *ctx, uint32_t g, uint64_t *ep)
{
	return ipsecha_group_release(((struct cardctx *)ctx)->h, g, ep);
}

static int group_tx_add(void *ctx, uint32_t g, uint64_t delta, bool release, uint64_t *ep)
{
	return ipsecha_group_tx_add(((struct cardctx *)ctx)->h, g, delta,
				    release ? IPSECHA_TX_RELEASE : 0, ep);
}

static int group_rx_advance(void *ctx, uint32_t g, uint64_t delta, uint64_t *ep)
{
	return ipsecha_group_rx_advance(((struct cardctx *)ctx)->h, g, delta, ep);
}

static int sa_read(void *ctx, const struct dp_slots *s, struct dp_counters *out)
{
	struct cardctx *c = ctx;
	struct ipsecha_slot_state so, si;
	int err = ipsecha_slot_read(c->h, s->out, &so);

	if (!err)
		err = ipsecha_slot_read(c->h, s->in, &si);
	if (err)
		return err;
	if (!(so.flags & IPSECHA_SLOT_VALID) || !(si.flags & IPSECHA_SLOT_VALID))
		return -ENOENT;
	out->tx_seq = so.value;        /* value = last number issued */
	out->tx_next = so.value + 1;
	out->rx_top = si.value;
	return 0;
}

static void card_close(void *ctx)
{
	struct cardctx *c = ctx;

	if (!c)
		return;
	ipsecha_close(c->h);
	free(c->slot_used);
	free(c->group_used);
	free(c);
}

static const struct dp_ops card_ops = {
	.name = "card",
	.group_new = group_new, .group_del = group_del,
	.sa_add = sa_add, .sa_del = sa_del,
	.group_hold = group_hold, .group_release = group_release,
	.group_tx_add = group_tx_add, .group_rx_advance = group_rx_advance,
	.sa_read = sa_read, .close = card_close,
};

int dp_card_new(struct ipsecha *h, struct dp *out)
{
	struct ipsecha_info info;
	struct cardctx *c;
	int err = ipsecha_identify(h, &info);

	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h = h;
	c->num_sa = info.num_sa;
	c->num_group = info.num_group;
	c->slot_used = calloc(info.num_sa ? info.num_sa : 1, 1);
	c->group_used = calloc(info.num_group ? info.num_group : 1, 1);
	if (!c->slot_used || !c->group_used) {
		c->h = NULL;
		card_close(c);
		return -ENOMEM;
	}
	out->ops = &card_ops;
	out->ctx = c;
	return 0;
}

struct ipsecha *dp_card_handle(const struct dp *dp)
{
	return dp->ops == &card_ops ? ((struct cardctx *)dp->ctx)->h : NULL;
}
