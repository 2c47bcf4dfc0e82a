/* ike_export.c — access to one IKE SA for extensions, and IKE SA records:
 * export an established IKE SA with its Child SAs and dataplane counters,
 * import it into another engine (a standby member taking over, RFC 6311). */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

unsigned ike_sa_children(const struct ike_sa *sa, struct ike_child_info *out, unsigned max)
{
	uint64_t now = ike_now(sa->e);
	unsigned n = 0;

	for (const struct ike_child *c = sa->children; c; c = c->next, n++) {
		if (n >= max)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].id = c->id;
		out[n].state = ike_child_state_name(c->state);
		out[n].spi_in = c->spi_in;
		out[n].spi_out = c->spi_out;
		out[n].suite = c->suite;
		out[n].esn = c->suite.esn == ESN_YES;
		out[n].encap = c->encap;
		out[n].initiator = c->initiator;
		out[n].n_ts_local = c->n_tsl;
		out[n].n_ts_remote = c->n_tsr;
		memcpy(out[n].ts_local, c->tsl, sizeof(c->tsl));
		memcpy(out[n].ts_remote, c->tsr, sizeof(c->tsr));
		out[n].dp_group = sa->group;
		out[n].slots = c->slots;
		out[n].installed = c->installed;
		out[n].age_ms = now - c->created;
		out[n].rekey_in_ms = tmr_armed(&c->t_rekey) && c->t_rekey.at > now ?
				     c->t_rekey.at - now : UINT64_MAX;
		out[n].expire_in_ms = tmr_armed(&c->t_expire) && c->t_expire.at > now ?
				      c->t_expire.at - now : UINT64_MAX;
	}
	return n;
}

uint32_t ike_sa_window(const struct ike_sa *sa)
{
	return sa->win_out ? sa->win_out : 1;
}

void ike_sa_drop(struct ike_sa *sa, const char *reason)
{
	struct ike_engine *e = sa->e;

	ike_begin_event(e);
	ike_sa_kill(sa, reason);
	ike_end_event(e);
}

void ike_sa_rec_wipe(struct ike_sa_rec *rec)
{
	if (rec)
		OPENSSL_cleanse(rec, sizeof(*rec));
}

int ike_sa_export(const struct ike_sa *sa, struct ike_sa_rec *out)
{
	const struct dp_ops *ops = sa->e->env.dp.ops;
	unsigned n = 0;

	if (sa->state != IKE_S_ESTABLISHED)
		return -EAGAIN;
	if (sa->n_children > IKE_REC_MAX_CHILDREN)
		return -E2BIG;
	memset(out, 0, sizeof(*out));
	snprintf(out->conn, sizeof(out->conn), "%s", sa->conn->c.name);
	out->id = sa->id;
	out->initiator = sa->initiator;
	memcpy(out->spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(out->spi_r, sa->spi_r, IKE_SPI_LEN);
	out->local = sa->local;
	out->remote = sa->remote;
	out->natt = sa->natt;
	out->nat_local = sa->nat_local;
	out->nat_remote = sa->nat_remote;
	out->suite = sa->suite;
	out->keys = sa->keys;
	out->peer_id = sa->peer_id;
	out->mid_send = sa->mid_send;
	out->mid_recv = sa->mid_recv;
	out->win_out = sa->win_out;
	out->caps = sa->caps;
	out->group_esn = sa->group_esn;
	for (const struct ike_child *c = sa->children; c; c = c->next) {
		struct ike_child_rec *r = &out->children[n++];
		struct dp_counters cnt;

		r->spi_in = c->spi_in;
		r->spi_out = c->spi_out;
		r->suite = c->suite;
		r->initiator = c->initiator;
		r->encap = c->encap;
		r->n_tsl = (uint8_t)c->n_tsl;
		r->n_tsr = (uint8_t)c->n_tsr;
		memcpy(r->tsl, c->tsl, sizeof(r->tsl));
		memcpy(r->tsr, c->tsr, sizeof(r->tsr));
		r->keys = c->keys;
		if (c->installed && ops && !ops->sa_read(sa->e->env.dp.ctx, &c->slots, &cnt)) {
			r->tx_seq = cnt.tx_seq;
			r->rx_top = cnt.rx_top;
			r->counters_valid = true;
		}
	}
	out->n_children = n;
	return 0;
}

static struct ike_conn *conn_named(struct ike_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_conns; i++)
		if (!strcmp(e->conns[i]->c.name, name))
			return e->conns[i];
	return NULL;
}

int ike_sa_import(struct ike_engine *e, const struct ike_sa_rec *rec, bool hold,
		  uint32_t *ike_id)
{
	struct ike_conn *conn = conn_named(e, rec->conn);
	const struct dp_ops *ops = e->env.dp.ops;
	const uint8_t *our = rec->initiator ? rec->spi_i : rec->spi_r;
	struct ike_sa *sa;
	int err = 0;

	if (!conn)
		return -ENOENT;
	if (rec->n_children > IKE_REC_MAX_CHILDREN || !get_be64(rec->spi_i) ||
	    !get_be64(rec->spi_r) || ikc_suite_check(&rec->suite, IKC_PROTO_IKE))
		return -EINVAL;
	if (htab_find(&e->sas, get_be64(our)))
		return -EEXIST;
	for (unsigned i = 0; i < rec->n_children; i++)
		if (htab_find(&e->child_spis, rec->children[i].spi_in))
			return -EEXIST;
	ike_begin_event(e);
	sa = ike_sa_new(e, conn, rec->initiator);
	if (!sa) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(sa->spi_i, rec->spi_i, IKE_SPI_LEN);
	memcpy(sa->spi_r, rec->spi_r, IKE_SPI_LEN);
	htab_add(&e->sas, &sa->by_spi, get_be64(our));
	sa->local = rec->local;
	sa->remote = rec->remote;
	sa->natt = rec->natt;
	sa->nat_local = rec->nat_local;
	sa->nat_remote = rec->nat_remote;
	sa->suite = rec->suite;
	sa->keys = rec->keys;
	sa->peer_id = rec->peer_id;
	sa->mid_send = rec->mid_send;
	sa->mid_recv = rec->mid_recv;
	sa->win_out = rec->win_out ? rec->win_out : 1;
	sa->caps = rec->caps;
	/* A fresh SK context: the GCM IV counter starts at a new random value,
	 * so the new member never repeats the old one's IVs (RFC 5282 §3.1). */
	err = ikc_sk_new(&sa->suite, &sa->keys, sa->initiator, e->env.rng, &sa->sk);
	if (err)
		goto fail;
	if (e->env.keylog)
		ikl_log_ike(e->env.keylog, conn->c.name, sa->spi_i, sa->spi_r, &sa->suite, &sa->keys);
	/* The group first, held if asked, so no slot is ever live before the
	 * takeover has adjusted the counters. */
	if (ops && rec->n_children) {
		uint64_t ep;

		err = ops->group_new(e->env.dp.ctx, rec->group_esn, &sa->group);
		if (err)
			goto fail;
		sa->group_valid = true;
		sa->group_esn = rec->group_esn;
		if (hold && (err = ops->group_hold(e->env.dp.ctx, sa->group, &ep)))
			goto fail;
	}
	for (unsigned i = 0; i < rec->n_children; i++) {
		const struct ike_child_rec *r = &rec->children[i];
		struct ike_child *c = calloc(1, sizeof(*c));

		if (!c) {
			err = -ENOMEM;
			goto fail;
		}
		c->sa = sa;
		c->id = e->next_child_id++;
		c->state = CH_INSTALLED;
		c->spi_in = r->spi_in;
		c->spi_out = r->spi_out;
		c->suite = r->suite;
		c->initiator = r->initiator;
		c->encap = r->encap;
		c->n_tsl = r->n_tsl > IKM_MAX_TS ? IKM_MAX_TS : r->n_tsl;
		c->n_tsr = r->n_tsr > IKM_MAX_TS ? IKM_MAX_TS : r->n_tsr;
		memcpy(c->tsl, r->tsl, sizeof(c->tsl));
		memcpy(c->tsr, r->tsr, sizeof(c->tsr));
		c->keys = r->keys;
		c->created = ike_now(e);
		c->init_tx_seq = r->tx_seq;
		c->init_rx_top = r->rx_top;
		ike_child_timers_init(c);
		err = ike_child_install(sa, c);
		if (err) {
			ikc_child_keys_wipe(&c->keys);
			free(c);
			goto fail;
		}
		ike_child_link(sa, c);
	}
	sa->state = IKE_S_ESTABLISHED;
	sa->established = ike_now(e);
	ike_sa_arm_lifetimes(sa);
	SA_LOG(sa, IKE_LOG_INFO, "IKE SA restored (SPIs %016llx_i %016llx_r, %u Child SA(s)%s, "
	       "MIDs send %u recv %u)", (unsigned long long)get_be64(sa->spi_i),
	       (unsigned long long)get_be64(sa->spi_r), sa->n_children,
	       hold && sa->group_valid ? ", group held" : "", sa->mid_send, sa->mid_recv);
	ike_emit(e, IKE_EV_IKE_UP, sa, NULL, "restored", false);
	for (struct ike_child *c = sa->children; c; c = c->next)
		ike_emit(e, IKE_EV_CHILD_UP, sa, c, "restored", false);
	if (ike_id)
		*ike_id = sa->id;
	goto out;
fail:
	/* Remove what was installed, locally and silently. */
	sa->state = IKE_S_ESTABLISHED;
	ike_sa_kill(sa, "restore failed");
out:
	ike_end_event(e);
	return err;
}
