/* fw_ring.c — card memory: identity block, queue pairs, completions, the
 * event ring and interrupts. The firmware is the only writer of every
 * card-owned index; host-owned indices are read once per use and checked. */
#include "fw.h"

#include "fw_csr.h"
#include "fw_engine.h"

#define CMD_MASK (ICA_CMD_ENTRIES - 1u)
#define CPL_MASK (ICA_CPL_ENTRIES - 1u)
#define EV_MASK  (ICA_EV_ENTRIES - 1u)
#define QUEUE_BUDGET 64u   /* commands per queue per pass: no queue starves another */

void fw_memset(void *d, int c, uint32_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
}

void fw_memcpy(void *d, const void *s, uint32_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
}

static uint32_t ld_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static struct ica_id *id_blk(struct fw *fw)
{
	return (struct ica_id *)(void *)(fw->p.bar + ICA_ID_OFF);
}

static struct ica_ctrl *ctrl_blk(struct fw *fw)
{
	return (struct ica_ctrl *)(void *)(fw->p.bar + ICA_CTRL_OFF);
}

static struct ica_queue *qtab(struct fw *fw, uint32_t i)
{
	return (struct ica_queue *)(void *)(fw->p.bar + ICA_QTAB_OFF) + i;
}

static uint8_t *qmem(struct fw *fw, uint32_t i)
{
	return fw->p.bar + ICA_QMEM_OFF + i * ICA_QMEM_STRIDE;
}

static void irq(struct fw *fw, uint32_t peer, uint32_t vec)
{
	if (fw->p.irq)
		fw->p.irq(fw->p.irq_ctx, peer, vec);
}

/* Publish one event: zero seq, fence, body, then seq (readers validate seq
 * before and after their copy, so a reader never takes a torn entry). */
static void ev_publish(struct fw *fw, uint16_t type, uint32_t index, uint64_t value, uint64_t epoch)
{
	uint32_t seq = fw->ev_prod + 1u;
	struct ica_ev *e;

	if (seq == 0)
		seq = 1;
	e = (struct ica_ev *)(void *)(fw->p.bar + ICA_EVRING_OFF) + (seq & EV_MASK);
	__atomic_store_n(&e->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	e->type = type;
	e->rsvd = 0;
	e->index = index;
	e->rsvd2 = 0;
	e->value = value;
	e->epoch = epoch;
	st_rel(&e->seq, seq);
	fw->ev_prod = seq;
	st_rel(&ctrl_blk(fw)->ev_prod, seq);
}

uint32_t fw_ev_pump(struct fw *fw, uint32_t max)
{
	uint32_t n = 0, lost = 0, h, cnt;
	uint64_t value, epoch;

	if (!(fw->eng.features & FW_FEAT_EVENTS))
		return 0;
	cnt = fw_ev_count(fw);
	while (cnt && n < max) {
		fw_ev_head(fw, &h, &value, &epoch);
		ev_publish(fw, (uint16_t)(h & 0xffu), h >> 16, value, epoch);
		n++;
		if (--cnt == 0)
			cnt = fw_ev_count(fw);
	}
	lost = fw_ev_take_dropped(fw);
	if (lost) {
		ev_publish(fw, ICA_EV_LOST, 0, lost, 0);
		ctrl_blk(fw)->ev_lost_card += lost;
		n++;
	}
	if (n)
		irq(fw, FW_PEER_ALL, ICA_VEC_EVENT);
	return lost;
}

/* Rebuild the slot/group shadow from the engine, so a firmware restart
 * over a running engine keeps validating correctly. */
static int shadow_rebuild(struct fw *fw)
{
	uint32_t s, a[1], r[9];
	int st;

	fw_memset(fw->slot, 0, sizeof(fw->slot));
	fw_memset(fw->grp_nslots, 0, sizeof(fw->grp_nslots));
	fw_memset(fw->grp_esn, 0, sizeof(fw->grp_esn));
	for (s = 0; s < fw->eng.num_sa; s++) {
		a[0] = s;
		st = fw_mb_exec(fw, FW_MBOP_SLOT_READ, a, 1, r, 9);
		if (st)
			return st;
		if (!(r[0] & ICA_SF_VALID))
			continue;
		if ((r[0] >> 16) >= fw->eng.num_group)
			return ICA_ST_HW_ERROR;
		fw->slot[s].valid = 1;
		fw->slot[s].dir_in = !!(r[0] & ICA_SF_DIR_IN);
		fw->slot[s].esn = !!(r[0] & ICA_SF_ESN);
		fw->slot[s].group = (uint16_t)(r[0] >> 16);
		fw->grp_esn[fw->slot[s].group] = fw->slot[s].esn;
		fw->grp_nslots[fw->slot[s].group]++;
	}
	return ICA_ST_OK;
}

int fw_init(struct fw *fw, const struct fw_platform *p)
{
	struct ica_id *id;
	int st;

	fw_memset(fw, 0, sizeof(*fw));
	fw->p = *p;
	if (!p->bar || p->bar_size < ICA_BAR_SIZE)
		return ICA_ST_HW_ERROR;
	id = id_blk(fw);
	fw_memset(fw->p.bar, 0, ICA_QMEM_OFF);
	st_rel(&id->state, ICA_STATE_BOOTING);
	id->magic = ICA_MAGIC;
	id->abi_major = p->abi_major ? p->abi_major : ICA_ABI_MAJOR;
	id->abi_minor = p->abi_major ? p->abi_minor : ICA_ABI_MINOR;
	id->id_size = sizeof(*id);
	id->bar_size = ICA_BAR_SIZE;
	id->fw_build_id = p->fw_build_id;
	id->doorbell_peer = p->doorbell_peer;
	st = fw_eng_discover(fw);
	if (st == ICA_ST_OK)
		st = shadow_rebuild(fw);
	if (st != ICA_ST_OK) {
		id->fail_code = (uint32_t)st;
		st_rel(&id->state, ICA_STATE_FAILED);
		return st;
	}
	id->num_sa = fw->eng.num_sa;
	id->num_group = fw->eng.num_group;
	id->window = fw->eng.window;
	id->caps = ICA_CAP_SELFTEST |
		((fw->eng.features & FW_FEAT_ESN) ? ICA_CAP_ESN : 0) |
		((fw->eng.features & FW_FEAT_INBOUND) ? ICA_CAP_INBOUND : 0) |
		((fw->eng.features & FW_FEAT_INJECTOR) ? ICA_CAP_INJECTOR : 0) |
		((fw->eng.features & FW_FEAT_EVENTS) ? ICA_CAP_EVENTS : 0);
	id->rtl_build_id = fw->eng.build_id;
	id->rtl_version = fw->eng.version;
	ica_id_set_geometry(id);
	id->dp_latency = fw->eng.dp_latency;
	id->evt_depth = fw->eng.evt_depth;
	/* Events raised before boot (none after reset) are published now. */
	(void)fw_ev_pump(fw, 0xffffffffu);
	st_rel(&id->state, ICA_STATE_READY);
	return ICA_ST_OK;
}

static int raises_events(uint8_t op)
{
	return op == ICA_OP_GROUP_TX_ADD || op == ICA_OP_GROUP_RX_ADV || op == ICA_OP_DP_TX ||
	       op == ICA_OP_DP_RX || op == ICA_OP_SELFTEST;
}

static unsigned q_process(struct fw *fw, uint32_t i)
{
	struct ica_queue *qt = qtab(fw, i);
	struct fw_queue *fq = &fw->q[i];
	uint8_t *mem = qmem(fw, i);
	struct ica_rb *rb = (struct ica_rb *)(void *)(mem + ICA_QMEM_RB_OFF);
	uint32_t tag = ld_acq(&qt->owner_tag), prod, ccons;
	unsigned done = 0;

	if (tag != fq->last_tag) {
		/* A new owner starts without the previous owner's sticky errors. */
		fq->last_tag = tag;
		st_rel(&qt->qerr, 0);
	}
	if (!(tag & ICA_TAG_VALID))
		return 0;
	prod = ld_acq(&qt->cmd_prod);
	if (prod - fq->cmd_cons > ICA_CMD_ENTRIES) {
		st_rel(&qt->qerr, qt->qerr | ICA_QERR_BAD_PROD);
		return 0;
	}
	while (fq->cmd_cons != prod && done < QUEUE_BUDGET) {
		const volatile uint32_t *src;
		volatile uint32_t *dst;
		struct ica_cmd cmd;
		struct ica_cpl cpl;
		uint32_t *w, k;

		ccons = ld_acq(&qt->cpl_cons);
		if (fq->cpl_prod - ccons > ICA_CPL_ENTRIES) {
			st_rel(&qt->qerr, qt->qerr | ICA_QERR_BAD_CONS);
			break;
		}
		if (fq->cpl_prod - ccons == ICA_CPL_ENTRIES)
			break;  /* completion ring full: wait for the host */
		/* Copy the command out of host-writable memory once; validate
		 * and execute only the copy. */
		src = (const volatile uint32_t *)(const void *)
			(mem + ICA_QMEM_CMD_OFF + (fq->cmd_cons & CMD_MASK) * sizeof(struct ica_cmd));
		w = (uint32_t *)(void *)&cmd;
		for (k = 0; k < sizeof(cmd) / 4; k++)
			w[k] = src[k];
		fw_exec(fw, &cmd, &cpl, rb);
		dst = (volatile uint32_t *)(void *)
			(mem + ICA_QMEM_CPL_OFF + (fq->cpl_prod & CPL_MASK) * sizeof(struct ica_cpl));
		w = (uint32_t *)(void *)&cpl;
		for (k = 0; k < sizeof(cpl) / 4; k++)
			dst[k] = w[k];
		/* Events a command raised go to the ring before its completion,
		 * so a host that sees the completion can drain them. */
		if ((fw->eng.features & FW_FEAT_EVENTS) && raises_events(cmd.op) && fw_ev_count(fw))
			(void)fw_ev_pump(fw, 0xffffffffu);
		fq->cpl_prod++;
		fq->cmd_cons++;
		st_rel(&qt->cpl_prod, fq->cpl_prod);
		st_rel(&qt->cmd_cons, fq->cmd_cons);
		done++;
	}
	if (done) {
		qt->cmds_done += done;
		if (ld_acq(&qt->irq_enable) & 1u)
			irq(fw, ICA_TAG_PEER(tag), ICA_VEC_COMPLETION);
	}
	return done;
}

unsigned fw_poll(struct fw *fw)
{
	struct ica_ctrl *ctrl = ctrl_blk(fw);
	unsigned total = 0, k;

	if (id_blk(fw)->state != ICA_STATE_READY)
		return 0;
	st_rel(&ctrl->heartbeat, ctrl->heartbeat + 1u);
	if ((fw->eng.features & FW_FEAT_EVENTS) && fw_ev_count(fw))
		(void)fw_ev_pump(fw, 64);
	for (k = 0; k < ICA_NUM_QUEUES; k++)
		total += q_process(fw, (fw->rr + k) % ICA_NUM_QUEUES);
	fw->rr = (fw->rr + 1u) % ICA_NUM_QUEUES;
	if (total)
		st_rel(&ctrl->cmds_done, ctrl->cmds_done + total);
	return total;
}

/* A host peer is gone: its queues' unexecuted commands are dropped whole
 * (each command is all-or-nothing, so the engine state is consistent) and
 * the queues become free. */
void fw_peer_gone(struct fw *fw, uint32_t peer)
{
	uint32_t i;

	for (i = 0; i < ICA_NUM_QUEUES; i++) {
		struct ica_queue *qt = qtab(fw, i);
		uint32_t tag = ld_acq(&qt->owner_tag);

		if (!(tag & ICA_TAG_VALID) || ICA_TAG_PEER(tag) != (peer & 0xffffu))
			continue;
		fw->q[i].cmd_cons = ld_acq(&qt->cmd_prod);
		st_rel(&qt->cmd_cons, fw->q[i].cmd_cons);
		qt->claims++;
		/* No other host claims a queue with a valid tag, so a plain
		 * store frees it (and rv32imc has no atomic read-modify-write). */
		st_rel(&qt->owner_tag, 0);
	}
}

void fw_doorbell(struct fw *fw)
{
	struct ica_ctrl *ctrl = ctrl_blk(fw);

	st_rel(&ctrl->doorbells, ctrl->doorbells + 1u);
}

void fw_shutdown(struct fw *fw)
{
	st_rel(&id_blk(fw)->state, ICA_STATE_STOPPED);
	irq(fw, FW_PEER_ALL, ICA_VEC_COMPLETION);
}
