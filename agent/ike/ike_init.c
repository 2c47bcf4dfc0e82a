/* ike_init.c — IKE_SA_INIT in both roles (RFC 7296 §1.2), with COOKIE
 * (§2.6), INVALID_KE_PAYLOAD (§1.2, §3.4) and NAT detection (§2.23). */
#include "ike_int.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INIT_RETRIES 5

static struct ikm_proposal props[IKM_MAX_PROPS];

static void addr_bytes(const struct sockaddr_storage *a, const uint8_t **ip, size_t *len,
		       uint16_t *port)
{
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;

		*ip = s->sin6_addr.s6_addr;
		*len = 16;
		*port = ntohs(s->sin6_port);
	} else {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;

		*ip = (const uint8_t *)&s->sin_addr.s_addr;
		*len = 4;
		*port = ntohs(s->sin_port);
	}
}

static void set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)a)->sin_port = htons(port);
}

/* RFC 7296 §2.23: "the hash (SHA-1) of the SPIs (in the order they appear
 * in the header), IP address, and port from which this packet was sent". */
int ike_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		  const struct sockaddr_storage *addr, uint8_t out[20])
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	uint8_t pb[2];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	addr_bytes(addr, &ip, &iplen, &port);
	put_be16(pb, port);
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, spi_i, 8) == 1 && EVP_DigestUpdate(ctx, spi_r, 8) == 1 &&
	     EVP_DigestUpdate(ctx, ip, iplen) == 1 && EVP_DigestUpdate(ctx, pb, 2) == 1 &&
	     EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* Does any NAT-D notify of type `type` carry the expected hash? */
static bool natd_match(const struct ikm_msg *m, uint16_t type, const uint8_t want[20],
		       bool *present)
{
	*present = false;
	for (unsigned i = 0; i < m->n; i++) {
		const struct ikm_pl_notify *n = &m->pl[i].u.n;

		if (m->pl[i].type != PT_N || n->type != type)
			continue;
		*present = true;
		if (n->data_len == 20 && !CRYPTO_memcmp(n->data, want, 20))
			return true;
	}
	return false;
}

/* Our view of the NAT-D notifies in msg: src = the peer's address (they
 * hash their source), dst = ours. */
static void detect_nat(struct ike_sa *sa, const struct ikm_msg *m, const uint8_t spi_r[8],
		       const struct sockaddr_storage *peer, const struct sockaddr_storage *us)
{
	uint8_t h_peer[20], h_us[20];
	bool src_present, dst_present;
	bool src_ok, dst_ok;

	if (ike_natd_hash(sa->spi_i, spi_r, peer, h_peer) || ike_natd_hash(sa->spi_i, spi_r, us, h_us))
		return;
	src_ok = natd_match(m, N_NAT_DETECTION_SOURCE_IP, h_peer, &src_present);
	dst_ok = natd_match(m, N_NAT_DETECTION_DESTINATION_IP, h_us, &dst_present);
	/* §2.23: no NAT-D notifies: NAT traversal is not supported by the
	 * peer, and we assume no NAT. */
	if (!src_present || !dst_present)
		return;
	sa->nat_remote = !src_ok;
	sa->nat_local = !dst_ok;
}

static void add_natd(struct ike_sa *sa, struct ikm_builder *b, const uint8_t spi_r[8],
		     bool fake_src)
{
	uint8_t h[20];

	/* §2.23: NAT_DETECTION_SOURCE_IP covers our address and port,
	 * NAT_DETECTION_DESTINATION_IP the peer's. A host that wants UDP
	 * encapsulation regardless may send a source hash that cannot match
	 * (strongSwan's encap=yes does the same). */
	if (fake_src)
		ike_random(sa->e, h, sizeof(h));
	else
		ike_natd_hash(sa->spi_i, spi_r, &sa->local, h);
	ikm_build_notify(b, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	ike_natd_hash(sa->spi_i, spi_r, &sa->remote, h);
	ikm_build_notify(b, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/* ---- cookies (§2.6) ---- */

void ike_cookie_rotate(struct ike_engine *e)
{
	memcpy(e->cookie_prev, e->cookie_secret, sizeof(e->cookie_secret));
	ike_random(e, e->cookie_secret, sizeof(e->cookie_secret));
	e->cookie_ver++;
	e->cookie_rotated = ike_now(e);
}

/* "Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)". */
static int make_cookie(const struct ike_engine *e, uint32_t ver, const uint8_t *secret,
		       const struct ikm_pl_nonce *ni, const struct sockaddr_storage *ipi,
		       const uint8_t spi_i[8], uint8_t out[IKE_COOKIE_LEN])
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	struct ikc_buf parts[4];

	(void)e;
	addr_bytes(ipi, &ip, &iplen, &port);
	parts[0] = (struct ikc_buf){ ni->data, ni->len };
	parts[1] = (struct ikc_buf){ ip, iplen };
	parts[2] = (struct ikc_buf){ spi_i, 8 };
	parts[3] = (struct ikc_buf){ secret, 32 };
	put_be32(out, ver);
	return ike_sha256(parts, 4, out + 4);
}

/* 0: cookie fine or not needed; 1: a COOKIE answer was sent. */
static int cookie_check(struct ike_engine *e, struct ikm_msg *m,
			const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote, bool natt)
{
	const struct ikm_pl_nonce *ni = &ikm_find(m, PT_NONCE)->u.nonce;
	uint8_t want[IKE_COOKIE_LEN];
	const struct ikm_pl_notify *c;

	if (!e->g.cookie_threshold || e->half_open < e->g.cookie_threshold)
		return 0;
	if (ike_now(e) - e->cookie_rotated > e->p.cookie_secret_life_ms)
		ike_cookie_rotate(e);
	/* §2.6: the cookie is the first payload of the retried request. */
	c = m->n && m->pl[0].type == PT_N && m->pl[0].u.n.type == N_COOKIE ? &m->pl[0].u.n : NULL;
	if (c && c->data_len == IKE_COOKIE_LEN) {
		uint32_t ver = get_be32(c->data);
		const uint8_t *secret = ver == e->cookie_ver ? e->cookie_secret :
					ver + 1 == e->cookie_ver ? e->cookie_prev : NULL;

		if (secret && !make_cookie(e, ver, secret, ni, remote, m->hdr.spi_i, want) &&
		    !CRYPTO_memcmp(want, c->data, IKE_COOKIE_LEN))
			return 0;
	}
	if (make_cookie(e, e->cookie_ver, e->cookie_secret, ni, remote, m->hdr.spi_i, want))
		return 1;
	e->st.cookies_sent++;
	ike_send_plain_notify(e, m, local, remote, natt, N_COOKIE, want, sizeof(want));
	return 1;
}

/* ---- initiator ---- */

int ike_init_start(struct ike_sa *sa)
{
	static uint8_t buf[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	const struct agc_conn *c = &sa->conn->c;
	struct ikm_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_I, .mid = 0 };
	static const uint8_t zero[8];
	uint8_t ke[IKC_MAX_KE_LEN];
	size_t ke_len = 0;
	struct ikm_builder b;
	struct ike_xchg *x;
	int len, err;

	if (!sa->ke_group)
		sa->ke_group = prop_first_ke(c->ike, c->n_ike);
	if (!sa->ni_len) {
		sa->ni_len = IKE_NONCE_LEN;
		if (ike_random(e, sa->ni, sa->ni_len))
			return -EIO;
	}
	/* Without a configured local address, ask the host's routing. */
	if (e->env.route && sa->local.ss_family == AF_UNSPEC) {
		sa->local = sa->remote;
		if (e->env.route(e->env.ctx, &sa->remote, &sa->local))
			return -EHOSTUNREACH;
		set_port(&sa->local, e->g.ike_port ? e->g.ike_port : IKE_PORT);
	} else if (e->env.route) {
		const uint8_t *ip;
		size_t iplen;
		uint16_t port;
		static const uint8_t z16[16];

		addr_bytes(&sa->local, &ip, &iplen, &port);
		if (!memcmp(ip, z16, iplen)) {
			if (e->env.route(e->env.ctx, &sa->remote, &sa->local))
				return -EHOSTUNREACH;
			set_port(&sa->local, port);
		}
	}
	ikc_ke_free(sa->ke);
	sa->ke = NULL;
	err = ikc_ke_new(sa->ke_group, e->env.rng, &sa->ke);
	if (!err)
		err = ikc_ke_public(sa->ke, ke, sizeof(ke), &ke_len);
	if (err)
		return err;
	memcpy(h.spi_i, sa->spi_i, IKE_SPI_LEN);
	ikm_build_begin(&b, buf, sizeof(buf), &h);
	/* §2.6: "... with a Notify payload of type COOKIE containing the
	 * responder-supplied cookie data as the first payload". */
	if (sa->cookie_len)
		ikm_build_notify(&b, 0, NULL, 0, N_COOKIE, sa->cookie, sa->cookie_len);
	for (size_t i = 0; i < c->n_ike && i < IKM_MAX_PROPS; i++)
		prop_to_wire(&c->ike[i], (uint8_t)(i + 1), NULL, 0, false, 0, &props[i]);
	ikm_build_sa(&b, props, (unsigned)(c->n_ike < IKM_MAX_PROPS ? c->n_ike : IKM_MAX_PROPS));
	ikm_build_ke(&b, sa->ke_group, ke, ke_len);
	ikm_build_nonce(&b, sa->ni, sa->ni_len);
	add_natd(sa, &b, zero, c->encap);
	len = ikm_build_end(&b);
	if (len < 0)
		return len;
	x = ike_xchg_new(XK_INIT);
	if (!x)
		return -ENOMEM;
	sa->init_err = NULL;
	x->pkt = malloc((size_t)len);
	free(sa->init_i);
	sa->init_i = malloc((size_t)len);
	if (!x->pkt || !sa->init_i) {
		ike_xchg_free(x);
		return -ENOMEM;
	}
	memcpy(x->pkt, buf, (size_t)len);
	memcpy(sa->init_i, buf, (size_t)len);
	x->len = sa->init_i_len = (size_t)len;
	sa->state = IKE_S_INIT_I;
	SA_LOG(sa, IKE_LOG_INFO, "initiating IKE_SA (KE group %u)", sa->ke_group);
	return ike_send_init_request(sa, x);
}

static void init_failed(struct ike_sa *sa, const char *why)
{
	ike_sa_kill(sa, why);
}

/* §2.21.1: "Because all error notifications are completely
 * unauthenticated, the recipient should continue trying for some time
 * before giving up. The recipient should not immediately act based on the
 * error notification unless corrective actions are defined." Any answer
 * to IKE_SA_INIT is unauthenticated, and a forged one must not end the
 * initiation: note why it was unusable and keep retransmitting; a usable
 * answer still wins. The exchange fails with this reason only when a
 * retransmission was answered unusably too (a real responder answers
 * every copy, a lone forgery does not: ike_sa.c give_up()) or when the
 * retransmissions run out. */
static void init_unusable(struct ike_sa *sa, const char *why)
{
	unsigned tries = ike_init_tries(sa);

	if (!sa->init_err) {
		SA_LOG(sa, IKE_LOG_WARN, "IKE_SA_INIT answered with %s (unauthenticated): "
		       "retransmitting before giving up", why);
		sa->init_err_first = tries;
	}
	sa->init_err = why;
	sa->init_err_last = tries;
	sa->e->st.init_errors++;
}

void ike_init_on_response(struct ike_sa *sa, struct ikm_msg *m,
			  const struct sockaddr_storage *local,
			  const struct sockaddr_storage *remote, bool natt)
{
	struct ike_engine *e = sa->e;
	const struct agc_conn *c = &sa->conn->c;
	const struct ikm_pl_notify *err_n;
	const struct ikm_payload *pl;
	struct prop_want w = { .proto = PROTO_IKE, .spi_size = 0 };
	struct prop_result pr;
	uint8_t gir[IKC_MAX_SECRET_LEN];
	size_t gir_len = 0;
	unsigned n;
	int err;

	(void)local;
	(void)natt;
	if (ikr_check(m)) {
		e->st.drop_rules++;
		return;
	}
	/* §2.6: a COOKIE answer: retry with the cookie, everything else
	 * unchanged. */
	const struct ikm_pl_notify *ck = ikm_find_notify(m, N_COOKIE);

	if (ck && !ikm_find(m, PT_SA)) {
		if (ck->data_len < 1 || ck->data_len > sizeof(sa->cookie)) {
			init_unusable(sa, "a malformed COOKIE");
			return;
		}
		if (++sa->init_retries > MAX_INIT_RETRIES) {
			init_failed(sa, "repeated COOKIE");
			return;
		}
		memcpy(sa->cookie, ck->data, ck->data_len);
		sa->cookie_len = ck->data_len;
		SA_LOG(sa, IKE_LOG_INFO, "responder asked for a COOKIE, retrying");
		if (ike_init_start(sa))
			init_failed(sa, "retry failed");
		return;
	}
	err_n = ikm_find_error(m);
	if (err_n) {
		/* §1.2: "If the responder selects a proposal using a different
		 * Diffie-Hellman group ... the responder MUST reject the
		 * request and indicate its preferred Diffie-Hellman group in
		 * the INVALID_KE_PAYLOAD Notify payload" — retry with it if
		 * we offered it. */
		if (err_n->type == N_INVALID_KE_PAYLOAD && err_n->data_len == 2) {
			uint16_t g = get_be16(err_n->data);

			if (g != sa->ke_group && prop_has_ke(c->ike, c->n_ike, g) &&
			    ++sa->init_retries <= MAX_INIT_RETRIES) {
				SA_LOG(sa, IKE_LOG_INFO, "peer wants KE group %u, retrying", g);
				sa->ke_group = g;
				if (ike_init_start(sa))
					init_failed(sa, "retry failed");
				return;
			}
		}
		/* No corrective action defined: §2.21.1 (init_unusable). */
		init_unusable(sa, ikm_notify_name(err_n->type));
		return;
	}
	/* The rule table lets a notify-only response through (the COOKIE and
	 * error answers above); one with only status notifies carries no
	 * SAr1/KEr/Nr and is no answer at all. §2.21.1: it is
	 * unauthenticated, so drop it and keep waiting for a real one. */
	if (!get_be64(m->hdr.spi_r) || !ikm_find(m, PT_SA) || !ikm_find(m, PT_KE) ||
	    !ikm_find(m, PT_NONCE)) {
		e->st.drop_malformed++;
		return;
	}
	n = ikm_sa_proposals(&ikm_find(m, PT_SA)->u.sa, props, IKM_MAX_PROPS);
	/* An answer we cannot use is as unauthenticated as an error notify
	 * (§2.21.1, init_unusable): nothing of it is kept. */
	if (prop_accept(c->ike, c->n_ike, props, n, &w, &pr) || pr.suite.dh != sa->ke_group) {
		init_unusable(sa, "an unacceptable proposal");
		return;
	}
	pl = ikm_find(m, PT_KE);
	if (pl->u.ke.group != sa->ke_group) {
		init_unusable(sa, "a KE of another group");
		return;
	}
	err = ikc_ke_derive(sa->ke, pl->u.ke.data, pl->u.ke.len, gir, sizeof(gir), &gir_len);
	if (err == -EBADMSG) {
		init_unusable(sa, "an invalid KE");
		return;
	}
	sa->suite = pr.suite;
	memcpy(sa->spi_r, m->hdr.spi_r, IKE_SPI_LEN);
	pl = ikm_find(m, PT_NONCE);
	memcpy(sa->nr, pl->u.nonce.data, pl->u.nonce.len);
	sa->nr_len = pl->u.nonce.len;
	if (!err)
		err = ike_sa_derive_keys(sa, gir, gir_len);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (err) {
		init_failed(sa, "key derivation failed");
		return;
	}
	detect_nat(sa, m, sa->spi_r, remote, &sa->local);
	/* §2.23: "if a NAT is detected, the initiator MUST switch to UDP
	 * port 4500 ... for all subsequent messages" (and so do we when
	 * encapsulation was forced by configuration). */
	if (sa->nat_local || sa->nat_remote || c->encap) {
		sa->natt = true;
		set_port(&sa->local, e->g.natt_port ? e->g.natt_port : IKE_NATT_PORT);
		set_port(&sa->remote, e->g.natt_port ? e->g.natt_port : IKE_NATT_PORT);
		SA_LOG(sa, IKE_LOG_INFO, "NAT %s%s, switching to the NAT-T port",
		       sa->nat_local ? "in front of us" : "", sa->nat_remote ? " in front of the peer" :
		       (!sa->nat_local ? "not detected, encapsulation forced" : ""));
	}
	free(sa->init_r);
	sa->init_r = malloc(m->pkt_len);
	if (!sa->init_r) {
		init_failed(sa, "out of memory");
		return;
	}
	memcpy(sa->init_r, m->pkt, m->pkt_len);
	sa->init_r_len = m->pkt_len;
	ike_xchg_done(sa, sa->out[0]);
	sa->state = IKE_S_AUTH_I;
	ike_task_add(sa, XK_AUTH, 0, 0);
	ike_tasks_run(sa);
}

/* ---- responder ---- */

/* Same peer address (ports may differ: the peer may have moved to 4500). */
static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const uint8_t *ia, *ib;
	size_t la, lb;
	uint16_t pa, pb;

	if (a->ss_family != b->ss_family)
		return false;
	addr_bytes(a, &ia, &la, &pa);
	addr_bytes(b, &ib, &lb, &pb);
	return la == lb && !memcmp(ia, ib, la);
}

void ike_init_on_request(struct ike_engine *e, struct ikm_msg *m,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, bool natt,
			 const uint8_t *pkt, size_t len)
{
	static uint8_t buf[IKE_MSG_BUF];
	struct ikc_buf part = { pkt, len };
	uint8_t hash[32];
	struct ike_conn *conn;
	struct ike_sa *sa;
	const struct ikm_payload *ke_pl, *n_pl;
	struct prop_want w = { .proto = PROTO_IKE, .spi_size = 0 };
	struct prop_result pr;
	struct ikm_hdr h;
	struct ikm_builder b;
	uint8_t ke[IKC_MAX_KE_LEN], gir[IKC_MAX_SECRET_LEN], sel_g[2];
	size_t ke_len = 0, gir_len = 0;
	unsigned n;
	int rlen, err;

	if (ike_sha256(&part, 1, hash))
		return;
	ikm_peek_hdr(pkt, len, &h);
	/* A retransmitted request we answered already: same answer (§2.1). */
	for (struct htab_node *hn = htab_find(&e->init_idx, get_be64(h.spi_i)); hn; hn = htab_next(hn)) {
		sa = (struct ike_sa *)((char *)hn - offsetof(struct ike_sa, by_peer_spi));
		if (!same_ip(&sa->remote, remote))
			continue;
		if (sa->state == IKE_S_INIT_R && sa->init_r && !memcmp(sa->init_req_hash, hash, 32)) {
			e->st.resp_retransmits++;
			e->st.tx_msgs++;
			e->env.send(e->env.ctx, local, remote, natt, sa->init_r, sa->init_r_len);
		} else {
			e->st.drop_other++;
		}
		return;
	}
	if (ikm_parse(m, pkt, len)) {
		e->st.drop_malformed++;
		ike_log(e, IKE_LOG_DEBUG, "malformed IKE_SA_INIT dropped: %s (%s)", ikm_err_str(m->err),
			m->err_what ? m->err_what : "");
		/* §2.5: "the response ... MUST include a Notify payload
		 * UNSUPPORTED_CRITICAL_PAYLOAD"; §1.5: INVALID_MAJOR_VERSION
		 * names the version we speak. */
		if (m->err == IKM_E_CRITICAL) {
			ike_send_plain_notify(e, m, local, remote, natt, N_UNSUPPORTED_CRITICAL_PAYLOAD,
					      &m->err_payload, 1);
		} else if (m->err == IKM_E_VERSION && (m->hdr.version >> 4) > 2) {
			uint8_t v = IKE_VERSION;

			ike_send_plain_notify(e, m, local, remote, natt, N_INVALID_MAJOR_VERSION, &v, 1);
		}
		return;
	}
	/* §3.1: the responder's SPI "MUST be zero in the first message",
	 * Message ID 0, and the request comes from the initiator. */
	if (h.mid != 0 || !(h.flags & IKE_FLAG_I) || get_be64(h.spi_r) || !get_be64(h.spi_i) ||
	    ikr_check_outer(m) || ikr_check(m)) {
		e->st.drop_rules++;
		return;
	}
	conn = ike_conn_for_init(e, local, remote, NULL);
	if (!conn) {
		ike_log(e, IKE_LOG_INFO, "IKE_SA_INIT from a peer without connection, refused");
		ike_send_plain_notify(e, m, local, remote, natt, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (cookie_check(e, m, local, remote, natt))
		return;
	n = ikm_sa_proposals(&ikm_find(m, PT_SA)->u.sa, props, IKM_MAX_PROPS);
	ke_pl = ikm_find(m, PT_KE);
	w.ke_group = ke_pl->u.ke.group;
	/* Several connections may share the addresses (the identities in
	 * IKE_AUTH tell them apart): take the first whose IKE proposals accept
	 * the offer, with the offered KE group if possible. */
	{
		struct ike_conn *c = NULL;

		while ((c = ike_conn_for_init(e, local, remote, c)))
			if (!prop_select(c->c.ike, c->c.n_ike, props, n, &w, &pr))
				break;
		if (c)
			conn = c;
	}
	if (prop_select(conn->c.ike, conn->c.n_ike, props, n, &w, &pr)) {
		struct ike_conn *c = NULL;

		w.ke_group = 0;
		while ((c = ike_conn_for_init(e, local, remote, c)))
			if (!prop_select(c->c.ike, c->c.n_ike, props, n, &w, &pr))
				break;
		if (c) {
			put_be16(sel_g, pr.suite.dh);
			e->st.invalid_ke_sent++;
			ike_log(e, IKE_LOG_INFO, "IKE_SA_INIT: KE group %u not acceptable, asking for %u",
				ke_pl->u.ke.group, pr.suite.dh);
			ike_send_plain_notify(e, m, local, remote, natt, N_INVALID_KE_PAYLOAD, sel_g, 2);
		} else {
			ike_log(e, IKE_LOG_INFO, "IKE_SA_INIT: no acceptable proposal");
			ike_send_plain_notify(e, m, local, remote, natt, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		}
		return;
	}
	sa = ike_sa_new(e, conn, false);
	if (!sa)
		return;
	sa->local = *local;
	sa->remote = *remote;
	sa->natt = natt;
	sa->suite = pr.suite;
	sa->ke_group = pr.suite.dh;
	memcpy(sa->spi_i, h.spi_i, IKE_SPI_LEN);
	memcpy(sa->init_req_hash, hash, 32);
	if (ike_sa_set_our_spi(sa))
		goto fail;
	htab_add(&e->init_idx, &sa->by_peer_spi, get_be64(h.spi_i));
	sa->in_init_idx = true;
	e->half_open++;
	e->st.half_open++;
	n_pl = ikm_find(m, PT_NONCE);
	memcpy(sa->ni, n_pl->u.nonce.data, n_pl->u.nonce.len);
	sa->ni_len = n_pl->u.nonce.len;
	sa->nr_len = IKE_NONCE_LEN;
	err = ike_random(e, sa->nr, sa->nr_len);
	if (!err)
		err = ikc_ke_new(sa->ke_group, e->env.rng, &sa->ke);
	if (!err)
		err = ikc_ke_public(sa->ke, ke, sizeof(ke), &ke_len);
	if (!err)
		err = ikc_ke_derive(sa->ke, ke_pl->u.ke.data, ke_pl->u.ke.len, gir, sizeof(gir), &gir_len);
	if (!err)
		err = ike_sa_derive_keys(sa, gir, gir_len);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (err) {
		SA_LOG(sa, IKE_LOG_INFO, "IKE_SA_INIT: %s", err == -EBADMSG ?
		       "invalid KE value from peer" : "key exchange failed");
		goto fail;
	}
	detect_nat(sa, m, (const uint8_t[8]){ 0 }, remote, local);
	/* Build the response: SAr1, KEr, Nr, N(NAT-D) x 2. */
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, sa->spi_r, IKE_SPI_LEN);
	h.exchange = IKE_SA_INIT;
	h.flags = IKE_FLAG_R;
	ikm_build_begin(&b, buf, sizeof(buf), &h);
	prop_suite_to_wire(&pr.suite, PROTO_IKE, pr.num, NULL, 0, &props[0]);
	ikm_build_sa(&b, props, 1);
	ikm_build_ke(&b, sa->ke_group, ke, ke_len);
	ikm_build_nonce(&b, sa->nr, sa->nr_len);
	add_natd(sa, &b, sa->spi_r, false);
	rlen = ikm_build_end(&b);
	if (rlen < 0)
		goto fail;
	sa->init_i = malloc(len);
	sa->init_r = malloc((size_t)rlen);
	if (!sa->init_i || !sa->init_r)
		goto fail;
	memcpy(sa->init_i, pkt, len);
	sa->init_i_len = len;
	memcpy(sa->init_r, buf, (size_t)rlen);
	sa->init_r_len = (size_t)rlen;
	/* The initiator's next request is Message ID 1. */
	sa->mid_recv = 1;
	tmr_arm(&e->timers, &sa->t_halfopen, ike_now(e) + e->p.half_open_timeout_ms);
	SA_LOG(sa, IKE_LOG_INFO, "IKE_SA_INIT from peer answered (KE group %u%s)", sa->ke_group,
	       sa->nat_local || sa->nat_remote ? ", NAT detected" : "");
	e->st.tx_msgs++;
	e->st.tx_bytes += (uint64_t)rlen;
	if (e->env.send(e->env.ctx, local, remote, natt, buf, (size_t)rlen))
		e->st.send_errors++;
	return;
fail:
	ike_sa_kill(sa, "IKE_SA_INIT failed");
}
