/* ikc_kdf.h — IKEv2 key derivation (RFC 7296 §2.14, §2.17, §2.18).
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *            = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   IKE rekey:   SKEYSEED = prf_old(SK_d (old), g^ir (new) | Ni | Nr),
 *                then prf+ of the NEW suite's prf with the new SPIs.
 *   Child SA:    KEYMAT = prf+(SK_d, Ni | Nr)               (no PFS)
 *                KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)   (PFS)
 *
 * SK_e* include the 4-octet salt for AES-GCM (RFC 5282 §7.1: key || salt).
 * Ni/Nr are the nonces of the exchange's initiator/responder, SPIi/SPIr the
 * IKE SA SPIs (for a rekey, the new ones from the SA payloads).
 *
 * Key structs are plain values owned by the caller; wipe them with
 * ikc_*_keys_wipe() (OPENSSL_cleanse) when done. Never log them except
 * through the opt-in key log. */
#ifndef IPSECHA_IKC_KDF_H
#define IPSECHA_IKC_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "ikc_alg.h"
#include "ikc_prf.h"

#define IKC_SPI_LEN 8

struct ikc_ike_keys {
	uint16_t prf;          /* the prf these keys belong to */
	uint8_t prf_len;       /* length of skeyseed, sk_d, sk_pi, sk_pr */
	uint8_t encr_len;      /* length of sk_ei / sk_er (salt included) */
	uint8_t integ_len;     /* length of sk_ai / sk_ar (0 with AEAD) */
	uint8_t skeyseed[IKC_MAX_PRF_LEN];
	uint8_t sk_d[IKC_MAX_PRF_LEN];
	uint8_t sk_ai[IKC_MAX_INTEG_KEY];
	uint8_t sk_ar[IKC_MAX_INTEG_KEY];
	uint8_t sk_ei[IKC_MAX_ENCR_KEY];
	uint8_t sk_er[IKC_MAX_ENCR_KEY];
	uint8_t sk_pi[IKC_MAX_PRF_LEN];
	uint8_t sk_pr[IKC_MAX_PRF_LEN];
};

/* Child SA keys, "i" = traffic from the exchange initiator to the
 * responder, "r" = the reverse (RFC 7296 §2.17: all keys for the
 * initiator-to-responder direction come first, encryption before
 * integrity). */
struct ikc_child_keys {
	uint8_t encr_len;      /* salt included for GCM (RFC 4106 §8.1) */
	uint8_t integ_len;     /* 0 with AEAD */
	uint8_t ei[IKC_MAX_ENCR_KEY];
	uint8_t ai[IKC_MAX_INTEG_KEY];
	uint8_t er[IKC_MAX_ENCR_KEY];
	uint8_t ar[IKC_MAX_INTEG_KEY];
};

/* SKEYSEED = prf(Ni | Nr, g^ir); out gets prf out_len bytes. */
int ikc_kdf_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t *gir, size_t gir_len, uint8_t *out);

/* All IKE SA keys after IKE_SA_INIT. suite must pass
 * ikc_suite_check(IKC_PROTO_IKE). 0, -ENOTSUP, -EINVAL, -EIO; on error
 * *out is wiped. */
int ikc_kdf_ike(const struct ikc_suite *suite,
		const uint8_t *gir, size_t gir_len,
		const uint8_t *ni, size_t ni_len,
		const uint8_t *nr, size_t nr_len,
		const uint8_t spii[IKC_SPI_LEN], const uint8_t spir[IKC_SPI_LEN],
		struct ikc_ike_keys *out);

/* Keys of the new IKE SA after a CREATE_CHILD_SA IKE rekey. old holds the
 * old IKE SA's prf and SK_d; new_suite the newly negotiated algorithms;
 * ni/nr the rekey exchange's nonces; spii/spir the new SPIs. */
int ikc_kdf_ike_rekey(const struct ikc_ike_keys *old,
		      const struct ikc_suite *new_suite,
		      const uint8_t *gir, size_t gir_len,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      const uint8_t spii[IKC_SPI_LEN],
		      const uint8_t spir[IKC_SPI_LEN],
		      struct ikc_ike_keys *out);

/* Child SA KEYMAT from the IKE SA's keys. child_suite: encr/keybits and
 * integ of the ESP SA (checked with IKC_PROTO_ESP). gir NULL/0 without PFS.
 * ni/nr: nonces of the exchange that created the Child SA (IKE_AUTH: the
 * IKE_SA_INIT nonces). */
int ikc_kdf_child(const struct ikc_ike_keys *ike,
		  const struct ikc_suite *child_suite,
		  const uint8_t *gir, size_t gir_len,
		  const uint8_t *ni, size_t ni_len,
		  const uint8_t *nr, size_t nr_len,
		  struct ikc_child_keys *out);

/* Raw KEYMAT for arbitrary lengths (vector tests, several protocols). */
int ikc_kdf_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		   const uint8_t *gir, size_t gir_len,
		   const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len,
		   uint8_t *out, size_t out_len);

void ikc_ike_keys_wipe(struct ikc_ike_keys *k);
void ikc_child_keys_wipe(struct ikc_child_keys *k);

#endif
