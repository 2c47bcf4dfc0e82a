/* ikc_prf.h — the IKEv2 pseudorandom function and prf+ (RFC 7296 §2.13).
 *
 * prf is HMAC with the negotiated hash (RFC 2104 / RFC 4868 §2.1, full-length
 * output). prf+ (K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01),
 * Tn = prf(K, Tn-1 | S | n), at most 255 blocks.
 *
 * Inputs are given as arrays of buffers so that concatenations such as
 * Ni | Nr | SPIi | SPIr need no copies. Thread-safe (no shared state beyond
 * OpenSSL's fetched algorithm cache). */
#ifndef IPSECHA_IKC_PRF_H
#define IPSECHA_IKC_PRF_H

#include <stddef.h>
#include <stdint.h>

struct ikc_buf {
	const uint8_t *p;
	size_t len;
};

/* out gets ikc_prf_find(prf)->out_len bytes. 0, -ENOTSUP, -EIO. */
int ikc_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const struct ikc_buf *data, size_t n_data, uint8_t *out);

/* out gets out_len bytes of prf+ (K, S) where S is the concatenation of
 * seed[0..n_seed). -EINVAL if out_len exceeds 255 prf blocks. */
int ikc_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ikc_buf *seed, size_t n_seed,
		 uint8_t *out, size_t out_len);

/* Truncated HMAC for INTEG transforms (RFC 4868 §2.3): out gets
 * ikc_integ_find(integ)->icv_len bytes. */
int ikc_integ_mac(uint16_t integ, const uint8_t *key, size_t key_len,
		  const struct ikc_buf *data, size_t n_data, uint8_t *out);

#endif
