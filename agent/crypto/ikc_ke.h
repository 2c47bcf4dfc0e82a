/* ikc_ke.h — IKEv2 key exchange (RFC 7296 §1.2, §2.14, §3.4).
 *
 * Groups: 14 MODP-2048 (RFC 3526 §3), 19/20 ECP-256/384 (RFC 5903), 31
 * Curve25519 (RFC 8031). The Key Exchange Data on the wire is, per group:
 *   MODP-2048: g^x mod p, big-endian, zero-padded to 256 octets;
 *   ECP:       x || y, each zero-padded to the field size (no 0x04 prefix,
 *              RFC 5903 §7);
 *   X25519:    the 32-octet u-coordinate (RFC 8031 §2).
 * The shared secret g^ir is: MODP zero-padded to 256 octets; ECP the
 * x-coordinate only (RFC 5903 §7); X25519 the 32-octet output (an all-zero
 * output is rejected, RFC 8031 §2 / RFC 7748 §6.1).
 *
 * Peer values are validated before use: exact length, MODP 1 < y < p-1,
 * ECP point on the curve (not infinity), X25519 all-zero result refused.
 *
 * Private values come from the injectable RNG (ikc_rng.h), so a test can fix
 * them; the object owns them and wipes them on ikc_ke_free().
 * Thread-safety: one object per exchange, not shared. */
#ifndef IPSECHA_IKC_KE_H
#define IPSECHA_IKC_KE_H

#include <stddef.h>
#include <stdint.h>

#include "ikc_rng.h"

struct ikc_ke;  /* opaque: group, private value, public value */

/* New key pair for `group` (enum ikc_dh_id) with private value from rng.
 * Returns 0, -ENOTSUP (group), -ENOMEM, -EIO (OpenSSL failure). */
int ikc_ke_new(uint16_t group, const struct ikc_rng *rng, struct ikc_ke **out);

/* Key pair from a given private value (test vectors): MODP an exponent of
 * 1..256 octets, ECP the scalar (field-size octets, 0 < d < n), X25519 the
 * 32-octet scalar. -EINVAL for an invalid private value. */
int ikc_ke_new_private(uint16_t group, const uint8_t *priv, size_t priv_len,
		       struct ikc_ke **out);

uint16_t ikc_ke_group(const struct ikc_ke *ke);

/* Our Key Exchange Data (see the wire encodings above). *len gets the
 * length (ikc_dh_find(group)->ke_len). -ENOSPC if cap is too small. */
int ikc_ke_public(const struct ikc_ke *ke, uint8_t *buf, size_t cap,
		  size_t *len);

/* g^ir from the peer's Key Exchange Data. *len gets the secret length
 * (ikc_dh_find(group)->secret_len). Returns 0; -EBADMSG for a peer value
 * of the wrong length or that fails validation (the caller answers
 * INVALID_SYNTAX / drops); -ENOSPC; -EIO. secret is the caller's to wipe. */
int ikc_ke_derive(const struct ikc_ke *ke, const uint8_t *peer,
		  size_t peer_len, uint8_t *secret, size_t cap, size_t *len);

/* Wipes and frees; NULL-safe. */
void ikc_ke_free(struct ikc_ke *ke);

#endif
