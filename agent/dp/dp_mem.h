/* dp_mem.h — an in-memory dataplane with the card's semantics, for unit
 * tests and the two-in-memory-peers harness (in addition to the real card,
 * never instead). Groups and slots are fixed arrays; the model follows
 * ARCHITECTURE.md §3.1: effective outbound next = base + group tx offset,
 * HOLD stops TX_NEXT, group adds refuse to pass the hard limit. */
#ifndef IPSECHA_DP_MEM_H
#define IPSECHA_DP_MEM_H

#include "dp.h"

#define DP_MEM_HELD      (-EAGAIN)
#define DP_MEM_EXHAUSTED (-ERANGE)

/* New in-memory dataplane in *out. 0 / -ENOMEM / -EINVAL. */
int dp_mem_new(unsigned groups, unsigned slots, struct dp *out);

/* Inspection for tests (ctx = dp.ctx). */
unsigned dp_mem_live_groups(const void *ctx);
unsigned dp_mem_live_sas(const void *ctx);
/* Group of the SA whose inbound SPI is spi_in; -ENOENT if none. */
int dp_mem_find_spi(const void *ctx, uint32_t spi_in, uint32_t *group,
		    struct dp_slots *slots, bool *esn);
bool dp_mem_group_held(const void *ctx, uint32_t group);
/* The data path: next outbound sequence number of an SA (traffic), or
 * DP_MEM_HELD / DP_MEM_EXHAUSTED / -EINVAL. */
int dp_mem_tx_next(void *ctx, uint32_t out_slot, uint64_t *seq);
/* Receive sequence seq on an inbound slot: 0 accepted (and committed),
 * -EALREADY replay or too old, -EINVAL. Window 64. */
int dp_mem_rx(void *ctx, uint32_t in_slot, uint64_t seq);
/* Count of group operations so far (the epoch). */
uint64_t dp_mem_epoch(const void *ctx);

#endif
