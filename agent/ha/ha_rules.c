/* ha_rules.c — RFC 6311 decisions of both roles, pure; see ha_rules.h. */
#include "ha_rules.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name, *text;
} rules[HAR_RULE_MAX] = {
	[HAR_OK] = { "ok", "accepted" },
	[HAR_NOT_ESTABLISHED] = { "state", "IKE SA not established" },
	[HAR_NOT_NEGOTIATED] = { "§5", "Message ID sync was not negotiated for this IKE SA" },
	[HAR_NOT_SYNC] = { "§5.1-shape", "not a synchronization message" },
	[HAR_PA] = { "P-a", "M1 not above the highest Message ID seen from the cluster" },
	[HAR_RETRANSMIT] = { "retransmit", "identical retransmission, answered again" },
	[HAR_R4] = { "R4", "nonce does not match the outstanding request" },
	[HAR_R6] = { "R6", "no synchronization outstanding (a valid response was processed)" },
	[HAR_M2_LOW] = { "M2<M1", "response M2 below our M1" },
	[HAR_P2_LOW] = { "P2<P1", "response P2 below our P1" },
	[HAR_R7] = { "R7", "request held until the synchronization completes" },
	[HAR_RC_NOT_NEGOTIATED] = { "§5-rc", "replay counter sync was not negotiated" },
	[HAR_RC_WIDTH] = { "§6.4-width", "delta width does not match the Child SAs' ESN mode" },
	[HAR_RC_MIXED_ESN] = { "§6.4-esn", "Child SAs mix ESN and non-ESN" },
	[HAR_RC_OVERFLOW] = { "overflow", "delta would pass a sequence counter limit" },
	[HAR_RC_NO_CHILD] = { "no-child", "no Child SA to apply the delta to" },
	[HAR_MID_SPACE] = { "mid-space", "M1 would not fit in 32 bits" },
};

const char *har_rule_name(enum har_rule r)
{
	return (unsigned)r < HAR_RULE_MAX && rules[r].name ? rules[r].name : "?";
}

const char *har_rule_str(enum har_rule r)
{
	return (unsigned)r < HAR_RULE_MAX && rules[r].text ? rules[r].text : "unknown";
}

/* ---- peer side ---- */

static bool esn_homogeneous(const struct har_children *ch)
{
	return ch->n_esn == 0 || ch->n_esn == ch->n;
}

enum har_delta_act har_peer_delta(uint32_t caps, const struct har_children *ch,
				  uint8_t rc_len, uint64_t delta, enum har_rule *rule)
{
	/* §5: "Only a capability whose support was asserted by both parties
	 * can be used during the lifetime of the SA." */
	if (!(caps & HAR_CAP_RC)) {
		*rule = HAR_RC_NOT_NEGOTIATED;
		return HAR_DELTA_REFUSE;
	}
	if (!ch->n) {
		*rule = HAR_RC_NO_CHILD;
		return HAR_DELTA_REFUSE;
	}
	/* §6.4: "this constrains the Child SAs of each IKE SA to either all
	 * have the ESN bit on or off." */
	if (!esn_homogeneous(ch)) {
		*rule = HAR_RC_MIXED_ESN;
		return HAR_DELTA_REFUSE;
	}
	/* §6.4: "if the ESN bit is 1, the field's size is 8 octets;
	 * otherwise, it is 4 octets." */
	if (rc_len != (ch->n_esn ? HAW_RC_LEN_64 : HAW_RC_LEN_32)) {
		*rule = HAR_RC_WIDTH;
		return HAR_DELTA_REFUSE;
	}
	/* RFC 4303 §3.3.3: "the sender's counter ... MUST NOT be allowed to
	 * cycle"; the card refuses such an add as well (atomically). */
	if (ch->tx_known && (delta > ch->tx_limit || ch->tx_max > ch->tx_limit - delta)) {
		*rule = HAR_RC_OVERFLOW;
		return HAR_DELTA_REFUSE;
	}
	*rule = HAR_OK;
	return HAR_DELTA_APPLY;
}

void har_peer_decide(const struct har_peer *st, enum haw_why shape,
		     const struct haw_sync *req, struct har_peer_verdict *out)
{
	uint32_t m1, p1, p2;
	uint64_t floor;

	memset(out, 0, sizeof(*out));
	out->act = HAR_ACT_DROP;
	if (!st->established) {
		out->rule = HAR_NOT_ESTABLISHED;
		return;
	}
	if (!(st->caps & HAR_CAP_MID)) {
		out->rule = HAR_NOT_NEGOTIATED;
		return;
	}
	if (shape != HAW_OK) {
		out->rule = HAR_NOT_SYNC;
		out->shape = shape;
		return;
	}
	m1 = req->mid.send;
	p1 = req->mid.recv;
	/* An identical retransmission of the request we answered last, with
	 * no request from the cluster processed since: the answer was lost,
	 * give the same one again and change nothing (PROTOCOL.md §2.5; a
	 * literal P-a would drop it and the IKE SA would die). */
	if (st->have_last && !memcmp(req->mid.nonce, st->last_req.nonce, HAW_NONCE_LEN) &&
	    m1 == st->last_req.send && p1 == st->last_req.recv &&
	    st->next_recv == st->recv_after) {
		out->act = HAR_ACT_RESEND;
		out->rule = HAR_RETRANSMIT;
		out->resp = st->last_resp;
		return;
	}
	/* P-a, §5.1: "The peer MUST silently drop any received
	 * synchronization message if M1 is lower than or equal to the highest
	 * value it has seen from the cluster. This includes any previous
	 * received synchronization messages." next_recv is one above the
	 * highest request Message ID received (0: none yet). */
	floor = st->next_recv;
	if (st->have_m1 && (uint64_t)st->last_m1 + 1 > floor)
		floor = (uint64_t)st->last_m1 + 1;
	if (m1 < floor) {
		out->rule = HAR_PA;
		return;
	}
	/* P-b, §5.1: "M2 MUST be at least the higher of the received M1, and
	 * one more than the highest sender value received from the cluster."
	 * M1 >= floor here, so M2 = M1. */
	/* P-c, §5.1: "P2 MUST be the higher of the received P1 value, and one
	 * more than the highest sender value used by the peer." next_send is
	 * one above every request we sent, outstanding ones included, so
	 * they are abandoned (P-g, §9: "should not wait for a response to
	 * message 3 any more"). */
	p2 = p1 > st->next_send ? p1 : st->next_send;
	/* Simultaneous failover (PROTOCOL.md §4.4): our own pending M1 counts
	 * as used, so a late answer to it cannot roll us back. */
	if (st->own_pending && st->own_m1 > p2)
		p2 = st->own_m1;
	out->act = HAR_ACT_ANSWER;
	out->rule = HAR_OK;
	/* P-d: "This field MUST be returned in the response, unchanged." */
	memcpy(out->resp.nonce, req->mid.nonce, HAW_NONCE_LEN);
	/* §6.3: the response is in the peer's view: (nonce, P2, M2). */
	out->resp.send = p2;
	out->resp.recv = m1;
	out->new_send = p2;
	out->new_recv = m1;
	/* §5.2: "the peer MUST process the Message ID notification first
	 * (which might cause the entire message to be dropped as a replay).
	 * Then, it MUST increment the replay counters for all Child SAs". */
	if (req->has_rc) {
		out->delta = req->delta;
		out->delta_act = har_peer_delta(st->caps, &st->ch, req->rc_len, req->delta,
						&out->delta_rule);
		out->rekey_children = out->delta_act == HAR_DELTA_REFUSE &&
				      (out->delta_rule == HAR_RC_MIXED_ESN ||
				       out->delta_rule == HAR_RC_WIDTH ||
				       out->delta_rule == HAR_RC_OVERFLOW);
	}
}

void har_peer_commit(struct har_peer *st, const struct haw_sync *req,
		     const struct har_peer_verdict *v)
{
	if (v->act != HAR_ACT_ANSWER)
		return;
	st->next_send = v->new_send;
	st->next_recv = v->new_recv;
	if (!st->have_m1 || req->mid.send > st->last_m1)
		st->last_m1 = req->mid.send;
	st->have_m1 = true;
	st->have_last = true;
	st->last_req = req->mid;
	st->last_resp = v->resp;
	st->recv_after = v->new_recv;
}

/* ---- cluster side ---- */

uint64_t har_stale_packets(uint64_t rate, uint32_t interval_ms, uint64_t age_ms)
{
	uint64_t t = age_ms > interval_ms ? age_ms : interval_ms;

	if (rate && t > UINT64_MAX / rate)
		return UINT64_MAX / 1000;
	return rate * t / 1000;
}

uint64_t har_roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p < (UINT64_C(1) << 63))
		p <<= 1;
	return p;
}

/* roundup_pow2(max(2 * stale, floor)), capped at HAR_JUMP_MAX. */
static uint64_t size_jump(uint64_t stale, uint64_t floor, bool *capped)
{
	uint64_t want = stale > UINT64_MAX / 2 ? UINT64_MAX : 2 * stale;

	if (want < floor)
		want = floor;
	if (want > HAR_JUMP_MAX) {
		*capped = true;
		return HAR_JUMP_MAX;
	}
	return har_roundup_pow2(want);
}

int har_clu_plan(const struct har_clu_in *in, const struct har_clu_cfg *cfg,
		 uint64_t epoch, struct har_plan *out)
{
	uint64_t w = in->window ? in->window : 1;
	uint64_t stale = har_stale_packets(cfg->rate, cfg->interval_ms, in->age_ms);
	bool mid = in->caps & HAR_CAP_MID, rc = in->caps & HAR_CAP_RC;
	bool capped = false;

	memset(out, 0, sizeof(*out));
	/* §5.2: "the newly active member MUST increment its own replay
	 * counter ... The estimate is based on the outgoing IPsec bandwidth
	 * and the frequency of synchronization between cluster members."
	 * (PROTOCOL.md §7: B_out = roundup_pow2(max(2 N_out, R T)).) */
	out->jump = size_jump(stale, HAR_JUMP_MIN, &capped);
	/* "In the latter case, a rekey SHOULD follow shortly afterwards, to
	 * ensure that the counter never wraps around." */
	out->rekey_soon = out->jump >= HAR_REKEY_JUMP;
	/* "Next, the cluster member estimates the number of incoming
	 * messages it might have missed, using similar logic." */
	if (rc) {
		if (!in->ch.n) {
			out->rc_rule = HAR_RC_NO_CHILD;
		} else if (!esn_homogeneous(&in->ch)) {
			out->rc_rule = HAR_RC_MIXED_ESN;
		} else {
			out->delta = size_jump(stale, HAR_DELTA_MIN, &capped);
			out->rc_len = in->ch.n_esn ? HAW_RC_LEN_64 : HAW_RC_LEN_32;
		}
	}
	out->stale_unbounded = capped;
	if (mid)
		out->kase = out->rc_len ? HAR_CASE_BOTH : HAR_CASE_MID;
	else
		out->kase = out->rc_len ? HAR_CASE_RC : HAR_CASE_NONE;
	/* §8.2 policy: without a delta the peer keeps sending just above the
	 * stale window; we accept that range (lenient) and replace the
	 * Child SAs soon so the exposure is bounded. */
	out->rekey_children = cfg->rekey_unsynced && in->ch.n && !out->rc_len;
	if (!mid)
		return 0;
	/* R1, §5.1: "M1 MUST be chosen so that it is larger than any value
	 * known to have been used. It is RECOMMENDED to increment the known
	 * value at least by the size of the IKE sender window." Over R3's
	 * write-ahead records (the highest M1 any member announced) and, for
	 * failovers since the replicated state whose syncs we cannot know,
	 * one more window each (PROTOCOL.md §4.3). */
	uint64_t m1 = (uint64_t)in->next_send + w;
	uint64_t missed = epoch > in->snap_epoch + 1 ? epoch - in->snap_epoch - 1 : 0;

	if (in->have_last_m1 && (uint64_t)in->last_m1 + 1 > m1)
		m1 = (uint64_t)in->last_m1 + 1;
	if (missed > UINT32_MAX)
		missed = UINT32_MAX;
	m1 += w * missed + cfg->mid_margin;
	/* RFC 7296 §2.2: "In the unlikely event that Message IDs grow too
	 * large to fit in 32 bits, the IKE SA MUST be closed or rekeyed." We
	 * need room for the window after M1. */
	if (m1 > (uint64_t)UINT32_MAX - w) {
		out->rc_rule = out->rc_rule ? out->rc_rule : HAR_MID_SPACE;
		return -EOVERFLOW;
	}
	out->m1 = (uint32_t)m1;
	/* R2, §5.1: "P1 SHOULD be 1 more than the last Message ID value
	 * received from the peer, but may be any higher value." */
	out->p1 = in->next_recv;
	out->rekey_ike = out->m1 >= HAR_MID_REKEY;
	return 0;
}

enum har_rule har_clu_check(const struct har_pending *p, const struct haw_mid *resp)
{
	/* §11: "After it receives a valid response, it MUST NOT process the
	 * same response again and MUST discard any additional responses." */
	if (!p->outstanding)
		return HAR_R6;
	/* §5.1: "A response MUST be silently dropped if the received nonce
	 * does not match the one that was sent." */
	if (memcmp(p->nonce, resp->nonce, HAW_NONCE_LEN))
		return HAR_R4;
	/* The response is (nonce, P2, M2); a compliant peer never answers
	 * below what we proposed (P-b, P-c). */
	if (resp->recv < p->m1)
		return HAR_M2_LOW;
	if (resp->send < p->p1)
		return HAR_P2_LOW;
	return HAR_OK;
}
