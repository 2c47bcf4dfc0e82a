/* fuzz_golden.c — libFuzzer target: arbitrary CSR bus traffic and
 * data-path operations against the golden model's register file.
 *
 * Input: a sequence of 10-byte records {kind, offset[2], value[4], slot[1],
 * seq-shift[1], op[1]}. Properties, besides "never crashes" (ASan/UBSan):
 * every outbound slot's value stays at or below its hard limit, no slot
 * issues a number twice, epochs never go back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isq_golden.h"
#include "isq_regs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct isq_golden *g;
	static uint64_t last[16];
	static uint8_t have[16];
	uint64_t epoch = 0;
	size_t i;

	if (!g) {
		struct isq_golden_params p;

		isq_golden_default_params(&p);
		p.num_sa = 16;
		p.num_group = 4;
		p.evt_depth = 8;
		p.inj_depth = 4;
		g = isq_golden_new(&p);
		if (!g)
			abort();
	}
	isq_golden_reset(g);
	memset(have, 0, sizeof(have));
	for (i = 0; i + 10 <= size; i += 10) {
		const uint8_t *r = data + i;
		uint32_t off = ((uint32_t)r[1] | (uint32_t)r[2] << 8) & 0x7ff;
		uint32_t v = (uint32_t)r[3] | (uint32_t)r[4] << 8 | (uint32_t)r[5] << 16 | (uint32_t)r[6] << 24;
		uint32_t slot = r[7] % 18;
		uint64_t seq = (uint64_t)v << (r[8] % 40);
		struct isq_dp_result res;

		switch (r[0] % 4) {
		case 0:
			(void)isq_golden_rd32(g, off);
			break;
		case 1:
			/* make CMD writes likely: steer a quarter of writes at the mailbox */
			if (r[0] & 0x10)
				off = ISQ_MB_BASE + (off & 0xfc);
			isq_golden_wr32(g, off, v);
			/* a successful install starts a new SA in its slot */
			if (off == ISQ_MB_BASE + ISQ_MB_CMD && v == ISQ_OP_SLOT_INSTALL &&
			    ISQ_FIELD_GET(isq_golden_rd32(g, ISQ_MB_BASE + ISQ_MB_STATUS),
					  ISQ_MB_STATUS_RC) == ISQ_RC_OK)
				have[isq_golden_rd32(g, ISQ_MB_BASE + ISQ_MB_ARG(0)) & 15] = 0;
			break;
		default:
			isq_golden_dp(g, r[9] % 4, slot, seq, &res);
			if (res.epoch < epoch)
				abort();
			epoch = res.epoch;
			if ((r[9] % 4) == ISQ_DPOP_TX_NEXT && res.status == ISQ_DP_OK && slot < 16) {
				uint32_t a[8] = { slot }, sr[16];

				if (have[slot] && res.seq <= last[slot])
					abort();
				/* never past the slot's hard limit (RES3/4 of SLOT_READ) */
				if (isq_golden_mb(g, ISQ_OP_SLOT_READ, a, sr, NULL) != ISQ_RC_OK ||
				    res.seq > ((uint64_t)sr[3] | (uint64_t)sr[4] << 32) || res.seq == 0)
					abort();
				last[slot] = res.seq;
				have[slot] = 1;
			}
			break;
		}
	}
	return 0;
}
