/* cs_engine_rtl.c — the Verilated RTL (sim/tb testbench library) as the
 * card's engine: the firmware's CSR accesses drive the RTL's CSR port, one
 * clock cycle per access; the clock also runs while the card is idle. */
#include "cs_engine_impl.h"

#include <errno.h>
#include <stddef.h>

#include "isq_tb.h"

static uint32_t r_rd32(void *ctx, uint32_t off)
{
	return isq_tb_rd32(ctx, off);
}

static void r_wr32(void *ctx, uint32_t off, uint32_t v)
{
	isq_tb_wr32(ctx, off, v);
}

static void r_idle(void *ctx, unsigned cycles)
{
	isq_tb_tick(ctx, cycles);
}

static void r_destroy(void *ctx)
{
	isq_tb_free(ctx);
}

int cs_engine_rtl_open(const char *trace, struct cs_engine *out)
{
	struct isq_tb *tb = isq_tb_new();
	int err;

	if (!tb)
		return -ENOMEM;
	if (trace) {
		err = isq_tb_trace(tb, trace);
		if (err) {
			isq_tb_free(tb);
			return err;
		}
	}
	*out = (struct cs_engine){ "rtl", tb, r_rd32, r_wr32, r_idle, r_destroy };
	return 0;
}
