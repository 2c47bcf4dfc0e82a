/* eng_util.c — mailbox and state helpers of eng.h. */
#include "eng.h"

#include <stdio.h>
#include <stdlib.h>

uint32_t eng_rd(struct eng *e, uint32_t off)
{
	return e->bus.rd32(e->bus.ctx, off);
}

void eng_wr(struct eng *e, uint32_t off, uint32_t v)
{
	e->bus.wr32(e->bus.ctx, off, v);
}

uint64_t eng_res64(const uint32_t *res, unsigned i)
{
	return (uint64_t)res[i] | ((uint64_t)res[i + 1] << 32);
}

unsigned eng_mb(struct eng *e, unsigned op, const uint32_t *arg, uint32_t *res, uint32_t *bmp)
{
	uint32_t st = eng_rd(e, ISQ_MB_BASE + ISQ_MB_STATUS), done0, i;
	unsigned spins = 0;

	while (st & ISQ_MB_STATUS_BUSY_MASK)
		st = eng_rd(e, ISQ_MB_BASE + ISQ_MB_STATUS);
	done0 = ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE);
	for (i = 0; i < ISQ_MB_NARG; i++)
		eng_wr(e, ISQ_MB_BASE + ISQ_MB_ARG(i), arg ? arg[i] : 0);
	eng_wr(e, ISQ_MB_BASE + ISQ_MB_CMD, op);
	for (;;) {
		st = eng_rd(e, ISQ_MB_BASE + ISQ_MB_STATUS);
		if (!(st & ISQ_MB_STATUS_BUSY_MASK) && ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE) != done0)
			break;
		if (++spins > 1000000) {
			fprintf(stderr, "eng_mb: op %u never completed\n", op);
			abort();
		}
	}
	if (res)
		for (i = 0; i < ISQ_MB_NRES; i++)
			res[i] = eng_rd(e, ISQ_MB_BASE + ISQ_MB_RES(i));
	if (bmp)
		for (i = 0; i < ISQ_MB_NBMP; i++)
			bmp[i] = eng_rd(e, ISQ_MB_BASE + ISQ_MB_BMP(i));
	return ISQ_FIELD_GET(st, ISQ_MB_STATUS_RC);
}

unsigned eng_install(struct eng *e, uint32_t slot, uint32_t group, int dir_in, int esn,
		     uint64_t seq, uint64_t hard, uint64_t soft)
{
	uint32_t arg[8] = { slot,
			    group | (dir_in ? ISQ_MB_INST_DIR_IN_MASK : 0) | (esn ? ISQ_MB_INST_ESN_MASK : 0),
			    (uint32_t)seq, (uint32_t)(seq >> 32), (uint32_t)hard, (uint32_t)(hard >> 32),
			    (uint32_t)soft, (uint32_t)(soft >> 32) };

	return eng_mb(e, ISQ_OP_SLOT_INSTALL, arg, NULL, NULL);
}

unsigned eng_clear(struct eng *e, uint32_t slot)
{
	uint32_t arg[8] = { slot };

	return eng_mb(e, ISQ_OP_SLOT_CLEAR, arg, NULL, NULL);
}

unsigned eng_group_op(struct eng *e, unsigned op, uint32_t group, uint32_t flags, uint64_t delta,
		      uint64_t *epoch)
{
	uint32_t arg[8] = { group, flags, (uint32_t)delta, (uint32_t)(delta >> 32) }, res[16];
	unsigned rc = eng_mb(e, op, arg, res, NULL);

	if (epoch && rc == ISQ_RC_OK)
		*epoch = eng_res64(res, 0);
	return rc;
}

unsigned eng_slot_read(struct eng *e, uint32_t slot, uint32_t *flags, uint64_t *val, uint32_t *bmp)
{
	uint32_t arg[8] = { slot }, res[16];
	unsigned rc = eng_mb(e, ISQ_OP_SLOT_READ, arg, res, bmp);

	if (flags)
		*flags = res[0];
	if (val)
		*val = eng_res64(res, 1);
	return rc;
}

uint64_t eng_epoch(struct eng *e)
{
	uint32_t res[16];

	eng_mb(e, ISQ_OP_EPOCH_READ, NULL, res, NULL);
	return eng_res64(res, 0);
}

int eng_evt_pop(struct eng *e, struct isq_event *ev)
{
	uint32_t h;

	if (!eng_rd(e, ISQ_EV_BASE + ISQ_EV_COUNT))
		return -1;
	h = eng_rd(e, ISQ_EV_BASE + ISQ_EV_HEAD0);
	ev->type = (uint8_t)ISQ_FIELD_GET(h, ISQ_EV_HEAD0_TYPE);
	ev->index = (uint16_t)ISQ_FIELD_GET(h, ISQ_EV_HEAD0_INDEX);
	ev->value = eng_rd(e, ISQ_EV_BASE + ISQ_EV_HEAD_VAL_LO) |
		    ((uint64_t)eng_rd(e, ISQ_EV_BASE + ISQ_EV_HEAD_VAL_HI) << 32);
	ev->epoch = eng_rd(e, ISQ_EV_BASE + ISQ_EV_HEAD_EPOCH_LO) |
		    ((uint64_t)eng_rd(e, ISQ_EV_BASE + ISQ_EV_HEAD_EPOCH_HI) << 32);
	eng_wr(e, ISQ_EV_BASE + ISQ_EV_POP, 1);
	return 0;
}

static uint64_t mix(uint64_t h, uint32_t v)
{
	h ^= v;
	h *= 0x100000001b3ull; /* FNV-1a step */
	return h;
}

uint64_t eng_state_digest(struct eng *e)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i, j, arg[8] = { 0 }, res[16], bmp[32];

	/* Directed tests use slots < 64 and groups < 16 only. */
	for (i = 0; i < e->num_sa && i < 64; i++) {
		arg[0] = i;
		if (eng_mb(e, ISQ_OP_SLOT_READ, arg, res, bmp) != ISQ_RC_OK)
			return 0;
		for (j = 0; j < 7; j++) /* RES7/8 is the current epoch */
			h = mix(h, res[j]);
		if (res[0] & ISQ_MB_SFLAG_DIR_IN_MASK)
			for (j = 0; j < e->window / 32; j++)
				h = mix(h, bmp[j]);
	}
	for (i = 0; i < e->num_group && i < 16; i++) {
		arg[0] = i;
		if (eng_mb(e, ISQ_OP_GROUP_READ, arg, res, NULL) != ISQ_RC_OK)
			return 0;
		for (j = 0; j < 16; j++)
			h = mix(h, res[j]);
	}
	return h;
}

void eng_close(struct eng *e)
{
	if (e)
		e->close(e);
}
