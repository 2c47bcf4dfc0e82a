/* fake_engine.h — a small in-memory model of the engine's CSR file
 * (docs/csr.md) for firmware unit tests. It exists *in addition* to the
 * golden model and the Verilated RTL, which the same firmware tests and
 * the simulated card run on; it lets the unit tests inject faults the real
 * engine never shows (a stuck BUSY bit, a broken block list, a full event
 * FIFO on demand). Slow O(n) group operations: correctness only. */
#ifndef FAKE_ENGINE_H
#define FAKE_ENGINE_H

#include <stdint.h>

#define FE_MAX_SA    4096u
#define FE_MAX_GROUP 1024u
#define FE_EVT_DEPTH 8u
#define FE_RES_DEPTH 64u

struct fe_slot {
	int valid, in, esn, exh, soft_evt;
	uint32_t group;
	uint64_t base;          /* out: last used minus the group's tx_offset; in: T */
	uint64_t hard, soft;
	uint64_t adv_seen;      /* in: the group's rx_advance folded so far */
	uint32_t bmp[32];       /* in: bit i = T - i seen */
};

struct fe_group {
	int held;
	uint64_t tx_offset, rx_advance, last_epoch;
};

struct fe_ev { uint32_t head0; uint64_t value, epoch; };
struct fe_res { uint32_t head0; uint64_t seq, epoch; };

struct fake_engine {
	uint32_t num_sa, num_group, window;
	uint64_t epoch, cycles;
	uint32_t arg[8], res[16], bmp[32], status;
	struct fe_slot slot[FE_MAX_SA];
	struct fe_group grp[FE_MAX_GROUP];
	struct fe_ev ev[FE_EVT_DEPTH];
	uint32_t ev_n, ev_dropped;
	struct fe_res rq[FE_RES_DEPTH];
	uint32_t rq_n;
	uint32_t di_op, di_slot, di_count, di_left;
	uint64_t di_seq;
	/* Fault injection. */
	int stuck_busy;          /* mailbox never completes */
	int break_list;          /* block list loops */
};

void fe_init(struct fake_engine *e, uint32_t num_sa, uint32_t num_group, uint32_t window);
uint32_t fe_rd32(void *ctx, uint32_t off);
void fe_wr32(void *ctx, uint32_t off, uint32_t v);

#endif
