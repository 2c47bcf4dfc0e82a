/* isq_golden.h — C golden model of the sequence-counter engine.
 *
 * Two levels:
 *  - operation level: the engine's semantics (docs/rtl.md §Semantics), one
 *    call per data-path operation (isq_golden_dp) or mailbox operation
 *    (isq_golden_mb), executed in linearization order;
 *  - CSR level: the register file of docs/csr.md on top of it, reached
 *    through a struct isq_bus (isq_golden_bus) exactly like the RTL's CSR
 *    port, so firmware unit tests can run on it.
 *
 * The model is written for clarity, not speed: a group operation walks the
 * slots of its group (the RTL does it in O(1) with lazy offsets); this makes
 * the model an independent statement of what the RTL must compute.
 * Not thread-safe; one model per thread. */
#ifndef ISQ_GOLDEN_H
#define ISQ_GOLDEN_H

#include <stdint.h>

#include "isq_bus.h"

struct isq_golden;

struct isq_golden_params {
	uint32_t num_sa;     /* 1..65536 */
	uint32_t num_group;  /* 1..65536 */
	uint32_t window;     /* W: 64..1024, a power of two */
	uint32_t evt_depth;  /* event FIFO depth, >= 1 */
	uint32_t inj_depth;  /* injector result FIFO depth, >= 1 */
	uint32_t build_id;   /* reported in ID.BUILD_ID */
	uint32_t dp_latency; /* reported in ID.DP_LATENCY */
};

/* The default configuration of the RTL (4096 slots, 1024 groups, W = 64)
 * with the RTL's FIFO depths, latency and build id. */
void isq_golden_default_params(struct isq_golden_params *p);

/* NULL (errno EINVAL/ENOMEM) on bad parameters or no memory. */
struct isq_golden *isq_golden_new(const struct isq_golden_params *p);
void isq_golden_free(struct isq_golden *g);
/* Back to the power-on state (all slots free, epoch 0, FIFOs empty). */
void isq_golden_reset(struct isq_golden *g);
const struct isq_golden_params *isq_golden_params(const struct isq_golden *g);

/* ---- data path (ISQ_DPOP_*; any other op answers INVALID) */
struct isq_dp_result {
	uint8_t status;  /* ISQ_DP_* */
	uint64_t seq;    /* TX: issued (OK) or last issued (HELD/EXHAUSTED); RX_CHECK:
	                    inferred 64-bit number; RX_COMMIT: the number; 0 when INVALID */
	uint64_t epoch;  /* global epoch the operation observed */
};
void isq_golden_dp(struct isq_golden *g, unsigned op, uint32_t slot, uint64_t seq,
		   struct isq_dp_result *r);

/* ---- mailbox operation: returns the ISQ_RC_* code. On ISQ_RC_OK, res[16]
 * (either may be NULL) receives the results and, for SLOT_READ only, bmp[32]
 * the bitmap window; on an error they
 * are left untouched and no engine state changes (events aside: a refused
 * group add raises OVERFLOW_REFUSED). */
unsigned isq_golden_mb(struct isq_golden *g, unsigned op, const uint32_t arg[8],
		       uint32_t res[16], uint32_t bmp[32]);

/* ---- event FIFO */
struct isq_event {
	uint8_t type;    /* ISQ_EVT_* */
	uint16_t index;  /* slot or group */
	uint64_t value;
	uint64_t epoch;
};
unsigned isq_golden_evt_count(const struct isq_golden *g);
/* 0 and the oldest event removed, or -ENOENT when empty. */
int isq_golden_evt_pop(struct isq_golden *g, struct isq_event *e);
uint32_t isq_golden_evt_dropped(const struct isq_golden *g);

uint64_t isq_golden_epoch(const struct isq_golden *g);

/* ---- CSR level: the register file of docs/csr.md. Mailbox operations
 * complete within the CMD write (STATUS.BUSY reads 0); injector operations
 * run while the result FIFO has room. The cycle counter advances by one per
 * bus access. */
uint32_t isq_golden_rd32(struct isq_golden *g, uint32_t off);
void isq_golden_wr32(struct isq_golden *g, uint32_t off, uint32_t v);
void isq_golden_bus(struct isq_golden *g, struct isq_bus *bus);

/* ---- injector issued by a cycle-level harness. With manual issue on, the
 * CSR level latches a start (DI.CTRL) and keeps STATUS and the result FIFO,
 * but issues nothing itself: the caller issues each operation with
 * isq_golden_inj_issue at its place in the order, where the RTL's arbiter
 * admitted it into the data path. Off after isq_golden_new; kept by reset. */
void isq_golden_inj_manual(struct isq_golden *g, int on);
/* Issue the injector's next operation now; its result enters the result
 * FIFO. 0 with *op, *slot (either may be NULL) and *r, or -EAGAIN (nothing
 * changes) when the injector has nothing to issue or its FIFO is full. */
int isq_golden_inj_issue(struct isq_golden *g, unsigned *op, uint32_t *slot,
			 struct isq_dp_result *r);

#endif
