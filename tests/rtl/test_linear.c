/* test_linear.c — linearization of group operations under full-rate traffic.
 *
 * A group's slots take one data-path operation every cycle while the CSR
 * side issues a group operation; its epoch e names its edge. Checked for
 * every result, independently of the golden model:
 *   GROUP_TX_ADD(g, d): a TX result with epoch >= e is >= (last value
 *     issued before) + d; none with epoch < e is;
 *   GROUP_RX_ADVANCE(g, d): a number <= T + d checked with epoch >= e is
 *     REPLAY; the same numbers checked with epoch < e were accepted;
 *   HOLD/RELEASE: TX results are HELD exactly for epochs in [hold, release);
 *   epochs never go back in acceptance order; no slot issues a number twice.
 * And every result and mailbox answer also equals the golden model's (the
 * rt harness), including the refusal of a TX add that races the last
 * operation before its edge at every pipeline phase. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_common.h"
#include "tcheck.h"

#define MAXS 16

static struct rt T;
static uint32_t slots[MAXS], nslots, rr;
static unsigned gen_op;
static uint64_t rx_base, rx_span;  /* RX numbers: install value of the slot + (1..span) */
static int hot;                      /* 1: same slot back-to-back */
/* 1: the next request (the one presented with the group op's CMD write, the
 * last before its bubble) is normal, then only no-op requests (op 3: answered
 * INVALID, nothing written) until the bubble has passed, then none */
static int stop_at_edge;

/* per-slot observation log */
struct obs {
	uint64_t seq[4096], epoch[4096];
	uint8_t status[4096];
	unsigned n;
};
static struct obs *O;                /* indexed by slot */

static int gen(struct rt *t, struct isq_tb_req *req)
{
	uint32_t idx = hot ? 0 : rr % nslots;

	if (stop_at_edge == 2 && !t->armed)
		return 0;       /* the bubble has passed: nothing after the edge */
	if (stop_at_edge == 2) {
		req->slot = (uint16_t)slots[0];
		req->op = 3;
		req->seq = 0;
		return 1;
	}
	if (stop_at_edge == 1 && t->armed)
		stop_at_edge = 2;
	req->slot = (uint16_t)slots[idx];
	req->op = (uint8_t)gen_op;
	/* slot i of the test was installed at rx_base + 100 i */
	req->seq = gen_op == ISQ_DPOP_TX_NEXT ? 0 : rx_base + 100 * (uint64_t)idx + 1 +
		   (rr / (gen_op == ISQ_DPOP_RX_COMMIT ? 1 : 3)) % rx_span;
	rr++;
	return 1;
}

static void observe(struct rt *t, const struct isq_tb_res *res, const struct isq_dp_result *g)
{
	struct obs *o;

	(void)t;
	(void)g;
	if (res->slot >= 64)
		return;
	o = &O[res->slot];
	if (o->n < 4096) {
		o->seq[o->n] = res->seq;
		o->epoch[o->n] = res->epoch;
		o->status[o->n] = res->status;
		o->n++;
	}
}

static void reset_obs(void)
{
	memset(O, 0, 64 * sizeof(*O));
}

static void setup(int esn, int dir_in, uint64_t start)
{
	uint32_t i;

	for (i = 0; i < nslots; i++) {
		uint32_t arg[8] = { slots[i], 1 | (dir_in ? ISQ_MB_INST_DIR_IN_MASK : 0) |
						     (esn ? ISQ_MB_INST_ESN_MASK : 0),
				    (uint32_t)(start + 100 * i), (uint32_t)((start + 100 * i) >> 32) };

		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_INSTALL, arg, NULL), ISQ_RC_OK);
	}
}

static void teardown(void)
{
	uint32_t i;

	rt_quiesce(&T);
	for (i = 0; i < nslots; i++)
		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ slots[i] }, NULL), ISQ_RC_OK);
	CHECK(rt_check_events(&T) >= 0);
}

static uint64_t group_op(unsigned op, uint32_t flags, uint64_t d, unsigned *rc)
{
	uint32_t arg[8] = { 1, flags, (uint32_t)d, (uint32_t)(d >> 32) }, res[16];
	int r = rt_mb(&T, op, arg, res);

	CHECK(r >= 0);
	*rc = (unsigned)r;
	return (uint64_t)res[0] | ((uint64_t)res[1] << 32);
}

/* The TX add property over one slot's log. */
static void check_tx_add(uint32_t slot, uint64_t e, uint64_t d)
{
	struct obs *o = &O[slot];
	uint64_t last_before = 0;
	unsigned i, before = 0, after = 0;

	for (i = 0; i < o->n; i++) {
		if (i && o->epoch[i] < o->epoch[i - 1])
			CHECK(!"epoch went back");
		if (o->status[i] != ISQ_DP_OK)
			continue;
		if (i && o->status[i - 1] == ISQ_DP_OK && o->seq[i] <= o->seq[i - 1])
			CHECK(!"sequence number reused");
		if (o->epoch[i] < e) {
			last_before = o->seq[i];
			before++;
		} else {
			if (after == 0 && before)
				CHECK_EQ(o->seq[i], last_before + d + 1);
			if (before)
				CHECK(o->seq[i] >= last_before + d);
			after++;
		}
	}
	/* none before the edge reached the jumped range */
	for (i = 0; i < o->n; i++)
		if (o->status[i] == ISQ_DP_OK && o->epoch[i] < e && before)
			CHECK(o->seq[i] <= last_before);
	CHECK(before > 0 && after > 0);
}

static void t_tx_add(void)
{
	unsigned k, rc;

	slots[0] = 10; slots[1] = 11; slots[2] = 12; slots[3] = 13;
	for (k = 0; k < 40; k++) {
		uint64_t d = k < 20 ? 1 + k : (k & 1) ? (uint64_t)1 << (k + 10) : (uint64_t)1 << (k - 10), e;
		uint32_t i;

		nslots = 1 + k % 4;
		hot = k % 5 == 0;
		gen_op = ISQ_DPOP_TX_NEXT;
		setup(k & 1, 0, 1000);
		reset_obs();
		T.gen = gen;
		rt_tick(&T, 20 + k % 7);
		e = group_op(ISQ_OP_GROUP_TX_ADD, 0, d, &rc);
		CHECK_EQ(rc, ISQ_RC_OK);
		rt_tick(&T, 30);
		rt_quiesce(&T);
		T.gen = NULL;
		for (i = 0; i < (hot ? 1 : nslots); i++)
			check_tx_add(slots[i], e, d);
		teardown();
	}
}

static void t_rx_advance(void)
{
	unsigned k, rc;

	slots[0] = 20; slots[1] = 21; slots[2] = 22;
	for (k = 0; k < 30; k++) {
		uint64_t d = 16 + k, e, tb;
		uint32_t i, s;
		int esn = k & 1;

		nslots = 1 + k % 3;
		hot = k % 4 == 0;
		tb = esn ? (5ull << 32) - 8 : 5000;   /* across a 2^32 boundary for ESN */
		setup(esn, 1, tb);
		reset_obs();
		/* RX_CHECK of numbers in (T, T + d]: fresh before the edge, seen after */
		gen_op = ISQ_DPOP_RX_CHECK;
		rx_base = tb;
		rx_span = d;
		T.gen = gen;
		rt_tick(&T, 25 + k % 5);
		e = group_op(ISQ_OP_GROUP_RX_ADVANCE, 0, d, &rc);
		CHECK_EQ(rc, ISQ_RC_OK);
		rt_tick(&T, 30);
		rt_quiesce(&T);
		T.gen = NULL;
		for (i = 0; i < (hot ? 1 : nslots); i++) {
			struct obs *o = &O[slots[i]];
			unsigned before = 0, after = 0;

			s = slots[i];
			for (uint32_t j = 0; j < o->n; j++) {
				uint64_t n = o->seq[j];
				uint64_t t_before = tb + 100 * i;   /* install value of this slot */

				if (j && o->epoch[j] < o->epoch[j - 1])
					CHECK(!"epoch went back");
				if (o->epoch[j] < e) {
					/* numbers above the slot's edge are fresh before the edge */
					if (n > t_before)
						CHECK_EQ(o->status[j], ISQ_DP_OK);
					else
						CHECK(!"number not above the slot's edge");
					before++;
				} else {
					if (n > t_before && n <= t_before + d)
						CHECK_EQ(o->status[j], ISQ_DP_REPLAY);
					after++;
				}
			}
			(void)s;
			CHECK(before > 0 && after > 0);
		}
		teardown();
	}
}

static void t_hold_release(void)
{
	unsigned k, rc;

	slots[0] = 30; slots[1] = 31;
	for (k = 0; k < 20; k++) {
		uint64_t eh, er;
		uint32_t i;

		nslots = 1 + k % 2;
		hot = k % 3 == 0;
		gen_op = ISQ_DPOP_TX_NEXT;
		setup(k & 1, 0, 77);
		reset_obs();
		T.gen = gen;
		rt_tick(&T, 15 + k);
		eh = group_op(ISQ_OP_GROUP_HOLD, 0, 0, &rc);
		rt_tick(&T, 10 + k % 4);
		if (k & 2)
			er = group_op(ISQ_OP_GROUP_RELEASE, 0, 0, &rc);
		else
			er = group_op(ISQ_OP_GROUP_TX_ADD, ISQ_MB_TXADD_RELEASE_MASK, 1000, &rc);
		CHECK_EQ(rc, ISQ_RC_OK);
		rt_tick(&T, 20);
		rt_quiesce(&T);
		T.gen = NULL;
		for (i = 0; i < (hot ? 1 : nslots); i++) {
			struct obs *o = &O[slots[i]];
			unsigned held = 0;

			for (uint32_t j = 0; j < o->n; j++) {
				int in_hold = o->epoch[j] >= eh && o->epoch[j] < er;

				CHECK_EQ(o->status[j], in_hold ? ISQ_DP_HELD : ISQ_DP_OK);
				held += in_hold;
			}
			CHECK(held > 0);
		}
		teardown();
	}
}

/* TX add with delta = room - k while one slot issues every cycle: the
 * last operation before the edge decides between OK and OVERFLOW. */
static void t_overflow_race(void)
{
	unsigned k, rc, nok = 0, nref = 0;

	slots[0] = 40;
	nslots = 1;
	hot = 1;
	gen_op = ISQ_DPOP_TX_NEXT;
	for (k = 0; k < 48; k++) {
		uint32_t res[16];
		uint64_t txmax, lim, d;
		int esn = k & 1;
		uint32_t arg[8] = { 40, 1 | (esn ? ISQ_MB_INST_ESN_MASK : 0), 0, 0, 0, 0, 0, 0 };
		uint64_t start = esn ? UINT64_MAX - 400 : 0xffffffffull - 400;

		arg[2] = (uint32_t)start;
		arg[3] = (uint32_t)(start >> 32);
		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_INSTALL, arg, NULL), ISQ_RC_OK);
		T.gen = gen;
		rt_tick(&T, 10);
		/* read the group while traffic runs: tx_max moves on by the time
		 * the add reaches its edge; the delta aims at that edge */
		T.paused = 1;
		rt_quiesce(&T);
		rt_mb(&T, ISQ_OP_GROUP_READ, (uint32_t[8]){ 1 }, res);
		txmax = (uint64_t)res[6] | ((uint64_t)res[7] << 32);
		lim = (uint64_t)res[8] | ((uint64_t)res[9] << 32);
		T.paused = 0;
		/* 8 ARG writes + CMD + 3 cycles to the decision: ~12 issues on */
		d = lim - txmax - (6 + k / 2);
		group_op(ISQ_OP_GROUP_TX_ADD, 0, d, &rc);
		if (rc == ISQ_RC_OK)
			nok++;
		else if (rc == ISQ_RC_OVERFLOW)
			nref++;
		rt_tick(&T, 10);
		rt_quiesce(&T);
		T.gen = NULL;
		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ 40 }, NULL), ISQ_RC_OK);
		CHECK(rt_check_events(&T) >= 0);
	}
	printf("  TX overflow race: %u accepted, %u refused at the edge\n", nok, nref);
	CHECK(nok > 0 && nref > 0);

	/* the same for RX_ADVANCE racing commits that raise rx_max */
	gen_op = ISQ_DPOP_RX_COMMIT;
	nok = nref = 0;
	for (k = 0; k < 40; k++) {
		uint32_t res[16];
		uint64_t rxmax, top, d;
		int esn = k & 1;
		uint64_t start = esn ? UINT64_MAX - 4000 : 0xffffffffull - 4000;
		uint32_t arg[8] = { 40, 1 | ISQ_MB_INST_DIR_IN_MASK | (esn ? ISQ_MB_INST_ESN_MASK : 0),
				    (uint32_t)start, (uint32_t)(start >> 32) };

		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_INSTALL, arg, NULL), ISQ_RC_OK);
		rx_base = start;
		rx_span = 3000;
		rr = 0;
		T.gen = gen;
		rt_tick(&T, 10);
		T.paused = 1;
		rt_quiesce(&T);
		rt_mb(&T, ISQ_OP_GROUP_READ, (uint32_t[8]){ 1 }, res);
		rxmax = (uint64_t)res[14] | ((uint64_t)res[15] << 32);
		T.paused = 0;
		top = esn ? UINT64_MAX : 0xffffffffull;
		/* commits raise rx_max by one every cycle */
		d = top - rxmax - (4 + k / 2);
		group_op(ISQ_OP_GROUP_RX_ADVANCE, 0, d, &rc);
		if (rc == ISQ_RC_OK)
			nok++;
		else if (rc == ISQ_RC_OVERFLOW)
			nref++;
		rt_tick(&T, 10);
		rt_quiesce(&T);
		T.gen = NULL;
		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ 40 }, NULL), ISQ_RC_OK);
		CHECK(rt_check_events(&T) >= 0);
	}
	printf("  RX overflow race: %u accepted, %u refused at the edge\n", nok, nref);
	CHECK(nok > 0 && nref > 0);
}

/* Data-path timing: fixed latency, one accepted request per cycle, and a
 * group operation costs at most 4 cycles and exactly one stolen cycle. */
static void t_timing(void)
{
	uint64_t c0, n0, maxc = 0, maxs = 0, mins = ~0ull;
	unsigned i, rc;

	slots[0] = 50; slots[1] = 51;
	nslots = 2;
	hot = 0;
	gen_op = ISQ_DPOP_TX_NEXT;
	setup(0, 0, 1);
	T.gen = gen;
	T.lat_min = ~0ull;
	T.lat_max = 0;
	/* throughput: with no management traffic, every cycle accepts */
	rt_tick(&T, 10);
	n0 = T.n_acc;
	c0 = isq_tb_cycles(T.tb);
	rt_tick(&T, 5000);
	CHECK_EQ(T.n_acc - n0, isq_tb_cycles(T.tb) - c0);
	/* group operations under that traffic */
	for (i = 0; i < 50; i++) {
		group_op(i % 3 == 0 ? ISQ_OP_GROUP_HOLD : i % 3 == 1 ? ISQ_OP_GROUP_RELEASE :
			 ISQ_OP_GROUP_TX_ADD, 0, 3, &rc);
		CHECK_EQ(rc, ISQ_RC_OK);
		if (T.mb_cycles > maxc)
			maxc = T.mb_cycles;
		if (T.mb_stolen > maxs)
			maxs = T.mb_stolen;
		if (T.mb_stolen < mins)
			mins = T.mb_stolen;
		rt_tick(&T, 3 + i % 7);
	}
	rt_quiesce(&T);
	T.gen = NULL;
	printf("  data-path latency %" PRIu64 "..%" PRIu64 " cycles (ID.DP_LATENCY %u); group operation "
	       "<= %" PRIu64 " cycles, %" PRIu64 "..%" PRIu64 " stolen data-path cycles\n",
	       T.lat_min, T.lat_max, ISQ_DP_LATENCY, maxc, mins, maxs);
	CHECK_EQ(T.lat_min, ISQ_DP_LATENCY);
	CHECK_EQ(T.lat_max, ISQ_DP_LATENCY);
	CHECK(maxc <= 4);
	CHECK_EQ(maxs, 1);
	CHECK_EQ(mins, 1);
	teardown();
}

/* GROUP_READ under full-rate traffic on one hot slot whose every operation
 * moves the group's tx_max (then rx_max): it takes the data path for two
 * cycles and answers the state as of the first; the rt harness compares it
 * with the golden model at that place, at every phase of the traffic. */
static void t_group_read(void)
{
	unsigned i, dir, rc;
	uint64_t maxs = 0;

	for (dir = 0; dir < 2; dir++) {
		slots[0] = 52;
		nslots = 1;
		hot = 1;
		rr = 0;
		gen_op = dir ? ISQ_DPOP_RX_COMMIT : ISQ_DPOP_TX_NEXT;
		rx_base = 1000;
		rx_span = 1000000;
		setup(0, (int)dir, dir ? 1000 : 1);
		T.gen = gen;
		rt_tick(&T, 10);
		for (i = 0; i < 40; i++) {
			if (i % 8 == 7)   /* a hold or release edge between reads */
				group_op(i % 16 == 7 ? ISQ_OP_GROUP_HOLD : ISQ_OP_GROUP_RELEASE, 0, 0, &rc);
			CHECK(rt_mb(&T, ISQ_OP_GROUP_READ, (uint32_t[8]){ 1 }, NULL) == ISQ_RC_OK);
			if (T.mb_stolen > maxs)
				maxs = T.mb_stolen;
			rt_tick(&T, 1 + i % 5);
		}
		group_op(ISQ_OP_GROUP_RELEASE, 0, 0, &rc);
		rt_quiesce(&T);
		T.gen = NULL;
		teardown();
	}
	hot = 0;
	CHECK_EQ(maxs, 2);
}

/* The operation that passes S3 just before a group operation's edge moves
 * the group's max (hot slot, every operation moves it), and nothing follows
 * it: the commit, which rewrites the group's row, must keep that move.
 * GROUP_READ afterwards (compared with the golden model) sees tx_max /
 * rx_max. For TX_ADD, HOLD, RELEASE (outbound) and RX_ADVANCE (inbound). */
static void t_edge_keeps_max(void)
{
	static const unsigned ops[] = { ISQ_OP_GROUP_TX_ADD, ISQ_OP_GROUP_HOLD,
					ISQ_OP_GROUP_RELEASE, ISQ_OP_GROUP_RX_ADVANCE };
	unsigned k, i, rc;

	for (k = 0; k < 4; k++)
		for (i = 0; i < 3; i++) {
			int in = ops[k] == ISQ_OP_GROUP_RX_ADVANCE;

			slots[0] = 55;
			nslots = 1;
			hot = 1;
			rr = 0;
			gen_op = in ? ISQ_DPOP_RX_COMMIT : ISQ_DPOP_TX_NEXT;
			rx_base = 5000;
			rx_span = 1000000;
			setup(0, in, in ? 5000 : 1);
			T.gen = gen;
			rt_tick(&T, 10 + i);
			stop_at_edge = 1;
			group_op(ops[k], 0, 7, &rc);
			CHECK_EQ(rc, ISQ_RC_OK);
			stop_at_edge = 0;
			T.gen = NULL;
			rt_quiesce(&T);
			CHECK(rt_mb(&T, ISQ_OP_GROUP_READ, (uint32_t[8]){ 1 }, NULL) == ISQ_RC_OK);
			group_op(ISQ_OP_GROUP_RELEASE, 0, 0, &rc);
			teardown();
		}
	hot = 0;
}

/* The injector shares the data-path port with full-rate packet traffic:
 * round-robin, neither starves, and the injector's results are exact (and
 * equal the golden model's, run where the arbiter admitted each one). */
static void t_injector_arbitration(void)
{
	uint64_t c0, a0, c1, a1, expect = 1;
	uint32_t got = 0, spins = 0, inj_depth;
	unsigned round;

	slots[0] = 61; slots[1] = 62;
	nslots = 2;
	hot = 0;
	gen_op = ISQ_DPOP_TX_NEXT;
	setup(0, 0, 1);      /* group 1: packet traffic */
	/* slot 60 in group 2 belongs to the injector */
	CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_INSTALL, (uint32_t[8]){ 60, 2 }, NULL), ISQ_RC_OK);
	T.gen = gen;
	inj_depth = isq_tb_inj_depth(T.tb);
	rt_tick(&T, 20);
	for (round = 0; round < 20; round++) {
		/* inj_depth operations fit the result FIFO: both sides are valid every cycle */
		rt_di_wr(&T, ISQ_DI_OP, ISQ_DPOP_TX_NEXT);
		rt_di_wr(&T, ISQ_DI_SLOT, 60);
		rt_di_wr(&T, ISQ_DI_COUNT, inj_depth);
		c0 = isq_tb_cycles(T.tb);
		a0 = T.n_acc;
		rt_di_wr(&T, ISQ_DI_CTRL, 1);
		while (isq_tb_rd32(T.tb, ISQ_DI_BASE + ISQ_DI_STATUS) & ISQ_DI_STATUS_BUSY_MASK &&
		       spins++ < 100000)
			;
		c1 = isq_tb_cycles(T.tb);
		a1 = T.n_acc;
		/* inj_depth injector operations in about twice as many cycles; the packet port got the rest */
		CHECK(c1 - c0 <= 2 * inj_depth + 4);
		CHECK(a1 - a0 + inj_depth >= (c1 - c0) - 2);
		while (got < (round + 1) * inj_depth && spins++ < 100000) {
			struct isq_tb_res r;

			if (rt_inj_pop(&T, &r) == 0)
				continue;
			CHECK_EQ(r.status, ISQ_DP_OK);
			CHECK_EQ(r.slot, 60);
			CHECK_EQ(r.seq, expect);
			expect++;
			got++;
		}
	}
	CHECK_EQ(got, 20 * inj_depth);
	rt_quiesce(&T);
	CHECK_EQ(rt_check_inj(&T), 0);
	T.gen = NULL;
	CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ 60 }, NULL), ISQ_RC_OK);
	teardown();
}

/* CMD written while an operation runs is ignored, and ARG writes then do
 * not reach the running operation (it latched its arguments at CMD). */
static void t_cmd_while_busy(void)
{
	uint32_t a[8] = { 71, 9, 5, 0, 0, 0, 0, 0 }, st0, st, i, n = 0;

	rt_quiesce(&T);
	T.gen = NULL;
	st0 = isq_tb_rd32(T.tb, ISQ_MB_BASE + ISQ_MB_STATUS);
	for (i = 0; i < 8; i++)
		isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_ARG(i), a[i]);
	isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_CMD, ISQ_OP_SLOT_INSTALL);
	isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_ARG(0), 72);
	isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_ARG(2), 77);
	CHECK(isq_tb_rd32(T.tb, ISQ_MB_BASE + ISQ_MB_STATUS) & ISQ_MB_STATUS_BUSY_MASK);
	isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_CMD, ISQ_OP_SLOT_INSTALL);
	isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_CMD, ISQ_OP_GROUP_HOLD);
	do
		st = isq_tb_rd32(T.tb, ISQ_MB_BASE + ISQ_MB_STATUS);
	while ((st & ISQ_MB_STATUS_BUSY_MASK) && n++ < 1000);
	rt_tick(&T, 40);
	st = isq_tb_rd32(T.tb, ISQ_MB_BASE + ISQ_MB_STATUS);
	CHECK_EQ(ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE),
		 (ISQ_FIELD_GET(st0, ISQ_MB_STATUS_DONE) + 1) & 0xffffu);
	CHECK_EQ(ISQ_FIELD_GET(st, ISQ_MB_STATUS_RC), ISQ_RC_OK);
	CHECK_EQ(st & ISQ_MB_STATUS_BUSY_MASK, 0);
	/* the golden model runs only the first; readbacks are compared with it */
	CHECK_EQ(isq_golden_mb(T.g, ISQ_OP_SLOT_INSTALL, a, NULL, NULL), ISQ_RC_OK);
	CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_READ, (uint32_t[8]){ 71 }, NULL), ISQ_RC_OK);
	CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_READ, (uint32_t[8]){ 72 }, NULL), ISQ_RC_OK);
	CHECK_EQ(rt_mb(&T, ISQ_OP_GROUP_READ, (uint32_t[8]){ 9 }, NULL), ISQ_RC_OK);
	CHECK_EQ(rt_mb(&T, ISQ_OP_GROUP_READ, (uint32_t[8]){ 72 % isq_tb_num_group(T.tb) }, NULL),
		 ISQ_RC_OK);
	CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ 71 }, NULL), ISQ_RC_OK);
}

/* One TX presented at fire_at (and held until accepted). */
static uint64_t fire_at;
static int fire_done;

static int gen_fire(struct rt *t, struct isq_tb_req *req)
{
	if (fire_done || isq_tb_cycles(t->tb) < fire_at)
		return 0;
	req->slot = 70;
	req->op = ISQ_DPOP_TX_NEXT;
	req->seq = 0;
	fire_done = 1;
	return 1;
}

static void fire(uint64_t at)
{
	fire_at = at;
	fire_done = 0;
	T.gen = gen_fire;
}

/* EV.DROPPED cleared in the cycle an event is dropped (FIFO full, one drop
 * already counted): the clear is not lost, the new drop is counted (1, not
 * 2). A TX accepted in cycle X pushes its event at the end of X + 5; the
 * clear is written in X + k, k = 2..9. The golden model applies the clear
 * before the operation for k <= 5. */
static void t_dropped_clear_race(void)
{
	uint32_t depth = isq_tb_evt_depth(T.tb), i, k, inst[8] = { 70, 9, 98, 0, 100, 0, 0, 0 };
	uint32_t add[8] = { 9, 0, 5, 0 };
	uint64_t x;

	for (k = 2; k <= 9; k++) {
		rt_quiesce(&T);
		T.gen = NULL;
		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_INSTALL, inst, NULL), ISQ_RC_OK);
		for (i = 0; i <= depth; i++)  /* fill the FIFO with refusals, one dropped */
			CHECK_EQ(rt_mb(&T, ISQ_OP_GROUP_TX_ADD, add, NULL), ISQ_RC_OVERFLOW);
		for (i = 0; i < 2; i++) {      /* 99, 100 */
			fire(isq_tb_cycles(T.tb));
			rt_tick(&T, 10);
		}
		x = isq_tb_cycles(T.tb) + 10;
		fire(x);                       /* EXHAUSTED: its event finds the FIFO full */
		rt_tick(&T, (unsigned)(x + k - isq_tb_cycles(T.tb)));
		isq_golden_wr32(T.g, ISQ_EV_BASE + ISQ_EV_DROPPED, 1);
		isq_tb_wr32(T.tb, ISQ_EV_BASE + ISQ_EV_DROPPED, 1);   /* runs in cycle x + k */
		rt_tick(&T, 10);
		rt_quiesce(&T);
		T.gen = NULL;
		CHECK_EQ(isq_tb_rd32(T.tb, ISQ_EV_BASE + ISQ_EV_DROPPED), k <= 5);
		CHECK(rt_check_events(&T) >= 0);   /* DROPPED and every event vs the golden model */
		CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_CLEAR, (uint32_t[8]){ 70 }, NULL), ISQ_RC_OK);
	}
}

/* Reset under full-rate traffic, with a group operation in flight, slots
 * installed, a held group, events and an injector result pending: back to
 * the power-on state (all slots free, groups initial, epoch 0, FIFOs and
 * counters empty), and the engine works again. */
static void t_reset_is_power_on(void)
{
	unsigned rc, i;
	uint32_t arg[8] = { 1 };
	uint64_t n0;

	slots[0] = 73;
	nslots = 1;
	hot = 1;
	gen_op = ISQ_DPOP_TX_NEXT;
	setup(0, 0, 1);
	CHECK_EQ(rt_mb(&T, ISQ_OP_SLOT_INSTALL, (uint32_t[8]){ 74, 2 }, NULL), ISQ_RC_OK);
	rt_di_wr(&T, ISQ_DI_OP, ISQ_DPOP_TX_NEXT);
	rt_di_wr(&T, ISQ_DI_SLOT, 74);
	rt_di_wr(&T, ISQ_DI_COUNT, 1);
	rt_di_wr(&T, ISQ_DI_CTRL, 1);
	T.gen = gen;
	rt_tick(&T, 20);
	group_op(ISQ_OP_GROUP_HOLD, 0, 0, &rc);
	group_op(ISQ_OP_GROUP_TX_ADD, 0, ~0ull, &rc);    /* refused: an event */
	CHECK_EQ(rc, ISQ_RC_OVERFLOW);
	rt_tick(&T, 10);
	CHECK(isq_tb_rd32(T.tb, ISQ_DI_BASE + ISQ_DI_RES_COUNT) == 1);
	CHECK(isq_tb_rd32(T.tb, ISQ_EV_BASE + ISQ_EV_COUNT) >= 1);
	for (i = 0; i < 8; i++)
		isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_ARG(i), arg[i]);
	isq_tb_wr32(T.tb, ISQ_MB_BASE + ISQ_MB_CMD, ISQ_OP_GROUP_RELEASE);
	CHECK(isq_tb_mb_busy(T.tb));
	isq_tb_reset(T.tb);
	/* the harness forgets what was in flight; the golden model powers on too */
	T.gen = NULL;
	T.qn = T.qh = 0;
	T.have_cur = T.armed = T.di_pend = 0;
	T.inj_settle = 0;
	T.last_epoch = 0;
	isq_golden_reset(T.g);
	CHECK_EQ(isq_tb_rd32(T.tb, ISQ_MB_BASE + ISQ_MB_STATUS), 0);
	for (i = 0; i < ISQ_MB_NRES; i++)
		CHECK_EQ(isq_tb_rd32(T.tb, ISQ_MB_BASE + ISQ_MB_RES(i)), 0);
	CHECK_EQ(isq_tb_rd32(T.tb, ISQ_EV_BASE + ISQ_EV_COUNT), 0);
	CHECK_EQ(isq_tb_rd32(T.tb, ISQ_EV_BASE + ISQ_EV_DROPPED), 0);
	CHECK_EQ(isq_tb_rd32(T.tb, ISQ_DI_BASE + ISQ_DI_RES_COUNT), 0);
	CHECK_EQ(isq_tb_rd32(T.tb, ISQ_DI_BASE + ISQ_DI_STATUS), 0);
	CHECK_EQ(isq_tb_rd32(T.tb, ISQ_DI_BASE + ISQ_DI_COUNT), 0);
	CHECK_EQ(isq_tb_epoch(T.tb), 0);
	CHECK(rt_check_events(&T) >= 0);
	CHECK(rt_check_state(&T, 80, 16) == 0);
	CHECK_EQ(rt_check_inj(&T), 0);
	/* and it runs again from there (every result compared with the golden model) */
	n0 = T.n_dp_ok;
	setup(0, 0, 1);
	T.gen = gen;
	rt_tick(&T, 30);
	rt_quiesce(&T);
	T.gen = NULL;
	CHECK(T.n_dp_ok >= n0 + 20);
	teardown();
	hot = 0;
}

static void t_golden_agrees(void)
{
	CHECK_EQ(T.n_mismatch, 0);
}

static const struct tc_case cases[] = {
	{ "tx_add_edge", t_tx_add },
	{ "rx_advance_edge", t_rx_advance },
	{ "hold_release_edge", t_hold_release },
	{ "overflow_race", t_overflow_race },
	{ "timing", t_timing },
	{ "group_read_under_traffic", t_group_read },
	{ "edge_keeps_max", t_edge_keeps_max },
	{ "injector_arbitration", t_injector_arbitration },
	{ "cmd_while_busy", t_cmd_while_busy },
	{ "dropped_clear_race", t_dropped_clear_race },
	{ "reset_is_power_on", t_reset_is_power_on },
	{ "all_results_match_golden", t_golden_agrees },
};

int main(int argc, char **argv)
{
	char suite[64];
	int rc;

	O = calloc(64, sizeof(*O));
	if (!O || rt_open(&T, 1)) {
		fprintf(stderr, "linear: cannot open the engine\n");
		return 1;
	}
	T.obs = observe;
	snprintf(suite, sizeof(suite), "linear-w%u", isq_tb_window(T.tb));
	rc = tc_run(suite, cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);
	printf("linear: %" PRIu64 " results compared with the golden model (and %" PRIu64 " of the injector), %" PRIu64
	       " issued numbers checked for reuse\n", T.n_dp, T.n_inj_cmp, T.n_dp_ok + T.n_inj_ok);
	rt_close(&T);
	free(O);
	return rc;
}
