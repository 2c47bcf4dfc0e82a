/* msg.c — IKEv2 message codec; see msg.h. */
#include "msg.h"

#include <stdio.h>

static int fail(struct ikm_msg *m, enum ikm_err e, uint8_t pt, const char *what)
{
	m->err = e;
	m->err_payload = pt;
	m->err_what = what;
	return -EBADMSG;
}

int ikm_peek_hdr(const uint8_t *pkt, size_t len, struct ikm_hdr *h)
{
	struct cur c = cur_make(pkt, len);

	if (len < IKE_HDR_LEN)
		return -EBADMSG;
	cur_bytes(&c, h->spi_i, IKE_SPI_LEN);
	cur_bytes(&c, h->spi_r, IKE_SPI_LEN);
	cur_u8(&c, &h->np);
	cur_u8(&c, &h->version);
	cur_u8(&c, &h->exchange);
	cur_u8(&c, &h->flags);
	cur_u32(&c, &h->mid);
	cur_u32(&c, &h->length);
	return 0;
}

/* ---- payload bodies ---- */

/* RFC 7296 §3.3.5: attributes are TV (AF=1, 2-byte value) or TLV. Only Key
 * Length (TV) is defined for IKEv2. */
static int parse_attrs(struct cur c, struct ikm_xf *xf)
{
	while (c.left) {
		uint16_t t, v;

		if (cur_u16(&c, &t) || cur_u16(&c, &v))
			return -EBADMSG;
		if (t & ATTR_AF) {
			if ((t & ~ATTR_AF) == ATTR_KEY_LENGTH) {
				if (xf->keybits)   /* twice: malformed */
					return -EBADMSG;
				xf->keybits = v;
			} else {
				xf->unknown_attr = true;
			}
		} else {
			if (cur_skip(&c, v))
				return -EBADMSG;
			xf->unknown_attr = true;
		}
	}
	return 0;
}

/* Decode one proposal substructure; *last gets its Last Substruc field. */
static int parse_proposal(struct cur *c, struct ikm_proposal *p, uint8_t *last)
{
	uint8_t res, more;
	uint16_t plen;
	struct cur pc;

	if (cur_u8(c, last) || cur_u8(c, &res) || cur_u16(c, &plen))
		return -EBADMSG;
	if (*last != PROP_LAST && *last != PROP_MORE)
		return -EBADMSG;
	if (plen < 8 || cur_sub(c, &pc, plen - 4u))
		return -EBADMSG;
	if (cur_u8(&pc, &p->num) || cur_u8(&pc, &p->proto) ||
	    cur_u8(&pc, &p->spi_size) || cur_u8(&pc, &p->n_xf))
		return -EBADMSG;
	if (p->spi_size > IKM_MAX_SPI || cur_bytes(&pc, p->spi, p->spi_size))
		return -EBADMSG;
	if (p->n_xf == 0 || p->n_xf > IKM_MAX_XF)
		return -EBADMSG;
	for (unsigned i = 0; i < p->n_xf; i++) {
		struct ikm_xf *xf = &p->xf[i];
		uint16_t tlen;
		uint8_t r2;
		struct cur tc;

		memset(xf, 0, sizeof(*xf));
		if (cur_u8(&pc, &more) || cur_u8(&pc, &res) || cur_u16(&pc, &tlen))
			return -EBADMSG;
		/* §3.3.2: "Last Substruc ... 0 if this was the last Transform
		 * Substructure, and a value of 3 if there are more". */
		if (more != (i + 1 == p->n_xf ? XFORM_LAST : XFORM_MORE))
			return -EBADMSG;
		if (tlen < 8 || cur_sub(&pc, &tc, tlen - 4u))
			return -EBADMSG;
		if (cur_u8(&tc, &xf->type) || cur_u8(&tc, &r2) || cur_u16(&tc, &xf->id))
			return -EBADMSG;
		if (parse_attrs(tc, xf))
			return -EBADMSG;
	}
	/* The transforms must fill the proposal exactly. */
	return pc.left ? -EBADMSG : 0;
}

static int parse_sa(struct cur c, struct ikm_pl_sa *sa)
{
	struct ikm_proposal p;
	uint8_t last = PROP_MORE;

	sa->p = c.p;
	sa->len = (uint16_t)c.left;
	sa->n_props = 0;
	while (c.left) {
		if (last != PROP_MORE)   /* data after the "last" proposal */
			return -EBADMSG;
		if (sa->n_props == IKM_MAX_PROPS || parse_proposal(&c, &p, &last))
			return -EBADMSG;
		sa->n_props++;
	}
	return sa->n_props && last == PROP_LAST ? 0 : -EBADMSG;
}

unsigned ikm_sa_proposals(const struct ikm_pl_sa *sa, struct ikm_proposal *out,
			  unsigned max)
{
	struct cur c = cur_make(sa->p, sa->len);
	unsigned n = 0;
	uint8_t last;

	while (c.left && n < max && !parse_proposal(&c, &out[n], &last))
		n++;
	return n;
}

static int parse_ts_one(struct cur *c, struct ikm_ts *ts)
{
	uint16_t len;
	struct cur tc;
	unsigned alen;

	memset(ts, 0, sizeof(*ts));
	if (cur_u8(c, &ts->type) || cur_u8(c, &ts->ip_proto) || cur_u16(c, &len))
		return -EBADMSG;
	if (len < 8 || cur_sub(c, &tc, len - 4u))
		return -EBADMSG;
	if (cur_u16(&tc, &ts->start_port) || cur_u16(&tc, &ts->end_port))
		return -EBADMSG;
	/* §3.13.1: 16 octets for IPv4 ranges, 40 for IPv6. Other types are
	 * kept opaque (they are never selected). */
	if (ts->type == TS_IPV4_ADDR_RANGE)
		alen = 4;
	else if (ts->type == TS_IPV6_ADDR_RANGE)
		alen = 16;
	else
		return 0;
	if (tc.left != 2 * alen)
		return -EBADMSG;
	cur_bytes(&tc, ts->start, alen);
	cur_bytes(&tc, ts->end, alen);
	return 0;
}

static int parse_ts(struct cur c, struct ikm_pl_ts *ts)
{
	struct ikm_ts t;
	uint8_t n;

	if (cur_u8(&c, &n) || cur_skip(&c, 3))
		return -EBADMSG;
	if (n == 0 || n > IKM_MAX_TS)
		return -EBADMSG;
	ts->n = n;
	ts->p = c.p;
	ts->len = (uint16_t)c.left;
	for (unsigned i = 0; i < n; i++)
		if (parse_ts_one(&c, &t))
			return -EBADMSG;
	return c.left ? -EBADMSG : 0;
}

unsigned ikm_ts_list(const struct ikm_pl_ts *ts, struct ikm_ts *out, unsigned max)
{
	struct cur c = cur_make(ts->p, ts->len);
	unsigned n = 0;

	while (n < ts->n && n < max && !parse_ts_one(&c, &out[n]))
		n++;
	return n;
}

/* RFC 7296 §3.15.1: configuration attributes R|type(15), length, value. */
static int check_cp_attrs(struct cur c)
{
	while (c.left) {
		uint16_t t, len;

		if (cur_u16(&c, &t) || cur_u16(&c, &len) || cur_skip(&c, len))
			return -EBADMSG;
	}
	return 0;
}

static int decode_body(struct ikm_payload *pl, struct cur c, bool outer)
{
	const uint8_t *body = c.p;
	uint16_t blen = (uint16_t)c.left;
	uint8_t u8;

	switch (pl->type) {
	case PT_SA:
		return parse_sa(c, &pl->u.sa);
	case PT_KE:
		if (cur_u16(&c, &pl->u.ke.group) || cur_skip(&c, 2) || c.left == 0)
			return -EBADMSG;
		pl->u.ke.data = c.p;
		pl->u.ke.len = (uint16_t)c.left;
		return 0;
	case PT_IDI:
	case PT_IDR:
		if (cur_u8(&c, &pl->u.id.type) || cur_skip(&c, 3) || c.left == 0)
			return -EBADMSG;
		/* §3.5: IPv4 addresses are four octets, IPv6 sixteen. */
		if ((pl->u.id.type == ID_IPV4_ADDR && c.left != 4) ||
		    (pl->u.id.type == ID_IPV6_ADDR && c.left != 16))
			return -EBADMSG;
		pl->u.id.data = c.p;
		pl->u.id.len = (uint16_t)c.left;
		pl->u.id.body = body;
		pl->u.id.body_len = blen;
		return 0;
	case PT_AUTH:
		if (cur_u8(&c, &pl->u.auth.method) || cur_skip(&c, 3) || c.left == 0)
			return -EBADMSG;
		pl->u.auth.data = c.p;
		pl->u.auth.len = (uint16_t)c.left;
		return 0;
	case PT_NONCE:
		/* §3.9: "The size of the Nonce Data MUST be between 16 and 256
		 * octets, inclusive." */
		if (c.left < IKE_MIN_NONCE || c.left > IKE_MAX_NONCE)
			return -EBADMSG;
		pl->u.nonce.data = c.p;
		pl->u.nonce.len = (uint16_t)c.left;
		return 0;
	case PT_N: {
		struct ikm_pl_notify *n = &pl->u.n;

		if (cur_u8(&c, &n->proto) || cur_u8(&c, &n->spi_size) ||
		    cur_u16(&c, &n->type) || cur_ref(&c, &n->spi, n->spi_size))
			return -EBADMSG;
		n->data = c.p;
		n->data_len = (uint16_t)c.left;
		return 0;
	}
	case PT_D: {
		struct ikm_pl_delete *d = &pl->u.d;

		if (cur_u8(&c, &d->proto) || cur_u8(&c, &d->spi_size) ||
		    cur_u16(&c, &d->n_spi))
			return -EBADMSG;
		/* §3.11: "For an IKE SA, the SPI Size is 0"; ESP and AH
		 * SPIs are four octets; the SPIs fill the payload. */
		if (d->proto == PROTO_IKE) {
			if (d->spi_size != 0 || d->n_spi != 0)
				return -EBADMSG;
		} else if (d->proto == PROTO_ESP || d->proto == PROTO_AH) {
			if (d->spi_size != 4 || d->n_spi == 0)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
		if (c.left != (size_t)d->spi_size * d->n_spi)
			return -EBADMSG;
		d->spis = c.p;
		return 0;
	}
	case PT_TSI:
	case PT_TSR:
		return parse_ts(c, &pl->u.ts);
	case PT_CERT:
	case PT_CERTREQ:
		if (cur_u8(&c, &pl->u.cert.encoding))
			return -EBADMSG;
		pl->u.cert.data = c.p;
		pl->u.cert.len = (uint16_t)c.left;
		return 0;
	case PT_CP:
		if (cur_u8(&c, &pl->u.cp.type) || cur_skip(&c, 3))
			return -EBADMSG;
		pl->u.cp.attrs = c.p;
		pl->u.cp.len = (uint16_t)c.left;
		return check_cp_attrs(c);
	case PT_EAP: {
		uint16_t elen;

		/* RFC 3748 §4: Code, Identifier, Length (whole packet). */
		if (cur_u8(&c, &u8) || cur_u8(&c, &u8) || cur_u16(&c, &elen) ||
		    elen != blen)
			return -EBADMSG;
		pl->u.raw.data = body;
		pl->u.raw.len = blen;
		return 0;
	}
	case PT_V:
		pl->u.raw.data = body;
		pl->u.raw.len = blen;
		return 0;
	default:
		(void)outer;
		return -EBADMSG;
	}
}

static bool known_type(uint8_t t)
{
	return (t >= PT_SA && t <= PT_EAP) || t == PT_SKF;
}

/* Walk a payload chain starting with type np over c. */
static int walk(struct ikm_msg *m, struct cur c, uint8_t np, bool inner)
{
	while (np != PT_NONE) {
		const uint8_t *start = c.p;
		uint8_t next, flags;
		uint16_t len;
		struct cur body;

		if (cur_u8(&c, &next) || cur_u8(&c, &flags) || cur_u16(&c, &len))
			return fail(m, IKM_E_LENGTH, np, "payload header past the end");
		if (len < IKE_GEN_HDR_LEN || cur_sub(&c, &body, len - IKE_GEN_HDR_LEN))
			return fail(m, IKM_E_LENGTH, np, "payload length past the end");
		if (np == PT_SK || np == PT_SKF) {
			/* §3.14: "The Encrypted payload, if present in a
			 * message, MUST be the last payload in the message."
			 * Its Next Payload names the first inner payload. */
			if (inner || m->sk_type)
				return fail(m, IKM_E_SK_POS, np, "nested Encrypted payload");
			if (c.left)
				return fail(m, IKM_E_SK_POS, np, "Encrypted payload not last");
			m->sk_type = np;
			m->sk_np = next;
			m->sk_off = (size_t)(start - m->pkt);
			if (np == PT_SKF) {
				/* RFC 7383 §2.5: Fragment Number and Total
				 * Fragments, both >= 1, number <= total. */
				if (cur_u16(&body, &m->skf.frag_num) ||
				    cur_u16(&body, &m->skf.total) ||
				    m->skf.frag_num == 0 || m->skf.frag_num > m->skf.total)
					return fail(m, IKM_E_SYNTAX, np, "bad fragment numbers");
			}
			m->sk_body = body.p;
			m->sk_body_len = body.left;
			return 0;
		}
		if (!known_type(np)) {
			/* §2.5: unknown + critical: reject the message and
			 * answer UNSUPPORTED_CRITICAL_PAYLOAD; unknown and not
			 * critical: skip it. */
			if (flags & IKE_CRITICAL)
				return fail(m, IKM_E_CRITICAL, np, "unsupported critical payload");
			np = next;
			continue;
		}
		if (m->n == IKM_MAX_PAYLOADS)
			return fail(m, IKM_E_TOO_MANY, np, "too many payloads");
		struct ikm_payload *pl = &m->pl[m->n];

		memset(pl, 0, sizeof(*pl));
		pl->type = np;
		pl->critical = flags & IKE_CRITICAL;
		pl->encrypted = inner;
		pl->raw = start;
		pl->raw_len = len;
		if (decode_body(pl, body, !inner))
			return fail(m, IKM_E_SYNTAX, np, "malformed payload");
		m->n++;
		np = next;
	}
	if (c.left)
		return fail(m, IKM_E_LENGTH, PT_NONE, "bytes after the last payload");
	return 0;
}

int ikm_parse(struct ikm_msg *m, const uint8_t *pkt, size_t len)
{
	memset(m, 0, offsetof(struct ikm_msg, pl));
	m->pkt = pkt;
	m->pkt_len = len;
	if (ikm_peek_hdr(pkt, len, &m->hdr))
		return fail(m, IKM_E_SHORT, PT_NONE, "shorter than the IKE header");
	/* §3.1: "Length (4 octets, unsigned integer) - Length of the total
	 * message (header + payloads) in octets." It must match the datagram. */
	if (m->hdr.length != len)
		return fail(m, IKM_E_LENGTH, PT_NONE, "header length disagrees with datagram");
	/* §3.1: "Implementations based on this version of IKE MUST set the
	 * major version to 2 and MUST drop the messages with a higher major
	 * version number." */
	if ((m->hdr.version >> 4) != 2)
		return fail(m, IKM_E_VERSION, PT_NONE, "major version is not 2");
	if (m->hdr.exchange < IKE_SA_INIT || m->hdr.exchange > INFORMATIONAL)
		return fail(m, IKM_E_EXCHANGE, PT_NONE, "unknown exchange type");
	return walk(m, cur_make(pkt + IKE_HDR_LEN, len - IKE_HDR_LEN), m->hdr.np, false);
}

int ikm_parse_inner(struct ikm_msg *m, const uint8_t *plain, size_t len)
{
	int err;

	if (!m->sk_type || m->inner_done)
		return fail(m, IKM_E_SK_POS, PT_SK, "no Encrypted payload to open");
	err = walk(m, cur_make(plain, len), m->sk_np, true);
	if (!err)
		m->inner_done = true;
	return err;
}

const struct ikm_payload *ikm_find_next(const struct ikm_msg *m,
					const struct ikm_payload *after, uint8_t type)
{
	unsigned i = after ? (unsigned)(after - m->pl) + 1 : 0;

	for (; i < m->n; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

const struct ikm_payload *ikm_find(const struct ikm_msg *m, uint8_t type)
{
	return ikm_find_next(m, NULL, type);
}

unsigned ikm_count(const struct ikm_msg *m, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->n; i++)
		n += m->pl[i].type == type;
	return n;
}

const struct ikm_pl_notify *ikm_find_notify(const struct ikm_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->pl[i].type == PT_N && m->pl[i].u.n.type == type)
			return &m->pl[i].u.n;
	return NULL;
}

const struct ikm_pl_notify *ikm_find_error(const struct ikm_msg *m)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->pl[i].type == PT_N && m->pl[i].u.n.type <= N_ERROR_MAX)
			return &m->pl[i].u.n;
	return NULL;
}

/* ---- names ---- */

const char *ikm_err_str(enum ikm_err e)
{
	static const char *const s[] = {
		[IKM_OK] = "ok", [IKM_E_SHORT] = "short message",
		[IKM_E_LENGTH] = "length mismatch", [IKM_E_VERSION] = "bad version",
		[IKM_E_EXCHANGE] = "unknown exchange",
		[IKM_E_CRITICAL] = "unsupported critical payload",
		[IKM_E_SYNTAX] = "invalid syntax",
		[IKM_E_SK_POS] = "misplaced Encrypted payload",
		[IKM_E_TOO_MANY] = "too many payloads",
		[IKM_E_RULES] = "payloads not allowed in this exchange",
	};
	return (unsigned)e < sizeof(s) / sizeof(s[0]) && s[e] ? s[e] : "?";
}

const char *ikm_exchange_name(uint8_t x)
{
	switch (x) {
	case IKE_SA_INIT: return "IKE_SA_INIT";
	case IKE_AUTH: return "IKE_AUTH";
	case CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case INFORMATIONAL: return "INFORMATIONAL";
	default: return "UNKNOWN";
	}
}

const char *ikm_payload_name(uint8_t t)
{
	static const char *const s[] = {
		[PT_SA] = "SA", [PT_KE] = "KE", [PT_IDI] = "IDi", [PT_IDR] = "IDr",
		[PT_CERT] = "CERT", [PT_CERTREQ] = "CERTREQ", [PT_AUTH] = "AUTH",
		[PT_NONCE] = "No", [PT_N] = "N", [PT_D] = "D", [PT_V] = "V",
		[PT_TSI] = "TSi", [PT_TSR] = "TSr", [PT_SK] = "SK", [PT_CP] = "CP",
		[PT_EAP] = "EAP", [PT_SKF] = "SKF",
	};
	return t < sizeof(s) / sizeof(s[0]) && s[t] ? s[t] : "UNKNOWN";
}

const char *ikm_notify_name(uint16_t t)
{
	switch (t) {
	case N_UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case N_INVALID_IKE_SPI: return "INVALID_IKE_SPI";
	case N_INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
	case N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case N_INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
	case N_INVALID_SPI: return "INVALID_SPI";
	case N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	case N_INITIAL_CONTACT: return "INITIAL_CONTACT";
	case N_SET_WINDOW_SIZE: return "SET_WINDOW_SIZE";
	case N_ADDITIONAL_TS_POSSIBLE: return "ADDITIONAL_TS_POSSIBLE";
	case N_IPCOMP_SUPPORTED: return "IPCOMP_SUPPORTED";
	case N_NAT_DETECTION_SOURCE_IP: return "NAT_DETECTION_SOURCE_IP";
	case N_NAT_DETECTION_DESTINATION_IP: return "NAT_DETECTION_DESTINATION_IP";
	case N_COOKIE: return "COOKIE";
	case N_USE_TRANSPORT_MODE: return "USE_TRANSPORT_MODE";
	case N_REKEY_SA: return "REKEY_SA";
	case N_ESP_TFC_PADDING_NOT_SUPPORTED: return "ESP_TFC_PADDING_NOT_SUPPORTED";
	case N_NON_FIRST_FRAGMENTS_ALSO: return "NON_FIRST_FRAGMENTS_ALSO";
	case N_MOBIKE_SUPPORTED: return "MOBIKE_SUPPORTED";
	case N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED: return "IKEV2_MESSAGE_ID_SYNC_SUPPORTED";
	case N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: return "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED";
	case N_IKEV2_MESSAGE_ID_SYNC: return "IKEV2_MESSAGE_ID_SYNC";
	case N_IPSEC_REPLAY_COUNTER_SYNC: return "IPSEC_REPLAY_COUNTER_SYNC";
	case N_IKEV2_FRAGMENTATION_SUPPORTED: return "IKEV2_FRAGMENTATION_SUPPORTED";
	case N_SIGNATURE_HASH_ALGORITHMS: return "SIGNATURE_HASH_ALGORITHMS";
	default: return t <= N_ERROR_MAX ? "UNKNOWN_ERROR" : "UNKNOWN_STATUS";
	}
}

/* ---- building ---- */

/* np_off after an SK payload: nothing may be appended any more. */
#define NP_CLOSED (SIZE_MAX - 1)

void ikm_build_begin(struct ikm_builder *b, void *buf, size_t cap,
		     const struct ikm_hdr *h)
{
	b->w = wbuf_make(buf, cap);
	b->hdr_off = 0;
	b->first_np = PT_NONE;
	wbuf_bytes(&b->w, h->spi_i, IKE_SPI_LEN);
	wbuf_bytes(&b->w, h->spi_r, IKE_SPI_LEN);
	b->np_off = b->w.len;
	wbuf_u8(&b->w, PT_NONE);
	wbuf_u8(&b->w, h->version ? h->version : IKE_VERSION);
	wbuf_u8(&b->w, h->exchange);
	wbuf_u8(&b->w, h->flags);
	wbuf_u32(&b->w, h->mid);
	wbuf_u32(&b->w, 0);
}

void ikm_build_chain(struct ikm_builder *b, void *buf, size_t cap)
{
	b->w = wbuf_make(buf, cap);
	b->hdr_off = SIZE_MAX;
	b->np_off = SIZE_MAX;
	b->first_np = PT_NONE;
}

/* Link a new payload of type t: patch the previous Next Payload field and
 * write a generic header with length 4 (patched by pl_end). Returns the
 * payload's offset. */
static size_t pl_begin(struct ikm_builder *b, uint8_t t, bool critical)
{
	size_t off = b->w.len;

	if (b->np_off == NP_CLOSED)
		b->w.err = -EINVAL;
	else if (b->np_off == SIZE_MAX)
		b->first_np = t;
	else if (!b->w.err)
		b->w.p[b->np_off] = t;
	b->np_off = off;
	wbuf_u8(&b->w, PT_NONE);
	wbuf_u8(&b->w, critical ? IKE_CRITICAL : 0);
	wbuf_u16(&b->w, IKE_GEN_HDR_LEN);
	return off;
}

static void pl_end(struct ikm_builder *b, size_t off)
{
	size_t len = b->w.len - off;

	if (len > 0xffff)
		b->w.err = -ENOSPC;
	wbuf_put16_at(&b->w, off + 2, (uint16_t)len);
}

uint8_t *ikm_build_raw(struct ikm_builder *b, uint8_t t, bool critical,
		       const void *body, size_t len)
{
	size_t off = pl_begin(b, t, critical);
	uint8_t *r = wbuf_reserve(&b->w, len);

	if (r && body && len)
		memcpy(r, body, len);
	pl_end(b, off);
	return r;
}

void ikm_build_sa(struct ikm_builder *b, const struct ikm_proposal *props, unsigned n)
{
	size_t off = pl_begin(b, PT_SA, false);

	for (unsigned i = 0; i < n; i++) {
		const struct ikm_proposal *p = &props[i];
		size_t poff = b->w.len;

		wbuf_u8(&b->w, i + 1 == n ? PROP_LAST : PROP_MORE);
		wbuf_u8(&b->w, 0);
		wbuf_u16(&b->w, 0);
		wbuf_u8(&b->w, p->num);
		wbuf_u8(&b->w, p->proto);
		wbuf_u8(&b->w, p->spi_size);
		wbuf_u8(&b->w, p->n_xf);
		wbuf_bytes(&b->w, p->spi, p->spi_size);
		for (unsigned j = 0; j < p->n_xf; j++) {
			const struct ikm_xf *x = &p->xf[j];

			wbuf_u8(&b->w, j + 1 == p->n_xf ? XFORM_LAST : XFORM_MORE);
			wbuf_u8(&b->w, 0);
			wbuf_u16(&b->w, x->keybits ? 12 : 8);
			wbuf_u8(&b->w, x->type);
			wbuf_u8(&b->w, 0);
			wbuf_u16(&b->w, x->id);
			if (x->keybits) {
				wbuf_u16(&b->w, ATTR_AF | ATTR_KEY_LENGTH);
				wbuf_u16(&b->w, x->keybits);
			}
		}
		wbuf_put16_at(&b->w, poff + 2, (uint16_t)(b->w.len - poff));
	}
	pl_end(b, off);
}

void ikm_build_ke(struct ikm_builder *b, uint16_t group, const void *data, size_t len)
{
	size_t off = pl_begin(b, PT_KE, false);

	wbuf_u16(&b->w, group);
	wbuf_u16(&b->w, 0);
	wbuf_bytes(&b->w, data, len);
	pl_end(b, off);
}

void ikm_build_id(struct ikm_builder *b, uint8_t pt, uint8_t id_type,
		  const void *data, size_t len)
{
	size_t off = pl_begin(b, pt, false);

	wbuf_u8(&b->w, id_type);
	wbuf_u8(&b->w, 0);
	wbuf_u16(&b->w, 0);
	wbuf_bytes(&b->w, data, len);
	pl_end(b, off);
}

void ikm_build_auth(struct ikm_builder *b, uint8_t method, const void *data, size_t len)
{
	size_t off = pl_begin(b, PT_AUTH, false);

	wbuf_u8(&b->w, method);
	wbuf_u8(&b->w, 0);
	wbuf_u16(&b->w, 0);
	wbuf_bytes(&b->w, data, len);
	pl_end(b, off);
}

void ikm_build_nonce(struct ikm_builder *b, const void *data, size_t len)
{
	ikm_build_raw(b, PT_NONCE, false, data, len);
}

void ikm_build_notify(struct ikm_builder *b, uint8_t proto, const void *spi,
		      uint8_t spi_size, uint16_t type, const void *data, size_t len)
{
	size_t off = pl_begin(b, PT_N, false);

	wbuf_u8(&b->w, proto);
	wbuf_u8(&b->w, spi_size);
	wbuf_u16(&b->w, type);
	wbuf_bytes(&b->w, spi, spi_size);
	wbuf_bytes(&b->w, data, len);
	pl_end(b, off);
}

void ikm_build_delete(struct ikm_builder *b, uint8_t proto, uint8_t spi_size,
		      const void *spis, uint16_t n_spi)
{
	size_t off = pl_begin(b, PT_D, false);

	wbuf_u8(&b->w, proto);
	wbuf_u8(&b->w, spi_size);
	wbuf_u16(&b->w, n_spi);
	wbuf_bytes(&b->w, spis, (size_t)spi_size * n_spi);
	pl_end(b, off);
}

void ikm_build_ts(struct ikm_builder *b, uint8_t pt, const struct ikm_ts *ts, unsigned n)
{
	size_t off = pl_begin(b, pt, false);

	wbuf_u8(&b->w, (uint8_t)n);
	wbuf_u8(&b->w, 0);
	wbuf_u16(&b->w, 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned alen = ts[i].type == TS_IPV6_ADDR_RANGE ? 16 : 4;

		wbuf_u8(&b->w, ts[i].type);
		wbuf_u8(&b->w, ts[i].ip_proto);
		wbuf_u16(&b->w, (uint16_t)(8 + 2 * alen));
		wbuf_u16(&b->w, ts[i].start_port);
		wbuf_u16(&b->w, ts[i].end_port);
		wbuf_bytes(&b->w, ts[i].start, alen);
		wbuf_bytes(&b->w, ts[i].end, alen);
	}
	pl_end(b, off);
}

void ikm_build_vendor(struct ikm_builder *b, const void *data, size_t len)
{
	ikm_build_raw(b, PT_V, false, data, len);
}

void ikm_build_cp(struct ikm_builder *b, uint8_t cfg_type, const void *attrs, size_t len)
{
	size_t off = pl_begin(b, PT_CP, false);

	wbuf_u8(&b->w, cfg_type);
	wbuf_u8(&b->w, 0);
	wbuf_u16(&b->w, 0);
	wbuf_bytes(&b->w, attrs, len);
	pl_end(b, off);
}

void ikm_build_cert(struct ikm_builder *b, uint8_t pt, uint8_t encoding,
		    const void *data, size_t len)
{
	size_t off = pl_begin(b, pt, false);

	wbuf_u8(&b->w, encoding);
	wbuf_bytes(&b->w, data, len);
	pl_end(b, off);
}

uint8_t *ikm_build_sk(struct ikm_builder *b, uint8_t inner_np, size_t body_len)
{
	size_t off = pl_begin(b, PT_SK, false);
	uint8_t *r;

	/* §3.14: Next Payload of SK is the first embedded payload's type. */
	if (!b->w.err)
		b->w.p[off] = inner_np;
	r = wbuf_reserve(&b->w, body_len);
	pl_end(b, off);
	/* Nothing may follow SK: stop further linking through its NP field. */
	b->np_off = NP_CLOSED;
	return r;
}

int ikm_build_end(struct ikm_builder *b)
{
	if (b->w.err)
		return b->w.err;
	if (b->hdr_off != SIZE_MAX)
		wbuf_put32_at(&b->w, b->hdr_off + 24, (uint32_t)b->w.len);
	return (int)b->w.len;
}
