/* isq_golden_csr.c — CSR-level golden model: the register file of
 * docs/csr.md over the operation-level model, behind a struct isq_bus.
 * Firmware unit tests drive it exactly as they drive the Verilated RTL. */
#include "isq_golden_int.h"

#include <errno.h>
#include <string.h>

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t hi32(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

int isq_golden_inj_issue(struct isq_golden *g, unsigned *op, uint32_t *slot,
			 struct isq_dp_result *r)
{
	struct golden_csr *c = &g->csr;
	struct inj_res *e = &g->inj_res[(g->inj_head + g->inj_n) % g->p.inj_depth];
	struct isq_dp_result rr;

	if (!c->inj_remaining || g->inj_n >= g->p.inj_depth)
		return -EAGAIN;
	isq_golden_dp(g, c->inj_op, c->inj_slot, c->inj_seq, &rr);
	e->status = rr.status;
	e->slot = c->inj_slot;
	e->seq = rr.seq;
	e->epoch = rr.epoch;
	g->inj_n++;
	c->inj_remaining--;
	if (op)
		*op = c->inj_op;
	if (slot)
		*slot = c->inj_slot;
	if (r)
		*r = rr;
	return 0;
}

void isq_golden_inj_manual(struct isq_golden *g, int on)
{
	g->inj_manual = on;
}

/* Issue injector operations while the result FIFO has room (unless the
 * caller issues them: isq_golden_inj_manual). */
static void inj_pump(struct isq_golden *g)
{
	if (!g->inj_manual)
		while (!isq_golden_inj_issue(g, NULL, NULL, NULL))
			;
}

static uint32_t blk_header(uint32_t blk, uint32_t r)
{
	static const uint32_t type[] = { ISQ_TYPE_ID, ISQ_TYPE_MB, ISQ_TYPE_EV, ISQ_TYPE_DI };
	static const uint32_t ver[] = { ISQ_VERSION_ID, ISQ_VERSION_MB, ISQ_VERSION_EV, ISQ_VERSION_DI };
	static const uint32_t next[] = { ISQ_NEXT_ID, ISQ_NEXT_MB, ISQ_NEXT_EV, ISQ_NEXT_DI };
	unsigned i = blk >> 8;

	if (r == ISQ_BLK_TYPE)
		return type[i];
	if (r == ISQ_BLK_VERSION)
		return ver[i];
	return next[i];
}

uint32_t isq_golden_rd32(struct isq_golden *g, uint32_t off)
{
	struct golden_csr *c = &g->csr;
	uint32_t blk = off & ~0xffu, r = off & 0xffu;
	const struct inj_res *ir = g->inj_n ? &g->inj_res[g->inj_head] : NULL;
	const struct isq_event *ev = g->ev_n ? &g->ev[g->ev_head] : NULL;

	c->cycle++;
	if (off >= ISQ_CSR_SPAN || (off & 3u))
		return 0;
	if (r <= ISQ_BLK_NEXT)
		return blk_header(blk, r);
	switch (blk) {
	case ISQ_ID_BASE:
		switch (r) {
		case ISQ_ID_NUM_SA: return g->p.num_sa;
		case ISQ_ID_NUM_GROUP: return g->p.num_group;
		case ISQ_ID_WINDOW: return g->p.window;
		case ISQ_ID_BUILD_ID: return g->p.build_id;
		case ISQ_ID_FEATURES:
			return ISQ_ID_FEATURES_ESN_MASK | ISQ_ID_FEATURES_INBOUND_MASK |
			       ISQ_ID_FEATURES_INJECTOR_MASK | ISQ_ID_FEATURES_EVENTS_MASK;
		case ISQ_ID_DP_LATENCY: return g->p.dp_latency;
		case ISQ_ID_EVT_DEPTH: return g->p.evt_depth;
		case ISQ_ID_CYCLE_LO:
			c->cycle_hi = hi32(c->cycle);
			return lo32(c->cycle);
		case ISQ_ID_CYCLE_HI: return c->cycle_hi;
		}
		return 0;
	case ISQ_MB_BASE:
		if (r == ISQ_MB_STATUS)
			return (c->rc << ISQ_MB_STATUS_RC_SHIFT) | (c->done << ISQ_MB_STATUS_DONE_SHIFT);
		if (r >= ISQ_MB_ARG(0) && r < ISQ_MB_ARG(ISQ_MB_NARG))
			return c->arg[(r - ISQ_MB_ARG(0)) / 4];
		if (r >= ISQ_MB_RES(0) && r < ISQ_MB_RES(ISQ_MB_NRES))
			return c->res[(r - ISQ_MB_RES(0)) / 4];
		if (r >= ISQ_MB_BMP(0) && r < ISQ_MB_BMP(ISQ_MB_NBMP))
			return c->bmp[(r - ISQ_MB_BMP(0)) / 4];
		return 0;
	case ISQ_EV_BASE:
		switch (r) {
		case ISQ_EV_COUNT: return g->ev_n;
		case ISQ_EV_HEAD0:
			return ev ? ev->type | ((uint32_t)ev->index << ISQ_EV_HEAD0_INDEX_SHIFT) : 0;
		case ISQ_EV_HEAD_VAL_LO: return ev ? lo32(ev->value) : 0;
		case ISQ_EV_HEAD_VAL_HI: return ev ? hi32(ev->value) : 0;
		case ISQ_EV_HEAD_EPOCH_LO: return ev ? lo32(ev->epoch) : 0;
		case ISQ_EV_HEAD_EPOCH_HI: return ev ? hi32(ev->epoch) : 0;
		case ISQ_EV_DROPPED: return g->ev_dropped;
		}
		return 0;
	default: /* ISQ_DI_BASE */
		switch (r) {
		case ISQ_DI_OP: return c->di_op;
		case ISQ_DI_SLOT: return c->di_slot;
		case ISQ_DI_SEQ_LO: return c->di_seq_lo;
		case ISQ_DI_SEQ_HI: return c->di_seq_hi;
		case ISQ_DI_COUNT: return c->di_count;
		case ISQ_DI_STATUS:
			return (c->inj_remaining ? ISQ_DI_STATUS_BUSY_MASK : 0) |
			       ((c->inj_remaining > 0xffffu ? 0xffffu : c->inj_remaining)
				<< ISQ_DI_STATUS_REMAINING_SHIFT);
		case ISQ_DI_RES_COUNT: return g->inj_n;
		case ISQ_DI_RES_HEAD0:
			return ir ? ir->status | ((ir->slot & 0xffffu) << ISQ_DI_RES_HEAD0_SLOT_SHIFT) : 0;
		case ISQ_DI_RES_SEQ_LO: return ir ? lo32(ir->seq) : 0;
		case ISQ_DI_RES_SEQ_HI: return ir ? hi32(ir->seq) : 0;
		case ISQ_DI_RES_EPOCH_LO: return ir ? lo32(ir->epoch) : 0;
		case ISQ_DI_RES_EPOCH_HI: return ir ? hi32(ir->epoch) : 0;
		}
		return 0;
	}
}

static void mb_cmd(struct isq_golden *g, uint32_t v)
{
	struct golden_csr *c = &g->csr;

	if (v & ~ISQ_MB_CMD_OP_MASK)
		c->rc = ISQ_RC_RESERVED;
	else
		c->rc = isq_golden_mb(g, v, c->arg, c->res, c->bmp);
	c->done = (c->done + 1) & 0xffffu;
}

void isq_golden_wr32(struct isq_golden *g, uint32_t off, uint32_t v)
{
	struct golden_csr *c = &g->csr;
	uint32_t blk = off & ~0xffu, r = off & 0xffu;

	c->cycle++;
	if (off >= ISQ_CSR_SPAN || (off & 3u))
		return;
	switch (blk) {
	case ISQ_MB_BASE:
		if (r == ISQ_MB_CMD)
			mb_cmd(g, v);
		else if (r >= ISQ_MB_ARG(0) && r < ISQ_MB_ARG(ISQ_MB_NARG))
			c->arg[(r - ISQ_MB_ARG(0)) / 4] = v;
		return;
	case ISQ_EV_BASE:
		if (r == ISQ_EV_POP && (v & 1u))
			(void)isq_golden_evt_pop(g, NULL);
		else if (r == ISQ_EV_DROPPED && (v & 1u))
			g->ev_dropped = 0;
		return;
	case ISQ_DI_BASE:
		switch (r) {
		case ISQ_DI_OP: c->di_op = v & 3u; return;
		case ISQ_DI_SLOT: c->di_slot = v; return;
		case ISQ_DI_SEQ_LO: c->di_seq_lo = v; return;
		case ISQ_DI_SEQ_HI: c->di_seq_hi = v; return;
		case ISQ_DI_COUNT: c->di_count = v; return;
		case ISQ_DI_CTRL:
			/* Start: operands are latched; ignored while busy. */
			if ((v & 1u) && !c->inj_remaining && c->di_count) {
				c->inj_op = c->di_op;
				c->inj_slot = c->di_slot;
				c->inj_seq = ((uint64_t)c->di_seq_hi << 32) | c->di_seq_lo;
				c->inj_remaining = c->di_count;
				inj_pump(g);
			}
			return;
		case ISQ_DI_RES_POP:
			if ((v & 1u) && g->inj_n) {
				g->inj_head = (g->inj_head + 1) % g->p.inj_depth;
				g->inj_n--;
				inj_pump(g);
			}
			return;
		}
		return;
	default:
		return;
	}
}

static uint32_t bus_rd(void *ctx, uint32_t off)
{
	return isq_golden_rd32(ctx, off);
}

static void bus_wr(void *ctx, uint32_t off, uint32_t v)
{
	isq_golden_wr32(ctx, off, v);
}

void isq_golden_bus(struct isq_golden *g, struct isq_bus *bus)
{
	bus->ctx = g;
	bus->rd32 = bus_rd;
	bus->wr32 = bus_wr;
}
