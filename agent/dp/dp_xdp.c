/* dp_xdp.c — the XDP steering maps (docs/xdp.md): our inbound SPI of each
 * Child SA -> (card slot, group), and group hold/release, so ESP of a group
 * is dropped while its counters are being synchronized. Counter operations
 * are the card's business: they succeed here without doing anything. */
#include "dp_hw.h"

#include <errno.h>
#include <stdlib.h>

#include "ipsecha_xdp.h"

static int group_new(void *ctx, bool esn, uint32_t *group)
{
	(void)ctx; (void)esn; (void)group;
	return 0;   /* mirrors the card's group */
}

static int group_del(void *ctx, uint32_t group)
{
	/* a group that goes away must not stay held for its next user */
	ipsecha_xdp_group_release(ctx, group);
	return 0;
}

static int sa_add(void *ctx, uint32_t group, const struct dp_sa *sa, struct dp_slots *out)
{
	/* Inbound ESP carries our SPI; the card checks it on the in slot. */
	return ipsecha_xdp_sa_add(ctx, sa->spi_in, out->in, group, IPSECHA_XDP_SA_REPLACE);
}

static int sa_del(void *ctx, uint32_t group, const struct dp_sa *sa, const struct dp_slots *s)
{
	int err = ipsecha_xdp_sa_del(ctx, sa->spi_in);

	(void)group; (void)s;
	return err == -ENOENT ? 0 : err;
}

static int group_hold(void *ctx, uint32_t g, uint64_t *ep)
{
	(void)ep;
	return ipsecha_xdp_group_hold(ctx, g);
}

static int group_release(void *ctx, uint32_t g, uint64_t *ep)
{
	(void)ep;
	return ipsecha_xdp_group_release(ctx, g);
}

static int group_tx_add(void *ctx, uint32_t g, uint64_t delta, bool release, uint64_t *ep)
{
	(void)delta; (void)ep;
	return release ? ipsecha_xdp_group_release(ctx, g) : 0;
}

static int group_rx_advance(void *ctx, uint32_t g, uint64_t delta, uint64_t *ep)
{
	(void)ctx; (void)g; (void)delta; (void)ep;
	return 0;
}

static int sa_read(void *ctx, const struct dp_slots *s, struct dp_counters *out)
{
	(void)ctx; (void)s; (void)out;
	return -EOPNOTSUPP;
}

static void xdp_close(void *ctx)
{
	ipsecha_xdp_close(ctx);
}

static const struct dp_ops xdp_ops = {
	.name = "xdp",
	.group_new = group_new, .group_del = group_del,
	.sa_add = sa_add, .sa_del = sa_del,
	.group_hold = group_hold, .group_release = group_release,
	.group_tx_add = group_tx_add, .group_rx_advance = group_rx_advance,
	.sa_read = sa_read, .close = xdp_close,
};

int dp_xdp_new(struct ipsecha_xdp *h, struct dp *out)
{
	if (!h)
		return -EINVAL;
	out->ops = &xdp_ops;
	out->ctx = h;
	return 0;
}
