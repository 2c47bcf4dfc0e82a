/* prop.c — SA proposal selection; see prop.h. */
#include "prop.h"

#include <string.h>

void prop_to_wire(const struct ikc_proposal *cfg, uint8_t num, const uint8_t *spi,
		  uint8_t spi_size, bool no_ke, uint8_t esn_mask, struct ikm_proposal *out)
{
	memset(out, 0, sizeof(*out));
	out->num = num;
	out->proto = cfg->proto;
	out->spi_size = spi_size;
	if (spi_size)
		memcpy(out->spi, spi, spi_size);
	for (unsigned i = 0; i < cfg->n_xf && out->n_xf < IKM_MAX_XF; i++) {
		const struct ikc_transform *t = &cfg->xf[i];

		if (no_ke && t->type == TT_KE)
			continue;
		if (t->type == TT_ESN && esn_mask && !(esn_mask & (1u << t->id)))
			continue;
		out->xf[out->n_xf].type = t->type;
		out->xf[out->n_xf].id = t->id;
		out->xf[out->n_xf].keybits = t->keybits;
		out->n_xf++;
	}
}

void prop_suite_to_wire(const struct ikc_suite *s, uint8_t proto, uint8_t num,
			const uint8_t *spi, uint8_t spi_size, struct ikm_proposal *out)
{
	const struct ikc_encr_alg *e = ikc_encr_find(s->encr, s->encr_keybits);

	memset(out, 0, sizeof(*out));
	out->num = num;
	out->proto = proto;
	out->spi_size = spi_size;
	if (spi_size)
		memcpy(out->spi, spi, spi_size);
#define ADD(t_, id_, kb_) do { out->xf[out->n_xf].type = (t_); \
	out->xf[out->n_xf].id = (id_); out->xf[out->n_xf].keybits = (kb_); out->n_xf++; } while (0)
	ADD(TT_ENCR, s->encr, s->encr_keybits);
	if (proto == PROTO_IKE)
		ADD(TT_PRF, s->prf, 0);
	/* RFC 5282 §8: with a combined-mode cipher the answer carries no
	 * integrity transform. */
	if (!(e && e->aead) && s->integ)
		ADD(TT_INTEG, s->integ, 0);
	if (s->dh)
		ADD(TT_KE, s->dh, 0);
	if (proto == PROTO_ESP)
		ADD(TT_ESN, s->esn, 0);
#undef ADD
}

static bool theirs_has(const struct ikm_proposal *p, uint8_t type, uint16_t id,
		       uint16_t keybits)
{
	for (unsigned i = 0; i < p->n_xf; i++) {
		const struct ikm_xf *x = &p->xf[i];

		/* §3.3.6: a transform with an attribute we do not understand
		 * must not be selected. */
		if (x->type == type && x->id == id && x->keybits == keybits && !x->unknown_attr)
			return true;
	}
	return false;
}

static bool theirs_has_type(const struct ikm_proposal *p, uint8_t type)
{
	for (unsigned i = 0; i < p->n_xf; i++)
		if (p->xf[i].type == type)
			return true;
	return false;
}

/* Pick, in our order, the first transform of `type` that the peer also
 * offers. Returns true and sets *id and *kb, or false. */
static bool pick(const struct ikc_proposal *ours, const struct ikm_proposal *theirs,
		 uint8_t type, const struct prop_want *w, uint16_t *id, uint16_t *kb)
{
	for (unsigned i = 0; i < ours->n_xf; i++) {
		const struct ikc_transform *t = &ours->xf[i];

		if (t->type != type)
			continue;
		if (type == TT_KE && w->ke_group && t->id != w->ke_group)
			continue;
		if (type == TT_ESN && w->esn_mask && !(w->esn_mask & (1u << t->id)))
			continue;
		if (!theirs_has(theirs, type, t->id, t->keybits))
			continue;
		*id = t->id;
		*kb = t->keybits;
		return true;
	}
	return false;
}

static bool our_has_type(const struct ikc_proposal *p, uint8_t type)
{
	for (unsigned i = 0; i < p->n_xf; i++)
		if (p->xf[i].type == type)
			return true;
	return false;
}

/* Try one (ours, theirs) pair. */
static int match(const struct ikc_proposal *ours, const struct ikm_proposal *theirs,
		 const struct prop_want *w, struct ikc_suite *s)
{
	uint16_t kb = 0, dummy;
	const struct ikc_encr_alg *e;

	memset(s, 0, sizeof(*s));
	if (!pick(ours, theirs, TT_ENCR, w, &s->encr, &s->encr_keybits))
		return -1;
	e = ikc_encr_find(s->encr, s->encr_keybits);
	if (!e)
		return -1;
	if (w->proto == PROTO_IKE && !pick(ours, theirs, TT_PRF, w, &s->prf, &kb))
		return -1;
	if (e->aead) {
		/* RFC 5282 §8: AEAD proposals either omit INTEG or offer
		 * only NONE; anything else cannot be combined. */
		for (unsigned i = 0; i < theirs->n_xf; i++)
			if (theirs->xf[i].type == TT_INTEG && theirs->xf[i].id != AUTH_NONE)
				return -1;
		s->integ = AUTH_NONE;
	} else if (!pick(ours, theirs, TT_INTEG, w, &s->integ, &kb)) {
		return -1;
	}
	if (w->proto == PROTO_IKE) {
		if (!pick(ours, theirs, TT_KE, w, &s->dh, &kb))
			return -1;
	} else if (!w->ignore_ke && (our_has_type(ours, TT_KE) || theirs_has_type(theirs, TT_KE))) {
		/* PFS on a Child SA: both must agree (NONE included). */
		if (!pick(ours, theirs, TT_KE, w, &s->dh, &kb))
			return -1;
	}
	if (w->proto == PROTO_ESP) {
		/* ESN: a proposal without the transform means "no ESN". */
		if (!theirs_has_type(theirs, TT_ESN)) {
			if (w->esn_mask && !(w->esn_mask & 1u))
				return -1;
			s->esn = ESN_NO;
		} else if (!pick(ours, theirs, TT_ESN, w, &s->esn, &dummy)) {
			return -1;
		}
	}
	return ikc_suite_check(s, w->proto == PROTO_IKE ? IKC_PROTO_IKE : IKC_PROTO_ESP) ? -1 : 0;
}

int prop_select(const struct ikc_proposal *ours, size_t n_ours,
		const struct ikm_proposal *theirs, unsigned n_theirs,
		const struct prop_want *w, struct prop_result *res)
{
	for (size_t i = 0; i < n_ours; i++) {
		if (ours[i].proto != w->proto)
			continue;
		for (unsigned j = 0; j < n_theirs; j++) {
			const struct ikm_proposal *t = &theirs[j];

			if (t->proto != w->proto || t->spi_size != w->spi_size)
				continue;
			if (match(&ours[i], t, w, &res->suite))
				continue;
			res->num = t->num;
			res->spi_size = t->spi_size;
			memcpy(res->spi, t->spi, sizeof(res->spi));
			return 0;
		}
	}
	return -ENOENT;
}

int prop_accept(const struct ikc_proposal *ours, size_t n_ours,
		const struct ikm_proposal *ans, unsigned n_ans,
		const struct prop_want *w, struct prop_result *res)
{
	unsigned seen[6] = { 0 };

	/* §2.7: "the responder MUST accept a single proposal or reject them
	 * all" — the answer carries exactly one proposal with one transform
	 * of each type. */
	if (n_ans != 1 || ans->proto != w->proto || ans->spi_size != w->spi_size)
		return -EBADMSG;
	for (unsigned i = 0; i < ans->n_xf; i++) {
		if (ans->xf[i].type >= 1 && ans->xf[i].type <= 5 && seen[ans->xf[i].type]++)
			return -EBADMSG;
		if (ans->xf[i].unknown_attr)
			return -EBADMSG;
	}
	/* The proposal number names which of our offers was taken. */
	if (ans->num == 0 || ans->num > n_ours)
		return -EBADMSG;
	const struct ikc_proposal *o = &ours[ans->num - 1];

	for (unsigned i = 0; i < ans->n_xf; i++) {
		const struct ikm_xf *x = &ans->xf[i];

		if (x->type == TT_KE && w->ignore_ke)
			continue;
		if (x->type == TT_INTEG && x->id == AUTH_NONE)
			continue;
		if (!ikc_proposal_has(o, x->type, x->id, x->keybits))
			return -EBADMSG;
	}
	struct prop_want w2 = *w;

	w2.ke_group = 0;
	if (match(o, ans, &w2, &res->suite))
		return -EBADMSG;
	res->num = ans->num;
	res->spi_size = ans->spi_size;
	memcpy(res->spi, ans->spi, sizeof(res->spi));
	return 0;
}

uint16_t prop_first_ke(const struct ikc_proposal *ours, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < ours[i].n_xf; j++)
			if (ours[i].xf[j].type == TT_KE && ours[i].xf[j].id != KE_NONE)
				return ours[i].xf[j].id;
	return 0;
}

bool prop_has_ke(const struct ikc_proposal *ours, size_t n, uint16_t group)
{
	for (size_t i = 0; i < n; i++)
		if (ikc_proposal_has(&ours[i], TT_KE, group, 0))
			return true;
	return false;
}
