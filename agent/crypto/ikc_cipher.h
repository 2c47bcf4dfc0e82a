/* ikc_cipher.h — the block-cipher primitives under the SK payload (and
 * usable for ESP): AES-GCM with a 12-octet nonce and 16-octet tag (RFC 4106
 * / 5282 shape) and raw AES-CBC without padding (RFC 3602: the protocol
 * pads). A context is keyed once and reused per message.
 * Thread-safety: one context per thread of use. */
#ifndef IPSECHA_IKC_CIPHER_H
#define IPSECHA_IKC_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKC_GCM_NONCE_LEN 12
#define IKC_GCM_TAG_LEN   16
#define IKC_CBC_IV_LEN    16

struct ikc_gcm;
struct ikc_cbc;

/* key_len 16 or 32. 0, -EINVAL, -ENOMEM, -EIO. */
int ikc_gcm_new(const uint8_t *key, size_t key_len, struct ikc_gcm **out);
void ikc_gcm_free(struct ikc_gcm *g);  /* NULL-safe; wipes */
/* out may equal in (in place). */
int ikc_gcm_seal(struct ikc_gcm *g, const uint8_t nonce[IKC_GCM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, uint8_t tag[IKC_GCM_TAG_LEN]);
/* -EBADMSG on a tag mismatch; out is wiped then. */
int ikc_gcm_open(struct ikc_gcm *g, const uint8_t nonce[IKC_GCM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, const uint8_t tag[IKC_GCM_TAG_LEN]);

/* key_len 16 or 32; encrypt selects the direction of the context. */
int ikc_cbc_new(const uint8_t *key, size_t key_len, bool encrypt,
		struct ikc_cbc **out);
void ikc_cbc_free(struct ikc_cbc *c);
/* len must be a multiple of 16 (-EINVAL otherwise). out may equal in. */
int ikc_cbc_crypt(struct ikc_cbc *c, const uint8_t iv[IKC_CBC_IV_LEN],
		  const uint8_t *in, size_t len, uint8_t *out);

#endif
