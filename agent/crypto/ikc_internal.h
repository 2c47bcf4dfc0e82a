/* ikc_internal.h — shared by the crypto modules only: cached OpenSSL
 * algorithm fetches and the checked-call macro. */
#ifndef IPSECHA_IKC_INTERNAL_H
#define IPSECHA_IKC_INTERNAL_H

#include <openssl/evp.h>

/* OpenSSL returns 1 on success; anything else is an internal failure. */
#define OSSL_OK(call) ((call) == 1)

/* Fetched once per process (EVP_*_fetch is costly), never freed. NULL if
 * the provider lacks the algorithm. */
EVP_MAC *ikc_hmac(void);
const EVP_MD *ikc_md(const char *name);          /* "SHA256", ... */
const EVP_CIPHER *ikc_cipher(uint16_t encr, uint16_t keybits);

#endif
