/* ha_wire.c — RFC 6311 notifications: encoding and strict classification;
 * see ha_wire.h. */
#include "ha_wire.h"

#include <string.h>

static const char *const why_names[] = {
	[HAW_OK] = "ok",
	[HAW_NOT_INFORMATIONAL] = "not an INFORMATIONAL exchange",
	[HAW_MID_NOT_ZERO] = "Message ID is not 0",
	[HAW_NO_MID_NOTIFY] = "no IKEV2_MESSAGE_ID_SYNC notify",
	[HAW_EXTRA_PAYLOAD] = "payloads other than the sync notifies",
	[HAW_DUP_NOTIFY] = "a sync notify appears twice",
	[HAW_SPI_SIZE] = "sync notify with a non-zero SPI Size",
	[HAW_MID_LEN] = "IKEV2_MESSAGE_ID_SYNC data is not 12 octets",
	[HAW_RC_LEN] = "IPSEC_REPLAY_COUNTER_SYNC data is neither 4 nor 8 octets",
	[HAW_RC_IN_RESPONSE] = "IPSEC_REPLAY_COUNTER_SYNC in a response",
	[HAW_NOT_RESPONSE] = "not a response",
	[HAW_NOT_REQUEST] = "not a request",
};

const char *haw_why_str(enum haw_why why)
{
	if ((unsigned)why < sizeof(why_names) / sizeof(why_names[0]) && why_names[why])
		return why_names[why];
	return "unknown";
}

/* RFC 6311 §6.3: Nonce Data (4), EXPECTED_SEND (4), EXPECTED_RECV (4),
 * "laid out in big endian order". */
static enum haw_why decode_mid(const struct ikm_pl_notify *n, struct haw_mid *out)
{
	struct cur c;

	if (n->spi_size != 0)
		return HAW_SPI_SIZE;
	if (n->data_len != HAW_MID_SYNC_LEN)
		return HAW_MID_LEN;
	c = cur_make(n->data, n->data_len);
	if (cur_bytes(&c, out->nonce, HAW_NONCE_LEN) || cur_u32(&c, &out->send) ||
	    cur_u32(&c, &out->recv))
		return HAW_MID_LEN;
	return HAW_OK;
}

/* §6.4: "Incoming IPsec SA delta value (4 or 8 octets)". Whether the size
 * matches the Child SAs' ESN setting is the caller's decision (it knows
 * the Child SAs). */
static enum haw_why decode_rc(const struct ikm_pl_notify *n, struct haw_sync *out)
{
	struct cur c;

	if (n->spi_size != 0)
		return HAW_SPI_SIZE;
	c = cur_make(n->data, n->data_len);
	if (n->data_len == HAW_RC_LEN_32) {
		uint32_t v;

		if (cur_u32(&c, &v))
			return HAW_RC_LEN;
		out->delta = v;
	} else if (n->data_len == HAW_RC_LEN_64) {
		if (cur_u64(&c, &out->delta))
			return HAW_RC_LEN;
	} else {
		return HAW_RC_LEN;
	}
	out->rc_len = (uint8_t)n->data_len;
	out->has_rc = true;
	return HAW_OK;
}

/* Walk the payloads: only 16422 and (requests) 16423 may appear, each at
 * most once. */
static enum haw_why collect(const struct ikm_msg *m, bool request, struct haw_sync *s)
{
	const struct ikm_pl_notify *mid = NULL, *rc = NULL;
	enum haw_why why;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < m->n; i++) {
		const struct ikm_payload *p = &m->pl[i];

		if (p->type == PT_N && p->u.n.type == N_IKEV2_MESSAGE_ID_SYNC) {
			if (mid)
				return HAW_DUP_NOTIFY;
			mid = &p->u.n;
		} else if (p->type == PT_N && p->u.n.type == N_IPSEC_REPLAY_COUNTER_SYNC) {
			/* §6.4: "This notification is only sent by the cluster". */
			if (!request)
				return HAW_RC_IN_RESPONSE;
			if (rc)
				return HAW_DUP_NOTIFY;
			rc = &p->u.n;
		} else {
			/* §5.1: "Both the request and the response MUST NOT
			 * contain any additional payloads, other than an
			 * optional IPSEC_REPLAY_COUNTER_SYNC notification in the
			 * request." */
			return HAW_EXTRA_PAYLOAD;
		}
	}
	if (!mid)
		return HAW_NO_MID_NOTIFY;
	if ((why = decode_mid(mid, &s->mid)) != HAW_OK)
		return why;
	s->has_mid = true;
	if (rc && (why = decode_rc(rc, s)) != HAW_OK)
		return why;
	return HAW_OK;
}

/* The header of a Message ID sync request (REQUEST) or response, then its
 * notifies. */
static enum haw_why parse_sync(const struct ikm_msg *m, bool request, struct haw_sync *s)
{
	if (m->hdr.exchange != INFORMATIONAL)
		return HAW_NOT_INFORMATIONAL;
	if (ikm_is_response(m) == request)
		return request ? HAW_NOT_REQUEST : HAW_NOT_RESPONSE;
	/* §5.1: "The request and the response MUST both be sent with a
	 * Message ID value of zero." */
	if (m->hdr.mid != 0)
		return HAW_MID_NOT_ZERO;
	return collect(m, request, s);
}

enum haw_why haw_parse_request(const struct ikm_msg *m, struct haw_sync *out)
{
	struct haw_sync s;
	enum haw_why why = parse_sync(m, true, &s);

	if (why == HAW_OK)
		*out = s;
	return why;
}

enum haw_why haw_parse_response(const struct ikm_msg *m, struct haw_mid *out)
{
	struct haw_sync s;
	enum haw_why why = parse_sync(m, false, &s);

	if (why == HAW_OK)
		*out = s.mid;
	return why;
}

enum haw_why haw_parse_rc_only(const struct ikm_msg *m, struct haw_sync *out)
{
	const struct ikm_pl_notify *rc = NULL;
	struct haw_sync s;
	enum haw_why why;

	if (m->hdr.exchange != INFORMATIONAL)
		return HAW_NOT_INFORMATIONAL;
	if (ikm_is_response(m))
		return HAW_NOT_REQUEST;
	for (unsigned i = 0; i < m->n; i++) {
		const struct ikm_payload *p = &m->pl[i];

		if (p->type != PT_N)
			continue;
		if (p->u.n.type == N_IKEV2_MESSAGE_ID_SYNC)
			return HAW_EXTRA_PAYLOAD;   /* that is a §5 case 1/3 message */
		if (p->u.n.type == N_IPSEC_REPLAY_COUNTER_SYNC) {
			if (rc)
				return HAW_DUP_NOTIFY;
			rc = &p->u.n;
		}
	}
	if (!rc)
		return HAW_NO_MID_NOTIFY;
	memset(&s, 0, sizeof(s));
	if ((why = decode_rc(rc, &s)) != HAW_OK)
		return why;
	*out = s;
	return HAW_OK;
}

void haw_build_mid(struct ikm_builder *b, const struct haw_mid *mid)
{
	uint8_t data[HAW_MID_SYNC_LEN];

	memcpy(data, mid->nonce, HAW_NONCE_LEN);
	put_be32(data + 4, mid->send);
	put_be32(data + 8, mid->recv);
	/* §6.3: Protocol ID 0, SPI Size 0. */
	ikm_build_notify(b, 0, NULL, 0, N_IKEV2_MESSAGE_ID_SYNC, data, sizeof(data));
}

int haw_build_rc(struct ikm_builder *b, uint8_t rc_len, uint64_t delta)
{
	uint8_t data[HAW_RC_LEN_64];

	if (rc_len == HAW_RC_LEN_32) {
		if (delta > UINT32_MAX)
			return -EINVAL;
		put_be32(data, (uint32_t)delta);
	} else if (rc_len == HAW_RC_LEN_64) {
		put_be64(data, delta);
	} else {
		return -EINVAL;
	}
	ikm_build_notify(b, 0, NULL, 0, N_IPSEC_REPLAY_COUNTER_SYNC, data, rc_len);
	return 0;
}

void haw_build_supported(struct ikm_builder *b, uint16_t type)
{
	/* §6.1/§6.2: "There is no data associated with this notification." */
	ikm_build_notify(b, 0, NULL, 0, type, NULL, 0);
}

bool haw_has_supported(const struct ikm_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct ikm_payload *p = &m->pl[i];

		if (p->type == PT_N && p->u.n.type == type && p->u.n.spi_size == 0)
			return true;
	}
	return false;
}
