/* msg.h — IKEv2 message codec (RFC 7296 §3, RFC 7383 §2.5).
 *
 * Parsing is two-stage, like the protocol:
 *   1. ikm_parse() checks the fixed header and walks the outer payload
 *      chain. Unencrypted payloads are decoded; an Encrypted payload (SK, or
 *      SKF) must be last and is recorded as an opaque body for the crypto
 *      layer (msg->sk).
 *   2. after the SK payload has been verified and decrypted,
 *      ikm_parse_inner() walks the plaintext chain and appends its payloads.
 * Every payload is fully validated when it is decoded (lengths, counts,
 * substructure "last" markers, sizes fixed by the RFC), so consumers can walk
 * decoded payloads without further checks. Decoded payloads point into the
 * caller's buffers (the datagram and the plaintext): keep both alive while
 * the message is used. Parsing never allocates.
 *
 * Building mirrors it: ikm_build_*() append payloads to a struct ikm_builder
 * (a header plus a chain, or a bare chain for an SK plaintext) and patch the
 * Next Payload and length fields as they go.
 *
 * Which payloads an exchange may carry is not checked here but by the rule
 * tables in rules.h. */
#ifndef IPSECHA_IKE_MSG_H
#define IPSECHA_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "ike_const.h"

#define IKM_MAX_PAYLOADS 64   /* per message, outer + inner */
#define IKM_MAX_PROPS    32   /* proposals in one SA payload */
#define IKM_MAX_XF       64   /* transforms in one proposal */
#define IKM_MAX_TS       16   /* selectors in one TS payload */
#define IKM_MAX_SPI      8

/* Why a message was rejected (for logs, stats and the error notify). */
enum ikm_err {
	IKM_OK = 0,
	IKM_E_SHORT,        /* shorter than its fixed part */
	IKM_E_LENGTH,       /* a length field disagrees with the data */
	IKM_E_VERSION,      /* major version != 2 */
	IKM_E_EXCHANGE,     /* unknown exchange type */
	IKM_E_CRITICAL,     /* unknown payload type with the critical bit */
	IKM_E_SYNTAX,       /* a payload's contents are malformed */
	IKM_E_SK_POS,       /* SK/SKF not last, or twice */
	IKM_E_TOO_MANY,     /* more payloads than IKM_MAX_PAYLOADS */
	IKM_E_RULES,        /* payloads not allowed for this exchange (rules.c) */
};

struct ikm_hdr {
	uint8_t spi_i[IKE_SPI_LEN];
	uint8_t spi_r[IKE_SPI_LEN];
	uint8_t np;        /* first payload */
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t mid;
	uint32_t length;
};

/* One transform as carried in a proposal (unknown IDs are kept: the
 * selection code skips them). */
struct ikm_xf {
	uint8_t type;
	uint16_t id;
	uint16_t keybits;       /* Key Length attribute, 0 = absent */
	bool unknown_attr;      /* an attribute we do not understand (§3.3.6:
	                         * such a transform must not be selected) */
};

struct ikm_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_size;
	uint8_t n_xf;
	uint8_t spi[IKM_MAX_SPI];
	struct ikm_xf xf[IKM_MAX_XF];
};

struct ikm_ts {
	uint8_t type;           /* TS_IPV4_ADDR_RANGE / TS_IPV6_ADDR_RANGE */
	uint8_t ip_proto;       /* 0 = any */
	uint16_t start_port, end_port;
	uint8_t start[16], end[16];   /* 4 or 16 bytes used */
};

struct ikm_pl_sa     { const uint8_t *p; uint16_t len; uint8_t n_props; };
struct ikm_pl_ke     { uint16_t group; const uint8_t *data; uint16_t len; };
struct ikm_pl_id {
	uint8_t type;
	const uint8_t *data; uint16_t len;
	/* RFC 7296 §2.15 "RestOfInitIDPayload": the body after the generic
	 * header (ID Type, RESERVED, data), input to the AUTH prf. */
	const uint8_t *body; uint16_t body_len;
};
struct ikm_pl_auth   { uint8_t method; const uint8_t *data; uint16_t len; };
struct ikm_pl_nonce  { const uint8_t *data; uint16_t len; };
struct ikm_pl_notify {
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data; uint16_t data_len;
};
struct ikm_pl_delete { uint8_t proto, spi_size; uint16_t n_spi; const uint8_t *spis; };
struct ikm_pl_ts     { uint8_t n; const uint8_t *p; uint16_t len; };
struct ikm_pl_cert   { uint8_t encoding; const uint8_t *data; uint16_t len; };
struct ikm_pl_cp     { uint8_t type; const uint8_t *attrs; uint16_t len; };
struct ikm_pl_raw    { const uint8_t *data; uint16_t len; };   /* V, EAP */
struct ikm_pl_skf    { uint16_t frag_num, total; };

struct ikm_payload {
	uint8_t type;
	bool critical;
	bool encrypted;          /* came from inside SK */
	const uint8_t *raw;      /* generic header onwards */
	uint16_t raw_len;
	union {
		struct ikm_pl_sa sa;
		struct ikm_pl_ke ke;
		struct ikm_pl_id id;
		struct ikm_pl_auth auth;
		struct ikm_pl_nonce nonce;
		struct ikm_pl_notify n;
		struct ikm_pl_delete d;
		struct ikm_pl_ts ts;
		struct ikm_pl_cert cert;
		struct ikm_pl_cp cp;
		struct ikm_pl_raw raw;
		struct ikm_pl_skf skf;
	} u;
};

struct ikm_msg {
	struct ikm_hdr hdr;
	const uint8_t *pkt;      /* the datagram (IKE header onwards) */
	size_t pkt_len;
	/* The Encrypted payload, when present (type PT_SK or PT_SKF). */
	uint8_t sk_type;         /* 0 = none */
	uint8_t sk_np;           /* first inner payload type */
	size_t sk_off;           /* offset of its generic header in pkt */
	const uint8_t *sk_body;  /* after the generic header (and SKF fields) */
	size_t sk_body_len;
	struct ikm_pl_skf skf;
	bool inner_done;
	unsigned n;
	struct ikm_payload pl[IKM_MAX_PAYLOADS];
	/* Detail of the last error. */
	enum ikm_err err;
	uint8_t err_payload;     /* payload type concerned (E_CRITICAL: the
	                          * type to put in UNSUPPORTED_CRITICAL_PAYLOAD) */
	const char *err_what;    /* static text for logs */
};

static inline bool ikm_is_response(const struct ikm_msg *m)
{
	return m->hdr.flags & IKE_FLAG_R;
}

static inline bool ikm_from_initiator(const struct ikm_msg *m)
{
	return m->hdr.flags & IKE_FLAG_I;
}

/* Parse the fixed header only (for dispatch before anything else): 0, or
 * -EBADMSG if fewer than IKE_HDR_LEN bytes. No other check. */
int ikm_peek_hdr(const uint8_t *pkt, size_t len, struct ikm_hdr *hdr);

/* Stage 1. 0 on success, -EBADMSG (msg->err says why). */
int ikm_parse(struct ikm_msg *msg, const uint8_t *pkt, size_t len);

/* Stage 2: parse the decrypted SK plaintext (payload chain only, padding
 * already removed), starting with type msg->sk_np. */
int ikm_parse_inner(struct ikm_msg *msg, const uint8_t *plain, size_t len);

/* Lookup helpers over the decoded payloads. */
const struct ikm_payload *ikm_find(const struct ikm_msg *msg, uint8_t type);
const struct ikm_payload *ikm_find_next(const struct ikm_msg *msg,
					const struct ikm_payload *after, uint8_t type);
unsigned ikm_count(const struct ikm_msg *msg, uint8_t type);
const struct ikm_pl_notify *ikm_find_notify(const struct ikm_msg *msg, uint16_t type);
/* First notify with an error type (< 16384), or NULL. */
const struct ikm_pl_notify *ikm_find_error(const struct ikm_msg *msg);

/* Decode the proposals of a validated SA payload into out[0..max). Returns
 * the number decoded (the payload was validated, so this cannot fail). */
unsigned ikm_sa_proposals(const struct ikm_pl_sa *sa, struct ikm_proposal *out,
			  unsigned max);
/* Decode the selectors of a validated TS payload. */
unsigned ikm_ts_list(const struct ikm_pl_ts *ts, struct ikm_ts *out, unsigned max);

const char *ikm_err_str(enum ikm_err e);
const char *ikm_exchange_name(uint8_t exch);
const char *ikm_payload_name(uint8_t type);
const char *ikm_notify_name(uint16_t type);

/* ---- building ---- */

struct ikm_builder {
	struct wbuf w;
	size_t np_off;     /* where to write the next payload's type */
	size_t hdr_off;    /* IKE header offset, or SIZE_MAX for a bare chain */
	uint8_t first_np;  /* for a bare chain: the first payload's type */
};

/* Start a message: writes the IKE header (length patched by ikm_build_end).
 * hdr->np and hdr->length are ignored. */
void ikm_build_begin(struct ikm_builder *b, void *buf, size_t cap,
		     const struct ikm_hdr *hdr);
/* Start a bare payload chain (the plaintext of an SK payload). */
void ikm_build_chain(struct ikm_builder *b, void *buf, size_t cap);

/* Append a generic payload with the given body; returns a pointer to the
 * body in the buffer (NULL on overflow). Critical bit as given. */
uint8_t *ikm_build_raw(struct ikm_builder *b, uint8_t type, bool critical,
		       const void *body, size_t len);

void ikm_build_sa(struct ikm_builder *b, const struct ikm_proposal *props, unsigned n);
void ikm_build_ke(struct ikm_builder *b, uint16_t group, const void *data, size_t len);
void ikm_build_id(struct ikm_builder *b, uint8_t pt, uint8_t id_type,
		  const void *data, size_t len);
void ikm_build_auth(struct ikm_builder *b, uint8_t method, const void *data, size_t len);
void ikm_build_nonce(struct ikm_builder *b, const void *data, size_t len);
void ikm_build_notify(struct ikm_builder *b, uint8_t proto, const void *spi,
		      uint8_t spi_size, uint16_t type, const void *data, size_t len);
void ikm_build_delete(struct ikm_builder *b, uint8_t proto, uint8_t spi_size,
		      const void *spis, uint16_t n_spi);
void ikm_build_ts(struct ikm_builder *b, uint8_t pt, const struct ikm_ts *ts, unsigned n);
void ikm_build_vendor(struct ikm_builder *b, const void *data, size_t len);
void ikm_build_cp(struct ikm_builder *b, uint8_t cfg_type, const void *attrs, size_t len);
void ikm_build_cert(struct ikm_builder *b, uint8_t pt, uint8_t encoding,
		    const void *data, size_t len);
/* Encrypted payload header: writes the generic header (Next Payload =
 * inner_np, length = 4 + body_len) and reserves body_len bytes, which it
 * returns for the crypto layer to fill (IV, ciphertext, ICV). */
uint8_t *ikm_build_sk(struct ikm_builder *b, uint8_t inner_np, size_t body_len);

/* Finish: patch the IKE header length. Returns the total length, or
 * -ENOSPC if anything did not fit. */
int ikm_build_end(struct ikm_builder *b);

#endif
