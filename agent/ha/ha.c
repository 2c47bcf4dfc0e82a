/* ha.c — RFC 6311 as an IKE engine extension: negotiation, the peer role,
 * the takeover procedure of the cluster role; see ha.h. The decisions are
 * made by the pure functions of ha_rules.c; this file gathers their inputs
 * from the engine and the dataplane and carries the verdicts out. */
#include "ha.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike_const.h"

#define MAX_CHILDREN   IKE_REC_MAX_CHILDREN   /* per IKE SA we look at */
#define WATCH_POLL_MS  50       /* REKEYING: how often we look */
#define REKEY_WAIT_MS  30000    /* give up waiting for Child SA rekeys */

/* Per IKE SA state (engine: ike_sa_ext). */
struct ha_sa {
	struct ha *h;
	struct ike_sa *sa;
	uint32_t id;
	uint32_t offered, peer_offered;
	/* Peer role. */
	bool have_m1;
	uint32_t last_m1;
	bool have_last;
	struct haw_mid last_req, last_resp;
	uint32_t recv_after;
	uint64_t answered, delta_applied;
	/* Cluster role. */
	enum ha_sync_state state;
	uint64_t epoch;
	struct har_plan plan;
	struct har_pending pend;
	uint32_t m2, p2;
	uint8_t plain[64];
	size_t plain_len;
	uint32_t oob_mid;
	bool sending_sync;       /* the next pre_send is our sync request */
	uint64_t started, finished;
	unsigned dropped;        /* responses dropped (R4 etc.) */
	enum har_rule last_drop;
	bool held;               /* we hold its dataplane group */
	uint32_t group;
	bool overflow;           /* the jump was refused or unbounded */
	uint32_t wait[MAX_CHILDREN];   /* REKEYING: Child SAs to be replaced */
	unsigned n_wait;
	uint64_t wait_until;
	bool restored;
	struct ha_restored rest;
	uint64_t card_epoch;
	/* A sync stream (ha_stream): valid requests one after the other. */
	bool streaming;
	bool stream_out;         /* a request of the stream is outstanding */
	unsigned stream_left;
};

struct ha_kill {
	uint32_t id;
	char reason[64];
};

struct ha {
	struct ha_env env;
	struct ike_engine *e;
	uint64_t epoch;
	struct ha_stats st;
	unsigned running;
	struct ha_kill *kills;
	size_t n_kills, cap_kills;
	uint32_t *watch;                 /* IKE SA ids in REKEYING */
	size_t n_watch, cap_watch;
	uint64_t next_poll;
	/* ha_takeover_all(): a queue, at most max_inflight syncs out. */
	uint32_t *queue;
	size_t q_len, q_pos;
	unsigned queued, inflight, q_failed;
	bool pumping;
	/* The last ha_takeover_all(): from its start until nothing runs. */
	bool all_pending;
	uint64_t all_t0, all_ms;
	/* Sync streams (ha_stream, the benchmark's driver): IKE SAs waiting
	 * to send their next request (a ring), at most s_window out. */
	unsigned streams;
	uint64_t stream_answered, stream_failed, stream_t0, stream_t1;
	struct ha_sa **sq;
	size_t sq_n, sq_cap, sq_head;
	unsigned s_window, s_inflight;
	bool s_pumping;
};

static void running_dec(struct ha *h);

/* ---- helpers ---- */

static uint64_t now_ms(const struct ha *h)
{
	return h->env.now ? h->env.now(h->env.ctx) : 0;
}

static uint64_t wall_ms(const struct ha *h)
{
	struct timespec ts;

	if (h->env.wall_ms)
		return h->env.wall_ms(h->env.ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const struct dp_ops *dp_ops(const struct ha *h)
{
	return h->env.dp.ops;
}

static struct ha_sa *hsa_get(struct ha *h, struct ike_sa *sa)
{
	struct ha_sa *hs = ike_sa_ext(sa);

	if (hs)
		return hs;
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return NULL;
	hs->h = h;
	hs->sa = sa;
	hs->id = ike_sa_id(sa);
	ike_sa_set_ext(sa, hs);
	return hs;
}

static bool sa_group(struct ike_sa *sa, uint32_t *g)
{
	return ike_sa_dp_group(sa, g);
}

static void children_summary(const struct ike_sa *sa, struct har_children *ch)
{
	struct ike_child_info l[MAX_CHILDREN];
	unsigned n = ike_sa_children(sa, l, MAX_CHILDREN);

	if (n > MAX_CHILDREN)
		n = MAX_CHILDREN;
	memset(ch, 0, sizeof(*ch));
	for (unsigned i = 0; i < n; i++) {
		if (!l[i].installed)
			continue;
		ch->n++;
		ch->n_esn += l[i].esn;
	}
}

static bool child_exists(const struct ike_sa *sa, uint32_t id)
{
	struct ike_child_info l[MAX_CHILDREN];
	unsigned n = ike_sa_children(sa, l, MAX_CHILDREN);

	for (unsigned i = 0; i < n && i < MAX_CHILDREN; i++)
		if (l[i].id == id)
			return true;
	return false;
}

/* Is the original initiator us, or may this connection start on its own?
 * Then a failed IKE SA is re-established (INITIAL_CONTACT). */
static bool can_initiate(const struct ike_sa *sa)
{
	const struct agc_conn *c = ike_sa_conn(sa);

	return !c->remote_any && (ike_sa_is_initiator(sa) || c->auto_start);
}

static void rekey_children(struct ha *h, struct ike_sa *sa, struct ha_sa *hs, bool wait)
{
	struct ike_child_info l[MAX_CHILDREN];
	unsigned n = ike_sa_children(sa, l, MAX_CHILDREN);

	if (n > MAX_CHILDREN)
		n = MAX_CHILDREN;
	if (hs && wait)
		hs->n_wait = 0;
	for (unsigned i = 0; i < n; i++) {
		if (ike_rekey_child(h->e, l[i].id) == 0)
			h->st.rekeys_children++;
		if (hs && wait)
			hs->wait[hs->n_wait++] = l[i].id;
	}
}

static int push_kill(struct ha *h, uint32_t id, const char *reason)
{
	if (h->n_kills == h->cap_kills) {
		size_t cap = h->cap_kills ? 2 * h->cap_kills : 16;
		struct ha_kill *k = realloc(h->kills, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		h->kills = k;
		h->cap_kills = cap;
	}
	h->kills[h->n_kills].id = id;
	snprintf(h->kills[h->n_kills].reason, sizeof(h->kills[0].reason), "%s", reason);
	h->n_kills++;
	return 0;
}

static int push_watch(struct ha *h, uint32_t id)
{
	if (h->n_watch == h->cap_watch) {
		size_t cap = h->cap_watch ? 2 * h->cap_watch : 16;
		uint32_t *w = realloc(h->watch, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		h->watch = w;
		h->cap_watch = cap;
	}
	h->watch[h->n_watch++] = id;
	return 0;
}

static void wal(struct ha *h, struct ike_sa *sa, const struct ha_wal *rec_in, bool *failed)
{
	struct ha_wal rec = *rec_in;
	struct ike_sa_info info;

	*failed = false;
	if (!h->env.repl || !h->env.repl->write)
		return;
	rec.ike_id = ike_sa_id(sa);
	rec.epoch = h->epoch;
	if (!ike_sa_info_by_id(h->e, rec.ike_id, &info)) {
		memcpy(rec.spi_i, info.spi_i, 8);
		memcpy(rec.spi_r, info.spi_r, 8);
	}
	if (h->env.repl->write(h->env.repl_ctx, &rec)) {
		h->st.wal_failed++;
		*failed = true;
	} else {
		h->st.wal_written++;
	}
}

/* ---- negotiation (RFC 6311 §5) ---- */

static uint32_t configured(const struct ike_sa *sa)
{
	const struct agc_conn *c = ike_sa_conn(sa);

	return (c->ha.mid_sync ? HAR_CAP_MID : 0) | (c->ha.replay_sync ? HAR_CAP_RC : 0);
}

static uint32_t asserted(const struct ikm_msg *m)
{
	return (haw_has_supported(m, N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED) ? HAR_CAP_MID : 0) |
	       (haw_has_supported(m, N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED) ? HAR_CAP_RC : 0);
}

static void ext_auth_build(void *ctx, struct ike_sa *sa, struct ikm_builder *b, bool response,
			   const struct ikm_msg *req)
{
	struct ha *h = ctx;
	struct ha_sa *hs = hsa_get(h, sa);
	uint32_t offer = configured(sa);

	if (!hs)
		return;
	if (response) {
		/* §5: "the responder MUST NOT assert support of a capability
		 * unless such support was asserted by the initiator. Only a
		 * capability whose support was asserted by both parties can
		 * be used during the lifetime of the SA." */
		hs->peer_offered = req ? asserted(req) : 0;
		offer &= hs->peer_offered;
		ike_sa_set_caps(sa, offer);
	}
	hs->offered = offer;
	/* §6.1/§6.2: "included in the IKE_AUTH request/response". */
	if (offer & HAR_CAP_MID)
		haw_build_supported(b, N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED);
	if (offer & HAR_CAP_RC)
		haw_build_supported(b, N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED);
}

static void ext_auth_process(void *ctx, struct ike_sa *sa, const struct ikm_msg *m)
{
	struct ha *h = ctx;
	struct ha_sa *hs = hsa_get(h, sa);

	if (!hs)
		return;
	hs->peer_offered = asserted(m);
	/* The initiator sees the response: both asserted = what we offered
	 * and the responder asserted (a claim we did not make is ignored). */
	if (ike_sa_is_initiator(sa))
		ike_sa_set_caps(sa, hs->offered & hs->peer_offered);
}

/* ---- peer role ---- */

/* The Child SA summary is needed only for a replay delta (the walk over
 * the Child SAs is most of the work of answering a plain sync). */
static void peer_state(struct ike_sa *sa, const struct ha_sa *hs, struct har_peer *st,
		       bool children)
{
	memset(st, 0, sizeof(*st));
	st->caps = ike_sa_caps(sa);
	st->established = ike_sa_established(sa);
	ike_sa_mids(sa, &st->next_send, &st->next_recv);
	st->have_m1 = hs->have_m1;
	st->last_m1 = hs->last_m1;
	st->have_last = hs->have_last;
	st->last_req = hs->last_req;
	st->last_resp = hs->last_resp;
	st->recv_after = hs->recv_after;
	st->own_pending = hs->state == HA_SYNC_PENDING && hs->pend.outstanding;
	st->own_m1 = hs->pend.m1;
	if (children)
		children_summary(sa, &st->ch);
}

/* §5.2: "it MUST increment the replay counters for all Child SAs
 * associated with the current IKE SA by the amount requested" — our
 * outbound counters, all of them in one atomic group add. */
static void peer_delta(struct ha *h, struct ike_sa *sa, struct ha_sa *hs, enum har_delta_act act,
		       enum har_rule rule, uint64_t delta, bool rekey)
{
	uint64_t ep = 0;
	uint32_t g;
	int err;

	if (act == HAR_DELTA_APPLY && delta) {
		if (!dp_ops(h) || !sa_group(sa, &g)) {
			act = HAR_DELTA_REFUSE;
			rule = HAR_RC_NO_CHILD;
		} else {
			err = dp_ops(h)->group_tx_add(h->env.dp.ctx, g, delta, false, &ep);
			if (err == -EOVERFLOW) {
				act = HAR_DELTA_REFUSE;
				rule = HAR_RC_OVERFLOW;
				rekey = true;
			} else if (err) {
				h->st.dp_errors++;
				ike_sa_log(sa, IKE_LOG_ERROR, "RFC 6311: replay delta %llu: dataplane "
					   "error %d, Child SAs rekeyed", (unsigned long long)delta, err);
				rekey_children(h, sa, NULL, false);
				return;
			}
		}
	}
	if (act == HAR_DELTA_APPLY) {
		struct har_children ch;

		children_summary(sa, &ch);
		h->st.deltas_applied++;
		if (hs) {
			hs->delta_applied += delta;
			hs->card_epoch = ep;
		}
		ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: replay delta %llu applied to the outbound "
			   "counters of %u Child SA(s) in one group add (card epoch %llu)",
			   (unsigned long long)delta, ch.n, (unsigned long long)ep);
		return;
	}
	if (act != HAR_DELTA_REFUSE)
		return;
	h->st.deltas_refused[rule]++;
	ike_sa_log(sa, IKE_LOG_WARN, "RFC 6311: IPSEC_REPLAY_COUNTER_SYNC %llu ignored: %s (%s)%s",
		   (unsigned long long)delta, har_rule_name(rule), har_rule_str(rule),
		   rekey ? ", Child SAs rekeyed" : "");
	if (rekey)
		rekey_children(h, sa, NULL, false);
}

static int send_sync_response(struct ike_sa *sa, const struct ikm_msg *req,
			      const struct haw_mid *resp)
{
	uint8_t plain[64];
	struct ikm_builder b;
	int len;

	/* P-e, §5.1: the response carries only IKEV2_MESSAGE_ID_SYNC and
	 * Message ID zero; it is never put in the normal response cache
	 * (a replay of it must not answer an ordinary request). */
	ikm_build_chain(&b, plain, sizeof(plain));
	haw_build_mid(&b, resp);
	len = ikm_build_end(&b);
	if (len < 0)
		return len;
	return ike_sa_send_response(sa, req, 0, b.first_np, plain, (size_t)len);
}

static bool peer_sync(struct ha *h, struct ike_sa *sa, const struct ikm_msg *m)
{
	struct ha_sa *hs = hsa_get(h, sa);
	struct har_peer st;
	struct har_peer_verdict v;
	struct haw_sync req;
	enum haw_why shape;

	if (!hs)
		return false;
	shape = haw_parse_request(m, &req);
	peer_state(sa, hs, &st, shape == HAW_OK && req.has_rc);
	har_peer_decide(&st, shape, &req, &v);
	switch (v.act) {
	case HAR_ACT_DROP:
		h->st.req_dropped[v.rule]++;
		if (v.rule == HAR_NOT_SYNC && (unsigned)shape < 16)
			h->st.req_not_sync[shape]++;
		if (v.rule == HAR_PA)
			ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync request dropped by rule P-a: M1 %u "
				   "not above the highest Message ID seen from the cluster (next %u%s)",
				   req.mid.send, st.next_recv, st.have_m1 ? ", earlier sync" : "");
		else if (v.rule == HAR_NOT_SYNC)
			ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: Message ID 0 INFORMATIONAL dropped "
				   "(not a sync: %s)", haw_why_str(shape));
		else
			ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync request dropped by rule %s: %s",
				   har_rule_name(v.rule), har_rule_str(v.rule));
		return true;
	case HAR_ACT_RESEND:
		if (send_sync_response(sa, m, &v.resp) == 0) {
			h->st.req_resent++;
			hs->answered++;
		}
		ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: identical sync request retransmitted, same "
			   "answer (P2 %u, M2 %u), nothing changed", v.resp.send, v.resp.recv);
		return true;
	case HAR_ACT_ANSWER:
		break;
	}
	/* P-f, §9: "The peer first authenticates the message. The peer
	 * compares the received values with the values available locally and
	 * picks the higher value. It then updates its Message IDs with the
	 * higher values and also proposes the same values in its response." */
	if (send_sync_response(sa, m, &v.resp)) {
		h->st.dp_errors++;
		return true;
	}
	har_peer_commit(&st, &req, &v);
	hs->have_m1 = st.have_m1;
	hs->last_m1 = st.last_m1;
	hs->have_last = true;
	hs->last_req = st.last_req;
	hs->last_resp = st.last_resp;
	hs->recv_after = st.recv_after;
	hs->answered++;
	h->st.req_answered++;
	ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync request answered: M1 %u P1 %u -> our next "
		   "request %u (P2), expecting %u (M2)", req.mid.send, req.mid.recv, v.new_send,
		   v.new_recv);
	/* P-g/P-h: outstanding requests of ours are abandoned (re-queued),
	 * missing requests of the cluster are no longer expected. */
	ike_sa_set_mids(sa, v.new_send, v.new_recv);
	/* The abandoned requests are queued again: start them now under the
	 * new Message IDs (unless our own takeover holds this SA). */
	if (hs->state != HA_SYNC_PENDING && hs->state != HA_SYNC_HELD)
		ike_sa_hold_sending(sa, false);
	if (v.delta_act != HAR_DELTA_NONE)
		peer_delta(h, sa, hs, v.delta_act, v.delta_rule, v.delta, v.rekey_children);
	return true;
}

/* §5 case 2: "a regular IKEv2 Informational exchange using the current
 * Message ID values, and containing the IPSEC_REPLAY_COUNTER_SYNC
 * notification"; the engine answers it (an empty response). */
static void peer_rc_only(struct ha *h, struct ike_sa *sa, const struct ikm_msg *m)
{
	struct haw_sync s;
	struct har_children ch;
	enum har_rule rule;
	enum har_delta_act act;

	if (haw_parse_rc_only(m, &s) != HAW_OK)
		return;
	children_summary(sa, &ch);
	act = har_peer_delta(ike_sa_caps(sa), &ch, s.rc_len, s.delta, &rule);
	peer_delta(h, sa, ike_sa_ext(sa), act, rule, s.delta,
		   act == HAR_DELTA_REFUSE && (rule == HAR_RC_MIXED_ESN || rule == HAR_RC_WIDTH ||
					       rule == HAR_RC_OVERFLOW));
}

static bool handle_request(struct ha *h, struct ike_sa *sa, const struct ikm_msg *m,
			   bool in_window)
{
	if (m->hdr.exchange != INFORMATIONAL)
		return false;
	/* A message that carries IKEV2_MESSAGE_ID_SYNC is meant as a sync:
	 * judged by the §5.1 rules only, answered or dropped silently, never
	 * processed as an ordinary INFORMATIONAL. */
	if (ikm_find_notify(m, N_IKEV2_MESSAGE_ID_SYNC))
		return peer_sync(h, sa, m);
	if (in_window)
		peer_rc_only(h, sa, m);
	return false;
}

static bool ext_info_request(void *ctx, struct ike_sa *sa, const struct ikm_msg *req,
			     struct ikm_builder *resp)
{
	(void)resp;
	return handle_request(ctx, sa, req, true);
}

static bool ext_oob_request(void *ctx, struct ike_sa *sa, const struct ikm_msg *req)
{
	return handle_request(ctx, sa, req, false);
}

/* ---- write-ahead (R3) ---- */

static int ext_pre_send(void *ctx, struct ike_sa *sa, uint32_t mid, const uint8_t *pkt,
			size_t len)
{
	struct ha *h = ctx;
	struct ha_sa *hs = ike_sa_ext(sa);
	struct ha_wal rec = { .kind = HA_WAL_MID, .m1 = mid };
	bool failed;

	if (hs && hs->sending_sync) {
		/* R3, §5.1: "The member SHOULD communicate the sent values to
		 * the other cluster members, so that if a second failover
		 * event takes place, the synchronization message is not
		 * replayed." Before the bytes leave. */
		hs->sending_sync = false;
		rec.kind = HA_WAL_SYNC_SENT;
		rec.m1 = hs->pend.m1;
		rec.p1 = hs->pend.p1;
		memcpy(rec.nonce, hs->pend.nonce, HAW_NONCE_LEN);
		rec.pkt = pkt;
		rec.len = len;
		wal(h, sa, &rec, &failed);
		if (failed) {
			ike_sa_log(sa, IKE_LOG_WARN, "RFC 6311 R3: write-ahead of the sync request "
				   "failed%s", h->env.strict_wal ? ", not sending it" :
				   "; sending anyway (the failover epoch gap covers M1)");
			if (h->env.strict_wal)
				return -EIO;
		}
		return 0;
	}
	wal(h, sa, &rec, &failed);
	return 0;
}

/* ---- IKE SA lifecycle ---- */

static void ext_rekeyed(void *ctx, struct ike_sa *old, struct ike_sa *nu)
{
	struct ha *h = ctx;
	struct ha_sa *o = ike_sa_ext(old), *n = hsa_get(h, nu);

	/* Capability bits are copied by the engine (strongSwan does the
	 * same: inherit_pre()). The Message ID space restarts at 0, so the
	 * peer-role memory does not carry over; a takeover done in this
	 * epoch counts for the successor. */
	if (!o || !n)
		return;
	n->offered = o->offered;
	n->peer_offered = o->peer_offered;
	n->epoch = o->epoch;
	if (o->state == HA_SYNC_DONE)
		n->state = HA_SYNC_DONE;
}

static void ext_sa_free(void *ctx, struct ike_sa *sa)
{
	struct ha *h = ctx;
	struct ha_sa *hs = ike_sa_ext(sa);

	if (!hs)
		return;
	if (hs->state == HA_SYNC_PENDING || hs->state == HA_SYNC_REKEYING) {
		h->st.takeovers_failed++;
		if (hs->state == HA_SYNC_PENDING)
			h->inflight--;
		running_dec(h);
	}
	if (hs->streaming)
		h->streams--;
	if (hs->stream_out)
		h->s_inflight--;
	for (size_t i = 0; i < h->sq_n; i++)
		if (h->sq[(h->sq_head + i) % h->sq_cap] == hs)
			h->sq[(h->sq_head + i) % h->sq_cap] = NULL;
	ike_sa_set_ext(sa, NULL);
	memset(hs, 0, sizeof(*hs));
	free(hs);
}

const struct ike_ext_ops ha_ext_ops = {
	.auth_build = ext_auth_build,
	.auth_process = ext_auth_process,
	.info_request = ext_info_request,
	.oob_request = ext_oob_request,
	.pre_send = ext_pre_send,
	.rekeyed = ext_rekeyed,
	.sa_free = ext_sa_free,
};

/* ---- cluster role: the takeover procedure ---- */

static void pump(struct ha *h);

static void running_dec(struct ha *h)
{
	if (--h->running == 0 && !h->queued && h->all_pending) {
		h->all_pending = false;
		h->all_ms = now_ms(h) - h->all_t0;
	}
}

static void set_state(struct ha *h, struct ha_sa *hs, enum ha_sync_state s)
{
	bool was = hs->state == HA_SYNC_PENDING || hs->state == HA_SYNC_REKEYING;
	bool is = s == HA_SYNC_PENDING || s == HA_SYNC_REKEYING;
	bool was_p = hs->state == HA_SYNC_PENDING, is_p = s == HA_SYNC_PENDING;

	hs->state = s;
	if (was_p && !is_p)
		h->inflight--;
	else if (!was_p && is_p)
		h->inflight++;
	if (was && !is)
		running_dec(h);
	else if (!was && is)
		h->running++;
	if (was_p && !is_p && h->q_pos < h->q_len)
		pump(h);
}

/* The takeover failed: the IKE SA cannot be trusted any more. §8.3: "the
 * 'default' behavior of tearing down the entire IKE SA is to be
 * preferred". Deferred to ha_run_timers (we may be inside the engine's
 * processing of that SA); the group stays held until then. */
static void takeover_fail(struct ha *h, struct ike_sa *sa, struct ha_sa *hs, const char *why)
{
	set_state(h, hs, HA_SYNC_FAILED);
	hs->finished = now_ms(h);
	h->st.takeovers_failed++;
	ike_sa_log(sa, IKE_LOG_WARN, "RFC 6311: takeover failed: %s; deleting the IKE SA%s", why,
		   can_initiate(sa) ? " and re-establishing it (INITIAL_CONTACT)" : "");
	push_kill(h, hs->id, why);
}

static void release_group(struct ha *h, struct ike_sa *sa, struct ha_sa *hs)
{
	uint64_t ep = 0;
	uint32_t g;

	if (!hs->held)
		return;
	hs->held = false;
	if (!dp_ops(h) || !sa_group(sa, &g))
		return;
	if (dp_ops(h)->group_release(h->env.dp.ctx, g, &ep)) {
		h->st.dp_errors++;
		return;
	}
	hs->card_epoch = ep;
	h->st.releases++;
}

/* After the sync (or without one): inbound advance, then the outbound jump
 * that leaves HOLD in the same card operation, rekeys. */
static void takeover_finish(struct ha *h, struct ike_sa *sa, struct ha_sa *hs)
{
	const struct har_plan *p = &hs->plan;
	bool have_group = dp_ops(h) && sa_group(sa, &hs->group);
	uint64_t ep = 0;
	int err;

	/* §5.2 / PROTOCOL.md §3.3: our inbound windows move up by the delta
	 * the peer was asked to add: everything at or below snapshot + D is
	 * rejected from now on (strict §8.2 policy). One group command. */
	if (p->rc_len && p->delta && have_group) {
		if (dp_ops(h)->group_rx_advance(h->env.dp.ctx, hs->group, p->delta, &ep)) {
			h->st.dp_errors++;
		} else {
			h->st.rx_advances++;
			hs->card_epoch = ep;
		}
	}
	/* §5.2: "Upon failover, the newly active member MUST increment its
	 * own replay counter" — every outbound slot of the IKE SA with one
	 * atomic GROUP_TX_ADD, which also leaves HOLD at the same edge (card
	 * and XDP). Refused (nothing changed, still held) if a counter would
	 * pass its limit: those Child SAs must be replaced first. */
	if (have_group && !hs->overflow) {
		err = p->stale_unbounded ? -EOVERFLOW :
		      dp_ops(h)->group_tx_add(h->env.dp.ctx, hs->group, p->jump, true, &ep);
		if (err == -EOVERFLOW) {
			hs->overflow = true;
			h->st.jump_overflow++;
		} else if (err) {
			h->st.dp_errors++;
			takeover_fail(h, sa, hs, "dataplane jump failed");
			return;
		} else {
			h->st.jumps++;
			h->st.releases++;
			hs->held = false;
			hs->card_epoch = ep;
		}
	}
	ike_sa_hold_requests(sa, false);
	if (hs->overflow) {
		/* The outbound counters could not jump: no packet may leave
		 * with them. Keep the group held and replace every Child SA;
		 * release once the old ones are gone (ha_run_timers). */
		rekey_children(h, sa, hs, true);
		hs->wait_until = now_ms(h) + REKEY_WAIT_MS;
		set_state(h, hs, HA_SYNC_REKEYING);
		push_watch(h, hs->id);
		ike_sa_hold_sending(sa, false);
		ike_sa_log(sa, IKE_LOG_WARN, "RFC 6311: outbound counters near their limit; "
			   "group held until %u Child SA(s) are rekeyed", hs->n_wait);
		return;
	}
	if (!have_group)
		hs->held = false;
	hs->finished = now_ms(h);
	set_state(h, hs, HA_SYNC_DONE);
	h->st.takeovers_done++;
	ike_sa_hold_sending(sa, false);
	if (p->rekey_children || p->rekey_soon)
		rekey_children(h, sa, NULL, false);
	if (p->rekey_ike && ike_rekey_ike(h->e, hs->id) == 0)
		h->st.rekeys_ike++;
	ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: takeover done in %llu ms (case %d: %s): outbound "
		   "jump %llu and release in one card operation%s%s",
		   (unsigned long long)(hs->finished - hs->started), p->kase, ha_case_str(p->kase),
		   (unsigned long long)p->jump,
		   p->rekey_children ? "; Child SAs rekeyed (inbound windows not synchronised)" : "",
		   p->rekey_soon ? "; Child SAs rekeyed (large jump)" : "");
}

static void on_sync_response(void *arg, struct ike_sa *sa, const struct ikm_msg *resp);

static int send_sync_request(struct ike_sa *sa, struct ha_sa *hs)
{
	int err;

	hs->sending_sync = true;
	err = ike_sa_oob_request(sa, INFORMATIONAL, hs->oob_mid, PT_N, hs->plain,
				     hs->plain_len, on_sync_response, hs);

	hs->sending_sync = false;
	return err;
}

/* A response we do not accept (R4, R6, M2 < M1, P2 < P1, not a sync):
 * §5.1 "silently dropped". The request stays outstanding in the engine and
 * its identical bytes keep being retransmitted with the IKE back-off, so the
 * valid answer can still come; no answer in time fails the takeover. */
static void drop_response(struct ha_sa *hs, struct ike_sa *sa, enum har_rule rule)
{
	hs->h->st.resp_dropped[rule]++;
	hs->last_drop = rule;
	hs->dropped++;
	ike_sa_oob_keep(sa);
}

static void on_sync_response(void *arg, struct ike_sa *sa, const struct ikm_msg *resp)
{
	struct ha_sa *hs = arg;
	struct ha *h = hs->h;
	struct haw_mid mid;
	enum haw_why shape;
	enum har_rule rule;
	uint32_t cur_send, cur_recv, ns, nr;
	bool failed;

	if (hs->state != HA_SYNC_PENDING)
		return;
	if (!resp) {
		/* Retransmissions exhausted (or the IKE SA is going away). */
		h->st.sync_timeouts++;
		takeover_fail(h, sa, hs, hs->plan.kase == HAR_CASE_RC ?
			      "no answer to the replay counter sync" :
			      "no answer to the Message ID sync (M1 too low for the peer?)");
		return;
	}
	if (hs->plan.kase == HAR_CASE_RC) {
		/* Case 2: an ordinary INFORMATIONAL; its (empty) response
		 * consumed our Message ID. */
		ike_sa_mids(sa, &cur_send, &cur_recv);
		if (hs->oob_mid + 1 > cur_send)
			ike_sa_set_mids(sa, hs->oob_mid + 1, cur_recv);
		takeover_finish(h, sa, hs);
		return;
	}
	shape = haw_parse_response(resp, &mid);
	if (shape != HAW_OK) {
		h->st.resp_not_sync[(unsigned)shape < 16 ? shape : 0]++;
		ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync response dropped (not a sync: %s); "
			   "still waiting", haw_why_str(shape));
		drop_response(hs, sa, HAR_NOT_SYNC);
		return;
	}
	rule = har_clu_check(&hs->pend, &mid);
	if (rule != HAR_OK) {
		ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync response dropped by rule %s: %s "
			   "(P2 %u, M2 %u for M1 %u, P1 %u); still waiting", har_rule_name(rule),
			   har_rule_str(rule), mid.send, mid.recv, hs->pend.m1, hs->pend.p1);
		drop_response(hs, sa, rule);
		return;
	}
	/* R6: process it once. */
	hs->pend.outstanding = false;
	h->st.resp_valid++;
	hs->p2 = mid.send;
	hs->m2 = mid.recv;
	/* Our next request uses M2, we expect the peer's next at P2 (§5.1,
	 * Appendix A); component-wise maxima with anything adopted meanwhile
	 * (simultaneous failover, PROTOCOL.md §4.4). */
	ike_sa_mids(sa, &cur_send, &cur_recv);
	ns = hs->m2 > cur_send ? hs->m2 : cur_send;
	nr = hs->p2 > cur_recv ? hs->p2 : cur_recv;
	ike_sa_set_mids(sa, ns, nr);
	wal(h, sa, &(struct ha_wal){ .kind = HA_WAL_SYNC_DONE, .m1 = ns, .p1 = nr }, &failed);
	ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync answered: P2 %u, M2 %u (we proposed M1 %u, "
		   "P1 %u); next request %u, expecting %u", mid.send, mid.recv, hs->pend.m1,
		   hs->pend.p1, ns, nr);
	takeover_finish(h, sa, hs);
}

int ha_takeover(struct ha *h, uint32_t ike_id)
{
	struct ike_sa *sa = h->e ? ike_sa_by_id(h->e, ike_id) : NULL;
	struct ha_sa *hs;
	struct har_clu_in in;
	struct har_clu_cfg cfg;
	const struct agc_conn *conn;
	struct ikm_builder b;
	uint64_t ep = 0;
	uint32_t g;
	bool have_group;
	int err, len;

	if (!sa)
		return -ENOENT;
	if (!ike_sa_established(sa))
		return -ENOTCONN;
	hs = hsa_get(h, sa);
	if (!hs)
		return -ENOMEM;
	if (hs->state == HA_SYNC_PENDING || hs->state == HA_SYNC_REKEYING)
		return -EINPROGRESS;
	/* §7: "MUST NOT initiate counter synchronization for any particular
	 * IKE SA more than once per failover event." */
	if (hs->epoch == h->epoch && (hs->state == HA_SYNC_DONE || hs->state == HA_SYNC_FAILED))
		return -EALREADY;
	conn = ike_sa_conn(sa);
	memset(&in, 0, sizeof(in));
	in.caps = ike_sa_caps(sa);
	ike_sa_mids(sa, &in.next_send, &in.next_recv);
	in.window = ike_sa_window(sa);
	if (hs->restored) {
		in.snap_epoch = hs->rest.snap_epoch;
		in.have_last_m1 = hs->rest.have_last_m1;
		in.last_m1 = hs->rest.last_m1;
		uint64_t w = wall_ms(h);
		in.age_ms = w > hs->rest.snap_wall_ms ? w - hs->rest.snap_wall_ms : 0;
	} else {
		in.snap_epoch = h->epoch ? h->epoch - 1 : 0;
	}
	children_summary(sa, &in.ch);
	cfg = (struct har_clu_cfg){
		.rate = conn->ha.replay_rate, .interval_ms = conn->ha.replay_interval_ms,
		.mid_margin = conn->ha.mid_margin, .rekey_unsynced = !h->env.no_rekey_unsynced,
	};
	err = har_clu_plan(&in, &cfg, h->epoch, &hs->plan);
	hs->epoch = h->epoch;
	hs->started = now_ms(h);
	hs->dropped = 0;
	hs->overflow = false;
	hs->last_drop = HAR_OK;
	hs->m2 = hs->p2 = 0;
	h->st.takeovers++;
	set_state(h, hs, HA_SYNC_PENDING);
	if (err) {
		takeover_fail(h, sa, hs, "Message ID space exhausted (M1 would not fit 32 bits)");
		return 0;
	}
	have_group = dp_ops(h) && sa_group(sa, &g);
	/* 1. Hold: no ESP of this IKE SA leaves (card) or is accepted (XDP)
	 *    until the counters are in line (a restored SA is held already). */
	if (have_group && !hs->held) {
		if ((err = dp_ops(h)->group_hold(h->env.dp.ctx, g, &ep))) {
			h->st.dp_errors++;
			takeover_fail(h, sa, hs, "dataplane hold failed");
			return 0;
		}
		hs->held = true;
		hs->card_epoch = ep;
	}
	ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: takeover in failover epoch %llu, case %d (%s), "
		   "group held; outbound jump %llu planned", (unsigned long long)h->epoch,
		   hs->plan.kase, ha_case_str(hs->plan.kase), (unsigned long long)hs->plan.jump);
	if (hs->plan.kase == HAR_CASE_NONE) {
		/* Case 4: "the existing IKEv2 behavior". */
		h->st.no_support++;
		takeover_finish(h, sa, hs);
		return 0;
	}
	/* 2. The request. Our queued exchanges wait (our Message IDs are
	 *    stale until the answer); R7 strict: incoming requests are
	 *    dropped until the sync is complete (§8.1). */
	ike_sa_hold_sending(sa, true);
	ikm_build_chain(&b, hs->plain, sizeof(hs->plain));
	if (hs->plan.kase == HAR_CASE_RC) {
		/* Case 2: a regular INFORMATIONAL at our current Message ID
		 * (never Message ID 0 alone, PROTOCOL.md §10.6). */
		haw_build_rc(&b, hs->plan.rc_len, hs->plan.delta);
		hs->oob_mid = in.next_send;
		h->st.rc_only_sent++;
	} else {
		ike_sa_hold_requests(sa, true);
		/* R4: "a random nonce". */
		if (ikc_rng_bytes(h->env.rng, hs->pend.nonce, HAW_NONCE_LEN)) {
			takeover_fail(h, sa, hs, "no random nonce");
			return 0;
		}
		hs->pend.m1 = hs->plan.m1;
		hs->pend.p1 = hs->plan.p1;
		hs->pend.outstanding = true;
		/* R5: "Both the request and the response MUST NOT contain any
		 * additional payloads, other than an optional
		 * IPSEC_REPLAY_COUNTER_SYNC notification in the request." */
		struct haw_mid req = { .send = hs->plan.m1, .recv = hs->plan.p1 };

		memcpy(req.nonce, hs->pend.nonce, HAW_NONCE_LEN);
		haw_build_mid(&b, &req);
		if (hs->plan.rc_len)
			haw_build_rc(&b, hs->plan.rc_len, hs->plan.delta);
		hs->oob_mid = 0;
	}
	len = ikm_build_end(&b);
	if (len < 0) {
		takeover_fail(h, sa, hs, "cannot build the sync request");
		return 0;
	}
	hs->plain_len = (size_t)len;
	if ((err = send_sync_request(sa, hs))) {
		takeover_fail(h, sa, hs, err == -EIO ? "write-ahead replication failed (R3)" :
			      "cannot send the sync request");
		return 0;
	}
	h->st.sync_sent++;
	if (hs->plan.kase != HAR_CASE_RC)
		ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: sync request sent: M1 %u (next %u + window "
			   "%u + margin), P1 %u%s", hs->plan.m1, in.next_send, in.window, hs->plan.p1,
			   hs->plan.rc_len ? ", with replay delta" : "");
	return 0;
}

struct idlist {
	uint32_t *ids;
	size_t n, cap;
	bool oom;
};

static void collect_ids(void *arg, const struct ike_sa_info *sa, const struct ike_child_info *c,
			unsigned n)
{
	struct idlist *l = arg;

	(void)c;
	(void)n;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 256;
		uint32_t *t = realloc(l->ids, nc * sizeof(*t));

		if (!t) {
			l->oom = true;
			return;
		}
		l->ids = t;
		l->cap = nc;
	}
	l->ids[l->n++] = sa->id;
}

/* Start queued takeovers while fewer than max_inflight syncs are out. */
static void pump(struct ha *h)
{
	unsigned max = h->env.max_inflight ? h->env.max_inflight : 64;

	if (h->pumping)
		return;
	h->pumping = true;
	while (h->q_pos < h->q_len && h->inflight < max) {
		int err = ha_takeover(h, h->queue[h->q_pos++]);

		h->queued--;
		if (err && err != -EALREADY && err != -EINPROGRESS && err != -ENOTCONN &&
		    err != -ENOENT)
			h->q_failed++;
	}
	if (h->q_pos == h->q_len) {
		free(h->queue);
		h->queue = NULL;
		h->q_pos = h->q_len = 0;
	}
	h->pumping = false;
	if (!h->running && !h->queued && h->all_pending) {
		h->all_pending = false;
		h->all_ms = now_ms(h) - h->all_t0;
	}
}

int ha_takeover_all(struct ha *h, unsigned *started, unsigned *failed)
{
	struct idlist l = { 0 };

	if (!h->e)
		return -ENOENT;
	/* RFC 6311 §7: "the standby member can choose to initiate the
	 * exchange in a 'lazy' fashion ... the capacity of a cluster member
	 * to initiate counter synchronization simultaneously with a large
	 * number of peers": at most max_inflight syncs at a time (bursts of
	 * thousands overflow socket buffers and cost retransmissions). */
	ike_foreach_sa(h->e, collect_ids, &l);
	if (l.oom) {
		free(l.ids);
		return -ENOMEM;
	}
	h->all_t0 = now_ms(h);
	h->all_pending = true;
	h->q_failed = 0;
	if (h->queue) {
		/* Queue behind what is still queued. */
		uint32_t *t = realloc(h->queue, (h->q_len + l.n) * sizeof(*t));

		if (!t) {
			free(l.ids);
			return -ENOMEM;
		}
		memcpy(t + h->q_len, l.ids, l.n * sizeof(*t));
		h->queue = t;
		h->q_len += l.n;
		free(l.ids);
	} else {
		h->queue = l.ids;
		h->q_len = l.n;
		h->q_pos = 0;
	}
	h->queued += (unsigned)l.n;
	if (started)
		*started = (unsigned)l.n;
	pump(h);
	if (failed)
		*failed = h->q_failed;
	return 0;
}

bool ha_takeover_all_ms(const struct ha *h, uint64_t *ms)
{
	*ms = h->all_ms;
	return !h->all_pending;
}

unsigned ha_takeovers_running(const struct ha *h)
{
	return h->running + h->queued;
}

/* ---- sync streams: a cluster-side driver for the benchmark ---- */

static void on_stream_response(void *arg, struct ike_sa *sa, const struct ikm_msg *resp);

/* One valid request: M1 one above what the peer expects from us now (so
 * P-a passes), P1 = what we expect, a fresh nonce. */
static int stream_next(struct ha *h, struct ike_sa *sa, struct ha_sa *hs)
{
	struct ikm_builder b;
	struct haw_mid req;
	uint32_t ns, nr;
	int len;

	ike_sa_mids(sa, &ns, &nr);
	if (ns == UINT32_MAX || ikc_rng_bytes(h->env.rng, req.nonce, HAW_NONCE_LEN))
		return -EOVERFLOW;
	hs->pend = (struct har_pending){ .outstanding = true, .m1 = ns + 1, .p1 = nr };
	memcpy(hs->pend.nonce, req.nonce, HAW_NONCE_LEN);
	req.send = hs->pend.m1;
	req.recv = hs->pend.p1;
	ikm_build_chain(&b, hs->plain, sizeof(hs->plain));
	haw_build_mid(&b, &req);
	if ((len = ikm_build_end(&b)) < 0)
		return len;
	hs->plain_len = (size_t)len;
	return ike_sa_oob_request(sa, INFORMATIONAL, 0, PT_N, hs->plain, hs->plain_len,
				  on_stream_response, hs);
}

static void stream_end(struct ha *h, struct ha_sa *hs, bool failed)
{
	hs->streaming = false;
	hs->pend.outstanding = false;
	h->streams--;
	if (failed)
		h->stream_failed++;
}

/* The ring holds the streams' per-SA state directly (no lookup by id per
 * request); ext_sa_free() takes a freed IKE SA out. */
static int sq_push(struct ha *h, struct ha_sa *hs)
{
	if (h->sq_n == h->sq_cap) {
		size_t cap = h->sq_cap ? 2 * h->sq_cap : 64;
		struct ha_sa **q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (size_t i = 0; i < h->sq_n; i++)
			q[i] = h->sq[(h->sq_head + i) % h->sq_cap];
		free(h->sq);
		h->sq = q;
		h->sq_cap = cap;
		h->sq_head = 0;
	}
	h->sq[(h->sq_head + h->sq_n++) % h->sq_cap] = hs;
	return 0;
}

/* Send the next request of the streams waiting in the queue, round robin,
 * while fewer than the window are outstanding (0: no limit). */
static void stream_pump(struct ha *h)
{
	if (h->s_pumping)
		return;
	h->s_pumping = true;
	while (h->sq_n && (!h->s_window || h->s_inflight < h->s_window)) {
		struct ha_sa *hs = h->sq[h->sq_head];

		h->sq_head = (h->sq_head + 1) % h->sq_cap;
		h->sq_n--;
		if (!hs || !hs->streaming || hs->stream_out)
			continue;
		if (stream_next(h, hs->sa, hs)) {
			stream_end(h, hs, true);
			continue;
		}
		hs->stream_out = true;
		h->s_inflight++;
	}
	h->s_pumping = false;
}

static void on_stream_response(void *arg, struct ike_sa *sa, const struct ikm_msg *resp)
{
	struct ha_sa *hs = arg;
	struct ha *h = hs->h;
	struct haw_mid mid;
	uint32_t ns, nr;

	if (hs->stream_out) {
		hs->stream_out = false;
		h->s_inflight--;
	}
	if (!hs->streaming)
		return;
	if (!resp || haw_parse_response(resp, &mid) != HAW_OK ||
	    har_clu_check(&hs->pend, &mid) != HAR_OK) {
		stream_end(h, hs, true);
		stream_pump(h);
		return;
	}
	ike_sa_mids(sa, &ns, &nr);
	ike_sa_set_mids(sa, mid.recv > ns ? mid.recv : ns, mid.send > nr ? mid.send : nr);
	h->stream_answered++;
	h->stream_t1 = now_ms(h);
	if (--hs->stream_left == 0)
		stream_end(h, hs, false);
	else if (sq_push(h, hs))
		stream_end(h, hs, true);
	stream_pump(h);
}

void ha_stream_window(struct ha *h, unsigned window)
{
	h->s_window = window;
}

static void stream_stop_one(void *arg, const struct ike_sa_info *info,
			    const struct ike_child_info *c, unsigned n)
{
	struct ha *h = arg;
	struct ike_sa *sa = ike_sa_by_id(h->e, info->id);
	struct ha_sa *hs = sa ? ike_sa_ext(sa) : NULL;

	(void)c;
	(void)n;
	if (!hs || !hs->streaming)
		return;
	if (hs->stream_out)
		hs->stream_left = 1;     /* ends with the answer on its way */
	else
		stream_end(h, hs, false);
}

void ha_stream_stop(struct ha *h)
{
	if (!h->e)
		return;
	ike_foreach_sa(h->e, stream_stop_one, h);
	h->sq_n = 0;
}

int ha_stream(struct ha *h, uint32_t ike_id, unsigned count)
{
	struct ike_sa *sa = h->e ? ike_sa_by_id(h->e, ike_id) : NULL;
	struct ha_sa *hs;

	if (!sa)
		return -ENOENT;
	if (!ike_sa_established(sa) || !(ike_sa_caps(sa) & IKE_CAP_MID_SYNC))
		return -ENOTCONN;
	hs = hsa_get(h, sa);
	if (!hs)
		return -ENOMEM;
	if (hs->streaming || hs->state == HA_SYNC_PENDING || !count)
		return -EBUSY;
	if (sq_push(h, hs))
		return -ENOMEM;
	if (!h->streams) {
		h->stream_answered = h->stream_failed = 0;
		h->stream_t0 = h->stream_t1 = now_ms(h);
	}
	hs->streaming = true;
	hs->stream_left = count;
	h->streams++;
	stream_pump(h);
	return hs->streaming || !hs->stream_left ? 0 : -EIO;
}

void ha_stream_stats(const struct ha *h, unsigned *running, uint64_t *answered,
		     uint64_t *failed, uint64_t *ms)
{
	*running = h->streams;
	*answered = h->stream_answered;
	*failed = h->stream_failed;
	*ms = h->stream_t1 - h->stream_t0;
}

/* ---- timers ---- */

uint64_t ha_next_timer(const struct ha *h)
{
	if (h->n_kills)
		return 0;
	if (h->n_watch)
		return h->next_poll;
	return UINT64_MAX;
}

static void run_kills(struct ha *h)
{
	while (h->n_kills) {
		struct ha_kill k = h->kills[--h->n_kills];
		struct ike_sa *sa = ike_sa_by_id(h->e, k.id);
		char conn[AGC_NAME_MAX];
		bool again;

		if (!sa)
			continue;
		again = can_initiate(sa);
		snprintf(conn, sizeof(conn), "%s", ike_sa_conn(sa)->name);
		ike_sa_drop(sa, k.reason);
		/* RFC 7296 §2.4: the new IKE SA carries INITIAL_CONTACT
		 * (connection default), so the peer drops what it still has. */
		if (again)
			ike_initiate(h->e, conn, NULL);
	}
}

static void run_watch(struct ha *h)
{
	uint64_t now = now_ms(h);
	size_t keep = 0;

	for (size_t i = 0; i < h->n_watch; i++) {
		struct ike_sa *sa = ike_sa_by_id(h->e, h->watch[i]);
		struct ha_sa *hs = sa ? ike_sa_ext(sa) : NULL;
		bool pending = false;

		if (!hs || hs->state != HA_SYNC_REKEYING)
			continue;
		for (unsigned k = 0; k < hs->n_wait; k++)
			pending |= child_exists(sa, hs->wait[k]);
		if (!pending) {
			/* The old Child SAs are gone: only fresh counters left. */
			release_group(h, sa, hs);
			set_state(h, hs, HA_SYNC_DONE);
			hs->finished = now;
			h->st.takeovers_done++;
			ike_sa_log(sa, IKE_LOG_INFO, "RFC 6311: Child SAs replaced, group released; "
				   "takeover done in %llu ms",
				   (unsigned long long)(hs->finished - hs->started));
			continue;
		}
		if (now >= hs->wait_until) {
			takeover_fail(h, sa, hs, "Child SAs with exhausted counters were not rekeyed");
			continue;
		}
		h->watch[keep++] = h->watch[i];
	}
	h->n_watch = keep;
	h->next_poll = now + WATCH_POLL_MS;
}

void ha_run_timers(struct ha *h)
{
	if (!h->e)
		return;
	if (h->n_watch && now_ms(h) >= h->next_poll)
		run_watch(h);
	run_kills(h);
}

/* ---- the rest of the API ---- */

int ha_new(const struct ha_env *env, struct ha **out)
{
	struct ha *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->env = *env;
	h->epoch = 1;
	*out = h;
	return 0;
}

void ha_free(struct ha *h)
{
	if (!h)
		return;
	free(h->kills);
	free(h->watch);
	free(h->queue);
	free(h->sq);
	free(h);
}

void ha_attach(struct ha *h, struct ike_engine *e)
{
	h->e = e;
}

void ha_set_dp(struct ha *h, const struct dp *dp)
{
	h->env.dp = *dp;
}

struct ike_engine *ha_engine(const struct ha *h)
{
	return h->e;
}

uint64_t ha_epoch(const struct ha *h)
{
	return h->epoch;
}

int ha_set_epoch(struct ha *h, uint64_t epoch)
{
	if (epoch <= h->epoch)
		return -EINVAL;
	h->epoch = epoch;
	return 0;
}

const struct ha_stats *ha_stats(const struct ha *h)
{
	return &h->st;
}

const char *ha_sync_state_str(enum ha_sync_state s)
{
	static const char *const n[] = { "none", "held", "pending", "rekeying", "done", "failed" };

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

const char *ha_case_str(enum har_case c)
{
	switch (c) {
	case HAR_CASE_MID: return "Message ID sync";
	case HAR_CASE_RC: return "replay counter sync";
	case HAR_CASE_BOTH: return "Message ID and replay counter sync";
	case HAR_CASE_NONE: return "peer without support: jump and release";
	}
	return "-";
}

int ha_sa_info(const struct ha *h, uint32_t ike_id, struct ha_sa_info *out)
{
	struct ike_sa *sa = h->e ? ike_sa_by_id(h->e, ike_id) : NULL;
	const struct ha_sa *hs;

	if (!sa)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->caps = ike_sa_caps(sa);
	hs = ike_sa_ext(sa);
	if (!hs)
		return 0;
	out->offered = hs->offered;
	out->peer_offered = hs->peer_offered;
	out->state = hs->state;
	out->epoch = hs->epoch;
	out->kase = hs->plan.kase;
	out->m1 = hs->pend.m1;
	out->p1 = hs->pend.p1;
	out->m2 = hs->m2;
	out->p2 = hs->p2;
	memcpy(out->nonce, hs->pend.nonce, HAW_NONCE_LEN);
	out->jump = hs->plan.jump;
	out->delta = hs->plan.rc_len ? hs->plan.delta : 0;
	if (hs->state == HA_SYNC_DONE || hs->state == HA_SYNC_FAILED)
		out->ms = hs->finished - hs->started;
	else if (hs->state == HA_SYNC_PENDING || hs->state == HA_SYNC_REKEYING)
		out->ms = now_ms(h) - hs->started;
	out->dropped = hs->dropped;
	out->last_drop = hs->last_drop;
	out->answered = hs->answered;
	out->have_m1 = hs->have_m1;
	out->last_m1 = hs->last_m1;
	out->delta_applied = hs->delta_applied;
	out->card_epoch = hs->card_epoch;
	return 0;
}

int ha_mark_restored(struct ha *h, uint32_t ike_id, const struct ha_restored *r)
{
	struct ike_sa *sa = h->e ? ike_sa_by_id(h->e, ike_id) : NULL;
	struct ha_sa *hs;
	uint64_t ep = 0;
	uint32_t g;

	if (!sa)
		return -ENOENT;
	hs = hsa_get(h, sa);
	if (!hs)
		return -ENOMEM;
	hs->restored = true;
	hs->rest = *r;
	hs->state = HA_SYNC_HELD;
	hs->offered = r->offered;
	hs->peer_offered = r->peer_offered;
	if (r->held)
		hs->held = true;
	if (h->epoch <= r->snap_epoch)
		h->epoch = r->snap_epoch + 1;
	/* Until its takeover: no ESP with restored (stale) counters, no
	 * request sent or processed with restored (stale) Message IDs. */
	ike_sa_hold_sending(sa, true);
	ike_sa_hold_requests(sa, true);
	if (dp_ops(h) && sa_group(sa, &g) && !hs->held) {
		if (dp_ops(h)->group_hold(h->env.dp.ctx, g, &ep))
			return -EIO;
		hs->held = true;
		hs->card_epoch = ep;
	}
	return 0;
}

int ha_export(const struct ha *h, uint32_t ike_id, struct ha_restored *out)
{
	struct ike_sa *sa = h->e ? ike_sa_by_id(h->e, ike_id) : NULL;
	const struct ha_sa *hs;

	if (!sa)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->snap_epoch = h->epoch;
	out->snap_wall_ms = wall_ms(h);
	hs = ike_sa_ext(sa);
	if (hs) {
		out->offered = hs->offered;
		out->peer_offered = hs->peer_offered;
	}
	if (hs && hs->restored) {
		out->have_last_m1 = hs->rest.have_last_m1;
		out->last_m1 = hs->rest.last_m1;
	}
	if (hs && hs->epoch == h->epoch && hs->pend.m1 &&
	    (!out->have_last_m1 || hs->pend.m1 > out->last_m1)) {
		out->have_last_m1 = true;
		out->last_m1 = hs->pend.m1;
	}
	return 0;
}
