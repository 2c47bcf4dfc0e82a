/* ikc_alg.h — IKEv2 transform identifiers, algorithm descriptors and
 * proposals (the crypto layer's vocabulary, shared with the codec and the
 * configuration).
 *
 * Every algorithm the agent can negotiate has one const descriptor that
 * carries its IANA transform ID (RFC 7296 §3.3.2, IANA "IKEv2 Parameters"),
 * its key/IV/ICV sizes, the strongSwan-style proposal keyword and the exact
 * algorithm-name strings Wireshark's IKEv2 and ESP decryption tables accept.
 * Lookups return NULL for anything not supported, so "is this transform
 * acceptable?" is `ikc_*_find(...) != NULL`.
 *
 * Proposals (struct ikc_proposal) are lists of transforms in the SA payload's
 * shape: one entry per Transform substructure, the AES key length as the
 * Key Length attribute (RFC 7296 §3.3.5). Strings like
 * "aes256gcm16-prfsha256-x25519" or "aes128-sha256-ecp256-esn" convert to and
 * from that shape with ikc_proposal_parse()/ikc_proposal_format().
 *
 * Thread-safety: everything here is const data or pure functions. */
#ifndef IPSECHA_IKC_ALG_H
#define IPSECHA_IKC_ALG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 7296 §3.3.2 Transform Type values. */
enum ikc_xf_type {
	IKC_XF_ENCR  = 1,
	IKC_XF_PRF   = 2,
	IKC_XF_INTEG = 3,
	IKC_XF_DH    = 4,
	IKC_XF_ESN   = 5,
};

/* Transform IDs (IANA IKEv2 registry). Only the ones we implement, plus
 * PRF_HMAC_SHA1 which exists solely so the NIST ACVP KDF vector can run
 * through the production prf/prf+ path (it is never proposed). */
enum ikc_encr_id {
	IKC_ENCR_AES_CBC    = 12,  /* RFC 3602 */
	IKC_ENCR_AES_GCM_16 = 20,  /* RFC 4106 (ESP), RFC 5282 (IKE) */
};
enum ikc_prf_id {
	IKC_PRF_HMAC_SHA1     = 2, /* RFC 2104; vectors only */
	IKC_PRF_HMAC_SHA2_256 = 5, /* RFC 4868 */
	IKC_PRF_HMAC_SHA2_384 = 6,
	IKC_PRF_HMAC_SHA2_512 = 7,
};
enum ikc_integ_id {
	IKC_INTEG_NONE              = 0,  /* with AEAD ciphers */
	IKC_INTEG_HMAC_SHA2_256_128 = 12, /* RFC 4868 */
	IKC_INTEG_HMAC_SHA2_384_192 = 13,
	IKC_INTEG_HMAC_SHA2_512_256 = 14,
};
enum ikc_dh_id {
	IKC_DH_NONE     = 0,
	IKC_DH_MODP2048 = 14, /* RFC 3526 §3 */
	IKC_DH_ECP256   = 19, /* RFC 5903 */
	IKC_DH_ECP384   = 20, /* RFC 5903 */
	IKC_DH_X25519   = 31, /* RFC 8031 */
};
enum ikc_esn_id {
	IKC_ESN_NO  = 0,
	IKC_ESN_YES = 1,
};
/* RFC 7296 §3.3.1 Protocol ID. */
enum ikc_proto {
	IKC_PROTO_IKE = 1,
	IKC_PROTO_ESP = 3,
};

/* Size limits over every supported algorithm (for fixed buffers). */
#define IKC_MAX_PRF_LEN    64  /* SHA-512 output */
#define IKC_MAX_ENCR_KEY   36  /* AES-256 key + 4-byte GCM salt */
#define IKC_MAX_INTEG_KEY  64
#define IKC_MAX_ICV        32  /* HMAC-SHA2-512-256 */
#define IKC_MAX_IV         16
#define IKC_MAX_KE_LEN     256 /* MODP-2048 public value */
#define IKC_MAX_SECRET_LEN 256 /* MODP-2048 shared secret */

struct ikc_encr_alg {
	uint16_t id;          /* enum ikc_encr_id */
	uint16_t keybits;     /* Key Length attribute value (128/256) */
	uint8_t key_len;      /* bytes of key material taken from prf+,
	                       * salt included (RFC 5282 §7.1, RFC 4106 §8.1) */
	uint8_t salt_len;     /* 4 for GCM, 0 for CBC */
	uint8_t block_len;    /* padding alignment for the SK payload */
	uint8_t iv_len;       /* IV carried in the SK payload / ESP packet */
	uint8_t icv_len;      /* AEAD tag length; 0 for CBC */
	bool aead;
	const char *keyword;  /* proposal keyword, e.g. "aes256gcm16" */
	const char *ws_ike;   /* Wireshark ikev2_decryption_table name */
	const char *ws_esp;   /* Wireshark esp_sa name */
};

struct ikc_prf_alg {
	uint16_t id;          /* enum ikc_prf_id */
	uint8_t out_len;      /* output and preferred key length */
	const char *keyword;  /* "prfsha256" */
	const char *digest;   /* OpenSSL digest name */
};

struct ikc_integ_alg {
	uint16_t id;          /* enum ikc_integ_id (never NONE here) */
	uint8_t key_len;
	uint8_t icv_len;      /* truncated MAC length (RFC 4868 §2.3) */
	const char *keyword;  /* "sha256" */
	const char *digest;
	const char *ws_ike;
	const char *ws_esp;
};

struct ikc_dh_alg {
	uint16_t id;          /* enum ikc_dh_id (never NONE here) */
	uint16_t ke_len;      /* Key Exchange Data length on the wire */
	uint16_t secret_len;  /* g^ir length */
	const char *keyword;  /* "modp2048", "ecp256", "ecp384", "x25519" */
};

const struct ikc_encr_alg *ikc_encr_find(uint16_t id, uint16_t keybits);
const struct ikc_prf_alg *ikc_prf_find(uint16_t id);
const struct ikc_integ_alg *ikc_integ_find(uint16_t id);
const struct ikc_dh_alg *ikc_dh_find(uint16_t id);

/* One negotiated algorithm set. For an IKE SA: encr/keybits, prf, integ
 * (IKC_INTEG_NONE with an AEAD cipher), dh. For a Child SA: encr/keybits,
 * integ, dh (IKC_DH_NONE = no PFS), esn; prf unused (the IKE SA's). */
struct ikc_suite {
	uint16_t encr;
	uint16_t encr_keybits;
	uint16_t prf;
	uint16_t integ;
	uint16_t dh;
	uint16_t esn;
};

/* 0 when every algorithm of the suite is supported and consistent for the
 * protocol (IKE needs a prf and a dh; AEAD needs integ NONE, CBC needs an
 * integ), else -ENOTSUP (unknown transform) or -EINVAL (inconsistent). */
int ikc_suite_check(const struct ikc_suite *s, enum ikc_proto proto);

/* A proposal as the SA payload carries it. */
#define IKC_MAX_XF 16
struct ikc_transform {
	uint8_t type;         /* enum ikc_xf_type */
	uint16_t id;
	uint16_t keybits;     /* Key Length attribute; 0 = absent */
};
struct ikc_proposal {
	uint8_t proto;        /* enum ikc_proto */
	uint8_t n_xf;
	struct ikc_transform xf[IKC_MAX_XF];
};

/* Parse one strongSwan-style proposal string ("aes128-sha256-ecp256",
 * "aes256gcm16-prfsha256-x25519", "aes128gcm16-esn-noesn") for proto.
 * Keywords: aes128 aes256 aes128gcm16 aes256gcm16 (also ...gcm128),
 * sha256 sha384 sha512 (integ; in IKE proposals also the prf when no prf
 * keyword is given and the cipher is not AEAD), prfsha256 prfsha384
 * prfsha512, modp2048 ecp256 ecp384 x25519 curve25519, esn noesn (ESP only).
 * ESP proposals without esn/noesn get "noesn". Duplicates are ignored.
 * Returns 0, or -EINVAL with a message in err (if non-NULL) naming the
 * offending keyword. On error *out is left zeroed. */
int ikc_proposal_parse(const char *s, enum ikc_proto proto,
		       struct ikc_proposal *out, char *err, size_t err_len);

/* Parse a comma-separated list of proposals; *n gets the count.
 * -ENOSPC if more than max. */
int ikc_proposals_parse(const char *s, enum ikc_proto proto,
			struct ikc_proposal *out, size_t max, size_t *n,
			char *err, size_t err_len);

/* Write the strongSwan-style string of a proposal (all transforms) or of a
 * negotiated suite (one of each). Returns the length that the full string
 * needs (snprintf semantics), or -EINVAL for an unknown transform. */
int ikc_proposal_format(const struct ikc_proposal *p, char *buf, size_t len);
int ikc_suite_format(const struct ikc_suite *s, enum ikc_proto proto,
		     char *buf, size_t len);

/* Does the proposal contain exactly this transform? */
bool ikc_proposal_has(const struct ikc_proposal *p, uint8_t type,
		      uint16_t id, uint16_t keybits);

/* Select the first supported transform of each type from a proposal (the
 * usual shape of a responder's single-transform answer is then one call).
 * -ENOTSUP when a required type has no supported transform. */
int ikc_proposal_first_suite(const struct ikc_proposal *p,
			     struct ikc_suite *out);

#endif
