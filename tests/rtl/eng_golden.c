/* eng_golden.c — eng.h backed by the golden model (CSR level). */
#include "eng.h"

#include <stdio.h>
#include <stdlib.h>

struct eng_g {
	struct eng e;
	struct isq_golden *g;
};

static void g_dp(struct eng *e, unsigned op, uint32_t slot, uint64_t seq, struct isq_dp_result *r)
{
	isq_golden_dp(((struct eng_g *)e)->g, op, slot, seq, r);
}

static uint64_t g_cycles(struct eng *e)
{
	(void)e;
	return 0;
}

static void g_close(struct eng *e)
{
	isq_golden_free(((struct eng_g *)e)->g);
	free(e);
}

struct eng *eng_open(uint32_t window)
{
	struct eng_g *x = calloc(1, sizeof(*x));
	struct isq_golden_params p;

	if (!x)
		abort();
	isq_golden_default_params(&p);
	if (window)
		p.window = window;
	/* Small tables keep the state digests of the directed tests quick. */
	p.num_sa = 64;
	p.num_group = 16;
	x->g = isq_golden_new(&p);
	if (!x->g)
		abort();
	x->e.name = "golden";
	x->e.num_sa = p.num_sa;
	x->e.num_group = p.num_group;
	x->e.window = p.window;
	x->e.evt_depth = p.evt_depth;
	x->e.inj_depth = p.inj_depth;
	isq_golden_bus(x->g, &x->e.bus);
	x->e.dp = g_dp;
	x->e.cycles = g_cycles;
	x->e.close = g_close;
	return &x->e;
}
