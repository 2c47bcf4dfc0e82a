/* fw_engine.c — the firmware's driver of the engine CSRs (docs/csr.md):
 * block discovery, mailbox operations, event FIFO, data-path injector. */
#include "fw_engine.h"

#include "fw_csr.h"

#define DEFAULT_SPINS 200000u

static uint32_t rd(struct fw *fw, uint32_t off)
{
	return fw->p.rd32(fw->p.bus_ctx, off);
}

static void wr(struct fw *fw, uint32_t off, uint32_t v)
{
	fw->p.wr32(fw->p.bus_ctx, off, v);
}

uint32_t fw_eng_cycles(struct fw *fw)
{
	/* Reading LO latches HI; only the low word is needed for deltas. */
	return rd(fw, fw->eng.id_base + FW_ID_CYCLE_LO);
}

uint64_t fw_eng_cycles64(struct fw *fw)
{
	uint32_t lo = rd(fw, fw->eng.id_base + FW_ID_CYCLE_LO);

	return ((uint64_t)rd(fw, fw->eng.id_base + FW_ID_CYCLE_HI) << 32) | lo;
}

/* Walk the block list from offset 0 (loop-safe: at most 64 blocks, offsets
 * strictly increasing) and record each block we know. */
int fw_eng_discover(struct fw *fw)
{
	uint32_t off = 0, n;
	struct fw_engine *e = &fw->eng;

	fw->spin_limit = fw->p.spin_limit ? fw->p.spin_limit : DEFAULT_SPINS;
	e->id_base = e->mb_base = e->ev_base = e->di_base = 0xffffffffu;
	for (n = 0; n < 64; n++) {
		uint32_t type = rd(fw, off + FW_BLK_R_TYPE), next;

		if (type == FW_BLK_ID)
			e->id_base = off;
		else if (type == FW_BLK_MB)
			e->mb_base = off;
		else if (type == FW_BLK_EV)
			e->ev_base = off;
		else if (type == FW_BLK_DI)
			e->di_base = off;
		next = rd(fw, off + FW_BLK_R_NEXT);
		if (next == 0)
			break;
		if (next <= off || (next & 3u))
			return ICA_ST_HW_ERROR;
		off = next;
	}
	if (e->id_base == 0xffffffffu || e->mb_base == 0xffffffffu || e->ev_base == 0xffffffffu)
		return ICA_ST_HW_ERROR;
	e->version = rd(fw, e->id_base + FW_BLK_R_VERSION);
	e->num_sa = rd(fw, e->id_base + FW_ID_NUM_SA);
	e->num_group = rd(fw, e->id_base + FW_ID_NUM_GROUP);
	e->window = rd(fw, e->id_base + FW_ID_WINDOW);
	e->build_id = rd(fw, e->id_base + FW_ID_BUILD_ID);
	e->features = rd(fw, e->id_base + FW_ID_FEATURES);
	e->dp_latency = rd(fw, e->id_base + FW_ID_DP_LATENCY);
	e->evt_depth = rd(fw, e->id_base + FW_ID_EVT_DEPTH);
	if (e->di_base == 0xffffffffu)
		e->features &= ~FW_FEAT_INJECTOR;
	/* The firmware's fixed state must hold the whole engine. */
	if (e->num_sa == 0 || e->num_sa > FW_MAX_SA || e->num_group == 0 ||
	    e->num_group > FW_MAX_GROUP || e->num_group > 0x10000u ||
	    e->window < 64 || e->window > FW_MAX_WINDOW || (e->window & 31u))
		return ICA_ST_HW_ERROR;
	return ICA_ST_OK;
}

int fw_mb_exec(struct fw *fw, uint32_t op, const uint32_t *args, unsigned nargs,
	       uint32_t *res, unsigned nres)
{
	uint32_t mb = fw->eng.mb_base, st, done0, spins;
	unsigned i;

	st = rd(fw, mb + FW_MB_STATUS);
	for (spins = 0; st & FW_MB_ST_BUSY; spins++) {
		if (spins >= fw->spin_limit)
			return ICA_ST_HW_ERROR;
		st = rd(fw, mb + FW_MB_STATUS);
	}
	done0 = FW_MB_ST_DONE(st);
	for (i = 0; i < nargs; i++)
		wr(fw, mb + FW_MB_ARG(i), args[i]);
	wr(fw, mb + FW_MB_CMD, op);
	for (spins = 0;; spins++) {
		st = rd(fw, mb + FW_MB_STATUS);
		if (!(st & FW_MB_ST_BUSY) && FW_MB_ST_DONE(st) != done0)
			break;
		if (spins >= fw->spin_limit)
			return ICA_ST_HW_ERROR;
	}
	/* The engine's codes 1..9 are ours by design; anything else is a fault. */
	if (FW_MB_ST_RC(st) > FW_RC_BAD_VALUE)
		return ICA_ST_HW_ERROR;
	if (FW_MB_ST_RC(st) != FW_RC_OK)
		return (int)FW_MB_ST_RC(st);
	for (i = 0; i < nres; i++)
		res[i] = rd(fw, mb + FW_MB_RES(i));
	return ICA_ST_OK;
}

void fw_mb_bitmap(struct fw *fw, uint32_t *words, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		words[i] = rd(fw, fw->eng.mb_base + FW_MB_BMP(i));
}

uint32_t fw_ev_count(struct fw *fw)
{
	return rd(fw, fw->eng.ev_base + FW_EV_COUNT);
}

void fw_ev_head(struct fw *fw, uint32_t *head0, uint64_t *value, uint64_t *epoch)
{
	uint32_t b = fw->eng.ev_base;

	*head0 = rd(fw, b + FW_EV_HEAD0);
	*value = rd(fw, b + FW_EV_VAL_LO) | ((uint64_t)rd(fw, b + FW_EV_VAL_HI) << 32);
	*epoch = rd(fw, b + FW_EV_EPOCH_LO) | ((uint64_t)rd(fw, b + FW_EV_EPOCH_HI) << 32);
	wr(fw, b + FW_EV_POP, 1);
}

uint32_t fw_ev_take_dropped(struct fw *fw)
{
	uint32_t d = rd(fw, fw->eng.ev_base + FW_EV_DROPPED);

	if (d)
		wr(fw, fw->eng.ev_base + FW_EV_DROPPED, 1);
	return d;
}

int fw_di_run(struct fw *fw, uint32_t op, uint32_t slot, uint64_t seq, uint32_t count,
	      fw_di_result_fn fn, void *arg)
{
	uint32_t b = fw->eng.di_base, got = 0, spins = 0;

	if (!(fw->eng.features & FW_FEAT_INJECTOR))
		return ICA_ST_BAD_OP;
	/* Drop stale results (none are expected: every run collects its own). */
	while (rd(fw, b + FW_DI_RES_COUNT)) {
		wr(fw, b + FW_DI_RES_POP, 1);
		if (++spins > fw->spin_limit)
			return ICA_ST_HW_ERROR;
	}
	wr(fw, b + FW_DI_OP, op);
	wr(fw, b + FW_DI_SLOT, slot);
	wr(fw, b + FW_DI_SEQ_LO, (uint32_t)seq);
	wr(fw, b + FW_DI_SEQ_HI, (uint32_t)(seq >> 32));
	wr(fw, b + FW_DI_COUNT, count);
	wr(fw, b + FW_DI_CTRL, 1);
	spins = 0;
	while (got < count) {
		struct fw_di_result r;
		uint32_t h;

		if (!rd(fw, b + FW_DI_RES_COUNT)) {
			if (++spins > fw->spin_limit)
				return ICA_ST_HW_ERROR;
			continue;
		}
		spins = 0;
		h = rd(fw, b + FW_DI_RES_HEAD0);
		r.status = h & 0xffu;
		r.slot = h >> 16;
		r.seq = rd(fw, b + FW_DI_RES_SEQ_LO) | ((uint64_t)rd(fw, b + FW_DI_RES_SEQ_HI) << 32);
		r.epoch = rd(fw, b + FW_DI_RES_EP_LO) | ((uint64_t)rd(fw, b + FW_DI_RES_EP_HI) << 32);
		wr(fw, b + FW_DI_RES_POP, 1);
		if (fn)
			fn(arg, got, &r);
		got++;
	}
	return ICA_ST_OK;
}
