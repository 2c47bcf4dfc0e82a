/* eng_rtl.c — eng.h backed by the Verilated RTL through the C testbench
 * library (sim/tb/isq_tb.h). The configuration is the model linked in. */
#include "eng.h"

#include <stdio.h>
#include <stdlib.h>

#include "isq_tb.h"

struct eng_r {
	struct eng e;
	struct isq_tb *tb;
};

static void r_dp(struct eng *e, unsigned op, uint32_t slot, uint64_t seq, struct isq_dp_result *r)
{
	struct isq_tb_res res;

	if (isq_tb_dp(((struct eng_r *)e)->tb, op, slot, seq, &res)) {
		fprintf(stderr, "eng_rtl: data-path operation timed out\n");
		abort();
	}
	r->status = res.status;
	r->seq = res.seq;
	r->epoch = res.epoch;
}

static uint64_t r_cycles(struct eng *e)
{
	return isq_tb_cycles(((struct eng_r *)e)->tb);
}

static void r_close(struct eng *e)
{
	isq_tb_free(((struct eng_r *)e)->tb);
	free(e);
}

struct eng *eng_open(uint32_t window)
{
	struct eng_r *x = calloc(1, sizeof(*x));
	const char *trace = getenv("ISQ_TRACE_FILE");

	(void)window; /* fixed by the model library */
	if (!x || !(x->tb = isq_tb_new()))
		abort();
	if (trace && *trace && isq_tb_trace(x->tb, trace))
		fprintf(stderr, "eng_rtl: cannot trace to %s (model built with '%s')\n", trace,
			isq_tb_trace_kind());
	x->e.name = "rtl";
	x->e.num_sa = isq_tb_num_sa(x->tb);
	x->e.num_group = isq_tb_num_group(x->tb);
	x->e.window = isq_tb_window(x->tb);
	x->e.evt_depth = isq_tb_evt_depth(x->tb);
	x->e.inj_depth = isq_tb_inj_depth(x->tb);
	isq_tb_bus(x->tb, &x->e.bus);
	x->e.dp = r_dp;
	x->e.cycles = r_cycles;
	x->e.close = r_close;
	x->e.ctx = x->tb;
	return &x->e;
}
