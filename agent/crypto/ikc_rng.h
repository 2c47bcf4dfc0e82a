/* ikc_rng.h — the injectable random source of the crypto layer.
 *
 * Everything that needs randomness (nonces, SPIs, IVs, Diffie-Hellman
 * private values) takes a `const struct ikc_rng *`. NULL means OpenSSL's
 * DRBG (RAND_bytes; RAND_priv_bytes for private keys). Tests and the
 * two-in-memory-peers harness pass a deterministic generator instead, so a
 * whole IKE exchange can be replayed byte for byte.
 *
 * Thread-safety: the OpenSSL source is thread-safe; a deterministic
 * generator is not (one per thread/peer). */
#ifndef IPSECHA_IKC_RNG_H
#define IPSECHA_IKC_RNG_H

#include <stddef.h>
#include <stdint.h>

struct ikc_rng {
	/* Fill buf with len random bytes; return 0 or -errno. `secret` is
	 * non-zero when the bytes become a private key. */
	int (*fill)(void *arg, uint8_t *buf, size_t len, int secret);
	void *arg;
};

/* Fill from rng (NULL = OpenSSL). Returns 0 or -EIO. */
int ikc_rng_bytes(const struct ikc_rng *rng, void *buf, size_t len);
/* Same, for private-key material (OpenSSL: RAND_priv_bytes). */
int ikc_rng_secret(const struct ikc_rng *rng, void *buf, size_t len);

/* Deterministic generator for tests: AES-256-CTR keystream keyed by the
 * seed. NOT for production. Caller-allocated; no free needed (the state
 * holds no OpenSSL objects). */
struct ikc_rng_det {
	uint8_t key[32];
	uint64_t counter;
	struct ikc_rng rng;   /* pass &det.rng */
};
void ikc_rng_det_init(struct ikc_rng_det *det, uint64_t seed);

#endif
