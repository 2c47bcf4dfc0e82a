/* ikc_kdf.c — SKEYSEED, SK_*, rekeyed SKEYSEED and Child SA KEYMAT. */
#include "ikc_kdf.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

void ikc_ike_keys_wipe(struct ikc_ike_keys *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

void ikc_child_keys_wipe(struct ikc_child_keys *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

/* RFC 7296 §2.14: "SKEYSEED = prf(Ni | Nr, g^ir)". (The half-nonce rule
 * for fixed-key-size PRFs does not apply to the HMAC PRFs.) */
int ikc_kdf_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	uint8_t key[2 * 256];
	struct ikc_buf data = { gir, gir_len };

	if (!ni || !nr || !gir || ni_len > 256 || nr_len > 256)
		return -EINVAL;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	int rc = ikc_prf(prf, key, ni_len + nr_len, &data, 1, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* Split {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 * = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) into *out. out->skeyseed
 * (skeyseed_len octets: the output of the prf that made it) and out->prf
 * are set by the caller. */
static int derive_sk(const struct ikc_suite *suite, size_t skeyseed_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t spii[IKC_SPI_LEN],
		     const uint8_t spir[IKC_SPI_LEN], struct ikc_ike_keys *out)
{
	const struct ikc_prf_alg *p = ikc_prf_find(suite->prf);
	const struct ikc_encr_alg *e = ikc_encr_find(suite->encr,
						     suite->encr_keybits);
	const struct ikc_integ_alg *i = ikc_integ_find(suite->integ);
	uint8_t km[3 * IKC_MAX_PRF_LEN + 2 * IKC_MAX_INTEG_KEY +
		   2 * IKC_MAX_ENCR_KEY];
	struct ikc_buf seed[] = {
		{ ni, ni_len }, { nr, nr_len },
		{ spii, IKC_SPI_LEN }, { spir, IKC_SPI_LEN },
	};

	out->prf_len = p->out_len;
	out->encr_len = e->key_len;
	out->integ_len = e->aead ? 0 : i->key_len;
	/* RFC 7296 §2.14: SK_d and SK_p* are the prf's preferred key size
	 * (its output length), SK_a* the integrity key size, SK_e* the
	 * cipher key size (RFC 5282 §7.1: plus the salt). */
	size_t total = 3u * p->out_len + 2u * out->integ_len + 2u * e->key_len;
	int rc = ikc_prf_plus(suite->prf, out->skeyseed, skeyseed_len, seed, 4,
			      km, total);
	if (rc < 0)
		return rc;
	const uint8_t *c = km;
	memcpy(out->sk_d, c, p->out_len);       c += p->out_len;
	memcpy(out->sk_ai, c, out->integ_len);  c += out->integ_len;
	memcpy(out->sk_ar, c, out->integ_len);  c += out->integ_len;
	memcpy(out->sk_ei, c, e->key_len);      c += e->key_len;
	memcpy(out->sk_er, c, e->key_len);      c += e->key_len;
	memcpy(out->sk_pi, c, p->out_len);      c += p->out_len;
	memcpy(out->sk_pr, c, p->out_len);
	OPENSSL_cleanse(km, sizeof(km));
	return 0;
}

int ikc_kdf_ike(const struct ikc_suite *suite,
		const uint8_t *gir, size_t gir_len,
		const uint8_t *ni, size_t ni_len,
		const uint8_t *nr, size_t nr_len,
		const uint8_t spii[IKC_SPI_LEN], const uint8_t spir[IKC_SPI_LEN],
		struct ikc_ike_keys *out)
{
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!suite || !spii || !spir)
		return -EINVAL;
	if ((rc = ikc_suite_check(suite, IKC_PROTO_IKE)) < 0)
		return rc;
	out->prf = suite->prf;
	rc = ikc_kdf_skeyseed(suite->prf, ni, ni_len, nr, nr_len, gir,
			      gir_len, out->skeyseed);
	if (rc == 0)
		rc = derive_sk(suite, ikc_prf_find(suite->prf)->out_len, ni, ni_len,
			       nr, nr_len, spii, spir, out);
	if (rc < 0)
		ikc_ike_keys_wipe(out);
	return rc;
}

/* RFC 7296 §2.18:
 *   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
 * "The old and new IKE SA may have selected a different PRF. Because the
 * rekeying exchange belongs to the old IKE SA, it is the old IKE SA's PRF
 * that is used to generate SKEYSEED." The new keys then come from the new
 * SA's prf+ with the new SPIs. */
int ikc_kdf_ike_rekey(const struct ikc_ike_keys *old,
		      const struct ikc_suite *new_suite,
		      const uint8_t *gir, size_t gir_len,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      const uint8_t spii[IKC_SPI_LEN],
		      const uint8_t spir[IKC_SPI_LEN],
		      struct ikc_ike_keys *out)
{
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	/* "implementations MUST perform a new Diffie-Hellman exchange when
	 * rekeying the IKE SA" */
	if (!old || !new_suite || !gir || !gir_len || !ni || !nr ||
	    !spii || !spir)
		return -EINVAL;
	if ((rc = ikc_suite_check(new_suite, IKC_PROTO_IKE)) < 0)
		return rc;
	if (!ikc_prf_find(old->prf) || old->prf_len != ikc_prf_find(old->prf)->out_len)
		return -EINVAL;
	struct ikc_buf data[] = { { gir, gir_len }, { ni, ni_len },
				  { nr, nr_len } };
	out->prf = new_suite->prf;
	rc = ikc_prf(old->prf, old->sk_d, old->prf_len, data, 3,
		     out->skeyseed);
	/* SKEYSEED has the old prf's length; it keys the new prf+. */
	if (rc == 0)
		rc = derive_sk(new_suite, old->prf_len, ni, ni_len, nr, nr_len,
			       spii, spir, out);
	if (rc < 0)
		ikc_ike_keys_wipe(out);
	return rc;
}

/* RFC 7296 §2.17:
 *   KEYMAT = prf+(SK_d, Ni | Nr)
 *   KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)   (with a KE exchange) */
int ikc_kdf_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		   const uint8_t *gir, size_t gir_len,
		   const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len,
		   uint8_t *out, size_t out_len)
{
	struct ikc_buf seed[3];
	size_t n = 0;

	if (!sk_d || !ni || !nr || (!gir && gir_len))
		return -EINVAL;
	if (gir_len)
		seed[n++] = (struct ikc_buf){ gir, gir_len };
	seed[n++] = (struct ikc_buf){ ni, ni_len };
	seed[n++] = (struct ikc_buf){ nr, nr_len };
	return ikc_prf_plus(prf, sk_d, sk_d_len, seed, n, out, out_len);
}

/* RFC 7296 §2.17: "All keys for SAs carrying data from the initiator to
 * the responder are taken before SAs going from the responder to the
 * initiator. ... For each protocol, the encryption keys must be taken from
 * the first bits and the integrity keys must be taken from the remaining
 * bits." RFC 4106 §8.1: for AES-GCM the 4-octet salt follows the key. */
int ikc_kdf_child(const struct ikc_ike_keys *ike,
		  const struct ikc_suite *child_suite,
		  const uint8_t *gir, size_t gir_len,
		  const uint8_t *ni, size_t ni_len,
		  const uint8_t *nr, size_t nr_len,
		  struct ikc_child_keys *out)
{
	uint8_t km[2 * (IKC_MAX_ENCR_KEY + IKC_MAX_INTEG_KEY)];
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!ike || !child_suite)
		return -EINVAL;
	if ((rc = ikc_suite_check(child_suite, IKC_PROTO_ESP)) < 0)
		return rc;
	const struct ikc_encr_alg *e = ikc_encr_find(child_suite->encr,
						     child_suite->encr_keybits);
	const struct ikc_integ_alg *i = ikc_integ_find(child_suite->integ);
	out->encr_len = e->key_len;
	out->integ_len = e->aead ? 0 : i->key_len;
	size_t dir = (size_t)out->encr_len + out->integ_len;
	rc = ikc_kdf_keymat(ike->prf, ike->sk_d, ike->prf_len, gir, gir_len,
			    ni, ni_len, nr, nr_len, km, 2 * dir);
	if (rc == 0) {
		memcpy(out->ei, km, out->encr_len);
		memcpy(out->ai, km + out->encr_len, out->integ_len);
		memcpy(out->er, km + dir, out->encr_len);
		memcpy(out->ar, km + dir + out->encr_len, out->integ_len);
	} else {
		ikc_child_keys_wipe(out);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}
