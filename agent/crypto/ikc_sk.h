/* ikc_sk.h — the Encrypted and Authenticated payload, SK {...}
 * (RFC 7296 §3.14; AEAD per RFC 5282; also the SKF payload of RFC 7383,
 * whose authenticated prefix simply includes the fragment fields).
 *
 * Layout of a message carrying SK (the SK payload is always last):
 *
 *   msg[0 .. hdr_len)           IKE header .. SK generic header (and, for
 *                               SKF, Fragment Number/Total Fragments),
 *                               with the FINAL lengths already written
 *   msg[hdr_len .. msg_len)     SK body = IV | ciphertext | ICV
 *
 * AES-CBC + HMAC (RFC 3602, RFC 4868): ciphertext = CBC(payloads | padding |
 * pad length), padded to 16; ICV = truncated HMAC over msg[0 .. end of
 * ciphertext), verified in constant time BEFORE anything is decrypted.
 * AES-GCM-16 (RFC 5282): nonce = salt (last 4 octets of SK_e) | 8-octet IV,
 * AAD = msg[0 .. hdr_len), tag = 16-octet ICV; padding is optional, we send
 * none beyond the Pad Length octet.
 *
 * Receive checks (all -> -EBADMSG, output untouched beyond plain_cap):
 * body shorter than IV + one block/Pad Length + ICV, CBC ciphertext not a
 * multiple of 16, ICV/tag mismatch, Pad Length larger than the decrypted
 * data. Padding content is not checked (RFC 7296 §3.14: "MAY contain any
 * value"; RFC 5282 §3).
 *
 * IVs: CBC uses fresh unpredictable IVs from the RNG (RFC 7296 §3.14 "MUST
 * be chosen at random and MUST be unpredictable"); GCM uses a 64-bit counter
 * starting at a random value per context (RFC 5282 §3.1: unique per key; a
 * random start keeps a context restored after failover from repeating the
 * old active's IVs).
 *
 * Thread-safety: one context per IKE SA; calls on a context must be
 * serialized by the caller (the IV counter and OpenSSL contexts mutate). */
#ifndef IPSECHA_IKC_SK_H
#define IPSECHA_IKC_SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikc_alg.h"
#include "ikc_kdf.h"
#include "ikc_rng.h"

struct ikc_sk;  /* opaque: both directions' keys + OpenSSL contexts */

/* Build a protect/unprotect context for one IKE SA. `initiator` is our role
 * as the IKE SA's original initiator (after an IKE rekey: the rekey
 * exchange's initiator): we seal with SK_ei/SK_ai and open with SK_er/SK_ar
 * when true, the reverse when false. Copies the keys it needs (the caller
 * may wipe *keys afterwards). rng: NULL = OpenSSL.
 * 0, -ENOTSUP, -EINVAL, -ENOMEM, -EIO. */
int ikc_sk_new(const struct ikc_suite *suite, const struct ikc_ike_keys *keys,
	       bool initiator, const struct ikc_rng *rng, struct ikc_sk **out);

/* Wipes keys and frees; NULL-safe. */
void ikc_sk_free(struct ikc_sk *sk);

/* Length of the SK body (IV + encrypted data + ICV) for plain_len octets of
 * inner payloads; write the SK generic header's Payload Length as
 * 4 + this (and the IKE header's Length) before sealing. */
size_t ikc_sk_body_len(const struct ikc_sk *sk, size_t plain_len);

/* Overhead bounds, for fragmentation planning: body_len(n) <= n + this. */
size_t ikc_sk_max_overhead(const struct ikc_sk *sk);

/* Seal: writes ikc_sk_body_len(plain_len) octets at msg + hdr_len.
 * msg_cap must cover hdr_len + that. plain may not overlap the output.
 * 0, -ENOSPC, -EINVAL, -EIO. */
int ikc_sk_seal(struct ikc_sk *sk, uint8_t *msg, size_t msg_cap,
		size_t hdr_len, const uint8_t *plain, size_t plain_len);

/* Open: verifies and decrypts the SK body msg[hdr_len .. msg_len) into
 * plain (the inner payloads, padding and Pad Length removed).
 * plain_cap >= msg_len - hdr_len always suffices.
 * 0; -EBADMSG (authentication or format failure: drop the message, no
 * state changed); -ENOSPC; -EINVAL; -EIO. */
int ikc_sk_open(struct ikc_sk *sk, const uint8_t *msg, size_t hdr_len,
		size_t msg_len, uint8_t *plain, size_t plain_cap,
		size_t *plain_len);

#endif
