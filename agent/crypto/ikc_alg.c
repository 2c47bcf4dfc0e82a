/* ikc_alg.c — transform descriptor tables and proposal strings. */
#include "ikc_alg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* RFC 7296 §3.3.5: AES-CBC and AES-GCM carry the Key Length attribute.
 * RFC 5282 §7.1 / RFC 4106 §8.1: the GCM key material is key || 4-octet
 * salt; IV 8 octets; ICV 16 (ENCR_AES_GCM_16). RFC 3602: CBC IV 16. */
static const struct ikc_encr_alg encr_algs[] = {
	{ IKC_ENCR_AES_CBC, 128, 16, 0, 16, 16, 0, false, "aes128",
	  "AES-CBC-128 [RFC3602]", "AES-CBC [RFC3602]" },
	{ IKC_ENCR_AES_CBC, 256, 32, 0, 16, 16, 0, false, "aes256",
	  "AES-CBC-256 [RFC3602]", "AES-CBC [RFC3602]" },
	{ IKC_ENCR_AES_GCM_16, 128, 20, 4, 4, 8, 16, true, "aes128gcm16",
	  "AES-GCM-128 with 16 octet ICV [RFC5282]",
	  "AES-GCM with 16 octet ICV [RFC4106]" },
	{ IKC_ENCR_AES_GCM_16, 256, 36, 4, 4, 8, 16, true, "aes256gcm16",
	  "AES-GCM-256 with 16 octet ICV [RFC5282]",
	  "AES-GCM with 16 octet ICV [RFC4106]" },
};

/* RFC 4868 §2.1: PRF_HMAC_SHA2_* output the full hash; §2.3 the INTEG
 * transforms truncate to half the hash and use a key of the hash size. */
static const struct ikc_prf_alg prf_algs[] = {
	{ IKC_PRF_HMAC_SHA1, 20, "prfsha1", "SHA1" },
	{ IKC_PRF_HMAC_SHA2_256, 32, "prfsha256", "SHA256" },
	{ IKC_PRF_HMAC_SHA2_384, 48, "prfsha384", "SHA384" },
	{ IKC_PRF_HMAC_SHA2_512, 64, "prfsha512", "SHA512" },
};

static const struct ikc_integ_alg integ_algs[] = {
	{ IKC_INTEG_HMAC_SHA2_256_128, 32, 16, "sha256", "SHA256",
	  "HMAC_SHA2_256_128 [RFC4868]", "HMAC-SHA-256-128 [RFC4868]" },
	{ IKC_INTEG_HMAC_SHA2_384_192, 48, 24, "sha384", "SHA384",
	  "HMAC_SHA2_384_192 [RFC4868]", "HMAC-SHA-384-192 [RFC4868]" },
	{ IKC_INTEG_HMAC_SHA2_512_256, 64, 32, "sha512", "SHA512",
	  "HMAC_SHA2_512_256 [RFC4868]", "HMAC-SHA-512-256 [RFC4868]" },
};

/* Key Exchange Data lengths: RFC 3526 (2048-bit modulus), RFC 5903 §7
 * (x || y), RFC 8031 §2 (32 octets). */
static const struct ikc_dh_alg dh_algs[] = {
	{ IKC_DH_MODP2048, 256, 256, "modp2048" },
	{ IKC_DH_ECP256, 64, 32, "ecp256" },
	{ IKC_DH_ECP384, 96, 48, "ecp384" },
	{ IKC_DH_X25519, 32, 32, "x25519" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct ikc_encr_alg *ikc_encr_find(uint16_t id, uint16_t keybits)
{
	for (size_t i = 0; i < N(encr_algs); i++)
		if (encr_algs[i].id == id && encr_algs[i].keybits == keybits)
			return &encr_algs[i];
	return NULL;
}

const struct ikc_prf_alg *ikc_prf_find(uint16_t id)
{
	for (size_t i = 0; i < N(prf_algs); i++)
		if (prf_algs[i].id == id)
			return &prf_algs[i];
	return NULL;
}

const struct ikc_integ_alg *ikc_integ_find(uint16_t id)
{
	for (size_t i = 0; i < N(integ_algs); i++)
		if (integ_algs[i].id == id)
			return &integ_algs[i];
	return NULL;
}

const struct ikc_dh_alg *ikc_dh_find(uint16_t id)
{
	for (size_t i = 0; i < N(dh_algs); i++)
		if (dh_algs[i].id == id)
			return &dh_algs[i];
	return NULL;
}

int ikc_suite_check(const struct ikc_suite *s, enum ikc_proto proto)
{
	if (!s || (proto != IKC_PROTO_IKE && proto != IKC_PROTO_ESP))
		return -EINVAL;
	const struct ikc_encr_alg *e = ikc_encr_find(s->encr, s->encr_keybits);
	if (!e)
		return -ENOTSUP;
	/* RFC 7296 §3.3.3: an AEAD cipher takes no integrity transform
	 * (or NONE); a non-AEAD one requires one. */
	if (e->aead) {
		if (s->integ != IKC_INTEG_NONE)
			return -EINVAL;
	} else if (!ikc_integ_find(s->integ)) {
		return s->integ == IKC_INTEG_NONE ? -EINVAL : -ENOTSUP;
	}
	if (proto == IKC_PROTO_IKE) {
		/* The SHA-1 PRF exists for the ACVP vector only. */
		if (s->prf == IKC_PRF_HMAC_SHA1 || !ikc_prf_find(s->prf))
			return -ENOTSUP;
		if (!ikc_dh_find(s->dh))
			return s->dh == IKC_DH_NONE ? -EINVAL : -ENOTSUP;
	} else {
		if (s->dh != IKC_DH_NONE && !ikc_dh_find(s->dh))
			return -ENOTSUP;
		if (s->esn != IKC_ESN_NO && s->esn != IKC_ESN_YES)
			return -ENOTSUP;
	}
	return 0;
}

/* ---- proposal strings ------------------------------------------------ */

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	if (!err || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

bool ikc_proposal_has(const struct ikc_proposal *p, uint8_t type,
		      uint16_t id, uint16_t keybits)
{
	for (size_t i = 0; i < p->n_xf; i++)
		if (p->xf[i].type == type && p->xf[i].id == id &&
		    p->xf[i].keybits == keybits)
			return true;
	return false;
}

static int add_xf(struct ikc_proposal *p, uint8_t type, uint16_t id,
		  uint16_t keybits)
{
	if (ikc_proposal_has(p, type, id, keybits))
		return 0;
	if (p->n_xf >= IKC_MAX_XF)
		return -ENOSPC;
	p->xf[p->n_xf++] = (struct ikc_transform){ type, id, keybits };
	return 0;
}

static size_t count_type(const struct ikc_proposal *p, uint8_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_xf; i++)
		n += p->xf[i].type == type;
	return n;
}

/* Keyword -> transform, with the aliases strongSwan accepts. */
struct keyword {
	const char *kw;
	uint8_t type;
	uint16_t id, keybits;
};
static const struct keyword keywords[] = {
	{ "aes128", IKC_XF_ENCR, IKC_ENCR_AES_CBC, 128 },
	{ "aes256", IKC_XF_ENCR, IKC_ENCR_AES_CBC, 256 },
	{ "aes128gcm16", IKC_XF_ENCR, IKC_ENCR_AES_GCM_16, 128 },
	{ "aes128gcm128", IKC_XF_ENCR, IKC_ENCR_AES_GCM_16, 128 },
	{ "aes256gcm16", IKC_XF_ENCR, IKC_ENCR_AES_GCM_16, 256 },
	{ "aes256gcm128", IKC_XF_ENCR, IKC_ENCR_AES_GCM_16, 256 },
	{ "sha256", IKC_XF_INTEG, IKC_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha2_256", IKC_XF_INTEG, IKC_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKC_XF_INTEG, IKC_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha2_384", IKC_XF_INTEG, IKC_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKC_XF_INTEG, IKC_INTEG_HMAC_SHA2_512_256, 0 },
	{ "sha2_512", IKC_XF_INTEG, IKC_INTEG_HMAC_SHA2_512_256, 0 },
	{ "prfsha256", IKC_XF_PRF, IKC_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKC_XF_PRF, IKC_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKC_XF_PRF, IKC_PRF_HMAC_SHA2_512, 0 },
	{ "modp2048", IKC_XF_DH, IKC_DH_MODP2048, 0 },
	{ "ecp256", IKC_XF_DH, IKC_DH_ECP256, 0 },
	{ "ecp384", IKC_XF_DH, IKC_DH_ECP384, 0 },
	{ "x25519", IKC_XF_DH, IKC_DH_X25519, 0 },
	{ "curve25519", IKC_XF_DH, IKC_DH_X25519, 0 },
	{ "esn", IKC_XF_ESN, IKC_ESN_YES, 0 },
	{ "noesn", IKC_XF_ESN, IKC_ESN_NO, 0 },
};

/* The PRF that goes with an integrity keyword (strongSwan's rule for IKE
 * proposals without an explicit prf). */
static uint16_t prf_for_integ(uint16_t integ)
{
	switch (integ) {
	case IKC_INTEG_HMAC_SHA2_256_128: return IKC_PRF_HMAC_SHA2_256;
	case IKC_INTEG_HMAC_SHA2_384_192: return IKC_PRF_HMAC_SHA2_384;
	case IKC_INTEG_HMAC_SHA2_512_256: return IKC_PRF_HMAC_SHA2_512;
	}
	return 0;
}

int ikc_proposal_parse(const char *s, enum ikc_proto proto,
		       struct ikc_proposal *out, char *err, size_t err_len)
{
	struct ikc_proposal p = { .proto = (uint8_t)proto };
	bool aead = false, cbc = false;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!s || (proto != IKC_PROTO_IKE && proto != IKC_PROTO_ESP)) {
		seterr(err, err_len, "no proposal");
		return -EINVAL;
	}
	const char *cur = s;
	for (;;) {
		const char *dash = strchr(cur, '-');
		size_t len = dash ? (size_t)(dash - cur) : strlen(cur);
		const struct keyword *k = NULL;
		for (size_t i = 0; i < N(keywords); i++)
			if (strlen(keywords[i].kw) == len &&
			    !strncmp(keywords[i].kw, cur, len)) {
				k = &keywords[i];
				break;
			}
		if (!k) {
			seterr(err, err_len, "unknown algorithm '%.*s' in '%s'",
			       (int)len, cur, s);
			return -EINVAL;
		}
		if (k->type == IKC_XF_PRF && proto == IKC_PROTO_ESP) {
			seterr(err, err_len, "'%s' is not an ESP algorithm", k->kw);
			return -EINVAL;
		}
		if (k->type == IKC_XF_ESN && proto == IKC_PROTO_IKE) {
			seterr(err, err_len, "'%s' is not an IKE algorithm", k->kw);
			return -EINVAL;
		}
		if (k->type == IKC_XF_ENCR) {
			if (k->id == IKC_ENCR_AES_GCM_16)
				aead = true;
			else
				cbc = true;
		}
		if (add_xf(&p, k->type, k->id, k->keybits) < 0) {
			seterr(err, err_len, "too many algorithms in '%s'", s);
			return -EINVAL;
		}
		if (!dash)
			break;
		cur = dash + 1;
	}
	/* RFC 7296 §3.3: combined-mode and non-combined ciphers cannot share
	 * a proposal (the integrity transform would apply to only one). */
	if (aead && cbc) {
		seterr(err, err_len, "'%s' mixes AEAD and non-AEAD ciphers", s);
		return -EINVAL;
	}
	if (!count_type(&p, IKC_XF_ENCR)) {
		seterr(err, err_len, "'%s' has no encryption algorithm", s);
		return -EINVAL;
	}
	if (aead && count_type(&p, IKC_XF_INTEG)) {
		seterr(err, err_len, "'%s': an AEAD cipher takes no integrity "
		       "algorithm", s);
		return -EINVAL;
	}
	if (!aead && !count_type(&p, IKC_XF_INTEG)) {
		seterr(err, err_len, "'%s' has no integrity algorithm", s);
		return -EINVAL;
	}
	if (proto == IKC_PROTO_IKE) {
		if (!count_type(&p, IKC_XF_PRF)) {
			if (aead) {
				seterr(err, err_len, "'%s': AEAD proposals need an "
				       "explicit prf (e.g. prfsha256)", s);
				return -EINVAL;
			}
			for (size_t i = 0, n = p.n_xf; i < n; i++)
				if (p.xf[i].type == IKC_XF_INTEG &&
				    add_xf(&p, IKC_XF_PRF,
					   prf_for_integ(p.xf[i].id), 0) < 0)
					goto toomany;
		}
		if (!count_type(&p, IKC_XF_DH)) {
			seterr(err, err_len, "'%s' has no key exchange group", s);
			return -EINVAL;
		}
	} else if (!count_type(&p, IKC_XF_ESN) &&
		   add_xf(&p, IKC_XF_ESN, IKC_ESN_NO, 0) < 0) {
		goto toomany;
	}
	*out = p;
	return 0;
toomany:
	seterr(err, err_len, "too many algorithms in '%s'", s);
	return rc;
}

int ikc_proposals_parse(const char *s, enum ikc_proto proto,
			struct ikc_proposal *out, size_t max, size_t *n,
			char *err, size_t err_len)
{
	char one[256];
	size_t cnt = 0;

	*n = 0;
	if (!s || !*s) {
		seterr(err, err_len, "empty proposal list");
		return -EINVAL;
	}
	for (const char *cur = s;;) {
		const char *comma = strchr(cur, ',');
		size_t len = comma ? (size_t)(comma - cur) : strlen(cur);
		while (len && (*cur == ' ' || *cur == '\t'))
			cur++, len--;
		while (len && (cur[len - 1] == ' ' || cur[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(one)) {
			seterr(err, err_len, len ? "proposal too long" :
			       "empty proposal in list '%s'", s);
			return -EINVAL;
		}
		if (cnt >= max) {
			seterr(err, err_len, "more than %zu proposals", max);
			return -ENOSPC;
		}
		memcpy(one, cur, len);
		one[len] = 0;
		int rc = ikc_proposal_parse(one, proto, &out[cnt], err, err_len);
		if (rc < 0)
			return rc;
		cnt++;
		if (!comma)
			break;
		cur = comma + 1;
	}
	*n = cnt;
	return 0;
}

static const char *xf_keyword(uint8_t type, uint16_t id, uint16_t keybits)
{
	for (size_t i = 0; i < N(keywords); i++)
		if (keywords[i].type == type && keywords[i].id == id &&
		    keywords[i].keybits == keybits)
			return keywords[i].kw;
	return NULL;
}

/* Append "-kw" to buf, tracking the length a full string needs. */
static void put(char *buf, size_t len, size_t *pos, const char *kw)
{
	int n = snprintf(*pos < len ? buf + *pos : NULL,
			 *pos < len ? len - *pos : 0, "%s%s",
			 *pos ? "-" : "", kw);
	*pos += (size_t)n;
}

int ikc_proposal_format(const struct ikc_proposal *p, char *buf, size_t len)
{
	static const uint8_t order[] = { IKC_XF_ENCR, IKC_XF_INTEG, IKC_XF_PRF,
					 IKC_XF_DH, IKC_XF_ESN };
	size_t pos = 0;

	if (len)
		buf[0] = 0;
	for (size_t o = 0; o < sizeof(order); o++)
		for (size_t i = 0; i < p->n_xf; i++) {
			const struct ikc_transform *x = &p->xf[i];
			if (x->type != order[o])
				continue;
			if (x->type == IKC_XF_INTEG && x->id == IKC_INTEG_NONE)
				continue;
			if (x->type == IKC_XF_DH && x->id == IKC_DH_NONE)
				continue;
			const char *kw = xf_keyword(x->type, x->id, x->keybits);
			if (!kw)
				return -EINVAL;
			put(buf, len, &pos, kw);
		}
	return (int)pos;
}

int ikc_suite_format(const struct ikc_suite *s, enum ikc_proto proto,
		     char *buf, size_t len)
{
	struct ikc_proposal p = { .proto = (uint8_t)proto };
	add_xf(&p, IKC_XF_ENCR, s->encr, s->encr_keybits);
	if (s->integ != IKC_INTEG_NONE)
		add_xf(&p, IKC_XF_INTEG, s->integ, 0);
	if (proto == IKC_PROTO_IKE)
		add_xf(&p, IKC_XF_PRF, s->prf, 0);
	if (s->dh != IKC_DH_NONE)
		add_xf(&p, IKC_XF_DH, s->dh, 0);
	if (proto == IKC_PROTO_ESP)
		add_xf(&p, IKC_XF_ESN, s->esn, 0);
	return ikc_proposal_format(&p, buf, len);
}

int ikc_proposal_first_suite(const struct ikc_proposal *p,
			     struct ikc_suite *out)
{
	struct ikc_suite s = { 0 };
	bool have_encr = false, have_prf = false, have_integ = false,
	     have_dh = false, have_esn = false;

	for (size_t i = 0; i < p->n_xf; i++) {
		const struct ikc_transform *x = &p->xf[i];
		switch (x->type) {
		case IKC_XF_ENCR:
			if (!have_encr && ikc_encr_find(x->id, x->keybits)) {
				s.encr = x->id;
				s.encr_keybits = x->keybits;
				have_encr = true;
			}
			break;
		case IKC_XF_PRF:
			if (!have_prf && x->id != IKC_PRF_HMAC_SHA1 &&
			    ikc_prf_find(x->id)) {
				s.prf = x->id;
				have_prf = true;
			}
			break;
		case IKC_XF_INTEG:
			if (!have_integ && (x->id == IKC_INTEG_NONE ||
					    ikc_integ_find(x->id))) {
				s.integ = x->id;
				have_integ = true;
			}
			break;
		case IKC_XF_DH:
			if (!have_dh && (x->id == IKC_DH_NONE ||
					 ikc_dh_find(x->id))) {
				s.dh = x->id;
				have_dh = true;
			}
			break;
		case IKC_XF_ESN:
			if (!have_esn && x->id <= IKC_ESN_YES) {
				s.esn = x->id;
				have_esn = true;
			}
			break;
		}
	}
	if (!have_encr)
		return -ENOTSUP;
	int rc = ikc_suite_check(&s, (enum ikc_proto)p->proto);
	if (rc < 0)
		return -ENOTSUP;
	*out = s;
	return 0;
}
