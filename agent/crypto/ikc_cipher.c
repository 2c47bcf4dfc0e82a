/* ikc_cipher.c — AES-GCM and AES-CBC on EVP_CIPHER, keyed once. */
#include "ikc_cipher.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ikc_alg.h"
#include "ikc_internal.h"

struct ikc_gcm {
	EVP_CIPHER_CTX *enc, *dec;
};

struct ikc_cbc {
	EVP_CIPHER_CTX *ctx;
};

static EVP_CIPHER_CTX *keyed(uint16_t encr, const uint8_t *key,
			     size_t key_len, int encrypt)
{
	const EVP_CIPHER *c = ikc_cipher(encr, (uint16_t)(key_len * 8));
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!c || !ctx || !OSSL_OK(EVP_CipherInit_ex2(ctx, c, key, NULL,
						      encrypt, NULL))) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	if (encr == IKC_ENCR_AES_CBC)
		EVP_CIPHER_CTX_set_padding(ctx, 0);
	return ctx;
}

int ikc_gcm_new(const uint8_t *key, size_t key_len, struct ikc_gcm **out)
{
	if (!out || !key || (key_len != 16 && key_len != 32))
		return -EINVAL;
	*out = NULL;
	struct ikc_gcm *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->enc = keyed(IKC_ENCR_AES_GCM_16, key, key_len, 1);
	g->dec = keyed(IKC_ENCR_AES_GCM_16, key, key_len, 0);
	if (!g->enc || !g->dec) {
		ikc_gcm_free(g);
		return -EIO;
	}
	*out = g;
	return 0;
}

void ikc_gcm_free(struct ikc_gcm *g)
{
	if (!g)
		return;
	/* EVP_CIPHER_CTX_free cleanses the key schedule. */
	EVP_CIPHER_CTX_free(g->enc);
	EVP_CIPHER_CTX_free(g->dec);
	free(g);
}

int ikc_gcm_seal(struct ikc_gcm *g, const uint8_t nonce[IKC_GCM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, uint8_t tag[IKC_GCM_TAG_LEN])
{
	int outl, fl;

	if (!g || !nonce || !tag || (!aad && aad_len) || (len && (!in || !out)) ||
	    aad_len > INT_MAX || len > INT_MAX)
		return -EINVAL;
	if (!OSSL_OK(EVP_EncryptInit_ex2(g->enc, NULL, NULL, nonce, NULL)) ||
	    (aad_len && !OSSL_OK(EVP_EncryptUpdate(g->enc, NULL, &outl, aad,
						   (int)aad_len))) ||
	    (len && !OSSL_OK(EVP_EncryptUpdate(g->enc, out, &outl, in,
					       (int)len))))
		return -EIO;
	if (!len)
		outl = 0;
	if (!OSSL_OK(EVP_EncryptFinal_ex(g->enc, out + outl, &fl)) ||
	    !OSSL_OK(EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG,
					 IKC_GCM_TAG_LEN, tag)))
		return -EIO;
	return 0;
}

int ikc_gcm_open(struct ikc_gcm *g, const uint8_t nonce[IKC_GCM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, const uint8_t tag[IKC_GCM_TAG_LEN])
{
	uint8_t t[IKC_GCM_TAG_LEN];
	int outl = 0, fl;

	if (!g || !nonce || !tag || (!aad && aad_len) || (len && (!in || !out)) ||
	    aad_len > INT_MAX || len > INT_MAX)
		return -EINVAL;
	memcpy(t, tag, sizeof(t));
	if (!OSSL_OK(EVP_DecryptInit_ex2(g->dec, NULL, NULL, nonce, NULL)) ||
	    (aad_len && !OSSL_OK(EVP_DecryptUpdate(g->dec, NULL, &outl, aad,
						   (int)aad_len))) ||
	    (len && !OSSL_OK(EVP_DecryptUpdate(g->dec, out, &outl, in,
					       (int)len))) ||
	    !OSSL_OK(EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG,
					 IKC_GCM_TAG_LEN, t)))
		return -EIO;
	if (!len)
		outl = 0;
	/* The tag is compared in constant time inside the GCM final. */
	if (!OSSL_OK(EVP_DecryptFinal_ex(g->dec, out + outl, &fl))) {
		if (len)
			OPENSSL_cleanse(out, len);
		return -EBADMSG;
	}
	return 0;
}

int ikc_cbc_new(const uint8_t *key, size_t key_len, bool encrypt,
		struct ikc_cbc **out)
{
	if (!out || !key || (key_len != 16 && key_len != 32))
		return -EINVAL;
	*out = NULL;
	struct ikc_cbc *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ctx = keyed(IKC_ENCR_AES_CBC, key, key_len, encrypt);
	if (!c->ctx) {
		free(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

void ikc_cbc_free(struct ikc_cbc *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx);
	free(c);
}

int ikc_cbc_crypt(struct ikc_cbc *c, const uint8_t iv[IKC_CBC_IV_LEN],
		  const uint8_t *in, size_t len, uint8_t *out)
{
	int outl;

	if (!c || !iv || (len && (!in || !out)) || len % 16 || len > INT_MAX)
		return -EINVAL;
	if (!OSSL_OK(EVP_CipherInit_ex2(c->ctx, NULL, NULL, iv, -1, NULL)))
		return -EIO;
	if (len && (!OSSL_OK(EVP_CipherUpdate(c->ctx, out, &outl, in,
					      (int)len)) || (size_t)outl != len))
		return -EIO;
	return 0;
}
