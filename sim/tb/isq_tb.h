/* isq_tb.h — C testbench library over the Verilated sequence-counter engine.
 *
 * Clock and reset, a CSR bus functional model (also as a struct isq_bus),
 * a cycle-level data-path driver, an optional VCD/FST trace and a cycle
 * counter. One struct isq_tb is one engine; not thread-safe.
 *
 * Timing: every call that touches the bus advances the clock. A CSR read
 * or write takes one cycle; while it runs, an installed data-path driver
 * keeps presenting requests, so CSR traffic and full-rate data-path traffic
 * overlap exactly as on hardware. */
#ifndef ISQ_TB_H
#define ISQ_TB_H

#include <stdint.h>

#include "isq_bus.h"

struct isq_tb;

struct isq_tb_req {
	uint8_t op;      /* ISQ_DPOP_* (3 answers INVALID) */
	uint16_t slot;
	uint16_t tag;    /* returned with the result */
	uint64_t seq;    /* RX_CHECK: low 32 bits used; RX_COMMIT: the number */
};

struct isq_tb_res {
	uint8_t op, status;   /* status: ISQ_DP_* */
	uint16_t tag, slot;
	uint64_t seq, epoch;
	uint64_t cycle;       /* cycle in which the result was on the port */
};

/* Data-path driver, called once per cycle. next() returns 1 with *req filled
 * to present a request this cycle (valid/ready: present the same request
 * until accepted() is called for it), 0 to leave the port idle. */
struct isq_tb_driver {
	int (*next)(void *arg, struct isq_tb_req *req);
	void (*accepted)(void *arg, const struct isq_tb_req *req, uint64_t cycle);
	void (*result)(void *arg, const struct isq_tb_res *res);
	void *arg;
};

/* A new engine, reset and initialised (its table sweep done). NULL on no
 * memory. */
struct isq_tb *isq_tb_new(void);
void isq_tb_free(struct isq_tb *tb);
/* Start writing a waveform to path (VCD or FST, as the library was built:
 * isq_tb_trace_kind()). 0, or -ENOTSUP when built without tracing, -EIO. */
int isq_tb_trace(struct isq_tb *tb, const char *path);
const char *isq_tb_trace_kind(void);

/* Reset: back to power-on state; returns when the engine is idle. */
void isq_tb_reset(struct isq_tb *tb);
uint64_t isq_tb_cycles(const struct isq_tb *tb);
/* Parameters as reported by the identity block. */
uint32_t isq_tb_num_sa(const struct isq_tb *tb);
uint32_t isq_tb_num_group(const struct isq_tb *tb);
uint32_t isq_tb_window(const struct isq_tb *tb);
uint32_t isq_tb_evt_depth(const struct isq_tb *tb);
/* Injector result FIFO depth (no ID register: fixed by the model library). */
uint32_t isq_tb_inj_depth(const struct isq_tb *tb);

/* Install (or with NULL remove) the data-path driver. */
void isq_tb_set_driver(struct isq_tb *tb, const struct isq_tb_driver *drv);
/* n cycles with an idle CSR bus. */
void isq_tb_tick(struct isq_tb *tb, unsigned n);

/* CSR bus functional model. */
uint32_t isq_tb_rd32(struct isq_tb *tb, uint32_t off);
void isq_tb_wr32(struct isq_tb *tb, uint32_t off, uint32_t v);
void isq_tb_bus(struct isq_tb *tb, struct isq_bus *bus);

/* One data-path operation, waiting for its result (no driver installed).
 * 0, -EBUSY with a driver installed, -ETIMEDOUT. */
int isq_tb_dp(struct isq_tb *tb, unsigned op, uint32_t slot, uint64_t seq, struct isq_tb_res *res);

/* Engine outputs, as of the current cycle. */
uint64_t isq_tb_epoch(const struct isq_tb *tb);
int isq_tb_evt_pending(const struct isq_tb *tb);
int isq_tb_mb_busy(const struct isq_tb *tb);
/* Whether the engine accepted a data-path request in the last cycle. */
int isq_tb_last_accept(const struct isq_tb *tb);
/* Whether dp_ready was high in the last cycle (with or without a request). */
int isq_tb_last_ready(const struct isq_tb *tb);
/* Whether the arbiter admitted an injector operation (CSR block DI) into the
 * data path in the last cycle: the operation's place in the engine's order
 * (its result goes to the injector result FIFO, not to the driver). The
 * engine itself stalled in that cycle iff neither this nor
 * isq_tb_last_ready(). */
int isq_tb_last_inj_accept(const struct isq_tb *tb);

#endif
