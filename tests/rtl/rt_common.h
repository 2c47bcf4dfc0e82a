/* rt_common.h — shared machinery of the cycle-level RTL tests: the Verilated
 * engine and the golden model run side by side; every data-path result is
 * compared with the golden model executed in the RTL's linearization order.
 *
 * Ordering: data-path operations linearize in acceptance order. A group
 * operation steals exactly one data-path cycle (the engine stalled in the
 * cycle after its CMD write): it linearizes at that bubble, after every
 * operation accepted before it and before every one accepted after it. Slot
 * operations drain the data path, so they order after everything accepted.
 * An injector operation (CSR block DI) linearizes in the cycle the arbiter
 * admits it into the data path; a write to the injector's registers in the
 * cycle it is written. */
#ifndef RT_COMMON_H
#define RT_COMMON_H

#include <stdint.h>

#include "isq_golden.h"
#include "isq_regs.h"
#include "isq_tb.h"

enum rt_kind {
	RT_DP,                  /* packet-port operation: compared at its result */
	RT_MB,                  /* mailbox operation at its bubble (or drain) */
	RT_INJ,                 /* injector operation admitted into the data path */
	RT_DI_WR,               /* write to an injector register */
};

struct rt_item {
	enum rt_kind kind;
	struct isq_tb_req req;
	uint64_t cycle;         /* accepted (data path, injector) */
	unsigned gop;           /* mailbox operation */
	uint32_t garg[8];
	uint32_t off, val;      /* injector register write */
};

#define RT_QLEN 4096

struct rt;
/* Generator of data-path requests: 1 and *req, or 0 for an idle cycle. */
typedef int (*rt_gen_fn)(struct rt *t, struct isq_tb_req *req);
/* Observer of each compared result (after the golden check). */
typedef void (*rt_obs_fn)(struct rt *t, const struct isq_tb_res *res, const struct isq_dp_result *gold);

struct rt {
	struct isq_tb *tb;
	struct isq_golden *g;
	struct isq_bus bus;
	uint64_t rng;
	rt_gen_fn gen;
	rt_obs_fn obs;
	void *user;
	int paused;             /* stop presenting new requests */
	/* the request being presented (held until accepted) */
	struct isq_tb_req cur;
	int have_cur;
	uint16_t next_tag;
	/* accepted, not yet compared */
	struct rt_item q[RT_QLEN];
	unsigned qh, qn;
	/* a group operation waiting for its bubble */
	int armed;
	unsigned arm_op;
	uint32_t arm_arg[8];
	uint64_t arm_cycle;
	/* results of golden group operations, by order of linearization */
	unsigned g_rc;
	uint32_t g_res[16], g_bmp[32];
	int g_applied;
	/* a write to an injector register, queued by the cycle that writes it */
	int di_pend;
	uint32_t di_off, di_val;
	uint64_t inj_settle;    /* cycle by which the last admitted injector result is in its FIFO */
	/* no-reuse: last number issued per slot since its install */
	uint64_t *last_tx;
	uint8_t *have_tx;
	/* counters */
	uint64_t n_dp, n_dp_ok, n_group, n_slot, n_mismatch, n_epoch_edges;
	uint64_t n_inj;                     /* injector operations admitted (golden model run) */
	uint64_t n_inj_cmp;                 /* injector results read back and compared */
	uint64_t n_inj_ok;                  /* numbers issued through the injector, checked for reuse */
	uint64_t n_inj_start, n_inj_refused; /* CTRL starts taken / refused (busy or COUNT 0) */
	uint64_t n_inj_full;                /* the injector filled its result FIFO (then stalls) */
	uint64_t last_epoch;
	uint64_t n_acc;                     /* requests accepted */
	uint64_t lat_min, lat_max;          /* accept-to-result cycles */
	uint64_t mb_cycles, mb_stolen;      /* last mailbox op: cycles from CMD to result, dp_ready low */
	unsigned max_report;
};

uint64_t rt_rand(struct rt *t);
static inline uint64_t rt_below(struct rt *t, uint64_t n) { return n ? rt_rand(t) % n : 0; }

/* Opens the RTL (library linked in) and a golden model of the same
 * parameters; installs the driver. */
int rt_open(struct rt *t, uint64_t seed);
void rt_close(struct rt *t);
/* Cycles with the bus idle (the driver runs). */
void rt_tick(struct rt *t, unsigned n);
/* Stop new requests and wait until every accepted one is compared and the
 * injector has stopped (done, or its result FIFO full) with all its results
 * in its FIFO. */
void rt_quiesce(struct rt *t);
/* A mailbox operation on both; returns the RC, or -1 when RTL and golden
 * disagree. The golden model applies it where the RTL stopped the data path
 * for it (group ops: the bubble; slot ops: the drain). GROUP_READ, which
 * does not stop the data path, quiesces it first. */
int rt_mb(struct rt *t, unsigned op, const uint32_t arg[8], uint32_t res[16]);
/* Pop and compare every event of both FIFOs (after rt_quiesce). */
int rt_check_events(struct rt *t);
/* Compare every slot and group readback of both (after rt_quiesce). */
int rt_check_state(struct rt *t, uint32_t nslots, uint32_t ngroups);

/* ---- the data-path injector (CSR block DI) on both. The golden model takes
 * a register write at its place in the order (so a start latches what was
 * written before it, and is refused while operations of the last start are
 * still to be admitted) and runs each operation where the RTL's arbiter
 * admitted it; numbers it issues join the no-reuse check there. That check
 * uses the golden model's number, which is sound only because every
 * injector result is then read back and compared: read them all. */
void rt_di_wr(struct rt *t, uint32_t reg, uint32_t v);
/* The oldest injector result, compared with the golden model's and dropped
 * from both: 1 (with *res, may be NULL: status, slot, seq, epoch), 0 when
 * the RTL's result FIFO is empty, -1 on a mismatch. */
int rt_inj_pop(struct rt *t, struct isq_tb_res *res);
/* After rt_quiesce: every injector register of both compared; with both
 * FIFOs empty a RES_POP, which must change nothing. 0 or -1. */
int rt_check_inj(struct rt *t);
void rt_fail(struct rt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
