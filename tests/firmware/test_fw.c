/* test_fw.c — firmware unit tests, independent of the simulated card.
 *
 *  1. command validation: a table of commands against a hand-made shadow
 *     state (no engine at all);
 *  2. execution and ring handling on an engine CSR model: the golden
 *     model's CSR level (when sim/ built it) and the in-memory fake;
 *  3. fault injection on the fake (stuck mailbox, broken block list).
 * Prints "firmware: N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_engine.h"
#include "fw.h"
#include "fw_csr.h"
#ifdef HAVE_GOLDEN
#include "isq_golden.h"
#endif
#ifdef HAVE_RTL
#include "isq_tb.h"
#endif

static unsigned n_pass, n_fail;
static int t_fail;

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __func__, __LINE__, #c); t_fail = 1; } } while (0)
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
	if (a_ != b_) { fprintf(stderr, "    %s:%d: %s = %llu, expected %s = %llu\n", \
		__func__, __LINE__, #a, a_, #b, b_); t_fail = 1; } } while (0)

static void report(const char *fmt, const char *arg)
{
	printf("%s ", t_fail ? "FAIL" : "ok  ");
	printf(fmt, arg);
	printf("\n");
	if (t_fail)
		n_fail++;
	else
		n_pass++;
	t_fail = 0;
}

static struct fw F;
static uint8_t bar[ICA_BAR_SIZE] __attribute__((aligned(64)));

/* ---- 1. validation table ---------------------------------------- */

struct vcase {
	const char *name;
	struct ica_cmd c;
	int status;
	uint16_t field;
};

static void shadow_setup(void)
{
	memset(&F, 0, sizeof(F));
	F.eng.num_sa = 64;
	F.eng.num_group = 8;
	F.eng.window = 64;
	F.eng.features = FW_FEAT_ESN | FW_FEAT_INBOUND | FW_FEAT_INJECTOR | FW_FEAT_EVENTS;
	F.slot[1] = (struct fw_slot){ .group = 2, .valid = 1, .esn = 1 };
	F.slot[2] = (struct fw_slot){ .group = 2, .valid = 1, .dir_in = 1, .esn = 1 };
	F.slot[3] = (struct fw_slot){ .group = 3, .valid = 1 };
	F.grp_nslots[2] = 2;
	F.grp_esn[2] = 1;
	F.grp_nslots[3] = 1;
}

static void t_validation(void)
{
	const uint64_t M32 = 0xffffffffull, M64 = ~0ull;
	const struct vcase v[] = {
		{ "nop", { .op = ICA_OP_NOP }, ICA_ST_OK, 0 },
		{ "opcode past the table", { .op = ICA_OP_MAX_ }, ICA_ST_BAD_OP, ICA_FLD_OP },
		{ "opcode 0xff", { .op = 0xff }, ICA_ST_BAD_OP, ICA_FLD_OP },
		{ "rsvd0", { .op = ICA_OP_IDENTIFY, .rsvd0 = 0x80 }, ICA_ST_RESERVED, ICA_FLD_RSVD },
		{ "rsvd[0]", { .op = ICA_OP_IDENTIFY, .rsvd = { 1 } }, ICA_ST_RESERVED, ICA_FLD_RSVD },
		{ "rsvd[1]", { .op = ICA_OP_SLOT_READ, .index = 1, .rsvd = { 0, M64 } }, ICA_ST_RESERVED, ICA_FLD_RSVD },
		{ "identify flags", { .op = ICA_OP_IDENTIFY, .flags = 1 }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "identify index", { .op = ICA_OP_IDENTIFY, .index = 1 }, ICA_ST_RESERVED, ICA_FLD_INDEX },
		{ "remove index2", { .op = ICA_OP_SLOT_REMOVE, .index = 1, .index2 = 1 }, ICA_ST_RESERVED, ICA_FLD_INDEX2 },
		{ "hold a", { .op = ICA_OP_GROUP_HOLD, .index = 1, .a = 1 }, ICA_ST_RESERVED, ICA_FLD_A },
		{ "release b", { .op = ICA_OP_GROUP_RELEASE, .index = 1, .b = 1 }, ICA_ST_RESERVED, ICA_FLD_B },
		{ "read c", { .op = ICA_OP_SLOT_READ, .index = 1, .c = 1 }, ICA_ST_RESERVED, ICA_FLD_C },
		{ "install ok out", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .a = 5, .b = 100, .c = 50 }, ICA_ST_OK, 0 },
		{ "install ok in ESN", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN | ICA_F_INSTALL_ESN, .index = 10, .index2 = 2, .a = M64 }, ICA_ST_OK, 0 },
		{ "install ok empty group any mode", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = 10, .index2 = 7 }, ICA_ST_OK, 0 },
		{ "install last slot", { .op = ICA_OP_SLOT_INSTALL, .index = 63, .index2 = 7 }, ICA_ST_OK, 0 },
		{ "install slot = num_sa", { .op = ICA_OP_SLOT_INSTALL, .index = 64, .index2 = 7 }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX },
		{ "install group = num_group", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 8 }, ICA_ST_BAD_GROUP, ICA_FLD_INDEX2 },
		{ "install unknown flag", { .op = ICA_OP_SLOT_INSTALL, .flags = 4, .index = 10 }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "install live", { .op = ICA_OP_SLOT_INSTALL, .index = 1, .index2 = 2, .flags = ICA_F_INSTALL_ESN }, ICA_ST_SLOT_LIVE, ICA_FLD_INDEX },
		{ "install ESN into 32-bit group", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = 10, .index2 = 3 }, ICA_ST_ESN_MISMATCH, ICA_FLD_FLAGS },
		{ "install 32-bit into ESN group", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 2 }, ICA_ST_ESN_MISMATCH, ICA_FLD_FLAGS },
		{ "install seq = hard", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .a = 100, .b = 100 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "install seq = 2^32-1 default limit", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .a = M32 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "install seq 2^32-2", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .a = M32 - 1 }, ICA_ST_OK, 0 },
		{ "install hard 2^32 non-ESN", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .b = M32 + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_B },
		{ "install soft > hard", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .b = 10, .c = 11 }, ICA_ST_BAD_VALUE, ICA_FLD_C },
		{ "install soft > default hard", { .op = ICA_OP_SLOT_INSTALL, .index = 10, .index2 = 3, .c = M32 + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_C },
		{ "install ESN seq 2^64-2", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = 10, .index2 = 2, .a = M64 - 1 }, ICA_ST_OK, 0 },
		{ "install in with hard", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN, .index = 10, .index2 = 3, .b = 1 }, ICA_ST_BAD_VALUE, ICA_FLD_B },
		{ "install in with soft", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN, .index = 10, .index2 = 3, .c = 1 }, ICA_ST_BAD_VALUE, ICA_FLD_C },
		{ "install in 32-bit edge 2^32", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN, .index = 10, .index2 = 3, .a = M32 + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "remove free", { .op = ICA_OP_SLOT_REMOVE, .index = 9 }, ICA_ST_SLOT_FREE, ICA_FLD_INDEX },
		{ "remove range", { .op = ICA_OP_SLOT_REMOVE, .index = 64 }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX },
		{ "read free ok", { .op = ICA_OP_SLOT_READ, .index = 9 }, ICA_ST_OK, 0 },
		{ "read bitmap flag", { .op = ICA_OP_SLOT_READ, .flags = ICA_F_READ_BITMAP, .index = 2 }, ICA_ST_OK, 0 },
		{ "group read range", { .op = ICA_OP_GROUP_READ, .index = 8 }, ICA_ST_BAD_GROUP, ICA_FLD_INDEX },
		{ "tx add any delta", { .op = ICA_OP_GROUP_TX_ADD, .index = 7, .a = M64 }, ICA_ST_OK, 0 },
		{ "tx add release", { .op = ICA_OP_GROUP_TX_ADD, .flags = ICA_F_TXADD_RELEASE, .index = 7 }, ICA_ST_OK, 0 },
		{ "tx add bad flag", { .op = ICA_OP_GROUP_TX_ADD, .flags = 2, .index = 7 }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "rx adv release flag", { .op = ICA_OP_GROUP_RX_ADV, .flags = ICA_F_TXADD_RELEASE, .index = 7 }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "readback range ok", { .op = ICA_OP_READBACK, .index = 60, .index2 = 4 }, ICA_ST_OK, 0 },
		{ "readback range past end", { .op = ICA_OP_READBACK, .index = 60, .index2 = 5 }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX2 },
		{ "readback range 0", { .op = ICA_OP_READBACK, .index = 0 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX2 },
		{ "readback group ok", { .op = ICA_OP_READBACK, .flags = ICA_F_RB_GROUP, .index = 2 }, ICA_ST_OK, 0 },
		{ "readback group cursor", { .op = ICA_OP_READBACK, .flags = ICA_F_RB_GROUP, .index = 2, .a = 64 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "readback group > window", { .op = ICA_OP_READBACK, .flags = ICA_F_RB_GROUP, .index = 2, .index2 = ICA_RB_ENTRIES + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX2 },
		{ "dp tx ok", { .op = ICA_OP_DP_TX, .index = 1, .index2 = ICA_RB_ENTRIES }, ICA_ST_OK, 0 },
		{ "dp tx on inbound", { .op = ICA_OP_DP_TX, .index = 2, .index2 = 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX },
		{ "dp tx free", { .op = ICA_OP_DP_TX, .index = 9, .index2 = 1 }, ICA_ST_SLOT_FREE, ICA_FLD_INDEX },
		{ "dp rx ok", { .op = ICA_OP_DP_RX, .flags = ICA_F_RX_COMMIT, .index = 2, .a = M32 }, ICA_ST_OK, 0 },
		{ "dp rx wire > 32 bits", { .op = ICA_OP_DP_RX, .index = 2, .a = M32 + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "dp rx on outbound", { .op = ICA_OP_DP_RX, .index = 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX },
		{ "dp rx range", { .op = ICA_OP_DP_RX, .index = 64 }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX },
		{ "event drain args", { .op = ICA_OP_EVENT_DRAIN, .index2 = 1 }, ICA_ST_RESERVED, ICA_FLD_INDEX2 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint16_t field = 0xffff;
		int st;

		shadow_setup();
		st = fw_validate(&F, &v[i].c, &field);
		CHECK_EQ(st, v[i].status);
		CHECK_EQ(field, v[i].field);
		report("validate: %s", v[i].name);
	}
	/* Without the engine features the commands that need them are refused. */
	shadow_setup();
	F.eng.features = 0;
	{
		struct ica_cmd c = { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = 10, .index2 = 7 };
		uint16_t field;

		CHECK_EQ(fw_validate(&F, &c, &field), ICA_ST_BAD_FLAGS);
		c.flags = ICA_F_INSTALL_IN;
		CHECK_EQ(fw_validate(&F, &c, &field), ICA_ST_BAD_FLAGS);
		c = (struct ica_cmd){ .op = ICA_OP_DP_TX, .index = 1, .index2 = 1 };
		CHECK_EQ(fw_validate(&F, &c, &field), ICA_ST_BAD_OP);
		report("validate: %s", "features the engine lacks");
	}
}

/* ---- 2. execution on an engine model ------------------------------ */

struct irq_log { unsigned n; uint32_t peer[64], vec[64]; };
static struct irq_log irqs;

static void irq_cb(void *ctx, uint32_t peer, uint32_t vec)
{
	(void)ctx;
	if (irqs.n < 64) {
		irqs.peer[irqs.n] = peer;
		irqs.vec[irqs.n] = vec;
	}
	irqs.n++;
}

struct engine {
	const char *name;
	void *ctx;
	uint32_t (*rd32)(void *, uint32_t);
	void (*wr32)(void *, uint32_t, uint32_t);
};

static int boot(const struct engine *e)
{
	struct fw_platform p = {
		.rd32 = e->rd32, .wr32 = e->wr32, .bus_ctx = e->ctx, .irq = irq_cb,
		.bar = bar, .bar_size = sizeof(bar), .doorbell_peer = 0, .fw_build_id = 0x1234,
	};

	memset(&irqs, 0, sizeof(irqs));
	return fw_init(&F, &p);
}

static struct ica_cpl run(struct ica_cmd c)
{
	static struct ica_rb rb[ICA_RB_ENTRIES];
	struct ica_cpl cpl;

	fw_exec(&F, &c, &cpl, rb);
	return cpl;
}

static struct ica_queue *Q(unsigned i)
{
	return (struct ica_queue *)(void *)(bar + ICA_QTAB_OFF) + i;
}

static struct ica_cmd *cmd_ring(unsigned q)
{
	return (struct ica_cmd *)(void *)(bar + ICA_QMEM_OFF + q * ICA_QMEM_STRIDE + ICA_QMEM_CMD_OFF);
}

static struct ica_cpl *cpl_ring(unsigned q)
{
	return (struct ica_cpl *)(void *)(bar + ICA_QMEM_OFF + q * ICA_QMEM_STRIDE + ICA_QMEM_CPL_OFF);
}

static void t_exec(const struct engine *e)
{
	const struct ica_id *id = (const struct ica_id *)(const void *)bar;
	struct ica_cpl c;
	uint64_t ep;

	CHECK_EQ(boot(e), ICA_ST_OK);
	CHECK_EQ(id->magic, ICA_MAGIC);
	CHECK_EQ(id->state, ICA_STATE_READY);
	CHECK_EQ(id->abi_major, ICA_ABI_MAJOR);
	CHECK(id->num_sa >= 64 && id->num_group >= 8 && id->window >= 64);
	CHECK_EQ(id->fw_build_id, 0x1234);
	/* ABI 2.0: the doorbell page, inside the BAR and clear of every ring. */
	CHECK_EQ(id->db_off, ICA_DB_OFF);
	CHECK_EQ(id->db_stride, ICA_DB_STRIDE);
	CHECK(id->db_off >= id->evring_off + id->ev_entries * sizeof(struct ica_ev) &&
	      id->db_off + id->num_queues * id->db_stride <= id->qmem_off);
	report("%s: boot publishes the identity block", e->name);

	c = run((struct ica_cmd){ .op = ICA_OP_IDENTIFY, .tag = 77 });
	CHECK_EQ(c.status, ICA_ST_OK);
	CHECK_EQ(c.tag, 77);
	ep = c.v[0];
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .index = 5, .index2 = 1, .a = 10, .b = 20, .c = 15 });
	CHECK_EQ(c.status, ICA_ST_OK);
	CHECK_EQ(c.v[0], ep);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_READ, .index = 5 });
	CHECK_EQ(c.w0, ICA_SF_VALID | (1u << 16));
	CHECK_EQ(c.v[0], 10);
	CHECK_EQ(c.v[1], 20);
	CHECK_EQ(c.v[2], 15);
	c = run((struct ica_cmd){ .op = ICA_OP_GROUP_TX_ADD, .index = 1, .a = 5 });
	CHECK_EQ(c.status, ICA_ST_OK);
	CHECK_EQ(c.v[0], ep + 1);
	c = run((struct ica_cmd){ .op = ICA_OP_GROUP_TX_ADD, .index = 1, .a = 6 });
	CHECK_EQ(c.status, ICA_ST_OVERFLOW);
	CHECK_EQ(c.v[0], 0);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_READ, .index = 5 });
	CHECK_EQ(c.v[0], 15);
	c = run((struct ica_cmd){ .op = ICA_OP_DP_TX, .index = 5, .index2 = 7 });
	CHECK_EQ(c.status, ICA_ST_OK);
	CHECK_EQ(c.v[0], 5);       /* 16..20 issued, then exhausted */
	CHECK_EQ(c.v[1], 16);
	CHECK_EQ(c.v[2], 20);
	CHECK_EQ(c.v[4], ICA_DP_EXHAUSTED);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_REMOVE, .index = 5 });
	CHECK_EQ(c.status, ICA_ST_OK);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_REMOVE, .index = 5 });
	CHECK_EQ(c.status, ICA_ST_SLOT_FREE);
	report("%s: install, add, overflow refusal, injector, remove", e->name);

	/* A command the engine refuses leaves the firmware's shadow alone:
	 * the ESN mismatch comes from the firmware, SLOT_LIVE too. */
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = 6, .index2 = 2 });
	CHECK_EQ(c.status, ICA_ST_OK);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .index = 7, .index2 = 2 });
	CHECK_EQ(c.status, ICA_ST_ESN_MISMATCH);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_READ, .index = 7 });
	CHECK_EQ(c.w0 & ICA_SF_VALID, 0);
	/* Reboot over a live engine: the shadow is rebuilt from it. */
	{
		struct fw_platform p = F.p;

		CHECK_EQ(fw_init(&F, &p), ICA_ST_OK);
	}
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = 6, .index2 = 2 });
	CHECK_EQ(c.status, ICA_ST_SLOT_LIVE);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .index = 7, .index2 = 2 });
	CHECK_EQ(c.status, ICA_ST_ESN_MISMATCH);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_REMOVE, .index = 6 });
	CHECK_EQ(c.status, ICA_ST_OK);
	report("%s: shadow state survives a firmware reboot", e->name);

	/* Rings: two commands published on queue 3 by peer 9. */
	{
		struct ica_queue *q = Q(3);
		struct ica_ev *ev = (struct ica_ev *)(void *)(bar + ICA_EVRING_OFF);
		const struct ica_ctrl *ctrl = (const struct ica_ctrl *)(const void *)(bar + ICA_CTRL_OFF);
		uint32_t evp0 = ctrl->ev_prod;

		q->owner_tag = ICA_TAG_MAKE(9, 1);
		q->irq_enable = 1;
		cmd_ring(3)[0] = (struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .tag = 1, .index = 8, .index2 = 4, .a = 1, .b = 3 };
		cmd_ring(3)[1] = (struct ica_cmd){ .op = ICA_OP_GROUP_TX_ADD, .tag = 2, .index = 4, .a = 9 };
		q->cmd_prod = 2;
		irqs.n = 0;
		CHECK_EQ(fw_poll(&F), 2);
		CHECK_EQ(q->cmd_cons, 2);
		CHECK_EQ(q->cpl_prod, 2);
		CHECK_EQ(cpl_ring(3)[0].tag, 1);
		CHECK_EQ(cpl_ring(3)[1].status, ICA_ST_OVERFLOW);
		/* The refusal event is in the ring before the completion, and
		 * both interrupts went out: completion to peer 9, event to all. */
		CHECK_EQ(ctrl->ev_prod, evp0 + 1);
		CHECK_EQ(ev[(evp0 + 1) & (ICA_EV_ENTRIES - 1)].type, ICA_EV_OVERFLOW);
		CHECK_EQ(ev[(evp0 + 1) & (ICA_EV_ENTRIES - 1)].value, 9);
		CHECK_EQ(ev[(evp0 + 1) & (ICA_EV_ENTRIES - 1)].seq, evp0 + 1);
		CHECK(irqs.n >= 2);
		CHECK(irqs.peer[0] == FW_PEER_ALL && irqs.vec[0] == ICA_VEC_EVENT);
		CHECK(irqs.peer[irqs.n - 1] == 9 && irqs.vec[irqs.n - 1] == ICA_VEC_COMPLETION);
		report("%s: queue processing, events before completions, interrupts", e->name);

		/* A full completion ring stops the queue until the host reads. */
		q->cpl_cons = 2;
		{
			uint32_t k;

			for (k = 0; k < ICA_CPL_ENTRIES + 10; k++)
				cmd_ring(3)[(2 + k) % ICA_CMD_ENTRIES] = (struct ica_cmd){ .op = ICA_OP_NOP, .tag = 100 + k };
			q->cmd_prod = 2 + ICA_CMD_ENTRIES;
			while (fw_poll(&F))
				;
			CHECK_EQ(q->cpl_prod, 2 + ICA_CPL_ENTRIES);
			CHECK_EQ(q->cmd_cons, 2 + ICA_CPL_ENTRIES);
			q->cpl_cons = 2 + ICA_CPL_ENTRIES;   /* host consumed all */
			while (fw_poll(&F))
				;
			CHECK_EQ(q->cmd_cons, 2 + ICA_CMD_ENTRIES);
		}
		report("%s: completion ring full stalls, then resumes", e->name);

		/* A host that publishes more than the ring holds is flagged. */
		q->cmd_prod = q->cmd_cons + ICA_CMD_ENTRIES + 1;
		CHECK_EQ(fw_poll(&F), 0);
		CHECK(q->qerr & ICA_QERR_BAD_PROD);
		/* Its peer disconnects: pending commands dropped, queue freed. */
		fw_peer_gone(&F, 9);
		CHECK_EQ(q->owner_tag, 0);
		CHECK_EQ(q->cmd_cons, q->cmd_prod);
		q->owner_tag = ICA_TAG_MAKE(10, 2);   /* next owner: errors cleared */
		CHECK_EQ(fw_poll(&F), 0);
		CHECK_EQ(q->qerr, 0);
		q->owner_tag = 0;
		report("%s: bad producer flagged, peer gone frees the queue", e->name);
	}
	c = run((struct ica_cmd){ .op = ICA_OP_SELFTEST });
	CHECK_EQ(c.status, ICA_ST_OK);
	CHECK_EQ(c.v[0], 0);
	CHECK_EQ(c.v[1], 0);
	report("%s: self-test passes", e->name);
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_REMOVE, .index = 8 });
	fw_shutdown(&F);
	CHECK_EQ(id->state, ICA_STATE_STOPPED);
	report("%s: shutdown", e->name);
}

/* ---- 3. faults (fake engine only) -------------------------------- */

static struct fake_engine FE;

static void t_faults(void)
{
	struct engine e = { "fake", &FE, fe_rd32, fe_wr32 };
	const struct ica_id *id = (const struct ica_id *)(const void *)bar;
	struct ica_cpl c;

	fe_init(&FE, 64, 8, 64);
	FE.break_list = 1;
	CHECK_EQ(boot(&e), ICA_ST_HW_ERROR);
	CHECK_EQ(id->state, ICA_STATE_FAILED);
	CHECK_EQ(id->fail_code, ICA_ST_HW_ERROR);
	CHECK_EQ(fw_poll(&F), 0);
	report("faults: %s", "looping block list refused at boot");

	fe_init(&FE, 64, 8, 64);
	CHECK_EQ(boot(&e), ICA_ST_OK);
	F.spin_limit = 50;
	FE.stuck_busy = 1;
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .index = 3, .index2 = 1, .tag = 5 });
	CHECK_EQ(c.status, ICA_ST_HW_ERROR);
	CHECK_EQ(c.tag, 5);
	FE.stuck_busy = 0;
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_READ, .index = 3 });
	CHECK_EQ(c.w0 & ICA_SF_VALID, 0);   /* nothing installed, shadow clean */
	c = run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .index = 3, .index2 = 1 });
	CHECK_EQ(c.status, ICA_ST_OK);
	report("faults: %s", "stuck mailbox is a HW_ERROR and changes nothing");

	fe_init(&FE, FW_MAX_SA + 1, 8, 64);
	CHECK_EQ(boot(&e), ICA_ST_HW_ERROR);
	fe_init(&FE, 64, 8, 48);
	CHECK_EQ(boot(&e), ICA_ST_HW_ERROR);
	report("faults: %s", "engine larger than the firmware's state refused");

	/* Engine FIFO overflow reaches the host as a LOST event. */
	fe_init(&FE, 64, 8, 64);
	CHECK_EQ(boot(&e), ICA_ST_OK);
	{
		const struct ica_ctrl *ctrl = (const struct ica_ctrl *)(const void *)(bar + ICA_CTRL_OFF);
		const struct ica_ev *ev = (const struct ica_ev *)(const void *)(bar + ICA_EVRING_OFF);
		unsigned k;

		run((struct ica_cmd){ .op = ICA_OP_SLOT_INSTALL, .index = 1, .index2 = 1, .a = 5, .b = 6 });
		for (k = 0; k < FE_EVT_DEPTH + 3; k++)
			run((struct ica_cmd){ .op = ICA_OP_GROUP_TX_ADD, .index = 1, .a = 10 + k });
		c = run((struct ica_cmd){ .op = ICA_OP_EVENT_DRAIN });
		CHECK_EQ(c.status, ICA_ST_OK);
		CHECK_EQ(c.w0, FE_EVT_DEPTH + 1);
		CHECK_EQ(c.v[0], 3);
		CHECK_EQ(ev[ctrl->ev_prod & (ICA_EV_ENTRIES - 1)].type, ICA_EV_LOST);
		CHECK_EQ(ev[ctrl->ev_prod & (ICA_EV_ENTRIES - 1)].value, 3);
		CHECK_EQ(ctrl->ev_lost_card, 3);
	}
	report("faults: %s", "engine event FIFO overflow reported as LOST");
}

int main(void)
{
	struct engine fake = { "fake engine", &FE, fe_rd32, fe_wr32 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_validation();
#ifdef HAVE_GOLDEN
	{
		struct isq_golden_params p;
		struct isq_golden *g;
		struct isq_bus b;

		isq_golden_default_params(&p);
		g = isq_golden_new(&p);
		if (!g) {
			t_fail = 1;
			report("%s", "golden model creation");
		} else {
			struct engine ge;

			isq_golden_bus(g, &b);
			ge = (struct engine){ "golden model", b.ctx, b.rd32, b.wr32 };
			t_exec(&ge);
			isq_golden_free(g);
		}
	}
#else
	printf("skip golden model: sim/ did not build ISQ_GOLDEN_LIB\n");
#endif
#ifdef HAVE_RTL
	{
		struct isq_tb *tb = isq_tb_new();
		struct isq_bus b;

		if (!tb) {
			t_fail = 1;
			report("%s", "Verilated engine creation");
		} else {
			struct engine re;

			isq_tb_bus(tb, &b);
			re = (struct engine){ "Verilated RTL", b.ctx, b.rd32, b.wr32 };
			t_exec(&re);
			isq_tb_free(tb);
		}
	}
#else
	printf("skip Verilated RTL: not in this build (sim/ ISQ_TB_LIB absent, or a sanitizer build)\n");
#endif
	fe_init(&FE, 4096, 1024, 64);
	t_exec(&fake);
	t_faults();
	printf("firmware: %u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
