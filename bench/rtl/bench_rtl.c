/* bench_rtl.c — throughput and group-operation cost of the Verilated engine.
 *
 * Data path: operations accepted per cycle over a window with no management
 * traffic, for random slots, one hot slot back-to-back, and mixed TX/RX.
 * Group operations: cycles from the CMD write to the result for groups of
 * 1, 1024 and NUM_SA slots under full-rate traffic on that group, and the
 * data-path cycles each one stole (dp_ready low), side by side with the
 * baseline an engine without group operations needs: touching every slot
 * of the group through the mailbox (one SLOT_READ each, a lower bound).
 * Simulation speed in Mcycles/s, and Fmax from bench/out/synth.json when
 * `make synth` has run.
 *
 *   bench_rtl OUT.json [SYNTH.json] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isq_regs.h"
#include "isq_tb.h"

static struct isq_tb *tb;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- traffic: one request presented per cycle, held until accepted */
enum mode { M_RANDOM, M_HOT, M_MIXED, M_GROUP };
static enum mode mode;
static uint32_t lo, n_slots;         /* slots [lo, lo + n_slots) */
static uint64_t n_acc, n_res, n_ok, rr;
static uint32_t rx_next[65536];
static uint64_t mb_cost[8];
static struct isq_tb_req held;
static int have;

static int next(void *arg, struct isq_tb_req *req)
{
	(void)arg;
	if (!have) {
		uint32_t s;

		memset(&held, 0, sizeof(held));
		switch (mode) {
		case M_RANDOM:
			/* outbound slots only: odd numbers (see main) */
			held.slot = (uint16_t)((lo + rnd() % n_slots) | 1u);
			break;
		case M_HOT:
			held.slot = (uint16_t)lo;
			break;
		case M_MIXED:
			/* outbound slots at even offsets, inbound at odd ones */
			s = lo + (uint32_t)(rnd() % n_slots);
			held.slot = (uint16_t)s;
			if ((s - lo) % 2) {
				held.op = rnd() % 2 ? ISQ_DPOP_RX_CHECK : ISQ_DPOP_RX_COMMIT;
				held.seq = ++rx_next[s];
			}
			break;
		default:
			held.slot = (uint16_t)(lo + rr++ % n_slots);
			break;
		}
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

static void result(void *arg, const struct isq_tb_res *res)
{
	(void)arg;
	n_res++;
	n_ok += res->status == ISQ_DP_OK;
}

static const struct isq_tb_driver drv = { next, accepted, result, NULL };

/* ---- mailbox */
static unsigned mb(unsigned op, const uint32_t *arg, uint64_t *cycles, uint64_t *stolen)
{
	uint32_t st, done0, i;
	uint64_t c0, s = 0;

	do
		st = isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_STATUS);
	while (st & ISQ_MB_STATUS_BUSY_MASK);
	done0 = ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE);
	for (i = 0; i < 8; i++)
		isq_tb_wr32(tb, ISQ_MB_BASE + ISQ_MB_ARG(i), arg[i]);
	c0 = isq_tb_cycles(tb);                 /* the CMD write's cycle */
	isq_tb_wr32(tb, ISQ_MB_BASE + ISQ_MB_CMD, op);
	do {
		st = isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_STATUS);
		s += !isq_tb_last_ready(tb);
	} while ((st & ISQ_MB_STATUS_BUSY_MASK) || ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE) == done0);
	/* the read that saw the result ran one cycle after the last busy one */
	if (cycles)
		*cycles = isq_tb_cycles(tb) - 2 - c0;
	if (stolen)
		*stolen = s;
	return ISQ_FIELD_GET(st, ISQ_MB_STATUS_RC);
}

static void install(uint32_t slot, uint32_t group, int dir_in)
{
	uint32_t arg[8] = { slot, group | (dir_in ? ISQ_MB_INST_DIR_IN_MASK : 0) | ISQ_MB_INST_ESN_MASK };

	if (mb(ISQ_OP_SLOT_INSTALL, arg, NULL, NULL) != ISQ_RC_OK) {
		fprintf(stderr, "bench_rtl: install of slot %u failed\n", slot);
		exit(1);
	}
}

/* accepted operations per cycle over a window of n cycles */
static double rate(enum mode m, uint32_t first, uint32_t count, unsigned n, uint64_t *ok)
{
	uint64_t a0, c0, ok0 = n_ok;

	mode = m;
	lo = first;
	n_slots = count;
	isq_tb_set_driver(tb, &drv);
	isq_tb_tick(tb, 20);
	a0 = n_acc;
	c0 = isq_tb_cycles(tb);
	isq_tb_tick(tb, n);
	*ok = n_ok - ok0;
	return (double)(n_acc - a0) / (double)(isq_tb_cycles(tb) - c0);
}

static void drain(void)
{
	isq_tb_set_driver(tb, NULL);
	have = 0;
	isq_tb_tick(tb, 20);
}

struct gcost {
	uint32_t size;
	double cycles, stolen;
	uint64_t max_cycles, max_stolen;
	double walk_cycles;  /* baseline: one SLOT_READ per slot of the group */
};

static void group_cost(struct gcost *g, uint32_t first, uint32_t group)
{
	static const unsigned ops[] = { ISQ_OP_GROUP_TX_ADD, ISQ_OP_GROUP_HOLD,
					ISQ_OP_GROUP_TX_ADD, ISQ_OP_GROUP_RELEASE,
					ISQ_OP_GROUP_RX_ADVANCE };
	uint64_t sum = 0, ssum = 0, c, s, c0;
	unsigned i, n = 100;
	uint32_t j;

	mode = M_GROUP;
	lo = first;
	n_slots = g->size;
	isq_tb_set_driver(tb, &drv);
	isq_tb_tick(tb, 20);
	g->max_cycles = g->max_stolen = 0;
	for (i = 0; i < n; i++) {
		uint32_t arg[8] = { group, i % 7 == 0, 1 + i % 5 };

		if (mb(ops[i % 5], arg, &c, &s) != ISQ_RC_OK) {
			fprintf(stderr, "bench_rtl: group op failed\n");
			exit(1);
		}
		sum += c;
		ssum += s;
		if (c > g->max_cycles)
			g->max_cycles = c;
		if (s > g->max_stolen)
			g->max_stolen = s;
		isq_tb_tick(tb, 5 + (unsigned)(rnd() % 11));
	}
	g->cycles = (double)sum / n;
	g->stolen = (double)ssum / n;
	/* baseline: visit every slot once through the mailbox */
	drain();
	c0 = isq_tb_cycles(tb);
	for (j = 0; j < g->size; j++) {
		uint32_t arg[8] = { first + j };

		mb(ISQ_OP_SLOT_READ, arg, NULL, NULL);
	}
	g->walk_cycles = (double)(isq_tb_cycles(tb) - c0);
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : "bench/out/rtl.json";
	const char *synth = argc > 2 ? argv[2] : "bench/out/synth.json";
	uint32_t num_sa, i;
	double r_rand, r_hot, r_mix, t0, t1, mcps, fmax = -1, lc = -1, lc_max = -1, rams = -1;
	double stall_mean = 0;
	uint64_t stall_max = 0;
	uint64_t ok_rand, ok_hot, ok_mix, c0;
	struct gcost g[3];
	char buf[4096], *p;
	FILE *f;
	size_t n;

	tb = isq_tb_new();
	if (!tb)
		return 1;
	num_sa = isq_tb_num_sa(tb);
	/* groups: 0 holds slot 0; 1 holds slots 1..1024; 2 holds all the rest
	 * for now, and every slot for the NUM_SA case */
	install(0, 0, 0);
	for (i = 1; i <= 1024; i++)
		install(i, 1, i % 2 == 0);
	for (i = 1025; i < num_sa; i++)
		install(i, 2, i % 2 == 0);

	t0 = now();
	c0 = isq_tb_cycles(tb);
	r_rand = rate(M_RANDOM, 0, 1, 1, &ok_rand); /* warm-up */
	r_rand = rate(M_RANDOM, 1025, num_sa - 1025, 200000, &ok_rand);
	drain();
	r_hot = rate(M_HOT, 0, 1, 200000, &ok_hot);
	drain();
	r_mix = rate(M_MIXED, 1, 1024, 200000, &ok_mix);
	drain();
	t1 = now();
	mcps = (double)(isq_tb_cycles(tb) - c0) / (t1 - t0) / 1e6;

	g[0].size = 1;
	group_cost(&g[0], 0, 0);
	drain();
	g[1].size = 1024;
	group_cost(&g[1], 1, 1);
	drain();
	/* the NUM_SA case: move every slot into group 2 */
	for (i = 0; i <= 1024; i++) {
		uint32_t arg[8] = { i };

		mb(ISQ_OP_SLOT_CLEAR, arg, NULL, NULL);
		install(i, 2, i % 2 == 0);
	}
	g[2].size = num_sa;
	group_cost(&g[2], 0, 2);
	drain();

	/* mailbox operation cost, idle data path and under full-rate traffic */
	{
		static const struct { const char *name; unsigned op; uint32_t a0, a1; } mo[] = {
			{ "SLOT_INSTALL", ISQ_OP_SLOT_INSTALL, 4095, 5 },
			{ "SLOT_READ (outbound)", ISQ_OP_SLOT_READ, 4095, 0 },
			{ "SLOT_READ (inbound, worst rotation)", ISQ_OP_SLOT_READ, 2, 0 },
			{ "SLOT_CLEAR", ISQ_OP_SLOT_CLEAR, 4095, 0 },
			{ "GROUP_READ", ISQ_OP_GROUP_READ, 2, 0 },
			{ "GROUP_TX_ADD", ISQ_OP_GROUP_TX_ADD, 2, 0 },
			{ "EPOCH_READ", ISQ_OP_EPOCH_READ, 0, 0 },
			{ "refused at decode (BAD_GROUP)", ISQ_OP_GROUP_HOLD, 99999, 0 },
		};
		uint64_t c, s2;
		unsigned k;

		/* slot 2 is inbound: move its right edge to W - 1 mod W (worst rotation) */
		{
			struct isq_tb_res r;
			uint32_t a[8] = { 2 };
			uint64_t t, w = isq_tb_window(tb);

			isq_tb_set_driver(tb, NULL);
			mb(ISQ_OP_SLOT_READ, a, NULL, NULL);
			t = isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_RES(1)) |
			    ((uint64_t)isq_tb_rd32(tb, ISQ_MB_BASE + ISQ_MB_RES(2)) << 32);
			isq_tb_dp(tb, ISQ_DPOP_RX_COMMIT, 2, t + w + (w - 1 - (t + w) % w), &r);
		}
		{
			uint32_t a[8] = { 4095 };
			mb(ISQ_OP_SLOT_CLEAR, a, NULL, NULL);
		}
		printf("%-48s %12s %12s\n", "mailbox operation", "cycles", "stolen");
		for (k = 0; k < sizeof(mo) / sizeof(mo[0]); k++) {
			uint32_t a[8] = { mo[k].a0, mo[k].a1 | ISQ_MB_INST_ESN_MASK * (mo[k].op == ISQ_OP_SLOT_INSTALL) };

			mode = M_HOT;
			lo = 1;
			n_slots = 1;
			isq_tb_set_driver(tb, &drv);
			isq_tb_tick(tb, 10);
			mb(mo[k].op, a, &c, &s2);
			printf("%-48s %12" PRIu64 " %12" PRIu64 "\n", mo[k].name, c, s2);
			mb_cost[k] = c;
			drain();
		}
	}

	f = fopen(synth, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
		p = strstr(buf, "\"fmax_mhz\":");
		if (p && sscanf(p + 11, "%lf", &fmax) != 1)
			fmax = -1;
		p = strstr(buf, "\"ice40_logic_cells\":");
		if (p && sscanf(p + 20, "%lf", &lc) != 1)
			lc = -1;
		p = strstr(buf, "\"ice40_logic_cells_available\":");
		if (p && sscanf(p + 30, "%lf", &lc_max) != 1)
			lc_max = -1;
		p = strstr(buf, "\"rams\":");
		if (p && sscanf(p + 7, "%lf", &rams) != 1)
			rams = -1;
	}

	printf("%-48s %12s %12s\n", "engine benchmark (Verilated RTL)", "value", "target");
	printf("%-48s %12.3f %12s\n", "ops/cycle, random slots (TX)", r_rand, "1.00");
	printf("%-48s %12.3f %12s\n", "ops/cycle, one hot slot back-to-back (TX)", r_hot, "1.00");
	printf("%-48s %12.3f %12s\n", "ops/cycle, mixed TX/RX_CHECK/RX_COMMIT", r_mix, "1.00");
	for (i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof(name), "group op cycles, group of %u slots", g[i].size);
		printf("%-48s %12.2f %12s\n", name, g[i].cycles, "<= 4");
		snprintf(name, sizeof(name), "  baseline: walk %u slots (SLOT_READ each)", g[i].size);
		printf("%-48s %12.0f %11.0fx\n", name, g[i].walk_cycles, g[i].walk_cycles / g[i].cycles);
	}
	for (i = 0; i < 3; i++) {
		if (g[i].stolen > stall_mean)
			stall_mean = g[i].stolen;
		if (g[i].max_stolen > stall_max)
			stall_max = g[i].max_stolen;
	}
	printf("%-48s %12.2f %12s\n", "data-path cycles stolen per group op (mean)", stall_mean, "<= 1");
	printf("%-48s %12" PRIu64 " %12s\n", "data-path cycles stolen per group op (worst)", stall_max,
	       "<= 1");
	printf("%-48s %12.2f %12s\n", "simulation speed, Mcycles/s", mcps, "");
	if (lc >= 0 && lc_max > 0)
		printf("%-48s %5.0f / %4.0f %12s\n", "iCE40 HX8K logic cells (make synth)", lc, lc_max,
		       lc <= lc_max ? "fit" : "fit: NOT MET");
	if (rams >= 0)
		printf("%-48s %7.0f / 32 %12s\n", "iCE40 HX8K block RAMs (make synth)", rams,
		       rams <= 32 ? "fit" : "fit: NOT MET");
	if (fmax >= 0)
		printf("%-48s %12.2f %12s\n", "iCE40 HX8K Fmax, MHz (make synth)", fmax, ">= 60");
	else
		printf("%-48s %12s %12s\n", "iCE40 HX8K Fmax, MHz (make synth)", "n/a",
		       ">= 60: NOT MET");
	printf("(%" PRIu64 ", %" PRIu64 ", %" PRIu64 " operations answered OK in the three windows)\n",
	       ok_rand, ok_hot, ok_mix);

	f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 1;
	}
	fprintf(f, "{\n  \"ops_per_cycle\": { \"random\": %.4f, \"hot_slot\": %.4f, \"mixed\": %.4f },\n",
		r_rand, r_hot, r_mix);
	fprintf(f, "  \"group_op_cycles\": { \"1\": %.2f, \"1024\": %.2f, \"%u\": %.2f },\n", g[0].cycles,
		g[1].cycles, num_sa, g[2].cycles);
	fprintf(f, "  \"group_op_cycles_max\": { \"1\": %" PRIu64 ", \"1024\": %" PRIu64 ", \"%u\": %" PRIu64 " },\n",
		g[0].max_cycles, g[1].max_cycles, num_sa, g[2].max_cycles);
	/* the worst single group operation over all three group sizes */
	fprintf(f, "  \"group_op_stall_cycles\": %" PRIu64 ",\n", stall_max);
	fprintf(f, "  \"group_op_stall_cycles_mean\": { \"1\": %.2f, \"1024\": %.2f, \"%u\": %.2f },\n",
		g[0].stolen, g[1].stolen, num_sa, g[2].stolen);
	fprintf(f, "  \"group_walk_baseline_cycles\": { \"1\": %.0f, \"1024\": %.0f, \"%u\": %.0f },\n",
		g[0].walk_cycles, g[1].walk_cycles, num_sa, g[2].walk_cycles);
	fprintf(f, "  \"group_op_vs_walk_ratio\": { \"1\": %.1f, \"1024\": %.1f, \"%u\": %.1f },\n",
		g[0].walk_cycles / g[0].cycles, g[1].walk_cycles / g[1].cycles, num_sa,
		g[2].walk_cycles / g[2].cycles);
	fprintf(f, "  \"mailbox_op_cycles\": { \"slot_install\": %" PRIu64 ", \"slot_read_out\": %" PRIu64
		   ", \"slot_read_in_worst\": %" PRIu64 ", \"slot_clear\": %" PRIu64 ", \"group_read\": %" PRIu64
		   ", \"group_tx_add\": %" PRIu64 ", \"epoch_read\": %" PRIu64 ", \"refused_at_decode\": %" PRIu64 " },\n",
		mb_cost[0], mb_cost[1], mb_cost[2], mb_cost[3], mb_cost[4], mb_cost[5], mb_cost[6], mb_cost[7]);
	fprintf(f, "  \"sim_mcycles_per_s\": %.3f,\n", mcps);
	if (fmax >= 0)
		fprintf(f, "  \"fmax_mhz\": %.2f\n}\n", fmax);
	else
		fprintf(f, "  \"fmax_mhz\": null\n}\n");
	fclose(f);
	printf("bench_rtl: wrote %s\n", out);
	isq_tb_free(tb);
	return 0;
}
