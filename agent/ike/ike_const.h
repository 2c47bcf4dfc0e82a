/* ike_const.h — IKEv2 protocol constants, all in one place, with the RFC
 * (and section) that assigns them. Values are IANA's; names follow the RFCs. */
#ifndef IPSECHA_IKE_CONST_H
#define IPSECHA_IKE_CONST_H

/* RFC 7296 §3.1: IKE header. */
enum {
	IKE_HDR_LEN       = 28,
	IKE_SPI_LEN       = 8,
	IKE_VERSION       = 0x20,   /* major 2, minor 0 */
	IKE_FLAG_I        = 0x08,   /* sender is the original initiator */
	IKE_FLAG_V        = 0x10,   /* "higher version" (never set by us) */
	IKE_FLAG_R        = 0x20,   /* message is a response */
	IKE_GEN_HDR_LEN   = 4,      /* §3.2 generic payload header */
	IKE_CRITICAL      = 0x80,   /* §3.2 C bit */
	/* RFC 7296 §2: "all IKEv2 implementations MUST be able to send,
	 * receive, and process IKE messages that are up to 1280 octets long". We
	 * accept up to 64 KiB (the length field's range) on receive. */
	IKE_MAX_MSG       = 65535,
	IKE_MIN_NONCE     = 16,     /* §3.9 nonce length 16..256 */
	IKE_MAX_NONCE     = 256,
};

/* RFC 7296 §3.1 Exchange Types. */
enum ike_exchange {
	IKE_SA_INIT       = 34,
	IKE_AUTH          = 35,
	CREATE_CHILD_SA   = 36,
	INFORMATIONAL     = 37,
};

/* RFC 7296 §3.2 Payload Types (+ RFC 7383 §2.5 SKF). */
enum ike_payload_type {
	PT_NONE = 0,
	PT_SA   = 33,  PT_KE   = 34,  PT_IDI  = 35,  PT_IDR  = 36,
	PT_CERT = 37,  PT_CERTREQ = 38, PT_AUTH = 39, PT_NONCE = 40,
	PT_N    = 41,  PT_D    = 42,  PT_V    = 43,  PT_TSI  = 44,
	PT_TSR  = 45,  PT_SK   = 46,  PT_CP   = 47,  PT_EAP  = 48,
	PT_SKF  = 53,
};

/* RFC 7296 §3.3.1 Protocol IDs. */
enum ike_proto {
	PROTO_IKE = 1,
	PROTO_AH  = 2,
	PROTO_ESP = 3,
};

/* RFC 7296 §3.3.2 Transform Types and the IDs we implement (RFC 3602, 4868,
 * 5282, 3526, 5903, 8031). */
enum ike_transform_type {
	TT_ENCR  = 1,
	TT_PRF   = 2,
	TT_INTEG = 3,
	TT_KE    = 4,   /* "Diffie-Hellman group" in RFC 7296 */
	TT_ESN   = 5,
};
enum {
	ENCR_AES_CBC      = 12,
	ENCR_AES_GCM_16   = 20,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
	AUTH_NONE                = 0,
	AUTH_HMAC_SHA2_256_128   = 12,
	AUTH_HMAC_SHA2_384_192   = 13,
	AUTH_HMAC_SHA2_512_256   = 14,
	KE_NONE     = 0,
	KE_MODP2048 = 14,
	KE_ECP256   = 19,
	KE_ECP384   = 20,
	KE_CURVE25519 = 31,
	ESN_NO  = 0,
	ESN_YES = 1,
};

/* RFC 7296 §3.3.5 Transform Attributes: Key Length, TV format (AF bit). */
enum {
	ATTR_AF         = 0x8000,
	ATTR_KEY_LENGTH = 14,
};

/* RFC 7296 §3.3.1/§3.3.2: "last" markers of proposal and transform substructures. */
enum {
	PROP_LAST = 0, PROP_MORE = 2,
	XFORM_LAST = 0, XFORM_MORE = 3,
};

/* RFC 7296 §3.5 ID Types. */
enum ike_id_type {
	ID_IPV4_ADDR   = 1,
	ID_FQDN        = 2,
	ID_RFC822_ADDR = 3,
	ID_IPV6_ADDR   = 5,
	ID_DER_ASN1_DN = 9,
	ID_DER_ASN1_GN = 10,
	ID_KEY_ID      = 11,
};

/* RFC 7296 §3.8 Authentication Methods. */
enum {
	AUTH_RSA_SIG    = 1,
	AUTH_SHARED_KEY = 2,   /* Shared Key Message Integrity Code */
	AUTH_DSS_SIG    = 3,
};

/* RFC 7296 §3.13.1 Traffic Selector types. */
enum {
	TS_IPV4_ADDR_RANGE = 7,
	TS_IPV6_ADDR_RANGE = 8,
};

/* RFC 7296 §3.15 Configuration payload types (parsed, not acted on). */
enum {
	CFG_REQUEST = 1, CFG_REPLY = 2, CFG_SET = 3, CFG_ACK = 4,
};

/* RFC 7296 §3.10.1 Notify Message Types — errors (< 16384). */
enum ike_notify {
	N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	N_INVALID_IKE_SPI              = 4,
	N_INVALID_MAJOR_VERSION        = 5,
	N_INVALID_SYNTAX               = 7,
	N_INVALID_MESSAGE_ID           = 9,
	N_INVALID_SPI                  = 11,
	N_NO_PROPOSAL_CHOSEN           = 14,
	N_INVALID_KE_PAYLOAD           = 17,
	N_AUTHENTICATION_FAILED        = 24,
	N_SINGLE_PAIR_REQUIRED         = 34,
	N_NO_ADDITIONAL_SAS            = 35,
	N_INTERNAL_ADDRESS_FAILURE     = 36,
	N_FAILED_CP_REQUIRED           = 37,
	N_TS_UNACCEPTABLE              = 38,
	N_INVALID_SELECTORS            = 39,
	N_TEMPORARY_FAILURE            = 43,
	N_CHILD_SA_NOT_FOUND           = 44,
	N_ERROR_MAX                    = 16383,
	/* status types (>= 16384) */
	N_INITIAL_CONTACT              = 16384,
	N_SET_WINDOW_SIZE              = 16385,
	N_ADDITIONAL_TS_POSSIBLE       = 16386,
	N_IPCOMP_SUPPORTED             = 16387,
	N_NAT_DETECTION_SOURCE_IP      = 16388,
	N_NAT_DETECTION_DESTINATION_IP = 16389,
	N_COOKIE                       = 16390,
	N_USE_TRANSPORT_MODE           = 16391,
	N_HTTP_CERT_LOOKUP_SUPPORTED   = 16392,
	N_REKEY_SA                     = 16393,
	N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	N_NON_FIRST_FRAGMENTS_ALSO     = 16395,
	N_MOBIKE_SUPPORTED             = 16396,   /* RFC 4555 */
	/* RFC 6311 §12 */
	N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED     = 16420,
	N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421,
	N_IKEV2_MESSAGE_ID_SYNC               = 16422,
	N_IPSEC_REPLAY_COUNTER_SYNC           = 16423,
	N_IKEV2_FRAGMENTATION_SUPPORTED       = 16430,   /* RFC 7383 */
	N_SIGNATURE_HASH_ALGORITHMS           = 16431,   /* RFC 7427 */
};

/* RFC 3948 §2.2: the non-ESP marker in front of IKE on UDP 4500, and §2.3
 * the one-octet NAT-keepalive. */
enum {
	IKE_PORT        = 500,
	IKE_NATT_PORT   = 4500,
	NON_ESP_MARKER_LEN = 4,
	NATT_KEEPALIVE  = 0xff,
};

#endif
