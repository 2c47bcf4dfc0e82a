/* fake_engine.c — in-memory engine CSR model for firmware unit tests. */
#include "fake_engine.h"

#include <string.h>

#include "fw_csr.h"

#define ID_B 0x000u
#define MB_B 0x100u
#define EV_B 0x200u
#define DI_B 0x300u

void fe_init(struct fake_engine *e, uint32_t num_sa, uint32_t num_group, uint32_t window)
{
	memset(e, 0, sizeof(*e));
	e->num_sa = num_sa;
	e->num_group = num_group;
	e->window = window;
}

static uint64_t a64(struct fake_engine *e, int i)
{
	return e->arg[i] | ((uint64_t)e->arg[i + 1] << 32);
}

static void r64(struct fake_engine *e, int i, uint64_t v)
{
	e->res[i] = (uint32_t)v;
	e->res[i + 1] = (uint32_t)(v >> 32);
}

static void raise(struct fake_engine *e, uint32_t type, uint32_t index, uint64_t value)
{
	if (e->ev_n == FE_EVT_DEPTH) {
		e->ev_dropped++;
		return;
	}
	e->ev[e->ev_n++] = (struct fe_ev){ type | (index << 16), value, e->epoch };
}

static uint64_t seq_max(const struct fe_slot *s)
{
	return s->esn ? UINT64_MAX : 0xffffffffu;
}

static uint64_t eff_out(struct fake_engine *e, const struct fe_slot *s)
{
	return s->base + e->grp[s->group].tx_offset;
}

static void bmp_shift(struct fe_slot *s, uint64_t by, uint32_t w)
{
	uint32_t n = w / 32, i;

	if (by >= w) {
		memset(s->bmp, 0, sizeof(s->bmp));
		return;
	}
	while (by--) {
		for (i = n - 1; i > 0; i--)
			s->bmp[i] = (s->bmp[i] << 1) | (s->bmp[i - 1] >> 31);
		s->bmp[0] <<= 1;
	}
}

/* Fold pending group advances: everything at or below T + delta is seen. */
static void fold_in(struct fake_engine *e, struct fe_slot *s)
{
	uint64_t d = e->grp[s->group].rx_advance - s->adv_seen;

	if (!d)
		return;
	s->base += d;
	memset(s->bmp, 0xff, sizeof(s->bmp));
	s->adv_seen = e->grp[s->group].rx_advance;
}

static int bit_get(const struct fe_slot *s, uint64_t i)
{
	return (s->bmp[i / 32] >> (i % 32)) & 1u;
}

static void bit_set(struct fe_slot *s, uint64_t i)
{
	s->bmp[i / 32] |= 1u << (i % 32);
}

/* RFC 4303 Appendix A2.2: infer the high 32 bits from the window. */
static uint64_t infer(const struct fe_slot *s, uint32_t lo, uint32_t w)
{
	uint32_t tl = (uint32_t)s->base, th = (uint32_t)(s->base >> 32), hi;

	if (!s->esn)
		return lo;
	if (tl >= w - 1)
		hi = lo >= tl - w + 1 ? th : th + 1;
	else
		hi = lo >= tl - w + 1 ? th - 1 : th;
	return ((uint64_t)hi << 32) | lo;
}

static uint32_t rx_check(struct fake_engine *e, struct fe_slot *s, uint64_t seq)
{
	if (seq == 0)
		return 5;
	if (seq > s->base)
		return 0;
	if (s->base - seq >= e->window)
		return 5;
	return bit_get(s, s->base - seq) ? 4 : 0;
}

static void dp_one(struct fake_engine *e)
{
	struct fe_slot *s = e->di_slot < e->num_sa ? &e->slot[e->di_slot] : NULL;
	uint32_t st = 0;
	uint64_t seq = 0;

	if (!s || !s->valid || (e->di_op == 0) == !!s->in) {
		st = 3;
	} else if (e->di_op == 0) {
		uint64_t v = eff_out(e, s) + 1;

		if (e->grp[s->group].held) {
			st = 1;
		} else if (eff_out(e, s) >= s->hard) {
			st = 2;
			if (!s->exh) {
				s->exh = 1;
				raise(e, 1, e->di_slot, eff_out(e, s));
			}
		} else {
			s->base++;
			seq = v;
			if (s->soft && v >= s->soft && !s->soft_evt) {
				s->soft_evt = 1;
				raise(e, 2, e->di_slot, v);
			}
		}
	} else {
		fold_in(e, s);
		seq = e->di_op == 1 ? infer(s, (uint32_t)e->di_seq, e->window) : e->di_seq;
		st = rx_check(e, s, seq);
		if (e->di_op == 2 && st == 0) {
			if (seq > s->base) {
				bmp_shift(s, seq - s->base, e->window);
				s->base = seq;
				bit_set(s, 0);
			} else {
				bit_set(s, s->base - seq);
			}
		}
	}
	e->rq[e->rq_n++] = (struct fe_res){ st | (e->di_slot << 16), seq, e->epoch };
}

static void di_issue(struct fake_engine *e)
{
	while (e->di_left && e->rq_n < FE_RES_DEPTH) {
		dp_one(e);
		e->di_left--;
	}
}

static uint32_t mb_op(struct fake_engine *e, uint32_t op)
{
	uint32_t slot = e->arg[0], g, i;
	struct fe_slot *s;

	memset(e->res, 0, sizeof(e->res));
	switch (op) {
	case FW_MBOP_NOP:
		return 0;
	case FW_MBOP_SLOT_INSTALL: {
		uint32_t grp = e->arg[1] & 0xffffu;
		int in = !!(e->arg[1] & FW_MB_INST_DIR_IN), esn = !!(e->arg[1] & FW_MB_INST_ESN);
		uint64_t seq = a64(e, 2), hard = a64(e, 4), soft = a64(e, 6), max;

		if (slot >= e->num_sa)
			return 2;
		if (grp >= e->num_group)
			return 3;
		if (e->arg[1] & ~(0xffffu | FW_MB_INST_DIR_IN | FW_MB_INST_ESN))
			return 7;
		if (e->slot[slot].valid)
			return 4;
		for (i = 0; i < e->num_sa; i++)
			if (e->slot[i].valid && e->slot[i].group == grp && e->slot[i].esn != esn)
				return 6;
		max = esn ? UINT64_MAX : 0xffffffffu;
		if (in ? (hard || soft || seq > max) :
		    (hard > max || seq >= (hard ? hard : max) || soft > (hard ? hard : max)))
			return 9;
		s = &e->slot[slot];
		memset(s, 0, sizeof(*s));
		s->valid = 1;
		s->in = in;
		s->esn = esn;
		s->group = grp;
		s->hard = in ? 0 : (hard ? hard : max);
		s->soft = soft;
		if (in) {
			s->base = seq;
			s->adv_seen = e->grp[grp].rx_advance;
			memset(s->bmp, 0xff, sizeof(s->bmp));
		} else {
			s->base = seq - e->grp[grp].tx_offset;
		}
		r64(e, 0, e->epoch);
		return 0;
	}
	case FW_MBOP_SLOT_READ:
		if (slot >= e->num_sa)
			return 2;
		s = &e->slot[slot];
		memset(e->bmp, 0, sizeof(e->bmp));
		if (s->valid) {
			e->res[0] = 1u | (s->in ? 2u : 0) | (s->esn ? 4u : 0) | (s->exh ? 8u : 0) |
				    (s->soft_evt ? 16u : 0) | (s->group << 16);
			if (s->in) {
				fold_in(e, s);
				r64(e, 1, s->base);
				memcpy(e->bmp, s->bmp, sizeof(e->bmp));
			} else {
				r64(e, 1, eff_out(e, s));
				r64(e, 3, s->hard);
				r64(e, 5, s->soft);
			}
		}
		r64(e, 7, e->epoch);
		return 0;
	case FW_MBOP_SLOT_CLEAR:
		if (slot >= e->num_sa)
			return 2;
		if (!e->slot[slot].valid)
			return 5;
		memset(&e->slot[slot], 0, sizeof(e->slot[slot]));
		r64(e, 0, e->epoch);
		return 0;
	case FW_MBOP_GROUP_READ: {
		uint32_t nout = 0, nin = 0, esn = 0;
		uint64_t txmax = 0, lim = UINT64_MAX;

		g = e->arg[0];
		if (g >= e->num_group)
			return 3;
		for (i = 0; i < e->num_sa; i++) {
			s = &e->slot[i];
			if (!s->valid || s->group != g)
				continue;
			esn = s->esn;
			if (s->in) {
				nin++;
			} else {
				nout++;
				if (eff_out(e, s) > txmax)
					txmax = eff_out(e, s);
				if (s->hard < lim)
					lim = s->hard;
			}
		}
		e->res[0] = (e->grp[g].held ? 1u : 0) | (esn ? 2u : 0) | ((nout + nin) ? 4u : 0);
		e->res[1] = nout | (nin << 16);
		r64(e, 2, e->grp[g].tx_offset);
		r64(e, 4, e->grp[g].rx_advance);
		r64(e, 6, txmax);
		r64(e, 8, nout ? lim : 0);
		r64(e, 10, e->grp[g].last_epoch);
		r64(e, 12, e->epoch);
		return 0;
	}
	case FW_MBOP_GROUP_TX_ADD:
	case FW_MBOP_GROUP_RX_ADV:
	case FW_MBOP_GROUP_HOLD:
	case FW_MBOP_GROUP_RELEASE: {
		uint64_t d = a64(e, 2);

		g = e->arg[0];
		if (g >= e->num_group)
			return 3;
		if ((op == FW_MBOP_GROUP_TX_ADD && (e->arg[1] & ~1u)))
			return 7;
		if (op == FW_MBOP_GROUP_TX_ADD) {
			for (i = 0; i < e->num_sa; i++) {
				s = &e->slot[i];
				if (s->valid && !s->in && s->group == g &&
				    (eff_out(e, s) + d < eff_out(e, s) || eff_out(e, s) + d > s->hard)) {
					raise(e, 3, g, d);
					return 8;
				}
			}
			e->grp[g].tx_offset += d;
			if (e->arg[1] & 1u)
				e->grp[g].held = 0;
		} else if (op == FW_MBOP_GROUP_RX_ADV) {
			for (i = 0; i < e->num_sa; i++) {
				s = &e->slot[i];
				if (s->valid && s->in && s->group == g) {
					fold_in(e, s);
					if (s->base + d < s->base || s->base + d > seq_max(s)) {
						raise(e, 3, g, d);
						return 8;
					}
				}
			}
			e->grp[g].rx_advance += d;
		} else {
			e->grp[g].held = op == FW_MBOP_GROUP_HOLD;
		}
		e->epoch++;
		e->grp[g].last_epoch = e->epoch;
		r64(e, 0, e->epoch);
		return 0;
	}
	case FW_MBOP_EPOCH_READ:
		r64(e, 0, e->epoch);
		return 0;
	default:
		return 1;
	}
}

uint32_t fe_rd32(void *ctx, uint32_t off)
{
	struct fake_engine *e = ctx;
	uint32_t b = off & ~0xffu, r = off & 0xffu;

	e->cycles += 2;
	if (r == FW_BLK_R_NEXT)
		return b == DI_B ? (e->break_list ? MB_B : 0) : b + 0x100u;
	switch (b) {
	case ID_B:
		switch (r) {
		case FW_BLK_R_TYPE:    return FW_BLK_ID;
		case FW_BLK_R_VERSION: return 0x00010000u;
		case FW_ID_NUM_SA:     return e->num_sa;
		case FW_ID_NUM_GROUP:  return e->num_group;
		case FW_ID_WINDOW:     return e->window;
		case FW_ID_BUILD_ID:   return 0xfa4e0001u;
		case FW_ID_FEATURES:   return 0xfu;
		case FW_ID_DP_LATENCY: return 4;
		case FW_ID_EVT_DEPTH:  return FE_EVT_DEPTH;
		case FW_ID_CYCLE_LO:   return (uint32_t)e->cycles;
		case FW_ID_CYCLE_HI:   return (uint32_t)(e->cycles >> 32);
		}
		return 0;
	case MB_B:
		if (r == FW_BLK_R_TYPE)
			return FW_BLK_MB;
		if (r == FW_MB_STATUS)
			return e->status | (e->stuck_busy ? 1u : 0);
		if (r >= FW_MB_ARG(0) && r < FW_MB_RES(0))
			return e->arg[(r - FW_MB_ARG(0)) / 4];
		if (r >= FW_MB_RES(0) && r < FW_MB_BMP(0))
			return e->res[(r - FW_MB_RES(0)) / 4];
		if (r >= FW_MB_BMP(0))
			return e->bmp[(r - FW_MB_BMP(0)) / 4];
		return 0;
	case EV_B:
		switch (r) {
		case FW_BLK_R_TYPE:  return FW_BLK_EV;
		case FW_EV_COUNT:    return e->ev_n;
		case FW_EV_HEAD0:    return e->ev_n ? e->ev[0].head0 : 0;
		case FW_EV_VAL_LO:   return e->ev_n ? (uint32_t)e->ev[0].value : 0;
		case FW_EV_VAL_HI:   return e->ev_n ? (uint32_t)(e->ev[0].value >> 32) : 0;
		case FW_EV_EPOCH_LO: return e->ev_n ? (uint32_t)e->ev[0].epoch : 0;
		case FW_EV_EPOCH_HI: return e->ev_n ? (uint32_t)(e->ev[0].epoch >> 32) : 0;
		case FW_EV_DROPPED:  return e->ev_dropped;
		}
		return 0;
	case DI_B:
		switch (r) {
		case FW_BLK_R_TYPE:    return FW_BLK_DI;
		case FW_DI_STATUS:     return (e->di_left ? 1u : 0) | (e->di_left << 16);
		case FW_DI_RES_COUNT:  return e->rq_n;
		case FW_DI_RES_HEAD0:  return e->rq_n ? e->rq[0].head0 : 0;
		case FW_DI_RES_SEQ_LO: return e->rq_n ? (uint32_t)e->rq[0].seq : 0;
		case FW_DI_RES_SEQ_HI: return e->rq_n ? (uint32_t)(e->rq[0].seq >> 32) : 0;
		case FW_DI_RES_EP_LO:  return e->rq_n ? (uint32_t)e->rq[0].epoch : 0;
		case FW_DI_RES_EP_HI:  return e->rq_n ? (uint32_t)(e->rq[0].epoch >> 32) : 0;
		}
		return 0;
	}
	return 0;
}

void fe_wr32(void *ctx, uint32_t off, uint32_t v)
{
	struct fake_engine *e = ctx;
	uint32_t b = off & ~0xffu, r = off & 0xffu;

	e->cycles += 2;
	if (b == MB_B) {
		if (r >= FW_MB_ARG(0) && r < FW_MB_RES(0))
			e->arg[(r - FW_MB_ARG(0)) / 4] = v;
		else if (r == FW_MB_CMD && !e->stuck_busy) {
			uint32_t rc = mb_op(e, v & 0xffu), done = (e->status >> 16) + 1;

			e->cycles += 4;
			e->status = (rc << 8) | (done << 16);
		}
	} else if (b == EV_B) {
		if (r == FW_EV_POP && v == 1 && e->ev_n) {
			memmove(&e->ev[0], &e->ev[1], (e->ev_n - 1) * sizeof(e->ev[0]));
			e->ev_n--;
		} else if (r == FW_EV_DROPPED && v == 1) {
			e->ev_dropped = 0;
		}
	} else if (b == DI_B) {
		switch (r) {
		case FW_DI_OP:     e->di_op = v; break;
		case FW_DI_SLOT:   e->di_slot = v; break;
		case FW_DI_SEQ_LO: e->di_seq = (e->di_seq & ~0xffffffffull) | v; break;
		case FW_DI_SEQ_HI: e->di_seq = (e->di_seq & 0xffffffffull) | ((uint64_t)v << 32); break;
		case FW_DI_COUNT:  e->di_count = v; break;
		case FW_DI_CTRL:
			if (v == 1) {
				e->di_left = e->di_count;
				di_issue(e);
			}
			break;
		case FW_DI_RES_POP:
			if (v == 1 && e->rq_n) {
				memmove(&e->rq[0], &e->rq[1], (e->rq_n - 1) * sizeof(e->rq[0]));
				e->rq_n--;
				di_issue(e);
			}
			break;
		}
	}
}
