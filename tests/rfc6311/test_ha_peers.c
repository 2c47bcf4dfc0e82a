/* test_ha_peers.c — RFC 6311 end to end between two in-memory agents (the
 * engine's two-peer harness, tests/agent/tpeer.h) with agent/ha on both:
 * negotiation, the takeover procedure against our own peer role, the
 * dataplane effects on in-memory cards, and the failure paths. Peer A is
 * the original initiator (the "roadwarrior"), B the gateway that fails
 * over, unless a test says otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "dp_mem.h"
#include "ha.h"
#include "ha_repl_mem.h"
#include "ha_snap.h"
#include "tpeer.h"

#define A (&hn->net.p[0])
#define B (&hn->net.p[1])
#define HA_A (hn->ha[0])
#define HA_B (hn->ha[1])

#define SYNC "mid_sync = yes\nreplay_sync = yes\n"
#define MIDONLY "mid_sync = yes\n"
#define WALL0 UINT64_C(1790000000000)

struct hnet {
	struct tnet net;
	struct ha *ha[2];
	struct ikc_rng_det rng[2];
	struct hrm repl[2];
	char conf[2][4096];
};

static uint64_t hnow(void *ctx)
{
	return ((struct tnet *)ctx)->now;
}

static uint64_t hwall(void *ctx)
{
	return WALL0 + ((struct tnet *)ctx)->now;
}

static struct hnet *mkp(const char *ea, const char *eb, const struct ike_params *pa,
			const struct ike_params *pb)
{
	struct hnet *hn = calloc(1, sizeof(*hn));

	assert_non_null(hn);
	for (int i = 0; i < 2; i++) {
		struct ha_env env = {
			.ctx = &hn->net, .now = hnow, .wall_ms = hwall, .rng = &hn->rng[i].rng,
			.repl = &hrm_ops, .repl_ctx = &hn->repl[i],
		};

		ikc_rng_det_init(&hn->rng[i], 0x6311u + (unsigned)i);
		hrm_init(&hn->repl[i]);
		assert_int_equal(ha_new(&env, &hn->ha[i]), 0);
		hn->net.p[i].ext = &ha_ext_ops;
		hn->net.p[i].ext_ctx = hn->ha[i];
	}
	assert_int_equal(tnet_init_params(&hn->net,
					  tconf(hn->conf[0], sizeof(hn->conf[0]), 0, ea, NULL),
					  tconf(hn->conf[1], sizeof(hn->conf[1]), 1, eb, NULL), pa, pb), 0);
	for (int i = 0; i < 2; i++) {
		ha_attach(hn->ha[i], hn->net.p[i].e);
		ha_set_dp(hn->ha[i], &hn->net.p[i].dp);
	}
	return hn;
}

static struct hnet *mk(const char *ea, const char *eb)
{
	return mkp(ea, eb, NULL, NULL);
}

static void freehn(struct hnet *hn)
{
	tnet_free(&hn->net);
	for (int i = 0; i < 2; i++) {
		ha_free(hn->ha[i]);
		hrm_free(&hn->repl[i]);
	}
	free(hn);
}

/* Run the simulated clock in steps, with the extension's timers too. */
static void run(struct hnet *hn, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 10) {
		tnet_run(&hn->net, 10);
		for (int i = 0; i < 2; i++)
			ha_run_timers(hn->ha[i]);
		tnet_pump(&hn->net);
	}
}

static uint32_t up_from(struct hnet *hn, int who)
{
	uint32_t id = 0;

	assert_int_equal(ike_initiate(hn->net.p[who].e, "c", &id), 0);
	run(hn, 50);
	return id;
}

static struct ike_sa *only_sa(struct tpeer *p, struct ike_sa_info *info)
{
	struct ike_sa_info tmp;
	struct ike_sa_info *i = info ? info : &tmp;

	assert_true(tpeer_one(p, i, NULL, NULL));
	return ike_sa_by_id(p->e, i->id);
}

static void mids(struct tpeer *p, uint32_t *send, uint32_t *recv)
{
	ike_sa_mids(only_sa(p, NULL), send, recv);
}

/* The MIDs agree: what one sends next, the other expects. */
static void assert_mids_agree(struct hnet *hn)
{
	uint32_t as, ar, bs, br;

	mids(A, &as, &ar);
	mids(B, &bs, &br);
	assert_int_equal(as, br);
	assert_int_equal(bs, ar);
}

/* Exchanges both ways still work. */
static void assert_alive(struct hnet *hn)
{
	struct ike_sa_info a0, a1, b0, b1;

	only_sa(A, &a0);
	only_sa(B, &b0);
	assert_int_equal(ike_dpd(A->e, a0.id), 0);
	run(hn, 100);
	assert_int_equal(ike_dpd(B->e, b0.id), 0);
	run(hn, 100);
	only_sa(A, &a1);
	only_sa(B, &b1);
	assert_int_equal(a1.mid_send, a0.mid_send + 1);
	assert_int_equal(b1.mid_send, b0.mid_send + 1);
	assert_mids_agree(hn);
}

struct counters {
	unsigned n;
	uint32_t spi_in[8];
	uint64_t tx[8], rx[8];
	struct dp_slots slots[8];
};

static void read_counters(struct tpeer *p, uint32_t ike_id, struct counters *c)
{
	struct tsa s;

	memset(c, 0, sizeof(*c));
	tpeer_sas(p, &s);
	for (unsigned i = 0; i < s.n; i++) {
		if (s.sa[i].id != ike_id)
			continue;
		for (unsigned k = 0; k < s.n_child[i]; k++) {
			struct dp_counters d;

			assert_int_equal(p->dp.ops->sa_read(p->dp.ctx, &s.child[i][k].slots, &d), 0);
			c->spi_in[c->n] = s.child[i][k].spi_in;
			c->slots[c->n] = s.child[i][k].slots;
			c->tx[c->n] = d.tx_next;
			c->rx[c->n] = d.rx_top;
			c->n++;
		}
	}
}

/* ESP traffic through the in-memory cards: n packets on every Child SA
 * of the IKE SA, from's outbound slot issues the numbers, the other side's
 * inbound slot (same SPI) accepts them. */
static void esp(struct hnet *hn, int from, unsigned n)
{
	struct tpeer *s = &hn->net.p[from], *d = &hn->net.p[!from];
	struct tsa ss, ds;

	tpeer_sas(s, &ss);
	tpeer_sas(d, &ds);
	for (unsigned i = 0; i < ss.n; i++)
		for (unsigned k = 0; k < ss.n_child[i]; k++) {
			const struct ike_child_info *c = &ss.child[i][k];
			const struct ike_child_info *in = NULL;

			for (unsigned x = 0; x < ds.n; x++)
				for (unsigned y = 0; y < ds.n_child[x]; y++)
					if (ds.child[x][y].spi_in == c->spi_out)
						in = &ds.child[x][y];
			assert_non_null(in);
			for (unsigned j = 0; j < n; j++) {
				uint64_t seq;

				assert_int_equal(dp_mem_tx_next(s->dp.ctx, c->slots.out, &seq), 0);
				assert_int_equal(dp_mem_rx(d->dp.ctx, in->slots.in, seq), 0);
			}
		}
}

/* Same, keeping the sequence numbers the sender issued (for no-reuse). */
static unsigned esp_rec(struct hnet *hn, int from, unsigned n, uint64_t *seqs, unsigned cap,
			unsigned have)
{
	struct tpeer *s = &hn->net.p[from], *d = &hn->net.p[!from];
	struct tsa ss, ds;

	tpeer_sas(s, &ss);
	tpeer_sas(d, &ds);
	for (unsigned i = 0; i < ss.n; i++)
		for (unsigned k = 0; k < ss.n_child[i]; k++) {
			const struct ike_child_info *c = &ss.child[i][k], *in = NULL;

			for (unsigned x = 0; x < ds.n; x++)
				for (unsigned y = 0; y < ds.n_child[x]; y++)
					if (ds.child[x][y].spi_in == c->spi_out)
						in = &ds.child[x][y];
			assert_non_null(in);
			for (unsigned j = 0; j < n; j++) {
				uint64_t seq;

				assert_int_equal(dp_mem_tx_next(s->dp.ctx, c->slots.out, &seq), 0);
				assert_int_equal(dp_mem_rx(d->dp.ctx, in->slots.in, seq), 0);
				if (have < cap)
					seqs[have++] = seq;
			}
		}
	return have;
}

/* ---- negotiation ---------------------------------------------------------- */

struct nego_row {
	const char *a, *b;
	uint32_t caps, b_offered;
};

static void t_negotiation(void **state)
{
	static const struct nego_row rows[] = {
		{ SYNC, SYNC, IKE_CAP_MID_SYNC | IKE_CAP_REPLAY_SYNC,
		  IKE_CAP_MID_SYNC | IKE_CAP_REPLAY_SYNC },
		{ MIDONLY, SYNC, IKE_CAP_MID_SYNC, IKE_CAP_MID_SYNC },
		{ "", SYNC, 0, 0 },
		{ SYNC, "", 0, 0 },
		{ SYNC, MIDONLY, IKE_CAP_MID_SYNC, IKE_CAP_MID_SYNC },
		{ "", "", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hnet *hn = mk(rows[i].a, rows[i].b);
		struct ike_sa_info a, b;
		struct ha_sa_info ha, hb;

		up_from(hn, 0);
		only_sa(A, &a);
		only_sa(B, &b);
		assert_int_equal(a.caps, rows[i].caps);
		assert_int_equal(b.caps, rows[i].caps);
		assert_int_equal(ha_sa_info(HA_A, a.id, &ha), 0);
		assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
		/* §5: "the responder MUST NOT assert support of a capability
		 * unless such support was asserted by the initiator" */
		assert_int_equal(hb.offered, rows[i].b_offered);
		assert_int_equal(hb.offered & ~ha.offered, 0);
		assert_int_equal(ha.peer_offered, hb.offered);
		freehn(hn);
	}
}

/* Capabilities are IKE SA state: inherited by the rekeyed IKE SA, and a
 * takeover still works on it. */
static void t_rekey_inherits(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;

	(void)state;
	up_from(hn, 0);
	only_sa(A, &a);
	assert_int_equal(ike_rekey_ike(A->e, a.id), 0);
	run(hn, 200);
	only_sa(A, &a);
	only_sa(B, &b);
	assert_int_equal(a.caps, IKE_CAP_MID_SYNC | IKE_CAP_REPLAY_SYNC);
	assert_int_equal(b.caps, a.caps);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 1);
	assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	assert_alive(hn);
	freehn(hn);
}

/* ---- the takeover ------------------------------------------------------- */

/* Case 3 against our peer role: Message IDs synchronised, the peer's
 * outbound counters moved by exactly the delta with one group command, ours
 * jumped, our inbound window rejects the old range. */
static void t_takeover_case3(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;
	struct counters ca0, ca1, cb0, cb1;
	struct ha_sa_info hb;
	uint64_t ep0;
	uint32_t bs0, br0;

	(void)state;
	up_from(hn, 0);
	only_sa(A, &a);
	only_sa(B, &b);
	/* Some traffic on the Child SA and a few exchanges first. */
	esp(hn, 0, 100);
	esp(hn, 1, 70);
	assert_int_equal(ike_dpd(B->e, b.id), 0);
	run(hn, 100);
	read_counters(A, a.id, &ca0);
	read_counters(B, b.id, &cb0);
	assert_int_equal(ca0.n, 1);
	mids(B, &bs0, &br0);
	ep0 = dp_mem_epoch(A->dp.ctx);

	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	assert_int_equal(ha_takeovers_running(HA_B), 1);
	run(hn, 100);
	assert_int_equal(ha_takeovers_running(HA_B), 0);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	assert_int_equal(hb.kase, HAR_CASE_BOTH);
	/* R1: M1 = next + window (1) + margin (16); the peer answers M2 = M1. */
	assert_int_equal(hb.m1, bs0 + 1 + 16);
	assert_int_equal(hb.m2, hb.m1);
	assert_int_equal(hb.p1, br0);
	assert_mids_agree(hn);
	mids(B, &bs0, &br0);
	assert_int_equal(bs0, hb.m1);

	/* The peer: one group add of exactly the delta on every outbound slot. */
	read_counters(A, a.id, &ca1);
	assert_int_equal(dp_mem_epoch(A->dp.ctx), ep0 + 1);
	for (unsigned k = 0; k < ca1.n; k++)
		assert_int_equal(ca1.tx[k], ca0.tx[k] + hb.delta);
	assert_int_equal(ha_stats(HA_A)->deltas_applied, 1);
	/* Us: outbound jumped by the planned jump; group released. */
	read_counters(B, b.id, &cb1);
	for (unsigned k = 0; k < cb1.n; k++)
		assert_int_equal(cb1.tx[k], cb0.tx[k] + hb.jump);
	{
		uint32_t g;

		assert_true(ike_sa_dp_group(ike_sa_by_id(B->e, b.id), &g));
		assert_false(dp_mem_group_held(B->dp.ctx, g));
	}
	/* Our inbound window rejects what the old active may have accepted:
	 * everything up to the snapshot's edge + delta. */
	assert_int_equal(dp_mem_rx(B->dp.ctx, cb1.slots[0].in, cb0.rx[0] + hb.delta), -EALREADY);
	assert_int_equal(dp_mem_rx(B->dp.ctx, cb1.slots[0].in, cb0.rx[0] + hb.delta + 1), 0);
	/* Once per failover: a second takeover in this epoch is refused. */
	assert_int_equal(ha_takeover(HA_B, b.id), -EALREADY);
	/* The R3 write-ahead record carries what was sent. */
	{
		const struct hrm_rec *r = hrm_last(&hn->repl[1], HA_WAL_SYNC_SENT);

		assert_non_null(r);
		assert_int_equal(r->w.m1, hb.m1);
		assert_int_equal(r->w.p1, hb.p1);
		assert_memory_equal(r->w.nonce, hb.nonce, 4);
		assert_true(r->w.len > 28);
		assert_non_null(hrm_last(&hn->repl[1], HA_WAL_SYNC_DONE));
	}
	assert_alive(hn);
	/* Child SA rekeys and IKE rekeys from either side afterwards. */
	{
		struct ike_child_info ch[8];
		unsigned n = 0;

		assert_true(tpeer_one(A, &a, ch, &n));
		assert_int_equal(ike_rekey_child(A->e, ch[0].id), 0);
		run(hn, 200);
		assert_true(tpeer_one(B, &b, ch, &n));
		assert_int_equal(ike_rekey_child(B->e, ch[0].id), 0);
		run(hn, 200);
		assert_int_equal(ike_rekey_ike(B->e, b.id), 0);
		run(hn, 200);
		only_sa(A, &a);
		assert_int_equal(ike_rekey_ike(A->e, a.id), 0);
		run(hn, 200);
	}
	/* Traffic flows again both ways, with the numbers moved on. */
	esp(hn, 0, 10);
	esp(hn, 1, 10);
	assert_alive(hn);
	freehn(hn);
}

/* A restored member's view: its Message IDs are stale (the peer moved on
 * after the snapshot). The over-estimated M1 still passes, P is raised by
 * the peer, and the IKE SA survives. */
static void t_takeover_stale(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;
	struct ha_sa_info hb;
	uint32_t bs, br, as, ar;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	mids(B, &bs, &br);
	/* After the "snapshot": 3 requests from B, 5 from A. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ike_dpd(B->e, b.id), 0);
		run(hn, 50);
	}
	only_sa(A, &a);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ike_dpd(A->e, a.id), 0);
		run(hn, 50);
	}
	mids(A, &as, &ar);
	/* B restarts from the stale values. */
	ike_sa_set_mids(ike_sa_by_id(B->e, b.id), bs, br);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	assert_int_equal(hb.p1, br);
	assert_int_equal(hb.p2, as);          /* P-c: raised to A's next request */
	assert_true(hb.m1 > ar);
	assert_mids_agree(hn);
	assert_alive(hn);
	freehn(hn);
}

/* Negative case: M1 too low (no margin, more requests after the snapshot
 * than the window). The peer drops it silently (P-a), every retransmission
 * too; we give up, delete the IKE SA and — as its original initiator —
 * re-establish with INITIAL_CONTACT, which clears the peer's old SA. */
static void t_too_low(void **state)
{
	struct hnet *hn = mk("mid_sync = yes\nmid_margin = 0\n", "mid_sync = yes\nmid_margin = 0\n");
	struct ike_sa_info a, b;
	struct ha_sa_info hb;
	uint32_t bs, br;

	(void)state;
	uint32_t as0, ar0, as1, ar1;

	up_from(hn, 1);                      /* B initiates this time */
	only_sa(B, &b);
	mids(B, &bs, &br);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ike_dpd(B->e, b.id), 0);
		run(hn, 50);
	}
	ike_sa_set_mids(ike_sa_by_id(B->e, b.id), bs, br);
	mids(A, &as0, &ar0);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	/* P-a: silent drop, the peer's state unchanged */
	mids(A, &as1, &ar1);
	assert_int_equal(as1, as0);
	assert_int_equal(ar1, ar0);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_PENDING);
	assert_int_equal(hb.m1, bs + 1);
	assert_int_equal(ha_stats(HA_A)->req_dropped[HAR_PA], 1);
	assert_int_equal(ha_stats(HA_A)->req_answered, 0);
	/* retransmit_timeout 1s, tries 3, base 2: 1 + 2 + 4 + 8 s */
	run(hn, 20000);
	assert_int_equal(ha_stats(HA_A)->req_dropped[HAR_PA], 4);
	assert_int_equal(ha_stats(HA_B)->sync_timeouts, 1);
	assert_int_equal(ha_stats(HA_B)->takeovers_failed, 1);
	/* B deleted its IKE SA and made a new one; A dropped its old one on
	 * INITIAL_CONTACT. */
	run(hn, 200);
	assert_true(tpeer_one(A, &a, NULL, NULL));
	assert_true(tpeer_one(B, &b, NULL, NULL));
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_int_not_equal(b.id, 1);
	assert_alive(hn);
	freehn(hn);
}

static bool drop_first_from_a(struct tnet *net, const struct tpkt *p, unsigned n, void *arg)
{
	int *left = arg;
	struct ikm_hdr h;

	(void)net;
	(void)n;
	if (p->from != 0 || *left <= 0 || ikm_peek_hdr(p->data, p->len, &h))
		return false;
	if (h.exchange == INFORMATIONAL && h.mid == 0 && (h.flags & IKE_FLAG_R)) {
		(*left)--;
		return true;
	}
	return false;
}

/* The answer is lost: the identical retransmission gets the same answer
 * and changes nothing on the peer (idempotent). */
static void t_retransmit_idempotent(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	struct ha_sa_info hb, ha;
	uint32_t as, ar, as2, ar2;
	int left = 1;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	hn->net.drop = drop_first_from_a;
	hn->net.drop_arg = &left;
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	mids(A, &as, &ar);
	assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	assert_int_equal(ha_stats(HA_B)->resp_valid, 0);
	run(hn, 1500);                       /* one retransmission */
	mids(A, &as2, &ar2);
	assert_int_equal(as2, as);
	assert_int_equal(ar2, ar);
	assert_int_equal(ha_stats(HA_A)->req_resent, 1);
	assert_int_equal(ha_stats(HA_A)->deltas_applied, 1);   /* not twice */
	assert_int_equal(ha_stats(HA_B)->resp_valid, 1);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	assert_int_equal(ha_sa_info(HA_A, 1, &ha), 0);
	assert_int_equal(ha.answered, 2);
	assert_mids_agree(hn);
	assert_alive(hn);
	freehn(hn);
}

/* R7 and P-g: a request of the peer that crosses our sync request is
 * dropped while we wait; the peer abandons it (P2 skips it) and sends it
 * again under the new Message ID, which we then process. */
static void t_crossing_request(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;
	struct ha_sa_info hb;
	uint32_t as0, ar0;

	(void)state;
	up_from(hn, 0);
	only_sa(A, &a);
	only_sa(B, &b);
	mids(A, &as0, &ar0);
	hn->net.hold = true;
	assert_int_equal(ike_dpd(A->e, a.id), 0);      /* A's request first */
	assert_int_equal(ha_takeover(HA_B, b.id), 0);  /* then B's sync */
	hn->net.hold = false;
	run(hn, 100);
	/* B held A's DPD (R7) */
	assert_true(ike_engine_stats(B->e)->drop_held + ike_engine_stats(B->e)->drop_window >= 1);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	/* P-g: A's outstanding DPD (MID as0) was abandoned: P2 = as0 + 1 */
	assert_int_equal(hb.p2, as0 + 1);
	run(hn, 100);
	assert_mids_agree(hn);
	{
		uint32_t as, ar;

		mids(A, &as, &ar);
		assert_int_equal(as, as0 + 2);   /* DPD re-sent under P2 and answered */
	}
	assert_alive(hn);
	freehn(hn);
}

/* ---- misbehaving peers (a hand-made responder on A) ---------------------- */

struct bad {
	int mode;                /* 0 wrong nonce, 1 M2 < M1, 2 P2 < P1, 3 twice, 4 extra,
	                          * 5 malformed payload chain, 6 wrong nonce first, then
	                          * valid answers */
	int answered;
};

static bool bad_oob(void *ctx, struct ike_sa *sa, const struct ikm_msg *req)
{
	struct bad *st = ctx;
	const struct ikm_pl_notify *n = ikm_find_notify(req, N_IKEV2_MESSAGE_ID_SYNC);
	uint8_t plain[64], data[12];
	struct ikm_builder b;
	uint32_t m1, p1, ns, nr;
	int len, mode = st->mode;

	if (!n || n->data_len != 12)
		return false;
	if (mode == 6)
		mode = st->answered ? -1 : 0;   /* -1: a valid answer */
	m1 = get_be32(n->data + 4);
	p1 = get_be32(n->data + 8);
	ike_sa_mids(sa, &ns, &nr);
	memcpy(data, n->data, 4);
	if (mode == 0)
		data[0] ^= 0xff;
	put_be32(data + 4, mode == 2 ? p1 - 1 : (p1 > ns ? p1 : ns));
	put_be32(data + 8, mode == 1 ? m1 - 1 : m1);
	ikm_build_chain(&b, plain, sizeof(plain));
	ikm_build_notify(&b, 0, NULL, 0, N_IKEV2_MESSAGE_ID_SYNC, data, 12);
	if (mode == 4)
		ikm_build_notify(&b, 0, NULL, 0, 16394, NULL, 0);
	len = ikm_build_end(&b);
	assert_true(len > 0);
	if (mode == 5)
		put_be16(plain + 2, 200);   /* payload length past the end */
	assert_int_equal(ike_sa_send_response(sa, req, 0, b.first_np, plain, (size_t)len), 0);
	if (mode == 3)
		assert_int_equal(ike_sa_send_response(sa, req, 0, b.first_np, plain, (size_t)len), 0);
	if (mode == 3 || mode == 4 || mode == -1)
		ike_sa_set_mids(sa, get_be32(data + 4), m1);
	st->answered++;
	return true;
}

static bool bad_info(void *ctx, struct ike_sa *sa, const struct ikm_msg *req, struct ikm_builder *b)
{
	(void)b;
	if (req->hdr.mid != 0 || !ikm_find_notify(req, N_IKEV2_MESSAGE_ID_SYNC))
		return false;
	return bad_oob(ctx, sa, req);
}

static void bad_auth_build(void *ctx, struct ike_sa *sa, struct ikm_builder *b, bool response,
			   const struct ikm_msg *req)
{
	(void)ctx;
	(void)req;
	(void)response;
	ikm_build_notify(b, 0, NULL, 0, N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, NULL, 0);
	ike_sa_set_caps(sa, IKE_CAP_MID_SYNC);
}

static const struct ike_ext_ops bad_ops = {
	.auth_build = bad_auth_build, .oob_request = bad_oob, .info_request = bad_info,
};

/* Every copy of B's sync request on the wire (B = peer 1, MID 0 request). */
struct sync_copies {
	unsigned n, differ;
	uint8_t first[1024];
	size_t first_len;
};

static bool record_sync(struct tnet *net, const struct tpkt *p, unsigned n, void *arg)
{
	struct sync_copies *c = arg;
	struct ikm_hdr h;

	(void)net;
	(void)n;
	if (p->from != 1 || ikm_peek_hdr(p->data, p->len, &h) || h.exchange != INFORMATIONAL ||
	    h.mid != 0 || (h.flags & IKE_FLAG_R))
		return false;
	if (!c->n++) {
		assert_true(p->len <= sizeof(c->first));
		memcpy(c->first, p->data, p->len);
		c->first_len = p->len;
	} else if (p->len != c->first_len || memcmp(p->data, c->first, p->len)) {
		c->differ++;
	}
	return false;
}

/* B takes over against a hand-made responder on A that answers badly. */
static void bad_peer(int mode, enum har_rule want, bool done)
{
	struct hnet *hn = calloc(1, sizeof(*hn));
	struct bad st = { .mode = mode };
	struct sync_copies cp = { 0 };
	struct ike_sa_info b;
	struct ha_sa_info hb;
	struct ha_env env = { .ctx = &hn->net, .now = hnow, .wall_ms = hwall,
			      .rng = &hn->rng[1].rng };

	ikc_rng_det_init(&hn->rng[1], 99);
	assert_int_equal(ha_new(&env, &hn->ha[1]), 0);
	assert_int_equal(ha_new(&env, &hn->ha[0]), 0);   /* unused, freed by freehn */
	hn->net.p[0].ext = &bad_ops;
	hn->net.p[0].ext_ctx = &st;
	hn->net.p[1].ext = &ha_ext_ops;
	hn->net.p[1].ext_ctx = hn->ha[1];
	assert_int_equal(tnet_init(&hn->net, tconf(hn->conf[0], sizeof(hn->conf[0]), 0, "", NULL),
				   tconf(hn->conf[1], sizeof(hn->conf[1]), 1, MIDONLY, NULL)), 0);
	ha_attach(hn->ha[1], B->e);
	ha_set_dp(hn->ha[1], &B->dp);
	up_from(hn, 0);
	only_sa(B, &b);
	assert_int_equal(b.caps, IKE_CAP_MID_SYNC);
	hn->net.drop = record_sync;
	hn->net.drop_arg = &cp;
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	if (done) {
		assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
		assert_int_equal(hb.state, HA_SYNC_DONE);
		assert_int_equal(ha_stats(HA_B)->resp_valid, 1);
		/* R6: the second copy met no outstanding request */
		assert_int_equal(ike_engine_stats(B->e)->drop_window, 1);
		assert_int_equal(cp.n, 1);
	} else if (mode == 6) {
		/* The wrong nonce is dropped (R4) and B keeps waiting: the
		 * identical request goes out again after the IKE back-off
		 * (1 s here), is answered validly, and adopted. */
		assert_int_equal(ha_stats(HA_B)->resp_dropped[HAR_R4], 1);
		assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
		assert_int_equal(hb.state, HA_SYNC_PENDING);
		assert_int_equal(hb.dropped, 1);
		run(hn, 1000);
		assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
		assert_int_equal(hb.state, HA_SYNC_DONE);
		assert_int_equal(ha_stats(HA_B)->resp_valid, 1);
		assert_int_equal(st.answered, 2);
		assert_int_equal(cp.n, 2);
		assert_int_equal(cp.differ, 0);   /* byte for byte the same request */
		assert_mids_agree(hn);
		assert_int_equal(ike_dpd(B->e, b.id), 0);
		run(hn, 100);
		assert_mids_agree(hn);
	} else {
		/* Each invalid answer is dropped (counted by its rule, or by
		 * the engine as malformed) and the takeover keeps waiting; the
		 * engine retransmits the identical request with the IKE
		 * back-off (at 1, 3 and 7 s here: 1 s x 2^k, 3 tries), every
		 * copy is answered badly, and at 15 s B gives up: takeover
		 * failed. */
		run(hn, 1500);
		assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
		assert_int_equal(hb.state, HA_SYNC_PENDING);
		assert_int_equal(hb.dropped, mode == 5 ? 0 : 2);   /* 5: the engine drops it */
		assert_int_equal(cp.n, 2);
		run(hn, 14000);
		assert_int_equal(cp.n, 4);                /* first send + 3 retransmissions */
		assert_int_equal(cp.differ, 0);           /* byte for byte the same */
		assert_int_equal(st.answered, 4);
		if (mode == 5)
			assert_int_equal(ike_engine_stats(B->e)->drop_malformed, 4);
		else
			assert_int_equal(ha_stats(HA_B)->resp_dropped[want], 4);
		assert_int_equal(ha_stats(HA_B)->resp_valid, 0);
		assert_int_equal(ha_stats(HA_B)->sync_timeouts, 1);
		assert_int_equal(ha_stats(HA_B)->takeovers_failed, 1);
		run(hn, 100);
		/* B was the responder: its IKE SA is gone, nothing re-initiated */
		{
			struct tsa s;

			tpeer_sas(B, &s);
			assert_int_equal(s.n, 0);
		}
	}
	freehn(hn);
}

static void t_bad_nonce(void **state) { (void)state; bad_peer(0, HAR_R4, false); }
static void t_bad_m2(void **state) { (void)state; bad_peer(1, HAR_M2_LOW, false); }
static void t_bad_p2(void **state) { (void)state; bad_peer(2, HAR_P2_LOW, false); }
static void t_second_response(void **state) { (void)state; bad_peer(3, HAR_OK, true); }
static void t_extra_in_response(void **state) { (void)state; bad_peer(4, HAR_NOT_SYNC, false); }
static void t_malformed_response(void **state) { (void)state; bad_peer(5, HAR_OK, false); }
static void t_bad_then_valid(void **state) { (void)state; bad_peer(6, HAR_R4, false); }

/* ---- the peer role's refusals ------------------------------------------- */

/* Undecryptable copies are ignored by the engine before any rule; the
 * retransmission then gets through. */
static bool corrupt_first_sync(struct tnet *net, const struct tpkt *p, unsigned n, void *arg)
{
	int *left = arg;
	struct ikm_hdr h;

	(void)net;
	(void)n;
	if (p->from != 1 || *left <= 0 || ikm_peek_hdr(p->data, p->len, &h))
		return false;
	if (h.exchange == INFORMATIONAL && h.mid == 0 && !(h.flags & IKE_FLAG_R)) {
		((struct tpkt *)p)->data[p->len - 1] ^= 0x55;   /* ICV */
		(*left)--;
	}
	return false;
}

static void t_undecryptable(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	uint64_t auth0;
	int left = 1;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	auth0 = ike_engine_stats(A->e)->drop_auth;
	hn->net.drop = corrupt_first_sync;
	hn->net.drop_arg = &left;
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ike_engine_stats(A->e)->drop_auth, auth0 + 1);
	assert_int_equal(ha_stats(HA_A)->req_answered, 0);
	run(hn, 1500);
	assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 1);
	/* An unprotected sync request (no Encrypted payload) never reaches
	 * the extension: RFC 7296 §3.14, nothing outside SK is accepted. */
	{
		uint8_t pkt[64], body[12] = { 9, 9, 9, 9, 0, 0, 0, 99, 0, 0, 0, 1 };
		struct ikm_builder bl;
		struct ikm_hdr hdr = { .exchange = INFORMATIONAL, .version = IKE_VERSION, .mid = 0 };
		struct sockaddr_storage la = A->addr, ra = B->addr;
		uint64_t rules0 = ike_engine_stats(A->e)->drop_rules;
		int len;

		memcpy(hdr.spi_i, b.spi_i, 8);
		memcpy(hdr.spi_r, b.spi_r, 8);
		ikm_build_begin(&bl, pkt, sizeof(pkt), &hdr);
		ikm_build_notify(&bl, 0, NULL, 0, N_IKEV2_MESSAGE_ID_SYNC, body, sizeof(body));
		len = ikm_build_end(&bl);
		assert_true(len > 0);
		((struct sockaddr_in *)&la)->sin_port = htons(500);
		((struct sockaddr_in *)&ra)->sin_port = htons(500);
		ike_input(A->e, &la, &ra, false, pkt, (size_t)len);
		assert_int_equal(ike_engine_stats(A->e)->drop_rules, rules0 + 1);
		assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	}
	assert_alive(hn);
	freehn(hn);
}

/* A sync request on an IKE SA that did not negotiate Message ID sync is
 * ignored (dropped by rule §5, counted). */
/* The cluster role: an undecryptable copy of the response (ICV broken on
 * the wire) is ignored by the engine before any rule; the request stays
 * outstanding, its identical retransmission is answered again by the peer
 * (an identical retransmission, P-a's exception) and that answer adopted. */
static bool corrupt_first_response(struct tnet *net, const struct tpkt *p, unsigned n, void *arg)
{
	int *left = arg;
	struct ikm_hdr h;

	(void)net;
	(void)n;
	if (p->from != 0 || *left <= 0 || ikm_peek_hdr(p->data, p->len, &h))
		return false;
	if (h.exchange == INFORMATIONAL && h.mid == 0 && (h.flags & IKE_FLAG_R)) {
		((struct tpkt *)p)->data[p->len - 1] ^= 0x55;   /* ICV */
		(*left)--;
	}
	return false;
}

static void t_undecryptable_response(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	struct ha_sa_info hb;
	uint64_t auth0;
	int left = 1;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	auth0 = ike_engine_stats(B->e)->drop_auth;
	hn->net.drop = corrupt_first_response;
	hn->net.drop_arg = &left;
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ike_engine_stats(B->e)->drop_auth, auth0 + 1);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_PENDING);
	assert_int_equal(hb.dropped, 0);              /* never reached the rules */
	run(hn, 1500);
	assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	assert_int_equal(ha_stats(HA_A)->req_resent, 1);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	assert_mids_agree(hn);
	assert_alive(hn);
	freehn(hn);
}

static void t_not_negotiated(void **state)
{
	struct hnet *hn = mk("", SYNC);
	struct ike_sa_info b;
	struct ha_sa_info hb;
	struct counters c0, c1;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	assert_int_equal(b.caps, 0);
	/* Takeover without support: case 4, jump and release, no message. */
	read_counters(B, b.id, &c0);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.kase, HAR_CASE_NONE);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	read_counters(B, b.id, &c1);
	assert_int_equal(c1.tx[0], c0.tx[0] + hb.jump);
	assert_int_equal(ha_stats(HA_B)->sync_sent, 0);
	/* §8.2 policy: the Child SA whose inbound window could not be
	 * synchronised is replaced. */
	run(hn, 200);
	assert_int_equal(ha_stats(HA_B)->rekeys_children, 1);
	assert_alive(hn);
	freehn(hn);
}

static void oob_ignore(void *arg, struct ike_sa *sa, const struct ikm_msg *resp)
{
	int *calls = arg;

	(void)sa;
	if (resp)
		(*calls)++;
}

static void send_raw(struct hnet *hn, uint32_t b_id, uint32_t mid, const struct haw_mid *m,
		     uint8_t rc_len, uint64_t delta, int *calls)
{
	uint8_t plain[64];
	struct ikm_builder bl;
	int len;

	ikm_build_chain(&bl, plain, sizeof(plain));
	if (m)
		haw_build_mid(&bl, m);
	if (rc_len)
		assert_int_equal(haw_build_rc(&bl, rc_len, delta), 0);
	len = ikm_build_end(&bl);
	assert_true(len > 0);
	assert_int_equal(ike_sa_oob_request(ike_sa_by_id(B->e, b_id), INFORMATIONAL, mid, PT_N, plain,
					    (size_t)len, oob_ignore, calls), 0);
	run(hn, 50);
	ike_sa_oob_cancel(ike_sa_by_id(B->e, b_id));
}

static void t_not_negotiated_raw(void **state)
{
	struct hnet *hn = mk("", SYNC);
	struct ike_sa_info b;
	struct haw_mid m = { { 1, 2, 3, 4 }, 40, 1 };
	int calls = 0;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	send_raw(hn, b.id, 0, &m, 0, 0, &calls);
	assert_int_equal(calls, 0);
	assert_int_equal(ha_stats(HA_A)->req_dropped[HAR_NOT_NEGOTIATED], 1);
	freehn(hn);
}

/* Replay delta width vs ESN mode, applied on our peer role's card. */
static void delta_case(const char *esn, uint8_t rc_len, bool applied, enum har_rule rule)
{
	char ea[256], eb[256];
	struct hnet *hn;
	struct ike_sa_info a, b;
	struct haw_mid m = { { 9, 9, 9, 9 }, 0, 0 };
	struct counters c0, c1;
	struct ike_child_info ch0[8], ch1[8];
	unsigned n0 = 0, n1 = 0;
	int calls = 0;

	snprintf(ea, sizeof(ea), SYNC "esn = %s\n", esn);
	snprintf(eb, sizeof(eb), SYNC "esn = %s\n", esn);
	hn = mk(ea, eb);
	up_from(hn, 0);
	assert_true(tpeer_one(A, &a, ch0, &n0));
	only_sa(B, &b);
	read_counters(A, a.id, &c0);
	mids(A, NULL, &m.send);
	m.send += 5;
	send_raw(hn, b.id, 0, &m, rc_len, 1000, &calls);
	assert_int_equal(calls, 1);              /* Message IDs answered anyway */
	run(hn, 200);
	assert_true(tpeer_one(A, &a, ch1, &n1));
	if (applied) {
		read_counters(A, a.id, &c1);
		assert_int_equal(c1.tx[0], c0.tx[0] + 1000);
		assert_int_equal(ha_stats(HA_A)->deltas_applied, 1);
	} else {
		assert_int_equal(ha_stats(HA_A)->deltas_refused[rule], 1);
		assert_int_equal(ha_stats(HA_A)->deltas_applied, 0);
		/* refused: the Child SA is replaced (rekey) */
		assert_int_equal(n1, 1);
		assert_int_not_equal(ch1[0].spi_in, ch0[0].spi_in);
	}
	freehn(hn);
}

static void t_delta_4_noesn(void **state) { (void)state; delta_case("no", 4, true, HAR_OK); }
static void t_delta_8_esn(void **state) { (void)state; delta_case("yes", 8, true, HAR_OK); }
static void t_delta_4_esn(void **state) { (void)state; delta_case("yes", 4, false, HAR_RC_WIDTH); }
static void t_delta_8_noesn(void **state) { (void)state; delta_case("no", 8, false, HAR_RC_WIDTH); }

/* Overflow: the peer's counter is close to 2^32 - 1; the card refuses the
 * add, nothing changes, the Child SA is rekeyed. */
static void t_delta_overflow(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;
	struct ike_child_info ch0[8], ch1[8];
	unsigned n0 = 0, n1 = 0;
	struct haw_mid m = { { 7, 7, 7, 7 }, 0, 0 };
	uint64_t ep;
	uint32_t g;
	int calls = 0;

	(void)state;
	up_from(hn, 0);
	assert_true(tpeer_one(A, &a, ch0, &n0));
	only_sa(B, &b);
	assert_true(ike_sa_dp_group(ike_sa_by_id(A->e, a.id), &g));
	assert_int_equal(A->dp.ops->group_tx_add(A->dp.ctx, g, UINT32_MAX - 100, false, &ep), 0);
	mids(A, NULL, &m.send);
	send_raw(hn, b.id, 0, &m, 4, 1000, &calls);
	assert_int_equal(calls, 1);
	assert_int_equal(ha_stats(HA_A)->deltas_refused[HAR_RC_OVERFLOW], 1);
	run(hn, 200);
	assert_true(tpeer_one(A, &a, ch1, &n1));
	assert_int_equal(n1, 1);
	assert_int_not_equal(ch1[0].spi_in, ch0[0].spi_in);
	freehn(hn);
}

/* Case 2: replay counters only (forced capabilities: the configuration
 * requires mid_sync for replay_sync), a regular INFORMATIONAL at the current
 * Message ID with an empty response. */
static void t_case2(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;
	struct ha_sa_info hb;
	struct counters c0, c1;
	uint32_t bs0, br0;

	(void)state;
	up_from(hn, 0);
	only_sa(A, &a);
	only_sa(B, &b);
	ike_sa_set_caps(ike_sa_by_id(A->e, a.id), IKE_CAP_REPLAY_SYNC);
	ike_sa_set_caps(ike_sa_by_id(B->e, b.id), IKE_CAP_REPLAY_SYNC);
	read_counters(A, a.id, &c0);
	mids(B, &bs0, &br0);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.kase, HAR_CASE_RC);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	read_counters(A, a.id, &c1);
	assert_int_equal(c1.tx[0], c0.tx[0] + hb.delta);
	{
		uint32_t bs, br;

		mids(B, &bs, &br);
		assert_int_equal(bs, bs0 + 1);   /* consumed one Message ID */
	}
	assert_mids_agree(hn);
	assert_alive(hn);
	freehn(hn);
}

/* Two IKE SAs: the delta touches only the Child SAs of the synchronised
 * one. */
static void t_other_sa_untouched(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct tsa sa_a, sa_b;
	struct counters x0, y0, x1, y1;
	struct ha_sa_info hb;

	(void)state;
	up_from(hn, 0);
	up_from(hn, 0);
	tpeer_sas(A, &sa_a);
	tpeer_sas(B, &sa_b);
	assert_int_equal(sa_a.n, 2);
	read_counters(A, sa_a.sa[0].id, &x0);
	read_counters(A, sa_a.sa[1].id, &y0);
	/* B's first IKE SA pairs with A's first */
	assert_int_equal(ha_takeover(HA_B, sa_b.sa[0].id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, sa_b.sa[0].id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	read_counters(A, sa_a.sa[0].id, &x1);
	read_counters(A, sa_a.sa[1].id, &y1);
	assert_int_equal(x1.tx[0], x0.tx[0] + hb.delta);
	assert_int_equal(y1.tx[0], y0.tx[0]);
	freehn(hn);
}

/* Both ends fail over at once (Appendix A.4): each answers the other's
 * request and both adopt component-wise maxima. */
static void t_simultaneous(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;

	(void)state;
	up_from(hn, 0);
	only_sa(A, &a);
	only_sa(B, &b);
	hn->net.hold = true;
	assert_int_equal(ha_takeover(HA_A, a.id), 0);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	hn->net.hold = false;
	/* Each holds the other's ordinary requests (R7), but a crossing sync
	 * request is decrypted and answered at once. */
	run(hn, 200);
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 1);
	assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	assert_int_equal(ha_stats(HA_B)->req_answered, 1);
	assert_mids_agree(hn);
	assert_alive(hn);
	freehn(hn);
}

/* A new failover epoch allows the next takeover, with a higher M1 which the
 * peer accepts (P-a against the earlier sync). */
static void t_next_epoch(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	struct ha_sa_info h1, h2;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, b.id, &h1), 0);
	assert_int_equal(ha_takeover(HA_B, b.id), -EALREADY);
	assert_int_equal(ha_set_epoch(HA_B, ha_epoch(HA_B)), -EINVAL);
	assert_int_equal(ha_set_epoch(HA_B, ha_epoch(HA_B) + 1), 0);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, b.id, &h2), 0);
	assert_int_equal(h2.state, HA_SYNC_DONE);
	assert_true(h2.m1 > h1.m1);
	assert_int_equal(ha_stats(HA_A)->req_answered, 2);
	assert_alive(hn);
	freehn(hn);
}

/* R3: the write-ahead record leaves before the request: its bytes are
 * exactly the datagram on the wire. With strict_wal a refused write-ahead
 * means no request and a failed takeover. */
static void t_write_ahead(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	const struct hrm_rec *r;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	hn->net.hold = true;
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	r = hrm_last(&hn->repl[1], HA_WAL_SYNC_SENT);
	assert_non_null(r);
	assert_non_null(hn->net.head);
	assert_int_equal(hn->net.head->len, r->w.len);
	assert_memory_equal(hn->net.head->data, r->pkt, r->w.len);
	assert_int_equal(r->w.epoch, ha_epoch(HA_B));
	hn->net.hold = false;
	run(hn, 100);
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 1);
	freehn(hn);
}

static void t_write_ahead_refused(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	/* default: warn, count and send anyway */
	hn->repl[1].fail = -EIO;
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 100);
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 1);
	assert_true(ha_stats(HA_B)->wal_failed >= 1);
	freehn(hn);
}

/* Overflow of our own jump: counters near the limit cannot jump; the group
 * stays held until the Child SAs are replaced, then it is released. */
static void t_jump_overflow(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	struct ike_child_info ch0[8], ch1[8];
	unsigned n0 = 0, n1 = 0;
	struct ha_sa_info hb;
	uint64_t ep;
	uint32_t g;

	(void)state;
	up_from(hn, 0);
	assert_true(tpeer_one(B, &b, ch0, &n0));
	assert_true(ike_sa_dp_group(ike_sa_by_id(B->e, b.id), &g));
	assert_int_equal(B->dp.ops->group_tx_add(B->dp.ctx, g, UINT32_MAX - 1000, false, &ep), 0);
	assert_int_equal(ha_takeover(HA_B, b.id), 0);
	run(hn, 30);
	/* the jump (with the release) comes after the sync: refused */
	assert_int_equal(ha_stats(HA_B)->jump_overflow, 1);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_true(hb.state == HA_SYNC_REKEYING || hb.state == HA_SYNC_DONE);
	run(hn, 300);
	assert_int_equal(ha_sa_info(HA_B, b.id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	assert_true(tpeer_one(B, &b, ch1, &n1));
	assert_int_equal(n1, 1);
	assert_int_not_equal(ch1[0].spi_in, ch0[0].spi_in);
	assert_true(ike_sa_dp_group(ike_sa_by_id(B->e, b.id), &g));
	assert_false(dp_mem_group_held(B->dp.ctx, g));
	assert_alive(hn);
	freehn(hn);
}

/* The whole failover in memory: B's state is snapshotted, B goes on
 * (exchanges, ESP), B dies, a fresh B starts from the stale snapshot (held),
 * takes over; the IKE SA survives and no sequence number is used twice. */
static void t_restore(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info a, b;
	static struct hs_ike rec, *got;
	struct ha_restored hr;
	struct hs_file_info info;
	struct counters cb_snap, cb_new, ca0, ca1;
	uint64_t seqs[4096], seq;
	unsigned nseq = 0;
	size_t n = 0;
	uint8_t key[HS_KEY_LEN] = { 0x63, 0x11 };
	char dir[64] = "/tmp/ipsh-restore-XXXXXX", path[128];
	struct ha *old = HA_B, *nu;
	struct ha_env env = { .ctx = &hn->net, .now = hnow, .wall_ms = hwall,
			      .rng = &hn->rng[1].rng };
	struct ha_sa_info hb;
	uint32_t id = 0, g;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.snap", dir);
	up_from(hn, 0);
	only_sa(B, &b);
	nseq = esp_rec(hn, 1, 40, seqs, 4096, nseq);
	esp(hn, 0, 40);
	/* The snapshot (what `ipsecha state save` does). */
	assert_int_equal(ike_sa_export(ike_sa_by_id(B->e, b.id), &rec.ike), 0);
	assert_int_equal(ha_export(HA_B, b.id, &hr), 0);
	rec.offered = hr.offered;
	rec.peer_offered = hr.peer_offered;
	rec.snap_epoch = hr.snap_epoch;
	rec.snap_wall_ms = hr.snap_wall_ms;
	assert_int_equal(hs_file_write(path, key, ha_epoch(HA_B), hr.snap_wall_ms, &rec, 1), 0);
	read_counters(B, b.id, &cb_snap);
	/* Life goes on at the old active: exchanges both ways, ESP. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ike_dpd(B->e, b.id), 0);
		run(hn, 50);
	}
	only_sa(A, &a);
	assert_int_equal(ike_dpd(A->e, a.id), 0);
	run(hn, 50);
	nseq = esp_rec(hn, 1, 300, seqs, 4096, nseq);
	esp(hn, 0, 200);
	read_counters(A, a.id, &ca0);
	/* B dies; a new B starts from the stale file. */
	assert_int_equal(ha_new(&env, &nu), 0);
	B->ext_ctx = nu;
	assert_int_equal(tnet_restart(&hn->net, 1), 0);
	ha_free(old);
	hn->ha[1] = nu;
	ha_attach(nu, B->e);
	ha_set_dp(nu, &B->dp);
	assert_int_equal(hs_file_read(path, key, &info, &got, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ike_sa_import(B->e, &got[0].ike, true, &id), 0);
	hr = (struct ha_restored){ .snap_epoch = got[0].snap_epoch,
				   .snap_wall_ms = got[0].snap_wall_ms,
				   .offered = got[0].offered, .peer_offered = got[0].peer_offered,
				   .held = true };
	assert_int_equal(ha_mark_restored(nu, id, &hr), 0);
	hs_free_records(got, n);
	assert_true(ha_epoch(nu) > info.epoch);
	/* Held: no ESP leaves with the stale counters. */
	assert_true(ike_sa_dp_group(ike_sa_by_id(B->e, id), &g));
	assert_true(dp_mem_group_held(B->dp.ctx, g));
	read_counters(B, id, &cb_new);
	assert_int_equal(cb_new.tx[0], cb_snap.tx[0]);
	assert_int_equal(dp_mem_tx_next(B->dp.ctx, cb_new.slots[0].out, &seq), DP_MEM_HELD);
	assert_int_equal(ha_sa_info(nu, id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_HELD);
	/* A's request meanwhile is held too (R7). */
	assert_int_equal(ike_dpd(A->e, a.id), 0);
	run(hn, 50);
	/* The takeover. */
	assert_int_equal(ha_takeover(nu, id), 0);
	run(hn, 3000);
	assert_int_equal(ha_sa_info(nu, id, &hb), 0);
	assert_int_equal(hb.state, HA_SYNC_DONE);
	assert_int_equal(hb.kase, HAR_CASE_BOTH);
	assert_mids_agree(hn);
	assert_false(dp_mem_group_held(B->dp.ctx, g));
	/* The peer moved its outbound counters by exactly the delta. */
	read_counters(A, a.id, &ca1);
	assert_int_equal(ca1.tx[0], ca0.tx[0] + hb.delta);
	/* B's new numbers: accepted by A, none used before. */
	{
		unsigned before = nseq;

		nseq = esp_rec(hn, 1, 100, seqs, 4096, nseq);
		for (unsigned i = before; i < nseq; i++)
			for (unsigned j = 0; j < before; j++)
				assert_true(seqs[i] != seqs[j]);
	}
	/* B's inbound rejects the range the old active may have accepted. */
	read_counters(B, id, &cb_new);
	assert_int_equal(dp_mem_rx(B->dp.ctx, cb_new.slots[0].in, cb_snap.rx[0] + 200), -EALREADY);
	assert_int_equal(dp_mem_rx(B->dp.ctx, cb_new.slots[0].in, cb_snap.rx[0] + hb.delta), -EALREADY);
	esp(hn, 0, 10);
	assert_alive(hn);
	unlink(path);
	rmdir(dir);
	freehn(hn);
}

/* Helpers for failover chains: B's state as a record, and B replaced by a
 * fresh member restored from a record (in failover epoch `epoch`, 0 = the
 * default: one past the record's). Returns the restored IKE SA id. */
static void snap_b(struct hnet *hn, uint32_t id, struct hs_ike *rec)
{
	struct ha_restored hr;

	memset(rec, 0, sizeof(*rec));
	assert_int_equal(ike_sa_export(ike_sa_by_id(B->e, id), &rec->ike), 0);
	assert_int_equal(ha_export(HA_B, id, &hr), 0);
	rec->offered = hr.offered;
	rec->peer_offered = hr.peer_offered;
	rec->snap_epoch = hr.snap_epoch;
	rec->snap_wall_ms = hr.snap_wall_ms;
	rec->have_last_m1 = hr.have_last_m1;
	rec->last_m1 = hr.last_m1;
}

static uint32_t restore_b(struct hnet *hn, const struct hs_ike *rec, uint64_t epoch)
{
	struct ha_env env = { .ctx = &hn->net, .now = hnow, .wall_ms = hwall,
			      .rng = &hn->rng[1].rng };
	struct ha_restored hr = {
		.snap_epoch = rec->snap_epoch, .snap_wall_ms = rec->snap_wall_ms,
		.have_last_m1 = rec->have_last_m1, .last_m1 = rec->last_m1,
		.offered = rec->offered, .peer_offered = rec->peer_offered, .held = true,
	};
	struct ha *old = HA_B, *nu;
	uint32_t id = 0;

	assert_int_equal(ha_new(&env, &nu), 0);
	B->ext_ctx = nu;
	assert_int_equal(tnet_restart(&hn->net, 1), 0);
	ha_free(old);
	hn->ha[1] = nu;
	ha_attach(nu, B->e);
	ha_set_dp(nu, &B->dp);
	assert_int_equal(ike_sa_import(B->e, &rec->ike, true, &id), 0);
	assert_int_equal(ha_mark_restored(nu, id, &hr), 0);
	if (epoch)
		assert_int_equal(ha_set_epoch(nu, epoch), 0);
	return id;
}

/* Multiple failover (§2, PROTOCOL.md §4.3): B takes over and sends its
 * sync (M1 = x), then dies before anything newer than the first snapshot
 * was replicated. C restored from that snapshot in the default epoch
 * proposes x again: the peer drops it (P-a). With B's write-ahead value
 * (R3; here in a snapshot taken while B's sync was out) C proposes x + 1;
 * knowing how many failovers passed (the epoch gap) also suffices. */
static void t_multiple_failover(void **state)
{
	struct hnet *hn = mk("mid_sync = yes\nreplay_sync = yes\nmid_margin = 0\n",
			     "mid_sync = yes\nreplay_sync = yes\nmid_margin = 0\n");
	static struct hs_ike s1, s2;
	struct ike_sa_info b;
	struct ha_sa_info hx, hc;
	uint32_t id;

	(void)state;
	up_from(hn, 0);
	only_sa(B, &b);
	snap_b(hn, b.id, &s1);                    /* replicated state, epoch 1 */
	/* failover 1: B from s1; its sync leaves, R3 records M1 = x */
	id = restore_b(hn, &s1, 0);
	hn->net.hold = true;
	assert_int_equal(ha_takeover(HA_B, id), 0);
	assert_int_equal(ha_sa_info(HA_B, id, &hx), 0);
	snap_b(hn, id, &s2);                      /* B's state with its M1 */
	assert_true(s2.have_last_m1);
	assert_int_equal(s2.last_m1, hx.m1);
	assert_int_equal(s2.ike.mid_send, s1.ike.mid_send);   /* MIDs still stale */
	hn->net.hold = false;
	run(hn, 50);                              /* the peer adopts x ... */
	assert_int_equal(ha_stats(HA_A)->req_answered, 1);
	/* ... and B dies. Failover 2, naive: C from s1 -> x again -> P-a */
	id = restore_b(hn, &s1, 0);
	assert_int_equal(ha_takeover(HA_B, id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, id, &hc), 0);
	assert_int_equal(hc.m1, hx.m1);
	assert_int_equal(ha_stats(HA_A)->req_dropped[HAR_PA], 1);
	/* Failover 2 with R3: C from s2 -> x + 1, accepted */
	id = restore_b(hn, &s2, 0);
	assert_int_equal(ha_takeover(HA_B, id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, id, &hc), 0);
	assert_int_equal(hc.state, HA_SYNC_DONE);
	assert_int_equal(hc.m1, hx.m1 + 1);
	assert_mids_agree(hn);
	/* Failover from s1 knowing that 3 failovers passed since it (epoch
	 * 5): one window more per unknown one -> above everything seen. */
	id = restore_b(hn, &s1, 5);
	assert_int_equal(ha_takeover(HA_B, id), 0);
	run(hn, 100);
	assert_int_equal(ha_sa_info(HA_B, id, &hc), 0);
	assert_int_equal(hc.state, HA_SYNC_DONE);
	assert_int_equal(hc.m1, s1.ike.mid_send + 1 + 3);
	assert_mids_agree(hn);
	assert_alive(hn);
	freehn(hn);
}

/* The benchmark's driver: back-to-back valid syncs, all answered; and the
 * duration of a takeover of every IKE SA. */
static void t_stream_and_all(void **state)
{
	struct hnet *hn = mk(SYNC, SYNC);
	struct ike_sa_info b;
	unsigned running;
	uint64_t answered, failed, ms;

	(void)state;
	up_from(hn, 0);
	up_from(hn, 0);
	{
		struct tsa s;

		tpeer_sas(B, &s);
		assert_int_equal(s.n, 2);
		assert_int_equal(ha_stream(HA_B, s.sa[0].id, 40), 0);
		assert_int_equal(ha_stream(HA_B, s.sa[1].id, 40), 0);
		assert_int_equal(ha_stream(HA_B, s.sa[1].id, 40), -EBUSY);
		b = s.sa[0];
	}
	run(hn, 100);
	ha_stream_stats(HA_B, &running, &answered, &failed, &ms);
	assert_int_equal(running, 0);
	assert_int_equal(answered, 80);
	assert_int_equal(failed, 0);
	assert_int_equal(ha_stats(HA_A)->req_answered, 80);
	assert_int_equal(ha_stream(HA_B, 999, 1), -ENOENT);
	/* A window of 1: the two IKE SAs take turns, one request out at a
	 * time (the first waits in the queue while the window is full). */
	{
		struct tsa s;
		struct sync_copies cp = { 0 };

		tpeer_sas(B, &s);
		ha_stream_window(HA_B, 1);
		hn->net.hold = true;
		hn->net.drop = record_sync;
		hn->net.drop_arg = &cp;
		assert_int_equal(ha_stream(HA_B, s.sa[0].id, 10), 0);
		assert_int_equal(ha_stream(HA_B, s.sa[1].id, 10), 0);
		{
			unsigned q = 0;

			for (struct tpkt *p = hn->net.head; p; p = p->next)
				q++;
			assert_int_equal(q, 1);   /* the second stream waits */
		}
		hn->net.hold = false;
		tnet_pump(&hn->net);
		ha_stream_stats(HA_B, &running, &answered, &failed, &ms);
		assert_int_equal(running, 0);
		assert_int_equal(answered, 20);
		assert_int_equal(failed, 0);
		assert_int_equal(cp.n, 20);
		hn->net.drop = NULL;
		/* Stopped: queued streams end at once, outstanding ones with
		 * their answer; nothing counts as failed. */
		assert_int_equal(ha_stream(HA_B, s.sa[0].id, 1000000), 0);
		assert_int_equal(ha_stream(HA_B, s.sa[1].id, 1000000), 0);
		hn->net.hold = true;
		ha_stream_stop(HA_B);
		ha_stream_stats(HA_B, &running, &answered, &failed, &ms);
		assert_int_equal(running, 1);      /* the one out */
		hn->net.hold = false;
		tnet_pump(&hn->net);
		ha_stream_stats(HA_B, &running, &answered, &failed, &ms);
		assert_int_equal(running, 0);
		assert_int_equal(answered, 1);
		assert_int_equal(failed, 0);
		ha_stream_window(HA_B, 0);
	}
	/* takeover of both: the duration is known once both are done */
	assert_int_equal(ha_takeover_all(HA_B, &running, NULL), 0);
	assert_int_equal(running, 2);
	assert_false(ha_takeover_all_ms(HA_B, &ms));
	run(hn, 100);
	assert_true(ha_takeover_all_ms(HA_B, &ms));
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 2);
	/* An IKE SA that goes away while its stream waits in the queue
	 * leaves it (ASan: no stale pointer is used). */
	{
		struct tsa s;

		tpeer_sas(B, &s);
		ha_stream_window(HA_B, 1);
		hn->net.hold = true;
		assert_int_equal(ha_stream(HA_B, s.sa[0].id, 5), 0);
		assert_int_equal(ha_stream(HA_B, s.sa[1].id, 5), 0);
		assert_int_equal(ike_drop_ike(B->e, s.sa[1].id), 0);
		hn->net.hold = false;
		run(hn, 50);
		ha_stream_stats(HA_B, &running, &answered, &failed, &ms);
		assert_int_equal(running, 0);
		assert_int_equal(answered, 5);
		assert_int_equal(failed, 0);
	}
	(void)b;
	freehn(hn);
}

/* RFC 6311 §7 pacing: a takeover of many IKE SAs keeps at most
 * max_inflight syncs out; the others wait (held) in a queue. */
static void t_paced(void **state)
{
	struct hnet *hn = calloc(1, sizeof(*hn));
	unsigned started = 0, failed = 0, on_wire = 0;
	uint64_t ms;

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct ha_env env = { .ctx = &hn->net, .now = hnow, .wall_ms = hwall,
				      .rng = &hn->rng[i].rng, .max_inflight = 2 };

		ikc_rng_det_init(&hn->rng[i], 77u + (unsigned)i);
		assert_int_equal(ha_new(&env, &hn->ha[i]), 0);
		hn->net.p[i].ext = &ha_ext_ops;
		hn->net.p[i].ext_ctx = hn->ha[i];
	}
	assert_int_equal(tnet_init(&hn->net, tconf(hn->conf[0], sizeof(hn->conf[0]), 0, SYNC, NULL),
				   tconf(hn->conf[1], sizeof(hn->conf[1]), 1, SYNC, NULL)), 0);
	for (int i = 0; i < 2; i++) {
		ha_attach(hn->ha[i], hn->net.p[i].e);
		ha_set_dp(hn->ha[i], &hn->net.p[i].dp);
	}
	for (int i = 0; i < 5; i++)
		up_from(hn, 0);
	hn->net.hold = true;
	assert_int_equal(ha_takeover_all(HA_B, &started, &failed), 0);
	assert_int_equal(started, 5);
	assert_int_equal(failed, 0);
	assert_int_equal(ha_takeovers_running(HA_B), 5);
	for (struct tpkt *t = hn->net.head; t; t = t->next)
		on_wire++;
	assert_int_equal(on_wire, 2);
	assert_false(ha_takeover_all_ms(HA_B, &ms));
	hn->net.hold = false;
	run(hn, 200);
	assert_int_equal(ha_takeovers_running(HA_B), 0);
	assert_int_equal(ha_stats(HA_B)->takeovers_done, 5);
	assert_true(ha_takeover_all_ms(HA_B, &ms));
	freehn(hn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_negotiation),
		cmocka_unit_test(t_rekey_inherits),
		cmocka_unit_test(t_takeover_case3),
		cmocka_unit_test(t_takeover_stale),
		cmocka_unit_test(t_too_low),
		cmocka_unit_test(t_retransmit_idempotent),
		cmocka_unit_test(t_crossing_request),
		cmocka_unit_test(t_bad_nonce),
		cmocka_unit_test(t_bad_m2),
		cmocka_unit_test(t_bad_p2),
		cmocka_unit_test(t_second_response),
		cmocka_unit_test(t_extra_in_response),
		cmocka_unit_test(t_malformed_response),
		cmocka_unit_test(t_bad_then_valid),
		cmocka_unit_test(t_undecryptable),
		cmocka_unit_test(t_undecryptable_response),
		cmocka_unit_test(t_not_negotiated),
		cmocka_unit_test(t_not_negotiated_raw),
		cmocka_unit_test(t_delta_4_noesn),
		cmocka_unit_test(t_delta_8_esn),
		cmocka_unit_test(t_delta_4_esn),
		cmocka_unit_test(t_delta_8_noesn),
		cmocka_unit_test(t_delta_overflow),
		cmocka_unit_test(t_case2),
		cmocka_unit_test(t_other_sa_untouched),
		cmocka_unit_test(t_simultaneous),
		cmocka_unit_test(t_next_epoch),
		cmocka_unit_test(t_write_ahead),
		cmocka_unit_test(t_write_ahead_refused),
		cmocka_unit_test(t_jump_overflow),
		cmocka_unit_test(t_restore),
		cmocka_unit_test(t_stream_and_all),
		cmocka_unit_test(t_paced),
		cmocka_unit_test(t_multiple_failover),
	};

	return cmocka_run_group_tests_name("rfc6311-peers", tests, NULL, NULL);
}
