/* ikc_sk.c — SK payload protection (RFC 7296 §3.14, RFC 5282). */
#include "ikc_sk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ikc_cipher.h"
#include "ikc_internal.h"
#include "ikc_prf.h"

/* One direction's keys. */
struct sk_dir {
	uint8_t salt[4];                 /* GCM: last 4 octets of SK_e */
	uint8_t akey[IKC_MAX_INTEG_KEY];
	struct ikc_gcm *gcm;             /* AEAD */
	struct ikc_cbc *cbc;             /* or CBC ... */
	EVP_MAC_CTX *mctx;               /* ... + keyed HMAC, dup'ed per use */
};

struct ikc_sk {
	const struct ikc_encr_alg *encr;
	const struct ikc_integ_alg *integ;  /* NULL with AEAD */
	struct ikc_rng rng;
	bool have_rng;
	uint64_t iv_counter;                /* GCM */
	struct sk_dir out, in;
};

static void dir_free(struct sk_dir *d)
{
	ikc_gcm_free(d->gcm);
	ikc_cbc_free(d->cbc);
	EVP_MAC_CTX_free(d->mctx);
}

void ikc_sk_free(struct ikc_sk *sk)
{
	if (!sk)
		return;
	dir_free(&sk->out);
	dir_free(&sk->in);
	OPENSSL_cleanse(sk, sizeof(*sk));
	free(sk);
}

static int dir_init(struct ikc_sk *sk, struct sk_dir *d, const uint8_t *ek,
		    const uint8_t *ak, bool encrypt)
{
	const struct ikc_encr_alg *e = sk->encr;
	size_t klen = e->key_len - e->salt_len;

	if (e->aead) {
		/* RFC 5282 §7.1: SK_e* = key || 4-octet salt. */
		memcpy(d->salt, ek + klen, 4);
		return ikc_gcm_new(ek, klen, &d->gcm);
	}
	int rc = ikc_cbc_new(ek, klen, encrypt, &d->cbc);
	if (rc < 0)
		return rc;
	memcpy(d->akey, ak, sk->integ->key_len);
	d->mctx = EVP_MAC_CTX_new(ikc_hmac());
	if (!d->mctx)
		return -ENOMEM;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest",
			(char *)sk->integ->digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (!OSSL_OK(EVP_MAC_init(d->mctx, d->akey, sk->integ->key_len,
				  params)))
		return -EIO;
	return 0;
}

int ikc_sk_new(const struct ikc_suite *suite, const struct ikc_ike_keys *keys,
	       bool initiator, const struct ikc_rng *rng, struct ikc_sk **out)
{
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!suite || !keys)
		return -EINVAL;
	if ((rc = ikc_suite_check(suite, IKC_PROTO_IKE)) < 0)
		return rc;
	struct ikc_sk *sk = calloc(1, sizeof(*sk));
	if (!sk)
		return -ENOMEM;
	sk->encr = ikc_encr_find(suite->encr, suite->encr_keybits);
	sk->integ = sk->encr->aead ? NULL : ikc_integ_find(suite->integ);
	if (rng) {
		sk->rng = *rng;
		sk->have_rng = true;
	}
	if (keys->encr_len != sk->encr->key_len ||
	    (sk->integ && keys->integ_len != sk->integ->key_len)) {
		rc = -EINVAL;
		goto fail;
	}
	/* RFC 7296 §2.14: SK_ei/SK_ai protect messages from the original
	 * initiator, SK_er/SK_ar those from the responder. */
	const uint8_t *ek_out = initiator ? keys->sk_ei : keys->sk_er;
	const uint8_t *ak_out = initiator ? keys->sk_ai : keys->sk_ar;
	const uint8_t *ek_in = initiator ? keys->sk_er : keys->sk_ei;
	const uint8_t *ak_in = initiator ? keys->sk_ar : keys->sk_ai;
	if ((rc = dir_init(sk, &sk->out, ek_out, ak_out, true)) < 0 ||
	    (rc = dir_init(sk, &sk->in, ek_in, ak_in, false)) < 0)
		goto fail;
	if (sk->encr->aead &&
	    (rc = ikc_rng_bytes(rng, &sk->iv_counter,
				sizeof(sk->iv_counter))) < 0)
		goto fail;
	*out = sk;
	return 0;
fail:
	ikc_sk_free(sk);
	return rc;
}

static const struct ikc_rng *rng_of(const struct ikc_sk *sk)
{
	return sk->have_rng ? &sk->rng : NULL;
}

/* Encrypted part length: payloads + padding + Pad Length octet, aligned
 * to the cipher's block (RFC 7296 §3.14: "the combination of the payloads,
 * the Padding, and the Pad Length [is] a multiple of the block size"; for
 * GCM block_len is 1 in effect: RFC 5282 §3 sets no alignment, so only the
 * Pad Length octet is added). */
static size_t enc_len(const struct ikc_sk *sk, size_t plain_len)
{
	size_t n = plain_len + 1;
	if (!sk->encr->aead) {
		size_t b = sk->encr->block_len;
		n = (n + b - 1) / b * b;
	}
	return n;
}

static size_t icv_len(const struct ikc_sk *sk)
{
	return sk->encr->aead ? sk->encr->icv_len : sk->integ->icv_len;
}

size_t ikc_sk_body_len(const struct ikc_sk *sk, size_t plain_len)
{
	return sk->encr->iv_len + enc_len(sk, plain_len) + icv_len(sk);
}

size_t ikc_sk_max_overhead(const struct ikc_sk *sk)
{
	return sk->encr->iv_len + sk->encr->block_len + icv_len(sk);
}

/* RFC 5282 §4: nonce = salt (4 octets, from the end of SK_e) || IV. */
static void gcm_nonce(const struct sk_dir *d, const uint8_t *iv,
		      uint8_t nonce[12])
{
	memcpy(nonce, d->salt, 4);
	memcpy(nonce + 4, iv, 8);
}

static int hmac_icv(const struct ikc_sk *sk, const struct sk_dir *d,
		    const uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t full[IKC_MAX_PRF_LEN];
	size_t outl = 0;
	int rc = -EIO;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(d->mctx);
	if (ctx && OSSL_OK(EVP_MAC_update(ctx, data, len)) &&
	    OSSL_OK(EVP_MAC_final(ctx, full, &outl, sizeof(full))) &&
	    outl >= sk->integ->icv_len) {
		/* RFC 4868 §2.3: truncate to the leftmost bits. */
		memcpy(icv, full, sk->integ->icv_len);
		rc = 0;
	}
	EVP_MAC_CTX_free(ctx);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

int ikc_sk_seal(struct ikc_sk *sk, uint8_t *msg, size_t msg_cap,
		size_t hdr_len, const uint8_t *plain, size_t plain_len)
{
	if (!sk || !msg || (!plain && plain_len))
		return -EINVAL;
	const struct ikc_encr_alg *e = sk->encr;
	size_t elen = enc_len(sk, plain_len);
	size_t body = e->iv_len + elen + icv_len(sk);
	if (hdr_len > msg_cap || body > msg_cap - hdr_len)
		return -ENOSPC;
	if (plain_len && plain < msg + hdr_len + body && msg < plain + plain_len)
		return -EINVAL;  /* overlapping buffers */

	uint8_t *iv = msg + hdr_len;
	uint8_t *ct = iv + e->iv_len;
	uint8_t *icv = ct + elen;
	struct sk_dir *d = &sk->out;
	int rc;

	/* Plaintext = payloads | padding | Pad Length, in place. */
	if (plain_len)
		memcpy(ct, plain, plain_len);
	size_t pad = elen - plain_len - 1;
	/* "Padding MAY contain any value chosen by the sender" — zeros. */
	memset(ct + plain_len, 0, pad);
	ct[elen - 1] = (uint8_t)pad;

	if (e->aead) {
		/* RFC 5282 §3.1: the IV MUST NOT repeat for a key: a counter
		 * from a random start. */
		uint64_t c = sk->iv_counter++;
		uint8_t nonce[12];
		for (int i = 0; i < 8; i++)
			iv[i] = (uint8_t)(c >> (56 - 8 * i));
		gcm_nonce(d, iv, nonce);
		/* RFC 5282 §5: AAD = IKE header through the last octet of
		 * the Encrypted Payload header (Figure 3), not the IV. */
		return ikc_gcm_seal(d->gcm, nonce, msg, hdr_len, ct, elen, ct,
				    icv);
	}
	/* RFC 7296 §3.14: the IV "MUST be chosen at random and MUST be
	 * unpredictable". */
	if ((rc = ikc_rng_bytes(rng_of(sk), iv, e->iv_len)) < 0)
		return rc;
	if ((rc = ikc_cbc_crypt(d->cbc, iv, ct, elen, ct)) < 0)
		return rc;
	/* "The checksum MUST be computed over the encrypted message. Its
	 * length is determined by the integrity algorithm negotiated." — over
	 * the IKE header through the end of the ciphertext (Figure 3). */
	return hmac_icv(sk, d, msg, (size_t)(icv - msg), icv);
}

int ikc_sk_open(struct ikc_sk *sk, const uint8_t *msg, size_t hdr_len,
		size_t msg_len, uint8_t *plain, size_t plain_cap,
		size_t *plain_len)
{
	if (!sk || !msg || !plain || !plain_len || hdr_len > msg_len)
		return -EINVAL;
	const struct ikc_encr_alg *e = sk->encr;
	size_t body = msg_len - hdr_len;
	size_t il = icv_len(sk);
	struct sk_dir *d = &sk->in;

	/* At least the IV, one block (or the Pad Length octet) and the ICV. */
	size_t min_enc = e->aead ? 1 : e->block_len;
	if (body < e->iv_len + min_enc + il)
		return -EBADMSG;
	size_t elen = body - e->iv_len - il;
	if (!e->aead && elen % e->block_len)
		return -EBADMSG;
	if (plain_cap < elen)
		return -ENOSPC;
	const uint8_t *iv = msg + hdr_len;
	const uint8_t *ct = iv + e->iv_len;
	const uint8_t *icv = ct + elen;

	if (e->aead) {
		uint8_t nonce[12];
		gcm_nonce(d, iv, nonce);
		if (ikc_gcm_open(d->gcm, nonce, msg, hdr_len, ct, elen, plain,
				 icv) < 0)
			goto bad;
	} else {
		uint8_t want[IKC_MAX_ICV];
		/* Authenticate before decrypting anything. */
		if (hmac_icv(sk, d, msg, (size_t)(icv - msg), want) < 0)
			return -EIO;
		int diff = CRYPTO_memcmp(want, icv, il);
		OPENSSL_cleanse(want, sizeof(want));
		if (diff)
			return -EBADMSG;
		if (ikc_cbc_crypt(d->cbc, iv, ct, elen, plain) < 0)
			goto bad;
	}
	/* RFC 7296 §3.14: Pad Length octet last; the padding must fit in
	 * what was decrypted (no payload octets "borrowed"). */
	uint8_t pad = plain[elen - 1];
	if ((size_t)pad + 1 > elen)
		goto bad;
	*plain_len = elen - 1 - pad;
	OPENSSL_cleanse(plain + *plain_len, elen - *plain_len);
	return 0;
bad:
	OPENSSL_cleanse(plain, elen);
	return -EBADMSG;
}
