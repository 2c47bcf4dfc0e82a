/* ike_engine.c — the engine: configuration, SA lookup, message dispatch
 * with Message ID windows, timers, operator actions, introspection. */
#include "ike_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ike_params_default(struct ike_params *p)
{
	*p = (struct ike_params){
		.half_open_timeout_ms = 30000,
		.keepalive_ms = 20000,
		.tempfail_retry_ms = 2000,
		.rekey_jitter_pct = 10,
		.delete_grace_ms = 10000,
		.window = 1,
		.cookie_secret_life_ms = 60000,
	};
}

/* ---- small services ---- */

uint64_t ike_now(const struct ike_engine *e)
{
	return e->env.now(e->env.ctx);
}

int ike_random(const struct ike_engine *e, void *buf, size_t len)
{
	return ikc_rng_bytes(e->env.rng, buf, len);
}

/* A rekey time minus a random share of up to rekey_jitter_pct (RFC 7296
 * §2.8.1: "the timing of rekeying requests SHOULD be jittered"). */
uint32_t ike_jitter(const struct ike_engine *e, uint32_t ms)
{
	uint32_t r = 0, span = (uint32_t)((uint64_t)ms * e->p.rekey_jitter_pct / 100);

	if (!span || ike_random(e, &r, sizeof(r)))
		return ms;
	return ms - r % (span + 1);
}

void ike_log(const struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!e->env.log || lvl > e->env.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->env.log(e->env.ctx, lvl, line);
}

void ike_sa_log(const struct ike_sa *sa, enum ike_log_level lvl, const char *fmt, ...)
{
	char line[448];
	va_list ap;

	if (!sa->e->env.log || lvl > sa->e->env.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ike_log(sa->e, lvl, "%s[%u]: %s", sa->conn->c.name, sa->id, line);
}

void ike_emit(struct ike_engine *e, enum ike_event_type t, const struct ike_sa *sa,
	      const struct ike_child *c, const char *reason, bool rekey)
{
	struct ike_event ev = {
		.type = t, .ike_id = sa->id, .child_id = c ? c->id : 0,
		.conn = sa->conn->c.name, .reason = reason, .rekey = rekey,
	};

	if (e->env.event)
		e->env.event(e->env.ctx, &ev);
}

int ike_sha256(const struct ikc_buf *parts, size_t n, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* ---- connections ---- */

static bool addr_any(const struct sockaddr_storage *a)
{
	static const uint8_t zero[16];

	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == 0;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, zero, 16);
	return true;
}

static bool addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return false;
}

static bool conn_addr_match(const struct agc_conn *c, const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote)
{
	if (!addr_any(&c->local) && !addr_eq(&c->local, local))
		return false;
	if (!c->remote_any && !addr_eq(&c->remote, remote))
		return false;
	return true;
}

struct ike_conn *ike_conn_for_init(struct ike_engine *e, const struct sockaddr_storage *local,
				   const struct sockaddr_storage *remote, const struct ike_conn *after)
{
	size_t i = 0;

	if (after)
		while (i < e->n_conns && e->conns[i++] != after)
			;
	for (; i < e->n_conns; i++)
		if (conn_addr_match(&e->conns[i]->c, local, remote))
			return e->conns[i];
	return NULL;
}

static bool id_matches(const struct agc_id *want, const struct ikm_pl_id *got)
{
	/* An unset identity accepts any (used with remote_any responders). */
	if (!want->type)
		return true;
	return want->type == got->type && want->len == got->len &&
	       !memcmp(want->data, got->data, got->len);
}

struct ike_conn *ike_conn_for_auth(struct ike_engine *e, const struct ike_sa *sa,
				   const struct ikm_pl_id *idi, const struct ikm_pl_id *idr)
{
	/* The connection chosen at IKE_SA_INIT first, then any other with the
	 * same addresses whose identities match (strongSwan-style peer
	 * config selection by ID). */
	if (sa->conn->current && id_matches(&sa->conn->c.remote_id, idi) &&
	    (!idr || id_matches(&sa->conn->c.local_id, idr)))
		return sa->conn;
	for (size_t i = 0; i < e->n_conns; i++) {
		struct agc_conn *c = &e->conns[i]->c;

		if (!conn_addr_match(c, &sa->local, &sa->remote))
			continue;
		if (id_matches(&c->remote_id, idi) && (!idr || id_matches(&c->local_id, idr)))
			return e->conns[i];
	}
	return NULL;
}

void ike_conn_put(struct ike_conn *c)
{
	if (c && --c->refs == 0) {
		OPENSSL_cleanse(c->c.psk, sizeof(c->c.psk));
		free(c);
	}
}

static int load_conns(struct ike_engine *e, const struct agc_config *cfg)
{
	struct ike_conn **v = calloc(cfg->n_conns ? cfg->n_conns : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_conns; i++) {
		v[i] = calloc(1, sizeof(**v));
		if (!v[i]) {
			while (i--)
				ike_conn_put(v[i]);
			free(v);
			return -ENOMEM;
		}
		v[i]->refs = 1;
		v[i]->current = true;
		v[i]->c = cfg->conns[i];
	}
	for (size_t i = 0; i < e->n_conns; i++) {
		e->conns[i]->current = false;
		ike_conn_put(e->conns[i]);
	}
	free(e->conns);
	e->conns = v;
	e->n_conns = cfg->n_conns;
	e->g = cfg->global;
	return 0;
}

int ike_alloc_child_spi(struct ike_engine *e, uint32_t *spi)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t v;

		if (ike_random(e, &v, sizeof(v)))
			return -EIO;
		/* RFC 4303 §2.1: SPIs 1..255 are reserved by IANA, 0 is local. */
		if (v < 256 || htab_find(&e->child_spis, v))
			continue;
		*spi = v;
		return 0;
	}
	return -EAGAIN;
}

/* ---- events and deferred frees ---- */

void ike_begin_event(struct ike_engine *e)
{
	e->depth++;
}

void ike_end_event(struct ike_engine *e)
{
	if (--e->depth)
		return;
	while (e->dead) {
		struct ike_sa *sa = e->dead;

		e->dead = sa->next;
		ike_sa_free(sa);
	}
}

/* ---- engine ---- */

int ike_engine_new(const struct ike_env *env, const struct ike_params *params,
		   const struct agc_config *cfg, struct ike_engine **out)
{
	struct ike_engine *e;
	uint64_t seeds[3];
	int err;

	if (!env || !env->now || !env->send || !cfg)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->env = *env;
	if (params)
		e->p = *params;
	else
		ike_params_default(&e->p);
	if (e->p.window < 1)
		e->p.window = 1;
	if (e->p.window > IKE_MAX_WINDOW)
		e->p.window = IKE_MAX_WINDOW;
	e->next_sa_id = 1;
	e->next_child_id = 1;
	err = ikc_rng_bytes(env->rng, seeds, sizeof(seeds));
	if (!err)
		err = ikc_rng_bytes(env->rng, e->cookie_secret, sizeof(e->cookie_secret));
	if (err)
		goto fail;
	err = -ENOMEM;
	if (htab_init(&e->sas, seeds[0]) || htab_init(&e->init_idx, seeds[1]) ||
	    htab_init(&e->child_spis, seeds[2]))
		goto fail;
	err = load_conns(e, cfg);
	if (err)
		goto fail;
	e->cookie_rotated = ike_now(e);
	*out = e;
	return 0;
fail:
	ike_engine_free(e);
	return err;
}

void ike_engine_free(struct ike_engine *e)
{
	if (!e)
		return;
	e->depth++;
	while (e->head)
		ike_sa_kill(e->head, "shutdown");
	e->depth--;
	ike_begin_event(e);
	ike_end_event(e);
	for (size_t i = 0; i < e->n_conns; i++)
		ike_conn_put(e->conns[i]);
	free(e->conns);
	htab_free(&e->sas);
	htab_free(&e->init_idx);
	htab_free(&e->child_spis);
	tmr_heap_free(&e->timers);
	OPENSSL_cleanse(e->cookie_secret, sizeof(e->cookie_secret));
	OPENSSL_cleanse(e->cookie_prev, sizeof(e->cookie_prev));
	free(e);
}

static bool conn_has_sa(const struct ike_engine *e, const struct ike_conn *c)
{
	for (const struct ike_sa *sa = e->head; sa; sa = sa->next)
		if (!strcmp(sa->conn->c.name, c->c.name) && sa->state != IKE_S_DEAD &&
		    sa->state != IKE_S_REKEYED && sa->state != IKE_S_DELETING)
			return true;
	return false;
}

void ike_engine_start(struct ike_engine *e)
{
	for (size_t i = 0; i < e->n_conns; i++)
		if (e->conns[i]->c.auto_start && !conn_has_sa(e, e->conns[i]))
			ike_initiate(e, e->conns[i]->c.name, NULL);
}

int ike_engine_reload(struct ike_engine *e, const struct agc_config *cfg)
{
	int err = load_conns(e, cfg);

	if (err)
		return err;
	ike_log(e, IKE_LOG_INFO, "configuration reloaded: %zu connection(s)", e->n_conns);
	ike_engine_start(e);
	return 0;
}

void ike_engine_shutdown(struct ike_engine *e)
{
	ike_begin_event(e);
	/* Through the task queue: a delete waits for an outstanding exchange
	 * to finish (the caller gives it a moment) rather than jumping the
	 * window and being dropped by the peer. */
	for (struct ike_sa *sa = e->head, *nx; sa; sa = nx) {
		nx = sa->next;
		if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_REKEYED) {
			ike_task_add(sa, XK_IKE_DELETE, 0, 0);
			ike_tasks_run(sa);
		} else if (sa->state != IKE_S_DELETING) {
			ike_sa_kill(sa, "shutdown");
		}
	}
	ike_end_event(e);
}

const struct ike_stats *ike_engine_stats(const struct ike_engine *e)
{
	return &e->st;
}

unsigned ike_engine_sa_count(const struct ike_engine *e)
{
	return e->n_sas;
}

unsigned ike_engine_half_open(const struct ike_engine *e)
{
	return e->half_open;
}

uint64_t ike_next_timer(const struct ike_engine *e)
{
	return tmr_next(&e->timers);
}

void ike_run_timers(struct ike_engine *e)
{
	ike_begin_event(e);
	tmr_run(&e->timers, ike_now(e));
	ike_end_event(e);
}

void ike_input_keepalive(struct ike_engine *e)
{
	e->st.keepalives_rx++;
}

/* ---- input ---- */

static struct ike_sa *find_sa(struct ike_engine *e, const uint8_t *spi)
{
	uint64_t key = get_be64(spi);

	for (struct htab_node *n = htab_find(&e->sas, key); n; n = htab_next(n)) {
		struct ike_sa *sa = (struct ike_sa *)((char *)n - offsetof(struct ike_sa, by_spi));

		if (sa->state != IKE_S_DEAD)
			return sa;
	}
	return NULL;
}

/* RFC 7296 §2.23: "if a NAT is detected ... the host that is not behind a
 * NAT SHOULD send all packets to the IP address and port of the most recent
 * authenticated packet". We also follow the initiator onto the NAT-T port
 * (strongSwan moves to 4500 after IKE_SA_INIT even without a NAT). */
static void follow_peer(struct ike_sa *sa, const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote, bool natt)
{
	if (natt && !sa->natt) {
		sa->natt = true;
		sa->local = *local;
		sa->remote = *remote;
		SA_LOG(sa, IKE_LOG_DEBUG, "peer moved to the NAT-T port");
	} else if (sa->nat_remote && natt) {
		sa->remote = *remote;
		sa->local = *local;
	}
}

static int open_sk(struct ike_sa *sa, struct ikm_msg *m, uint8_t *plain, size_t cap)
{
	size_t plain_len = 0;
	size_t hdr_len = (size_t)(m->sk_body - m->pkt);
	int err;

	if (!sa->sk || m->sk_type != PT_SK)
		return -EBADMSG;   /* no keys yet, or a fragment (RFC 7383 not
		                    * negotiated: we never announce it) */
	err = ikc_sk_open(sa->sk, m->pkt, hdr_len, m->pkt_len, plain, cap, &plain_len);
	if (err)
		return err;
	return ikm_parse_inner(m, plain, plain_len) ? -EPROTO : 0;
}

/* Answer a request that failed after authentication: RFC 7296 §2.21.2
 * "MUST be rejected in their entirety, and MUST only lead to an
 * UNSUPPORTED_CRITICAL_PAYLOAD or INVALID_SYNTAX Notification". */
static void reject_request(struct ike_sa *sa, struct ikm_msg *m)
{
	uint8_t buf[64];
	struct ikm_builder b;
	uint8_t pt = m->err_payload;

	ikm_build_chain(&b, buf, sizeof(buf));
	if (m->err == IKM_E_CRITICAL) {
		ikm_build_notify(&b, 0, NULL, 0, N_UNSUPPORTED_CRITICAL_PAYLOAD, &pt, 1);
		ike_send_response(sa, m, &b, false);
		SA_LOG(sa, IKE_LOG_WARN, "%s request with unsupported critical payload %u rejected",
		       ikm_exchange_name(m->hdr.exchange), pt);
		return;
	}
	ikm_build_notify(&b, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
	ike_send_response(sa, m, &b, false);
	SA_LOG(sa, IKE_LOG_WARN, "%s request invalid (%s: %s %s), IKE SA deleted",
	       ikm_exchange_name(m->hdr.exchange), ikm_err_str(m->err),
	       ikm_payload_name(pt), m->err_what ? m->err_what : "");
	/* §2.21.3: "this error notification is considered fatal in both peers,
	 * meaning that the IKE SA is deleted without needing an explicit
	 * Delete payload". */
	ike_sa_kill(sa, "invalid syntax from peer");
}

enum win { WIN_NEW, WIN_RETRANSMIT, WIN_OUTSIDE };

/* RFC 7296 §2.3: a responder processes requests in its window, resends the
 * cached response of a retransmitted one, and drops everything else. */
static enum win classify(struct ike_sa *sa, uint32_t mid, const uint8_t hash[32],
			 struct ike_resp **cached)
{
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		struct ike_resp *r = &sa->cache[i];

		if (r->valid && r->mid == mid) {
			*cached = r;
			return memcmp(r->req_hash, hash, 32) ? WIN_OUTSIDE : WIN_RETRANSMIT;
		}
	}
	if (mid - sa->mid_recv < sa->win_in && !(sa->recv_done & (1u << (mid - sa->mid_recv))))
		return WIN_NEW;
	return WIN_OUTSIDE;
}

static void dispatch_request(struct ike_sa *sa, struct ikm_msg *m)
{
	switch (m->hdr.exchange) {
	case IKE_AUTH:
		if (sa->state == IKE_S_INIT_R && !sa->initiator)
			ike_auth_on_request(sa, m);
		else
			sa->e->st.drop_other++;
		break;
	case CREATE_CHILD_SA:
		ike_ccsa_on_request(sa, m);
		break;
	case INFORMATIONAL:
		ike_info_on_request(sa, m);
		break;
	default:
		sa->e->st.drop_other++;
	}
}

static struct ike_xchg *match_response(struct ike_sa *sa, const struct ikm_msg *m)
{
	if (sa->oob && sa->oob->mid == m->hdr.mid && sa->oob->exchange == m->hdr.exchange)
		return sa->oob;
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		struct ike_xchg *x = sa->out[i];

		if (x && x->mid == m->hdr.mid && x->exchange == m->hdr.exchange)
			return x;
	}
	return NULL;
}

/* The IKE SA whose out-of-band callback runs now, and whether the callback
 * declined the response (ike_sa_oob_keep). Saved and restored around each
 * callback, so nested engines (tests run two in one process) keep theirs. */
struct oob_cur {
	struct ike_sa *sa;
	bool keep;
};
static struct oob_cur oob_cur;

void ike_sa_oob_keep(struct ike_sa *sa)
{
	if (sa && oob_cur.sa == sa)
		oob_cur.keep = true;
}

/* A response to the out-of-band request x. The callback may start the next
 * out-of-band request at once (sa->oob is free while it runs) or decline
 * this response with ike_sa_oob_keep(): then x stays outstanding with its
 * retransmission timer as it was, and the very same request bytes go out
 * again on the IKE back-off (RFC 6311: a sync response with the wrong nonce
 * is "silently dropped"; the request must not change). */
static void oob_answer(struct ike_engine *e, struct ike_sa *sa, struct ike_xchg *x,
		       const struct ikm_msg *m)
{
	struct oob_cur saved = oob_cur;
	bool keep;

	sa->oob = NULL;
	oob_cur.sa = sa;
	oob_cur.keep = false;
	x->oob_cb(x->oob_arg, sa, m);
	keep = oob_cur.keep;
	oob_cur = saved;
	if (keep && !sa->oob && sa->state != IKE_S_DEAD) {
		sa->oob = x;
		return;
	}
	/* Done with x; unless a new request took its place (and re-armed
	 * t_oob), its retransmission timer goes too. */
	if (!sa->oob)
		tmr_cancel(&e->timers, &sa->t_oob);
	ike_xchg_free(x);
}

static void input_encrypted(struct ike_engine *e, struct ike_sa *sa, struct ikm_msg *m,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote, bool natt)
{
	static uint8_t plain[IKE_MAX_MSG];
	uint8_t hash[32];
	int err;

	if (ikr_check_outer(m)) {
		e->st.drop_rules++;
		return;
	}
	if (!sa->sk || sa->state == IKE_S_INIT_I) {
		e->st.drop_other++;
		return;
	}
	if (!ikm_is_response(m)) {
		struct ike_resp *cached = NULL;
		struct ikc_buf part = { m->pkt, m->pkt_len };
		bool held = false;
		enum win w;

		/* A request must come from the other role. */
		if (ikm_from_initiator(m) == sa->initiator) {
			e->st.drop_other++;
			return;
		}
		if (ike_sha256(&part, 1, hash))
			return;
		w = classify(sa, m->hdr.mid, hash, &cached);
		if (w == WIN_RETRANSMIT) {
			e->st.resp_retransmits++;
			ike_raw_send(sa, cached->pkt, cached->len);
			return;
		}
		if (w == WIN_OUTSIDE && !(e->env.ext && e->env.ext->oob_request)) {
			e->st.drop_window++;
			ike_log(e, IKE_LOG_DEBUG, "[%u] request MID %u outside window (expect %u), dropped",
				sa->id, m->hdr.mid, sa->mid_recv);
			return;
		}
		if (w == WIN_NEW && sa->hold_requests) {
			/* RFC 6311 R7: requests wait while a sync runs. A Message
			 * ID 0 INFORMATIONAL may be the peer's own sync request
			 * (simultaneous failover): it is decrypted and offered to
			 * the extension, and dropped if it is not one. */
			if (m->hdr.mid != 0 || m->hdr.exchange != INFORMATIONAL ||
			    !(e->env.ext && e->env.ext->oob_request)) {
				e->st.drop_held++;
				ike_log(e, IKE_LOG_DEBUG, "[%u] %s request MID %u dropped: held while an "
					"RFC 6311 sync runs (R7)", sa->id,
					ikm_exchange_name(m->hdr.exchange), m->hdr.mid);
				return;
			}
			w = WIN_OUTSIDE;
			held = true;
		}
		err = open_sk(sa, m, plain, sizeof(plain));
		if (err == -EPROTO) {
			if (w != WIN_NEW) {
				e->st.drop_malformed++;
				return;
			}
			e->st.drop_malformed++;
			memcpy(e->cur_hash, hash, 32);
			reject_request(sa, m);
			return;
		}
		if (err) {
			e->st.drop_auth++;
			ike_log(e, IKE_LOG_DEBUG, "[%u] %s request MID %u failed integrity/decryption, dropped",
				sa->id, ikm_exchange_name(m->hdr.exchange), m->hdr.mid);
			return;
		}
		memcpy(e->cur_hash, hash, 32);
		if (ikr_check(m)) {
			e->st.drop_rules++;
			if (w != WIN_NEW)
				return;
			reject_request(sa, m);
			return;
		}
		if (w == WIN_OUTSIDE) {
			if (e->env.ext->oob_request(e->env.ext_ctx, sa, m))
				return;
			if (held) {
				e->st.drop_held++;
				ike_log(e, IKE_LOG_DEBUG, "[%u] request MID %u dropped: held while an "
					"RFC 6311 sync runs (R7)", sa->id, m->hdr.mid);
			} else {
				e->st.drop_window++;
				ike_log(e, IKE_LOG_DEBUG, "[%u] request MID %u outside window (expect %u), dropped",
					sa->id, m->hdr.mid, sa->mid_recv);
			}
			return;
		}
		ike_sa_touch(sa);
		follow_peer(sa, local, remote, natt);
		dispatch_request(sa, m);
		return;
	}
	/* Response. */
	struct ike_xchg *x = match_response(sa, m);

	if (!x || ikm_from_initiator(m) == sa->initiator) {
		e->st.drop_window++;
		ike_log(e, IKE_LOG_DEBUG, "[%u] unexpected %s response MID %u, dropped",
			sa->id, ikm_exchange_name(m->hdr.exchange), m->hdr.mid);
		return;
	}
	err = open_sk(sa, m, plain, sizeof(plain));
	if (err && err != -EPROTO) {
		e->st.drop_auth++;
		return;
	}
	if (err || ikr_check(m)) {
		e->st.drop_malformed++;
		if (x == sa->oob) {
			/* An out-of-band request (RFC 6311 sync) is not an
			 * exchange of the window: a malformed answer is dropped
			 * silently and the request keeps being retransmitted
			 * until a good answer or its time-out (the owner hears
			 * of that). */
			ike_log(e, IKE_LOG_DEBUG, "[%u] malformed %s response MID %u to an "
				"out-of-band request, dropped", sa->id,
				ikm_exchange_name(m->hdr.exchange), m->hdr.mid);
			return;
		}
		/* §2.21: no error message for a bad response, but clean up. */
		ike_xchg_failed(sa, x, "malformed response");
		return;
	}
	ike_sa_touch(sa);
	if (sa->nat_remote || natt)
		follow_peer(sa, local, remote, natt);
	if (x == sa->oob) {
		oob_answer(e, sa, x, m);
		return;
	}
	switch (x->kind) {
	case XK_AUTH:
		ike_auth_on_response(sa, x, m);
		break;
	case XK_CHILD_NEW:
	case XK_CHILD_REKEY:
	case XK_IKE_REKEY:
		ike_ccsa_on_response(sa, x, m);
		break;
	default:
		ike_info_on_response(sa, x, m);
		break;
	}
}

void ike_input(struct ike_engine *e, const struct sockaddr_storage *local,
	       const struct sockaddr_storage *remote, bool natt,
	       const uint8_t *pkt, size_t len)
{
	static struct ikm_msg m;
	struct ikm_hdr h;
	struct ike_sa *sa;
	const uint8_t *our_spi;

	ike_begin_event(e);
	e->st.rx_msgs++;
	e->st.rx_bytes += len;
	e->cur_local = local;
	e->cur_remote = remote;
	e->cur_natt = natt;
	if (ikm_peek_hdr(pkt, len, &h)) {
		e->st.drop_malformed++;
		goto out;
	}
	if (h.exchange == IKE_SA_INIT && !(h.flags & IKE_FLAG_R)) {
		ike_init_on_request(e, &m, local, remote, natt, pkt, len);
		goto out;
	}
	/* Our SPI: the responder's if the sender is the original initiator. */
	our_spi = (h.flags & IKE_FLAG_I) ? h.spi_r : h.spi_i;
	sa = find_sa(e, our_spi);
	if (!sa) {
		/* §2.21.4: a response is audited, never answered; we do not
		 * answer requests for unknown SPIs either (no INVALID_IKE_SPI:
		 * unauthenticated, and a reflection vector). */
		e->st.drop_no_sa++;
		ike_log(e, IKE_LOG_DEBUG, "%s %s for unknown IKE SA, dropped",
			ikm_exchange_name(h.exchange), (h.flags & IKE_FLAG_R) ? "response" : "request");
		goto out;
	}
	if (ikm_parse(&m, pkt, len)) {
		e->st.drop_malformed++;
		ike_log(e, IKE_LOG_DEBUG, "[%u] malformed message dropped: %s (%s)", sa->id,
			ikm_err_str(m.err), m.err_what ? m.err_what : "");
		goto out;
	}
	if (h.exchange == IKE_SA_INIT) {
		if (sa->state == IKE_S_INIT_I && h.mid == 0 && !(h.flags & IKE_FLAG_I))
			ike_init_on_response(sa, &m, local, remote, natt);
		else
			e->st.drop_other++;
		goto out;
	}
	/* The other SPI must be the peer's (once known). */
	if (memcmp(ike_sa_peer_spi(sa), (h.flags & IKE_FLAG_I) ? h.spi_i : h.spi_r, IKE_SPI_LEN)) {
		e->st.drop_no_sa++;
		goto out;
	}
	input_encrypted(e, sa, &m, local, remote, natt);
	if (sa->state != IKE_S_DEAD)
		ike_tasks_run(sa);
out:
	ike_end_event(e);
}

/* ---- operator actions ---- */

static struct ike_conn *conn_by_name(struct ike_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_conns; i++)
		if (!strcmp(e->conns[i]->c.name, name))
			return e->conns[i];
	return NULL;
}

int ike_initiate(struct ike_engine *e, const char *conn, uint32_t *ike_id)
{
	return ike_initiate_opts(e, conn, NULL, ike_id);
}

int ike_initiate_opts(struct ike_engine *e, const char *conn, const struct ike_initiate_opts *o,
		      uint32_t *ike_id)
{
	struct ike_conn *c = conn_by_name(e, conn);
	struct ike_sa *sa;
	int err;

	if (!c)
		return -ENOENT;
	if (c->c.remote_any)
		return -EINVAL;   /* responder-only connection */
	ike_begin_event(e);
	sa = ike_sa_new(e, c, true);
	if (!sa) {
		err = -ENOMEM;
		goto out;
	}
	if (o)
		sa->ts_port = o->ts_port;
	err = ike_sa_set_our_spi(sa);
	if (!err)
		err = ike_init_start(sa);
	if (err) {
		ike_sa_kill(sa, "initiation failed");
		goto out;
	}
	if (ike_id)
		*ike_id = sa->id;
out:
	ike_end_event(e);
	return err;
}

struct ike_sa *ike_sa_by_id(struct ike_engine *e, uint32_t id)
{
	for (struct ike_sa *sa = e->head; sa; sa = sa->next)
		if (sa->id == id && sa->state != IKE_S_DEAD)
			return sa;
	return NULL;
}

int ike_terminate_ike(struct ike_engine *e, uint32_t id)
{
	struct ike_sa *sa = ike_sa_by_id(e, id);

	if (!sa)
		return -ENOENT;
	ike_begin_event(e);
	if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_REKEYED) {
		ike_task_add(sa, XK_IKE_DELETE, 0, 0);
		ike_tasks_run(sa);
	} else if (sa->state != IKE_S_DELETING) {
		ike_sa_kill(sa, "terminated");
	}
	ike_end_event(e);
	return 0;
}

int ike_drop_ike(struct ike_engine *e, uint32_t id)
{
	struct ike_sa *sa = ike_sa_by_id(e, id);

	if (!sa)
		return -ENOENT;
	ike_begin_event(e);
	ike_sa_kill(sa, "dropped locally");
	ike_end_event(e);
	return 0;
}

int ike_terminate_conn(struct ike_engine *e, const char *conn, unsigned *count)
{
	unsigned n = 0;
	bool known = conn_by_name(e, conn) != NULL;

	for (struct ike_sa *sa = e->head, *nx; sa; sa = nx) {
		nx = sa->next;
		if (strcmp(sa->conn->c.name, conn) || sa->state == IKE_S_DEAD)
			continue;
		known = true;
		ike_terminate_ike(e, sa->id);
		n++;
	}
	if (count)
		*count = n;
	return known ? 0 : -ENOENT;
}

static int with_sa(struct ike_engine *e, uint32_t id, enum xk kind, uint32_t child_spi)
{
	struct ike_sa *sa = ike_sa_by_id(e, id);

	if (!sa)
		return -ENOENT;
	if (sa->state != IKE_S_ESTABLISHED)
		return -EAGAIN;
	ike_begin_event(e);
	ike_task_add(sa, kind, child_spi, 0);
	ike_tasks_run(sa);
	ike_end_event(e);
	return 0;
}

int ike_rekey_ike(struct ike_engine *e, uint32_t id)
{
	return with_sa(e, id, XK_IKE_REKEY, 0);
}

int ike_create_child(struct ike_engine *e, uint32_t id)
{
	return with_sa(e, id, XK_CHILD_NEW, 0);
}

int ike_dpd(struct ike_engine *e, uint32_t id)
{
	return with_sa(e, id, XK_DPD, 0);
}

int ike_rekey_child(struct ike_engine *e, uint32_t child_id)
{
	for (struct ike_sa *sa = e->head; sa; sa = sa->next)
		for (struct ike_child *c = sa->children; c; c = c->next)
			if (c->id == child_id)
				return with_sa(e, sa->id, XK_CHILD_REKEY, c->spi_in);
	return -ENOENT;
}

/* ---- introspection ---- */

static uint64_t due_in(const struct tmr *t, uint64_t now)
{
	if (!tmr_armed(t))
		return UINT64_MAX;
	return t->at > now ? t->at - now : 0;
}

static void fill_info(const struct ike_sa *sa, uint64_t now, struct ike_sa_info *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sa->id;
	o->conn = sa->conn->c.name;
	o->state = ike_state_name(sa->state);
	o->initiator = sa->initiator;
	memcpy(o->spi_i, sa->spi_i, 8);
	memcpy(o->spi_r, sa->spi_r, 8);
	o->local = sa->local;
	o->remote = sa->remote;
	o->natt = sa->natt;
	o->nat_local = sa->nat_local;
	o->nat_remote = sa->nat_remote;
	o->suite = sa->suite;
	o->local_id = sa->conn->c.local_id;
	o->remote_id = sa->peer_id.type ? sa->peer_id : sa->conn->c.remote_id;
	o->mid_send = sa->mid_send;
	o->mid_recv = sa->mid_recv;
	o->window_out = sa->win_out;
	o->window_in = sa->win_in;
	o->caps = sa->caps;
	o->dp_group_valid = sa->group_valid;
	o->dp_group = sa->group;
	o->age_ms = now - sa->created;
	o->rekey_in_ms = due_in(&sa->t_rekey, now);
	o->expire_in_ms = due_in(&sa->t_expire, now);
	o->idle_ms = now - sa->last_rx;
	o->n_children = sa->n_children;
}

static void fill_child(const struct ike_child *c, uint64_t now, struct ike_child_info *o)
{
	memset(o, 0, sizeof(*o));
	o->id = c->id;
	o->state = ike_child_state_name(c->state);
	o->spi_in = c->spi_in;
	o->spi_out = c->spi_out;
	o->suite = c->suite;
	o->esn = c->suite.esn == ESN_YES;
	o->encap = c->encap;
	o->initiator = c->initiator;
	o->n_ts_local = c->n_tsl;
	o->n_ts_remote = c->n_tsr;
	memcpy(o->ts_local, c->tsl, sizeof(c->tsl));
	memcpy(o->ts_remote, c->tsr, sizeof(c->tsr));
	o->dp_group = c->sa->group;
	o->slots = c->slots;
	o->installed = c->installed;
	o->age_ms = now - c->created;
	o->rekey_in_ms = due_in(&c->t_rekey, now);
	o->expire_in_ms = due_in(&c->t_expire, now);
}

void ike_foreach_sa(const struct ike_engine *e, ike_sa_fn fn, void *arg)
{
	uint64_t now = ike_now(e);
	struct ike_child_info *ci = NULL;
	size_t cap = 0;

	for (const struct ike_sa *sa = e->head; sa; sa = sa->next) {
		struct ike_sa_info info;
		unsigned n = 0;

		if (sa->state == IKE_S_DEAD)
			continue;
		if (sa->n_children > cap) {
			struct ike_child_info *nci = realloc(ci, sa->n_children * sizeof(*ci));

			if (!nci)
				continue;
			ci = nci;
			cap = sa->n_children;
		}
		fill_info(sa, now, &info);
		for (const struct ike_child *c = sa->children; c && n < cap; c = c->next)
			fill_child(c, now, &ci[n++]);
		fn(arg, &info, ci, n);
	}
	free(ci);
}

int ike_sa_info_by_id(const struct ike_engine *e, uint32_t id, struct ike_sa_info *out)
{
	for (const struct ike_sa *sa = e->head; sa; sa = sa->next) {
		if (sa->id == id && sa->state != IKE_S_DEAD) {
			fill_info(sa, ike_now(e), out);
			return 0;
		}
	}
	return -ENOENT;
}
