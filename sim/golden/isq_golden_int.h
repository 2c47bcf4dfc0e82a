/* isq_golden_int.h — state shared by the golden model's two levels. */
#ifndef ISQ_GOLDEN_INT_H
#define ISQ_GOLDEN_INT_H

#include "isq_golden.h"
#include "isq_regs.h"

#define ISQ_BM_WORDS (ISQ_W_MAX / 64)

struct gslot {
	uint8_t valid, dir_in, esn, ev_exh, ev_soft;
	uint16_t group;
	uint64_t val;   /* outbound: last number issued; inbound: right edge T */
	uint64_t hard;  /* outbound: resolved hard limit */
	uint64_t soft;  /* outbound: soft limit, 0 = none */
	uint64_t bm[ISQ_BM_WORDS]; /* inbound: bit i = T - i seen */
};

struct ggroup {
	uint8_t held, esn;
	uint64_t off, adv;       /* cumulative TX add / RX advance since the group restarted */
	uint64_t tx_max, rx_max; /* monotone maxima of the group's slot values */
	uint64_t tx_limit;       /* least hard limit of the group's outbound slots */
	uint64_t last_epoch;
	uint32_t n_out, n_in;
};

struct golden_csr {
	uint32_t arg[ISQ_MB_NARG], res[ISQ_MB_NRES], bmp[ISQ_MB_NBMP];
	uint32_t rc, done;
	uint64_t cycle;
	uint32_t cycle_hi;
	uint32_t di_op, di_slot, di_seq_lo, di_seq_hi, di_count;
	uint32_t inj_op, inj_slot, inj_remaining;
	uint64_t inj_seq;
};

struct inj_res {
	uint8_t status;
	uint32_t slot;
	uint64_t seq, epoch;
};

struct isq_golden {
	struct isq_golden_params p;
	struct gslot *slot;
	struct ggroup *grp;
	uint64_t epoch;
	struct isq_event *ev;
	uint32_t ev_head, ev_n, ev_dropped;
	struct golden_csr csr;
	struct inj_res *inj_res;
	uint32_t inj_head, inj_n;
	int inj_manual;          /* isq_golden_inj_manual */
};

#endif
