/* isq_golden.c — operation-level golden model of the sequence-counter engine.
 * The semantics are stated in docs/rtl.md; this file is their executable
 * form. Values are kept absolute (a group operation updates every slot of
 * its group), unlike the RTL's lazy per-group offsets, so the two are
 * independent formulations of the same thing. */
#include "isq_golden_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isq_build.h"

void isq_golden_default_params(struct isq_golden_params *p)
{
	p->num_sa = 4096;
	p->num_group = 1024;
	p->window = 64;
	p->evt_depth = ISQ_EVT_DEPTH_DEF;
	p->inj_depth = ISQ_INJ_DEPTH_DEF;
	p->build_id = ISQ_BUILD_ID;
	p->dp_latency = ISQ_DP_LATENCY;
}

static int params_ok(const struct isq_golden_params *p)
{
	return p && p->num_sa >= 1 && p->num_sa <= 65536 && p->num_group >= 1 &&
	       p->num_group <= 65536 && p->window >= ISQ_W_MIN && p->window <= ISQ_W_MAX &&
	       (p->window & (p->window - 1)) == 0 && p->evt_depth >= 1 &&
	       p->evt_depth <= 65536 && p->inj_depth >= 1 && p->inj_depth <= 65536;
}

struct isq_golden *isq_golden_new(const struct isq_golden_params *p)
{
	struct isq_golden *g;

	if (!params_ok(p)) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->p = *p;
	g->slot = calloc(p->num_sa, sizeof(*g->slot));
	g->grp = calloc(p->num_group, sizeof(*g->grp));
	g->ev = calloc(p->evt_depth, sizeof(*g->ev));
	g->inj_res = calloc(p->inj_depth, sizeof(*g->inj_res));
	if (!g->slot || !g->grp || !g->ev || !g->inj_res) {
		isq_golden_free(g);
		errno = ENOMEM;
		return NULL;
	}
	isq_golden_reset(g);
	return g;
}

void isq_golden_free(struct isq_golden *g)
{
	if (!g)
		return;
	free(g->slot);
	free(g->grp);
	free(g->ev);
	free(g->inj_res);
	free(g);
}

void isq_golden_reset(struct isq_golden *g)
{
	uint32_t i;

	memset(g->slot, 0, g->p.num_sa * sizeof(*g->slot));
	memset(g->grp, 0, g->p.num_group * sizeof(*g->grp));
	for (i = 0; i < g->p.num_group; i++)
		g->grp[i].tx_limit = ISQ_SEQ32_MAX; /* ESN mode 0 until a slot sets it */
	g->epoch = 0;
	g->ev_head = g->ev_n = 0;
	g->ev_dropped = 0;
	memset(&g->csr, 0, sizeof(g->csr));
	g->inj_head = g->inj_n = 0;
}

const struct isq_golden_params *isq_golden_params(const struct isq_golden *g)
{
	return &g->p;
}

uint64_t isq_golden_epoch(const struct isq_golden *g)
{
	return g->epoch;
}

/* ---- replay bitmap: bit i stands for sequence number T - i */
static int bm_get(const struct gslot *s, uint64_t i)
{
	return (int)((s->bm[i / 64] >> (i % 64)) & 1u);
}

static void bm_set(struct gslot *s, uint64_t i)
{
	s->bm[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bm_fill(struct gslot *s, uint32_t w)
{
	memset(s->bm, 0, sizeof(s->bm));
	memset(s->bm, 0xff, w / 8);
}

/* T moves up by d: bit i becomes bit i + d; bits falling off the top go. */
static void bm_shift(struct gslot *s, uint64_t d, uint32_t w)
{
	uint64_t nb[ISQ_BM_WORDS] = { 0 };
	uint32_t i;

	if (d < w)
		for (i = 0; i + d < w; i++)
			if (bm_get(s, i))
				nb[(i + d) / 64] |= (uint64_t)1 << ((i + d) % 64);
	memcpy(s->bm, nb, sizeof(nb));
}

static uint64_t space_max(int esn)
{
	return esn ? UINT64_MAX : ISQ_SEQ32_MAX;
}

static void evt_push(struct isq_golden *g, unsigned type, uint32_t index, uint64_t value)
{
	struct isq_event *e;

	if (g->ev_n == g->p.evt_depth) {
		if (g->ev_dropped != UINT32_MAX)
			g->ev_dropped++;
		return;
	}
	e = &g->ev[(g->ev_head + g->ev_n) % g->p.evt_depth];
	e->type = (uint8_t)type;
	e->index = (uint16_t)index;
	e->value = value;
	e->epoch = g->epoch;
	g->ev_n++;
}

unsigned isq_golden_evt_count(const struct isq_golden *g)
{
	return g->ev_n;
}

int isq_golden_evt_pop(struct isq_golden *g, struct isq_event *e)
{
	if (!g->ev_n)
		return -ENOENT;
	if (e)
		*e = g->ev[g->ev_head];
	g->ev_head = (g->ev_head + 1) % g->p.evt_depth;
	g->ev_n--;
	return 0;
}

uint32_t isq_golden_evt_dropped(const struct isq_golden *g)
{
	return g->ev_dropped;
}

/* ---- data path */

static void tx_next(struct isq_golden *g, struct gslot *s, uint32_t slot, struct isq_dp_result *r)
{
	struct ggroup *gr = &g->grp[s->group];

	r->seq = s->val;
	if (gr->held) {
		r->status = ISQ_DP_HELD;
		return;
	}
	/* Never wrap, never pass the hard limit (RFC 4303 §3.3.3: the counter
	 * must not cycle; a new SA is needed). Raise the event once. */
	if (s->val >= s->hard) {
		r->status = ISQ_DP_EXHAUSTED;
		if (!s->ev_exh) {
			s->ev_exh = 1;
			evt_push(g, ISQ_EVT_EXHAUSTED, slot, s->val);
		}
		return;
	}
	s->val++;
	r->seq = s->val;
	r->status = ISQ_DP_OK;
	if (s->val > gr->tx_max)
		gr->tx_max = s->val;
	if (s->soft && s->val >= s->soft && !s->ev_soft) {
		s->ev_soft = 1;
		evt_push(g, ISQ_EVT_SOFT_LIMIT, slot, s->val);
	}
}

/* RFC 4303 Appendix A2.2: "Under Case A (Figure 1): If Seql >= Bl (where
 * Bl = Tl - W + 1), then Seqh = Th; If Seql < Bl, then Seqh = Th + 1.
 * Under Case B (Figure 2): If Seql >= Bl, then Seqh = Th - 1; If Seql < Bl,
 * then Seqh = Th." Returns 0 with *seq, or -1 when Seqh would leave 0..2^32-1
 * (no valid packet can carry that number: answered TOO_OLD). */
static int esn_infer(uint64_t t, uint32_t seql, uint32_t w, uint64_t *seq)
{
	uint32_t tl = (uint32_t)t, th = (uint32_t)(t >> 32);
	uint32_t bl = tl - w + 1u; /* mod 2^32 */
	uint32_t seqh;

	if (tl >= w - 1u) { /* Case A: the window lies in one subspace */
		if (seql >= bl)
			seqh = th;
		else if (th == UINT32_MAX)
			return -1;
		else
			seqh = th + 1u;
	} else { /* Case B: the window spans two subspaces */
		if (seql >= bl) {
			if (th == 0)
				return -1;
			seqh = th - 1u;
		} else
			seqh = th;
	}
	*seq = ((uint64_t)seqh << 32) | seql;
	return 0;
}

static void rx_check(struct isq_golden *g, struct gslot *s, uint64_t seq, struct isq_dp_result *r)
{
	uint32_t w = g->p.window, seql = (uint32_t)seq;
	uint64_t t = s->val, n;

	if (s->esn) {
		if (esn_infer(t, seql, w, &n)) {
			r->status = ISQ_DP_TOO_OLD;
			r->seq = 0;
			return;
		}
	} else
		n = seql;
	r->seq = n;
	/* RFC 4303 §3.4.3: numbers right of the window are new; inside it the
	 * bitmap decides; left of it they are rejected. */
	if (n > t)
		r->status = ISQ_DP_OK;
	else if (t - n >= w)
		r->status = ISQ_DP_TOO_OLD;
	else
		r->status = bm_get(s, t - n) ? ISQ_DP_REPLAY : ISQ_DP_OK;
}

static void rx_commit(struct isq_golden *g, struct gslot *s, uint64_t seq, struct isq_dp_result *r)
{
	uint32_t w = g->p.window;
	struct ggroup *gr = &g->grp[s->group];

	if (!s->esn && seq > ISQ_SEQ32_MAX) {
		r->status = ISQ_DP_INVALID;
		r->seq = 0;
		return;
	}
	r->seq = seq;
	/* RFC 4303 A2.1: "When a packet with a 64-bit sequence number (Seq)
	 * greater than T is received and validated, B is increased by (Seq - T),
	 * (Seq - T) bits are dropped from the low end of the window ... The top
	 * bit is set ... T is set to the new sequence number". */
	if (seq > s->val) {
		bm_shift(s, seq - s->val, w);
		bm_set(s, 0);
		s->val = seq;
		if (seq > gr->rx_max)
			gr->rx_max = seq;
		r->status = ISQ_DP_OK;
	} else if (s->val - seq >= w)
		r->status = ISQ_DP_TOO_OLD;
	else if (bm_get(s, s->val - seq))
		r->status = ISQ_DP_REPLAY; /* two copies passed the check; only one commits */
	else {
		bm_set(s, s->val - seq);
		r->status = ISQ_DP_OK;
	}
}

void isq_golden_dp(struct isq_golden *g, unsigned op, uint32_t slot, uint64_t seq,
		   struct isq_dp_result *r)
{
	struct gslot *s = slot < g->p.num_sa ? &g->slot[slot] : NULL;
	int want_in = op == ISQ_DPOP_RX_CHECK || op == ISQ_DPOP_RX_COMMIT;

	r->epoch = g->epoch;
	r->seq = 0;
	r->status = ISQ_DP_INVALID;
	if (op > ISQ_DPOP_RX_COMMIT || !s || !s->valid || (int)s->dir_in != want_in)
		return;
	if (op == ISQ_DPOP_TX_NEXT)
		tx_next(g, s, slot, r);
	else if (op == ISQ_DPOP_RX_CHECK)
		rx_check(g, s, seq, r);
	else
		rx_commit(g, s, seq, r);
}

/* ---- mailbox operations */

static uint64_t arg64(const uint32_t *arg, unsigned i)
{
	return (uint64_t)arg[i] | ((uint64_t)arg[i + 1] << 32);
}

static void put64(uint32_t *res, unsigned i, uint64_t v)
{
	res[i] = (uint32_t)v;
	res[i + 1] = (uint32_t)(v >> 32);
}

static unsigned slot_install(struct isq_golden *g, const uint32_t *arg, uint32_t *res)
{
	uint32_t slot = arg[0], gi = arg[1] & ISQ_MB_INST_GROUP_MASK;
	int dir_in = !!(arg[1] & ISQ_MB_INST_DIR_IN_MASK), esn = !!(arg[1] & ISQ_MB_INST_ESN_MASK);
	uint64_t seq = arg64(arg, 2), hard = arg64(arg, 4), soft = arg64(arg, 6);
	uint64_t max = space_max(esn), hard_eff = hard ? hard : max;
	struct gslot *s;
	struct ggroup *gr;
	int empty;

	if (slot >= g->p.num_sa)
		return ISQ_RC_BAD_SLOT;
	if (arg[1] & ~(ISQ_MB_INST_GROUP_MASK | ISQ_MB_INST_DIR_IN_MASK | ISQ_MB_INST_ESN_MASK))
		return ISQ_RC_RESERVED;
	if (gi >= g->p.num_group)
		return ISQ_RC_BAD_GROUP;
	s = &g->slot[slot];
	gr = &g->grp[gi];
	if (s->valid)
		return ISQ_RC_SLOT_LIVE;
	empty = gr->n_out + gr->n_in == 0;
	/* RFC 6311 §6.4: "this solution requires that either all Child SAs use
	 * Extended Sequence Numbers (ESNs) or else that no Child SA uses ESNs." */
	if (!empty && gr->esn != esn)
		return ISQ_RC_ESN_MISMATCH;
	if (dir_in) {
		if (hard || soft || seq > max)
			return ISQ_RC_BAD_VALUE;
	} else if (hard_eff > max || seq >= hard_eff || (soft && soft > hard_eff))
		return ISQ_RC_BAD_VALUE;

	if (empty) {
		/* A group with no slots starts afresh (a new IKE SA on this index);
		 * HOLD is kept so a group can be held before its slots arrive. */
		gr->esn = (uint8_t)esn;
		gr->off = gr->adv = 0;
		gr->tx_max = dir_in ? 0 : seq;
		gr->rx_max = dir_in ? seq : 0;
		gr->tx_limit = max;
	} else if (dir_in) {
		if (seq > gr->rx_max)
			gr->rx_max = seq;
	} else if (seq > gr->tx_max)
		gr->tx_max = seq;
	memset(s, 0, sizeof(*s));
	s->valid = 1;
	s->dir_in = (uint8_t)dir_in;
	s->esn = (uint8_t)esn;
	s->group = (uint16_t)gi;
	s->val = seq;
	if (dir_in) {
		bm_fill(s, g->p.window); /* every number <= T counts as seen */
		gr->n_in++;
	} else {
		s->hard = hard_eff;
		s->soft = soft;
		if (hard_eff < gr->tx_limit)
			gr->tx_limit = hard_eff;
		gr->n_out++;
	}
	put64(res, 0, g->epoch);
	return ISQ_RC_OK;
}

static unsigned slot_read(struct isq_golden *g, const uint32_t *arg, uint32_t *res, uint32_t *bmp)
{
	const struct gslot *s;
	uint32_t i;

	if (arg[0] >= g->p.num_sa)
		return ISQ_RC_BAD_SLOT;
	s = &g->slot[arg[0]];
	put64(res, 7, g->epoch);
	if (!s->valid)
		return ISQ_RC_OK;
	res[0] = ISQ_MB_SFLAG_VALID_MASK | ((uint32_t)s->group << ISQ_MB_SFLAG_GROUP_SHIFT) |
		 (s->dir_in ? ISQ_MB_SFLAG_DIR_IN_MASK : 0) | (s->esn ? ISQ_MB_SFLAG_ESN_MASK : 0) |
		 (s->ev_exh ? ISQ_MB_SFLAG_EXHAUSTED_MASK : 0) |
		 (s->ev_soft ? ISQ_MB_SFLAG_SOFT_MASK : 0);
	put64(res, 1, s->val);
	if (s->dir_in) {
		for (i = 0; i < g->p.window / 32; i++)
			bmp[i] = (uint32_t)(s->bm[i / 2] >> (32 * (i % 2)));
	} else {
		put64(res, 3, s->hard);
		put64(res, 5, s->soft);
	}
	return ISQ_RC_OK;
}

static unsigned slot_clear(struct isq_golden *g, const uint32_t *arg, uint32_t *res)
{
	struct gslot *s;
	struct ggroup *gr;

	if (arg[0] >= g->p.num_sa)
		return ISQ_RC_BAD_SLOT;
	s = &g->slot[arg[0]];
	if (!s->valid)
		return ISQ_RC_SLOT_FREE;
	gr = &g->grp[s->group];
	if (s->dir_in)
		gr->n_in--;
	else
		gr->n_out--;
	memset(s, 0, sizeof(*s));
	put64(res, 0, g->epoch);
	return ISQ_RC_OK;
}

static unsigned group_read(struct isq_golden *g, const uint32_t *arg, uint32_t *res)
{
	const struct ggroup *gr;

	if (arg[0] >= g->p.num_group)
		return ISQ_RC_BAD_GROUP;
	gr = &g->grp[arg[0]];
	res[0] = (gr->held ? ISQ_MB_GFLAG_HELD_MASK : 0) | (gr->esn ? ISQ_MB_GFLAG_ESN_MASK : 0) |
		 (gr->n_out + gr->n_in ? ISQ_MB_GFLAG_HAS_SLOTS_MASK : 0);
	res[1] = gr->n_out | (gr->n_in << ISQ_MB_GCOUNT_N_IN_SHIFT);
	put64(res, 2, gr->off);
	put64(res, 4, gr->adv);
	put64(res, 6, gr->tx_max);
	put64(res, 8, gr->tx_limit);
	put64(res, 10, gr->last_epoch);
	put64(res, 12, g->epoch);
	put64(res, 14, gr->rx_max);
	return ISQ_RC_OK;
}

/* The linearization edge of a group operation: the epoch moves on. */
static void group_commit(struct isq_golden *g, struct ggroup *gr, uint32_t *res)
{
	g->epoch++;
	gr->last_epoch = g->epoch;
	put64(res, 0, g->epoch);
}

static unsigned group_op(struct isq_golden *g, unsigned op, const uint32_t *arg, uint32_t *res)
{
	uint32_t gi = arg[0], i;
	uint64_t delta = arg64(arg, 2);
	struct ggroup *gr;

	if (gi >= g->p.num_group)
		return ISQ_RC_BAD_GROUP;
	gr = &g->grp[gi];
	switch (op) {
	case ISQ_OP_GROUP_TX_ADD:
		if (arg[1] & ~ISQ_MB_TXADD_RELEASE_MASK)
			return ISQ_RC_RESERVED;
		/* Refuse when the most advanced slot could pass the tightest limit
		 * (tx_max and tx_limit are monotone per-group summaries). */
		if (delta && (gr->tx_max + delta < gr->tx_max || gr->tx_max + delta > gr->tx_limit)) {
			evt_push(g, ISQ_EVT_OVERFLOW_REFUSED, gi, delta);
			return ISQ_RC_OVERFLOW;
		}
		/* RFC 6311 §5.2: the peer "MUST increment the replay counters for
		 * all Child SAs associated with the current IKE SA by the amount
		 * requested". */
		for (i = 0; i < g->p.num_sa; i++) {
			struct gslot *s = &g->slot[i];

			if (s->valid && !s->dir_in && s->group == gi)
				s->val += delta;
		}
		gr->off += delta;
		gr->tx_max += delta;
		if (arg[1] & ISQ_MB_TXADD_RELEASE_MASK)
			gr->held = 0;
		break;
	case ISQ_OP_GROUP_RX_ADVANCE: {
		uint64_t max = space_max(gr->esn);

		if (delta && (gr->rx_max + delta < gr->rx_max || gr->rx_max + delta > max)) {
			evt_push(g, ISQ_EVT_OVERFLOW_REFUSED, gi, delta);
			return ISQ_RC_OVERFLOW;
		}
		if (delta)
			for (i = 0; i < g->p.num_sa; i++) {
				struct gslot *s = &g->slot[i];

				if (s->valid && s->dir_in && s->group == gi) {
					s->val += delta; /* everything <= T + delta is now seen */
					bm_fill(s, g->p.window);
				}
			}
		gr->adv += delta;
		gr->rx_max += delta;
		break;
	}
	case ISQ_OP_GROUP_HOLD:
		gr->held = 1;
		break;
	default: /* ISQ_OP_GROUP_RELEASE */
		gr->held = 0;
		break;
	}
	group_commit(g, gr, res);
	return ISQ_RC_OK;
}

unsigned isq_golden_mb(struct isq_golden *g, unsigned op, const uint32_t arg[8],
		       uint32_t res_out[16], uint32_t bmp_out[32])
{
	uint32_t res[ISQ_MB_NRES] = { 0 }, bmp[ISQ_MB_NBMP] = { 0 };
	unsigned rc;

	switch (op) {
	case ISQ_OP_NOP:
		rc = ISQ_RC_OK;
		break;
	case ISQ_OP_SLOT_INSTALL:
		rc = slot_install(g, arg, res);
		break;
	case ISQ_OP_SLOT_READ:
		rc = slot_read(g, arg, res, bmp);
		break;
	case ISQ_OP_SLOT_CLEAR:
		rc = slot_clear(g, arg, res);
		break;
	case ISQ_OP_GROUP_READ:
		rc = group_read(g, arg, res);
		break;
	case ISQ_OP_GROUP_TX_ADD:
	case ISQ_OP_GROUP_RX_ADVANCE:
	case ISQ_OP_GROUP_HOLD:
	case ISQ_OP_GROUP_RELEASE:
		rc = group_op(g, op, arg, res);
		break;
	case ISQ_OP_EPOCH_READ:
		put64(res, 0, g->epoch);
		rc = ISQ_RC_OK;
		break;
	default:
		rc = ISQ_RC_BAD_OP;
		break;
	}
	if (rc == ISQ_RC_OK) {
		if (res_out)
			memcpy(res_out, res, sizeof(res));
		/* Only SLOT_READ refreshes the bitmap window. */
		if (bmp_out && op == ISQ_OP_SLOT_READ)
			memcpy(bmp_out, bmp, sizeof(bmp));
	}
	return rc;
}
