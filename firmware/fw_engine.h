/* fw_engine.h — engine CSR driver used by the firmware's command layer. */
#ifndef FW_ENGINE_H
#define FW_ENGINE_H

#include "fw.h"

int fw_eng_discover(struct fw *fw);
uint32_t fw_eng_cycles(struct fw *fw);
uint64_t fw_eng_cycles64(struct fw *fw);

/* Run one mailbox operation: write nargs ARG registers, start, wait,
 * read nres RES registers. Returns the engine's result code (an
 * ica_status 0..9) or ICA_ST_HW_ERROR. */
int fw_mb_exec(struct fw *fw, uint32_t op, const uint32_t *args, unsigned nargs,
	       uint32_t *res, unsigned nres);
/* Inbound bitmap of the last SLOT_READ. */
void fw_mb_bitmap(struct fw *fw, uint32_t *words, unsigned n);

uint32_t fw_ev_count(struct fw *fw);
/* Read the oldest event and pop it. */
void fw_ev_head(struct fw *fw, uint32_t *head0, uint64_t *value, uint64_t *epoch);
/* Engine events lost to a full FIFO since the last call (and clear). */
uint32_t fw_ev_take_dropped(struct fw *fw);

struct fw_di_result {
	uint32_t status, slot;
	uint64_t seq, epoch;
};
typedef void (*fw_di_result_fn)(void *arg, uint32_t i, const struct fw_di_result *r);
/* Issue `count` injector operations and collect every result in order. */
int fw_di_run(struct fw *fw, uint32_t op, uint32_t slot, uint64_t seq, uint32_t count,
	      fw_di_result_fn fn, void *arg);

/* (fw_ring.c) Move up to `max` engine events into the event ring; returns
 * the number of events the engine reported lost since the last call. */
uint32_t fw_ev_pump(struct fw *fw, uint32_t max);

#endif
