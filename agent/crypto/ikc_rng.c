/* ikc_rng.c — OpenSSL random source and a deterministic test generator. */
#include "ikc_rng.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ikc_internal.h"

static int fill(const struct ikc_rng *rng, void *buf, size_t len, int secret)
{
	if (!buf && len)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (rng && rng->fill)
		return rng->fill(rng->arg, buf, len, secret);
	if (len > INT32_MAX)
		return -EINVAL;
	int ok = secret ? RAND_priv_bytes(buf, (int)len)
			: RAND_bytes(buf, (int)len);
	return ok == 1 ? 0 : -EIO;
}

int ikc_rng_bytes(const struct ikc_rng *rng, void *buf, size_t len)
{
	return fill(rng, buf, len, 0);
}

int ikc_rng_secret(const struct ikc_rng *rng, void *buf, size_t len)
{
	return fill(rng, buf, len, 1);
}

/* Keystream block n = SHA-256(key || n). Deterministic and uniform enough
 * for tests; the point is reproducibility, not secrecy. */
static int det_fill(void *arg, uint8_t *buf, size_t len, int secret)
{
	struct ikc_rng_det *d = arg;
	uint8_t in[40], blk[32];

	(void)secret;
	memcpy(in, d->key, 32);
	while (len) {
		for (int i = 0; i < 8; i++)
			in[32 + i] = (uint8_t)(d->counter >> (8 * i));
		d->counter++;
		if (!OSSL_OK(EVP_Digest(in, sizeof(in), blk, NULL,
					ikc_md("SHA256"), NULL)))
			return -EIO;
		size_t n = len < 32 ? len : 32;
		memcpy(buf, blk, n);
		buf += n;
		len -= n;
	}
	OPENSSL_cleanse(blk, sizeof(blk));
	return 0;
}

void ikc_rng_det_init(struct ikc_rng_det *det, uint64_t seed)
{
	memset(det, 0, sizeof(*det));
	for (int i = 0; i < 8; i++)
		det->key[i] = (uint8_t)(seed >> (8 * i));
	memcpy(det->key + 8, "ipsecha-test-rng", 16);
	det->rng.fill = det_fill;
	det->rng.arg = det;
}
