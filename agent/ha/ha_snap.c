/* ha_snap.c — snapshot records and files; see ha_snap.h and
 * docs/snapshot.md. Records are TLVs (type u16, length u16, value), all
 * integers big-endian, read only through bounds-checked cursors. */
#include "ha_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cursor.h"

/* Record fields. */
enum {
	T_VERSION = 1, T_CONN, T_ID, T_FLAGS, T_SPI, T_LOCAL, T_REMOTE, T_SUITE, T_KEYS,
	T_PEER_ID, T_MIDS, T_CAPS, T_HA, T_CHILD = 15,   /* 14: reserved */
};
/* Child fields (inside T_CHILD). */
enum {
	C_SPI = 2, C_SUITE, C_FLAGS, C_TS, C_KEYS, C_COUNTERS,
};
enum {
	F_INITIATOR = 1u << 0, F_NATT = 1u << 1, F_NAT_LOCAL = 1u << 2, F_NAT_REMOTE = 1u << 3,
	F_LAST_M1 = 1u << 4, F_GROUP_ESN = 1u << 5,
};
enum { CF_INITIATOR = 1u << 0, CF_ENCAP = 1u << 1 };

void hs_ike_wipe(struct hs_ike *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
}

/* ---- encoding ---- */

static size_t tlv_begin(struct wbuf *w, uint16_t type)
{
	size_t off = w->len;

	wbuf_u16(w, type);
	wbuf_u16(w, 0);
	return off;
}

static void tlv_end(struct wbuf *w, size_t off)
{
	size_t len = w->len - off - 4;

	if (len > UINT16_MAX)
		w->err = -ENOSPC;
	wbuf_put16_at(w, off + 2, (uint16_t)len);
}

static void put_suite(struct wbuf *w, uint16_t type, const struct ikc_suite *s)
{
	size_t o = tlv_begin(w, type);

	wbuf_u16(w, s->encr);
	wbuf_u16(w, s->encr_keybits);
	wbuf_u16(w, s->prf);
	wbuf_u16(w, s->integ);
	wbuf_u16(w, s->dh);
	wbuf_u16(w, s->esn);
	tlv_end(w, o);
}

static void put_addr(struct wbuf *w, uint16_t type, const struct sockaddr_storage *ss)
{
	size_t o = tlv_begin(w, type);

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		wbuf_u8(w, 4);
		wbuf_u16(w, ntohs(s->sin_port));
		wbuf_bytes(w, &s->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		wbuf_u8(w, 6);
		wbuf_u16(w, ntohs(s->sin6_port));
		wbuf_bytes(w, &s->sin6_addr, 16);
	} else {
		wbuf_u8(w, 0);
		wbuf_u16(w, 0);
	}
	tlv_end(w, o);
}

static void put_ts(struct wbuf *w, const struct ikm_ts *t)
{
	wbuf_u8(w, t->type);
	wbuf_u8(w, t->ip_proto);
	wbuf_u16(w, t->start_port);
	wbuf_u16(w, t->end_port);
	wbuf_bytes(w, t->start, 16);
	wbuf_bytes(w, t->end, 16);
}

static void put_child(struct wbuf *w, const struct ike_child_rec *c)
{
	size_t o = tlv_begin(w, T_CHILD), t;
	const struct ikc_child_keys *k = &c->keys;

	t = tlv_begin(w, C_SPI);
	wbuf_u32(w, c->spi_in);
	wbuf_u32(w, c->spi_out);
	tlv_end(w, t);
	put_suite(w, C_SUITE, &c->suite);
	t = tlv_begin(w, C_FLAGS);
	wbuf_u32(w, (c->initiator ? CF_INITIATOR : 0) | (c->encap ? CF_ENCAP : 0));
	tlv_end(w, t);
	t = tlv_begin(w, C_TS);
	wbuf_u8(w, c->n_tsl);
	wbuf_u8(w, c->n_tsr);
	for (unsigned i = 0; i < c->n_tsl; i++)
		put_ts(w, &c->tsl[i]);
	for (unsigned i = 0; i < c->n_tsr; i++)
		put_ts(w, &c->tsr[i]);
	tlv_end(w, t);
	t = tlv_begin(w, C_KEYS);
	wbuf_u8(w, k->encr_len);
	wbuf_u8(w, k->integ_len);
	wbuf_bytes(w, k->ei, k->encr_len);
	wbuf_bytes(w, k->ai, k->integ_len);
	wbuf_bytes(w, k->er, k->encr_len);
	wbuf_bytes(w, k->ar, k->integ_len);
	tlv_end(w, t);
	if (c->counters_valid) {
		t = tlv_begin(w, C_COUNTERS);
		wbuf_u64(w, c->tx_seq);
		wbuf_u64(w, c->rx_top);
		tlv_end(w, t);
	}
	tlv_end(w, o);
}

int hs_rec_encode(const struct hs_ike *h, uint8_t *buf, size_t cap)
{
	struct wbuf w = wbuf_make(buf, cap);
	const struct ike_sa_rec *r = &h->ike;
	const struct ikc_ike_keys *k = &r->keys;
	size_t t, n = strnlen(r->conn, sizeof(r->conn));

	if (r->n_children > IKE_REC_MAX_CHILDREN || !n || n == sizeof(r->conn) ||
	    k->prf_len > IKC_MAX_PRF_LEN || k->encr_len > IKC_MAX_ENCR_KEY ||
	    k->integ_len > IKC_MAX_INTEG_KEY)
		return -EINVAL;
	t = tlv_begin(&w, T_VERSION);
	wbuf_u16(&w, HS_REC_VERSION);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_CONN);
	wbuf_bytes(&w, r->conn, n);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_ID);
	wbuf_u32(&w, r->id);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_FLAGS);
	wbuf_u32(&w, (r->initiator ? F_INITIATOR : 0) | (r->natt ? F_NATT : 0) |
		 (r->nat_local ? F_NAT_LOCAL : 0) | (r->nat_remote ? F_NAT_REMOTE : 0) |
		 (h->have_last_m1 ? F_LAST_M1 : 0) | (r->group_esn ? F_GROUP_ESN : 0));
	tlv_end(&w, t);
	t = tlv_begin(&w, T_SPI);
	wbuf_bytes(&w, r->spi_i, 8);
	wbuf_bytes(&w, r->spi_r, 8);
	tlv_end(&w, t);
	put_addr(&w, T_LOCAL, &r->local);
	put_addr(&w, T_REMOTE, &r->remote);
	put_suite(&w, T_SUITE, &r->suite);
	t = tlv_begin(&w, T_KEYS);
	wbuf_u16(&w, k->prf);
	wbuf_u8(&w, k->prf_len);
	wbuf_u8(&w, k->encr_len);
	wbuf_u8(&w, k->integ_len);
	wbuf_bytes(&w, k->sk_d, k->prf_len);
	wbuf_bytes(&w, k->sk_ai, k->integ_len);
	wbuf_bytes(&w, k->sk_ar, k->integ_len);
	wbuf_bytes(&w, k->sk_ei, k->encr_len);
	wbuf_bytes(&w, k->sk_er, k->encr_len);
	wbuf_bytes(&w, k->sk_pi, k->prf_len);
	wbuf_bytes(&w, k->sk_pr, k->prf_len);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_PEER_ID);
	wbuf_u8(&w, r->peer_id.type);
	wbuf_bytes(&w, r->peer_id.data, r->peer_id.len);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_MIDS);
	wbuf_u32(&w, r->mid_send);
	wbuf_u32(&w, r->mid_recv);
	wbuf_u32(&w, r->win_out);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_CAPS);
	wbuf_u32(&w, r->caps);
	wbuf_u32(&w, h->offered);
	wbuf_u32(&w, h->peer_offered);
	tlv_end(&w, t);
	t = tlv_begin(&w, T_HA);
	wbuf_u64(&w, h->snap_epoch);
	wbuf_u64(&w, h->snap_wall_ms);
	wbuf_u32(&w, h->last_m1);
	tlv_end(&w, t);
	for (unsigned i = 0; i < r->n_children; i++) {
		const struct ike_child_rec *c = &r->children[i];

		if (c->n_tsl > IKM_MAX_TS || c->n_tsr > IKM_MAX_TS ||
		    c->keys.encr_len > IKC_MAX_ENCR_KEY || c->keys.integ_len > IKC_MAX_INTEG_KEY)
			return -EINVAL;
		put_child(&w, c);
	}
	if (w.err)
		return w.err;
	return (int)w.len;
}

/* ---- decoding ---- */

static int get_suite(struct cur *c, struct ikc_suite *s)
{
	if (c->left != 12)
		return -EBADMSG;
	cur_u16(c, &s->encr);
	cur_u16(c, &s->encr_keybits);
	cur_u16(c, &s->prf);
	cur_u16(c, &s->integ);
	cur_u16(c, &s->dh);
	cur_u16(c, &s->esn);
	return 0;
}

static int get_addr(struct cur *c, struct sockaddr_storage *ss)
{
	uint8_t fam;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	if (cur_u8(c, &fam) || cur_u16(c, &port))
		return -EBADMSG;
	if (fam == 4 && c->left == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		return cur_bytes(c, &s->sin_addr, 4);
	}
	if (fam == 6 && c->left == 16) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		return cur_bytes(c, &s->sin6_addr, 16);
	}
	return -EBADMSG;
}

static int get_ts(struct cur *c, struct ikm_ts *t)
{
	if (cur_u8(c, &t->type) || cur_u8(c, &t->ip_proto) || cur_u16(c, &t->start_port) ||
	    cur_u16(c, &t->end_port) || cur_bytes(c, t->start, 16) || cur_bytes(c, t->end, 16))
		return -EBADMSG;
	return t->type == 7 || t->type == 8 ? 0 : -EBADMSG;
}

static int get_tlv(struct cur *c, uint16_t *type, struct cur *val)
{
	uint16_t len;

	if (cur_u16(c, type) || cur_u16(c, &len) || cur_sub(c, val, len))
		return -EBADMSG;
	return 0;
}

static int get_child(struct cur c, struct ike_child_rec *ch)
{
	unsigned seen = 0;

	while (c.left) {
		struct cur v;
		uint16_t type;
		uint32_t fl;
		int err = get_tlv(&c, &type, &v);

		if (err)
			return err;
		/* A field given twice: which one would count? Refused. */
		if (type < 32 && (seen & (1u << type)))
			return -EBADMSG;
		switch (type) {
		case C_SPI:
			if (v.left != 8 || cur_u32(&v, &ch->spi_in) || cur_u32(&v, &ch->spi_out))
				return -EBADMSG;
			break;
		case C_SUITE:
			if (get_suite(&v, &ch->suite))
				return -EBADMSG;
			break;
		case C_FLAGS:
			if (v.left != 4 || cur_u32(&v, &fl))
				return -EBADMSG;
			ch->initiator = fl & CF_INITIATOR;
			ch->encap = fl & CF_ENCAP;
			break;
		case C_TS:
			if (cur_u8(&v, &ch->n_tsl) || cur_u8(&v, &ch->n_tsr) ||
			    ch->n_tsl > IKM_MAX_TS || ch->n_tsr > IKM_MAX_TS || !ch->n_tsl || !ch->n_tsr)
				return -EBADMSG;
			for (unsigned i = 0; i < ch->n_tsl; i++)
				if (get_ts(&v, &ch->tsl[i]))
					return -EBADMSG;
			for (unsigned i = 0; i < ch->n_tsr; i++)
				if (get_ts(&v, &ch->tsr[i]))
					return -EBADMSG;
			if (v.left)
				return -EBADMSG;
			break;
		case C_KEYS: {
			struct ikc_child_keys *k = &ch->keys;

			if (cur_u8(&v, &k->encr_len) || cur_u8(&v, &k->integ_len) ||
			    k->encr_len > IKC_MAX_ENCR_KEY || k->integ_len > IKC_MAX_INTEG_KEY ||
			    !k->encr_len || cur_bytes(&v, k->ei, k->encr_len) ||
			    cur_bytes(&v, k->ai, k->integ_len) || cur_bytes(&v, k->er, k->encr_len) ||
			    cur_bytes(&v, k->ar, k->integ_len) || v.left)
				return -EBADMSG;
			break;
		}
		case C_COUNTERS:
			if (v.left != 16 || cur_u64(&v, &ch->tx_seq) || cur_u64(&v, &ch->rx_top))
				return -EBADMSG;
			ch->counters_valid = true;
			break;
		default:
			continue;   /* a field of a newer writer */
		}
		if (type < 32)
			seen |= 1u << type;
	}
	/* Required: SPIs, suite, selectors, keys. */
	if ((seen & ((1u << C_SPI) | (1u << C_SUITE) | (1u << C_TS) | (1u << C_KEYS))) !=
	    ((1u << C_SPI) | (1u << C_SUITE) | (1u << C_TS) | (1u << C_KEYS)))
		return -EBADMSG;
	if (!ch->spi_in || !ch->spi_out)
		return -EBADMSG;
	return 0;
}

int hs_rec_decode(const uint8_t *buf, size_t len, struct hs_ike *out)
{
	struct cur c = cur_make(buf, len);
	struct hs_ike *h = calloc(1, sizeof(*h));
	struct ike_sa_rec *r = h ? &h->ike : NULL;
	unsigned seen = 0;
	int err = -EBADMSG;

	if (!h)
		return -ENOMEM;
	while (c.left) {
		struct cur v;
		uint16_t type, ver;
		uint32_t fl;

		if (get_tlv(&c, &type, &v))
			goto out;
		/* Every field but the Child SAs at most once (a second
		 * connection name, say, would leave a mix of both). */
		if (type != T_CHILD && type < 32 && (seen & (1u << type)))
			goto out;
		switch (type) {
		case T_VERSION:
			if (v.left != 2 || cur_u16(&v, &ver))
				goto out;
			if (ver != HS_REC_VERSION) {
				err = -EPROTONOSUPPORT;
				goto out;
			}
			break;
		case T_CONN:
			if (!v.left || v.left >= sizeof(r->conn))
				goto out;
			memcpy(r->conn, v.p, v.left);
			if (memchr(r->conn, 0, v.left))
				goto out;
			break;
		case T_ID:
			if (v.left != 4 || cur_u32(&v, &r->id))
				goto out;
			break;
		case T_FLAGS:
			if (v.left != 4 || cur_u32(&v, &fl))
				goto out;
			r->initiator = fl & F_INITIATOR;
			r->natt = fl & F_NATT;
			r->nat_local = fl & F_NAT_LOCAL;
			r->nat_remote = fl & F_NAT_REMOTE;
			h->have_last_m1 = fl & F_LAST_M1;
			r->group_esn = fl & F_GROUP_ESN;
			break;
		case T_SPI:
			if (v.left != 16 || cur_bytes(&v, r->spi_i, 8) || cur_bytes(&v, r->spi_r, 8))
				goto out;
			break;
		case T_LOCAL:
			if (get_addr(&v, &r->local))
				goto out;
			break;
		case T_REMOTE:
			if (get_addr(&v, &r->remote))
				goto out;
			break;
		case T_SUITE:
			if (get_suite(&v, &r->suite))
				goto out;
			break;
		case T_KEYS: {
			struct ikc_ike_keys *k = &r->keys;

			if (cur_u16(&v, &k->prf) || cur_u8(&v, &k->prf_len) ||
			    cur_u8(&v, &k->encr_len) || cur_u8(&v, &k->integ_len) ||
			    !k->prf_len || k->prf_len > IKC_MAX_PRF_LEN || !k->encr_len ||
			    k->encr_len > IKC_MAX_ENCR_KEY || k->integ_len > IKC_MAX_INTEG_KEY ||
			    cur_bytes(&v, k->sk_d, k->prf_len) || cur_bytes(&v, k->sk_ai, k->integ_len) ||
			    cur_bytes(&v, k->sk_ar, k->integ_len) || cur_bytes(&v, k->sk_ei, k->encr_len) ||
			    cur_bytes(&v, k->sk_er, k->encr_len) || cur_bytes(&v, k->sk_pi, k->prf_len) ||
			    cur_bytes(&v, k->sk_pr, k->prf_len) || v.left)
				goto out;
			break;
		}
		case T_PEER_ID:
			if (cur_u8(&v, &r->peer_id.type) || v.left > AGC_ID_MAX)
				goto out;
			r->peer_id.len = (uint8_t)v.left;
			cur_bytes(&v, r->peer_id.data, v.left);
			break;
		case T_MIDS:
			if (v.left != 12 || cur_u32(&v, &r->mid_send) || cur_u32(&v, &r->mid_recv) ||
			    cur_u32(&v, &r->win_out))
				goto out;
			break;
		case T_CAPS:
			if (v.left != 12 || cur_u32(&v, &r->caps) || cur_u32(&v, &h->offered) ||
			    cur_u32(&v, &h->peer_offered))
				goto out;
			break;
		case T_HA:
			if (v.left != 20 || cur_u64(&v, &h->snap_epoch) ||
			    cur_u64(&v, &h->snap_wall_ms) || cur_u32(&v, &h->last_m1))
				goto out;
			break;
		case T_CHILD:
			if (r->n_children >= IKE_REC_MAX_CHILDREN ||
			    get_child(v, &r->children[r->n_children]))
				goto out;
			r->n_children++;
			break;
		default:
			continue;
		}
		if (type < 32)
			seen |= 1u << type;
	}
	{
		const unsigned need = (1u << T_VERSION) | (1u << T_CONN) | (1u << T_SPI) |
				      (1u << T_LOCAL) | (1u << T_REMOTE) | (1u << T_SUITE) |
				      (1u << T_KEYS) | (1u << T_MIDS) | (1u << T_CAPS) | (1u << T_HA);

		if ((seen & need) != need || !get_be64(r->spi_i) || !get_be64(r->spi_r) ||
		    !r->win_out)
			goto out;
	}
	*out = *h;
	err = 0;
out:
	hs_ike_wipe(h);
	free(h);
	return err;
}

/* ---- the file ---- */

static int gcm(bool seal, const uint8_t key[HS_KEY_LEN], const uint8_t iv[12],
	       const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
	       uint8_t tag[HS_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok, n = 0, f = 0;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv, seal) == 1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
	     (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, HS_TAG_LEN, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(ctx, out + n, &f) == 1;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, HS_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return seal ? -EIO : -EKEYREJECTED;
	return 0;
}

static void hdr_build(uint8_t *h, uint32_t n, uint64_t created, uint64_t epoch,
		      const uint8_t iv[12], uint32_t body_len)
{
	memcpy(h, HS_MAGIC, 8);
	put_be16(h + 8, HS_VERSION);
	put_be16(h + 10, 0);
	put_be32(h + 12, n);
	put_be64(h + 16, created);
	put_be64(h + 24, epoch);
	memcpy(h + 32, iv, 12);
	put_be32(h + 44, body_len);
}

int hs_file_write(const char *path, const uint8_t key[HS_KEY_LEN], uint64_t epoch,
		  uint64_t created_ms, const struct hs_ike *recs, size_t n)
{
	size_t cap = HS_HDR_LEN + n * (4 + HS_MAX_REC) + HS_TAG_LEN, off = HS_HDR_LEN;
	uint8_t *plain = NULL, *file = NULL, iv[12];
	char tmp[4096];
	int err = 0, fd = -1;

	if (n > HS_MAX_RECORDS)
		return -E2BIG;
	plain = malloc(cap);
	file = malloc(cap);
	if (!plain || !file) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int len = hs_rec_encode(&recs[i], plain + off + 4, HS_MAX_REC);

		if (len < 0) {
			err = len;
			goto out;
		}
		put_be32(plain + off, (uint32_t)len);
		off += 4 + (size_t)len;
	}
	if (off - HS_HDR_LEN > INT_MAX) {   /* a length OpenSSL (and hs_file_parse) take */
		err = -E2BIG;
		goto out;
	}
	if (RAND_bytes(iv, sizeof(iv)) != 1) {
		err = -EIO;
		goto out;
	}
	hdr_build(file, (uint32_t)n, created_ms, epoch, iv, (uint32_t)(off - HS_HDR_LEN));
	err = gcm(true, key, iv, file, HS_HDR_LEN, plain + HS_HDR_LEN, off - HS_HDR_LEN,
		  file + HS_HDR_LEN, file + off);
	if (err)
		goto out;
	off += HS_TAG_LEN;
	/* Atomically: a reader sees the old file or the new one. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (size_t done = 0; done < off;) {
		ssize_t w = write(fd, file + done, off - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	fd = -1;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	if (plain) {
		OPENSSL_cleanse(plain, cap);
		free(plain);
	}
	free(file);
	return err;
}

void hs_free_records(struct hs_ike *recs, size_t n)
{
	if (!recs)
		return;
	for (size_t i = 0; i < n; i++)
		hs_ike_wipe(&recs[i]);
	free(recs);
}

int hs_file_parse(const uint8_t *buf, size_t len, const uint8_t key[HS_KEY_LEN],
		  struct hs_file_info *info, struct hs_ike **recs_out, size_t *n_out)
{
	struct cur c;
	uint32_t n, body_len;
	uint8_t *plain = NULL;
	struct hs_ike *recs = NULL;
	size_t got = 0;
	int err;

	if (len < HS_HDR_LEN + HS_TAG_LEN || memcmp(buf, HS_MAGIC, 8))
		return -EBADMSG;
	if (get_be16(buf + 8) != HS_VERSION)
		return -EPROTONOSUPPORT;
	n = get_be32(buf + 12);
	body_len = get_be32(buf + 44);
	/* OpenSSL takes lengths as int: a larger body is not one we wrote. */
	if (get_be16(buf + 10) != 0 || (size_t)body_len != len - HS_HDR_LEN - HS_TAG_LEN ||
	    n > HS_MAX_RECORDS || (uint64_t)n * 4 > body_len || body_len > INT_MAX)
		return -EBADMSG;
	plain = malloc(body_len ? body_len : 1);
	if (!plain)
		return -ENOMEM;
	/* Integrity first: nothing of the body is parsed before the tag
	 * verified (header included as associated data). */
	err = gcm(false, key, buf + 32, buf, HS_HDR_LEN, buf + HS_HDR_LEN, body_len, plain,
		  (uint8_t *)(uintptr_t)(buf + HS_HDR_LEN + body_len));
	if (err)
		goto out;
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		err = -ENOMEM;
		goto out;
	}
	c = cur_make(plain, body_len);
	for (got = 0; got < n; got++) {
		uint32_t rl;
		struct cur r;

		if (cur_u32(&c, &rl) || cur_sub(&c, &r, rl)) {
			err = -EBADMSG;
			goto out;
		}
		err = hs_rec_decode(r.p, r.left, &recs[got]);
		if (err)
			goto out;
	}
	if (c.left) {
		err = -EBADMSG;
		goto out;
	}
	if (info) {
		info->version = HS_VERSION;
		info->n_records = n;
		info->created_ms = get_be64(buf + 16);
		info->epoch = get_be64(buf + 24);
	}
	*recs_out = recs;
	*n_out = n;
	recs = NULL;
out:
	OPENSSL_cleanse(plain, body_len);
	free(plain);
	hs_free_records(recs, got);
	return err;
}

static int read_all(const char *path, uint8_t **buf, size_t *len, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t off = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return -EBADMSG;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EBADMSG;
			break;
		}
		off += (size_t)r;
	}
	close(fd);
	if (err) {
		free(*buf);
		return err;
	}
	*len = off;
	return 0;
}

int hs_file_read(const char *path, const uint8_t key[HS_KEY_LEN], struct hs_file_info *info,
		 struct hs_ike **recs, size_t *n_recs)
{
	uint8_t *buf;
	size_t len;
	int err = read_all(path, &buf, &len, (size_t)INT_MAX);

	if (err)
		return err;
	err = hs_file_parse(buf, len, key, info, recs, n_recs);
	free(buf);
	return err;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hs_key_load(const char *path, bool create, uint8_t key[HS_KEY_LEN])
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int err;

	/* The cluster key opens every snapshot (all IKE and Child SA keys):
	 * like ssh with its private keys, refuse one that group or others may
	 * read or write. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		return -EPERM;
	err = read_all(path, &buf, &len, 4096);

	if (err == -ENOENT && create) {
		char hex[2 * HS_KEY_LEN + 2], dir[4096];
		char *slash;
		int fd;

		/* The key's directory (e.g. /var/lib/ipsecha), private. */
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0700) && errno != EEXIST)
				return -errno;
		}
		if (RAND_bytes(key, HS_KEY_LEN) != 1)
			return -EIO;
		for (int i = 0; i < HS_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
		hex[2 * HS_KEY_LEN] = '\n';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		err = write(fd, hex, 2 * HS_KEY_LEN + 1) == 2 * HS_KEY_LEN + 1 ? 0 : -EIO;
		OPENSSL_cleanse(hex, sizeof(hex));
		if (close(fd) && !err)
			err = -errno;
		return err;
	}
	if (err)
		return err;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	if (len == HS_KEY_LEN) {
		memcpy(key, buf, HS_KEY_LEN);
	} else if (len == 2 * HS_KEY_LEN) {
		for (int i = 0; i < HS_KEY_LEN && !err; i++) {
			int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);

			if (hi < 0 || lo < 0)
				err = -EBADMSG;
			else
				key[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		err = -EBADMSG;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return err;
}

const char *hs_strerror(int err)
{
	switch (err) {
	case -EBADMSG: return "not a valid ipsecha snapshot (truncated or malformed)";
	case -EPROTONOSUPPORT: return "snapshot version not supported";
	case -EKEYREJECTED: return "integrity check failed (wrong cluster key, or the file was modified)";
	case -EPERM: return "key file accessible by group or others (chmod 600)";
	default: return strerror(-err);
	}
}
