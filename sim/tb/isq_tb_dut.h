/* isq_tb_dut.h — the thin C interface to the Verilated model (isq_tb_shim.cpp).
 * Private to the testbench library: users include isq_tb.h. */
#ifndef ISQ_TB_DUT_H
#define ISQ_TB_DUT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct isq_dut isq_dut_t;

struct isq_dut_in {
	uint8_t rst;
	uint8_t csr_we, csr_re;
	uint16_t csr_addr;
	uint32_t csr_wdata;
	uint8_t dp_valid, dp_op;
	uint16_t dp_slot, dp_tag;
	uint64_t dp_seq;
};

struct isq_dut_out {
	uint8_t dp_ready;
	uint32_t csr_rdata;
	uint8_t res_valid, res_op, res_status;
	uint16_t res_tag, res_slot;
	uint64_t res_seq, res_epoch, epoch;
	uint8_t evt_pending, mb_busy;
	/* not a port (sim/tb/isq_tb.vlt): the arbiter admits an injector
	 * operation into the data path in this cycle */
	uint8_t inj_acc;
};

isq_dut_t *isq_dut_new(void);
void isq_dut_free(isq_dut_t *d);
/* Drive inputs and settle combinational logic (dp_ready depends on dp_valid). */
void isq_dut_set(isq_dut_t *d, const struct isq_dut_in *in);
void isq_dut_get(isq_dut_t *d, struct isq_dut_out *out);
/* One clock cycle: rising and falling edge. */
void isq_dut_tick(isq_dut_t *d);
/* 0 on success; -1 when the model was built without tracing. */
int isq_dut_trace_open(isq_dut_t *d, const char *path);
void isq_dut_trace_close(isq_dut_t *d);
/* The model's injector result FIFO depth, 0 = the default (INJ_DEPTH_DEF). */
unsigned isq_dut_inj_depth(void);
/* "vcd", "fst" or "" — what this model library was built with. */
const char *isq_dut_trace_kind(void);

#ifdef __cplusplus
}
#endif

#endif
