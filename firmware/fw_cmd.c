/* fw_cmd.c — command validation and execution.
 *
 * Every command is validated in full against the engine facts and the
 * firmware's shadow of slot/group membership before any CSR is touched;
 * a refused command changes nothing. The engine validates again (defence
 * in depth); its refusals are passed through with the same codes. */
#include "fw.h"

#include "fw_csr.h"
#include "fw_engine.h"

#define U32_MAX_ 0xffffffffu
#define U64_MAX_ 0xffffffffffffffffull

static uint32_t lo32(uint64_t v) { return (uint32_t)v; }
static uint32_t hi32(uint64_t v) { return (uint32_t)(v >> 32); }
static uint64_t mk64(uint32_t lo, uint32_t hi) { return ((uint64_t)hi << 32) | lo; }

/* The argument fields each opcode uses; all others must be zero. */
enum { U_IDX = 1, U_IDX2 = 2, U_A = 4, U_B = 8, U_C = 16 };

struct op_rule {
	uint16_t flags;   /* allowed flag bits */
	uint8_t  uses;    /* U_* */
};

static const struct op_rule op_rules[ICA_OP_MAX_] = {
	[ICA_OP_NOP]           = { 0, 0 },
	[ICA_OP_IDENTIFY]      = { 0, 0 },
	[ICA_OP_SLOT_INSTALL]  = { ICA_F_INSTALL_IN | ICA_F_INSTALL_ESN, U_IDX | U_IDX2 | U_A | U_B | U_C },
	[ICA_OP_SLOT_REMOVE]   = { 0, U_IDX },
	[ICA_OP_SLOT_READ]     = { ICA_F_READ_BITMAP, U_IDX },
	[ICA_OP_GROUP_READ]    = { 0, U_IDX },
	[ICA_OP_GROUP_TX_ADD]  = { ICA_F_TXADD_RELEASE, U_IDX | U_A },
	[ICA_OP_GROUP_RX_ADV]  = { 0, U_IDX | U_A },
	[ICA_OP_GROUP_HOLD]    = { 0, U_IDX },
	[ICA_OP_GROUP_RELEASE] = { 0, U_IDX },
	[ICA_OP_READBACK]      = { ICA_F_RB_GROUP | ICA_F_RB_VALID_ONLY, U_IDX | U_IDX2 | U_A },
	[ICA_OP_EVENT_DRAIN]   = { 0, 0 },
	[ICA_OP_SELFTEST]      = { 0, 0 },
	[ICA_OP_DP_TX]         = { 0, U_IDX | U_IDX2 },
	[ICA_OP_DP_RX]         = { ICA_F_RX_COMMIT, U_IDX | U_A },
};

static int refuse(uint16_t *field, uint16_t f, int status)
{
	*field = f;
	return status;
}

int fw_validate(const struct fw *fw, const struct ica_cmd *c, uint16_t *field)
{
	const struct fw_engine *e = &fw->eng;
	const struct op_rule *r;
	uint64_t max;
	int esn;

	*field = ICA_FLD_NONE;
	if (c->op >= ICA_OP_MAX_)
		return refuse(field, ICA_FLD_OP, ICA_ST_BAD_OP);
	r = &op_rules[c->op];
	if (c->rsvd0 || c->rsvd[0] || c->rsvd[1] || c->rsvd[2])
		return refuse(field, ICA_FLD_RSVD, ICA_ST_RESERVED);
	if (c->flags & ~r->flags)
		return refuse(field, ICA_FLD_FLAGS, ICA_ST_BAD_FLAGS);
	if (!(r->uses & U_IDX) && c->index)
		return refuse(field, ICA_FLD_INDEX, ICA_ST_RESERVED);
	if (!(r->uses & U_IDX2) && c->index2)
		return refuse(field, ICA_FLD_INDEX2, ICA_ST_RESERVED);
	if (!(r->uses & U_A) && c->a)
		return refuse(field, ICA_FLD_A, ICA_ST_RESERVED);
	if (!(r->uses & U_B) && c->b)
		return refuse(field, ICA_FLD_B, ICA_ST_RESERVED);
	if (!(r->uses & U_C) && c->c)
		return refuse(field, ICA_FLD_C, ICA_ST_RESERVED);

	switch (c->op) {
	case ICA_OP_SLOT_INSTALL:
		if (c->index >= e->num_sa)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_SLOT);
		if (c->index2 >= e->num_group)
			return refuse(field, ICA_FLD_INDEX2, ICA_ST_BAD_GROUP);
		esn = !!(c->flags & ICA_F_INSTALL_ESN);
		if (esn && !(e->features & FW_FEAT_ESN))
			return refuse(field, ICA_FLD_FLAGS, ICA_ST_BAD_FLAGS);
		if ((c->flags & ICA_F_INSTALL_IN) && !(e->features & FW_FEAT_INBOUND))
			return refuse(field, ICA_FLD_FLAGS, ICA_ST_BAD_FLAGS);
		/* RFC 4303 §3.3.3: "the sender MUST NOT send a packet on an SA
		 * if doing so would cause the sequence number to cycle." A
		 * 32-bit counter ends at 2^32-1, an ESN one (§2.2.1) at 2^64-1:
		 * those are the largest limits and starting points. */
		max = esn ? U64_MAX_ : U32_MAX_;
		if (c->flags & ICA_F_INSTALL_IN) {
			if (c->b)
				return refuse(field, ICA_FLD_B, ICA_ST_BAD_VALUE);
			if (c->c)
				return refuse(field, ICA_FLD_C, ICA_ST_BAD_VALUE);
			if (c->a > max)
				return refuse(field, ICA_FLD_A, ICA_ST_BAD_VALUE);
		} else {
			uint64_t hard = c->b ? c->b : max;

			if (c->b > max)
				return refuse(field, ICA_FLD_B, ICA_ST_BAD_VALUE);
			if (c->a >= hard)
				return refuse(field, ICA_FLD_A, ICA_ST_BAD_VALUE);
			if (c->c > hard)
				return refuse(field, ICA_FLD_C, ICA_ST_BAD_VALUE);
		}
		if (fw->slot[c->index].valid)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_SLOT_LIVE);
		/* RFC 6311 §6.4: "all replay counters for Child SAs of this IKE
		 * SA are incremented by the same value. Note that this solution
		 * requires that either all Child SAs use Extended Sequence
		 * Numbers (ESNs) or else that no Child SA uses ESNs." A group is
		 * an IKE SA: one ESN mode per group. */
		if (fw->grp_nslots[c->index2] && fw->grp_esn[c->index2] != esn)
			return refuse(field, ICA_FLD_FLAGS, ICA_ST_ESN_MISMATCH);
		return ICA_ST_OK;
	case ICA_OP_SLOT_REMOVE:
		if (c->index >= e->num_sa)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_SLOT);
		if (!fw->slot[c->index].valid)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_SLOT_FREE);
		return ICA_ST_OK;
	case ICA_OP_SLOT_READ:
		if (c->index >= e->num_sa)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_SLOT);
		return ICA_ST_OK;
	case ICA_OP_GROUP_READ:
	case ICA_OP_GROUP_TX_ADD:
	case ICA_OP_GROUP_RX_ADV:
	case ICA_OP_GROUP_HOLD:
	case ICA_OP_GROUP_RELEASE:
		if (c->index >= e->num_group)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_GROUP);
		return ICA_ST_OK;
	case ICA_OP_READBACK:
		if (c->flags & ICA_F_RB_GROUP) {
			if (c->flags & ICA_F_RB_VALID_ONLY)
				return refuse(field, ICA_FLD_FLAGS, ICA_ST_BAD_FLAGS);
			if (c->index >= e->num_group)
				return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_GROUP);
			if (c->index2 > ICA_RB_ENTRIES)
				return refuse(field, ICA_FLD_INDEX2, ICA_ST_BAD_VALUE);
			if (c->a >= e->num_sa)
				return refuse(field, ICA_FLD_A, ICA_ST_BAD_VALUE);
			return ICA_ST_OK;
		}
		if (c->a)
			return refuse(field, ICA_FLD_A, ICA_ST_RESERVED);
		if (c->index >= e->num_sa)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_SLOT);
		if (c->index2 == 0 || c->index2 > ICA_RB_ENTRIES)
			return refuse(field, ICA_FLD_INDEX2, ICA_ST_BAD_VALUE);
		if (c->index2 > e->num_sa - c->index)
			return refuse(field, ICA_FLD_INDEX2, ICA_ST_BAD_SLOT);
		return ICA_ST_OK;
	case ICA_OP_DP_TX:
	case ICA_OP_DP_RX:
		if (!(e->features & FW_FEAT_INJECTOR))
			return refuse(field, ICA_FLD_OP, ICA_ST_BAD_OP);
		if (c->index >= e->num_sa)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_SLOT);
		if (!fw->slot[c->index].valid)
			return refuse(field, ICA_FLD_INDEX, ICA_ST_SLOT_FREE);
		if (c->op == ICA_OP_DP_TX) {
			if (fw->slot[c->index].dir_in)
				return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_VALUE);
			if (c->index2 == 0 || c->index2 > ICA_RB_ENTRIES)
				return refuse(field, ICA_FLD_INDEX2, ICA_ST_BAD_VALUE);
		} else {
			if (!fw->slot[c->index].dir_in)
				return refuse(field, ICA_FLD_INDEX, ICA_ST_BAD_VALUE);
			/* RFC 4303 §3.3.3: "If ESN ... is selected, only the
			 * low-order 32 bits of the sequence number are transmitted
			 * in the Sequence Number field"; the engine infers the rest
			 * (Appendix A). */
			if (c->a > U32_MAX_)
				return refuse(field, ICA_FLD_A, ICA_ST_BAD_VALUE);
		}
		return ICA_ST_OK;
	default:
		return ICA_ST_OK;
	}
}

/* ---- execution of validated commands ---- */

static int x_identify(struct fw *fw, struct ica_cpl *cpl)
{
	uint32_t res[2];
	int st = fw_mb_exec(fw, FW_MBOP_EPOCH_READ, 0, 0, res, 2);

	if (st)
		return st;
	cpl->w0 = fw->p.fw_build_id;
	cpl->v[0] = mk64(res[0], res[1]);
	cpl->v[1] = fw_eng_cycles64(fw);
	cpl->v[2] = fw->ev_prod;
	return ICA_ST_OK;
}

static int x_install(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl)
{
	uint32_t a[8], res[2];
	int esn = !!(c->flags & ICA_F_INSTALL_ESN), in = !!(c->flags & ICA_F_INSTALL_IN), st;
	struct fw_slot *s = &fw->slot[c->index];

	a[0] = c->index;
	a[1] = c->index2 | (in ? FW_MB_INST_DIR_IN : 0) | (esn ? FW_MB_INST_ESN : 0);
	a[2] = lo32(c->a);
	a[3] = hi32(c->a);
	a[4] = lo32(c->b);
	a[5] = hi32(c->b);
	a[6] = lo32(c->c);
	a[7] = hi32(c->c);
	st = fw_mb_exec(fw, FW_MBOP_SLOT_INSTALL, a, 8, res, 2);
	if (st)
		return st;
	s->valid = 1;
	s->dir_in = (uint8_t)in;
	s->esn = (uint8_t)esn;
	s->group = (uint16_t)c->index2;
	if (fw->grp_nslots[s->group]++ == 0)
		fw->grp_esn[s->group] = (uint8_t)esn;
	cpl->v[0] = mk64(res[0], res[1]);
	return ICA_ST_OK;
}

static int x_remove(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl)
{
	uint32_t a[1] = { c->index }, res[2];
	struct fw_slot *s = &fw->slot[c->index];
	int st = fw_mb_exec(fw, FW_MBOP_SLOT_CLEAR, a, 1, res, 2);

	if (st)
		return st;
	fw->grp_nslots[s->group]--;
	fw_memset(s, 0, sizeof(*s));
	cpl->v[0] = mk64(res[0], res[1]);
	return ICA_ST_OK;
}

/* One torn-free engine SLOT_READ (all RES latch at one edge). */
static int slot_read(struct fw *fw, uint32_t slot, uint32_t *flags, uint64_t *value,
		     uint64_t *hard, uint64_t *soft, uint64_t *epoch)
{
	uint32_t a[1] = { slot }, r[9];
	int st = fw_mb_exec(fw, FW_MBOP_SLOT_READ, a, 1, r, 9);

	if (st)
		return st;
	*flags = r[0];
	*value = mk64(r[1], r[2]);
	*hard = mk64(r[3], r[4]);
	*soft = mk64(r[5], r[6]);
	*epoch = mk64(r[7], r[8]);
	return ICA_ST_OK;
}

/* Engine RES0 flag bits → ABI slot flags (identical by design, masked). */
static uint32_t slot_flags(uint32_t f)
{
	return f & (0xffff0000u | ICA_SF_VALID | ICA_SF_DIR_IN | ICA_SF_ESN |
		    ICA_SF_EXHAUSTED | ICA_SF_SOFT);
}

static int x_slot_read(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl,
		       struct ica_rb *rb)
{
	uint32_t f;
	int st = slot_read(fw, c->index, &f, &cpl->v[0], &cpl->v[1], &cpl->v[2], &cpl->v[3]);

	if (st)
		return st;
	cpl->w0 = slot_flags(f);
	if ((c->flags & ICA_F_READ_BITMAP) && (f & ICA_SF_VALID) && (f & ICA_SF_DIR_IN)) {
		/* The bitmap words go to the start of the readback window. */
		uint32_t n = fw->eng.window / 32u;

		fw_mb_bitmap(fw, (uint32_t *)(void *)rb, n);
		cpl->v[4] = n;
	}
	return ICA_ST_OK;
}

static int x_group_read(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl)
{
	uint32_t a[1] = { c->index }, r[14];
	int st = fw_mb_exec(fw, FW_MBOP_GROUP_READ, a, 1, r, 14);

	if (st)
		return st;
	cpl->w0 = r[0];
	cpl->v[0] = (uint64_t)(r[1] & 0xffffu) | ((uint64_t)(r[1] >> 16) << 32);
	cpl->v[1] = mk64(r[2], r[3]);   /* tx_offset */
	cpl->v[2] = mk64(r[4], r[5]);   /* rx_advance */
	cpl->v[3] = mk64(r[6], r[7]);   /* tx_max */
	cpl->v[4] = mk64(r[8], r[9]);   /* tx_limit */
	cpl->v[5] = mk64(r[10], r[11]); /* epoch of the group's last operation */
	return ICA_ST_OK;
}

static int x_group_op(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl)
{
	uint32_t a[4], res[2], op;
	unsigned n = 1;
	int st;

	a[0] = c->index;
	switch (c->op) {
	case ICA_OP_GROUP_TX_ADD:
		op = FW_MBOP_GROUP_TX_ADD;
		a[1] = (c->flags & ICA_F_TXADD_RELEASE) ? 1u : 0u;
		a[2] = lo32(c->a);
		a[3] = hi32(c->a);
		n = 4;
		break;
	case ICA_OP_GROUP_RX_ADV:
		op = FW_MBOP_GROUP_RX_ADV;
		a[1] = 0;
		a[2] = lo32(c->a);
		a[3] = hi32(c->a);
		n = 4;
		break;
	case ICA_OP_GROUP_HOLD:
		op = FW_MBOP_GROUP_HOLD;
		break;
	default:
		op = FW_MBOP_GROUP_RELEASE;
		break;
	}
	st = fw_mb_exec(fw, op, a, n, res, 2);
	if (st)
		return st;
	cpl->v[0] = mk64(res[0], res[1]);
	return ICA_ST_OK;
}

static int rb_one(struct fw *fw, uint32_t slot, struct ica_rb *e, uint64_t *emin, uint64_t *emax)
{
	uint32_t f;
	uint64_t hard, soft;
	int st = slot_read(fw, slot, &f, &e->value, &hard, &soft, &e->epoch);

	if (st)
		return st;
	e->slot = slot;
	e->flags = slot_flags(f);
	e->limit = (f & ICA_SF_DIR_IN) ? 0 : hard;
	if (e->epoch < *emin)
		*emin = e->epoch;
	if (e->epoch > *emax)
		*emax = e->epoch;
	return ICA_ST_OK;
}

/* Bulk readback of effective counters into the readback window (HA
 * snapshots). Each entry is one torn-free engine read with its epoch. */
static int x_readback(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl,
		      struct ica_rb *rb)
{
	uint64_t emin = U64_MAX_, emax = 0;
	uint32_t n = 0, s, max = c->index2 ? c->index2 : ICA_RB_ENTRIES;
	int st;

	if (c->flags & ICA_F_RB_GROUP) {
		for (s = (uint32_t)c->a; s < fw->eng.num_sa && n < max; s++) {
			if (!fw->slot[s].valid || fw->slot[s].group != c->index)
				continue;
			st = rb_one(fw, s, &rb[n], &emin, &emax);
			if (st)
				return st;
			n++;
		}
	} else {
		for (s = c->index; s < c->index + c->index2; s++) {
			if ((c->flags & ICA_F_RB_VALID_ONLY) && !fw->slot[s].valid)
				continue;
			st = rb_one(fw, s, &rb[n], &emin, &emax);
			if (st)
				return st;
			n++;
		}
	}
	cpl->w0 = n;
	cpl->v[0] = s;            /* next cursor; == num_sa when done */
	cpl->v[1] = n ? emin : 0;
	cpl->v[2] = emax;
	return ICA_ST_OK;
}

struct tx_acc {
	struct ica_rb *rb;
	struct ica_cpl *cpl;
};

static void tx_result(void *arg, uint32_t i, const struct fw_di_result *r)
{
	struct tx_acc *t = arg;
	struct ica_rb *e = &t->rb[i];

	e->slot = r->slot;
	e->flags = r->status;
	e->value = r->seq;
	e->limit = 0;
	e->epoch = r->epoch;
	if (r->status == ICA_DP_OK) {
		if (t->cpl->v[0]++ == 0)
			t->cpl->v[1] = r->seq;
		t->cpl->v[2] = r->seq;
	}
	t->cpl->v[3] = r->epoch;
	t->cpl->v[4] = r->status;
}

static int x_dp_tx(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl, struct ica_rb *rb)
{
	struct tx_acc t = { rb, cpl };
	int st = fw_di_run(fw, FW_DIOP_TX_NEXT, c->index, 0, c->index2, tx_result, &t);

	if (st)
		return st;
	cpl->w0 = c->index2;
	return ICA_ST_OK;
}

static void rx_result(void *arg, uint32_t i, const struct fw_di_result *r)
{
	(void)i;
	*(struct fw_di_result *)arg = *r;
}

/* RFC 4303 §3.4.3: "The receive window is updated only if the integrity
 * verification succeeds." So the check and the commit are separate
 * data-path operations; the injector commits only what the check accepted
 * (standing in for a verified ICV). */
static int x_dp_rx(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl)
{
	struct fw_di_result chk, com;
	int st = fw_di_run(fw, FW_DIOP_RX_CHECK, c->index, c->a, 1, rx_result, &chk);

	if (st)
		return st;
	cpl->w0 = chk.status | ((uint32_t)ICA_DP_NONE << 8);
	cpl->v[0] = chk.seq;
	cpl->v[1] = chk.epoch;
	if ((c->flags & ICA_F_RX_COMMIT) && chk.status == ICA_DP_OK) {
		st = fw_di_run(fw, FW_DIOP_RX_COMMIT, c->index, chk.seq, 1, rx_result, &com);
		if (st)
			return st;
		cpl->w0 = chk.status | (com.status << 8);
		cpl->v[1] = com.epoch;
	}
	return ICA_ST_OK;
}

/* Self-test: each check sets its bit in v0 (failed) or v1 (skipped). */
static int x_selftest(struct fw *fw, struct ica_cpl *cpl)
{
	uint64_t failed = 0, skipped = 0, e1, e2;
	uint32_t r[14], a[8], s, g, c1, c2;
	volatile uint32_t *scratch = (volatile uint32_t *)(void *)
		(fw->p.bar + ICA_CTRL_OFF + __builtin_offsetof(struct ica_ctrl, rsvd));
	int st;

	/* 0: identity block still as at boot */
	if (fw->p.rd32(fw->p.bus_ctx, fw->eng.id_base + FW_ID_NUM_SA) != fw->eng.num_sa ||
	    fw->p.rd32(fw->p.bus_ctx, fw->eng.id_base + FW_ID_NUM_GROUP) != fw->eng.num_group)
		failed |= 1u << 0;
	/* 1: mailbox answers a NOP */
	if (fw_mb_exec(fw, FW_MBOP_NOP, 0, 0, 0, 0) != ICA_ST_OK)
		failed |= 1u << 1;
	/* 2: epoch readable and stable with no group operation in between */
	if (fw_mb_exec(fw, FW_MBOP_EPOCH_READ, 0, 0, r, 2) != ICA_ST_OK)
		failed |= 1u << 2;
	e1 = mk64(r[0], r[1]);
	if (fw_mb_exec(fw, FW_MBOP_EPOCH_READ, 0, 0, r, 2) != ICA_ST_OK)
		failed |= 1u << 2;
	e2 = mk64(r[0], r[1]);
	if (e1 != e2)
		failed |= 1u << 2;
	/* 3: cycle counter runs */
	c1 = fw_eng_cycles(fw);
	(void)fw_mb_exec(fw, FW_MBOP_NOP, 0, 0, 0, 0);
	c2 = fw_eng_cycles(fw);
	if (c1 == c2)
		failed |= 1u << 3;
	/* 4: card memory holds patterns */
	scratch[0] = 0xa5a5a5a5u;
	scratch[1] = 0x5a5a5a5au;
	if (scratch[0] != 0xa5a5a5a5u || scratch[1] != 0x5a5a5a5au)
		failed |= 1u << 4;
	scratch[0] = scratch[1] = 0;
	/* 5: event FIFO count within its depth */
	if (fw_ev_count(fw) > fw->eng.evt_depth)
		failed |= 1u << 5;
	/* 6: a temporary outbound slot in an idle group issues 1, 2 through the
	 * injector and reads back 2; it is removed again (no epoch change). */
	for (s = 0; s < fw->eng.num_sa && fw->slot[s].valid; s++)
		;
	for (g = 0; g < fw->eng.num_group && fw->grp_nslots[g]; g++)
		;
	st = ICA_ST_OK;
	if (s == fw->eng.num_sa || g == fw->eng.num_group || !(fw->eng.features & FW_FEAT_INJECTOR)) {
		skipped |= 1u << 6;
	} else {
		a[0] = g;
		st = fw_mb_exec(fw, FW_MBOP_GROUP_READ, a, 1, r, 14);
		if (st || (r[0] & ICA_GF_HELD) || r[3] || r[2] > 0x7fffffffu) {
			skipped |= st ? 0 : 1u << 6;
			failed |= st ? 1u << 6 : 0;
		} else {
			uint64_t base = r[2];
			struct fw_di_result res[2];
			uint32_t f;
			uint64_t v, h, so, ep;

			a[0] = s;
			a[1] = g;
			a[2] = a[3] = a[4] = a[5] = a[6] = a[7] = 0;
			if (fw_mb_exec(fw, FW_MBOP_SLOT_INSTALL, a, 8, r, 2)) {
				failed |= 1u << 6;
			} else {
				if (fw_di_run(fw, FW_DIOP_TX_NEXT, s, 0, 1, rx_result, &res[0]) ||
				    fw_di_run(fw, FW_DIOP_TX_NEXT, s, 0, 1, rx_result, &res[1]) ||
				    res[0].status != ICA_DP_OK || res[1].status != ICA_DP_OK ||
				    res[0].seq != base + 1 || res[1].seq != base + 2)
					failed |= 1u << 6;
				if (slot_read(fw, s, &f, &v, &h, &so, &ep) || !(f & ICA_SF_VALID) ||
				    v != base + 2)
					failed |= 1u << 6;
				a[0] = s;
				if (fw_mb_exec(fw, FW_MBOP_SLOT_CLEAR, a, 1, r, 2))
					failed |= 1u << 6;
			}
		}
	}
	cpl->w0 = 7;
	cpl->v[0] = failed;
	cpl->v[1] = skipped;
	return failed ? ICA_ST_SELFTEST : ICA_ST_OK;
}

void fw_exec(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl, struct ica_rb *rb)
{
	uint32_t c0 = fw_eng_cycles(fw);
	uint16_t field;
	int st;

	fw_memset(cpl, 0, sizeof(*cpl));
	cpl->tag = c->tag;
	cpl->op = c->op;
	st = fw_validate(fw, c, &field);
	if (st == ICA_ST_OK) {
		switch (c->op) {
		case ICA_OP_NOP:          break;
		case ICA_OP_IDENTIFY:     st = x_identify(fw, cpl); break;
		case ICA_OP_SLOT_INSTALL: st = x_install(fw, c, cpl); break;
		case ICA_OP_SLOT_REMOVE:  st = x_remove(fw, c, cpl); break;
		case ICA_OP_SLOT_READ:    st = x_slot_read(fw, c, cpl, rb); break;
		case ICA_OP_GROUP_READ:   st = x_group_read(fw, c, cpl); break;
		case ICA_OP_GROUP_TX_ADD:
		case ICA_OP_GROUP_RX_ADV:
		case ICA_OP_GROUP_HOLD:
		case ICA_OP_GROUP_RELEASE: st = x_group_op(fw, c, cpl); break;
		case ICA_OP_READBACK:     st = x_readback(fw, c, cpl, rb); break;
		case ICA_OP_EVENT_DRAIN: {
			uint32_t before = fw->ev_prod, lost = fw_ev_pump(fw, 0xffffffffu);

			cpl->w0 = fw->ev_prod - before;
			cpl->v[0] = lost;
			cpl->v[1] = fw->ev_prod;
			break;
		}
		case ICA_OP_SELFTEST:     st = x_selftest(fw, cpl); break;
		case ICA_OP_DP_TX:        st = x_dp_tx(fw, c, cpl, rb); break;
		case ICA_OP_DP_RX:        st = x_dp_rx(fw, c, cpl); break;
		default:                  st = ICA_ST_BAD_OP; break;
		}
		if (st != ICA_ST_OK && st != ICA_ST_SELFTEST) {
			/* Results of a refused operation are meaningless: clear them. */
			uint32_t tag = cpl->tag;

			fw_memset(cpl, 0, sizeof(*cpl));
			cpl->tag = tag;
			cpl->op = c->op;
		}
	}
	cpl->status = (uint8_t)st;
	cpl->detail = field;
	cpl->cycles = fw_eng_cycles(fw) - c0;
}
