/* test_random.c — randomized comparison of the RTL with the golden model.
 *
 * A small set of slots in a few groups takes full-rate random data-path
 * traffic (back-to-back on the same slot most of the time) while the CSR
 * side issues group operations, slot installs/clears and readbacks, and runs
 * of the data-path injector, whose operations the arbiter mixes into the
 * packet traffic. Every data-path result (the injector's read back from its
 * result FIFO), every mailbox result, every event and (at checkpoints)
 * every slot and group readback and injector register must equal the
 * golden model's, and no slot may issue a sequence number twice, through
 * either port.
 *
 *   ISQ_SEED=<n>   reproduce a run (the seed is printed)
 *   ISQ_OPS=<n>    data-path operations to run (default 1000000)
 *   ISQ_TRACE_FILE=<path>  waveform of the run */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_common.h"

#define NSLOT   24      /* slots in play */
#define NGROUP  4       /* groups in play */
#define INJ_PCT 35      /* rounds (a burst and a CSR operation) that visit the injector */

static uint32_t W;
static double density = 1.0;
static int focus_slot = -1;      /* hot slot for the current phase */

static uint64_t gold_slot(struct rt *t, uint32_t slot, uint32_t *flags)
{
	uint32_t arg[8] = { slot }, res[16] = { 0 };

	isq_golden_mb(t->g, ISQ_OP_SLOT_READ, arg, res, NULL);
	*flags = res[0];
	return (uint64_t)res[1] | ((uint64_t)res[2] << 32);
}

/* A slot for an operation: the hot one, one in play, a free one or one out
 * of range. */
static uint32_t pick_slot(struct rt *t)
{
	uint64_t r = rt_below(t, 100);

	if (r < 2)
		return isq_tb_num_sa(t->tb) + (uint32_t)rt_below(t, 3);   /* out of range */
	if (focus_slot >= 0 && r < 60)
		return (uint32_t)focus_slot;
	return (uint32_t)rt_below(t, NSLOT + 2);                          /* some free */
}

/* An operation on slot and its number: mostly what the slot's direction
 * takes, numbers around its right edge (in the window, just left of it,
 * ahead). */
static void pick_op(struct rt *t, uint32_t slot, uint8_t *op, uint64_t *seq)
{
	uint32_t flags;
	uint64_t v, r;

	v = slot < isq_tb_num_sa(t->tb) ? gold_slot(t, slot, &flags) : (flags = 0, 0);
	r = rt_below(t, 100);
	if (r < 3)
		*op = 3;                                                   /* no such op */
	else if (!(flags & ISQ_MB_SFLAG_DIR_IN_MASK))
		*op = r < 90 ? ISQ_DPOP_TX_NEXT : (uint8_t)(1 + rt_below(t, 2));
	else
		*op = r < 45 ? ISQ_DPOP_RX_CHECK : r < 93 ? ISQ_DPOP_RX_COMMIT : ISQ_DPOP_TX_NEXT;
	r = rt_below(t, 100);
	if (r < 50)
		*seq = v + 1 + rt_below(t, 4);
	else if (r < 80)
		*seq = v - rt_below(t, W + 3);
	else if (r < 90)
		*seq = v + rt_below(t, 2 * W);
	else if (r < 93)
		*seq = v + (rt_below(t, 4) << 31) + rt_below(t, 8);
	else if (r < 96)   /* just past the next 2^32 boundary: a commit puts T in Case B */
		*seq = (((v >> 32) + 1) << 32) + rt_below(t, W);
	else
		*seq = rt_rand(t);
	if (!(flags & ISQ_MB_SFLAG_ESN_MASK) && rt_below(t, 10))
		*seq &= 0xffffffffu;
}

static int gen(struct rt *t, struct isq_tb_req *req)
{
	uint32_t slot;

	if (density < 1.0 && (double)(rt_rand(t) % 1000) >= density * 1000)
		return 0;
	slot = pick_slot(t);
	req->slot = (uint16_t)slot;
	pick_op(t, slot, &req->op, &req->seq);
	return 1;
}

/* A run of the injector: COUNT operations on one slot, admitted into the
 * data path between the packet port's, and stalled while its result FIFO
 * is full. Now and then a start it must refuse (COUNT 0; or a run still
 * going), a slot above the port's 16 bits (INVALID), junk in OP's upper
 * bits or CTRL written without its start bit. */
static void inj_start(struct rt *t)
{
	uint32_t depth = isq_tb_inj_depth(t->tb), slot = pick_slot(t), count;
	uint64_t seq, r = rt_below(t, 100);
	uint8_t op;

	pick_op(t, slot, &op, &seq);
	if (r < 4)
		slot |= (uint32_t)(1 + rt_below(t, 0xffff)) << 16;
	r = rt_below(t, 100);
	count = r < 5 ? 0 : r < 85 ? 1 + (uint32_t)rt_below(t, depth + 4) : 2 * depth + (uint32_t)rt_below(t, 16);
	rt_di_wr(t, ISQ_DI_OP, op | (rt_below(t, 20) ? 0 : (uint32_t)rt_rand(t) << 2));
	rt_di_wr(t, ISQ_DI_SLOT, slot);
	rt_di_wr(t, ISQ_DI_SEQ_LO, (uint32_t)seq);
	rt_di_wr(t, ISQ_DI_SEQ_HI, (uint32_t)(seq >> 32));
	rt_di_wr(t, ISQ_DI_COUNT, count);
	rt_di_wr(t, ISQ_DI_CTRL, rt_below(t, 30) ? 1 : (uint32_t)rt_rand(t));
	if (rt_below(t, 8) == 0)       /* again: refused while the run lasts */
		rt_di_wr(t, ISQ_DI_CTRL, 1);
}

/* Read back the injector's results (all, or a few: a full FIFO stalls it),
 * then perhaps start a run. */
static void injector(struct rt *t)
{
	unsigned n = rt_below(t, 10) < 7 ? ~0u : (unsigned)rt_below(t, 3);

	while (n-- && rt_inj_pop(t, NULL) > 0)
		;
	if (rt_below(t, 100) < 40)
		inj_start(t);
}

/* After the run: every injector result read back and compared. */
static void inj_drain(struct rt *t)
{
	int got;

	do {
		rt_quiesce(t);
		got = 0;
		while (rt_inj_pop(t, NULL) > 0)
			got = 1;
	} while (got && t->n_mismatch == 0);
	rt_quiesce(t);
	rt_check_inj(t);
	if (t->n_inj_cmp != t->n_inj)
		rt_fail(t, "%llu injector operations, %llu results read back",
			(unsigned long long)t->n_inj, (unsigned long long)t->n_inj_cmp);
}

static uint64_t pick_value(struct rt *t, int esn)
{
	uint64_t r = rt_below(t, 100);
	uint64_t top = esn ? UINT64_MAX : 0xffffffffull;

	if (r < 10)
		return rt_below(t, W);      /* ESN: Case B at the bottom of the space (Th = 0) */
	if (r < 30)
		return rt_below(t, 1000);
	if (r < 55)
		return top - rt_below(t, 3000) - 1;                      /* near the end */
	if (r < 68 && esn)
		return ((1 + rt_below(t, 8)) << 32) - rt_below(t, 2 * W) - 1; /* just below 2^32 k */
	/* just above 2^32 k: an inbound window spanning two subspaces (RFC 4303
	 * A2.2 Case B, Tl < W - 1), where Seql >= Bl infers Seqh = Th - 1 */
	if (r < 80 && esn)
		return ((1 + rt_below(t, 8)) << 32) + rt_below(t, W + W / 2);
	return rt_below(t, top / 2);
}

static void install(struct rt *t, uint32_t slot, uint32_t group, int esn)
{
	uint32_t arg[8] = { 0 };
	int dir_in = (int)rt_below(t, 2);
	uint64_t seq = pick_value(t, esn), hard = 0, soft = 0;

	if (!dir_in) {
		if (rt_below(t, 3) == 0)
			hard = seq + 1 + rt_below(t, 5000);
		if (esn == 0 && hard > 0xffffffffull)
			hard = 0;
		if (rt_below(t, 3) == 0)
			soft = seq + rt_below(t, 3000);
		if (hard && soft > hard)
			soft = hard;
		if (!esn && soft > 0xffffffffull)
			soft = 0;
	}
	arg[0] = slot;
	arg[1] = group | (dir_in ? ISQ_MB_INST_DIR_IN_MASK : 0) | (esn ? ISQ_MB_INST_ESN_MASK : 0);
	arg[2] = (uint32_t)seq;
	arg[3] = (uint32_t)(seq >> 32);
	arg[4] = (uint32_t)hard;
	arg[5] = (uint32_t)(hard >> 32);
	arg[6] = (uint32_t)soft;
	arg[7] = (uint32_t)(soft >> 32);
	/* random bad arguments now and then: refused identically, nothing changes */
	if (rt_below(t, 20) == 0)
		arg[1] |= 1u << (18 + rt_below(t, 14));
	rt_mb(t, ISQ_OP_SLOT_INSTALL, arg, NULL);
}

static void group_op(struct rt *t)
{
	uint32_t arg[8] = { 0 }, gres[16] = { 0 };
	uint32_t g = (uint32_t)rt_below(t, NGROUP + 1);  /* one beyond: free group */
	uint64_t d, room, r = rt_below(t, 100);
	unsigned op;

	if (rt_below(t, 40) == 0)
		g = isq_tb_num_group(t->tb) + (uint32_t)rt_below(t, 2);  /* BAD_GROUP */
	arg[0] = g;
	if (r < 45) {
		op = ISQ_OP_GROUP_TX_ADD;
		arg[1] = rt_below(t, 3) == 0;
		if (rt_below(t, 30) == 0)
			arg[1] |= 2;                                        /* RESERVED */
		isq_golden_mb(t->g, ISQ_OP_GROUP_READ, (uint32_t[8]){ g }, gres, NULL);
		room = ((uint64_t)gres[8] | ((uint64_t)gres[9] << 32)) -
		       ((uint64_t)gres[6] | ((uint64_t)gres[7] << 32));
		switch (rt_below(t, 5)) {
		case 0: d = 0; break;
		case 1: d = rt_below(t, 100); break;
		case 2: d = room - rt_below(t, 4); break;               /* near the limit */
		case 3: d = room + rt_below(t, 3); break;               /* just over */
		default: d = rt_rand(t) >> rt_below(t, 64); break;
		}
	} else if (r < 70) {
		op = ISQ_OP_GROUP_RX_ADVANCE;
		d = rt_below(t, 3) ? rt_below(t, 2 * W) : rt_rand(t) >> rt_below(t, 64);
	} else if (r < 85) {
		op = ISQ_OP_GROUP_HOLD;
		d = 0;
	} else {
		op = ISQ_OP_GROUP_RELEASE;
		d = 0;
	}
	arg[2] = (uint32_t)d;
	arg[3] = (uint32_t)(d >> 32);
	rt_mb(t, op, arg, NULL);
}

int main(void)
{
	const char *es = getenv("ISQ_SEED"), *eo = getenv("ISQ_OPS"), *tr = getenv("ISQ_TRACE_FILE");
	uint64_t seed = es ? strtoull(es, NULL, 0) : ((uint64_t)time(NULL) << 16) ^ (uint64_t)clock();
	uint64_t ops = eo ? strtoull(eo, NULL, 0) : 1000000;
	uint64_t next_check, c0;
	struct rt t;
	int esn[NGROUP], i, rounds = 0;
	struct timespec a, b;
	double secs;

	printf("random: seed %" PRIu64 " (reproduce with ISQ_SEED=%" PRIu64 "), %" PRIu64 " data-path operations\n",
	       seed, seed, ops);
	fflush(stdout);
	if (rt_open(&t, seed)) {
		fprintf(stderr, "random: cannot open the engine\n");
		return 1;
	}
	if (tr && *tr && isq_tb_trace(t.tb, tr))
		fprintf(stderr, "random: no trace (model built with '%s')\n", isq_tb_trace_kind());
	W = isq_tb_window(t.tb);
	t.gen = gen;
	clock_gettime(CLOCK_MONOTONIC, &a);
	c0 = isq_tb_cycles(t.tb);
	for (i = 0; i < NGROUP; i++)
		esn[i] = (int)rt_below(&t, 2);
	for (i = 0; i < NSLOT; i++)
		install(&t, (uint32_t)i, (uint32_t)(i % NGROUP), esn[i % NGROUP]);
	next_check = 20000;
	while (t.n_dp < ops && t.n_mismatch == 0) {
		unsigned burst = 50 + (unsigned)rt_below(&t, 400);
		uint64_t r = rt_below(&t, 100);

		/* phases: full rate (mostly), random density, one hot slot */
		density = r < 70 ? 1.0 : 0.3 + (double)rt_below(&t, 70) / 100.0;
		focus_slot = rt_below(&t, 3) == 0 ? (int)rt_below(&t, NSLOT) : -1;
		rt_tick(&t, burst);
		r = rt_below(&t, 100);
		if (r < 55)
			group_op(&t);
		else if (r < 62) {
			uint32_t s = (uint32_t)rt_below(&t, NSLOT + 2), g = s % NGROUP;

			if (rt_below(&t, 2) || s >= NSLOT)
				rt_mb(&t, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ s }, NULL);
			if (s < NSLOT) {
				if (rt_below(&t, 8) == 0 && rt_below(&t, 2))
					esn[g] ^= 1;  /* refused while the group has slots */
				install(&t, s, g, esn[g]);
			}
		} else if (r < 65)
			rt_mb(&t, ISQ_OP_SLOT_READ, (uint32_t[8]){ (uint32_t)rt_below(&t, NSLOT) }, NULL);
		else if (r < 67)
			rt_mb(&t, ISQ_OP_EPOCH_READ, (uint32_t[8]){ 0 }, NULL);
		else if (r < 68)
			rt_mb(&t, (unsigned)(0x0a + rt_below(&t, 0xf0)), (uint32_t[8]){ 0 }, NULL);
		else if (r < 72)   /* under traffic, compared at its bubble */
			rt_mb(&t, ISQ_OP_GROUP_READ, (uint32_t[8]){ (uint32_t)rt_below(&t, NGROUP + 1) }, NULL);
		if (rt_below(&t, 100) < INJ_PCT)
			injector(&t);
		if (t.n_dp >= next_check || getenv("ISQ_CHECK_ALL")) {
			rt_quiesce(&t);
			rt_check_inj(&t);
			rt_check_events(&t);
			rt_check_state(&t, NSLOT + 2, NGROUP + 1);
			next_check += 50000 + rt_below(&t, 50000);
			rounds++;
		}
	}
	inj_drain(&t);
	rt_check_events(&t);
	rt_check_state(&t, NSLOT + 2, NGROUP + 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("random: %" PRIu64 " data-path results compared (%" PRIu64 " issued numbers checked for reuse), "
	       "%" PRIu64 " group ops, %" PRIu64 " slot ops, %d full-state checkpoints, %" PRIu64
	       " epoch changes seen; %" PRIu64 " cycles in %.1f s\n",
	       t.n_dp, t.n_dp_ok, t.n_group, t.n_slot, rounds + 1, t.n_epoch_edges,
	       isq_tb_cycles(t.tb) - c0, secs);
	printf("random: injector: %" PRIu64 " operations (%" PRIu64 " results compared, %" PRIu64
	       " issued numbers checked for reuse), %" PRIu64 " starts, %" PRIu64 " refused, "
	       "result FIFO (depth %u) full %" PRIu64 " times\n",
	       t.n_inj, t.n_inj_cmp, t.n_inj_ok, t.n_inj_start, t.n_inj_refused,
	       isq_tb_inj_depth(t.tb), t.n_inj_full);
	if (t.n_mismatch)
		printf("random: %" PRIu64 " mismatches; reproduce with ISQ_SEED=%" PRIu64 "\n", t.n_mismatch, seed);
	printf("random-w%u: %d passed, %d failed, 0 skipped\n", W, t.n_mismatch ? 0 : 1, t.n_mismatch ? 1 : 0);
	rt_close(&t);
	return t.n_mismatch ? 1 : 0;
}
