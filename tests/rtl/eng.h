/* eng.h — the engine as the RTL tests see it: a CSR bus plus a data-path
 * call, backed either by the golden model (eng_golden.c) or by the Verilated
 * RTL (eng_rtl.c). Directed tests are written once against this and run on
 * both. */
#ifndef ENG_H
#define ENG_H

#include <stdint.h>

#include "isq_bus.h"
#include "isq_golden.h"
#include "isq_regs.h"

struct eng {
	const char *name;
	uint32_t num_sa, num_group, window, evt_depth, inj_depth;
	struct isq_bus bus;
	void *ctx;
	/* One data-path operation, waiting for its result. */
	void (*dp)(struct eng *e, unsigned op, uint32_t slot, uint64_t seq, struct isq_dp_result *r);
	/* Cycles since reset (0 for the golden model). */
	uint64_t (*cycles)(struct eng *e);
	void (*close)(struct eng *e);
};

/* Opens a fresh engine of the backend linked in; window 0 = default. */
struct eng *eng_open(uint32_t window);
void eng_close(struct eng *e);

/* ---- helpers over the CSR bus */
uint32_t eng_rd(struct eng *e, uint32_t off);
void eng_wr(struct eng *e, uint32_t off, uint32_t v);
/* Runs a mailbox op with arg[0..7]; returns the RC; res[16], bmp[32] read
 * back (may be NULL). */
unsigned eng_mb(struct eng *e, unsigned op, const uint32_t *arg, uint32_t *res, uint32_t *bmp);
unsigned eng_install(struct eng *e, uint32_t slot, uint32_t group, int dir_in, int esn,
		     uint64_t seq, uint64_t hard, uint64_t soft);
unsigned eng_clear(struct eng *e, uint32_t slot);
unsigned eng_group_op(struct eng *e, unsigned op, uint32_t group, uint32_t flags, uint64_t delta,
		      uint64_t *epoch);
/* SLOT_READ: value (effective), flags; 0 on success. */
unsigned eng_slot_read(struct eng *e, uint32_t slot, uint32_t *flags, uint64_t *val,
		       uint32_t *bmp);
uint64_t eng_epoch(struct eng *e);
int eng_evt_pop(struct eng *e, struct isq_event *ev);
uint64_t eng_res64(const uint32_t *res, unsigned i);

/* Compact digest of the whole observable management state (every slot and
 * group read back), to prove that a refused command changed nothing. */
uint64_t eng_state_digest(struct eng *e);

#endif
