/* ikc_auth.h — IKE_AUTH with a pre-shared key (RFC 7296 §2.15).
 *
 *   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets> )
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 *   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)   (ID type, 3 reserved
 *                 octets, identification data: the ID payload after its
 *                 generic header)
 *
 * So for the initiator's AUTH pass: our IKE_SA_INIT request as sent, the
 * responder's nonce, SK_pi, the IDi body; for the responder's: its
 * IKE_SA_INIT response as sent, the initiator's nonce, SK_pr, the IDr body.
 * The verifier computes the same with the peer's values.
 * Auth Method is 2 (Shared Key Message Integrity Code). */
#ifndef IPSECHA_IKC_AUTH_H
#define IPSECHA_IKC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define IKC_AUTH_METHOD_PSK 2

/* Signed octets input (all borrowed). */
struct ikc_auth_input {
	const uint8_t *real_msg;  size_t real_msg_len;
	const uint8_t *nonce;     size_t nonce_len;  /* the OTHER side's */
	const uint8_t *sk_p;      size_t sk_p_len;   /* SK_pi or SK_pr */
	const uint8_t *id_body;   size_t id_body_len;
};

/* out gets prf out_len bytes (*out_len set). 0, -ENOTSUP, -EINVAL, -EIO. */
int ikc_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		 const struct ikc_auth_input *in, uint8_t *out,
		 size_t *out_len);

/* 0 when auth matches (constant-time compare), -EBADMSG when it does not
 * (including a wrong length), other -errno on failure. */
int ikc_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
			const struct ikc_auth_input *in,
			const uint8_t *auth, size_t auth_len);

#endif
