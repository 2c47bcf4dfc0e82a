/* ike_sa.c — IKE SA life cycle, the task queue, sending requests and
 * responses (Message IDs, retransmission, response cache), and putting
 * Child SAs into the dataplane. */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define CONTAINER(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

const char *ike_state_name(enum ike_state s)
{
	static const char *const n[] = {
		[IKE_S_INIT_I] = "CONNECTING", [IKE_S_INIT_R] = "HALF_OPEN",
		[IKE_S_AUTH_I] = "AUTHENTICATING", [IKE_S_ESTABLISHED] = "ESTABLISHED",
		[IKE_S_REKEYED] = "REKEYED", [IKE_S_DELETING] = "DELETING",
		[IKE_S_DEAD] = "DEAD",
	};
	return n[s];
}

const char *ike_child_state_name(enum child_state s)
{
	static const char *const n[] = {
		[CH_INSTALLED] = "INSTALLED", [CH_REKEYING] = "REKEYING",
		[CH_REKEYED] = "REKEYED", [CH_DELETING] = "DELETING",
	};
	return n[s];
}

const uint8_t *ike_sa_our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

const uint8_t *ike_sa_peer_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_r : sa->spi_i;
}

/* ---- timers ---- */

static struct tmr_heap *heap(struct ike_sa *sa)
{
	return &sa->e->timers;
}

static void arm(struct ike_sa *sa, struct tmr *t, uint64_t at)
{
	tmr_arm(heap(sa), t, at);
}

/* RFC 7296 §2.1: retransmit "with an exponential back-off"; timeout n is
 * base * factor^n. */
static uint64_t retx_timeout(const struct ike_engine *e, unsigned tries)
{
	double t = e->g.retransmit_timeout_ms ? e->g.retransmit_timeout_ms : 2000;
	double f = e->g.retransmit_base >= 1.0 ? e->g.retransmit_base : 1.8;

	/* Capped at a day: retransmit_tries (up to 100) x retransmit_base (up
	 * to 10) would overflow the conversion to an integer. */
	for (unsigned i = 0; i < tries && t < 86400000.0; i++)
		t *= f;
	return t < 86400000.0 ? (uint64_t)t : 86400000u;
}

static unsigned retx_tries(const struct ike_engine *e)
{
	return e->g.retransmit_tries;
}

static void send_to(struct ike_engine *e, const struct sockaddr_storage *local,
		    const struct sockaddr_storage *remote, bool natt,
		    const uint8_t *pkt, size_t len)
{
	e->st.tx_msgs++;
	e->st.tx_bytes += len;
	if (e->env.send(e->env.ctx, local, remote, natt, pkt, len))
		e->st.send_errors++;
}

void ike_raw_send(struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	send_to(sa->e, &sa->local, &sa->remote, sa->natt, pkt, len);
}

static void rearm_retx(struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		struct ike_xchg *x = sa->out[i];
		uint64_t at;

		if (!x)
			continue;
		at = x->first_sent;
		for (unsigned k = 0; k <= x->tries; k++)
			at += retx_timeout(sa->e, k);
		if (at < next)
			next = at;
	}
	if (next == UINT64_MAX)
		tmr_cancel(heap(sa), &sa->t_retx);
	else
		arm(sa, &sa->t_retx, next);
}

unsigned ike_init_tries(const struct ike_sa *sa)
{
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++)
		if (sa->out[i] && sa->out[i]->kind == XK_INIT)
			return sa->out[i]->tries;
	return 0;
}

/* DPD gives up after dpd_timeout_s whatever the retransmission count. */
static bool give_up(struct ike_sa *sa, struct ike_xchg *x, uint64_t now)
{
	if (x->tries >= retx_tries(sa->e))
		return true;
	/* §2.21.1 "should continue trying for some time before giving up":
	 * an unusable answer to IKE_SA_INIT came for a retransmission too, so
	 * it is the responder's own and not a lone forgery (ike_init.c
	 * init_unusable()). */
	if (x->kind == XK_INIT && sa->init_err && sa->init_err_last > sa->init_err_first)
		return true;
	if (x->kind == XK_DPD && sa->conn->c.dpd_timeout_s &&
	    now - x->first_sent >= (uint64_t)sa->conn->c.dpd_timeout_s * 1000)
		return true;
	return false;
}

static void on_retx(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_retx);

	for (unsigned i = 0; i < IKE_MAX_WINDOW && sa->state != IKE_S_DEAD; i++) {
		struct ike_xchg *x = sa->out[i];
		uint64_t at;

		if (!x)
			continue;
		at = x->first_sent;
		for (unsigned k = 0; k <= x->tries; k++)
			at += retx_timeout(sa->e, k);
		if (at > now)
			continue;
		if (give_up(sa, x, now)) {
			SA_LOG(sa, IKE_LOG_INFO, "giving up on %s request MID %u after %u retransmits",
			       ikm_exchange_name(x->exchange), x->mid, x->tries);
			ike_xchg_failed(sa, x, x->kind == XK_INIT && sa->init_err ?
					sa->init_err : "peer not responding");
			continue;
		}
		x->tries++;
		sa->e->st.retransmits++;
		SA_LOG(sa, IKE_LOG_DEBUG, "retransmit %u of %s request MID %u", x->tries,
		       ikm_exchange_name(x->exchange), x->mid);
		ike_raw_send(sa, x->pkt, x->len);
	}
	if (sa->state != IKE_S_DEAD)
		rearm_retx(sa);
}

static void oob_rearm(struct ike_sa *sa)
{
	struct ike_xchg *x = sa->oob;
	uint64_t at = x->first_sent;

	for (unsigned k = 0; k <= x->tries; k++)
		at += retx_timeout(sa->e, k);
	arm(sa, &sa->t_oob, at);
}

static void on_oob(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_oob);
	struct ike_xchg *x = sa->oob;

	(void)now;
	if (!x)
		return;
	if (x->tries >= retx_tries(sa->e)) {
		ike_oob_cb cb = x->oob_cb;
		void *arg = x->oob_arg;

		sa->oob = NULL;
		ike_xchg_free(x);
		cb(arg, sa, NULL);
		return;
	}
	x->tries++;
	sa->e->st.retransmits++;
	ike_raw_send(sa, x->pkt, x->len);
	oob_rearm(sa);
}

static void on_rekey(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_rekey);

	(void)now;
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	SA_LOG(sa, IKE_LOG_INFO, "IKE SA rekey time reached");
	ike_task_add(sa, XK_IKE_REKEY, 0, 0);
	ike_tasks_run(sa);
}

/* Hard lifetime: RFC 7296 §2.8 "When the lifetime of a Security Association
 * expires, the Security Association MUST NOT be used." The original
 * initiator reauthenticates make-before-break (§2.8.3: a new IKE SA from
 * scratch, then the old one is deleted); a responder deletes. */
static void on_expire(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_expire);
	uint32_t nid = 0;

	(void)now;
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	if (sa->initiator && !sa->conn->c.remote_any && sa->conn->current &&
	    !ike_initiate(sa->e, sa->conn->c.name, &nid)) {
		struct ike_sa *nu = ike_sa_by_id(sa->e, nid);

		SA_LOG(sa, IKE_LOG_INFO, "IKE SA lifetime reached, reauthenticating as [%u]", nid);
		if (nu)
			nu->reauth_of = sa->id;
		/* If the new SA never comes up, the old one still goes. */
		arm(sa, &sa->t_delete, ike_now(sa->e) + sa->e->p.delete_grace_ms * 3);
		return;
	}
	SA_LOG(sa, IKE_LOG_INFO, "IKE SA lifetime reached, deleting");
	ike_task_add(sa, XK_IKE_DELETE, 0, 0);
	ike_tasks_run(sa);
}

static void on_dpd(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_dpd);
	uint64_t iv = (uint64_t)sa->conn->c.dpd_interval_s * 1000;

	if (sa->state != IKE_S_ESTABLISHED || !iv)
		return;
	if (now - sa->last_rx < iv) {
		arm(sa, &sa->t_dpd, sa->last_rx + iv);
		return;
	}
	/* RFC 7296 §2.4: liveness check = an empty INFORMATIONAL request. */
	ike_task_add(sa, XK_DPD, 0, 0);
	ike_tasks_run(sa);
	arm(sa, &sa->t_dpd, now + iv);
}

static void on_keepalive(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_keepalive);

	if (sa->state == IKE_S_DEAD || !sa->nat_local || !sa->natt)
		return;
	if (sa->e->env.send_keepalive)
		sa->e->env.send_keepalive(sa->e->env.ctx, &sa->local, &sa->remote);
	arm(sa, &sa->t_keepalive, now + sa->e->p.keepalive_ms);
}

static void on_halfopen(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_halfopen);

	(void)now;
	if (sa->state == IKE_S_INIT_R)
		ike_sa_kill(sa, "half-open timeout");
}

static void on_tasks(struct tmr *t, uint64_t now)
{
	(void)now;
	ike_tasks_run(CONTAINER(t, struct ike_sa, t_tasks));
}

static void on_delete(struct tmr *t, uint64_t now)
{
	struct ike_sa *sa = CONTAINER(t, struct ike_sa, t_delete);

	(void)now;
	if (sa->state == IKE_S_REKEYED || sa->state == IKE_S_DELETING) {
		ike_sa_kill(sa, sa->state == IKE_S_REKEYED ? "rekeyed" : "deleted");
	} else if (sa->state == IKE_S_ESTABLISHED) {
		/* reauthentication did not finish in time */
		ike_task_add(sa, XK_IKE_DELETE, 0, 0);
		ike_tasks_run(sa);
	}
}

static void on_child_rekey(struct tmr *t, uint64_t now)
{
	struct ike_child *c = CONTAINER(t, struct ike_child, t_rekey);

	(void)now;
	if (c->state != CH_INSTALLED)
		return;
	SA_LOG(c->sa, IKE_LOG_INFO, "CHILD_SA %u rekey time reached", c->id);
	ike_task_add(c->sa, XK_CHILD_REKEY, c->spi_in, 0);
	ike_tasks_run(c->sa);
}

static void on_child_expire(struct tmr *t, uint64_t now)
{
	struct ike_child *c = CONTAINER(t, struct ike_child, t_expire);
	struct ike_sa *sa = c->sa;

	(void)now;
	SA_LOG(sa, IKE_LOG_INFO, "CHILD_SA %u lifetime reached, deleting", c->id);
	if (c->state == CH_DELETING) {
		ike_child_remove(c, "expired");
		return;
	}
	ike_task_add(sa, XK_CHILD_DELETE, c->spi_in, 0);
	ike_tasks_run(sa);
}

/* ---- SA objects ---- */

struct ike_sa *ike_sa_new(struct ike_engine *e, struct ike_conn *conn, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->e = e;
	sa->id = e->next_sa_id++;
	sa->conn = conn;
	conn->refs++;
	sa->initiator = initiator;
	sa->state = initiator ? IKE_S_INIT_I : IKE_S_INIT_R;
	sa->win_out = 1;
	sa->win_in = e->p.window;
	sa->tasks_tail = &sa->tasks;
	sa->created = sa->last_rx = ike_now(e);
	sa->local = conn->c.local;
	sa->remote = conn->c.remote;
	tmr_init(&sa->t_retx, on_retx);
	tmr_init(&sa->t_oob, on_oob);
	tmr_init(&sa->t_rekey, on_rekey);
	tmr_init(&sa->t_expire, on_expire);
	tmr_init(&sa->t_dpd, on_dpd);
	tmr_init(&sa->t_keepalive, on_keepalive);
	tmr_init(&sa->t_halfopen, on_halfopen);
	tmr_init(&sa->t_tasks, on_tasks);
	tmr_init(&sa->t_delete, on_delete);
	sa->prev = e->tail;
	if (e->tail)
		e->tail->next = sa;
	else
		e->head = sa;
	e->tail = sa;
	e->n_sas++;
	return sa;
}

int ike_sa_set_our_spi(struct ike_sa *sa)
{
	uint8_t *spi = sa->initiator ? sa->spi_i : sa->spi_r;

	for (int tries = 0; tries < 16; tries++) {
		if (ike_random(sa->e, spi, IKE_SPI_LEN))
			return -EIO;
		/* An all-zero SPI means "unknown" on the wire (§3.1). */
		if (!get_be64(spi) || htab_find(&sa->e->sas, get_be64(spi)))
			continue;
		htab_add(&sa->e->sas, &sa->by_spi, get_be64(spi));
		return 0;
	}
	return -EAGAIN;
}

static void cancel_timers(struct ike_sa *sa)
{
	struct tmr *ts[] = { &sa->t_retx, &sa->t_oob, &sa->t_rekey, &sa->t_expire, &sa->t_dpd,
			     &sa->t_keepalive, &sa->t_halfopen, &sa->t_tasks, &sa->t_delete };

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		tmr_cancel(heap(sa), ts[i]);
}

static bool in_htab(const struct htab_node *n, const struct htab *h)
{
	for (const struct htab_node *x = htab_find(h, n->key); x; x = htab_next(x))
		if (x == n)
			return true;
	return false;
}

void ike_sa_kill(struct ike_sa *sa, const char *reason)
{
	struct ike_engine *e = sa->e;
	bool was_up = sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_REKEYED ||
		      sa->state == IKE_S_DELETING;
	bool rekeyed = sa->state == IKE_S_REKEYED;

	if (sa->state == IKE_S_DEAD)
		return;
	ike_begin_event(e);
	if (sa->oob) {
		struct ike_xchg *x = sa->oob;

		sa->oob = NULL;
		x->oob_cb(x->oob_arg, sa, NULL);
		ike_xchg_free(x);
	}
	while (sa->children)
		ike_child_remove(sa->children, reason);
	if (sa->group_valid && e->env.dp.ops) {
		if (e->env.dp.ops->group_del(e->env.dp.ctx, sa->group))
			e->st.dp_errors++;
		sa->group_valid = false;
	}
	if (sa->state == IKE_S_INIT_R && e->half_open)
		e->half_open--;
	cancel_timers(sa);
	if (in_htab(&sa->by_spi, &e->sas))
		htab_del(&e->sas, &sa->by_spi);
	if (sa->in_init_idx) {
		htab_del(&e->init_idx, &sa->by_peer_spi);
		sa->in_init_idx = false;
	}
	if (e->env.ext && e->env.ext->sa_free)
		e->env.ext->sa_free(e->env.ext_ctx, sa);
	sa->down_reason = reason;
	if (was_up) {
		SA_LOG(sa, rekeyed ? IKE_LOG_DEBUG : IKE_LOG_INFO, "IKE SA down: %s", reason);
		e->st.ike_deleted++;
		ike_emit(e, IKE_EV_IKE_DOWN, sa, NULL, reason, rekeyed);
	} else {
		SA_LOG(sa, IKE_LOG_INFO, "IKE SA failed: %s", reason);
		e->st.ike_failed++;
		ike_emit(e, IKE_EV_IKE_FAILED, sa, NULL, reason, false);
		ike_emit(e, IKE_EV_IKE_DOWN, sa, NULL, reason, false);
	}
	sa->state = IKE_S_DEAD;
	/* Unlink from the live list; freed when the event ends. */
	if (sa->prev)
		sa->prev->next = sa->next;
	else
		e->head = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
	else
		e->tail = sa->prev;
	e->n_sas--;
	sa->next = e->dead;
	sa->prev = NULL;
	e->dead = sa;
	ike_end_event(e);
}

void ike_sa_free(struct ike_sa *sa)
{
	ikc_ke_free(sa->ke);
	ikc_sk_free(sa->sk);
	ikc_ike_keys_wipe(&sa->keys);
	free(sa->init_i);
	free(sa->init_r);
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		ike_xchg_free(sa->out[i]);
		free(sa->cache[i].pkt);
	}
	ike_xchg_free(sa->oob);
	while (sa->tasks) {
		struct ike_task *t = sa->tasks;

		sa->tasks = t->next;
		free(t);
	}
	ike_conn_put(sa->conn);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

int ike_sa_derive_keys(struct ike_sa *sa, const uint8_t *gir, size_t gir_len)
{
	int err = ikc_kdf_ike(&sa->suite, gir, gir_len, sa->ni, sa->ni_len, sa->nr, sa->nr_len,
			      sa->spi_i, sa->spi_r, &sa->keys);

	if (!err)
		err = ikc_sk_new(&sa->suite, &sa->keys, sa->initiator, sa->e->env.rng, &sa->sk);
	if (!err && sa->e->env.keylog)
		ikl_log_ike(sa->e->env.keylog, sa->conn->c.name, sa->spi_i, sa->spi_r,
			    &sa->suite, &sa->keys);
	return err;
}

void ike_sa_touch(struct ike_sa *sa)
{
	sa->last_rx = ike_now(sa->e);
}

void ike_sa_arm_lifetimes(struct ike_sa *sa)
{
	const struct agc_conn *c = &sa->conn->c;
	uint64_t now = ike_now(sa->e);

	if (c->ike_rekey_s)
		arm(sa, &sa->t_rekey, now + ike_jitter(sa->e, c->ike_rekey_s * 1000u));
	if (c->ike_lifetime_s)
		arm(sa, &sa->t_expire, now + (uint64_t)c->ike_lifetime_s * 1000);
	if (c->dpd_interval_s)
		arm(sa, &sa->t_dpd, now + (uint64_t)c->dpd_interval_s * 1000);
	if (sa->nat_local && sa->natt)
		arm(sa, &sa->t_keepalive, now + sa->e->p.keepalive_ms);
}

static void free_init_material(struct ike_sa *sa)
{
	free(sa->init_i);
	free(sa->init_r);
	sa->init_i = sa->init_r = NULL;
	ikc_ke_free(sa->ke);
	sa->ke = NULL;
}

void ike_sa_established_now(struct ike_sa *sa, bool rekey)
{
	struct ike_engine *e = sa->e;
	char alg[96] = "";

	if (sa->state == IKE_S_INIT_R && e->half_open)
		e->half_open--;
	tmr_cancel(heap(sa), &sa->t_halfopen);
	sa->state = IKE_S_ESTABLISHED;
	sa->established = ike_now(e);
	free_init_material(sa);
	ike_sa_arm_lifetimes(sa);
	e->st.ike_established++;
	ikc_suite_format(&sa->suite, IKC_PROTO_IKE, alg, sizeof(alg));
	SA_LOG(sa, IKE_LOG_INFO, "IKE SA established%s (%s, SPIs %016llx_i %016llx_r%s)",
	       rekey ? " by rekey" : "", alg,
	       (unsigned long long)get_be64(sa->spi_i), (unsigned long long)get_be64(sa->spi_r),
	       sa->natt ? ", NAT-T" : "");
	ike_emit(e, IKE_EV_IKE_UP, sa, NULL, NULL, rekey);
	if (sa->reauth_of) {
		struct ike_sa *old = ike_sa_by_id(e, sa->reauth_of);

		sa->reauth_of = 0;
		if (old && old->state == IKE_S_ESTABLISHED) {
			ike_task_add(old, XK_IKE_DELETE, 0, 0);
			ike_tasks_run(old);
		}
	}
}

/* ---- tasks ---- */

int ike_task_add(struct ike_sa *sa, enum xk kind, uint32_t child_spi, uint64_t not_before)
{
	struct ike_task *t;

	if (ike_task_pending(sa, kind, child_spi))
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->kind = kind;
	t->child_spi = child_spi;
	t->not_before = not_before;
	/* A delete of the whole IKE SA goes first: nothing after it matters. */
	if (kind == XK_IKE_DELETE) {
		t->next = sa->tasks;
		sa->tasks = t;
		if (sa->tasks_tail == &sa->tasks)
			sa->tasks_tail = &t->next;
		return 0;
	}
	*sa->tasks_tail = t;
	sa->tasks_tail = &t->next;
	/* Make sure someone wakes the queue up for a deferred task. */
	if (not_before && (!tmr_armed(&sa->t_tasks) || sa->t_tasks.at > not_before))
		arm(sa, &sa->t_tasks, not_before);
	return 0;
}

bool ike_task_pending(const struct ike_sa *sa, enum xk kind, uint32_t child_spi)
{
	for (const struct ike_task *t = sa->tasks; t; t = t->next)
		if (t->kind == kind && t->child_spi == child_spi)
			return true;
	return false;
}

bool ike_xchg_outstanding(const struct ike_sa *sa, enum xk kind)
{
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++)
		if (sa->out[i] && (kind == XK_NONE || sa->out[i]->kind == kind))
			return true;
	return false;
}

struct ike_xchg *ike_xchg_find(const struct ike_sa *sa, enum xk kind, uint32_t child_spi)
{
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++)
		if (sa->out[i] && sa->out[i]->kind == kind && sa->out[i]->child_spi == child_spi)
			return sa->out[i];
	return NULL;
}

static unsigned outstanding(const struct ike_sa *sa)
{
	unsigned n = 0;

	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++)
		n += sa->out[i] != NULL;
	return n;
}

static bool kind_allowed(const struct ike_sa *sa, enum xk kind)
{
	switch (sa->state) {
	case IKE_S_ESTABLISHED:
		return kind != XK_INIT && kind != XK_AUTH;
	case IKE_S_REKEYED:
		return kind == XK_IKE_DELETE || kind == XK_CHILD_DELETE || kind == XK_CHILD_UNWANTED;
	case IKE_S_AUTH_I:
		return kind == XK_AUTH;
	default:
		return false;
	}
}

static int task_start(struct ike_sa *sa, const struct ike_task *t)
{
	switch (t->kind) {
	case XK_AUTH:
		return ike_auth_start(sa);
	case XK_CHILD_NEW:
	case XK_CHILD_REKEY:
	case XK_IKE_REKEY:
		return ike_child_start(sa, t->kind, t->child_spi);
	case XK_CHILD_DELETE:
	case XK_CHILD_UNWANTED:
	case XK_IKE_DELETE:
	case XK_DPD:
		return ike_info_start(sa, t->kind, t->child_spi);
	default:
		return -EINVAL;
	}
}

void ike_tasks_run(struct ike_sa *sa)
{
	uint64_t now = ike_now(sa->e);

	while (sa->tasks && sa->state != IKE_S_DEAD && !sa->hold_sending) {
		struct ike_task *t = sa->tasks;
		unsigned n = outstanding(sa);
		int err;

		if (!kind_allowed(sa, t->kind)) {
			/* Tasks that can never run in this state are dropped;
			 * those waiting for ESTABLISHED stay. */
			if (sa->state == IKE_S_REKEYED || sa->state == IKE_S_DELETING) {
				sa->tasks = t->next;
				if (!sa->tasks)
					sa->tasks_tail = &sa->tasks;
				free(t);
				continue;
			}
			return;
		}
		if (t->not_before > now) {
			arm(sa, &sa->t_tasks, t->not_before);
			return;
		}
		/* Window: at most win_out outstanding; an IKE rekey or delete
		 * runs alone (RFC 7296 §2.25 collisions stay manageable). */
		if (n >= sa->win_out || ike_xchg_outstanding(sa, XK_IKE_REKEY) ||
		    ike_xchg_outstanding(sa, XK_IKE_DELETE) ||
		    (n && (t->kind == XK_IKE_REKEY || t->kind == XK_IKE_DELETE)))
			return;
		sa->tasks = t->next;
		if (!sa->tasks)
			sa->tasks_tail = &sa->tasks;
		err = task_start(sa, t);
		if (err && err != -EALREADY)
			SA_LOG(sa, IKE_LOG_WARN, "could not start exchange (kind %d): %s", t->kind,
			       strerror(-err));
		free(t);
	}
}

/* ---- exchanges ---- */

struct ike_xchg *ike_xchg_new(enum xk kind)
{
	struct ike_xchg *x = calloc(1, sizeof(*x));

	if (x)
		x->kind = kind;
	return x;
}

void ike_xchg_free(struct ike_xchg *x)
{
	if (!x)
		return;
	ikc_ke_free(x->ke);
	free(x->pkt);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

void ike_xchg_done(struct ike_sa *sa, struct ike_xchg *x)
{
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++)
		if (sa->out[i] == x)
			sa->out[i] = NULL;
	ike_xchg_free(x);
	rearm_retx(sa);
}

/* Seal an inner payload chain into a full message in buf. */
static int seal(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t mid,
		uint8_t first_np, const uint8_t *plain, size_t plain_len,
		uint8_t *buf, size_t cap, size_t *out_len)
{
	struct ikm_hdr h = { .exchange = exchange, .mid = mid };
	struct ikm_builder b;
	size_t body;
	int len, err;

	memcpy(h.spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, sa->spi_r, IKE_SPI_LEN);
	h.flags = (sa->initiator ? IKE_FLAG_I : 0) | (response ? IKE_FLAG_R : 0);
	body = ikc_sk_body_len(sa->sk, plain_len);
	ikm_build_begin(&b, buf, cap, &h);
	ikm_build_sk(&b, first_np, body);
	len = ikm_build_end(&b);
	if (len < 0)
		return len;
	err = ikc_sk_seal(sa->sk, buf, cap, (size_t)len - body, plain, plain_len);
	if (err)
		return err;
	*out_len = (size_t)len;
	return 0;
}

static int place(struct ike_sa *sa, struct ike_xchg *x)
{
	for (unsigned i = 0; i < sa->win_out && i < IKE_MAX_WINDOW; i++) {
		if (!sa->out[i]) {
			sa->out[i] = x;
			return 0;
		}
	}
	return -EBUSY;
}

int ike_send_request(struct ike_sa *sa, struct ike_xchg *x, uint8_t exchange,
		     struct ikm_builder *inner)
{
	static uint8_t buf[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	size_t len = 0;
	int plain_len = ikm_build_end(inner);
	int err;

	if (plain_len < 0) {
		err = plain_len;
		goto fail;
	}
	/* RFC 7296 §2.2: "In the unlikely event that Message IDs grow too
	 * large to fit in 32 bits, the IKE SA MUST be closed or rekeyed." */
	if (sa->mid_send == UINT32_MAX) {
		err = -EOVERFLOW;
		goto fail;
	}
	x->mid = sa->mid_send;
	x->exchange = exchange;
	err = seal(sa, exchange, false, x->mid, inner->first_np, inner->w.p, (size_t)plain_len,
		   buf, sizeof(buf), &len);
	if (err)
		goto fail;
	x->pkt = malloc(len);
	if (!x->pkt) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(x->pkt, buf, len);
	x->len = len;
	/* Write-ahead hook (RFC 6311 R3 uses it to replicate before sending). */
	if (e->env.ext && e->env.ext->pre_send &&
	    (err = e->env.ext->pre_send(e->env.ext_ctx, sa, x->mid, x->pkt, x->len)))
		goto fail;
	err = place(sa, x);
	if (err)
		goto fail;
	sa->mid_send++;
	x->first_sent = ike_now(e);
	x->tries = 0;
	ike_raw_send(sa, x->pkt, x->len);
	rearm_retx(sa);
	return 0;
fail:
	ike_xchg_free(x);
	if (err == -EOVERFLOW) {
		SA_LOG(sa, IKE_LOG_WARN, "Message ID space exhausted, closing IKE SA");
		ike_sa_kill(sa, "Message IDs exhausted");
	}
	return err;
}

int ike_send_init_request(struct ike_sa *sa, struct ike_xchg *x)
{
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		if (sa->out[i] && sa->out[i]->kind == XK_INIT) {
			ike_xchg_free(sa->out[i]);
			sa->out[i] = NULL;
		}
	}
	x->mid = 0;
	x->exchange = IKE_SA_INIT;
	x->first_sent = ike_now(sa->e);
	x->tries = 0;
	sa->out[0] = x;
	sa->mid_send = 1;
	ike_raw_send(sa, x->pkt, x->len);
	rearm_retx(sa);
	return 0;
}

static void cache_response(struct ike_sa *sa, uint32_t mid, const uint8_t *pkt, size_t len)
{
	struct ike_resp *r = &sa->cache[mid % IKE_MAX_WINDOW];
	uint8_t *copy = malloc(len);

	if (!copy)
		return;
	free(r->pkt);
	memcpy(copy, pkt, len);
	r->valid = true;
	r->mid = mid;
	r->pkt = copy;
	r->len = len;
	memcpy(r->req_hash, sa->e->cur_hash, 32);
}

/* The request mid has been answered: move the receive window. */
static void window_done(struct ike_sa *sa, uint32_t mid)
{
	uint32_t off = mid - sa->mid_recv;

	if (off >= 32)
		return;
	sa->recv_done |= 1u << off;
	while (sa->recv_done & 1u) {
		sa->recv_done >>= 1;
		sa->mid_recv++;
	}
}

int ike_send_response(struct ike_sa *sa, const struct ikm_msg *req,
		      struct ikm_builder *inner, bool nocache)
{
	static uint8_t buf[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	int plain_len = ikm_build_end(inner);
	size_t len = 0;
	int err;

	if (plain_len < 0)
		return plain_len;
	err = seal(sa, req->hdr.exchange, true, req->hdr.mid, inner->first_np, inner->w.p,
		   (size_t)plain_len, buf, sizeof(buf), &len);
	if (err)
		return err;
	if (!nocache) {
		cache_response(sa, req->hdr.mid, buf, len);
		window_done(sa, req->hdr.mid);
	}
	if (e->cur_remote)
		send_to(e, e->cur_local, e->cur_remote, e->cur_natt, buf, len);
	else
		ike_raw_send(sa, buf, len);
	return 0;
}

void ike_send_plain_notify(struct ike_engine *e, const struct ikm_msg *req,
			   const struct sockaddr_storage *local,
			   const struct sockaddr_storage *remote, bool natt,
			   uint16_t type, const void *data, size_t dlen)
{
	uint8_t buf[256];
	struct ikm_hdr h = { .exchange = req->hdr.exchange, .flags = IKE_FLAG_R,
			     .mid = req->hdr.mid };
	struct ikm_builder b;
	int len;

	memcpy(h.spi_i, req->hdr.spi_i, IKE_SPI_LEN);
	ikm_build_begin(&b, buf, sizeof(buf), &h);
	ikm_build_notify(&b, 0, NULL, 0, type, data, dlen);
	len = ikm_build_end(&b);
	if (len > 0)
		send_to(e, local, remote, natt, buf, (size_t)len);
}

/* ---- extension API ---- */

uint32_t ike_sa_id(const struct ike_sa *sa) { return sa->id; }
bool ike_sa_established(const struct ike_sa *sa) { return sa->state == IKE_S_ESTABLISHED; }
bool ike_sa_is_initiator(const struct ike_sa *sa) { return sa->initiator; }
uint32_t ike_sa_caps(const struct ike_sa *sa) { return sa->caps; }
void ike_sa_set_caps(struct ike_sa *sa, uint32_t caps) { sa->caps = caps; }
void *ike_sa_ext(const struct ike_sa *sa) { return sa->ext; }
void ike_sa_set_ext(struct ike_sa *sa, void *p) { sa->ext = p; }
const struct agc_conn *ike_sa_conn(const struct ike_sa *sa) { return &sa->conn->c; }
struct ike_engine *ike_sa_engine(const struct ike_sa *sa) { return sa->e; }

void ike_sa_mids(const struct ike_sa *sa, uint32_t *next_send, uint32_t *next_recv)
{
	if (next_send)
		*next_send = sa->mid_send;
	if (next_recv)
		*next_recv = sa->mid_recv;
}

void ike_sa_set_mids(struct ike_sa *sa, uint32_t next_send, uint32_t next_recv)
{
	/* Outstanding requests below the new send MID are abandoned; their
	 * work is queued again (RFC 6311 §9 / PROTOCOL.md P-g). */
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		struct ike_xchg *x = sa->out[i];

		if (!x || x->mid >= next_send)
			continue;
		if (x->kind == XK_CHILD_REKEY) {
			struct ike_child *c = ike_child_by_in(sa, x->child_spi);

			if (c && c->state == CH_REKEYING)
				c->state = CH_INSTALLED;
		}
		if (x->kind != XK_NONE && x->kind != XK_INIT && x->kind != XK_AUTH)
			ike_task_add(sa, x->kind, x->child_spi, 0);
		sa->out[i] = NULL;
		ike_xchg_free(x);
	}
	for (unsigned i = 0; i < IKE_MAX_WINDOW; i++) {
		if (sa->cache[i].valid && sa->cache[i].mid >= next_recv) {
			free(sa->cache[i].pkt);
			memset(&sa->cache[i], 0, sizeof(sa->cache[i]));
		}
	}
	sa->mid_send = next_send;
	sa->mid_recv = next_recv;
	sa->recv_done = 0;
	rearm_retx(sa);
}

void ike_sa_hold_requests(struct ike_sa *sa, bool hold)
{
	sa->hold_requests = hold;
}

void ike_sa_hold_sending(struct ike_sa *sa, bool hold)
{
	sa->hold_sending = hold;
	if (!hold)
		ike_tasks_run(sa);
}

bool ike_sa_dp_group(const struct ike_sa *sa, uint32_t *group)
{
	if (sa->group_valid && group)
		*group = sa->group;
	return sa->group_valid;
}

int ike_sa_oob_request(struct ike_sa *sa, uint8_t exchange, uint32_t mid,
		       uint8_t first_np, const uint8_t *plain, size_t plain_len,
		       ike_oob_cb cb, void *arg)
{
	static uint8_t buf[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	struct ike_xchg *x;
	size_t len = 0;
	int err;

	if (sa->oob)
		return -EBUSY;
	if (!sa->sk || !cb)
		return -EINVAL;
	x = ike_xchg_new(XK_OOB);
	if (!x)
		return -ENOMEM;
	err = seal(sa, exchange, false, mid, first_np, plain, plain_len, buf, sizeof(buf), &len);
	if (!err && !(x->pkt = malloc(len)))
		err = -ENOMEM;
	if (err) {
		ike_xchg_free(x);
		return err;
	}
	memcpy(x->pkt, buf, len);
	x->len = len;
	x->mid = mid;
	x->exchange = exchange;
	x->oob_cb = cb;
	x->oob_arg = arg;
	if (e->env.ext && e->env.ext->pre_send &&
	    (err = e->env.ext->pre_send(e->env.ext_ctx, sa, mid, x->pkt, x->len))) {
		ike_xchg_free(x);
		return err;
	}
	sa->oob = x;
	x->first_sent = ike_now(e);
	ike_raw_send(sa, x->pkt, x->len);
	oob_rearm(sa);
	return 0;
}

void ike_sa_oob_cancel(struct ike_sa *sa)
{
	tmr_cancel(heap(sa), &sa->t_oob);
	ike_xchg_free(sa->oob);
	sa->oob = NULL;
}

int ike_sa_send_response(struct ike_sa *sa, const struct ikm_msg *req, uint32_t mid,
			 uint8_t first_np, const uint8_t *plain, size_t plain_len)
{
	static uint8_t buf[IKE_MSG_BUF];
	size_t len = 0;
	int err = seal(sa, req->hdr.exchange, true, mid, first_np, plain, plain_len,
		       buf, sizeof(buf), &len);

	if (err)
		return err;
	if (sa->e->cur_remote)
		send_to(sa->e, sa->e->cur_local, sa->e->cur_remote, sa->e->cur_natt, buf, len);
	else
		ike_raw_send(sa, buf, len);
	return 0;
}

/* ---- Child SAs and the dataplane ---- */

struct ike_child *ike_child_by_in(const struct ike_sa *sa, uint32_t spi_in)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->spi_in == spi_in)
			return c;
	return NULL;
}

struct ike_child *ike_child_by_out(const struct ike_sa *sa, uint32_t spi_out)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->spi_out == spi_out)
			return c;
	return NULL;
}

static void fill_dp_sa(const struct ike_sa *sa, const struct ike_child *c, struct dp_sa *d)
{
	memset(d, 0, sizeof(*d));
	d->spi_in = c->spi_in;
	d->spi_out = c->spi_out;
	d->esn = c->suite.esn == ESN_YES;
	d->encap = c->encap;
	d->local = sa->local;
	d->remote = sa->remote;
	d->suite = c->suite;
	d->keys = &c->keys;
	d->keys_initiator = c->initiator;
	d->life_packets = sa->conn->c.child_life_packets;
	d->tx_seq = c->init_tx_seq;
	d->rx_top = c->init_rx_top;
}

int ike_child_install(struct ike_sa *sa, struct ike_child *c)
{
	struct ike_engine *e = sa->e;
	const struct dp_ops *ops = e->env.dp.ops;
	bool esn = c->suite.esn == ESN_YES;
	struct dp_sa d;
	int err;

	if (!ops)
		return 0;
	/* One group per IKE SA, created with the first Child SA's ESN mode
	 * (RFC 6311 §6.4: all Child SAs of an IKE SA share it). */
	if (!sa->group_valid) {
		err = ops->group_new(e->env.dp.ctx, esn, &sa->group);
		if (err) {
			e->st.dp_errors++;
			SA_LOG(sa, IKE_LOG_ERROR, "dataplane: no group for IKE SA: %s", strerror(-err));
			return err;
		}
		sa->group_valid = true;
		sa->group_esn = esn;
	} else if (sa->group_esn != esn) {
		return -EINVAL;
	}
	fill_dp_sa(sa, c, &d);
	err = ops->sa_add(e->env.dp.ctx, sa->group, &d, &c->slots);
	if (err) {
		e->st.dp_errors++;
		SA_LOG(sa, IKE_LOG_ERROR, "dataplane: installing CHILD_SA %08x/%08x failed: %s",
		       c->spi_in, c->spi_out, strerror(-err));
		return err;
	}
	c->installed = true;
	return 0;
}

static void uninstall(struct ike_sa *sa, struct ike_child *c)
{
	const struct dp_ops *ops = sa->e->env.dp.ops;
	struct dp_sa d;

	if (!c->installed || !ops)
		return;
	fill_dp_sa(sa, c, &d);
	if (ops->sa_del(sa->e->env.dp.ctx, sa->group, &d, &c->slots))
		sa->e->st.dp_errors++;
	c->installed = false;
}

void ike_child_timers_init(struct ike_child *c)
{
	tmr_init(&c->t_rekey, on_child_rekey);
	tmr_init(&c->t_expire, on_child_expire);
}

void ike_child_arm(struct ike_child *c)
{
	const struct agc_conn *cf = &c->sa->conn->c;
	uint64_t now = ike_now(c->sa->e);

	if (cf->child_rekey_s)
		arm(c->sa, &c->t_rekey, now + ike_jitter(c->sa->e, cf->child_rekey_s * 1000u));
	if (cf->child_lifetime_s)
		arm(c->sa, &c->t_expire, now + (uint64_t)cf->child_lifetime_s * 1000);
}

void ike_child_link(struct ike_sa *sa, struct ike_child *c)
{
	htab_add(&sa->e->child_spis, &c->by_spi, c->spi_in);
	c->next = sa->children;
	sa->children = c;
	sa->n_children++;
	ike_child_arm(c);
	ike_keylog_child(sa, c);
}

void ike_child_rekey_resume(struct ike_child *c)
{
	/* on_child_rekey ignored the timer while the Child SA was not
	 * INSTALLED, so an unarmed timer means its rekey time has passed. */
	if (c->sa->conn->c.child_rekey_s && !tmr_armed(&c->t_rekey))
		arm(c->sa, &c->t_rekey, ike_now(c->sa->e) + ike_jitter(c->sa->e, 1000));
}

void ike_child_remove(struct ike_child *c, const char *reason)
{
	struct ike_sa *sa = c->sa;
	struct ike_engine *e = sa->e;

	for (struct ike_child **pp = &sa->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	sa->n_children--;
	uninstall(sa, c);
	if (in_htab(&c->by_spi, &e->child_spis))
		htab_del(&e->child_spis, &c->by_spi);
	tmr_cancel(heap(sa), &c->t_rekey);
	tmr_cancel(heap(sa), &c->t_expire);
	SA_LOG(sa, IKE_LOG_INFO, "CHILD_SA %u (%08x_i %08x_o) removed: %s", c->id, c->spi_in,
	       c->spi_out, reason);
	e->st.child_deleted++;
	ike_emit(e, IKE_EV_CHILD_DOWN, sa, c, reason, c->state == CH_REKEYED);
	ikc_child_keys_wipe(&c->keys);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void ike_children_move(struct ike_sa *from, struct ike_sa *to)
{
	struct ike_engine *e = from->e;
	bool reinstall = to->group_valid && from->group_valid;

	if (!reinstall && from->group_valid) {
		to->group_valid = true;
		to->group = from->group;
		to->group_esn = from->group_esn;
		from->group_valid = false;
	}
	while (from->children) {
		struct ike_child *c = from->children;

		from->children = c->next;
		from->n_children--;
		if (reinstall)
			uninstall(from, c);
		c->sa = to;
		c->next = to->children;
		to->children = c;
		to->n_children++;
		/* Timers live in the engine heap: nothing to move. */
		if (reinstall && ike_child_install(to, c))
			e->st.dp_errors++;
	}
	if (reinstall && from->group_valid && e->env.dp.ops) {
		e->env.dp.ops->group_del(e->env.dp.ctx, from->group);
		from->group_valid = false;
	}
	/* Child tasks follow their children. */
	for (struct ike_task **pp = &from->tasks; *pp;) {
		struct ike_task *t = *pp;

		if (t->kind == XK_CHILD_NEW || t->kind == XK_CHILD_REKEY || t->kind == XK_CHILD_DELETE ||
		    t->kind == XK_CHILD_UNWANTED || t->kind == XK_DPD) {
			*pp = t->next;
			if (t->kind != XK_DPD)
				ike_task_add(to, t->kind, t->child_spi, t->not_before);
			free(t);
		} else {
			pp = &t->next;
		}
	}
	from->tasks_tail = &from->tasks;
	while (*from->tasks_tail)
		from->tasks_tail = &(*from->tasks_tail)->next;
}

void ike_keylog_child(struct ike_sa *sa, const struct ike_child *c)
{
	struct ikl *kl = sa->e->env.keylog;
	const struct ikc_child_keys *k = &c->keys;
	struct ikl_esp out = {
		.src = (const struct sockaddr *)&sa->local, .dst = (const struct sockaddr *)&sa->remote,
		.spi = c->spi_out, .encr = c->suite.encr, .encr_keybits = c->suite.encr_keybits,
		.integ = c->suite.integ, .encr_key_len = k->encr_len, .integ_key_len = k->integ_len,
	};
	struct ikl_esp in = out;

	if (!kl)
		return;
	/* RFC 7296 §2.17: the initiator-to-responder keys come first. */
	out.encr_key = c->initiator ? k->ei : k->er;
	out.integ_key = c->initiator ? k->ai : k->ar;
	in.src = out.dst;
	in.dst = out.src;
	in.spi = c->spi_in;
	in.encr_key = c->initiator ? k->er : k->ei;
	in.integ_key = c->initiator ? k->ar : k->ai;
	ikl_log_esp(kl, sa->conn->c.name, &out);
	ikl_log_esp(kl, sa->conn->c.name, &in);
}
