/* cs_engine_golden.c — the golden model's CSR-level model as the engine. */
#include "cs_engine_impl.h"

#include <errno.h>
#include <stddef.h>

#include "isq_golden.h"

static uint32_t g_rd32(void *ctx, uint32_t off)
{
	return isq_golden_rd32(ctx, off);
}

static void g_wr32(void *ctx, uint32_t off, uint32_t v)
{
	isq_golden_wr32(ctx, off, v);
}

static void g_destroy(void *ctx)
{
	isq_golden_free(ctx);
}

int cs_engine_golden_open(const char *trace, struct cs_engine *out)
{
	struct isq_golden_params p;
	struct isq_golden *g;

	if (trace)
		return -EOPNOTSUPP;   /* no waveform without the RTL */
	isq_golden_default_params(&p);
	g = isq_golden_new(&p);
	if (!g)
		return -errno;
	*out = (struct cs_engine){ "golden", g, g_rd32, g_wr32, NULL, g_destroy };
	return 0;
}
