/* cs_engine_fake.c — the in-memory fake engine (tests/firmware). */
#include "cs_engine_impl.h"

#include <errno.h>
#include <stdlib.h>

#include "fake_engine.h"

static void fake_destroy(void *ctx)
{
	free(ctx);
}

int cs_engine_fake_open(const char *trace, struct cs_engine *out)
{
	struct fake_engine *e;

	if (trace)
		return -EOPNOTSUPP;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	fe_init(e, 4096, 1024, 64);
	*out = (struct cs_engine){ "fake", e, fe_rd32, fe_wr32, NULL, fake_destroy };
	return 0;
}
