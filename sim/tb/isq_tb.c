/* isq_tb.c — the C testbench library (isq_tb.h) over the Verilated model. */
#include "isq_tb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isq_regs.h"
#include "isq_tb_dut.h"

struct isq_tb {
	isq_dut_t *d;
	struct isq_dut_out out;
	uint64_t cycles;
	uint32_t num_sa, num_group, window, evt_depth;
	const struct isq_tb_driver *drv;
	struct isq_tb_driver own;
	int last_acc, last_ready, last_inj;
	/* single-operation helper state */
	struct isq_tb_req one;
	int one_presented, one_done;
	struct isq_tb_res one_res;
};

/* One clock cycle with the given CSR inputs; returns csr_rdata after the edge. */
static uint32_t cycle(struct isq_tb *tb, int rst, int we, int re, uint32_t addr, uint32_t wdata)
{
	struct isq_dut_in in;
	struct isq_tb_req req;
	int present = 0;

	memset(&in, 0, sizeof(in));
	memset(&req, 0, sizeof(req));
	in.rst = (uint8_t)rst;
	in.csr_we = (uint8_t)we;
	in.csr_re = (uint8_t)re;
	in.csr_addr = (uint16_t)(addr & 0xfffu);
	in.csr_wdata = wdata;
	if (tb->drv && tb->drv->next)
		present = tb->drv->next(tb->drv->arg, &req);
	if (present) {
		in.dp_valid = 1;
		in.dp_op = req.op;
		in.dp_slot = req.slot;
		in.dp_tag = req.tag;
		in.dp_seq = req.seq;
	}
	isq_dut_set(tb->d, &in);
	isq_dut_get(tb->d, &tb->out);
	tb->last_ready = tb->out.dp_ready;
	tb->last_acc = present && tb->out.dp_ready;
	tb->last_inj = tb->out.inj_acc;
	isq_dut_tick(tb->d);
	tb->cycles++;
	isq_dut_get(tb->d, &tb->out);
	if (tb->last_acc && tb->drv->accepted)
		tb->drv->accepted(tb->drv->arg, &req, tb->cycles - 1);
	if (tb->out.res_valid && tb->drv && tb->drv->result) {
		struct isq_tb_res r;

		r.op = tb->out.res_op;
		r.status = tb->out.res_status;
		r.tag = tb->out.res_tag;
		r.slot = tb->out.res_slot;
		r.seq = tb->out.res_seq;
		r.epoch = tb->out.res_epoch;
		r.cycle = tb->cycles;
		tb->drv->result(tb->drv->arg, &r);
	}
	return tb->out.csr_rdata;
}

void isq_tb_tick(struct isq_tb *tb, unsigned n)
{
	while (n--)
		cycle(tb, 0, 0, 0, 0, 0);
}

uint32_t isq_tb_rd32(struct isq_tb *tb, uint32_t off)
{
	return cycle(tb, 0, 0, 1, off, 0);
}

void isq_tb_wr32(struct isq_tb *tb, uint32_t off, uint32_t v)
{
	cycle(tb, 0, 1, 0, off, v);
}

static uint32_t bus_rd(void *ctx, uint32_t off)
{
	return isq_tb_rd32(ctx, off);
}

static void bus_wr(void *ctx, uint32_t off, uint32_t v)
{
	isq_tb_wr32(ctx, off, v);
}

void isq_tb_bus(struct isq_tb *tb, struct isq_bus *bus)
{
	bus->ctx = tb;
	bus->rd32 = bus_rd;
	bus->wr32 = bus_wr;
}

void isq_tb_set_driver(struct isq_tb *tb, const struct isq_tb_driver *drv)
{
	tb->drv = drv;
}

void isq_tb_reset(struct isq_tb *tb)
{
	const struct isq_tb_driver *drv = tb->drv;

	tb->drv = NULL;
	cycle(tb, 1, 0, 0, 0, 0);
	cycle(tb, 1, 0, 0, 0, 0);
	do
		cycle(tb, 0, 0, 0, 0, 0);
	while (tb->out.mb_busy);
	tb->num_sa = isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_NUM_SA);
	tb->num_group = isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_NUM_GROUP);
	tb->window = isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_WINDOW);
	tb->evt_depth = isq_tb_rd32(tb, ISQ_ID_BASE + ISQ_ID_EVT_DEPTH);
	tb->drv = drv;
}

struct isq_tb *isq_tb_new(void)
{
	struct isq_tb *tb = calloc(1, sizeof(*tb));

	if (!tb)
		return NULL;
	tb->d = isq_dut_new();
	isq_tb_reset(tb);
	return tb;
}

void isq_tb_free(struct isq_tb *tb)
{
	if (!tb)
		return;
	isq_dut_free(tb->d);
	free(tb);
}

int isq_tb_trace(struct isq_tb *tb, const char *path)
{
	if (!*isq_dut_trace_kind())
		return -ENOTSUP;
	return isq_dut_trace_open(tb->d, path) ? -EIO : 0;
}

const char *isq_tb_trace_kind(void)
{
	return isq_dut_trace_kind();
}

uint64_t isq_tb_cycles(const struct isq_tb *tb)
{
	return tb->cycles;
}

uint32_t isq_tb_num_sa(const struct isq_tb *tb)
{
	return tb->num_sa;
}

uint32_t isq_tb_num_group(const struct isq_tb *tb)
{
	return tb->num_group;
}

uint32_t isq_tb_window(const struct isq_tb *tb)
{
	return tb->window;
}

uint32_t isq_tb_evt_depth(const struct isq_tb *tb)
{
	return tb->evt_depth;
}

uint32_t isq_tb_inj_depth(const struct isq_tb *tb)
{
	unsigned d = isq_dut_inj_depth();

	(void)tb;
	return d ? d : ISQ_INJ_DEPTH_DEF;
}

uint64_t isq_tb_epoch(const struct isq_tb *tb)
{
	return tb->out.epoch;
}

int isq_tb_evt_pending(const struct isq_tb *tb)
{
	return tb->out.evt_pending;
}

int isq_tb_mb_busy(const struct isq_tb *tb)
{
	return tb->out.mb_busy;
}

int isq_tb_last_accept(const struct isq_tb *tb)
{
	return tb->last_acc;
}

int isq_tb_last_ready(const struct isq_tb *tb)
{
	return tb->last_ready;
}

int isq_tb_last_inj_accept(const struct isq_tb *tb)
{
	return tb->last_inj;
}

/* ---- single operation */

static int one_next(void *arg, struct isq_tb_req *req)
{
	struct isq_tb *tb = arg;

	if (tb->one_presented)
		return 0;
	*req = tb->one;
	return 1;
}

static void one_accepted(void *arg, const struct isq_tb_req *req, uint64_t cycle_no)
{
	struct isq_tb *tb = arg;

	(void)req;
	(void)cycle_no;
	tb->one_presented = 1;
}

static void one_result(void *arg, const struct isq_tb_res *res)
{
	struct isq_tb *tb = arg;

	if (res->tag == tb->one.tag) {
		tb->one_res = *res;
		tb->one_done = 1;
	}
}

int isq_tb_dp(struct isq_tb *tb, unsigned op, uint32_t slot, uint64_t seq, struct isq_tb_res *res)
{
	unsigned n;

	if (tb->drv)
		return -EBUSY;
	tb->own.next = one_next;
	tb->own.accepted = one_accepted;
	tb->own.result = one_result;
	tb->own.arg = tb;
	tb->one.op = (uint8_t)op;
	/* Slots beyond 16 bits do not fit the port: send an out-of-range one. */
	tb->one.slot = slot > 0xffffu ? 0xffffu : (uint16_t)slot;
	tb->one.seq = seq;
	tb->one.tag++;
	tb->one_presented = tb->one_done = 0;
	tb->drv = &tb->own;
	for (n = 0; n < 100000 && !tb->one_done; n++)
		cycle(tb, 0, 0, 0, 0, 0);
	tb->drv = NULL;
	if (!tb->one_done)
		return -ETIMEDOUT;
	*res = tb->one_res;
	return 0;
}
