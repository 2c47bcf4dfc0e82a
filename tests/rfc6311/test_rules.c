/* test_rules.c — RFC 6311 rule tables, one row per case, for both roles and
 * for the wire classification (agent/ha/ha_rules.c, ha_wire.c). Pure: no
 * engine, no clock. Each row prints "ok"/"FAIL" and the last line counts
 * rows ("rfc6311-rules: N passed, N failed"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha_rules.h"
#include "ha_wire.h"

static unsigned passed, failed;
static char why[256];

static bool expect(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond || why[0])
		return cond;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return false;
}

static void row_done(const char *table, const char *name)
{
	if (why[0]) {
		failed++;
		printf("FAIL %s: %s: %s\n", table, name, why);
	} else {
		passed++;
		printf("ok   %s: %s\n", table, name);
	}
	why[0] = 0;
}

/* ---- peer role ---------------------------------------------------------- */

#define NONCE_A { 0xa1, 0xb2, 0xc3, 0xd4 }
#define NONCE_B { 0x01, 0x02, 0x03, 0x04 }
#define CAPS (HAR_CAP_MID | HAR_CAP_RC)

struct peer_row {
	const char *name;
	struct har_peer st;
	enum haw_why shape;
	struct haw_sync req;
	enum har_act act;
	enum har_rule rule;
	uint32_t p2, m2;             /* ANSWER/RESEND */
	enum har_delta_act dact;
	enum har_rule drule;
	bool rekey;
};

#define ST(...) { .established = true, .caps = CAPS, __VA_ARGS__ }
#define REQ(m1, p1, ...) { .has_mid = true, .mid = { .nonce = NONCE_A, .send = (m1), .recv = (p1) }, \
			   __VA_ARGS__ }
#define NONESN(n_) .ch = { .n = (n_), .n_esn = 0 }
#define ESN(n_) .ch = { .n = (n_), .n_esn = (n_) }

static const struct peer_row peer_rows[] = {
	{ "accepted: M1 = expected, P1 = our next",
	  ST(.next_send = 5, .next_recv = 3), HAW_OK, REQ(3, 5),
	  HAR_ACT_ANSWER, HAR_OK, 5, 3 },
	{ "accepted: M1 over-estimated (R1), M2 = M1",
	  ST(.next_send = 5, .next_recv = 3), HAW_OK, REQ(20, 5),
	  HAR_ACT_ANSWER, HAR_OK, 5, 20 },
	{ "Appendix A.1: (0, 5) against (5, 0) answered (5, 0)",
	  ST(.next_send = 5, .next_recv = 0), HAW_OK, REQ(0, 5),
	  HAR_ACT_ANSWER, HAR_OK, 5, 0 },
	{ "P-a: M1 too low -> silent drop",
	  ST(.next_send = 5, .next_recv = 9), HAW_OK, REQ(7, 5),
	  HAR_ACT_DROP, HAR_PA },
	{ "P-a: M1 = highest received (next - 1) -> drop",
	  ST(.next_send = 5, .next_recv = 9), HAW_OK, REQ(8, 5),
	  HAR_ACT_DROP, HAR_PA },
	{ "P-a: M1 equal to an earlier accepted sync's M1, new nonce -> drop",
	  ST(.next_send = 5, .next_recv = 20, .have_m1 = true, .last_m1 = 20,
	     .have_last = true, .last_req = { NONCE_B, 20, 5 }, .last_resp = { NONCE_B, 5, 20 },
	     .recv_after = 20), HAW_OK, REQ(20, 5),
	  HAR_ACT_DROP, HAR_PA },
	{ "P-a: earlier sync's M1 counts although the request MIDs are lower",
	  ST(.next_send = 5, .next_recv = 4, .have_m1 = true, .last_m1 = 30), HAW_OK, REQ(30, 5),
	  HAR_ACT_DROP, HAR_PA },
	{ "P-b: M1 above an earlier sync's M1 accepted",
	  ST(.next_send = 5, .next_recv = 20, .have_m1 = true, .last_m1 = 20), HAW_OK, REQ(21, 5),
	  HAR_ACT_ANSWER, HAR_OK, 5, 21 },
	{ "P-a: M1 = 2^32-1 after an earlier M1 = 2^32-1 -> drop",
	  ST(.next_send = 5, .next_recv = 4, .have_m1 = true, .last_m1 = UINT32_MAX), HAW_OK,
	  REQ(UINT32_MAX, 5), HAR_ACT_DROP, HAR_PA },
	{ "P-c: P raised by the peer (P1 below our next request)",
	  ST(.next_send = 12, .next_recv = 3), HAW_OK, REQ(10, 4),
	  HAR_ACT_ANSWER, HAR_OK, 12, 10 },
	{ "P-c: P1 above our next request kept",
	  ST(.next_send = 12, .next_recv = 3), HAW_OK, REQ(10, 40),
	  HAR_ACT_ANSWER, HAR_OK, 40, 10 },
	{ "P-g: request outstanding on the peer (sent 7, unanswered): P2 = 8",
	  ST(.next_send = 8, .next_recv = 3), HAW_OK, REQ(10, 7),
	  HAR_ACT_ANSWER, HAR_OK, 8, 10 },
	{ "identical retransmission, no request since: same answer, no change",
	  ST(.next_send = 5, .next_recv = 20, .have_m1 = true, .last_m1 = 20,
	     .have_last = true, .last_req = { NONCE_A, 20, 5 }, .last_resp = { NONCE_A, 6, 20 },
	     .recv_after = 20), HAW_OK, REQ(20, 5),
	  HAR_ACT_RESEND, HAR_RETRANSMIT, 6, 20 },
	{ "identical retransmission after a request of the cluster -> drop (P-a)",
	  ST(.next_send = 5, .next_recv = 21, .have_m1 = true, .last_m1 = 20,
	     .have_last = true, .last_req = { NONCE_A, 20, 5 }, .last_resp = { NONCE_A, 5, 20 },
	     .recv_after = 20), HAW_OK, REQ(20, 5),
	  HAR_ACT_DROP, HAR_PA },
	{ "same nonce, other P1: not a retransmission -> P-a",
	  ST(.next_send = 5, .next_recv = 20, .have_m1 = true, .last_m1 = 20,
	     .have_last = true, .last_req = { NONCE_A, 20, 5 }, .last_resp = { NONCE_A, 5, 20 },
	     .recv_after = 20), HAW_OK, REQ(20, 6),
	  HAR_ACT_DROP, HAR_PA },
	{ "simultaneous failover: our pending M1 counts as used (P2 >= own M1)",
	  ST(.next_send = 5, .next_recv = 3, .own_pending = true, .own_m1 = 9), HAW_OK, REQ(4, 5),
	  HAR_ACT_ANSWER, HAR_OK, 9, 4 },
	{ "IKE SA not established -> ignored",
	  { .caps = CAPS, .next_send = 5 }, HAW_OK, REQ(5, 5),
	  HAR_ACT_DROP, HAR_NOT_ESTABLISHED },
	{ "Message ID sync not negotiated -> ignored",
	  ST(.caps = HAR_CAP_RC, .next_send = 5), HAW_OK, REQ(5, 5),
	  HAR_ACT_DROP, HAR_NOT_NEGOTIATED },
	{ "nothing negotiated -> ignored",
	  ST(.caps = 0), HAW_OK, REQ(5, 5), HAR_ACT_DROP, HAR_NOT_NEGOTIATED },
	{ "not a sync (shape) -> dropped",
	  ST(.next_send = 5), HAW_EXTRA_PAYLOAD, REQ(5, 5), HAR_ACT_DROP, HAR_NOT_SYNC },
	/* §5.2 replay delta, processed after the Message ID notify */
	{ "delta 4 octets, Child SAs without ESN: applied",
	  ST(.next_send = 1, NONESN(2)), HAW_OK,
	  REQ(1, 1, .has_rc = true, .rc_len = 4, .delta = 65536),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_APPLY, HAR_OK },
	{ "delta 8 octets, Child SAs with ESN: applied",
	  ST(.next_send = 1, ESN(3)), HAW_OK,
	  REQ(1, 1, .has_rc = true, .rc_len = 8, .delta = UINT64_C(1) << 31),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_APPLY, HAR_OK },
	{ "delta 4 octets but ESN Child SAs: refused, rekey",
	  ST(.next_send = 1, ESN(1)), HAW_OK, REQ(1, 1, .has_rc = true, .rc_len = 4, .delta = 9),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_REFUSE, HAR_RC_WIDTH, true },
	{ "delta 8 octets but no ESN: refused, rekey",
	  ST(.next_send = 1, NONESN(1)), HAW_OK, REQ(1, 1, .has_rc = true, .rc_len = 8, .delta = 9),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_REFUSE, HAR_RC_WIDTH, true },
	{ "mixed ESN Child SAs: refused, rekey",
	  ST(.next_send = 1, .ch = { .n = 2, .n_esn = 1 }), HAW_OK,
	  REQ(1, 1, .has_rc = true, .rc_len = 8, .delta = 9),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_REFUSE, HAR_RC_MIXED_ESN, true },
	{ "overflow: counter + delta would pass the limit: refused, rekey",
	  ST(.next_send = 1, .ch = { .n = 1, .tx_known = true, .tx_max = 0xfffff000u,
				     .tx_limit = 0xffffffffu }), HAW_OK,
	  REQ(1, 1, .has_rc = true, .rc_len = 4, .delta = 0x10000),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_REFUSE, HAR_RC_OVERFLOW, true },
	{ "delta up to exactly the limit: applied",
	  ST(.next_send = 1, .ch = { .n = 1, .tx_known = true, .tx_max = 0xffff0000u,
				     .tx_limit = 0xffffffffu }), HAW_OK,
	  REQ(1, 1, .has_rc = true, .rc_len = 4, .delta = 0xffff),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_APPLY, HAR_OK },
	{ "replay sync not negotiated: notify ignored, Message IDs still synced",
	  ST(.caps = HAR_CAP_MID, .next_send = 1, NONESN(1)), HAW_OK,
	  REQ(1, 1, .has_rc = true, .rc_len = 4, .delta = 9),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_REFUSE, HAR_RC_NOT_NEGOTIATED, false },
	{ "no Child SA: nothing to apply",
	  ST(.next_send = 1), HAW_OK, REQ(1, 1, .has_rc = true, .rc_len = 4, .delta = 9),
	  HAR_ACT_ANSWER, HAR_OK, 1, 1, HAR_DELTA_REFUSE, HAR_RC_NO_CHILD, false },
	{ "M1 too low with a delta: whole message dropped, delta not applied (§5.2)",
	  ST(.next_send = 5, .next_recv = 9, NONESN(1)), HAW_OK,
	  REQ(2, 5, .has_rc = true, .rc_len = 4, .delta = 9),
	  HAR_ACT_DROP, HAR_PA, 0, 0, HAR_DELTA_NONE },
};

static void peer_tables(void)
{
	for (size_t i = 0; i < sizeof(peer_rows) / sizeof(peer_rows[0]); i++) {
		const struct peer_row *r = &peer_rows[i];
		struct har_peer_verdict v;

		har_peer_decide(&r->st, r->shape, &r->req, &v);
		expect(v.act == r->act, "act %d, want %d", v.act, r->act);
		expect(v.rule == r->rule, "rule %s, want %s", har_rule_name(v.rule),
		       har_rule_name(r->rule));
		if (r->act != HAR_ACT_DROP) {
			expect(v.resp.send == r->p2, "P2 %u, want %u", v.resp.send, r->p2);
			expect(v.resp.recv == r->m2, "M2 %u, want %u", v.resp.recv, r->m2);
			/* P-d: the nonce comes back unchanged */
			expect(!memcmp(v.resp.nonce, r->req.mid.nonce, 4), "nonce not echoed");
		}
		if (r->act == HAR_ACT_ANSWER) {
			expect(v.new_send == r->p2 && v.new_recv == r->m2, "adopted %u/%u",
			       v.new_send, v.new_recv);
		}
		expect(v.delta_act == r->dact, "delta act %d, want %d", v.delta_act, r->dact);
		if (r->dact != HAR_DELTA_NONE)
			expect(v.delta_rule == r->drule, "delta rule %s, want %s",
			       har_rule_name(v.delta_rule), har_rule_name(r->drule));
		expect(v.rekey_children == r->rekey, "rekey %d, want %d", v.rekey_children, r->rekey);
		row_done("peer", r->name);
	}
}

/* A sequence: accept, lost answer, retransmission, newer sync, replay. */
static void peer_sequence(void)
{
	struct har_peer st = ST(.next_send = 5, .next_recv = 3, NONESN(1));
	struct haw_sync a = REQ(10, 5), b = { .has_mid = true, .mid = { NONCE_B, 11, 5 } };
	struct har_peer_verdict v;

	har_peer_decide(&st, HAW_OK, &a, &v);
	expect(v.act == HAR_ACT_ANSWER, "first not answered");
	har_peer_commit(&st, &a, &v);
	expect(st.next_recv == 10 && st.next_send == 5 && st.have_m1 && st.last_m1 == 10,
	       "state after commit %u/%u", st.next_send, st.next_recv);
	har_peer_decide(&st, HAW_OK, &a, &v);
	expect(v.act == HAR_ACT_RESEND && v.resp.send == 5 && v.resp.recv == 10, "retransmit");
	har_peer_decide(&st, HAW_OK, &b, &v);
	expect(v.act == HAR_ACT_ANSWER && v.resp.recv == 11, "newer sync");
	har_peer_commit(&st, &b, &v);
	har_peer_decide(&st, HAW_OK, &a, &v);
	expect(v.act == HAR_ACT_DROP && v.rule == HAR_PA, "replay of the older one");
	har_peer_decide(&st, HAW_OK, &b, &v);
	expect(v.act == HAR_ACT_RESEND, "retransmission of the newer one");
	st.next_recv = 12;   /* the cluster's request 11 was processed */
	har_peer_decide(&st, HAW_OK, &b, &v);
	expect(v.act == HAR_ACT_DROP && v.rule == HAR_PA, "replay after a request");
	row_done("peer", "sequence: accept, retransmit, newer, replays");
}

/* ---- cluster role --------------------------------------------------------- */

struct clu_row {
	const char *name;
	struct har_clu_in in;
	struct har_clu_cfg cfg;
	uint64_t epoch;
	int rc;
	enum har_case kase;
	uint32_t m1, p1;
	uint64_t jump, delta;
	uint8_t rc_len;
	enum har_rule rc_rule;
	bool rekey_children, rekey_soon, rekey_ike, unbounded;
};

#define CFG { .rate = 100000, .interval_ms = 1000, .mid_margin = 0, .rekey_unsynced = true }
#define IN(...) { .window = 1, .snap_epoch = 1, __VA_ARGS__ }

static const struct clu_row clu_rows[] = {
	{ "case 1: Message ID sync only; R1 M1 = next + window, R2 P1 = next recv",
	  IN(.caps = HAR_CAP_MID, .next_send = 5, .next_recv = 7, NONESN(1)), CFG, 2,
	  0, HAR_CASE_MID, 6, 7, 1u << 18, 0, 0, HAR_OK, true },
	{ "case 3: both, Child SAs without ESN: 4-octet delta",
	  IN(.caps = CAPS, .next_send = 5, .next_recv = 7, NONESN(2)), CFG, 2,
	  0, HAR_CASE_BOTH, 6, 7, 1u << 18, 1u << 18, 4, HAR_OK },
	{ "case 3: both, ESN Child SAs: 8-octet delta",
	  IN(.caps = CAPS, .next_send = 5, .next_recv = 7, ESN(2)), CFG, 2,
	  0, HAR_CASE_BOTH, 6, 7, 1u << 18, 1u << 18, 8, HAR_OK },
	{ "mixed ESN: no delta, Message ID sync only, rekey",
	  IN(.caps = CAPS, .next_send = 5, .next_recv = 7, .ch = { .n = 2, .n_esn = 1 }), CFG, 2,
	  0, HAR_CASE_MID, 6, 7, 1u << 18, 0, 0, HAR_RC_MIXED_ESN, true },
	{ "no Child SA: no delta",
	  IN(.caps = CAPS, .next_send = 5, .next_recv = 7), CFG, 2,
	  0, HAR_CASE_MID, 6, 7, 1u << 18, 0, 0, HAR_RC_NO_CHILD, false },
	{ "case 2: replay counters only (regular INFORMATIONAL)",
	  IN(.caps = HAR_CAP_RC, .next_send = 5, .next_recv = 7, NONESN(1)), CFG, 2,
	  0, HAR_CASE_RC, 0, 0, 1u << 18, 1u << 18, 4, HAR_OK },
	{ "case 4: peer without support: jump only, rekey",
	  IN(.caps = 0, .next_send = 5, .next_recv = 7, NONESN(1)), CFG, 2,
	  0, HAR_CASE_NONE, 0, 0, 1u << 18, 0, 0, HAR_OK, true },
	{ "case 4 with the rekey policy off",
	  IN(.caps = 0, NONESN(1)), { .rate = 100000, .interval_ms = 1000 }, 2,
	  0, HAR_CASE_NONE, 0, 0, 1u << 18, 0, 0, HAR_OK, false },
	{ "R1: window 3 -> M1 = next + 3",
	  IN(.caps = HAR_CAP_MID, .next_send = 5, .next_recv = 7, .window = 3), CFG, 2,
	  0, HAR_CASE_MID, 8, 7, 1u << 18 },
	{ "R1: configured margin added",
	  IN(.caps = HAR_CAP_MID, .next_send = 5, .next_recv = 7),
	  { .rate = 100000, .interval_ms = 1000, .mid_margin = 16 }, 2,
	  0, HAR_CASE_MID, 22, 7, 1u << 18 },
	{ "R3: a predecessor's announced M1 (write-ahead) wins",
	  IN(.caps = HAR_CAP_MID, .next_send = 5, .next_recv = 7, .have_last_m1 = true,
	     .last_m1 = 40), CFG, 2,
	  0, HAR_CASE_MID, 41, 7, 1u << 18 },
	{ "§4.3: two failovers since the snapshot -> one more window per unknown one",
	  IN(.caps = HAR_CAP_MID, .next_send = 5, .next_recv = 7, .window = 2), CFG, 4,
	  0, HAR_CASE_MID, 11, 7, 1u << 18 },
	{ "RFC 7296 §2.2: M1 would not fit 32 bits -> refused",
	  IN(.caps = HAR_CAP_MID, .next_send = UINT32_MAX - 1, .next_recv = 7), CFG, 2,
	  -EOVERFLOW, HAR_CASE_MID, 0, 0, 1u << 18, 0, 0, HAR_MID_SPACE },
	{ "§4.3: M1 close to 2^32 -> IKE SA rekeyed after the sync",
	  IN(.caps = HAR_CAP_MID, .next_send = UINT32_MAX - 100, .next_recv = 7), CFG, 2,
	  0, HAR_CASE_MID, UINT32_MAX - 99, 7, 1u << 18, .rekey_ike = true },
	{ "sizing: slow SA -> minimum jump 2^14 and delta 2^11",
	  IN(.caps = CAPS, NONESN(1)), { .rate = 10, .interval_ms = 1000 }, 2,
	  0, HAR_CASE_BOTH, 1, 0, 1u << 14, 1u << 11, 4 },
	{ "sizing: snapshot older than the interval -> staleness by its age",
	  IN(.caps = CAPS, .age_ms = 10000, NONESN(1)), CFG, 2,
	  0, HAR_CASE_BOTH, 1, 0, 1u << 21, 1u << 21, 4 },
	{ "sizing: unbounded staleness -> capped at 2^31, rekey soon",
	  IN(.caps = CAPS, .age_ms = 100000000, NONESN(1)), CFG, 2,
	  0, HAR_CASE_BOTH, 1, 0, UINT64_C(1) << 31, UINT64_C(1) << 31, 4, HAR_OK, false,
	  true, false, true },
	{ "sizing: 2^30 jump -> rekey soon (§5.2)",
	  IN(.caps = 0, NONESN(1)), { .rate = 1u << 29, .interval_ms = 1000 }, 2,
	  0, HAR_CASE_NONE, 0, 0, UINT64_C(1) << 30, 0, 0, HAR_OK, false, true },
};

static void clu_tables(void)
{
	for (size_t i = 0; i < sizeof(clu_rows) / sizeof(clu_rows[0]); i++) {
		const struct clu_row *r = &clu_rows[i];
		struct har_plan p;
		int rc = har_clu_plan(&r->in, &r->cfg, r->epoch, &p);

		expect(rc == r->rc, "rc %d, want %d", rc, r->rc);
		expect(p.kase == r->kase, "case %d, want %d", p.kase, r->kase);
		expect(p.jump == r->jump, "jump %llu, want %llu", (unsigned long long)p.jump,
		       (unsigned long long)r->jump);
		if (!rc && (r->kase == HAR_CASE_MID || r->kase == HAR_CASE_BOTH))
			expect(p.m1 == r->m1 && p.p1 == r->p1, "M1/P1 %u/%u, want %u/%u", p.m1, p.p1,
			       r->m1, r->p1);
		expect(p.rc_len == r->rc_len, "rc_len %u, want %u", p.rc_len, r->rc_len);
		if (r->rc_len)
			expect(p.delta == r->delta, "delta %llu, want %llu",
			       (unsigned long long)p.delta, (unsigned long long)r->delta);
		expect(p.rc_rule == r->rc_rule, "rc rule %s, want %s", har_rule_name(p.rc_rule),
		       har_rule_name(r->rc_rule));
		expect(p.rekey_children == r->rekey_children, "rekey children %d", p.rekey_children);
		expect(p.rekey_soon == r->rekey_soon, "rekey soon %d", p.rekey_soon);
		expect(p.rekey_ike == r->rekey_ike, "rekey ike %d", p.rekey_ike);
		expect(p.stale_unbounded == r->unbounded, "unbounded %d", p.stale_unbounded);
		row_done("cluster-plan", r->name);
	}
}

struct resp_row {
	const char *name;
	struct har_pending p;
	struct haw_mid resp;         /* (nonce, P2, M2) */
	enum har_rule rule;
};

static const struct resp_row resp_rows[] = {
	{ "valid response adopted", { true, NONCE_A, 10, 4 }, { NONCE_A, 4, 10 }, HAR_OK },
	{ "peer raised both (P2 > P1, M2 > M1)", { true, NONCE_A, 10, 4 }, { NONCE_A, 9, 12 },
	  HAR_OK },
	{ "R4: nonce mismatch -> dropped", { true, NONCE_A, 10, 4 }, { NONCE_B, 4, 10 }, HAR_R4 },
	{ "R6: second valid response ignored", { false, NONCE_A, 10, 4 }, { NONCE_A, 4, 10 },
	  HAR_R6 },
	{ "M2 < M1 dropped", { true, NONCE_A, 10, 4 }, { NONCE_A, 4, 9 }, HAR_M2_LOW },
	{ "P2 < P1 dropped", { true, NONCE_A, 10, 4 }, { NONCE_A, 3, 10 }, HAR_P2_LOW },
};

static void resp_tables(void)
{
	for (size_t i = 0; i < sizeof(resp_rows) / sizeof(resp_rows[0]); i++) {
		const struct resp_row *r = &resp_rows[i];
		enum har_rule got = har_clu_check(&r->p, &r->resp);

		expect(got == r->rule, "rule %s, want %s", har_rule_name(got), har_rule_name(r->rule));
		row_done("cluster-response", r->name);
	}
}

/* ---- the wire ------------------------------------------------------------- */

/* A decrypted message: header fields and an inner payload chain. */
struct wmsg {
	uint8_t exchange;
	uint8_t flags;
	uint32_t mid;
	uint8_t plain[512];
	size_t len;
	uint8_t first;
};

static int wparse(struct wmsg *w, struct ikm_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.exchange = w->exchange;
	m->hdr.flags = w->flags;
	m->hdr.mid = w->mid;
	m->sk_type = PT_SK;
	m->sk_np = w->first;
	return ikm_parse_inner(m, w->plain, w->len);
}

enum { N_MID = N_IKEV2_MESSAGE_ID_SYNC, N_RC = N_IPSEC_REPLAY_COUNTER_SYNC };

/* Payload specs: type 'M' 16422 (len, spi), 'R' 16423, 'D' Delete, 'V'
 * vendor ID, 'N' other status notify. */
struct wpl {
	char kind;
	uint16_t len;                /* notify data length */
	uint8_t spi;                 /* SPI size */
	uint8_t proto;
};

struct wire_row {
	const char *name;
	uint8_t exchange, flags;
	uint32_t mid;
	struct wpl pl[4];
	bool response;
	enum haw_why why;
	uint32_t send, recv;         /* HAW_OK */
	uint8_t rc_len;
	uint64_t delta;
};

#define RQ INFORMATIONAL, 0
#define RS INFORMATIONAL, IKE_FLAG_R
static const struct wire_row wire_rows[] = {
	{ "request 16422 alone (case 1)", RQ, 0, { { 'M', 12 } }, false, HAW_OK, 7, 5 },
	{ "request 16422 + 16423 4 octets (case 3)", RQ, 0, { { 'M', 12 }, { 'R', 4 } }, false,
	  HAW_OK, 7, 5, 4, 0x00010000 },
	{ "request 16423 before 16422 (order free)", RQ, 0, { { 'R', 8 }, { 'M', 12 } }, false,
	  HAW_OK, 7, 5, 8, UINT64_C(0x0000000080000000) },
	{ "Protocol ID non-zero ignored on receipt", RQ, 0, { { 'M', 12, 0, 1 } }, false, HAW_OK,
	  7, 5 },
	{ "wrong Message ID (1) -> not a sync", RQ, 1, { { 'M', 12 } }, false, HAW_MID_NOT_ZERO },
	{ "wrong exchange (CREATE_CHILD_SA)", CREATE_CHILD_SA, 0, 0, { { 'M', 12 } }, false,
	  HAW_NOT_INFORMATIONAL },
	{ "extra payload (Delete)", RQ, 0, { { 'M', 12 }, { 'D' } }, false, HAW_EXTRA_PAYLOAD },
	{ "extra payload (Vendor ID)", RQ, 0, { { 'V' }, { 'M', 12 } }, false, HAW_EXTRA_PAYLOAD },
	{ "extra payload (other notify)", RQ, 0, { { 'M', 12 }, { 'N' } }, false,
	  HAW_EXTRA_PAYLOAD },
	{ "16422 data 11 octets", RQ, 0, { { 'M', 11 } }, false, HAW_MID_LEN },
	{ "16422 data 13 octets (strongSwan would accept)", RQ, 0, { { 'M', 13 } }, false,
	  HAW_MID_LEN },
	{ "16423 data 5 octets", RQ, 0, { { 'M', 12 }, { 'R', 5 } }, false, HAW_RC_LEN },
	{ "16423 data 0 octets", RQ, 0, { { 'M', 12 }, { 'R', 0 } }, false, HAW_RC_LEN },
	{ "16422 SPI size 4", RQ, 0, { { 'M', 12, 4 } }, false, HAW_SPI_SIZE },
	{ "16423 SPI size 4", RQ, 0, { { 'M', 12 }, { 'R', 4, 4 } }, false, HAW_SPI_SIZE },
	{ "16422 twice", RQ, 0, { { 'M', 12 }, { 'M', 12 } }, false, HAW_DUP_NOTIFY },
	{ "16423 twice", RQ, 0, { { 'M', 12 }, { 'R', 4 }, { 'R', 4 } }, false, HAW_DUP_NOTIFY },
	{ "16423 alone at Message ID 0 -> not a sync", RQ, 0, { { 'R', 4 } }, false,
	  HAW_NO_MID_NOTIFY },
	{ "a request is not a response", RQ, 0, { { 'M', 12 } }, true, HAW_NOT_RESPONSE },
	{ "response 16422 alone", RS, 0, { { 'M', 12 } }, true, HAW_OK, 7, 5 },
	{ "response with 16423 -> dropped (only the cluster sends it)", RS, 0,
	  { { 'M', 12 }, { 'R', 4 } }, true, HAW_RC_IN_RESPONSE },
	{ "response at Message ID 3", RS, 3, { { 'M', 12 } }, true, HAW_MID_NOT_ZERO },
	{ "response with extra payload", RS, 0, { { 'M', 12 }, { 'N' } }, true, HAW_EXTRA_PAYLOAD },
	{ "response 16422 data 16 octets", RS, 0, { { 'M', 16 } }, true, HAW_MID_LEN },
	{ "a response is not a request", RS, 0, { { 'M', 12 } }, false, HAW_NOT_REQUEST },
	{ "empty response", RS, 0, { { 0 } }, true, HAW_NO_MID_NOTIFY },
};

static void build_wire(const struct wire_row *r, struct wmsg *w)
{
	struct ikm_builder b;
	uint8_t data[32], spi[4] = { 1, 2, 3, 4 };

	memset(w, 0, sizeof(*w));
	w->exchange = r->exchange;
	w->flags = r->flags;
	w->mid = r->mid;
	ikm_build_chain(&b, w->plain, sizeof(w->plain));
	for (int i = 0; i < 4 && r->pl[i].kind; i++) {
		const struct wpl *p = &r->pl[i];

		memset(data, 0, sizeof(data));
		switch (p->kind) {
		case 'M':
			memcpy(data, "\xa1\xb2\xc3\xd4\x00\x00\x00\x07\x00\x00\x00\x05", 12);
			ikm_build_notify(&b, p->proto, spi, p->spi, N_MID, data, p->len);
			break;
		case 'R':
			if (p->len == 4)
				memcpy(data, "\x00\x01\x00\x00", 4);
			else if (p->len == 8)
				memcpy(data, "\x00\x00\x00\x00\x80\x00\x00\x00", 8);
			ikm_build_notify(&b, p->proto, spi, p->spi, N_RC, data, p->len);
			break;
		case 'D':
			ikm_build_delete(&b, PROTO_ESP, 4, spi, 1);
			break;
		case 'V':
			ikm_build_vendor(&b, "ipsecha", 7);
			break;
		case 'N':
			ikm_build_notify(&b, 0, NULL, 0, 16394 /* ESP_TFC_PADDING_NOT_SUPPORTED */,
					 NULL, 0);
			break;
		}
	}
	w->len = (size_t)ikm_build_end(&b);
	w->first = b.first_np;
}

static void wire_tables(void)
{
	for (size_t i = 0; i < sizeof(wire_rows) / sizeof(wire_rows[0]); i++) {
		const struct wire_row *r = &wire_rows[i];
		static struct ikm_msg m;
		struct wmsg w;
		enum haw_why got;

		build_wire(r, &w);
		if (!expect(wparse(&w, &m) == 0, "test message does not parse")) {
			row_done("wire", r->name);
			continue;
		}
		if (r->response) {
			struct haw_mid mid;

			got = haw_parse_response(&m, &mid);
			if (got == HAW_OK)
				expect(mid.send == r->send && mid.recv == r->recv &&
				       !memcmp(mid.nonce, "\xa1\xb2\xc3\xd4", 4), "values");
		} else {
			struct haw_sync s;

			got = haw_parse_request(&m, &s);
			if (got == HAW_OK) {
				expect(s.has_mid && s.mid.send == r->send && s.mid.recv == r->recv,
				       "M1/P1 %u/%u", s.mid.send, s.mid.recv);
				expect(s.has_rc == (r->rc_len != 0) && s.rc_len == r->rc_len &&
				       (!r->rc_len || s.delta == r->delta), "delta %u/%llu",
				       s.rc_len, (unsigned long long)s.delta);
			}
		}
		expect(got == r->why, "%s, want %s", haw_why_str(got), haw_why_str(r->why));
		row_done("wire", r->name);
	}
}

/* Exact bytes we send (PROTOCOL.md §1.4/§1.5 examples). */
static void wire_build(void)
{
	static const uint8_t want_mid[] = { 0x29, 0, 0, 0x14, 0, 0, 0x40, 0x26, 0xa1, 0xb2, 0xc3, 0xd4,
					    0, 0, 0, 7, 0, 0, 0, 5 };
	static const uint8_t want_rc4[] = { 0, 0, 0, 0x0c, 0, 0, 0x40, 0x27, 0, 1, 0, 0 };
	static const uint8_t want_rc8[] = { 0, 0, 0, 0x10, 0, 0, 0x40, 0x27, 0, 0, 0, 0,
					    0x80, 0, 0, 0 };
	static const uint8_t want_sup[] = { 0, 0, 0, 8, 0, 0, 0x40, 0x24 };
	struct haw_mid mid = { { 0xa1, 0xb2, 0xc3, 0xd4 }, 7, 5 };
	uint8_t buf[64];
	struct ikm_builder b;
	int len;

	ikm_build_chain(&b, buf, sizeof(buf));
	haw_build_mid(&b, &mid);
	expect(haw_build_rc(&b, 4, 65536) == 0, "rc 4");
	len = ikm_build_end(&b);
	expect(len == 32 && b.first_np == PT_N && !memcmp(buf, want_mid, 20) &&
	       !memcmp(buf + 20, want_rc4, 12), "16422 + 16423(4) bytes");
	row_done("wire-build", "16422 nonce a1b2c3d4 M1 7 P1 5, then 16423 delta 65536");

	ikm_build_chain(&b, buf, sizeof(buf));
	expect(haw_build_rc(&b, 8, UINT64_C(1) << 31) == 0, "rc 8");
	len = ikm_build_end(&b);
	expect(len == 16 && !memcmp(buf, want_rc8, 16), "16423(8) bytes");
	row_done("wire-build", "16423 ESN delta 2^31 (8 octets)");

	ikm_build_chain(&b, buf, sizeof(buf));
	expect(haw_build_rc(&b, 4, UINT64_C(1) << 32) == -EINVAL, "4-octet overflow refused");
	expect(haw_build_rc(&b, 5, 1) == -EINVAL, "width 5 refused");
	haw_build_supported(&b, N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED);
	len = ikm_build_end(&b);
	expect(len == 8 && !memcmp(buf, want_sup, 8), "16420 bytes");
	row_done("wire-build", "4-octet delta above 2^32-1 refused; 16420 header only");
}

static void names(void)
{
	for (int r = 0; r < HAR_RULE_MAX; r++)
		expect(strcmp(har_rule_name((enum har_rule)r), "?") &&
		       strcmp(har_rule_str((enum har_rule)r), "unknown"), "rule %d unnamed", r);
	for (int w = 0; w <= HAW_NOT_REQUEST; w++)
		expect(strcmp(haw_why_str((enum haw_why)w), "unknown"), "why %d unnamed", w);
	row_done("names", "every rule and shape reason has a log name");
}

int main(void)
{
	peer_tables();
	peer_sequence();
	clu_tables();
	resp_tables();
	wire_tables();
	wire_build();
	names();
	printf("rfc6311-rules: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
