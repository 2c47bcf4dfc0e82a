/* ha_wire.h — RFC 6311 notifications on the wire: build them exactly, and
 * decide strictly whether a decrypted IKE message is a synchronization
 * request or response (PROTOCOL.md §1.7).
 *
 *   N(IKEV2_MESSAGE_ID_SYNC)      16422, data 12: Nonce Data (4),
 *                                 EXPECTED_SEND_REQ_MESSAGE_ID (4),
 *                                 EXPECTED_RECV_REQ_MESSAGE_ID (4)
 *   N(IPSEC_REPLAY_COUNTER_SYNC)  16423, data 4 (no ESN) or 8 (ESN):
 *                                 Incoming IPsec SA delta value
 *
 * The two counters are always in the sender's view (RFC 6311 §6.3): a
 * request carries (nonce, M1, P1), the response (nonce, P2, M2).
 *
 * Classification never looks at anything but the decoded payloads of a
 * message that the engine has already authenticated and decrypted; it has
 * no state and no side effects. Every rejection names the check that failed
 * (enum haw_why) so the caller can log it and count it. */
#ifndef IPSECHA_HA_WIRE_H
#define IPSECHA_HA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define HAW_NONCE_LEN       4
#define HAW_MID_SYNC_LEN    12      /* RFC 6311 §6.3 */
#define HAW_RC_LEN_32       4       /* §6.4, Child SAs without ESN */
#define HAW_RC_LEN_64       8       /* §6.4, Child SAs with ESN */

/* One IKEV2_MESSAGE_ID_SYNC, in the sender's view. */
struct haw_mid {
	uint8_t nonce[HAW_NONCE_LEN];
	uint32_t send;          /* EXPECTED_SEND_REQ_MESSAGE_ID */
	uint32_t recv;          /* EXPECTED_RECV_REQ_MESSAGE_ID */
};

/* A decoded synchronization message. */
struct haw_sync {
	bool has_mid;
	struct haw_mid mid;
	bool has_rc;
	uint8_t rc_len;         /* 4 or 8 */
	uint64_t delta;
};

/* Why a message is not (a valid) synchronization message. */
enum haw_why {
	HAW_OK = 0,
	HAW_NOT_INFORMATIONAL,  /* exchange type is not INFORMATIONAL */
	HAW_MID_NOT_ZERO,       /* §5.1: "MUST both be sent with a Message ID value of zero" */
	HAW_NO_MID_NOTIFY,      /* no IKEV2_MESSAGE_ID_SYNC at all */
	HAW_EXTRA_PAYLOAD,      /* §5.1: "MUST NOT contain any additional payloads" */
	HAW_DUP_NOTIFY,         /* the same sync notify twice */
	HAW_SPI_SIZE,           /* §6.3/§6.4: "The 'SPI Size' field MUST be set to 0" */
	HAW_MID_LEN,            /* 16422 data is not exactly 12 octets */
	HAW_RC_LEN,             /* 16423 data is neither 4 nor 8 octets */
	HAW_RC_IN_RESPONSE,     /* §6.4: "only sent by the cluster" (never in a response) */
	HAW_NOT_RESPONSE,       /* a request where a response was expected */
	HAW_NOT_REQUEST,        /* and the reverse */
};

const char *haw_why_str(enum haw_why why);

/* Is m (authenticated, decrypted) an RFC 6311 §5.1 synchronization request:
 * INFORMATIONAL, Message ID 0, a request, exactly one IKEV2_MESSAGE_ID_SYNC
 * and at most one IPSEC_REPLAY_COUNTER_SYNC, nothing else, SPI Size 0 and
 * exact data lengths? HAW_OK and *out filled, else the reason (out
 * untouched). The Protocol ID is ignored on receipt (RFC 7296 §3.10: "If
 * the SPI field is empty, this field MUST be sent as zero and MUST be
 * ignored on receipt"). */
enum haw_why haw_parse_request(const struct ikm_msg *m, struct haw_sync *out);

/* Same for a response: Message ID 0, exactly one IKEV2_MESSAGE_ID_SYNC and
 * nothing else (§5.1). */
enum haw_why haw_parse_response(const struct ikm_msg *m, struct haw_mid *out);

/* RFC 6311 §5 case 2: a regular INFORMATIONAL request (Message ID not 0)
 * carrying one IPSEC_REPLAY_COUNTER_SYNC. HAW_OK and *out (has_rc) if m is
 * a request with exactly one well-formed 16423 and no 16422; other payloads
 * are left to the normal INFORMATIONAL processing. */
enum haw_why haw_parse_rc_only(const struct ikm_msg *m, struct haw_sync *out);

/* Append the notifies to a payload chain (the SK plaintext). rc_len 0: no
 * IPSEC_REPLAY_COUNTER_SYNC. The builder latches overflow; check with
 * ikm_build_end(). */
void haw_build_mid(struct ikm_builder *b, const struct haw_mid *mid);
/* rc_len 4 or 8; a 4-octet delta must fit 32 bits (-EINVAL otherwise,
 * nothing written). */
int haw_build_rc(struct ikm_builder *b, uint8_t rc_len, uint64_t delta);

/* The capability notifies of IKE_AUTH (§6.1, §6.2): header only. */
void haw_build_supported(struct ikm_builder *b, uint16_t type);

/* Does m carry a capability notify of type with SPI Size 0? (Data, of
 * which §6.1/§6.2 say there is none, is ignored.) */
bool haw_has_supported(const struct ikm_msg *m, uint16_t type);

#endif
