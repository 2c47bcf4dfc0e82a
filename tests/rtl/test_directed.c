/* test_directed.c — directed tests of every engine operation and every
 * refusal, written against eng.h so the same cases run on the golden model
 * and on the Verilated RTL (W = 64 and W = 1024 builds).
 *
 *   test-directed [FILTER]     run the cases whose name contains FILTER */
#include <stdlib.h>
#include <string.h>

#include "eng.h"
#include "isq_build.h"
#include "tcheck.h"

#define M32 0xffffffffull
#define M64 UINT64_MAX

static struct eng *E;
static uint32_t W;

static struct isq_dp_result dp(unsigned op, uint32_t slot, uint64_t seq)
{
	struct isq_dp_result r;

	E->dp(E, op, slot, seq, &r);
	return r;
}

static struct isq_dp_result tx(uint32_t slot)
{
	return dp(ISQ_DPOP_TX_NEXT, slot, 0);
}

static struct isq_dp_result chk(uint32_t slot, uint64_t seq)
{
	return dp(ISQ_DPOP_RX_CHECK, slot, seq);
}

static struct isq_dp_result cmt(uint32_t slot, uint64_t seq)
{
	return dp(ISQ_DPOP_RX_COMMIT, slot, seq);
}

#define EXPECT_DP(r, st, sq) do { struct isq_dp_result r_ = (r); CHECK_EQ(r_.status, st); \
	CHECK_EQ(r_.seq, sq); } while (0)

static void fresh(void)
{
	if (E)
		eng_close(E);
	E = eng_open(W);
}

static unsigned n_events(void)
{
	return eng_rd(E, ISQ_EV_BASE + ISQ_EV_COUNT);
}

static void expect_event(unsigned type, uint32_t index, uint64_t value)
{
	struct isq_event ev;

	CHECK(eng_evt_pop(E, &ev) == 0);
	CHECK_EQ(ev.type, type);
	CHECK_EQ(ev.index, index);
	CHECK_EQ(ev.value, value);
}

static uint64_t gread(uint32_t g, unsigned res_index)
{
	uint32_t arg[8] = { g }, res[16];

	CHECK_EQ(eng_mb(E, ISQ_OP_GROUP_READ, arg, res, NULL), ISQ_RC_OK);
	return res_index == 0 || res_index == 1 ? res[res_index] : eng_res64(res, res_index);
}

static uint64_t sval(uint32_t slot)
{
	uint64_t v = 0;

	CHECK_EQ(eng_slot_read(E, slot, NULL, &v, NULL), ISQ_RC_OK);
	return v;
}

/* ---- identity */

static void t_id_block(void)
{
	static const struct { uint32_t base, type, ver, next; } blk[] = {
		{ ISQ_ID_BASE, ISQ_TYPE_ID, ISQ_VERSION_ID, ISQ_NEXT_ID },
		{ ISQ_MB_BASE, ISQ_TYPE_MB, ISQ_VERSION_MB, ISQ_NEXT_MB },
		{ ISQ_EV_BASE, ISQ_TYPE_EV, ISQ_VERSION_EV, ISQ_NEXT_EV },
		{ ISQ_DI_BASE, ISQ_TYPE_DI, ISQ_VERSION_DI, ISQ_NEXT_DI },
	};
	uint32_t off = 0, i, lo1, lo2;

	fresh();
	/* Walk the list from 0 the way firmware does. */
	for (i = 0; i < 4; i++) {
		CHECK_EQ(off, blk[i].base);
		CHECK_EQ(eng_rd(E, off + ISQ_BLK_TYPE), blk[i].type);
		CHECK_EQ(eng_rd(E, off + ISQ_BLK_VERSION), blk[i].ver);
		off = eng_rd(E, off + ISQ_BLK_NEXT);
	}
	CHECK_EQ(off, 0);
	CHECK_EQ(eng_rd(E, ISQ_ID_NUM_SA), E->num_sa);
	CHECK_EQ(eng_rd(E, ISQ_ID_NUM_GROUP), E->num_group);
	CHECK_EQ(eng_rd(E, ISQ_ID_WINDOW), W);
	CHECK_EQ(eng_rd(E, ISQ_ID_BUILD_ID), ISQ_BUILD_ID);
	CHECK_EQ(eng_rd(E, ISQ_ID_FEATURES), 0xf);
	CHECK_EQ(eng_rd(E, ISQ_ID_DP_LATENCY), ISQ_DP_LATENCY);
	CHECK_EQ(eng_rd(E, ISQ_ID_EVT_DEPTH), E->evt_depth);
	lo1 = eng_rd(E, ISQ_ID_CYCLE_LO);
	CHECK_EQ(eng_rd(E, ISQ_ID_CYCLE_HI), 0);
	lo2 = eng_rd(E, ISQ_ID_CYCLE_LO);
	CHECK(lo2 > lo1);
	/* Unmapped offsets read 0; writes to read-only registers change nothing. */
	CHECK_EQ(eng_rd(E, ISQ_ID_BASE + 0xfc), 0);
	eng_wr(E, ISQ_ID_NUM_SA, 7);
	CHECK_EQ(eng_rd(E, ISQ_ID_NUM_SA), E->num_sa);
	CHECK_EQ(eng_epoch(E), 0);
}

/* ---- outbound */

static void t_tx_basic(void)
{
	uint32_t flags;
	uint64_t v;

	fresh();
	CHECK_EQ(eng_install(E, 1, 2, 0, 0, 0, 0, 0), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_OK, 1); /* RFC 4303 §3.3.3: the first packet carries 1 */
	EXPECT_DP(tx(1), ISQ_DP_OK, 2);
	EXPECT_DP(tx(1), ISQ_DP_OK, 3);
	CHECK_EQ(eng_slot_read(E, 1, &flags, &v, NULL), ISQ_RC_OK);
	CHECK_EQ(v, 3);
	CHECK_EQ(flags, ISQ_MB_SFLAG_VALID_MASK | (2u << 16));
	CHECK_EQ(gread(2, 6), 3); /* tx_max */
	CHECK_EQ(gread(2, 8), M32); /* tx_limit */
	CHECK_EQ(gread(2, 1), 1); /* one outbound slot */
	/* Another slot of the same group counts on its own. */
	CHECK_EQ(eng_install(E, 2, 2, 0, 0, 1000, 0, 0), ISQ_RC_OK);
	EXPECT_DP(tx(2), ISQ_DP_OK, 1001);
	EXPECT_DP(tx(1), ISQ_DP_OK, 4);
	CHECK_EQ(gread(2, 6), 1001);
	CHECK_EQ(n_events(), 0);
}

static void t_tx_hard_limits(void)
{
	static const struct { int esn; uint64_t seq, hard; uint64_t last; } c[] = {
		{ 0, M32 - 3, 0, M32 },        /* non-ESN: 2^32 - 1 */
		{ 1, M64 - 3, 0, M64 },        /* ESN: 2^64 - 1 */
		{ 0, 97, 100, 100 },           /* configured lifetime */
		{ 1, (1ull << 32) - 3, (1ull << 32) + 0, 1ull << 32 }, /* ESN across 2^32 */
	};
	unsigned i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t n;
		uint32_t flags;

		fresh();
		CHECK_EQ(eng_install(E, 5, 1, 0, c[i].esn, c[i].seq, c[i].hard, 0), ISQ_RC_OK);
		for (n = c[i].seq + 1; n != c[i].last + 1; n++) /* last may be 2^64 - 1 */
			EXPECT_DP(tx(5), ISQ_DP_OK, n);
		/* Never wraps: EXHAUSTED, the event once, the value stays. */
		EXPECT_DP(tx(5), ISQ_DP_EXHAUSTED, c[i].last);
		EXPECT_DP(tx(5), ISQ_DP_EXHAUSTED, c[i].last);
		EXPECT_DP(tx(5), ISQ_DP_EXHAUSTED, c[i].last);
		CHECK_EQ(n_events(), 1);
		expect_event(ISQ_EVT_EXHAUSTED, 5, c[i].last);
		CHECK_EQ(eng_slot_read(E, 5, &flags, NULL, NULL), ISQ_RC_OK);
		CHECK(flags & ISQ_MB_SFLAG_EXHAUSTED_MASK);
		CHECK_EQ(sval(5), c[i].last);
	}
}

static void t_tx_soft_limit(void)
{
	uint32_t flags;

	fresh();
	CHECK_EQ(eng_install(E, 3, 0, 0, 0, 3, 0, 5), ISQ_RC_OK);
	EXPECT_DP(tx(3), ISQ_DP_OK, 4);
	CHECK_EQ(n_events(), 0);
	EXPECT_DP(tx(3), ISQ_DP_OK, 5);
	EXPECT_DP(tx(3), ISQ_DP_OK, 6);
	CHECK_EQ(n_events(), 1);
	expect_event(ISQ_EVT_SOFT_LIMIT, 3, 5);
	CHECK_EQ(eng_slot_read(E, 3, &flags, NULL, NULL), ISQ_RC_OK);
	CHECK(flags & ISQ_MB_SFLAG_SOFT_MASK);
	/* A group add that jumps over the soft limit: the event names the
	 * first number issued at or above it. */
	CHECK_EQ(eng_install(E, 4, 0, 0, 0, 0, 0, 100), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 0, 0, 200, NULL), ISQ_RC_OK);
	EXPECT_DP(tx(4), ISQ_DP_OK, 201);
	EXPECT_DP(tx(3), ISQ_DP_OK, 207);
	CHECK_EQ(n_events(), 1);
	expect_event(ISQ_EVT_SOFT_LIMIT, 4, 201);
}

/* ---- inbound, non-ESN (RFC 4303 §3.4.3) */

static void t_rx_window(void)
{
	uint64_t t = 5000;
	uint32_t bmp[32];

	fresh();
	CHECK_EQ(eng_install(E, 7, 1, 1, 0, t, 0, 0), ISQ_RC_OK);
	/* Everything <= T counts as seen; left of the window is too old. */
	EXPECT_DP(chk(7, t), ISQ_DP_REPLAY, t);
	EXPECT_DP(chk(7, t - W + 1), ISQ_DP_REPLAY, t - W + 1);
	EXPECT_DP(chk(7, t - W), ISQ_DP_TOO_OLD, t - W);
	EXPECT_DP(chk(7, 0), ISQ_DP_TOO_OLD, 0);
	EXPECT_DP(chk(7, t + 1), ISQ_DP_OK, t + 1);
	EXPECT_DP(chk(7, M32), ISQ_DP_OK, M32);
	/* RX_CHECK uses only the low 32 bits. */
	EXPECT_DP(chk(7, (5ull << 32) | (t + 1)), ISQ_DP_OK, t + 1);
	/* A jump of exactly W - 1 keeps the old right edge in the window. */
	EXPECT_DP(cmt(7, t + W - 1), ISQ_DP_OK, t + W - 1);
	EXPECT_DP(chk(7, t), ISQ_DP_REPLAY, t);
	EXPECT_DP(chk(7, t + 1), ISQ_DP_OK, t + 1);
	EXPECT_DP(chk(7, t - 1), ISQ_DP_TOO_OLD, t - 1);
	t += W - 1;
	/* A jump of W leaves an empty window behind the new edge. */
	EXPECT_DP(cmt(7, t + W), ISQ_DP_OK, t + W);
	t += W;
	EXPECT_DP(chk(7, t - W + 1), ISQ_DP_OK, t - W + 1);
	EXPECT_DP(chk(7, t - W), ISQ_DP_TOO_OLD, t - W);
	EXPECT_DP(cmt(7, t - W + 1), ISQ_DP_OK, t - W + 1);
	EXPECT_DP(cmt(7, t - W + 1), ISQ_DP_REPLAY, t - W + 1);
	EXPECT_DP(cmt(7, t - 3), ISQ_DP_OK, t - 3);
	EXPECT_DP(chk(7, t - 3), ISQ_DP_REPLAY, t - 3);
	EXPECT_DP(cmt(7, t - W), ISQ_DP_TOO_OLD, t - W);
	/* The bitmap window reads back as bit i = T - i. */
	CHECK_EQ(eng_slot_read(E, 7, NULL, NULL, bmp), ISQ_RC_OK);
	CHECK_EQ(bmp[0], 1u | (1u << 3));
	CHECK_EQ(bmp[W / 32 - 1], 1u << 31);
	CHECK_EQ(sval(7), t);
	/* Out-of-order inside the window, then duplicates. */
	EXPECT_DP(cmt(7, t + 5), ISQ_DP_OK, t + 5);
	EXPECT_DP(cmt(7, t + 2), ISQ_DP_OK, t + 2);
	EXPECT_DP(cmt(7, t + 4), ISQ_DP_OK, t + 4);
	EXPECT_DP(chk(7, t + 3), ISQ_DP_OK, t + 3);
	EXPECT_DP(chk(7, t + 2), ISQ_DP_REPLAY, t + 2);
	EXPECT_DP(cmt(7, t + 4), ISQ_DP_REPLAY, t + 4);
	/* The top of the 32-bit space; beyond it is not a valid number. */
	EXPECT_DP(cmt(7, M32), ISQ_DP_OK, M32);
	EXPECT_DP(chk(7, M32), ISQ_DP_REPLAY, M32);
	EXPECT_DP(chk(7, 0), ISQ_DP_TOO_OLD, 0);
	EXPECT_DP(cmt(7, M32 + 1), ISQ_DP_INVALID, 0);
	CHECK_EQ(gread(1, 14), M32); /* rx_max */
}

/* ---- inbound, ESN inference (RFC 4303 Appendix A) */

static void t_rx_esn(void)
{
	uint64_t t = (1ull << 32) - 2; /* Tl = 0xFFFFFFFE, Th = 0: Case A */

	fresh();
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, t, 0, 0), ISQ_RC_OK);
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_OK, 0xffffffffull);
	EXPECT_DP(chk(9, 0), ISQ_DP_OK, 1ull << 32);          /* Seql < Bl: Th + 1 */
	EXPECT_DP(chk(9, 0xfffffffeu), ISQ_DP_REPLAY, t);
	EXPECT_DP(chk(9, (uint32_t)(t - W + 1)), ISQ_DP_REPLAY, t - W + 1);
	/* Just left of the window reads as the next subspace (A2.2). */
	EXPECT_DP(chk(9, (uint32_t)(t - W)), ISQ_DP_OK, t - W + (1ull << 32));
	/* Cross 2^32: now Tl = 1 < W - 1, Case B. */
	EXPECT_DP(cmt(9, (1ull << 32) + 1), ISQ_DP_OK, (1ull << 32) + 1);
	t = (1ull << 32) + 1;
	EXPECT_DP(chk(9, 0xfffffff0u), ISQ_DP_REPLAY, 0xfffffff0ull);  /* Th - 1, installed */
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_OK, 0xffffffffull);      /* Th - 1, not seen */
	EXPECT_DP(chk(9, 0), ISQ_DP_OK, 1ull << 32);                   /* Th */
	EXPECT_DP(chk(9, 1), ISQ_DP_REPLAY, t);
	EXPECT_DP(chk(9, 2), ISQ_DP_OK, t + 1);
	EXPECT_DP(cmt(9, 0xffffffffull), ISQ_DP_OK, 0xffffffffull);
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_REPLAY, 0xffffffffull);
	EXPECT_DP(cmt(9, 0xffffffffull), ISQ_DP_REPLAY, 0xffffffffull);
	CHECK_EQ(sval(9), t);

	/* Th = 0, Case B: a Seql above Bl would need Seqh = -1. */
	fresh();
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, 5, 0, 0), ISQ_RC_OK);
	EXPECT_DP(chk(9, 0xfffffff0u), ISQ_DP_TOO_OLD, 0);
	EXPECT_DP(chk(9, 3), ISQ_DP_REPLAY, 3);
	EXPECT_DP(chk(9, 0), ISQ_DP_REPLAY, 0);
	EXPECT_DP(chk(9, 6), ISQ_DP_OK, 6);

	/* Th = 2^32 - 1, Case A: a Seql below Bl would need Seqh = 2^32. */
	fresh();
	t = M64 - 10;
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, t, 0, 0), ISQ_RC_OK);
	EXPECT_DP(chk(9, 5), ISQ_DP_TOO_OLD, 0);
	EXPECT_DP(chk(9, 0xfffffff8u), ISQ_DP_OK, M64 - 7);
	EXPECT_DP(cmt(9, M64 - 7), ISQ_DP_OK, M64 - 7);
	EXPECT_DP(cmt(9, M64), ISQ_DP_OK, M64);
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_REPLAY, M64);
	EXPECT_DP(chk(9, 0xfffffff9u), ISQ_DP_OK, M64 - 6);
	CHECK_EQ(gread(4, 14), M64);

	/* Large jumps across several subspaces by commit. */
	fresh();
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, 100, 0, 0), ISQ_RC_OK);
	EXPECT_DP(cmt(9, (7ull << 32) + 3), ISQ_DP_OK, (7ull << 32) + 3);
	EXPECT_DP(chk(9, 1), ISQ_DP_OK, (7ull << 32) + 1);
	EXPECT_DP(chk(9, 4), ISQ_DP_OK, (7ull << 32) + 4);
	EXPECT_DP(chk(9, (uint32_t)(0ull - W + 4)), ISQ_DP_OK, (7ull << 32) + 4 - W);
}

/* RFC 4303 A2.2 at the exact boundary between Case A and Case B (Tl = W - 1
 * and Tl = W - 2) and at the left edge of a window that spans two subspaces,
 * for this build's W (the suites run W = 64, 128 and 1024). */
static void t_rx_esn_case_edges(void)
{
	uint64_t h = 3ull << 32, t, b;

	/* Tl = W - 1: Case A, Bl = 0 */
	fresh();
	t = h + W - 1;
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, t, 0, 0), ISQ_RC_OK);
	EXPECT_DP(chk(9, 0), ISQ_DP_REPLAY, h);                       /* Seql = Bl: Th, left edge */
	EXPECT_DP(chk(9, W - 1), ISQ_DP_REPLAY, t);
	EXPECT_DP(chk(9, W), ISQ_DP_OK, t + 1);
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_OK, h + M32);            /* Seql >= Bl: Th */

	/* Tl = W - 2: Case B, Bl = 2^32 - 1 */
	fresh();
	t = h + W - 2;
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, t, 0, 0), ISQ_RC_OK);
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_REPLAY, h - 1);          /* Seql = Bl: Th - 1, left edge */
	EXPECT_DP(chk(9, 0xfffffffeu), ISQ_DP_OK, h + 0xfffffffeull);  /* Seql < Bl: Th */
	EXPECT_DP(chk(9, 0), ISQ_DP_REPLAY, h);
	EXPECT_DP(chk(9, W - 1), ISQ_DP_OK, t + 1);
	/* one commit moves T to Tl = W - 1: the same Seql now reads as Th */
	EXPECT_DP(cmt(9, t + 1), ISQ_DP_OK, t + 1);
	EXPECT_DP(chk(9, 0xffffffffu), ISQ_DP_OK, h + M32);

	/* A window across 2^32 k with unseen numbers on both sides of it. */
	fresh();
	CHECK_EQ(eng_install(E, 9, 4, 1, 1, h - 10, 0, 0), ISQ_RC_OK);
	t = h + 5;
	EXPECT_DP(cmt(9, t), ISQ_DP_OK, t);                            /* Tl = 5: Case B */
	EXPECT_DP(chk(9, 0xfffffff8u), ISQ_DP_OK, h - 8);              /* Th - 1, unseen */
	EXPECT_DP(cmt(9, h - 8), ISQ_DP_OK, h - 8);
	EXPECT_DP(chk(9, 0xfffffff8u), ISQ_DP_REPLAY, h - 8);
	EXPECT_DP(cmt(9, h - 8), ISQ_DP_REPLAY, h - 8);
	EXPECT_DP(chk(9, 0xfffffff6u), ISQ_DP_REPLAY, h - 10);         /* the installed edge */
	EXPECT_DP(chk(9, 2), ISQ_DP_OK, h + 2);                        /* Th, unseen */
	b = t - (W - 1);                                               /* left edge B */
	EXPECT_DP(chk(9, (uint32_t)b), ISQ_DP_REPLAY, b);
	/* one left of B: Seql < Bl infers Th, far right of the window */
	EXPECT_DP(chk(9, (uint32_t)(b - 1)), ISQ_DP_OK, h + (uint32_t)(b - 1));
	EXPECT_DP(cmt(9, b - 1), ISQ_DP_TOO_OLD, b - 1);
	EXPECT_DP(cmt(9, b), ISQ_DP_REPLAY, b);
	CHECK_EQ(sval(9), t);
}

/* ---- data-path refusals */

static void t_dp_invalid(void)
{
	fresh();
	CHECK_EQ(eng_install(E, 1, 0, 0, 0, 0, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 2, 0, 1, 0, 0, 0, 0), ISQ_RC_OK);
	EXPECT_DP(tx(2), ISQ_DP_INVALID, 0);           /* wrong direction */
	EXPECT_DP(chk(1, 1), ISQ_DP_INVALID, 0);
	EXPECT_DP(cmt(1, 1), ISQ_DP_INVALID, 0);
	EXPECT_DP(tx(3), ISQ_DP_INVALID, 0);           /* free */
	EXPECT_DP(chk(3, 1), ISQ_DP_INVALID, 0);
	EXPECT_DP(tx(E->num_sa), ISQ_DP_INVALID, 0);    /* out of range */
	EXPECT_DP(tx(0xffff), ISQ_DP_INVALID, 0);
	EXPECT_DP(dp(3, 1, 0), ISQ_DP_INVALID, 0);      /* no such op */
	EXPECT_DP(tx(1), ISQ_DP_OK, 1);
	CHECK_EQ(eng_clear(E, 1), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_INVALID, 0);
	CHECK_EQ(n_events(), 0);
}

/* Every data-path refusal leaves every slot and group as it was (state
 * digest over all slot and group readbacks) and raises no event, except the
 * first EXHAUSTED (its event, once). */
static void t_dp_refusals_change_nothing(void)
{
	uint64_t before, t = 5000;
	unsigned i;

	fresh();
	CHECK_EQ(eng_install(E, 1, 3, 0, 0, 98, 100, 0), ISQ_RC_OK);   /* outbound, hard 100 */
	CHECK_EQ(eng_install(E, 2, 3, 1, 0, t, 0, 0), ISQ_RC_OK);      /* inbound, T = 5000 */
	CHECK_EQ(eng_install(E, 4, 5, 1, 1, 5, 0, 0), ISQ_RC_OK);      /* ESN inbound, Th = 0 */
	CHECK_EQ(eng_install(E, 6, 6, 0, 0, 10, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, 6, 0, 0, NULL), ISQ_RC_OK);
	EXPECT_DP(cmt(2, t + 3), ISQ_DP_OK, t + 3);                     /* a hole at t + 1, t + 2 */
	EXPECT_DP(tx(1), ISQ_DP_OK, 99);
	EXPECT_DP(tx(1), ISQ_DP_OK, 100);
	EXPECT_DP(tx(1), ISQ_DP_EXHAUSTED, 100);
	expect_event(ISQ_EVT_EXHAUSTED, 1, 100);
	CHECK_EQ(n_events(), 0);
	before = eng_state_digest(E);
	for (i = 0; i < 2; i++) {   /* twice: a refusal does not prepare the next one */
		EXPECT_DP(tx(1), ISQ_DP_EXHAUSTED, 100);
		EXPECT_DP(tx(6), ISQ_DP_HELD, 10);
		EXPECT_DP(tx(2), ISQ_DP_INVALID, 0);                        /* wrong direction */
		EXPECT_DP(chk(1, 7), ISQ_DP_INVALID, 0);
		EXPECT_DP(cmt(1, 7), ISQ_DP_INVALID, 0);
		EXPECT_DP(tx(30), ISQ_DP_INVALID, 0);                       /* free */
		EXPECT_DP(cmt(30, 7), ISQ_DP_INVALID, 0);
		EXPECT_DP(tx(E->num_sa), ISQ_DP_INVALID, 0);                /* out of range */
		EXPECT_DP(cmt(E->num_sa, 7), ISQ_DP_INVALID, 0);
		EXPECT_DP(dp(3, 2, t + 1), ISQ_DP_INVALID, 0);              /* no such op */
		EXPECT_DP(cmt(2, M32 + 1), ISQ_DP_INVALID, 0);              /* non-ESN beyond 2^32 - 1 */
		EXPECT_DP(cmt(2, (1ull << 32) + t + 1), ISQ_DP_INVALID, 0);
		EXPECT_DP(cmt(2, t + 3), ISQ_DP_REPLAY, t + 3);
		EXPECT_DP(cmt(2, t), ISQ_DP_REPLAY, t);
		EXPECT_DP(cmt(2, t + 3 - W), ISQ_DP_TOO_OLD, t + 3 - W);
		EXPECT_DP(cmt(2, 0), ISQ_DP_TOO_OLD, 0);
		EXPECT_DP(chk(2, t + 3 - W), ISQ_DP_TOO_OLD, t + 3 - W);
		EXPECT_DP(chk(2, t + 3), ISQ_DP_REPLAY, t + 3);
		EXPECT_DP(chk(2, t + 1), ISQ_DP_OK, t + 1);                 /* a check only looks */
		EXPECT_DP(chk(2, t + 9), ISQ_DP_OK, t + 9);
		EXPECT_DP(chk(4, 0xfffffff0u), ISQ_DP_TOO_OLD, 0);          /* ESN: Seqh would be -1 */
		EXPECT_DP(chk(4, 6), ISQ_DP_OK, 6);
		CHECK_EQ(eng_state_digest(E), before);
		CHECK_EQ(n_events(), 0);
	}
	CHECK_EQ(eng_epoch(E), 1);
}

/* ---- management refusals: error code, nothing changed */

static void t_bad_commands(void)
{
	struct { const char *what; unsigned op; uint32_t arg[8]; unsigned rc; } c[] = {
		{ "install slot=NUM_SA", ISQ_OP_SLOT_INSTALL, { 0 }, ISQ_RC_BAD_SLOT },
		{ "install slot=2^32-1", ISQ_OP_SLOT_INSTALL, { 0xffffffffu }, ISQ_RC_BAD_SLOT },
		{ "install group=NUM_GROUP", ISQ_OP_SLOT_INSTALL, { 20 }, ISQ_RC_BAD_GROUP },
		{ "install reserved bit 18", ISQ_OP_SLOT_INSTALL, { 20, 1u << 18 }, ISQ_RC_RESERVED },
		{ "install reserved bit 31", ISQ_OP_SLOT_INSTALL, { 20, 1u << 31 }, ISQ_RC_RESERVED },
		{ "install over live", ISQ_OP_SLOT_INSTALL, { 1, 0 }, ISQ_RC_SLOT_LIVE },
		{ "install ESN into non-ESN group", ISQ_OP_SLOT_INSTALL, { 20, 3 | ISQ_MB_INST_ESN_MASK }, ISQ_RC_ESN_MISMATCH },
		{ "install non-ESN into ESN group", ISQ_OP_SLOT_INSTALL, { 20, 5 }, ISQ_RC_ESN_MISMATCH },
		{ "install seq >= hard", ISQ_OP_SLOT_INSTALL, { 20, 3, 100, 0, 100, 0 }, ISQ_RC_BAD_VALUE },
		{ "install soft > hard", ISQ_OP_SLOT_INSTALL, { 20, 3, 1, 0, 100, 0, 101, 0 }, ISQ_RC_BAD_VALUE },
		{ "install non-ESN hard > 2^32-1", ISQ_OP_SLOT_INSTALL, { 20, 3, 1, 0, 0, 1 }, ISQ_RC_BAD_VALUE },
		{ "install non-ESN seq = 2^32-1", ISQ_OP_SLOT_INSTALL, { 20, 3, 0xffffffffu, 0 }, ISQ_RC_BAD_VALUE },
		{ "install non-ESN soft > 2^32-1", ISQ_OP_SLOT_INSTALL, { 20, 3, 0, 0, 0, 0, 0, 1 }, ISQ_RC_BAD_VALUE },
		{ "install ESN seq = 2^64-1", ISQ_OP_SLOT_INSTALL, { 20, 5 | ISQ_MB_INST_ESN_MASK, 0xffffffffu, 0xffffffffu }, ISQ_RC_BAD_VALUE },
		{ "install inbound with hard", ISQ_OP_SLOT_INSTALL, { 20, 3 | ISQ_MB_INST_DIR_IN_MASK, 0, 0, 5, 0 }, ISQ_RC_BAD_VALUE },
		{ "install inbound with soft", ISQ_OP_SLOT_INSTALL, { 20, 3 | ISQ_MB_INST_DIR_IN_MASK, 0, 0, 0, 0, 0, 1 }, ISQ_RC_BAD_VALUE },
		{ "install inbound non-ESN T > 2^32-1", ISQ_OP_SLOT_INSTALL, { 20, 3 | ISQ_MB_INST_DIR_IN_MASK, 0, 1 }, ISQ_RC_BAD_VALUE },
		{ "read slot=NUM_SA", ISQ_OP_SLOT_READ, { 0 }, ISQ_RC_BAD_SLOT },
		{ "clear slot=NUM_SA", ISQ_OP_SLOT_CLEAR, { 0 }, ISQ_RC_BAD_SLOT },
		{ "clear free slot", ISQ_OP_SLOT_CLEAR, { 30 }, ISQ_RC_SLOT_FREE },
		{ "group read group=NUM_GROUP", ISQ_OP_GROUP_READ, { 0 }, ISQ_RC_BAD_GROUP },
		{ "tx add group=NUM_GROUP", ISQ_OP_GROUP_TX_ADD, { 0, 0, 1 }, ISQ_RC_BAD_GROUP },
		{ "tx add reserved flag", ISQ_OP_GROUP_TX_ADD, { 3, 2, 1 }, ISQ_RC_RESERVED },
		{ "tx add past 2^32-1", ISQ_OP_GROUP_TX_ADD, { 3, 0, 0xfffffff0u }, ISQ_RC_OVERFLOW },
		{ "tx add past 2^64 (wrap)", ISQ_OP_GROUP_TX_ADD, { 5, 0, 0xffffffffu, 0xffffffffu }, ISQ_RC_OVERFLOW },
		{ "rx advance group=2^32-1", ISQ_OP_GROUP_RX_ADVANCE, { 0xffffffffu, 0, 1 }, ISQ_RC_BAD_GROUP },
		{ "rx advance past 2^32-1", ISQ_OP_GROUP_RX_ADVANCE, { 3, 0, 0xffffffffu }, ISQ_RC_OVERFLOW },
		{ "hold group=NUM_GROUP", ISQ_OP_GROUP_HOLD, { 0 }, ISQ_RC_BAD_GROUP },
		{ "release group=NUM_GROUP", ISQ_OP_GROUP_RELEASE, { 0 }, ISQ_RC_BAD_GROUP },
		{ "unknown opcode 0x0A", 0x0a, { 0 }, ISQ_RC_BAD_OP },
		{ "unknown opcode 0xFF", 0xff, { 0 }, ISQ_RC_BAD_OP },
		{ "CMD reserved bits", 0x100 | ISQ_OP_EPOCH_READ, { 0 }, ISQ_RC_RESERVED },
	};
	uint64_t before, ep;
	unsigned i, ev0;

	fresh();
	/* Some state to protect: groups 3 (non-ESN) and 5 (ESN). */
	CHECK_EQ(eng_install(E, 1, 3, 0, 0, 50, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 2, 3, 1, 0, 70, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 4, 5, 0, 1, 1ull << 40, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 3, 0, 7, NULL), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_OK, 58);
	EXPECT_DP(cmt(2, 80), ISQ_DP_OK, 80);
	c[0].arg[0] = E->num_sa;
	c[2].arg[1] = E->num_group;
	c[17].arg[0] = E->num_sa;
	c[18].arg[0] = E->num_sa;
	c[20].arg[0] = E->num_group;
	c[21].arg[0] = E->num_group;
	c[27].arg[0] = E->num_group;
	c[28].arg[0] = E->num_group;
	before = eng_state_digest(E);
	ep = eng_epoch(E);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t res_before[16], res_after[16];
		unsigned rc;

		ev0 = n_events();
		eng_mb(E, ISQ_OP_GROUP_READ, (uint32_t[8]){ 3 }, res_before, NULL);
		rc = eng_mb(E, c[i].op, c[i].arg, res_after, NULL);
		if (rc != c[i].rc)
			fprintf(stderr, "  case '%s': rc %u, want %u\n", c[i].what, rc, c[i].rc);
		CHECK_EQ(rc, c[i].rc);
		/* Results of a refused command are not written. */
		CHECK(memcmp(res_before, res_after, sizeof(res_before)) == 0);
		CHECK_EQ(n_events(), ev0 + (rc == ISQ_RC_OVERFLOW));
		if (rc == ISQ_RC_OVERFLOW) {
			struct isq_event ev;

			CHECK(eng_evt_pop(E, &ev) == 0);
			CHECK_EQ(ev.type, ISQ_EVT_OVERFLOW_REFUSED);
			CHECK_EQ(ev.index, c[i].arg[0]);
			CHECK_EQ(ev.value, eng_res64(c[i].arg, 2));
			CHECK_EQ(ev.epoch, ep);
		}
	}
	CHECK_EQ(eng_epoch(E), ep);
	CHECK_EQ(eng_state_digest(E), before);
	EXPECT_DP(tx(1), ISQ_DP_OK, 59);
}

/* ---- group operations */

static void t_group_tx_add(void)
{
	uint64_t ep;

	fresh();
	CHECK_EQ(eng_install(E, 10, 3, 0, 0, 10, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 11, 3, 0, 0, 20, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 12, 3, 0, 0, 30, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 13, 3, 1, 0, 40, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 14, 4, 0, 0, 5, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 3, 0, 100, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 1);
	EXPECT_DP(tx(10), ISQ_DP_OK, 111);
	EXPECT_DP(tx(11), ISQ_DP_OK, 121);
	EXPECT_DP(tx(12), ISQ_DP_OK, 131);
	EXPECT_DP(tx(14), ISQ_DP_OK, 6);   /* other group untouched */
	EXPECT_DP(chk(13, 41), ISQ_DP_OK, 41); /* inbound untouched */
	CHECK_EQ(sval(11), 121);
	CHECK_EQ(gread(3, 0), ISQ_MB_GFLAG_HAS_SLOTS_MASK);
	CHECK_EQ(gread(3, 1), 3 | (1u << 16));
	CHECK_EQ(gread(3, 2), 100);   /* tx_offset */
	CHECK_EQ(gread(3, 6), 131);   /* tx_max */
	CHECK_EQ(gread(3, 10), 1);    /* last epoch */
	CHECK_EQ(gread(3, 12), 1);    /* current epoch */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 3, 0, 0, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 2);
	EXPECT_DP(tx(10), ISQ_DP_OK, 112);
	/* Up to exactly the limit of the most advanced slot. */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 3, 0, M32 - 131, &ep), ISQ_RC_OK);
	EXPECT_DP(tx(12), ISQ_DP_EXHAUSTED, M32);
	EXPECT_DP(tx(10), ISQ_DP_OK, M32 - 131 + 113);
	expect_event(ISQ_EVT_EXHAUSTED, 12, M32);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 3, 0, 1, NULL), ISQ_RC_OVERFLOW);
	expect_event(ISQ_EVT_OVERFLOW_REFUSED, 3, 1);
	CHECK_EQ(eng_epoch(E), 3);
	/* A zero delta is never refused. */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 3, 0, 0, NULL), ISQ_RC_OK);

	/* ESN group near 2^64 - 1, and the tightest configured limit. */
	fresh();
	CHECK_EQ(eng_install(E, 1, 2, 0, 1, M64 - 100, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 2, 0, 101, NULL), ISQ_RC_OVERFLOW);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 2, 0, M64, NULL), ISQ_RC_OVERFLOW);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 2, 0, 99, NULL), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_OK, M64);
	EXPECT_DP(tx(1), ISQ_DP_EXHAUSTED, M64);
	CHECK_EQ(eng_install(E, 2, 6, 0, 1, 1000, 5000, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 3, 6, 0, 1, 10, 0, 0), ISQ_RC_OK);
	CHECK_EQ(gread(6, 8), 5000);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 6, 0, 4001, NULL), ISQ_RC_OVERFLOW);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 6, 0, 4000, NULL), ISQ_RC_OK);
	EXPECT_DP(tx(2), ISQ_DP_EXHAUSTED, 5000);
	EXPECT_DP(tx(3), ISQ_DP_OK, 4011);
}

static void t_hold_release(void)
{
	uint64_t ep;

	fresh();
	CHECK_EQ(eng_install(E, 1, 7, 0, 0, 0, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 2, 7, 1, 0, 0, 0, 0), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_OK, 1);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, 7, 0, 0, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 1);
	EXPECT_DP(tx(1), ISQ_DP_HELD, 1);
	EXPECT_DP(tx(1), ISQ_DP_HELD, 1);
	EXPECT_DP(cmt(2, 1), ISQ_DP_OK, 1);  /* inbound is not held */
	CHECK_EQ(gread(7, 0), ISQ_MB_GFLAG_HELD_MASK | ISQ_MB_GFLAG_HAS_SLOTS_MASK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, 7, 0, 0, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 2);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RELEASE, 7, 0, 0, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 3);
	EXPECT_DP(tx(1), ISQ_DP_OK, 2);
	/* Hold, jump and release in one edge: the takeover sequence. */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, 7, 0, 0, NULL), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_HELD, 2);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 7, ISQ_MB_TXADD_RELEASE_MASK, 1000, &ep),
		 ISQ_RC_OK);
	CHECK_EQ(ep, 5);
	EXPECT_DP(tx(1), ISQ_DP_OK, 1003);
	CHECK_EQ(gread(7, 0), ISQ_MB_GFLAG_HAS_SLOTS_MASK);
	CHECK_EQ(gread(7, 10), 5);
	/* A held group's slots install and stay held. */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, 8, 0, 0, NULL), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 3, 8, 0, 0, 0, 0, 0), ISQ_RC_OK);
	EXPECT_DP(tx(3), ISQ_DP_HELD, 0);
}

static void t_group_rx_advance(void)
{
	uint64_t ep;
	uint32_t bmp[32], i;

	fresh();
	CHECK_EQ(eng_install(E, 20, 9, 1, 0, 100, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 21, 9, 1, 0, 500, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, 22, 9, 0, 0, 7, 0, 0), ISQ_RC_OK);
	EXPECT_DP(cmt(20, 105), ISQ_DP_OK, 105);
	EXPECT_DP(chk(20, 103), ISQ_DP_OK, 103);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 9, 0, 50, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 1);
	/* Everything at or below the old edge + delta is now rejected. */
	EXPECT_DP(chk(20, 155), ISQ_DP_REPLAY, 155);
	EXPECT_DP(chk(20, 103), ISQ_DP_REPLAY, 103);
	EXPECT_DP(chk(20, 156), ISQ_DP_OK, 156);
	EXPECT_DP(chk(21, 550), ISQ_DP_REPLAY, 550);
	EXPECT_DP(chk(21, 551), ISQ_DP_OK, 551);
	EXPECT_DP(tx(22), ISQ_DP_OK, 8);  /* outbound untouched */
	CHECK_EQ(eng_slot_read(E, 20, NULL, NULL, bmp), ISQ_RC_OK);
	for (i = 0; i < W / 32; i++)
		CHECK_EQ(bmp[i], 0xffffffffu);
	CHECK_EQ(sval(20), 155);
	CHECK_EQ(sval(21), 550);
	CHECK_EQ(gread(9, 4), 50);
	CHECK_EQ(gread(9, 14), 550);
	/* The window works on from the advanced edge. */
	EXPECT_DP(cmt(20, 158), ISQ_DP_OK, 158);
	EXPECT_DP(chk(20, 157), ISQ_DP_OK, 157);
	EXPECT_DP(chk(20, 155), ISQ_DP_REPLAY, 155);
	/* A slot installed after the advance is not advanced again. */
	CHECK_EQ(eng_install(E, 23, 9, 1, 0, 10, 0, 0), ISQ_RC_OK);
	EXPECT_DP(chk(23, 11), ISQ_DP_OK, 11);
	/* Overflow near 2^32 - 1 (non-ESN): refused, nothing changed. */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 9, 0, M32 - 550, NULL), ISQ_RC_OK);
	CHECK_EQ(sval(21), M32);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 9, 0, 1, NULL), ISQ_RC_OVERFLOW);
	expect_event(ISQ_EVT_OVERFLOW_REFUSED, 9, 1);
	CHECK_EQ(sval(21), M32);
	/* ESN: near 2^64 - 1. */
	CHECK_EQ(eng_install(E, 30, 10, 1, 1, M64 - 5, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 10, 0, 6, NULL), ISQ_RC_OVERFLOW);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 10, 0, 5, NULL), ISQ_RC_OK);
	EXPECT_DP(chk(30, 0xffffffffu), ISQ_DP_REPLAY, M64);
}

/* GROUP_RX_ADVANCE with delta 0 (docs/rtl.md): an edge and nothing else;
 * no window changes, nothing is refused. */
static void t_rx_advance_zero(void)
{
	uint64_t ep, v;
	uint32_t bmp0[32], bmp1[32];

	fresh();
	CHECK_EQ(eng_install(E, 20, 9, 1, 0, 100, 0, 0), ISQ_RC_OK);
	EXPECT_DP(cmt(20, 105), ISQ_DP_OK, 105);
	CHECK_EQ(eng_slot_read(E, 20, NULL, NULL, bmp0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 9, 0, 0, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 1);
	EXPECT_DP(chk(20, 103), ISQ_DP_OK, 103);  /* still unseen */
	EXPECT_DP(chk(20, 105), ISQ_DP_REPLAY, 105);
	CHECK_EQ(eng_slot_read(E, 20, NULL, &v, bmp1), ISQ_RC_OK);
	CHECK_EQ(v, 105);
	CHECK(memcmp(bmp0, bmp1, sizeof(bmp0)) == 0);
	CHECK_EQ(gread(9, 4), 0);   /* rx_advance */
	CHECK_EQ(gread(9, 14), 105); /* rx_max */
	CHECK_EQ(gread(9, 10), 1);  /* the group's last epoch moved */
	/* at the top of the space too: delta 0 is never refused */
	CHECK_EQ(eng_install(E, 21, 9, 1, 0, M32, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 9, 0, 0, &ep), ISQ_RC_OK);
	CHECK_EQ(ep, 2);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, 9, 0, 1, NULL), ISQ_RC_OVERFLOW);
	expect_event(ISQ_EVT_OVERFLOW_REFUSED, 9, 1);
}

static void t_group_restart(void)
{
	fresh();
	CHECK_EQ(eng_install(E, 1, 2, 0, 0, 5, 100, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 2, 0, 50, NULL), ISQ_RC_OK);
	CHECK_EQ(eng_clear(E, 1), ISQ_RC_OK);
	CHECK_EQ(gread(2, 0), 0);
	/* A group with no slots takes the next slot's mode and starts afresh. */
	CHECK_EQ(eng_install(E, 1, 2, 0, 1, 1ull << 33, 0, 0), ISQ_RC_OK);
	CHECK_EQ(gread(2, 0), ISQ_MB_GFLAG_ESN_MASK | ISQ_MB_GFLAG_HAS_SLOTS_MASK);
	CHECK_EQ(gread(2, 2), 0);
	CHECK_EQ(gread(2, 6), 1ull << 33);
	CHECK_EQ(gread(2, 8), M64);
	EXPECT_DP(tx(1), ISQ_DP_OK, (1ull << 33) + 1);
	/* Slots of one group in mixed groups of a cleared slot keep counting. */
	CHECK_EQ(eng_install(E, 2, 2, 1, 1, 9, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_clear(E, 1), ISQ_RC_OK);
	CHECK_EQ(gread(2, 1), 1u << 16);
	CHECK_EQ(eng_install(E, 1, 2, 0, 0, 0, 0, 0), ISQ_RC_ESN_MISMATCH);
}

/* The last slot and the last group of the configuration (address widths:
 * the last group's management row is the table's last row), next to their
 * neighbours, which must not move. */
static void t_extreme_indexes(void)
{
	uint32_t s = E->num_sa - 1, g = E->num_group - 1, g2 = E->num_group - 2;
	uint64_t ep;

	fresh();
	CHECK_EQ(eng_install(E, s, g, 0, 1, 1000, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, s - 1, g, 1, 1, 2000, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, s - 2, g2, 0, 1, 3000, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_install(E, s - 3, g2, 1, 1, 4000, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, g, 0, 1ull << 40, &ep), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RX_ADVANCE, g, 0, 1ull << 33, &ep), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, g2, 0, 0, &ep), ISQ_RC_OK);
	EXPECT_DP(tx(s), ISQ_DP_OK, (1ull << 40) + 1001);
	EXPECT_DP(chk(s - 1, 2000 + 5), ISQ_DP_OK, (2ull << 32) + 2005);
	EXPECT_DP(cmt(s - 1, (2ull << 32) + 2000), ISQ_DP_REPLAY, (2ull << 32) + 2000);
	EXPECT_DP(tx(s - 2), ISQ_DP_HELD, 3000);
	EXPECT_DP(cmt(s - 3, 4001), ISQ_DP_OK, 4001);
	CHECK_EQ(gread(g, 0), ISQ_MB_GFLAG_ESN_MASK | ISQ_MB_GFLAG_HAS_SLOTS_MASK);
	CHECK_EQ(gread(g, 1), 1u | (1u << 16));
	CHECK_EQ(gread(g, 2), 1ull << 40);
	CHECK_EQ(gread(g, 4), 1ull << 33);
	CHECK_EQ(gread(g, 6), (1ull << 40) + 1001);
	CHECK_EQ(gread(g, 14), (1ull << 33) + 2000);
	CHECK_EQ(gread(g, 10), 2);
	CHECK_EQ(gread(g2, 0), ISQ_MB_GFLAG_HELD_MASK | ISQ_MB_GFLAG_ESN_MASK |
			       ISQ_MB_GFLAG_HAS_SLOTS_MASK);
	CHECK_EQ(gread(g2, 2), 0);
	CHECK_EQ(gread(g2, 4), 0);
	CHECK_EQ(gread(g2, 14), 4001);
	CHECK_EQ(sval(s), (1ull << 40) + 1001);
	CHECK_EQ(sval(s - 1), (1ull << 33) + 2000);
	CHECK_EQ(eng_clear(E, s), ISQ_RC_OK);
	CHECK_EQ(eng_clear(E, s - 1), ISQ_RC_OK);
	CHECK_EQ(gread(g, 1), 0);
	EXPECT_DP(tx(s), ISQ_DP_INVALID, 0);
}

static void t_slot_read_clear(void)
{
	uint32_t res[16], bmp[32], i;

	fresh();
	CHECK_EQ(eng_install(E, 6, 1, 0, 1, 77, 1000, 500), ISQ_RC_OK);
	CHECK_EQ(eng_mb(E, ISQ_OP_SLOT_READ, (uint32_t[8]){ 6 }, res, bmp), ISQ_RC_OK);
	CHECK_EQ(res[0], ISQ_MB_SFLAG_VALID_MASK | ISQ_MB_SFLAG_ESN_MASK | (1u << 16));
	CHECK_EQ(eng_res64(res, 1), 77);
	CHECK_EQ(eng_res64(res, 3), 1000);
	CHECK_EQ(eng_res64(res, 5), 500);
	CHECK_EQ(eng_res64(res, 7), 0);
	for (i = 0; i < 32; i++)
		CHECK_EQ(bmp[i], 0);
	CHECK_EQ(eng_clear(E, 6), ISQ_RC_OK);
	CHECK_EQ(eng_mb(E, ISQ_OP_SLOT_READ, (uint32_t[8]){ 6 }, res, NULL), ISQ_RC_OK);
	for (i = 0; i < 7; i++)
		CHECK_EQ(res[i], 0);
	CHECK_EQ(eng_clear(E, 6), ISQ_RC_SLOT_FREE);
	CHECK_EQ(gread(1, 1), 0);
	/* Reinstall a cleared slot: its old events and window are gone. */
	CHECK_EQ(eng_install(E, 6, 1, 1, 1, 3, 0, 0), ISQ_RC_OK);
	CHECK_EQ(eng_mb(E, ISQ_OP_SLOT_READ, (uint32_t[8]){ 6 }, res, bmp), ISQ_RC_OK);
	CHECK_EQ(res[0], ISQ_MB_SFLAG_VALID_MASK | ISQ_MB_SFLAG_DIR_IN_MASK |
			 ISQ_MB_SFLAG_ESN_MASK | (1u << 16));
	for (i = 0; i < 32; i++)
		CHECK_EQ(bmp[i], i < W / 32 ? 0xffffffffu : 0);
	CHECK_EQ(eng_mb(E, ISQ_OP_NOP, NULL, res, NULL), ISQ_RC_OK);
}

static void t_event_fifo(void)
{
	uint32_t depth, i;
	struct isq_event ev;

	fresh();
	depth = eng_rd(E, ISQ_ID_EVT_DEPTH);
	CHECK_EQ(eng_install(E, 1, 0, 0, 0, M32 - 1, 0, 0), ISQ_RC_OK);
	for (i = 0; i < depth + 3; i++)
		CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_TX_ADD, 0, 0, 1000 + i, NULL), ISQ_RC_OVERFLOW);
	CHECK_EQ(n_events(), depth);
	CHECK_EQ(eng_rd(E, ISQ_EV_BASE + ISQ_EV_DROPPED), 3);
	eng_wr(E, ISQ_EV_BASE + ISQ_EV_DROPPED, 1);
	CHECK_EQ(eng_rd(E, ISQ_EV_BASE + ISQ_EV_DROPPED), 0);
	for (i = 0; i < depth; i++) {
		CHECK(eng_evt_pop(E, &ev) == 0);
		CHECK_EQ(ev.type, ISQ_EVT_OVERFLOW_REFUSED);
		CHECK_EQ(ev.value, 1000 + i);
	}
	CHECK_EQ(n_events(), 0);
	CHECK_EQ(eng_rd(E, ISQ_EV_BASE + ISQ_EV_HEAD0), 0);
	eng_wr(E, ISQ_EV_BASE + ISQ_EV_POP, 1); /* pop of an empty FIFO: nothing */
	CHECK_EQ(n_events(), 0);
	/* Epochs recorded with events. */
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_HOLD, 0, 0, 0, NULL), ISQ_RC_OK);
	CHECK_EQ(eng_group_op(E, ISQ_OP_GROUP_RELEASE, 0, 0, 0, NULL), ISQ_RC_OK);
	EXPECT_DP(tx(1), ISQ_DP_OK, M32);
	EXPECT_DP(tx(1), ISQ_DP_EXHAUSTED, M32);
	CHECK(eng_evt_pop(E, &ev) == 0);
	CHECK_EQ(ev.type, ISQ_EVT_EXHAUSTED);
	CHECK_EQ(ev.epoch, 2);
}

static void t_injector(void)
{
	uint32_t depth = E->inj_depth, i, h, n = 0, spins = 0;

	fresh();
	CHECK_EQ(eng_install(E, 4, 1, 0, 0, 0, 0, 0), ISQ_RC_OK);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_OP, ISQ_DPOP_TX_NEXT);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_SLOT, 4);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_COUNT, depth + 10);
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_COUNT), depth + 10);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_CTRL, 1);
	/* The injector stops while its result FIFO is full. */
	while (eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_COUNT) < depth && spins++ < 10000)
		;
	for (i = 0; i < 50; i++)
		(void)eng_rd(E, ISQ_DI_BASE + ISQ_DI_STATUS);
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_COUNT), depth);
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_STATUS), ISQ_DI_STATUS_BUSY_MASK | (10u << 16));
	spins = 0;
	while (n < depth + 10 && spins++ < 100000) {
		if (!eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_COUNT))
			continue;
		h = eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_HEAD0);
		CHECK_EQ(h, ISQ_DP_OK | (4u << 16));
		CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_SEQ_LO), n + 1);
		CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_SEQ_HI), 0);
		CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_EPOCH_LO), 0);
		eng_wr(E, ISQ_DI_BASE + ISQ_DI_RES_POP, 1);
		n++;
	}
	CHECK_EQ(n, depth + 10);
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_STATUS), 0);
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_COUNT), 0);
	EXPECT_DP(tx(4), ISQ_DP_OK, depth + 11);
	/* RX through the injector, and an out-of-range slot. */
	CHECK_EQ(eng_install(E, 5, 2, 1, 1, 1ull << 32, 0, 0), ISQ_RC_OK);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_OP, ISQ_DPOP_RX_CHECK);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_SLOT, 5);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_SEQ_LO, 2);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_SEQ_HI, 0);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_COUNT, 1);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_CTRL, 1);
	spins = 0;
	while (!eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_COUNT) && spins++ < 1000)
		;
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_HEAD0), ISQ_DP_OK | (5u << 16));
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_SEQ_HI), 1);
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_SEQ_LO), 2);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_RES_POP, 1);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_SLOT, 0x10005);
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_CTRL, 1);
	spins = 0;
	while (!eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_COUNT) && spins++ < 1000)
		;
	CHECK_EQ(eng_rd(E, ISQ_DI_BASE + ISQ_DI_RES_HEAD0), ISQ_DP_INVALID | (5u << 16));
	eng_wr(E, ISQ_DI_BASE + ISQ_DI_RES_POP, 1);
}

static const struct tc_case cases[] = {
	{ "id_block", t_id_block },
	{ "tx_basic", t_tx_basic },
	{ "tx_hard_limits", t_tx_hard_limits },
	{ "tx_soft_limit", t_tx_soft_limit },
	{ "rx_window", t_rx_window },
	{ "rx_esn", t_rx_esn },
	{ "rx_esn_case_edges", t_rx_esn_case_edges },
	{ "dp_invalid", t_dp_invalid },
	{ "dp_refusals_change_nothing", t_dp_refusals_change_nothing },
	{ "bad_commands", t_bad_commands },
	{ "group_tx_add", t_group_tx_add },
	{ "hold_release", t_hold_release },
	{ "group_rx_advance", t_group_rx_advance },
	{ "rx_advance_zero", t_rx_advance_zero },
	{ "group_restart", t_group_restart },
	{ "extreme_indexes", t_extreme_indexes },
	{ "slot_read_clear", t_slot_read_clear },
	{ "event_fifo", t_event_fifo },
	{ "injector", t_injector },
};

int main(int argc, char **argv)
{
	const char *env = getenv("ISQ_TEST_WINDOW");
	char suite[64];
	int rc;

	W = env ? (uint32_t)strtoul(env, NULL, 0) : 0;
	E = eng_open(W);
	W = E->window;
	snprintf(suite, sizeof(suite), "directed-%s-w%u", E->name, W);
	printf("%s: engine %s, NUM_SA %u, NUM_GROUP %u, W %u\n", suite, E->name, E->num_sa,
	       E->num_group, W);
	rc = tc_run(suite, cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);
	eng_close(E);
	return rc;
}
