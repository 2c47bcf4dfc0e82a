/* rt_common.h — shared machinery of the cycle-level RTL tests: the Verilated
 * engine and the golden model run side by side; every data-path result is
 * compared with the golden model executed in the RTL's linearization order.
 *
 * Ordering: data-path operations linearize in acceptance order. A group
 * operation steals exactly one data-path cycle (dp_ready low in the cycle
 * after its CMD write): it linearizes at that bubble, after every operation
 * accepted before it and before every one accepted after it. Slot
 * operations drain the data path, so they order after everything accepted. */
#ifndef RT_COMMON_H
#define RT_COMMON_H

#include <stdint.h>

#include "isq_golden.h"
#include "isq_regs.h"
#include "isq_tb.h"

struct rt_item {
	int kind;               /* 0 data path, 1 group operation */
	struct isq_tb_req req;
	uint64_t cycle;         /* accepted (data path) */
	unsigned gop;           /* group operation */
	uint32_t garg[8];
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
	/* no-reuse: last number issued per slot since its install */
	uint64_t *last_tx;
	uint8_t *have_tx;
	/* counters */
	uint64_t n_dp, n_dp_ok, n_group, n_slot, n_mismatch, n_epoch_edges;
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
/* Stop new requests and wait until every accepted one is compared. */
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
void rt_fail(struct rt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
