/* rules.c — payload presence rules per exchange; see rules.h. */
#include "rules.h"

#define R(t, lo, hi) { (t), (lo), (hi) }
#define N_(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 7296 §1.2: HDR, SAi1, KEi, Ni  -->  (+ optional N: NAT detection,
 * COOKIE, and the notifies of extensions; V). */
static const struct ikr_rule init_req[] = {
	R(PT_SA, 1, 1), R(PT_KE, 1, 1), R(PT_NONCE, 1, 1),
	R(PT_N, 0, IKR_MANY), R(PT_V, 0, IKR_MANY),
};
/* <--  HDR, SAr1, KEr, Nr, [CERTREQ] */
static const struct ikr_rule init_resp[] = {
	R(PT_SA, 1, 1), R(PT_KE, 1, 1), R(PT_NONCE, 1, 1),
	R(PT_CERTREQ, 0, IKR_MANY), R(PT_N, 0, IKR_MANY), R(PT_V, 0, IKR_MANY),
};
/* RFC 7296 §1.2: HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi,
 * TSr}  -->  (§2.19 CP; notifies such as INITIAL_CONTACT). Childless
 * IKE_AUTH (RFC 6023) is not supported, so SA/TSi/TSr are required. */
static const struct ikr_rule auth_req[] = {
	R(PT_IDI, 1, 1), R(PT_CERT, 0, IKR_MANY), R(PT_CERTREQ, 0, IKR_MANY),
	R(PT_IDR, 0, 1), R(PT_AUTH, 1, 1), R(PT_CP, 0, 1),
	R(PT_SA, 1, 1), R(PT_TSI, 1, 1), R(PT_TSR, 1, 1),
	R(PT_N, 0, IKR_MANY), R(PT_V, 0, IKR_MANY),
};
/* <--  HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr}. §2.21.2: when the
 * Child SA fails the response still establishes the IKE SA and carries an
 * error notify instead of SAr2/TSi/TSr, hence 0..1. */
static const struct ikr_rule auth_resp[] = {
	R(PT_IDR, 1, 1), R(PT_CERT, 0, IKR_MANY), R(PT_AUTH, 1, 1), R(PT_CP, 0, 1),
	R(PT_SA, 0, 1), R(PT_TSI, 0, 1), R(PT_TSR, 0, 1),
	R(PT_N, 0, IKR_MANY), R(PT_V, 0, IKR_MANY),
};
/* RFC 7296 §1.3.1/§1.3.2/§1.3.3: HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi,]
 * [TSi, TSr]}; the response HDR, SK {SA, Nr, [KEr,] [TSi, TSr]}. */
static const struct ikr_rule ccsa_req[] = {
	R(PT_SA, 1, 1), R(PT_NONCE, 1, 1), R(PT_KE, 0, 1),
	R(PT_TSI, 0, 1), R(PT_TSR, 0, 1),
	R(PT_N, 0, IKR_MANY), R(PT_V, 0, IKR_MANY),
};
static const struct ikr_rule ccsa_resp[] = {
	R(PT_SA, 1, 1), R(PT_NONCE, 1, 1), R(PT_KE, 0, 1),
	R(PT_TSI, 0, 1), R(PT_TSR, 0, 1),
	R(PT_N, 0, IKR_MANY), R(PT_V, 0, IKR_MANY),
};
/* RFC 7296 §1.4: HDR, SK {[N,] [D,] [CP,] ...}  <-->  same. */
static const struct ikr_rule info_msg[] = {
	R(PT_N, 0, IKR_MANY), R(PT_D, 0, IKR_MANY), R(PT_CP, 0, 1),
	R(PT_V, 0, IKR_MANY),
};

static const struct ikr_table tables[] = {
	{ IKE_SA_INIT, false, false, init_req, N_(init_req) },
	{ IKE_SA_INIT, true, false, init_resp, N_(init_resp) },
	{ IKE_AUTH, false, true, auth_req, N_(auth_req) },
	{ IKE_AUTH, true, true, auth_resp, N_(auth_resp) },
	{ CREATE_CHILD_SA, false, true, ccsa_req, N_(ccsa_req) },
	{ CREATE_CHILD_SA, true, true, ccsa_resp, N_(ccsa_resp) },
	{ INFORMATIONAL, false, true, info_msg, N_(info_msg) },
	{ INFORMATIONAL, true, true, info_msg, N_(info_msg) },
};

const struct ikr_table *ikr_table_for(uint8_t exchange, bool response)
{
	for (unsigned i = 0; i < N_(tables); i++)
		if (tables[i].exchange == exchange && tables[i].response == response)
			return &tables[i];
	return NULL;
}

static int reject(struct ikm_msg *m, uint8_t pt, const char *what)
{
	m->err = IKM_E_RULES;
	m->err_payload = pt;
	m->err_what = what;
	return -EBADMSG;
}

int ikr_check_outer(struct ikm_msg *m)
{
	const struct ikr_table *t = ikr_table_for(m->hdr.exchange, ikm_is_response(m));

	if (!t)
		return reject(m, PT_NONE, "unknown exchange");
	if (!t->encrypted)
		return m->sk_type ? reject(m, m->sk_type, "Encrypted payload in IKE_SA_INIT") : 0;
	/* RFC 7296 §3.14 / §2.14: after IKE_SA_INIT every payload is
	 * protected; we accept nothing outside SK. */
	if (!m->sk_type)
		return reject(m, PT_SK, "unprotected message in an encrypted exchange");
	if (m->n)
		return reject(m, m->pl[0].type, "payload outside the Encrypted payload");
	return 0;
}

static bool notify_only(const struct ikm_msg *m)
{
	bool any_n = false;

	for (unsigned i = 0; i < m->n; i++) {
		if (m->pl[i].type == PT_N)
			any_n = true;
		else if (m->pl[i].type != PT_V)
			return false;
	}
	return any_n;
}

int ikr_check(struct ikm_msg *m)
{
	const struct ikr_table *t = ikr_table_for(m->hdr.exchange, ikm_is_response(m));
	unsigned cnt[256] = { 0 };

	if (!t)
		return reject(m, PT_NONE, "unknown exchange");
	if (t->encrypted && !m->inner_done)
		return reject(m, PT_SK, "Encrypted payload not opened");
	if (t->response && notify_only(m))
		return 0;
	for (unsigned i = 0; i < m->n; i++)
		cnt[m->pl[i].type]++;
	for (unsigned i = 0; i < m->n; i++) {
		uint8_t type = m->pl[i].type;
		unsigned j;

		for (j = 0; j < t->n && t->rules[j].type != type; j++)
			;
		if (j == t->n)
			return reject(m, type, "payload not allowed in this exchange");
	}
	for (unsigned j = 0; j < t->n; j++) {
		const struct ikr_rule *r = &t->rules[j];

		if (cnt[r->type] < r->min)
			return reject(m, r->type, "required payload missing");
		if (cnt[r->type] > r->max)
			return reject(m, r->type, "payload repeated");
	}
	return 0;
}
