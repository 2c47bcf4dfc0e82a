/* isq_demo.c — the sequence-counter engine in simulation (Verilated RTL),
 * on a small scenario: traffic on three groups (IKE SAs), a failover of one
 * of them under full-rate traffic (hold, jump with release, inbound
 * advance), an overflow refusal, and the events and counters that result.
 * Everything printed is read back from the simulated hardware. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isq_regs.h"
#include "isq_tb.h"

static struct isq_tb *tb;

/* ---- traffic: round-robin over a set of (slot, op) streams, one per cycle */
struct stream {
	uint16_t slot;
	uint8_t op;
	uint64_t next_seq;       /* RX: next number to commit */
	uint64_t last, first_after, last_before;
	uint64_t n_ok, n_held, n_other;
	uint64_t epoch_last;
};
static struct stream st[8];
static unsigned n_st, rr, cur;
static int have, running;
static struct isq_tb_req held;
static uint64_t n_acc, watch_epoch = UINT64_MAX;
static uint64_t status_count[8];

static int next(void *arg, struct isq_tb_req *req)
{
	(void)arg;
	if (!running && !have)
		return 0;
	if (!have) {
		struct stream *s;

		cur = rr++ % n_st;
		s = &st[cur];
		memset(&held, 0, sizeof(held));
		held.slot = s->slot;
		held.op = s->op;
		held.tag = (uint16_t)cur;
		if (s->op == ISQ_DPOP_RX_COMMIT)
			held.seq = s->next_seq++;
		have = 1;
	}
	*req = held;
	return 1;
}

static void accepted(void *arg, const struct isq_tb_req *req, uint64_t cycle)
{
	(void)arg;
	(void)req;
	(void)cycle;
	n_acc++;
	have = 0;
}

static void result(void *arg, const struct isq_tb_res *r)
{
	struct stream *s = &st[r->tag];

	(void)arg;
	status_count[r->status & 7]++;
	if (r->status == ISQ_DP_OK) {
		s->n_ok++;
		if (r->epoch >= watch_epoch && !s->first_after)
			s->first_after = r->seq;
		if (r->epoch < watch_epoch)
			s->last_before = r->seq;
		s->last = r->seq;
	} else if (r->status == ISQ_DP_HELD)
		s->n_held++;
	else
		s->n_other++;
	s->epoch_last = r->epoch;
}

static const struct isq_tb_driver drv = { next, accepted, result, NULL };

/* ---- mailbox */
static uint64_t stolen_total;

static unsigned mb(unsigned op, const uint32_t *arg, uint32_t *res)
{
	uint32_t s, done0, i;

	do
		s = isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_STATUS);
	while (s & ISQ_MB_STATUS_BUSY_MASK);
	done0 = ISQ_FIELD_GET(s, ISQ_MB_STATUS_DONE);
	for (i = 0; i < 8; i++)
		isq_tb_wr32(tb, ISQ_MB_BASE + ISQ_MB_ARG(i), arg ? arg[i] : 0);
	isq_tb_wr32(tb, ISQ_MB_BASE + ISQ_MB_CMD, op);
	do {
		s = isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_STATUS);
		stolen_total += !isq_tb_last_ready(tb);
	} while ((s & ISQ_MB_STATUS_BUSY_MASK) || ISQ_FIELD_GET(s, ISQ_MB_STATUS_DONE) == done0);
	for (i = 0; res && i < 16; i++)
		res[i] = isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_RES(i));
	return ISQ_FIELD_GET(s, ISQ_MB_STATUS_RC);
}

static const char *rc_name(unsigned rc)
{
	static const char *n[] = {
#define X(name, v) [v] = #name,
		ISQ_RC_LIST(X)
#undef X
	};
	return rc < sizeof(n) / sizeof(n[0]) && n[rc] ? n[rc] : "?";
}

static const char *dp_name(unsigned s)
{
	static const char *n[] = {
#define X(name, v) [v] = #name,
		ISQ_DP_LIST(X)
#undef X
	};
	return s < sizeof(n) / sizeof(n[0]) && n[s] ? n[s] : "?";
}

static uint64_t r64(const uint32_t *res, unsigned i)
{
	return (uint64_t)res[i] | ((uint64_t)res[i + 1] << 32);
}

static void install(uint32_t slot, uint32_t group, int dir_in, int esn, uint64_t seq,
		    uint64_t soft, const char *what)
{
	uint32_t arg[8] = { slot, group | (dir_in ? ISQ_MB_INST_DIR_IN_MASK : 0) |
					  (esn ? ISQ_MB_INST_ESN_MASK : 0),
			    (uint32_t)seq, (uint32_t)(seq >> 32), 0, 0, (uint32_t)soft,
			    (uint32_t)(soft >> 32) };
	unsigned rc = mb(ISQ_OP_SLOT_INSTALL, arg, NULL);

	printf("  slot %2u  group %u  %-8s %-7s from %-20" PRIu64 " %s  -> %s\n", slot, group,
	       dir_in ? "inbound" : "outbound", esn ? "ESN" : "32-bit", seq, what, rc_name(rc));
}

static uint64_t group_op(unsigned op, uint32_t g, uint32_t flags, uint64_t d, unsigned *rc)
{
	uint32_t arg[8] = { g, flags, (uint32_t)d, (uint32_t)(d >> 32) }, res[16];

	*rc = mb(op, arg, res);
	return r64(res, 0);
}

static void show_group(uint32_t g)
{
	uint32_t arg[8] = { g }, res[16];

	mb(ISQ_OP_GROUP_READ, arg, res);
	printf("  group %u: %s%s %u out / %u in, tx_offset %" PRIu64 ", rx_advance %" PRIu64
	       ", tx_max %" PRIu64 ", tx_limit %" PRIu64 ", last epoch %" PRIu64 "\n",
	       g, res[0] & ISQ_MB_GFLAG_HELD_MASK ? "HELD " : "",
	       res[0] & ISQ_MB_GFLAG_ESN_MASK ? "ESN" : "32-bit", res[1] & 0xffff, res[1] >> 16,
	       r64(res, 2), r64(res, 4), r64(res, 6), r64(res, 8), r64(res, 10));
}

static void run(unsigned cycles)
{
	running = 1;
	isq_tb_tick(tb, cycles);
}

static void quiet(void)
{
	running = 0;
	isq_tb_tick(tb, 12);
}

int main(int argc, char **argv)
{
	unsigned rc, i;
	uint64_t e_hold, e_add, e_adv, c0, acc0;
	const char *trace = argc > 1 ? argv[1] : NULL;
	uint32_t res[16];

	tb = isq_tb_new();
	if (!tb)
		return 1;
	if (trace && isq_tb_trace(tb, trace) == 0)
		printf("(waveform: %s)\n", trace);
	isq_tb_set_driver(tb, &drv);
	printf("== sequence-counter engine, Verilated RTL\n");
	printf("  identity: %u slots, %u groups, replay window %u, build id 0x%08x, "
	       "data-path latency %u cycles, event FIFO %u\n",
	       isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_NUM_SA), isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_NUM_GROUP),
	       isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_WINDOW), isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_BUILD_ID),
	       isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_DP_LATENCY), isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_EVT_DEPTH));

	printf("\n== 1. three IKE SAs (groups), their Child SAs (slots)\n");
	install(10, 1, 0, 0, 0, 0, "");
	install(11, 1, 0, 0, 5000, 0, "");
	install(12, 1, 1, 0, 0, 0, "");
	install(20, 2, 0, 1, (1ull << 32) - 300, (1ull << 32) + 100, "soft limit 2^32+100");
	install(21, 2, 1, 1, (1ull << 32) - 300, 0, "");
	install(30, 3, 0, 0, 0xffffffffull - 2000, 0, "near 2^32-1");
	install(31, 3, 1, 1, 0, 0, "(ESN slot in a 32-bit group: RFC 6311 6.4 says no)");
	st[0] = (struct stream){ .slot = 10, .op = ISQ_DPOP_TX_NEXT };
	st[1] = (struct stream){ .slot = 11, .op = ISQ_DPOP_TX_NEXT };
	st[2] = (struct stream){ .slot = 12, .op = ISQ_DPOP_RX_COMMIT, .next_seq = 1 };
	st[3] = (struct stream){ .slot = 20, .op = ISQ_DPOP_TX_NEXT };
	st[4] = (struct stream){ .slot = 21, .op = ISQ_DPOP_RX_COMMIT, .next_seq = (1ull << 32) - 299 };
	st[5] = (struct stream){ .slot = 30, .op = ISQ_DPOP_TX_NEXT };
	n_st = 6;

	printf("\n== 2. traffic: one data-path operation every cycle on all six streams\n");
	c0 = isq_tb_cycles(tb);
	acc0 = n_acc;
	run(3000);
	printf("  %" PRIu64 " operations in %" PRIu64 " cycles (%.3f per cycle)\n", n_acc - acc0,
	       isq_tb_cycles(tb) - c0, (double)(n_acc - acc0) / (double)(isq_tb_cycles(tb) - c0));
	for (i = 0; i < n_st; i++)
		printf("  slot %2u %-9s last %s %-20" PRIu64 " (%" PRIu64 " OK)\n", st[i].slot,
		       st[i].op == ISQ_DPOP_TX_NEXT ? "TX_NEXT" : "RX_COMMIT",
		       st[i].op == ISQ_DPOP_TX_NEXT ? "issued  " : "accepted", st[i].last, st[i].n_ok);

	printf("\n== 3. failover of group 1 under traffic: HOLD, jump + release, inbound advance\n");
	e_hold = group_op(ISQ_OP_GROUP_HOLD, 1, 0, 0, &rc);
	printf("  GROUP_HOLD(1)                      -> %s, epoch %" PRIu64 "\n", rc_name(rc), e_hold);
	run(200);
	printf("  while held: slot 10 answered HELD %" PRIu64 " times, slot 11 %" PRIu64
	       " times; group 2 kept going (slot 20 last %" PRIu64 ")\n",
	       st[0].n_held, st[1].n_held, st[3].last);
	for (i = 0; i < 2; i++)
		st[i].first_after = 0;
	watch_epoch = e_hold + 1;
	e_add = group_op(ISQ_OP_GROUP_TX_ADD, 1, ISQ_MB_TXADD_RELEASE_MASK, 1u << 20, &rc);
	printf("  GROUP_TX_ADD(1, 2^20, release)     -> %s, epoch %" PRIu64 " (one edge: jump and release)\n",
	       rc_name(rc), e_add);
	run(200);
	for (i = 0; i < 2; i++)
		printf("  slot %u: last number before the edge %" PRIu64 ", first after %" PRIu64
		       " (%s before + 2^20 + 1)\n", st[i].slot, st[i].last_before, st[i].first_after,
		       st[i].first_after == st[i].last_before + (1u << 20) + 1 ? "=" : "NOT");
	e_adv = group_op(ISQ_OP_GROUP_RX_ADVANCE, 1, 0, 100000, &rc);
	printf("  GROUP_RX_ADVANCE(1, 100000)        -> %s, epoch %" PRIu64 "\n", rc_name(rc), e_adv);
	quiet();
	{
		struct isq_tb_res r;
		uint64_t t = st[2].last;

		isq_tb_set_driver(tb, NULL);
		mb(ISQ_OP_SLOT_READ, (uint32_t[8]){ 12 }, res);
		printf("  inbound slot 12 (right edge was %" PRIu64 ", SLOT_READ now %" PRIu64 "):\n", t,
		       r64(res, 1));
		isq_tb_dp(tb, ISQ_DPOP_RX_CHECK, 12, t + 1, &r);
		printf("    RX_CHECK(%" PRIu64 ")  -> %-8s fresh before the advance\n", t + 1, dp_name(r.status));
		isq_tb_dp(tb, ISQ_DPOP_RX_CHECK, 12, t + 99990, &r);
		printf("    RX_CHECK(%" PRIu64 ") -> %-8s the old active may have accepted it\n", t + 99990,
		       dp_name(r.status));
		isq_tb_dp(tb, ISQ_DPOP_RX_CHECK, 12, t + 100001, &r);
		printf("    RX_CHECK(%" PRIu64 ") -> %s\n", t + 100001, dp_name(r.status));
		isq_tb_set_driver(tb, &drv);
		st[2].next_seq = t + 100001;
	}
	show_group(1);

	run(100);
	quiet();
	mb(ISQ_OP_GROUP_READ, (uint32_t[8]){ 3 }, res);
	printf("\n== 4. overflow refusal: group 3 sits %" PRIu64 " numbers below 2^32-1\n",
	       r64(res, 8) - r64(res, 6));
	printf("  group 3 before: tx_max %" PRIu64 ", tx_limit %" PRIu64 "\n", r64(res, 6), r64(res, 8));
	group_op(ISQ_OP_GROUP_TX_ADD, 3, 0, 5000, &rc);
	printf("  GROUP_TX_ADD(3, 5000)              -> %s (nothing changed, epoch stays %" PRIu64 ")\n",
	       rc_name(rc), isq_tb_epoch(tb));
	mb(ISQ_OP_GROUP_READ, (uint32_t[8]){ 3 }, res);
	printf("  group 3 after:  tx_max %" PRIu64 ", tx_limit %" PRIu64 "\n", r64(res, 6), r64(res, 8));
	group_op(ISQ_OP_GROUP_TX_ADD, 3, 0, 1000, &rc);
	printf("  GROUP_TX_ADD(3, 1000)              -> %s, epoch %" PRIu64 "\n", rc_name(rc), isq_tb_epoch(tb));
	run(3000);   /* slot 30 runs into 2^32-1 */
	quiet();

	printf("\n== 5. events raised by the engine (each once)\n");
	while (isq_tb_rd32(tb, ISQ_EV_BASE + ISQ_EV_COUNT)) {
		uint32_t h = isq_tb_rd32(tb, ISQ_EV_BASE + ISQ_EV_HEAD0);
		uint64_t v = isq_tb_rd32(tb, ISQ_EV_BASE + ISQ_EV_HEAD_VAL_LO) |
			     ((uint64_t)isq_tb_rd32(tb, ISQ_EV_BASE + ISQ_EV_HEAD_VAL_HI) << 32);
		uint64_t e = isq_tb_rd32(tb, ISQ_EV_BASE + ISQ_EV_HEAD_EPOCH_LO);
		static const char *tn[] = { "?", "EXHAUSTED", "SOFT_LIMIT", "OVERFLOW_REFUSED" };

		printf("  %-17s %s %-5u value %-20" PRIu64 " epoch %" PRIu64 "\n", tn[(h & 0xff) < 4 ? h & 0xff : 0],
		       (h & 0xff) == ISQ_EVT_OVERFLOW_REFUSED ? "group" : "slot ", h >> 16, v, e);
		isq_tb_wr32(tb, ISQ_EV_BASE + ISQ_EV_POP, 1);
	}

	printf("\n== 6. counters\n");
	printf("  cycles %" PRIu64 ", data-path operations %" PRIu64 ", epoch %" PRIu64
	       ",\n  data-path cycles given to management %" PRIu64 " (group ops take 1; slot installs drain)\n",
	       isq_tb_cycles(tb), n_acc, isq_tb_epoch(tb), stolen_total);
	printf("  results:");
	for (i = 0; i < 6; i++)
		printf(" %s %" PRIu64 "%s", dp_name(i), status_count[i], i < 5 ? "," : "\n");
	for (i = 1; i < 4; i++)
		show_group(i);
	isq_tb_free(tb);
	return 0;
}
