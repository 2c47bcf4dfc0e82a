/* ike_auth.c — IKE_AUTH with pre-shared keys and the first Child SA
 * (RFC 7296 §1.2, §2.15, §2.9 narrowing, §2.21.2 errors). */
#include "ike_int.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static struct ikm_proposal props[IKM_MAX_PROPS];

/* Our identity: configured, else our address (§3.5 ID_IPV4_ADDR/IPV6). */
static void our_id(const struct ike_sa *sa, struct agc_id *id)
{
	*id = sa->conn->c.local_id;
	if (id->type)
		return;
	if (sa->local.ss_family == AF_INET6) {
		id->type = ID_IPV6_ADDR;
		id->len = 16;
		memcpy(id->data, &((const struct sockaddr_in6 *)&sa->local)->sin6_addr, 16);
	} else {
		id->type = ID_IPV4_ADDR;
		id->len = 4;
		memcpy(id->data, &((const struct sockaddr_in *)&sa->local)->sin_addr, 4);
	}
}

/* RFC 7296 §2.15 "RestOfInitIDPayload": ID Type, three reserved octets,
 * identification data. */
static size_t id_body(const struct agc_id *id, uint8_t *out)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4u + id->len;
}

static int auth_compute(const struct ike_sa *sa, bool as_initiator, const uint8_t *body,
			size_t body_len, uint8_t *out, size_t *out_len)
{
	const struct agc_conn *c = &sa->conn->c;
	/* §2.15: InitiatorSignedOctets = RealMessage1 | NonceRData |
	 * MACedIDForI; ResponderSignedOctets = RealMessage2 | NonceIData |
	 * MACedIDForR. */
	struct ikc_auth_input in = {
		.real_msg = as_initiator ? sa->init_i : sa->init_r,
		.real_msg_len = as_initiator ? sa->init_i_len : sa->init_r_len,
		.nonce = as_initiator ? sa->nr : sa->ni,
		.nonce_len = as_initiator ? sa->nr_len : sa->ni_len,
		.sk_p = as_initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
		.sk_p_len = sa->keys.prf_len,
		.id_body = body, .id_body_len = body_len,
	};

	return ikc_auth_psk(sa->suite.prf, c->psk, c->psk_len, &in, out, out_len);
}

static int auth_verify(const struct ike_sa *sa, bool peer_is_initiator,
		       const struct ikm_pl_id *id, const struct ikm_pl_auth *auth)
{
	const struct agc_conn *c = &sa->conn->c;
	struct ikc_auth_input in = {
		.real_msg = peer_is_initiator ? sa->init_i : sa->init_r,
		.real_msg_len = peer_is_initiator ? sa->init_i_len : sa->init_r_len,
		.nonce = peer_is_initiator ? sa->nr : sa->ni,
		.nonce_len = peer_is_initiator ? sa->nr_len : sa->ni_len,
		.sk_p = peer_is_initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
		.sk_p_len = sa->keys.prf_len,
		.id_body = id->body, .id_body_len = id->body_len,
	};

	if (auth->method != AUTH_SHARED_KEY)
		return -EBADMSG;
	return ikc_auth_psk_verify(sa->suite.prf, c->psk, c->psk_len, &in, auth->data, auth->len);
}

static void build_window(const struct ike_sa *sa, struct ikm_builder *b)
{
	uint8_t v[4];

	/* RFC 7296 §2.3: SET_WINDOW_SIZE announces how many requests we can
	 * take at once; without it the peer assumes 1. */
	if (sa->win_in > 1) {
		put_be32(v, sa->win_in);
		ikm_build_notify(b, 0, NULL, 0, N_SET_WINDOW_SIZE, v, 4);
	}
}

static void read_window(struct ike_sa *sa, const struct ikm_msg *m)
{
	const struct ikm_pl_notify *n = ikm_find_notify(m, N_SET_WINDOW_SIZE);

	if (n && n->data_len == 4) {
		uint32_t v = get_be32(n->data);

		sa->win_out = v < 1 ? 1 : v > IKE_MAX_WINDOW ? IKE_MAX_WINDOW : v;
	}
}

static unsigned conf_ts(const struct agc_ts *in, size_t n, struct ikm_ts *out)
{
	unsigned k = 0;

	for (size_t i = 0; i < n && k < IKM_MAX_TS; i++)
		ts_from_conf(&in[i], &out[k++]);
	return k;
}

static bool other_sa_of_conn(const struct ike_sa *sa)
{
	for (const struct ike_sa *o = sa->e->head; o; o = o->next)
		if (o != sa && o->conn == sa->conn && o->state == IKE_S_ESTABLISHED)
			return true;
	return false;
}

/* ---- initiator ---- */

int ike_auth_start(struct ike_sa *sa)
{
	static uint8_t plain[IKE_MSG_BUF];
	const struct agc_conn *c = &sa->conn->c;
	struct ikm_builder b;
	struct ike_xchg *x = ike_xchg_new(XK_AUTH);
	struct agc_id id;
	uint8_t body[4 + AGC_ID_MAX], auth[IKC_MAX_PRF_LEN], spi[4];
	size_t body_len, auth_len = 0;
	int err;

	if (!x)
		return -ENOMEM;
	err = ike_alloc_child_spi(sa->e, &x->new_spi);
	if (err)
		goto fail;
	our_id(sa, &id);
	body_len = id_body(&id, body);
	err = auth_compute(sa, true, body, body_len, auth, &auth_len);
	if (err)
		goto fail;
	x->n_tsi = conf_ts(c->local_ts, c->n_local_ts, x->tsi);
	x->n_tsr = conf_ts(c->remote_ts, c->n_remote_ts, x->tsr);
	if (sa->ts_port) {
		for (unsigned i = 0; i < x->n_tsi; i++) {
			x->tsi[i].ip_proto = 17;
			x->tsi[i].start_port = x->tsi[i].end_port = sa->ts_port;
		}
		for (unsigned i = 0; i < x->n_tsr; i++) {
			x->tsr[i].ip_proto = 17;
			x->tsr[i].start_port = x->tsr[i].end_port = sa->ts_port;
		}
	}
	ikm_build_chain(&b, plain, sizeof(plain));
	ikm_build_id(&b, PT_IDI, id.type, id.data, id.len);
	/* §2.4: INITIAL_CONTACT "asserts that this IKE SA is the only IKE SA
	 * currently active between the authenticated identities". */
	if (c->initial_contact && !other_sa_of_conn(sa))
		ikm_build_notify(&b, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	if (c->remote_id.type)
		ikm_build_id(&b, PT_IDR, c->remote_id.type, c->remote_id.data, c->remote_id.len);
	ikm_build_auth(&b, AUTH_SHARED_KEY, auth, auth_len);
	if (sa->e->env.ext && sa->e->env.ext->auth_build)
		sa->e->env.ext->auth_build(sa->e->env.ext_ctx, sa, &b, false, NULL);
	build_window(sa, &b);
	put_be32(spi, x->new_spi);
	for (size_t i = 0; i < c->n_esp && i < IKM_MAX_PROPS; i++)
		prop_to_wire(&c->esp[i], (uint8_t)(i + 1), spi, 4, true, 0, &props[i]);
	ikm_build_sa(&b, props, (unsigned)(c->n_esp < IKM_MAX_PROPS ? c->n_esp : IKM_MAX_PROPS));
	ikm_build_ts(&b, PT_TSI, x->tsi, x->n_tsi);
	ikm_build_ts(&b, PT_TSR, x->tsr, x->n_tsr);
	OPENSSL_cleanse(auth, sizeof(auth));
	SA_LOG(sa, IKE_LOG_DEBUG, "sending IKE_AUTH request");
	return ike_send_request(sa, x, IKE_AUTH, &b);
fail:
	ike_xchg_free(x);
	ike_sa_kill(sa, "IKE_AUTH could not be built");
	return err;
}

static void child_from_auth(struct ike_sa *sa, struct ike_xchg *x, const struct ikm_msg *m)
{
	const struct agc_conn *c = &sa->conn->c;
	const struct ikm_payload *sa_pl = ikm_find(m, PT_SA);
	const struct ikm_payload *tsi = ikm_find(m, PT_TSI), *tsr = ikm_find(m, PT_TSR);
	const struct ikm_pl_notify *err_n = ikm_find_error(m);
	struct prop_want w = { .proto = PROTO_ESP, .spi_size = 4, .ignore_ke = true };
	struct prop_result pr;
	struct ike_child *ch;
	unsigned n;

	if (!sa_pl) {
		/* §2.21.2: "the initiator MUST NOT fail the authentication
		 * because of this". */
		SA_LOG(sa, IKE_LOG_WARN, "CHILD_SA not established (%s), keeping IKE SA",
		       err_n ? ikm_notify_name(err_n->type) : "no SA payload");
		return;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		goto refused;
	n = ikm_sa_proposals(&sa_pl->u.sa, props, IKM_MAX_PROPS);
	if (tsi)
		ch->n_tsl = ikm_ts_list(&tsi->u.ts, ch->tsl, IKM_MAX_TS);
	if (tsr)
		ch->n_tsr = ikm_ts_list(&tsr->u.ts, ch->tsr, IKM_MAX_TS);
	if (!tsi || !tsr || prop_accept(c->esp, c->n_esp, props, n, &w, &pr) ||
	    !ts_all_within(ch->tsl, ch->n_tsl, x->tsi, x->n_tsi) ||
	    !ts_all_within(ch->tsr, ch->n_tsr, x->tsr, x->n_tsr)) {
		SA_LOG(sa, IKE_LOG_WARN, "CHILD_SA answer not acceptable (proposal or selectors), "
		       "deleting it at the peer");
		free(ch);
		goto refused;
	}
	ch->spi_in = x->new_spi;
	/* §2.17: KEYMAT = prf+(SK_d, Ni | Nr) with the IKE_SA_INIT nonces. */
	if (!ike_child_from_exchange(sa, ch, &pr, true, NULL, 0, sa->ni, sa->ni_len, sa->nr,
				     sa->nr_len))
		return;
refused:
	/* §1.3.1: "If this is unacceptable to the initiator, the initiator
	 * MUST delete the SA." The answer carried an SA payload, so the
	 * peer has the Child SA; it goes out after IKE_AUTH completes. */
	ike_child_unwanted(sa, x->new_spi);
}

void ike_auth_on_response(struct ike_sa *sa, struct ike_xchg *x, struct ikm_msg *m)
{
	const struct agc_conn *c = &sa->conn->c;
	const struct ikm_payload *idr = ikm_find(m, PT_IDR), *auth = ikm_find(m, PT_AUTH);
	const struct ikm_pl_notify *err_n = ikm_find_error(m);

	if (!idr || !auth) {
		SA_LOG(sa, IKE_LOG_WARN, "IKE_AUTH refused by peer: %s",
		       err_n ? ikm_notify_name(err_n->type) : "no AUTH");
		ike_sa_kill(sa, err_n ? ikm_notify_name(err_n->type) : "IKE_AUTH refused");
		return;
	}
	if (c->remote_id.type && (c->remote_id.type != idr->u.id.type ||
				  c->remote_id.len != idr->u.id.len ||
				  memcmp(c->remote_id.data, idr->u.id.data, idr->u.id.len))) {
		SA_LOG(sa, IKE_LOG_WARN, "peer identity does not match the configuration");
		ike_sa_kill(sa, "peer identity mismatch");
		return;
	}
	if (auth_verify(sa, false, &idr->u.id, &auth->u.auth)) {
		SA_LOG(sa, IKE_LOG_WARN, "peer AUTH invalid (pre-shared key mismatch?)");
		ike_sa_kill(sa, "AUTHENTICATION_FAILED");
		return;
	}
	sa->peer_id.type = idr->u.id.type;
	sa->peer_id.len = (uint8_t)(idr->u.id.len > AGC_ID_MAX ? AGC_ID_MAX : idr->u.id.len);
	memcpy(sa->peer_id.data, idr->u.id.data, sa->peer_id.len);
	read_window(sa, m);
	if (sa->e->env.ext && sa->e->env.ext->auth_process)
		sa->e->env.ext->auth_process(sa->e->env.ext_ctx, sa, m);
	/* Keep the child parameters past the exchange's end (the copy's
	 * pointers are not used: ike_xchg_done frees them). */
	struct ike_xchg xs = *x;

	xs.ke = NULL;
	xs.pkt = NULL;
	ike_xchg_done(sa, x);
	child_from_auth(sa, &xs, m);
	ike_sa_established_now(sa, false);
}

/* ---- responder ---- */

/* Kill other IKE SAs with this peer identity (§2.4 INITIAL_CONTACT: "the
 * recipient MAY delete other SAs it has to the same authenticated identity
 * without waiting for a timeout"). */
static void initial_contact(struct ike_sa *sa)
{
	struct ike_sa *o, *nx;

	for (o = sa->e->head; o; o = nx) {
		nx = o->next;
		if (o == sa || o->conn != sa->conn || o->state == IKE_S_INIT_R ||
		    o->state == IKE_S_INIT_I || o->state == IKE_S_AUTH_I)
			continue;
		if (o->peer_id.type != sa->peer_id.type || o->peer_id.len != sa->peer_id.len ||
		    memcmp(o->peer_id.data, sa->peer_id.data, o->peer_id.len))
			continue;
		SA_LOG(o, IKE_LOG_INFO, "INITIAL_CONTACT from peer: deleting this old IKE SA");
		ike_sa_kill(o, "replaced (INITIAL_CONTACT)");
	}
}

static void auth_refuse(struct ike_sa *sa, struct ikm_msg *m, const char *why)
{
	uint8_t buf[64];
	struct ikm_builder b;

	SA_LOG(sa, IKE_LOG_WARN, "IKE_AUTH refused: %s", why);
	/* §2.21.2: "SHOULD result in an AUTHENTICATION_FAILED notification
	 * ... returned in the protected response". */
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
	ike_send_response(sa, m, &b, false);
	ike_sa_kill(sa, why);
}

static bool suite_ok_for(const struct agc_conn *c, const struct ikc_suite *s)
{
	for (size_t i = 0; i < c->n_ike; i++) {
		const struct ikc_proposal *p = &c->ike[i];

		if (ikc_proposal_has(p, TT_ENCR, s->encr, s->encr_keybits) &&
		    ikc_proposal_has(p, TT_PRF, s->prf, 0) && ikc_proposal_has(p, TT_KE, s->dh, 0) &&
		    (!s->integ || ikc_proposal_has(p, TT_INTEG, s->integ, 0)))
			return true;
	}
	return false;
}

void ike_auth_on_request(struct ike_sa *sa, struct ikm_msg *m)
{
	static uint8_t plain[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	const struct ikm_payload *idi = ikm_find(m, PT_IDI), *idr = ikm_find(m, PT_IDR);
	const struct ikm_payload *auth = ikm_find(m, PT_AUTH);
	const struct ikm_payload *sa_pl = ikm_find(m, PT_SA);
	const struct ikm_payload *tsi = ikm_find(m, PT_TSI), *tsr = ikm_find(m, PT_TSR);
	struct ike_conn *conn;
	struct ikm_builder b;
	struct agc_id id;
	struct prop_want w = { .proto = PROTO_ESP, .spi_size = 4, .ignore_ke = true };
	struct prop_result pr;
	struct ikm_ts ptsi[IKM_MAX_TS], ptsr[IKM_MAX_TS], ctsl[IKM_MAX_TS], ctsr[IKM_MAX_TS];
	uint8_t body[4 + AGC_ID_MAX], authv[IKC_MAX_PRF_LEN], spi[4];
	size_t body_len, auth_len = 0;
	struct ike_child *ch = NULL;
	uint16_t child_err = 0;
	unsigned n;

	conn = ike_conn_for_auth(e, sa, &idi->u.id, idr ? &idr->u.id : NULL);
	if (!conn) {
		auth_refuse(sa, m, "no connection matches the identities");
		return;
	}
	if (conn != sa->conn) {
		if (!suite_ok_for(&conn->c, &sa->suite)) {
			auth_refuse(sa, m, "IKE algorithms not allowed for the matching connection");
			return;
		}
		conn->refs++;
		ike_conn_put(sa->conn);
		sa->conn = conn;
	}
	if (auth_verify(sa, true, &idi->u.id, &auth->u.auth)) {
		auth_refuse(sa, m, "AUTH payload invalid (pre-shared key mismatch?)");
		return;
	}
	sa->peer_id.type = idi->u.id.type;
	sa->peer_id.len = (uint8_t)(idi->u.id.len > AGC_ID_MAX ? AGC_ID_MAX : idi->u.id.len);
	memcpy(sa->peer_id.data, idi->u.id.data, sa->peer_id.len);
	if (ikm_find_notify(m, N_INITIAL_CONTACT))
		initial_contact(sa);
	read_window(sa, m);
	if (e->env.ext && e->env.ext->auth_process)
		e->env.ext->auth_process(e->env.ext_ctx, sa, m);

	/* The Child SA: proposal and narrowed selectors (§2.9). */
	n = ikm_sa_proposals(&sa_pl->u.sa, props, IKM_MAX_PROPS);
	if (prop_select(conn->c.esp, conn->c.n_esp, props, n, &w, &pr)) {
		child_err = N_NO_PROPOSAL_CHOSEN;
	} else {
		unsigned ni = ikm_ts_list(&tsi->u.ts, ptsi, IKM_MAX_TS);
		unsigned nr = ikm_ts_list(&tsr->u.ts, ptsr, IKM_MAX_TS);
		unsigned ncl = conf_ts(conn->c.local_ts, conn->c.n_local_ts, ctsl);
		unsigned ncr = conf_ts(conn->c.remote_ts, conn->c.n_remote_ts, ctsr);

		ch = calloc(1, sizeof(*ch));
		if (!ch) {
			child_err = N_NO_PROPOSAL_CHOSEN;
		} else {
			/* TSi is the initiator's side: our remote. */
			ch->n_tsr = ts_narrow(ptsi, ni, ctsr, ncr, ch->tsr, IKM_MAX_TS);
			ch->n_tsl = ts_narrow(ptsr, nr, ctsl, ncl, ch->tsl, IKM_MAX_TS);
			if (!ch->n_tsl || !ch->n_tsr)
				child_err = N_TS_UNACCEPTABLE;
			else if (ike_alloc_child_spi(e, &ch->spi_in))
				child_err = N_NO_PROPOSAL_CHOSEN;
		}
	}
	if (child_err) {
		free(ch);
		ch = NULL;
	}
	our_id(sa, &id);
	body_len = id_body(&id, body);
	if (auth_compute(sa, false, body, body_len, authv, &auth_len)) {
		free(ch);
		auth_refuse(sa, m, "AUTH computation failed");
		return;
	}
	ikm_build_chain(&b, plain, sizeof(plain));
	ikm_build_id(&b, PT_IDR, id.type, id.data, id.len);
	ikm_build_auth(&b, AUTH_SHARED_KEY, authv, auth_len);
	OPENSSL_cleanse(authv, sizeof(authv));
	if (e->env.ext && e->env.ext->auth_build)
		e->env.ext->auth_build(e->env.ext_ctx, sa, &b, true, m);
	build_window(sa, &b);
	/* Install before answering (§2.8: "The responder ... MUST be
	 * prepared to accept messages on an SA before sending its response"). */
	if (ch && ike_child_from_exchange(sa, ch, &pr, false, NULL, 0, sa->ni, sa->ni_len,
					  sa->nr, sa->nr_len)) {
		ch = NULL;
		child_err = N_NO_PROPOSAL_CHOSEN;
	}
	if (ch) {
		put_be32(spi, ch->spi_in);
		prop_suite_to_wire(&ch->suite, PROTO_ESP, pr.num, spi, 4, &props[0]);
		ikm_build_sa(&b, props, 1);
		ikm_build_ts(&b, PT_TSI, ch->tsr, ch->n_tsr);
		ikm_build_ts(&b, PT_TSR, ch->tsl, ch->n_tsl);
	} else {
		SA_LOG(sa, IKE_LOG_WARN, "CHILD_SA refused: %s", ikm_notify_name(child_err));
		ikm_build_notify(&b, 0, NULL, 0, child_err, NULL, 0);
	}
	if (ike_send_response(sa, m, &b, false)) {
		ike_sa_kill(sa, "IKE_AUTH response failed");
		return;
	}
	ike_sa_established_now(sa, false);
}
