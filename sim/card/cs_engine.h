/* cs_engine.h — the sequence-counter engine inside the simulated card.
 *
 * The card runs its firmware against an engine's CSR bus. Engines:
 *   rtl     the Verilated RTL (sim/tb, rtl/): the real thing, the default
 *   golden  the C golden model's CSR-level model (sim/golden)
 *   fake    the firmware unit tests' in-memory model (tests/firmware)
 * Which exist depends on what was built (see sim/card/part.mk). */
#ifndef CS_ENGINE_H
#define CS_ENGINE_H

#include <stdint.h>

struct cs_engine {
	const char *name;
	void *ctx;
	uint32_t (*rd32)(void *ctx, uint32_t off);
	void (*wr32)(void *ctx, uint32_t off, uint32_t v);
	/* Let the clock run while the card has nothing to do. NULL: nothing. */
	void (*idle)(void *ctx, unsigned cycles);
	void (*destroy)(void *ctx);
};

/* Open engine `kind` (NULL: the best one built); trace (optional) is a
 * waveform file. Returns 0 or -errno (-ENOENT: kind not built). */
int cs_engine_open(const char *kind, const char *trace, struct cs_engine *out);
/* Names of the engines built, best first, space separated. */
const char *cs_engine_list(void);

#endif
