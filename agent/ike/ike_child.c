/* ike_child.c — CREATE_CHILD_SA in both roles (RFC 7296 §1.3): new Child
 * SAs, Child SA rekey and IKE SA rekey, with the collision rules of §2.8.1,
 * §2.8.2 and §2.25. */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static struct ikm_proposal props[IKM_MAX_PROPS];

/* §2.8.1: "'Lowest' means an octet-by-octet comparison ... If you reach the
 * end of one nonce, that nonce is the lower one." */
int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Is the lowest of the four nonces in exchange A (a1, a2)? */
static bool lowest_in_first(const uint8_t *a1, size_t a1l, const uint8_t *a2, size_t a2l,
			    const uint8_t *b1, size_t b1l, const uint8_t *b2, size_t b2l)
{
	const uint8_t *amin = a1, *bmin = b1;
	size_t aminl = a1l, bminl = b1l;

	if (ike_nonce_cmp(a2, a2l, a1, a1l) < 0) {
		amin = a2;
		aminl = a2l;
	}
	if (ike_nonce_cmp(b2, b2l, b1, b1l) < 0) {
		bmin = b2;
		bminl = b2l;
	}
	return ike_nonce_cmp(amin, aminl, bmin, bminl) < 0;
}

static unsigned conf_ts(const struct agc_ts *in, size_t n, struct ikm_ts *out)
{
	unsigned k = 0;

	for (size_t i = 0; i < n && k < IKM_MAX_TS; i++)
		ts_from_conf(&in[i], &out[k++]);
	return k;
}

/* ESN values the IKE SA's group still allows (RFC 6311 §6.4). */
static uint8_t esn_mask(const struct ike_sa *sa)
{
	return sa->group_valid ? (uint8_t)(1u << (sa->group_esn ? ESN_YES : ESN_NO)) : 0;
}

int ike_child_from_exchange(struct ike_sa *sa, struct ike_child *c,
			    const struct prop_result *pr, bool initiator,
			    const uint8_t *gir, size_t gir_len,
			    const uint8_t *ni, size_t ni_len,
			    const uint8_t *nr, size_t nr_len)
{
	struct ike_engine *e = sa->e;
	char alg[96] = "";
	int err;

	c->sa = sa;
	c->id = e->next_child_id++;
	c->suite = pr->suite;
	c->spi_out = get_be32(pr->spi);
	c->initiator = initiator;
	c->encap = sa->natt;
	c->created = ike_now(e);
	c->state = CH_INSTALLED;
	ike_child_timers_init(c);
	err = ikc_kdf_child(&sa->keys, &c->suite, gir, gir_len, ni, ni_len, nr, nr_len, &c->keys);
	if (!err && htab_find(&e->child_spis, c->spi_in))
		err = -EEXIST;
	if (!err)
		err = ike_child_install(sa, c);
	if (err) {
		SA_LOG(sa, IKE_LOG_ERROR, "CHILD_SA %08x not created: %s", c->spi_in, strerror(-err));
		ikc_child_keys_wipe(&c->keys);
		free(c);
		return err;
	}
	ike_child_link(sa, c);
	e->st.child_established++;
	ikc_suite_format(&c->suite, IKC_PROTO_ESP, alg, sizeof(alg));
	SA_LOG(sa, IKE_LOG_INFO, "CHILD_SA %u established (%s, SPIs %08x_i %08x_o%s%s)", c->id, alg,
	       c->spi_in, c->spi_out, c->encap ? ", UDP-encapsulated" : "",
	       c->installed ? ", in dataplane" : "");
	ike_emit(e, IKE_EV_CHILD_UP, sa, c, NULL, false);
	return 0;
}

/* ---- initiator ---- */

int ike_child_start(struct ike_sa *sa, enum xk kind, uint32_t child_spi)
{
	static uint8_t plain[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	const struct agc_conn *cf = &sa->conn->c;
	struct ike_child *old = NULL;
	struct ike_xchg *x;
	struct ikm_builder b;
	uint8_t ke[IKC_MAX_KE_LEN], spi[4];
	size_t ke_len = 0;
	unsigned np = 0;
	int err;

	if (kind == XK_CHILD_REKEY) {
		old = ike_child_by_in(sa, child_spi);
		if (!old || old->state != CH_INSTALLED)
			return -EALREADY;   /* gone or busy: nothing to do */
	}
	x = ike_xchg_new(kind);
	if (!x)
		return -ENOMEM;
	x->child_spi = child_spi;
	x->nonce_len = IKE_NONCE_LEN;
	err = ike_random(e, x->nonce, x->nonce_len);
	if (err)
		goto fail;
	ikm_build_chain(&b, plain, sizeof(plain));
	if (kind == XK_IKE_REKEY) {
		/* §1.3.2: HDR, SK {SA, Ni, KEi}; the SA carries our new SPI
		 * (8 octets), which becomes the new SPIi. */
		do {
			err = ike_random(e, x->new_ike_spi, IKE_SPI_LEN);
		} while (!err && (!get_be64(x->new_ike_spi) ||
				  htab_find(&e->sas, get_be64(x->new_ike_spi))));
		if (err)
			goto fail;
		x->ke_group = prop_has_ke(cf->ike, cf->n_ike, sa->suite.dh) ? sa->suite.dh :
			      prop_first_ke(cf->ike, cf->n_ike);
		for (size_t i = 0; i < cf->n_ike && np < IKM_MAX_PROPS; i++)
			prop_to_wire(&cf->ike[i], (uint8_t)(np + 1), x->new_ike_spi, 8, false, 0,
				     &props[np]), np++;
		ikm_build_sa(&b, props, np);
		ikm_build_nonce(&b, x->nonce, x->nonce_len);
	} else {
		err = ike_alloc_child_spi(e, &x->new_spi);
		if (err)
			goto fail;
		put_be32(spi, x->new_spi);
		x->esn_mask = esn_mask(sa);
		if (old) {
			/* §1.3.3: N(REKEY_SA) with the SPI of the SA being
			 * rekeyed (our inbound one) first. */
			uint8_t ospi[4];

			put_be32(ospi, old->spi_in);
			ikm_build_notify(&b, PROTO_ESP, ospi, 4, N_REKEY_SA, NULL, 0);
			/* §2.8: "the new Child SA SHOULD NOT have different
			 * Traffic Selectors and algorithms than the old one." */
			x->n_tsi = old->n_tsl;
			memcpy(x->tsi, old->tsl, sizeof(x->tsi));
			x->n_tsr = old->n_tsr;
			memcpy(x->tsr, old->tsr, sizeof(x->tsr));
		} else {
			x->n_tsi = conf_ts(cf->local_ts, cf->n_local_ts, x->tsi);
			x->n_tsr = conf_ts(cf->remote_ts, cf->n_remote_ts, x->tsr);
		}
		/* PFS when the ESP proposals name a key exchange group. */
		x->ke_group = prop_first_ke(cf->esp, cf->n_esp);
		for (size_t i = 0; i < cf->n_esp && np < IKM_MAX_PROPS; i++) {
			prop_to_wire(&cf->esp[i], (uint8_t)(np + 1), spi, 4, false, x->esn_mask,
				     &props[np]);
			if (props[np].n_xf)
				np++;
		}
		ikm_build_sa(&b, props, np);
		ikm_build_nonce(&b, x->nonce, x->nonce_len);
	}
	if (x->ke_group) {
		err = ikc_ke_new(x->ke_group, e->env.rng, &x->ke);
		if (!err)
			err = ikc_ke_public(x->ke, ke, sizeof(ke), &ke_len);
		if (err)
			goto fail;
		ikm_build_ke(&b, x->ke_group, ke, ke_len);
	}
	if (kind != XK_IKE_REKEY) {
		ikm_build_ts(&b, PT_TSI, x->tsi, x->n_tsi);
		ikm_build_ts(&b, PT_TSR, x->tsr, x->n_tsr);
	}
	if (old) {
		old->state = CH_REKEYING;
		old->rekey_started = ike_now(e);
		old->collision_spi = 0;
	}
	SA_LOG(sa, IKE_LOG_INFO, "%s", kind == XK_IKE_REKEY ? "rekeying IKE SA" :
	       kind == XK_CHILD_REKEY ? "rekeying CHILD_SA" : "creating CHILD_SA");
	err = ike_send_request(sa, x, CREATE_CHILD_SA, &b);
	if (err && old)
		old->state = CH_INSTALLED;
	return err;
fail:
	ike_xchg_free(x);
	return err;
}

/* A new IKE SA from a rekey exchange; children are not moved here. */
static struct ike_sa *new_ike_sa(struct ike_sa *old, bool initiator,
				 const struct prop_result *pr, const uint8_t spi_i[8],
				 const uint8_t spi_r[8], const uint8_t *gir, size_t gir_len,
				 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	struct ike_engine *e = old->e;
	struct ike_sa *nu = ike_sa_new(e, old->conn, initiator);
	int err;

	if (!nu)
		return NULL;
	memcpy(nu->spi_i, spi_i, 8);
	memcpy(nu->spi_r, spi_r, 8);
	htab_add(&e->sas, &nu->by_spi, get_be64(initiator ? spi_i : spi_r));
	nu->local = old->local;
	nu->remote = old->remote;
	nu->natt = old->natt;
	nu->nat_local = old->nat_local;
	nu->nat_remote = old->nat_remote;
	nu->peer_id = old->peer_id;
	nu->win_out = old->win_out;
	nu->suite = pr->suite;
	nu->rekey_born = true;
	/* Capabilities (RFC 6311) are inherited by the new IKE SA, as
	 * strongSwan does (PROTOCOL.md §2.1). */
	nu->caps = old->caps;
	/* §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); new
	 * Message IDs start at 0. */
	err = ikc_kdf_ike_rekey(&old->keys, &pr->suite, gir, gir_len, ni, ni_len, nr, nr_len,
				spi_i, spi_r, &nu->keys);
	if (!err)
		err = ikc_sk_new(&nu->suite, &nu->keys, initiator, e->env.rng, &nu->sk);
	if (err) {
		ike_sa_kill(nu, "rekey key derivation failed");
		return NULL;
	}
	if (e->env.keylog)
		ikl_log_ike(e->env.keylog, nu->conn->c.name, nu->spi_i, nu->spi_r, &nu->suite, &nu->keys);
	nu->mid_send = 0;
	nu->mid_recv = 0;
	nu->state = IKE_S_AUTH_I;   /* becomes ESTABLISHED below */
	ike_sa_established_now(nu, true);
	e->st.ike_rekeyed++;
	return nu;
}

static void retire_old(struct ike_sa *old, struct ike_sa *nu)
{
	struct ike_engine *e = old->e;

	old->state = IKE_S_REKEYED;
	old->rekeyed_to = nu;
	tmr_cancel(&e->timers, &old->t_rekey);
	tmr_cancel(&e->timers, &old->t_expire);
	tmr_cancel(&e->timers, &old->t_dpd);
	tmr_cancel(&e->timers, &old->t_keepalive);
	/* The peer (or we) delete it; if nothing comes, it goes anyway. */
	tmr_arm(&e->timers, &old->t_delete, ike_now(e) + e->p.delete_grace_ms);
	if (e->env.ext && e->env.ext->rekeyed)
		e->env.ext->rekeyed(e->env.ext_ctx, old, nu);
}

static void temp_failure_wait(struct ike_sa *sa, enum xk kind, uint32_t child_spi)
{
	uint64_t now = ike_now(sa->e);
	uint32_t r = 0;

	/* §2.25: "it MUST NOT immediately retry the operation; it MUST wait
	 * ..." and "If a peer continues to receive TEMPORARY_FAILURE on the
	 * same IKE SA after several minutes, it SHOULD conclude that the state
	 * information is out of sync and close the IKE SA." */
	if (!sa->tempfail_since)
		sa->tempfail_since = now;
	if (now - sa->tempfail_since > 5 * 60 * 1000) {
		SA_LOG(sa, IKE_LOG_WARN, "TEMPORARY_FAILURE for minutes, closing IKE SA");
		ike_task_add(sa, XK_IKE_DELETE, 0, 0);
		return;
	}
	ike_random(sa->e, &r, sizeof(r));
	ike_task_add(sa, kind, child_spi,
		     now + sa->e->p.tempfail_retry_ms + r % (sa->e->p.tempfail_retry_ms + 1));
}

static void ike_rekey_done(struct ike_sa *sa, struct ike_xchg *x, const struct ikm_msg *m)
{
	const struct agc_conn *cf = &sa->conn->c;
	struct prop_want w = { .proto = PROTO_IKE, .spi_size = 8 };
	struct prop_result pr;
	const struct ikm_payload *ke = ikm_find(m, PT_KE), *nr = ikm_find(m, PT_NONCE);
	uint8_t gir[IKC_MAX_SECRET_LEN];
	size_t gir_len = 0;
	struct ike_sa *nu, *other;
	unsigned n = ikm_sa_proposals(&ikm_find(m, PT_SA)->u.sa, props, IKM_MAX_PROPS);
	int err;

	if (prop_accept(cf->ike, cf->n_ike, props, n, &w, &pr) || !ke ||
	    ke->u.ke.group != x->ke_group || pr.suite.dh != x->ke_group || !get_be64(pr.spi)) {
		SA_LOG(sa, IKE_LOG_WARN, "IKE rekey answer not acceptable");
		ike_xchg_done(sa, x);
		return;
	}
	err = ikc_ke_derive(x->ke, ke->u.ke.data, ke->u.ke.len, gir, sizeof(gir), &gir_len);
	if (err) {
		OPENSSL_cleanse(gir, sizeof(gir));
		SA_LOG(sa, IKE_LOG_WARN, "IKE rekey: invalid KE from peer");
		ike_xchg_done(sa, x);
		return;
	}
	nu = new_ike_sa(sa, true, &pr, x->new_ike_spi, pr.spi, gir, gir_len, x->nonce, x->nonce_len,
			nr->u.nonce.data, nr->u.nonce.len);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (!nu) {
		ike_xchg_done(sa, x);
		return;
	}
	other = sa->coll_sa_id ? ike_sa_by_id(sa->e, sa->coll_sa_id) : NULL;
	if (other && other->state == IKE_S_ESTABLISHED) {
		/* §2.8.2: "The new IKE SA containing the lowest nonce SHOULD be
		 * deleted by the node that created it, and the other surviving
		 * new IKE SA MUST inherit all the Child SAs." */
		if (lowest_in_first(x->nonce, x->nonce_len, nr->u.nonce.data, nr->u.nonce.len,
				    sa->coll_ni, sa->coll_ni_len, sa->coll_nr, sa->coll_nr_len)) {
			SA_LOG(sa, IKE_LOG_INFO, "IKE rekey collision: ours [%u] is redundant, deleting it",
			       nu->id);
			ike_task_add(nu, XK_IKE_DELETE, 0, 0);
			ike_xchg_done(sa, x);
			retire_old(sa, other);   /* the peer deletes the old SA */
			ike_tasks_run(nu);
			return;
		}
		SA_LOG(sa, IKE_LOG_INFO, "IKE rekey collision: peer's [%u] is redundant, ours [%u] wins",
		       other->id, nu->id);
		ike_children_move(other, nu);
		other->state = IKE_S_REKEYED;   /* the peer deletes it */
		tmr_arm(&sa->e->timers, &other->t_delete, ike_now(sa->e) + sa->e->p.delete_grace_ms);
	} else {
		ike_children_move(sa, nu);
	}
	ike_xchg_done(sa, x);
	retire_old(sa, nu);
	/* §2.8: "the initiator deletes the old IKE SA, and the Delete payload
	 * to delete itself MUST be the last request sent over the old IKE SA". */
	ike_task_add(sa, XK_IKE_DELETE, 0, 0);
	ike_tasks_run(sa);
	ike_tasks_run(nu);
}

static void child_done(struct ike_sa *sa, struct ike_xchg *x, const struct ikm_msg *m)
{
	const struct agc_conn *cf = &sa->conn->c;
	struct prop_want w = { .proto = PROTO_ESP, .spi_size = 4, .esn_mask = x->esn_mask };
	struct prop_result pr;
	const struct ikm_payload *ke = ikm_find(m, PT_KE), *nr = ikm_find(m, PT_NONCE);
	const struct ikm_payload *tsi = ikm_find(m, PT_TSI), *tsr = ikm_find(m, PT_TSR);
	struct ike_child *old = x->kind == XK_CHILD_REKEY ? ike_child_by_in(sa, x->child_spi) : NULL;
	struct ike_child *ch;
	uint8_t gir[IKC_MAX_SECRET_LEN];
	size_t gir_len = 0;
	unsigned n = ikm_sa_proposals(&ikm_find(m, PT_SA)->u.sa, props, IKM_MAX_PROPS);
	uint32_t new_spi;
	int err = 0;

	ch = calloc(1, sizeof(*ch));
	if (!ch)
		goto bad;
	if (!tsi || !tsr || prop_accept(cf->esp, cf->n_esp, props, n, &w, &pr) ||
	    (x->ke_group && (!ke || ke->u.ke.group != x->ke_group || pr.suite.dh != x->ke_group)) ||
	    (!x->ke_group && ke)) {
		SA_LOG(sa, IKE_LOG_WARN, "CREATE_CHILD_SA answer not acceptable, deleting it at the "
		       "peer");
		goto bad;
	}
	ch->n_tsl = ikm_ts_list(&tsi->u.ts, ch->tsl, IKM_MAX_TS);
	ch->n_tsr = ikm_ts_list(&tsr->u.ts, ch->tsr, IKM_MAX_TS);
	if (!ts_all_within(ch->tsl, ch->n_tsl, x->tsi, x->n_tsi) ||
	    !ts_all_within(ch->tsr, ch->n_tsr, x->tsr, x->n_tsr)) {
		SA_LOG(sa, IKE_LOG_WARN, "CREATE_CHILD_SA: selectors not within the proposal, "
		       "deleting it at the peer");
		goto bad;
	}
	if (x->ke_group)
		err = ikc_ke_derive(x->ke, ke->u.ke.data, ke->u.ke.len, gir, sizeof(gir), &gir_len);
	if (err)
		goto bad;
	ch->spi_in = x->new_spi;
	new_spi = ch->spi_in;
	/* §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr). */
	err = ike_child_from_exchange(sa, ch, &pr, true, x->ke_group ? gir : NULL, gir_len,
				      x->nonce, x->nonce_len, nr->u.nonce.data, nr->u.nonce.len);
	OPENSSL_cleanse(gir, sizeof(gir));
	ch = NULL;
	if (err)
		goto bad;
	if (x->kind == XK_CHILD_REKEY && old) {
		sa->e->st.child_rekeyed++;
		if (old->collision_spi && ike_child_by_in(sa, old->collision_spi)) {
			/* §2.8.1: "the SA created with the lowest of the four
			 * nonces used in the two exchanges SHOULD be closed by
			 * the endpoint that created it ... The node that
			 * initiated the surviving rekeyed SA should delete the
			 * replaced SA". */
			if (lowest_in_first(x->nonce, x->nonce_len, nr->u.nonce.data, nr->u.nonce.len,
					    old->coll_ni, old->coll_ni_len, old->coll_nr, old->coll_nr_len)) {
				SA_LOG(sa, IKE_LOG_INFO, "CHILD_SA rekey collision: ours %08x redundant",
				       new_spi);
				old->state = CH_REKEYED;
				old->rekeyed_by = old->collision_spi;
				ike_child_by_in(sa, new_spi)->state = CH_REKEYED;
				ike_task_add(sa, XK_CHILD_DELETE, new_spi, 0);
			} else {
				SA_LOG(sa, IKE_LOG_INFO, "CHILD_SA rekey collision: ours %08x survives",
				       new_spi);
				old->state = CH_REKEYED;
				old->rekeyed_by = new_spi;
				ike_task_add(sa, XK_CHILD_DELETE, old->spi_in, 0);
				/* the peer deletes its redundant one */
			}
		} else {
			old->state = CH_REKEYED;
			old->rekeyed_by = new_spi;
			ike_task_add(sa, XK_CHILD_DELETE, old->spi_in, 0);
		}
	}
	ike_xchg_done(sa, x);
	return;
bad:
	free(ch);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (old && old->state == CH_REKEYING)
		old->state = CH_INSTALLED;
	/* §1.3.1: "If this is unacceptable to the initiator, the initiator
	 * MUST delete the SA." The answer carried an SA payload (error
	 * answers end in ike_ccsa_on_response), so the peer has it. */
	ike_child_unwanted(sa, x->new_spi);
	ike_xchg_done(sa, x);
}

void ike_ccsa_on_response(struct ike_sa *sa, struct ike_xchg *x, struct ikm_msg *m)
{
	const struct ikm_pl_notify *err_n = ikm_find_error(m);
	struct ike_child *old = x->kind == XK_CHILD_REKEY ? ike_child_by_in(sa, x->child_spi) : NULL;

	if (err_n || !ikm_find(m, PT_SA)) {
		uint16_t t = err_n ? err_n->type : N_NO_PROPOSAL_CHOSEN;
		enum xk kind = x->kind;
		uint32_t cspi = x->child_spi;

		if (old && old->state == CH_REKEYING)
			old->state = CH_INSTALLED;
		SA_LOG(sa, IKE_LOG_INFO, "CREATE_CHILD_SA refused: %s", ikm_notify_name(t));
		if (t == N_INVALID_KE_PAYLOAD && err_n->data_len == 2) {
			uint16_t g = get_be16(err_n->data);
			const struct agc_conn *cf = &sa->conn->c;
			bool ok = kind == XK_IKE_REKEY ? prop_has_ke(cf->ike, cf->n_ike, g) :
				  prop_has_ke(cf->esp, cf->n_esp, g);

			/* §1.3: retry with the group the responder named. We
			 * keep the configured order otherwise, so only a group
			 * we offered is accepted. */
			ike_xchg_done(sa, x);
			if (ok)
				ike_task_add(sa, kind, cspi, 0);
			return;
		}
		ike_xchg_done(sa, x);
		if (t == N_TEMPORARY_FAILURE) {
			temp_failure_wait(sa, kind, cspi);
		} else if (t == N_CHILD_SA_NOT_FOUND && old) {
			/* §2.25: "A peer that receives a CHILD_SA_NOT_FOUND
			 * notification SHOULD silently delete the Child SA (if it
			 * still exists) and send a request to create a new Child
			 * SA from scratch" — unless the collision already
			 * replaced it (§2.8.1, second sequence). */
			if (!old->collision_spi && !old->rekeyed_by) {
				ike_child_remove(old, "peer does not know it");
				ike_task_add(sa, XK_CHILD_NEW, 0, 0);
			}
		}
		return;
	}
	sa->tempfail_since = 0;
	if (x->kind == XK_IKE_REKEY)
		ike_rekey_done(sa, x, m);
	else
		child_done(sa, x, m);
}

/* ---- responder ---- */

static void respond_notify(struct ike_sa *sa, struct ikm_msg *m, uint8_t proto,
			   const uint8_t *spi, uint8_t spi_size, uint16_t type, const void *data,
			   size_t len)
{
	uint8_t buf[128];
	struct ikm_builder b;

	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, proto, spi, spi_size, type, data, len);
	ike_send_response(sa, m, &b, false);
	SA_LOG(sa, IKE_LOG_INFO, "CREATE_CHILD_SA request answered with %s", ikm_notify_name(type));
}

static bool child_exchange_outstanding(const struct ike_sa *sa)
{
	return ike_xchg_outstanding(sa, XK_CHILD_NEW) || ike_xchg_outstanding(sa, XK_CHILD_REKEY) ||
	       ike_xchg_outstanding(sa, XK_CHILD_DELETE) || ike_xchg_outstanding(sa, XK_CHILD_UNWANTED);
}

static void ike_rekey_request(struct ike_sa *sa, struct ikm_msg *m)
{
	static uint8_t plain[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	const struct agc_conn *cf = &sa->conn->c;
	const struct ikm_payload *ke = ikm_find(m, PT_KE), *ni = ikm_find(m, PT_NONCE);
	struct prop_want w = { .proto = PROTO_IKE, .spi_size = 8 };
	struct prop_result pr;
	uint8_t our_spi[8], nr[IKE_NONCE_LEN], kebuf[IKC_MAX_KE_LEN], gir[IKC_MAX_SECRET_LEN], g[2];
	size_t ke_len = 0, gir_len = 0;
	struct ikc_ke *our_ke = NULL;
	struct ikm_builder b;
	struct ike_sa *nu;
	unsigned n;
	int err;

	/* §2.25.2: "If a peer receives a request to rekey an IKE SA that it is
	 * currently trying to close, it SHOULD reply with TEMPORARY_FAILURE";
	 * §2.25.1: also while it creates, rekeys or closes a Child SA. */
	if (sa->state != IKE_S_ESTABLISHED || child_exchange_outstanding(sa) ||
	    ike_xchg_outstanding(sa, XK_IKE_DELETE)) {
		respond_notify(sa, m, 0, NULL, 0, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	n = ikm_sa_proposals(&ikm_find(m, PT_SA)->u.sa, props, IKM_MAX_PROPS);
	if (!ke) {
		respond_notify(sa, m, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	w.ke_group = ke->u.ke.group;
	if (prop_select(cf->ike, cf->n_ike, props, n, &w, &pr)) {
		w.ke_group = 0;
		if (!prop_select(cf->ike, cf->n_ike, props, n, &w, &pr)) {
			put_be16(g, pr.suite.dh);
			respond_notify(sa, m, 0, NULL, 0, N_INVALID_KE_PAYLOAD, g, 2);
		} else {
			respond_notify(sa, m, 0, NULL, 0, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		}
		return;
	}
	if (!get_be64(pr.spi)) {
		respond_notify(sa, m, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	do {
		err = ike_random(e, our_spi, 8);
	} while (!err && (!get_be64(our_spi) || htab_find(&e->sas, get_be64(our_spi))));
	if (!err)
		err = ike_random(e, nr, sizeof(nr));
	if (!err)
		err = ikc_ke_new(pr.suite.dh, e->env.rng, &our_ke);
	if (!err)
		err = ikc_ke_public(our_ke, kebuf, sizeof(kebuf), &ke_len);
	if (!err)
		err = ikc_ke_derive(our_ke, ke->u.ke.data, ke->u.ke.len, gir, sizeof(gir), &gir_len);
	ikc_ke_free(our_ke);
	if (err) {
		OPENSSL_cleanse(gir, sizeof(gir));
		respond_notify(sa, m, 0, NULL, 0, err == -EBADMSG ? N_INVALID_SYNTAX : N_NO_PROPOSAL_CHOSEN,
			       NULL, 0);
		return;
	}
	/* The rekey's initiator is the new SA's initiator: its SPI (from
	 * its SA payload) is SPIi, ours SPIr. */
	nu = new_ike_sa(sa, false, &pr, pr.spi, our_spi, gir, gir_len, ni->u.nonce.data,
			ni->u.nonce.len, nr, sizeof(nr));
	OPENSSL_cleanse(gir, sizeof(gir));
	if (!nu) {
		respond_notify(sa, m, 0, NULL, 0, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	ikm_build_chain(&b, plain, sizeof(plain));
	prop_suite_to_wire(&pr.suite, PROTO_IKE, pr.num, our_spi, 8, &props[0]);
	ikm_build_sa(&b, props, 1);
	ikm_build_nonce(&b, nr, sizeof(nr));
	ikm_build_ke(&b, pr.suite.dh, kebuf, ke_len);
	if (ike_send_response(sa, m, &b, false)) {
		ike_sa_kill(nu, "rekey response failed");
		return;
	}
	if (ike_xchg_outstanding(sa, XK_IKE_REKEY)) {
		/* §2.25.2: "reply as usual, and SHOULD prepare to close
		 * redundant SAs and move inherited Child SAs later based on the
		 * nonces". Children go to the peer's SA for now. */
		sa->coll_sa_id = nu->id;
		memcpy(sa->coll_ni, ni->u.nonce.data, ni->u.nonce.len);
		sa->coll_ni_len = ni->u.nonce.len;
		memcpy(sa->coll_nr, nr, sizeof(nr));
		sa->coll_nr_len = sizeof(nr);
		ike_children_move(sa, nu);
		SA_LOG(sa, IKE_LOG_INFO, "IKE rekey collision noted (peer's new SA [%u])", nu->id);
		ike_tasks_run(nu);
		return;
	}
	ike_children_move(sa, nu);
	retire_old(sa, nu);
	SA_LOG(sa, IKE_LOG_INFO, "IKE SA rekeyed by peer, new SA [%u]", nu->id);
	ike_tasks_run(nu);
}

static void child_request(struct ike_sa *sa, struct ikm_msg *m, const struct ikm_pl_notify *rekey)
{
	static uint8_t plain[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	const struct agc_conn *cf = &sa->conn->c;
	const struct ikm_payload *ke = ikm_find(m, PT_KE), *ni = ikm_find(m, PT_NONCE);
	const struct ikm_payload *tsi = ikm_find(m, PT_TSI), *tsr = ikm_find(m, PT_TSR);
	struct prop_want w = { .proto = PROTO_ESP, .spi_size = 4, .esn_mask = esn_mask(sa) };
	struct prop_result pr;
	struct ike_child *old = NULL, *ch;
	struct ikm_ts ptsi[IKM_MAX_TS], ptsr[IKM_MAX_TS], ctsl[IKM_MAX_TS], ctsr[IKM_MAX_TS];
	uint8_t nr[IKE_NONCE_LEN], kebuf[IKC_MAX_KE_LEN], gir[IKC_MAX_SECRET_LEN], spi[4], g[2];
	size_t ke_len = 0, gir_len = 0;
	struct ikc_ke *our_ke = NULL;
	struct ikm_builder b;
	unsigned n;
	int err = 0;

	if (sa->state != IKE_S_ESTABLISHED || ike_xchg_outstanding(sa, XK_IKE_REKEY)) {
		/* §2.25.2: "If a peer receives a request to create or rekey a
		 * Child SA when it is currently rekeying the IKE SA, it SHOULD
		 * reply with TEMPORARY_FAILURE." */
		respond_notify(sa, m, 0, NULL, 0, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (rekey) {
		if (rekey->proto != PROTO_ESP || rekey->spi_size != 4) {
			respond_notify(sa, m, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		/* The REKEY_SA SPI is the peer's inbound SPI: our outbound. */
		old = ike_child_by_out(sa, get_be32(rekey->spi));
		/* §2.25.1: "If a peer receives a request to rekey a Child SA
		 * that does not exist, it SHOULD reply with CHILD_SA_NOT_FOUND"
		 * (SPI copied from REKEY_SA); one it is trying to close:
		 * TEMPORARY_FAILURE. */
		if (!old || old->state == CH_REKEYED) {
			respond_notify(sa, m, PROTO_ESP, rekey->spi, 4, N_CHILD_SA_NOT_FOUND, NULL, 0);
			return;
		}
		if (old->state == CH_DELETING) {
			respond_notify(sa, m, 0, NULL, 0, N_TEMPORARY_FAILURE, NULL, 0);
			return;
		}
	}
	if (!tsi || !tsr) {
		respond_notify(sa, m, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	n = ikm_sa_proposals(&ikm_find(m, PT_SA)->u.sa, props, IKM_MAX_PROPS);
	w.ke_group = ke ? ke->u.ke.group : 0;
	if (prop_select(cf->esp, cf->n_esp, props, n, &w, &pr)) {
		w.ke_group = 0;
		if (ke && !prop_select(cf->esp, cf->n_esp, props, n, &w, &pr) && pr.suite.dh) {
			put_be16(g, pr.suite.dh);
			respond_notify(sa, m, 0, NULL, 0, N_INVALID_KE_PAYLOAD, g, 2);
		} else {
			respond_notify(sa, m, 0, NULL, 0, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		}
		return;
	}
	/* §1.3.1: a proposal with a KE group needs the KE payload. */
	if ((pr.suite.dh && !ke) || (!pr.suite.dh && ke)) {
		if (pr.suite.dh) {
			put_be16(g, pr.suite.dh);
			respond_notify(sa, m, 0, NULL, 0, N_INVALID_KE_PAYLOAD, g, 2);
		} else {
			respond_notify(sa, m, 0, NULL, 0, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		}
		return;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		respond_notify(sa, m, 0, NULL, 0, N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	{
		unsigned pi = ikm_ts_list(&tsi->u.ts, ptsi, IKM_MAX_TS);
		unsigned pr_ = ikm_ts_list(&tsr->u.ts, ptsr, IKM_MAX_TS);
		unsigned ncl = conf_ts(cf->local_ts, cf->n_local_ts, ctsl);
		unsigned ncr = conf_ts(cf->remote_ts, cf->n_remote_ts, ctsr);

		ch->n_tsr = ts_narrow(ptsi, pi, ctsr, ncr, ch->tsr, IKM_MAX_TS);
		ch->n_tsl = ts_narrow(ptsr, pr_, ctsl, ncl, ch->tsl, IKM_MAX_TS);
	}
	if (!ch->n_tsl || !ch->n_tsr) {
		free(ch);
		respond_notify(sa, m, 0, NULL, 0, N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	err = ike_alloc_child_spi(e, &ch->spi_in);
	if (!err)
		err = ike_random(e, nr, sizeof(nr));
	if (!err && pr.suite.dh) {
		err = ikc_ke_new(pr.suite.dh, e->env.rng, &our_ke);
		if (!err)
			err = ikc_ke_public(our_ke, kebuf, sizeof(kebuf), &ke_len);
		if (!err)
			err = ikc_ke_derive(our_ke, ke->u.ke.data, ke->u.ke.len, gir, sizeof(gir),
					    &gir_len);
		ikc_ke_free(our_ke);
	}
	if (!err)
		err = ike_child_from_exchange(sa, ch, &pr, false, pr.suite.dh ? gir : NULL, gir_len,
					      ni->u.nonce.data, ni->u.nonce.len, nr, sizeof(nr));
	else
		free(ch);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (err) {
		respond_notify(sa, m, 0, NULL, 0, err == -EBADMSG ? N_INVALID_SYNTAX : N_NO_ADDITIONAL_SAS,
			       NULL, 0);
		return;
	}
	ch = sa->children;   /* just linked at the head */
	ikm_build_chain(&b, plain, sizeof(plain));
	put_be32(spi, ch->spi_in);
	prop_suite_to_wire(&ch->suite, PROTO_ESP, pr.num, spi, 4, &props[0]);
	ikm_build_sa(&b, props, 1);
	ikm_build_nonce(&b, nr, sizeof(nr));
	if (pr.suite.dh)
		ikm_build_ke(&b, pr.suite.dh, kebuf, ke_len);
	ikm_build_ts(&b, PT_TSI, ch->tsr, ch->n_tsr);
	ikm_build_ts(&b, PT_TSR, ch->tsl, ch->n_tsl);
	if (ike_send_response(sa, m, &b, false)) {
		ike_child_remove(ch, "response failed");
		return;
	}
	if (old) {
		e->st.child_rekeyed++;
		if (old->state == CH_REKEYING) {
			/* §2.25.1: "reply as usual, and SHOULD prepare to close
			 * redundant SAs later based on the nonces". */
			old->collision_spi = ch->spi_in;
			memcpy(old->coll_ni, ni->u.nonce.data, ni->u.nonce.len);
			old->coll_ni_len = ni->u.nonce.len;
			memcpy(old->coll_nr, nr, sizeof(nr));
			old->coll_nr_len = sizeof(nr);
			SA_LOG(sa, IKE_LOG_INFO, "CHILD_SA rekey collision noted (%08x)", old->spi_in);
		} else {
			/* The initiator deletes the old one (§2.8). */
			old->state = CH_REKEYED;
			old->rekeyed_by = ch->spi_in;
		}
	}
}

void ike_ccsa_on_request(struct ike_sa *sa, struct ikm_msg *m)
{
	const struct ikm_payload *sa_pl = ikm_find(m, PT_SA);
	struct ikm_proposal first;

	if (sa->state != IKE_S_ESTABLISHED && sa->state != IKE_S_REKEYED &&
	    sa->state != IKE_S_DELETING) {
		sa->e->st.drop_other++;
		return;
	}
	/* §1.3.2: an SA payload with protocol IKE rekeys the IKE SA. */
	if (ikm_sa_proposals(&sa_pl->u.sa, &first, 1) == 1 && first.proto == PROTO_IKE) {
		if (ikm_find(m, PT_TSI) || ikm_find(m, PT_TSR)) {
			respond_notify(sa, m, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		ike_rekey_request(sa, m);
		return;
	}
	child_request(sa, m, ikm_find_notify(m, N_REKEY_SA));
}
