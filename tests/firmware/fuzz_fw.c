/* fuzz_fw.c — libFuzzer target for the firmware's parsing of host input:
 * commands (validation + execution) and the queue table / ring indices a
 * hostile or broken host writes into the BAR. Runs on the in-memory fake
 * engine. Invariants checked besides memory safety:
 *   - a refused command leaves the engine's epoch and the probed slots as
 *     they were, and its completion carries no results;
 *   - the card's indices never run ahead of what the host published. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_engine.h"
#include "fw.h"

static struct fw F;
static struct fake_engine E;
static uint8_t bar[ICA_BAR_SIZE] __attribute__((aligned(64)));
static struct ica_rb rb[ICA_RB_ENTRIES];

static void boot(void)
{
	struct fw_platform p = { .rd32 = fe_rd32, .wr32 = fe_wr32, .bus_ctx = &E,
				 .bar = bar, .bar_size = sizeof(bar) };

	fe_init(&E, 64, 8, 64);
	if (fw_init(&F, &p) != ICA_ST_OK)
		abort();
}

static uint64_t probe(void)
{
	uint64_t h = E.epoch * 1000003u;
	unsigned s;

	/* Effective values: an inbound slot's pending group advance is part
	 * of its value however the model stores it. */
	for (s = 0; s < 64; s++) {
		const struct fe_slot *x = &E.slot[s];
		uint64_t v = x->in ? x->base + (E.grp[x->group].rx_advance - x->adv_seen)
				   : x->base + E.grp[x->group].tx_offset;

		h = h * 31 + (uint64_t)x->valid + v * 7 + x->group * 13u + (uint64_t)x->exh * 3u;
	}
	for (s = 0; s < 8; s++)
		h = h * 31 + E.grp[s].tx_offset + E.grp[s].held;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off;

	boot();   /* every input starts from a fresh card: reproducible */
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* Commands executed directly. Bias indices into range so the
		 * fuzzer reaches execution, not only refusals. */
		for (off = 1; off + sizeof(struct ica_cmd) <= size; off += sizeof(struct ica_cmd)) {
			struct ica_cmd c;
			struct ica_cpl cpl;
			uint64_t before;

			memcpy(&c, data + off, sizeof(c));
			if (data[0] & 2) {
				c.op %= ICA_OP_MAX_;
				c.index %= 70;
				c.index2 %= 10;
			}
			if (c.op == ICA_OP_DP_TX && c.index2 > 64)
				c.index2 = 64;   /* keep runs short */
			before = probe();
			fw_exec(&F, &c, &cpl, rb);
			if (cpl.tag != c.tag || cpl.op != c.op)
				abort();
			if (cpl.status != ICA_ST_OK && cpl.status != ICA_ST_SELFTEST) {
				if (probe() != before || cpl.w0 || cpl.v[0] || cpl.v[5])
					abort();
			}
		}
	} else {
		/* A host scribbling over queue 0's table entry and ring. */
		struct ica_queue *q = (struct ica_queue *)(void *)(bar + ICA_QTAB_OFF);
		uint8_t *ring = bar + ICA_QMEM_OFF;
		uint32_t prod, cons0;
		size_t n = size - 1 < ICA_CMD_ENTRIES * sizeof(struct ica_cmd) ? size - 1 :
			   ICA_CMD_ENTRIES * sizeof(struct ica_cmd);

		memcpy(ring, data + 1, n);
		if (size >= 1 + 24) {
			memcpy(&q->owner_tag, data + 1, 4);
			memcpy(&q->cmd_prod, data + 9, 4);
			memcpy(&q->cpl_cons, data + 21, 4);
		}
		q->owner_tag |= ICA_TAG_VALID;
		prod = q->cmd_prod;
		cons0 = F.q[0].cmd_cons;
		(void)fw_poll(&F);
		if (F.q[0].cmd_cons - cons0 > ICA_CMD_ENTRIES ||
		    (prod - cons0 <= ICA_CMD_ENTRIES && F.q[0].cmd_cons - cons0 > prod - cons0))
			abort();
		fw_peer_gone(&F, ICA_TAG_PEER(q->owner_tag));
		if (q->owner_tag != 0)
			abort();
	}
	return 0;
}
