/* ikc_auth.c — PSK AUTH payload value (RFC 7296 §2.15). */
#include "ikc_auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ikc_alg.h"
#include "ikc_prf.h"

/* "the string "Key Pad for IKEv2" is 17 ASCII characters without null
 * termination" */
static const uint8_t key_pad[17] = "Key Pad for IKEv2";

int ikc_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		 const struct ikc_auth_input *in, uint8_t *out,
		 size_t *out_len)
{
	const struct ikc_prf_alg *a = ikc_prf_find(prf);
	uint8_t padkey[IKC_MAX_PRF_LEN], maced_id[IKC_MAX_PRF_LEN];
	int rc;

	if (!a)
		return -ENOTSUP;
	if (!psk || !psk_len || !in || !out || !out_len || !in->real_msg ||
	    !in->nonce || !in->sk_p || !in->id_body)
		return -EINVAL;
	/* MACedIDForI = prf(SK_pi, RestOfInitIDPayload) */
	struct ikc_buf id = { in->id_body, in->id_body_len };
	rc = ikc_prf(prf, in->sk_p, in->sk_p_len, &id, 1, maced_id);
	/* prf(Shared Secret, "Key Pad for IKEv2") */
	struct ikc_buf pad = { key_pad, sizeof(key_pad) };
	if (rc == 0)
		rc = ikc_prf(prf, psk, psk_len, &pad, 1, padkey);
	/* AUTH = prf(that, RealMessage | Nonce | MACedID) */
	struct ikc_buf signed_octets[] = {
		{ in->real_msg, in->real_msg_len },
		{ in->nonce, in->nonce_len },
		{ maced_id, a->out_len },
	};
	if (rc == 0)
		rc = ikc_prf(prf, padkey, a->out_len, signed_octets, 3, out);
	if (rc == 0)
		*out_len = a->out_len;
	OPENSSL_cleanse(padkey, sizeof(padkey));
	OPENSSL_cleanse(maced_id, sizeof(maced_id));
	return rc;
}

int ikc_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
			const struct ikc_auth_input *in,
			const uint8_t *auth, size_t auth_len)
{
	uint8_t want[IKC_MAX_PRF_LEN];
	size_t want_len = 0;

	if (!auth)
		return -EINVAL;
	int rc = ikc_auth_psk(prf, psk, psk_len, in, want, &want_len);
	if (rc == 0)
		rc = (auth_len == want_len &&
		      CRYPTO_memcmp(want, auth, want_len) == 0) ? 0 : -EBADMSG;
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}
