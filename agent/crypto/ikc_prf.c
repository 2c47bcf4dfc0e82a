/* ikc_prf.c — prf, prf+ and truncated HMAC on OpenSSL EVP_MAC. */
#include "ikc_prf.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ikc_alg.h"
#include "ikc_internal.h"

/* ---- process-wide algorithm cache ------------------------------------ */

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;
static EVP_MD *md_sha1, *md_sha256, *md_sha384, *md_sha512;
static EVP_CIPHER *c_cbc128, *c_cbc256, *c_gcm128, *c_gcm256;

static void fetch_all(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	c_cbc128 = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	c_cbc256 = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	c_gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	c_gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

EVP_MAC *ikc_hmac(void)
{
	pthread_once(&fetch_once, fetch_all);
	return hmac_alg;
}

const EVP_MD *ikc_md(const char *name)
{
	pthread_once(&fetch_once, fetch_all);
	if (!strcmp(name, "SHA1"))
		return md_sha1;
	if (!strcmp(name, "SHA256"))
		return md_sha256;
	if (!strcmp(name, "SHA384"))
		return md_sha384;
	if (!strcmp(name, "SHA512"))
		return md_sha512;
	return NULL;
}

const EVP_CIPHER *ikc_cipher(uint16_t encr, uint16_t keybits)
{
	pthread_once(&fetch_once, fetch_all);
	if (encr == IKC_ENCR_AES_CBC)
		return keybits == 128 ? c_cbc128 : keybits == 256 ? c_cbc256 : NULL;
	if (encr == IKC_ENCR_AES_GCM_16)
		return keybits == 128 ? c_gcm128 : keybits == 256 ? c_gcm256 : NULL;
	return NULL;
}

/* ---- HMAC ------------------------------------------------------------- */

/* A keyed HMAC context for digest `md`. */
static EVP_MAC_CTX *hmac_new(const char *md, const uint8_t *key,
			     size_t key_len)
{
	EVP_MAC *mac = ikc_hmac();
	if (!mac)
		return NULL;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		return NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)md, 0),
		OSSL_PARAM_construct_end(),
	};
	/* HMAC accepts an empty key; OpenSSL wants a non-NULL pointer. */
	static const uint8_t empty[1];
	if (!OSSL_OK(EVP_MAC_init(ctx, key_len ? key : empty, key_len,
				  params))) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int hmac_run(EVP_MAC_CTX *ctx, const struct ikc_buf *data,
		    size_t n_data, const uint8_t *tail, size_t tail_len,
		    uint8_t *out, size_t out_size)
{
	size_t outl = 0;
	for (size_t i = 0; i < n_data; i++)
		if (data[i].len && !OSSL_OK(EVP_MAC_update(ctx, data[i].p,
							   data[i].len)))
			return -EIO;
	if (tail_len && !OSSL_OK(EVP_MAC_update(ctx, tail, tail_len)))
		return -EIO;
	if (!OSSL_OK(EVP_MAC_final(ctx, out, &outl, out_size)))
		return -EIO;
	return outl == out_size ? 0 : -EIO;
}

int ikc_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const struct ikc_buf *data, size_t n_data, uint8_t *out)
{
	const struct ikc_prf_alg *a = ikc_prf_find(prf);
	if (!a)
		return -ENOTSUP;
	if ((!key && key_len) || !out)
		return -EINVAL;
	EVP_MAC_CTX *ctx = hmac_new(a->digest, key, key_len);
	if (!ctx)
		return -EIO;
	int rc = hmac_run(ctx, data, n_data, NULL, 0, out, a->out_len);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* RFC 7296 §2.13:
 *   prf+ (K,S) = T1 | T2 | T3 | T4 | ...
 *   T1 = prf (K, S | 0x01)
 *   T2 = prf (K, T1 | S | 0x02) ...
 * "The prf+ function is not defined beyond 255 times the size of the prf
 * function output." */
int ikc_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ikc_buf *seed, size_t n_seed,
		 uint8_t *out, size_t out_len)
{
	const struct ikc_prf_alg *a = ikc_prf_find(prf);
	uint8_t t[IKC_MAX_PRF_LEN];
	struct ikc_buf parts[1 + 8];
	int rc = 0;

	if (!a)
		return -ENOTSUP;
	if ((!key && key_len) || (!out && out_len) || n_seed > 8 ||
	    out_len > 255u * a->out_len)
		return -EINVAL;
	EVP_MAC_CTX *base = hmac_new(a->digest, key, key_len);
	if (!base)
		return -EIO;
	for (unsigned n = 1, done = 0; done < out_len; n++) {
		size_t np = 0;
		if (n > 1)
			parts[np++] = (struct ikc_buf){ t, a->out_len };
		for (size_t i = 0; i < n_seed; i++)
			parts[np++] = seed[i];
		uint8_t cnt = (uint8_t)n;
		EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(base);
		if (!ctx) {
			rc = -EIO;
			break;
		}
		rc = hmac_run(ctx, parts, np, &cnt, 1, t, a->out_len);
		EVP_MAC_CTX_free(ctx);
		if (rc < 0)
			break;
		size_t take = out_len - done < a->out_len ? out_len - done
							  : a->out_len;
		memcpy(out + done, t, take);
		done += (unsigned)take;
	}
	EVP_MAC_CTX_free(base);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc < 0 && out_len)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

/* RFC 4868 §2.3: HMAC-SHA-256-128 etc. are the HMAC output truncated to
 * its leftmost half. */
int ikc_integ_mac(uint16_t integ, const uint8_t *key, size_t key_len,
		  const struct ikc_buf *data, size_t n_data, uint8_t *out)
{
	const struct ikc_integ_alg *a = ikc_integ_find(integ);
	uint8_t full[IKC_MAX_PRF_LEN];

	if (!a)
		return -ENOTSUP;
	if ((!key && key_len) || !out)
		return -EINVAL;
	EVP_MAC_CTX *ctx = hmac_new(a->digest, key, key_len);
	if (!ctx)
		return -EIO;
	int rc = hmac_run(ctx, data, n_data, NULL, 0, full,
			  (size_t)a->icv_len * 2);
	EVP_MAC_CTX_free(ctx);
	if (rc == 0)
		memcpy(out, full, a->icv_len);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}
