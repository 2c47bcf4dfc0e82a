/* ike_info.c — INFORMATIONAL exchanges (RFC 7296 §1.4): liveness checks
 * (DPD, §2.4), DELETE of Child SAs and IKE SAs (§1.4.1) with the collision
 * rules of §2.25, notifies; and the end of exchanges that failed. */
#include "ike_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEL 64

int ike_info_start(struct ike_sa *sa, enum xk kind, uint32_t child_spi)
{
	uint8_t plain[64];
	struct ikm_builder b;
	struct ike_xchg *x;

	ikm_build_chain(&b, plain, sizeof(plain));
	if (kind == XK_CHILD_DELETE) {
		struct ike_child *c = ike_child_by_in(sa, child_spi);
		uint8_t spi[4];

		if (!c || c->state == CH_DELETING || ike_xchg_find(sa, XK_CHILD_DELETE, child_spi))
			return -EALREADY;
		/* §3.11: ESP SPIs in a Delete are the sender's inbound SPIs. */
		put_be32(spi, c->spi_in);
		ikm_build_delete(&b, PROTO_ESP, 4, spi, 1);
		c->state = CH_DELETING;
		SA_LOG(sa, IKE_LOG_INFO, "deleting CHILD_SA %u (%08x_i)", c->id, c->spi_in);
	} else if (kind == XK_CHILD_UNWANTED) {
		uint8_t spi[4];

		/* No local Child SA: §3.11 "the SPI the sending endpoint would
		 * expect in inbound ESP or AH packets" is the one we proposed,
		 * the peer's outbound SPI of the pair. */
		if (ike_xchg_find(sa, XK_CHILD_UNWANTED, child_spi) ||
		    htab_find(&sa->e->child_spis, child_spi))
			return -EALREADY;
		put_be32(spi, child_spi);
		ikm_build_delete(&b, PROTO_ESP, 4, spi, 1);
		SA_LOG(sa, IKE_LOG_INFO, "deleting the CHILD_SA the peer created and we refused "
		       "(%08x_i)", child_spi);
	} else if (kind == XK_IKE_DELETE) {
		if (ike_xchg_outstanding(sa, XK_IKE_DELETE))
			return -EALREADY;
		/* §3.11: "Deletion of the IKE SA is indicated by a protocol ID
		 * of 1 (IKE) but no SPIs." */
		ikm_build_delete(&b, PROTO_IKE, 0, NULL, 0);
		if (sa->state == IKE_S_ESTABLISHED)
			sa->state = IKE_S_DELETING;
		SA_LOG(sa, IKE_LOG_INFO, "deleting IKE SA");
	} else if (kind == XK_DPD) {
		if (ike_xchg_outstanding(sa, XK_DPD))
			return -EALREADY;
		SA_LOG(sa, IKE_LOG_DEBUG, "sending DPD");
	}
	x = ike_xchg_new(kind);
	if (!x)
		return -ENOMEM;
	x->child_spi = child_spi;
	return ike_send_request(sa, x, INFORMATIONAL, &b);
}

/* RFC 7296 §1.3.1: "If this is unacceptable to the initiator, the
 * initiator MUST delete the SA." An answer that created a Child SA at the
 * peer which we refuse (proposal, selectors, KE, or we could not install
 * it) leaves the peer with a Child SA: delete it there. Nothing of ours
 * holds the SPI (it was only drawn, never indexed, and no dataplane slot
 * was taken), so this is a Delete by raw SPI. If one of our Child SAs has
 * since taken that SPI, a Delete would be ambiguous at the peer: skipped. */
void ike_child_unwanted(struct ike_sa *sa, uint32_t spi_in)
{
	/* §2.8: "An IKE SA so created inherits all of the original IKE SA's
	 * Child SAs, and the new IKE SA is used for all control messages
	 * needed to maintain those Child SAs": the Delete goes over the
	 * successor. */
	while (sa->state == IKE_S_REKEYED && sa->rekeyed_to)
		sa = sa->rekeyed_to;
	if (!spi_in || htab_find(&sa->e->child_spis, spi_in))
		return;
	if (ike_task_add(sa, XK_CHILD_UNWANTED, spi_in, 0))
		SA_LOG(sa, IKE_LOG_WARN, "could not queue the delete of refused CHILD_SA %08x_i",
		       spi_in);
}

void ike_info_on_request(struct ike_sa *sa, struct ikm_msg *m)
{
	static uint8_t plain[IKE_MSG_BUF];
	struct ike_engine *e = sa->e;
	struct ikm_builder b;
	uint8_t spis[MAX_DEL * 4];
	uint16_t n_spis = 0;
	bool del_ike = false;

	if (sa->state == IKE_S_INIT_R || sa->state == IKE_S_INIT_I || sa->state == IKE_S_AUTH_I) {
		e->st.drop_other++;
		return;
	}
	ikm_build_chain(&b, plain, sizeof(plain));
	if (e->env.ext && e->env.ext->info_request &&
	    e->env.ext->info_request(e->env.ext_ctx, sa, m, &b))
		return;   /* consumed by the extension (e.g. RFC 6311 sync) */
	for (unsigned i = 0; i < m->n; i++) {
		const struct ikm_payload *p = &m->pl[i];

		if (p->type == PT_D && p->u.d.proto == PROTO_IKE) {
			del_ike = true;
		} else if (p->type == PT_D && p->u.d.proto == PROTO_ESP) {
			for (unsigned k = 0; k < p->u.d.n_spi; k++) {
				struct ike_child *c = ike_child_by_out(sa, get_be32(p->u.d.spis + 4 * k));

				/* §2.25.1: "If a peer receives a request to close a
				 * Child SA that it is currently trying to close, it
				 * SHOULD reply without a Delete payload"; one it does
				 * not know: the same. */
				if (!c)
					continue;
				if (c->state != CH_DELETING && n_spis < MAX_DEL)
					put_be32(spis + 4 * n_spis++, c->spi_in);
				/* The replacement of a Child SA the peer rekeyed is
				 * deleted: the peer refused our answer (§1.3.1 "If
				 * this is unacceptable to the initiator, the
				 * initiator MUST delete the SA") and keeps the old
				 * one, so do we. */
				for (struct ike_child *o = sa->children; o; o = o->next) {
					if (o->state == CH_REKEYED && o->rekeyed_by == c->spi_in) {
						o->state = CH_INSTALLED;
						o->rekeyed_by = 0;
						ike_child_rekey_resume(o);
					}
				}
				ike_child_remove(c, "deleted by peer");
			}
		} else if (p->type == PT_N && p->u.n.type <= N_ERROR_MAX) {
			SA_LOG(sa, IKE_LOG_WARN, "peer reports %s", ikm_notify_name(p->u.n.type));
		}
		/* §3.10.1: "Types in the range 16384 - 65535 ... Unrecognized
		 * status types MUST be ignored." */
	}
	/* §1.4.1: the IKE SA delete is answered with an empty INFORMATIONAL;
	 * the Child SA delete with the SPIs of our side of those pairs. */
	if (!del_ike && n_spis)
		ikm_build_delete(&b, PROTO_ESP, 4, spis, n_spis);
	ike_send_response(sa, m, &b, false);
	if (del_ike) {
		/* §2.25.2: a request to close an IKE SA we are rekeying or
		 * closing: "reply as usual, and forget about" our own. If the
		 * peer's rekey reached us first, its new SA is the successor. */
		struct ike_sa *succ = sa->coll_sa_id ? ike_sa_by_id(e, sa->coll_sa_id) : NULL;

		if (succ && sa->state != IKE_S_REKEYED) {
			sa->state = IKE_S_REKEYED;
			sa->rekeyed_to = succ;
			if (e->env.ext && e->env.ext->rekeyed)
				e->env.ext->rekeyed(e->env.ext_ctx, sa, succ);
		}
		ike_sa_kill(sa, sa->state == IKE_S_REKEYED ? "rekeyed" : "deleted by peer");
	}
}

void ike_info_on_response(struct ike_sa *sa, struct ike_xchg *x, struct ikm_msg *m)
{
	const struct ikm_pl_notify *err_n = ikm_find_error(m);
	enum xk kind = x->kind;
	uint32_t spi = x->child_spi;

	if (err_n)
		SA_LOG(sa, IKE_LOG_WARN, "INFORMATIONAL answered with %s", ikm_notify_name(err_n->type));
	ike_xchg_done(sa, x);
	switch (kind) {
	case XK_CHILD_DELETE: {
		struct ike_child *c = ike_child_by_in(sa, spi);

		if (c)
			ike_child_remove(c, "deleted");
		break;
	}
	case XK_CHILD_UNWANTED:
		/* The peer's Delete in the answer names its inbound SPI of a
		 * pair we never had: nothing to remove here. */
		SA_LOG(sa, IKE_LOG_DEBUG, "refused CHILD_SA %08x_i deleted at the peer", spi);
		break;
	case XK_IKE_DELETE:
		ike_sa_kill(sa, sa->state == IKE_S_REKEYED ? "rekeyed" : "deleted");
		break;
	case XK_DPD:
		SA_LOG(sa, IKE_LOG_DEBUG, "DPD answered");
		break;
	default:
		break;
	}
}

void ike_xchg_failed(struct ike_sa *sa, struct ike_xchg *x, const char *why)
{
	enum xk kind = x->kind;

	ike_xchg_done(sa, x);
	/* §2.4: "If there has only been outgoing traffic on all of the SAs
	 * associated with an IKE SA, it is essential to confirm liveness ...
	 * if no response is received after the retransmissions, the IKE SA
	 * and all its Child SAs are deleted" — any exchange that failed for
	 * good ends the IKE SA (a malformed response too, §2.21). */
	if (kind == XK_IKE_DELETE && sa->state == IKE_S_REKEYED)
		ike_sa_kill(sa, "rekeyed");
	else
		ike_sa_kill(sa, why);
}
