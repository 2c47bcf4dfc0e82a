// isq_tb_shim.cpp — extern "C" shim over the Verilated isq_top (class Visq).
// Everything else of the testbench is C11 (isq_tb.c).
#include "Visq.h"
#include "Visq___024root.h"
#include "verilated.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
typedef VerilatedFstC isq_trace_t;
#elif VM_TRACE
#include "verilated_vcd_c.h"
typedef VerilatedVcdC isq_trace_t;
#endif

#include "isq_tb_dut.h"

struct isq_dut {
	VerilatedContext *ctx;
	Visq *top;
#if VM_TRACE
	isq_trace_t *tr;
#endif
};

extern "C" isq_dut_t *isq_dut_new(void)
{
	isq_dut_t *d = new isq_dut;
	d->ctx = new VerilatedContext;
#if VM_TRACE
	d->ctx->traceEverOn(true);
	d->tr = nullptr;
#endif
	d->top = new Visq{d->ctx};
	d->top->clk = 0;
	d->top->rst = 1;
	d->top->eval();
	return d;
}

extern "C" void isq_dut_free(isq_dut_t *d)
{
	if (!d)
		return;
	isq_dut_trace_close(d);
	d->top->final();
	delete d->top;
	delete d->ctx;
	delete d;
}

extern "C" void isq_dut_set(isq_dut_t *d, const struct isq_dut_in *in)
{
	Visq *t = d->top;

	t->rst = in->rst;
	t->csr_we = in->csr_we;
	t->csr_re = in->csr_re;
	t->csr_addr = in->csr_addr;
	t->csr_wdata = in->csr_wdata;
	t->dp_valid = in->dp_valid;
	t->dp_op = in->dp_op;
	t->dp_slot = in->dp_slot;
	t->dp_tag = in->dp_tag;
	t->dp_seq = in->dp_seq;
	t->eval();
}

extern "C" void isq_dut_get(isq_dut_t *d, struct isq_dut_out *o)
{
	Visq *t = d->top;

	o->dp_ready = t->dp_ready;
	o->csr_rdata = t->csr_rdata;
	o->res_valid = t->res_valid;
	o->res_op = t->res_op;
	o->res_status = t->res_status;
	o->res_tag = t->res_tag;
	o->res_slot = t->res_slot;
	o->res_seq = t->res_seq;
	o->res_epoch = t->res_epoch;
	o->epoch = t->epoch;
	o->evt_pending = t->evt_pending;
	o->mb_busy = t->mb_busy;
	o->inj_acc = t->rootp->isq_top__DOT__inj_acc;
}

extern "C" void isq_dut_tick(isq_dut_t *d)
{
	d->top->clk = 1;
	d->top->eval();
#if VM_TRACE
	if (d->tr)
		d->tr->dump(d->ctx->time());
#endif
	d->ctx->timeInc(1);
	d->top->clk = 0;
	d->top->eval();
#if VM_TRACE
	if (d->tr)
		d->tr->dump(d->ctx->time());
#endif
	d->ctx->timeInc(1);
}

extern "C" int isq_dut_trace_open(isq_dut_t *d, const char *path)
{
#if VM_TRACE
	if (d->tr)
		return -1;
	d->tr = new isq_trace_t;
	d->top->trace(d->tr, 99);
	d->tr->open(path);
	return d->tr->isOpen() ? 0 : -1;
#else
	(void)d;
	(void)path;
	return -1;
#endif
}

extern "C" void isq_dut_trace_close(isq_dut_t *d)
{
#if VM_TRACE
	if (d->tr) {
		d->tr->close();
		delete d->tr;
		d->tr = nullptr;
	}
#else
	(void)d;
#endif
}

/* INJ_DEPTH has no ID register: a model built with a non-default depth gets
 * it as ISQ_TB_INJ_DEPTH; 0 means the default. */
extern "C" unsigned isq_dut_inj_depth(void)
{
#ifdef ISQ_TB_INJ_DEPTH
	return ISQ_TB_INJ_DEPTH;
#else
	return 0;
#endif
}

extern "C" const char *isq_dut_trace_kind(void)
{
#if VM_TRACE_FST
	return "fst";
#elif VM_TRACE
	return "vcd";
#else
	return "";
#endif
}
