/* rt_common.c — the RTL-versus-golden harness of rt_common.h. */
#include "rt_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rt_rand(struct rt *t)
{
	/* xorshift64*: small, fast, reproducible from the printed seed */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dull;
}

void rt_fail(struct rt *t, const char *fmt, ...)
{
	va_list ap;

	t->n_mismatch++;
	if (t->n_mismatch > t->max_report)
		return;
	fprintf(stderr, "  MISMATCH at cycle %llu: ", (unsigned long long)isq_tb_cycles(t->tb));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct rt_item *q_push(struct rt *t)
{
	struct rt_item *it;

	if (t->qn == RT_QLEN) {
		fprintf(stderr, "rt: queue overflow\n");
		abort();
	}
	it = &t->q[(t->qh + t->qn) % RT_QLEN];
	t->qn++;
	memset(it, 0, sizeof(*it));
	return it;
}

/* A mailbox operation reaches the golden model at its place in the order. */
static void apply_group(struct rt *t, const struct rt_item *it)
{
	memset(t->g_res, 0, sizeof(t->g_res));
	memset(t->g_bmp, 0, sizeof(t->g_bmp));
	t->g_rc = isq_golden_mb(t->g, it->gop, it->garg, t->g_res, t->g_bmp);
	t->g_applied = 1;
	if ((it->gop == ISQ_OP_SLOT_INSTALL || it->gop == ISQ_OP_SLOT_CLEAR) && t->g_rc == ISQ_RC_OK)
		t->have_tx[it->garg[0]] = 0; /* a new SA in this slot */
}

/* No-reuse: a slot's issued numbers strictly increase from its install, in
 * the engine's order (packet port and injector together). */
static void check_issue(struct rt *t, uint32_t slot, uint64_t seq, const char *via)
{
	if (t->have_tx[slot] && seq <= t->last_tx[slot])
		rt_fail(t, "slot %u issued 0x%llx (%s) after 0x%llx", slot, (unsigned long long)seq, via,
			(unsigned long long)t->last_tx[slot]);
	t->last_tx[slot] = seq;
	t->have_tx[slot] = 1;
}

static uint32_t di_gold(struct rt *t, uint32_t reg)
{
	return isq_golden_rd32(t->g, ISQ_DI_BASE + reg);
}

/* An injector operation reaches the golden model where the arbiter admitted
 * it; its result waits in the golden model's FIFO for the RTL's. */
static void apply_inj(struct rt *t, const struct rt_item *it)
{
	struct isq_dp_result r;
	uint32_t slot;
	unsigned op;

	if (isq_golden_inj_issue(t->g, &op, &slot, &r)) {
		rt_fail(t, "injector operation admitted in cycle %llu: the golden injector has nothing "
			"to issue or its result FIFO is full", (unsigned long long)it->cycle);
		return;
	}
	t->n_inj++;
	if (di_gold(t, ISQ_DI_RES_COUNT) == isq_tb_inj_depth(t->tb))
		t->n_inj_full++;
	/* the golden number stands for the RTL's: rt_inj_pop compares them */
	if (op == ISQ_DPOP_TX_NEXT && r.status == ISQ_DP_OK) {
		t->n_inj_ok++;
		check_issue(t, slot, r.seq, "injector");
	}
}

static void apply_di_wr(struct rt *t, const struct rt_item *it)
{
	uint32_t busy = di_gold(t, ISQ_DI_STATUS) & ISQ_DI_STATUS_BUSY_MASK;

	isq_golden_wr32(t->g, ISQ_DI_BASE + it->off, it->val);
	if (it->off == ISQ_DI_CTRL && (it->val & 1u)) {
		if (!busy && (di_gold(t, ISQ_DI_STATUS) & ISQ_DI_STATUS_BUSY_MASK))
			t->n_inj_start++;
		else
			t->n_inj_refused++;
	}
}

/* Apply what precedes the oldest packet-port operation still in flight. */
static void drain_markers(struct rt *t)
{
	while (t->qn && t->q[t->qh].kind != RT_DP) {
		const struct rt_item *it = &t->q[t->qh];

		if (it->kind == RT_MB)
			apply_group(t, it);
		else if (it->kind == RT_INJ)
			apply_inj(t, it);
		else
			apply_di_wr(t, it);
		t->qh = (t->qh + 1) % RT_QLEN;
		t->qn--;
	}
}

static int drv_next(void *arg, struct isq_tb_req *req)
{
	struct rt *t = arg;
	uint64_t now = isq_tb_cycles(t->tb);
	struct rt_item *it;

	/* The last cycle's events, in the order of the engine: an injector
	 * operation admitted; or the engine stalled in the cycle after a
	 * mailbox CMD write, the bubble that is the operation's place; and then
	 * this cycle's write to an injector register. */
	if (isq_tb_last_inj_accept(t->tb)) {
		it = q_push(t);
		it->kind = RT_INJ;
		it->cycle = now - 1;
		/* its result enters the FIFO DP_LATENCY cycles after admission:
		 * a RES_COUNT read from cycle now + DP_LATENCY on counts it */
		t->inj_settle = now + ISQ_DP_LATENCY;
	} else if (t->armed && !isq_tb_last_ready(t->tb) && now > t->arm_cycle) {
		it = q_push(t);
		it->kind = RT_MB;
		it->gop = t->arm_op;
		memcpy(it->garg, t->arm_arg, sizeof(it->garg));
		t->armed = 0;
	}
	if (t->di_pend) {
		it = q_push(t);
		it->kind = RT_DI_WR;
		it->off = t->di_off;
		it->val = t->di_val;
		t->di_pend = 0;
	}
	if (!t->have_cur) {
		if (t->paused || !t->gen || !t->gen(t, &t->cur))
			return 0;
		t->cur.tag = t->next_tag++;
		t->have_cur = 1;
	}
	*req = t->cur;
	return 1;
}

static void drv_accepted(void *arg, const struct isq_tb_req *req, uint64_t cycle)
{
	struct rt *t = arg;
	struct rt_item *it = q_push(t);

	it->kind = RT_DP;
	it->req = *req;
	it->cycle = cycle;
	t->have_cur = 0;
	t->n_acc++;
}

static void drv_result(void *arg, const struct isq_tb_res *res)
{
	struct rt *t = arg;
	struct rt_item *it;
	struct isq_dp_result gr;

	drain_markers(t);
	if (!t->qn) {
		rt_fail(t, "result with nothing outstanding (tag %u)", res->tag);
		return;
	}
	it = &t->q[t->qh];
	t->qh = (t->qh + 1) % RT_QLEN;
	t->qn--;
	t->n_dp++;
	if (res->cycle - it->cycle < t->lat_min)
		t->lat_min = res->cycle - it->cycle;
	if (res->cycle - it->cycle > t->lat_max)
		t->lat_max = res->cycle - it->cycle;
	isq_golden_dp(t->g, it->req.op, it->req.slot, it->req.seq, &gr);
	if (res->tag != it->req.tag || res->slot != it->req.slot || res->op != it->req.op)
		rt_fail(t, "result out of order: tag %u slot %u, expected tag %u slot %u", res->tag,
			res->slot, it->req.tag, it->req.slot);
	if (res->status != gr.status || res->seq != gr.seq || res->epoch != gr.epoch)
		rt_fail(t, "op %u slot %u seq 0x%llx: RTL status %u seq 0x%llx epoch %llu, golden status %u seq 0x%llx epoch %llu",
			it->req.op, it->req.slot, (unsigned long long)it->req.seq, res->status,
			(unsigned long long)res->seq, (unsigned long long)res->epoch, gr.status,
			(unsigned long long)gr.seq, (unsigned long long)gr.epoch);
	if (res->epoch < t->last_epoch)
		rt_fail(t, "epoch went back from %llu to %llu", (unsigned long long)t->last_epoch,
			(unsigned long long)res->epoch);
	if (res->epoch != t->last_epoch)
		t->n_epoch_edges++;
	t->last_epoch = res->epoch;
	if (it->req.op == ISQ_DPOP_TX_NEXT && res->status == ISQ_DP_OK) {
		t->n_dp_ok++;
		check_issue(t, res->slot, res->seq, "packet port");
	}
	if (t->obs)
		t->obs(t, res, &gr);
}

static struct isq_tb_driver g_drv;

int rt_open(struct rt *t, uint64_t seed)
{
	struct isq_golden_params p;

	memset(t, 0, sizeof(*t));
	t->rng = seed ? seed : 1;
	t->max_report = 20;
	t->lat_min = ~0ull;
	t->tb = isq_tb_new();
	if (!t->tb)
		return -1;
	isq_golden_default_params(&p);
	p.num_sa = isq_tb_num_sa(t->tb);
	p.num_group = isq_tb_num_group(t->tb);
	p.window = isq_tb_window(t->tb);
	p.evt_depth = isq_tb_evt_depth(t->tb);
	p.inj_depth = isq_tb_inj_depth(t->tb);
	t->g = isq_golden_new(&p);
	if (t->g)
		isq_golden_inj_manual(t->g, 1);   /* issued where the RTL admits them */
	t->last_tx = calloc(p.num_sa, sizeof(*t->last_tx));
	t->have_tx = calloc(p.num_sa, 1);
	if (!t->g || !t->last_tx || !t->have_tx)
		return -1;
	isq_tb_bus(t->tb, &t->bus);
	g_drv.next = drv_next;
	g_drv.accepted = drv_accepted;
	g_drv.result = drv_result;
	g_drv.arg = t;
	isq_tb_set_driver(t->tb, &g_drv);
	return 0;
}

void rt_close(struct rt *t)
{
	isq_tb_free(t->tb);
	isq_golden_free(t->g);
	free(t->last_tx);
	free(t->have_tx);
}

void rt_tick(struct rt *t, unsigned n)
{
	isq_tb_tick(t->tb, n);
}

/* Whether anything is in flight: a request, a result, an injector result
 * not yet in its FIFO, or an injector run with room in its FIFO (as the
 * golden model, which has run everything admitted, sees it). */
static int busy(struct rt *t)
{
	return t->have_cur || t->qn || isq_tb_cycles(t->tb) < t->inj_settle ||
	       ((di_gold(t, ISQ_DI_STATUS) & ISQ_DI_STATUS_BUSY_MASK) &&
		di_gold(t, ISQ_DI_RES_COUNT) < isq_tb_inj_depth(t->tb));
}

void rt_quiesce(struct rt *t)
{
	unsigned n = 0;
	int was = t->paused;

	t->paused = 1;
	while (busy(t) && n++ < 100000) {
		rt_tick(t, 1);
		drain_markers(t);
	}
	if (busy(t))
		rt_fail(t, "data path did not go idle");
	t->paused = was;
}

static unsigned rtl_mb(struct rt *t, unsigned op, const uint32_t arg[8], uint32_t res[16],
		       uint32_t bmp[32])
{
	uint32_t st, done0, i;
	unsigned n = 0;
	uint64_t c_cmd;

	do
		st = isq_tb_rd32(t->tb, ISQ_MB_BASE + ISQ_MB_STATUS);
	while (st & ISQ_MB_STATUS_BUSY_MASK);
	done0 = ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE);
	for (i = 0; i < 8; i++)
		isq_tb_wr32(t->tb, ISQ_MB_BASE + ISQ_MB_ARG(i), arg[i]);
	{
		t->armed = 1;
		t->arm_op = op;
		memcpy(t->arm_arg, arg, sizeof(t->arm_arg));
		t->arm_cycle = isq_tb_cycles(t->tb);
	}
	c_cmd = isq_tb_cycles(t->tb);   /* the CMD write runs in this cycle */
	isq_tb_wr32(t->tb, ISQ_MB_BASE + ISQ_MB_CMD, op);
	t->mb_stolen = 0;
	do {
		st = isq_tb_rd32(t->tb, ISQ_MB_BASE + ISQ_MB_STATUS);
		t->mb_stolen += !isq_tb_last_ready(t->tb) && !isq_tb_last_inj_accept(t->tb);
		if (++n > 1000000) {
			fprintf(stderr, "rt: mailbox op %u never completed\n", op);
			abort();
		}
	} while ((st & ISQ_MB_STATUS_BUSY_MASK) || ISQ_FIELD_GET(st, ISQ_MB_STATUS_DONE) == done0);
	/* the read that saw the result ran in the cycle after the last busy one */
	t->mb_cycles = isq_tb_cycles(t->tb) - 2 - c_cmd;
	for (i = 0; i < 16 && res; i++)
		res[i] = isq_tb_rd32(t->tb, ISQ_MB_BASE + ISQ_MB_RES(i));
	for (i = 0; i < 32 && bmp; i++)
		bmp[i] = isq_tb_rd32(t->tb, ISQ_MB_BASE + ISQ_MB_BMP(i));
	return ISQ_FIELD_GET(st, ISQ_MB_STATUS_RC);
}

int rt_mb(struct rt *t, unsigned op, const uint32_t arg[8], uint32_t res[16])
{
	uint32_t rres[16], gres[16] = { 0 }, rbmp[32], gbmp[32] = { 0 };
	unsigned rrc, grc, i, n = 0;
	int bad = 0, was = t->paused;

	/* GROUP_READ takes the data path for two cycles and reads the state of
	 * the first: like the group operations it is compared at its bubble,
	 * also under full-rate traffic. */
	t->g_applied = 0;
	rrc = rtl_mb(t, op, arg, rres, op == ISQ_OP_SLOT_READ ? rbmp : NULL);
	if (t->armed) {
		/* no stall: done or refused at decode, which changes nothing */
		struct rt_item it;

		t->armed = 0;
		memset(&it, 0, sizeof(it));
		it.gop = op;
		memcpy(it.garg, arg, sizeof(it.garg));
		apply_group(t, &it);
	} else {
		/* the marker is queued: wait until it reaches the golden model */
		while (!t->g_applied && n++ < 1000) {
			drain_markers(t);
			if (!t->g_applied)
				rt_tick(t, 1);
		}
	}
	grc = t->g_rc;
	if (getenv("ISQ_VERBOSE"))
		fprintf(stderr, "  [%llu] mb op %u arg %x %x %x %x %x %x %x %x -> rtl %u golden %u\n",
			(unsigned long long)isq_tb_cycles(t->tb), op, arg[0], arg[1], arg[2], arg[3],
			arg[4], arg[5], arg[6], arg[7], rrc, grc);
	memcpy(gres, t->g_res, sizeof(gres));
	memcpy(gbmp, t->g_bmp, sizeof(gbmp));
	if (op >= ISQ_OP_GROUP_TX_ADD && op <= ISQ_OP_GROUP_RELEASE)
		t->n_group++;
	else if (op == ISQ_OP_SLOT_INSTALL || op == ISQ_OP_SLOT_CLEAR)
		t->n_slot++;
	if (rrc != grc) {
		rt_fail(t, "mailbox op %u (arg0 %u arg1 0x%x): RTL rc %u, golden rc %u", op, arg[0],
			arg[1], rrc, grc);
		bad = 1;
	} else if (rrc == ISQ_RC_OK) {
		for (i = 0; i < 16; i++)
			if (rres[i] != gres[i]) {
				rt_fail(t, "mailbox op %u (arg0 %u): RES%u RTL 0x%x golden 0x%x", op,
					arg[0], i, rres[i], gres[i]);
				bad = 1;
			}
		if (op == ISQ_OP_SLOT_READ)
			for (i = 0; i < 32; i++)
				if (rbmp[i] != gbmp[i]) {
					rt_fail(t, "SLOT_READ %u: BMP%u RTL 0x%x golden 0x%x", arg[0], i,
						rbmp[i], gbmp[i]);
					bad = 1;
				}
	}
	if (res)
		memcpy(res, rres, sizeof(rres));
	t->paused = was;
	return bad ? -1 : (int)rrc;
}

int rt_check_events(struct rt *t)
{
	struct isq_event ge;
	unsigned n = 0;
	int bad = 0;
	uint32_t rd = isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_DROPPED);

	if (rd != isq_golden_evt_dropped(t->g)) {
		rt_fail(t, "events dropped: RTL %u golden %u", rd, isq_golden_evt_dropped(t->g));
		bad = 1;
	}
	isq_tb_wr32(t->tb, ISQ_EV_BASE + ISQ_EV_DROPPED, 1);
	isq_golden_wr32(t->g, ISQ_EV_BASE + ISQ_EV_DROPPED, 1);
	while (isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_COUNT)) {
		uint32_t h = isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_HEAD0);
		uint64_t v = isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_HEAD_VAL_LO) |
			     ((uint64_t)isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_HEAD_VAL_HI) << 32);
		uint64_t e = isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_HEAD_EPOCH_LO) |
			     ((uint64_t)isq_tb_rd32(t->tb, ISQ_EV_BASE + ISQ_EV_HEAD_EPOCH_HI) << 32);

		isq_tb_wr32(t->tb, ISQ_EV_BASE + ISQ_EV_POP, 1);
		n++;
		if (isq_golden_evt_pop(t->g, &ge)) {
			rt_fail(t, "RTL event %u (type %u) that the golden model lacks", n, h & 0xff);
			return -1;
		}
		if ((h & 0xffu) != ge.type || (h >> 16) != ge.index || v != ge.value || e != ge.epoch) {
			rt_fail(t, "event %u: RTL type %u index %u value 0x%llx epoch %llu, golden type %u index %u value 0x%llx epoch %llu",
				n, h & 0xff, h >> 16, (unsigned long long)v, (unsigned long long)e, ge.type,
				ge.index, (unsigned long long)ge.value, (unsigned long long)ge.epoch);
			bad = 1;
		}
	}
	if (isq_golden_evt_count(t->g)) {
		rt_fail(t, "golden model has %u more events", isq_golden_evt_count(t->g));
		bad = 1;
		while (!isq_golden_evt_pop(t->g, &ge))
			;
	}
	return bad ? -1 : (int)n;
}

int rt_check_state(struct rt *t, uint32_t nslots, uint32_t ngroups)
{
	uint32_t arg[8] = { 0 }, i;
	int bad = 0;

	for (i = 0; i < nslots; i++) {
		arg[0] = i;
		if (rt_mb(t, ISQ_OP_SLOT_READ, arg, NULL) < 0)
			bad = 1;
	}
	for (i = 0; i < ngroups; i++) {
		arg[0] = i;
		if (rt_mb(t, ISQ_OP_GROUP_READ, arg, NULL) < 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* ---- the data-path injector */

void rt_di_wr(struct rt *t, uint32_t reg, uint32_t v)
{
	if (reg == ISQ_DI_RES_POP) {
		/* pops are not ordered with the engine: use rt_inj_pop */
		isq_tb_wr32(t->tb, ISQ_DI_BASE + reg, v);
		isq_golden_wr32(t->g, ISQ_DI_BASE + reg, v);
		return;
	}
	/* queued by drv_next of the writing cycle, after the last cycle's events */
	t->di_pend = 1;
	t->di_off = reg;
	t->di_val = v;
	isq_tb_wr32(t->tb, ISQ_DI_BASE + reg, v);
}

/* One injector register read on both; -1 when they differ. */
static int di_cmp(struct rt *t, uint32_t reg, uint32_t *rtl)
{
	uint32_t r = isq_tb_rd32(t->tb, ISQ_DI_BASE + reg), g = di_gold(t, reg);

	if (rtl)
		*rtl = r;
	if (r == g)
		return 0;
	rt_fail(t, "injector register 0x%x: RTL 0x%x, golden 0x%x", ISQ_DI_BASE + reg, r, g);
	return -1;
}

static const uint32_t di_head_regs[] = {
	ISQ_DI_RES_HEAD0, ISQ_DI_RES_SEQ_LO, ISQ_DI_RES_SEQ_HI, ISQ_DI_RES_EPOCH_LO, ISQ_DI_RES_EPOCH_HI,
};

int rt_inj_pop(struct rt *t, struct isq_tb_res *res)
{
	uint32_t v[5];
	unsigned i;
	int bad = 0;

	if (!isq_tb_rd32(t->tb, ISQ_DI_BASE + ISQ_DI_RES_COUNT))
		return 0;
	/* The result is in the RTL's FIFO, so everything before its operation
	 * has been compared: the golden model has run it too. */
	drain_markers(t);
	if (!di_gold(t, ISQ_DI_RES_COUNT)) {
		rt_fail(t, "injector result in the RTL's FIFO that the golden model lacks");
		return -1;
	}
	for (i = 0; i < 5; i++)
		bad |= di_cmp(t, di_head_regs[i], &v[i]);
	rt_di_wr(t, ISQ_DI_RES_POP, 1);
	t->n_inj_cmp++;
	if (res) {
		memset(res, 0, sizeof(*res));
		res->status = (uint8_t)ISQ_FIELD_GET(v[0], ISQ_DI_RES_HEAD0_STATUS);
		res->slot = (uint16_t)ISQ_FIELD_GET(v[0], ISQ_DI_RES_HEAD0_SLOT);
		res->seq = v[1] | ((uint64_t)v[2] << 32);
		res->epoch = v[3] | ((uint64_t)v[4] << 32);
	}
	return bad ? -1 : 1;
}

int rt_check_inj(struct rt *t)
{
	static const uint32_t regs[] = {
		ISQ_DI_OP, ISQ_DI_SLOT, ISQ_DI_SEQ_LO, ISQ_DI_SEQ_HI, ISQ_DI_COUNT, ISQ_DI_STATUS,
	};
	uint32_t n;
	unsigned i;
	int bad = 0;

	drain_markers(t);
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		bad |= di_cmp(t, regs[i], NULL);
	bad |= di_cmp(t, ISQ_DI_RES_COUNT, &n);
	for (i = 0; i < 5; i++)   /* the head, or zeros when empty */
		bad |= di_cmp(t, di_head_regs[i], NULL);
	if (!bad && n == 0) {
		rt_di_wr(t, ISQ_DI_RES_POP, 1);
		bad |= di_cmp(t, ISQ_DI_RES_COUNT, NULL);
		bad |= di_cmp(t, ISQ_DI_STATUS, NULL);
	}
	return bad ? -1 : 0;
}
