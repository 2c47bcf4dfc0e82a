/* isq_bus.h — the engine CSR bus as the firmware reaches it on the host.
 *
 * One 32-bit register access per call, byte offsets into the engine's CSR
 * space (docs/csr.md). Filled by the C golden model's CSR-level model
 * (sim/golden/isq_golden.h) and by the Verilator testbench library
 * (sim/tb/isq_tb.h), so firmware code runs unchanged on either. */
#ifndef ISQ_BUS_H
#define ISQ_BUS_H

#include <stdint.h>

struct isq_bus {
	void *ctx;
	uint32_t (*rd32)(void *ctx, uint32_t off);
	void (*wr32)(void *ctx, uint32_t off, uint32_t v);
};

#endif
