/* test_snap.c — state snapshot records and files (agent/ha/ha_snap.c):
 * round trips, integrity (wrong key, any modified byte, truncation),
 * versions, malformed records, the cluster key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "ha_snap.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ipsh-snap-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void fill(struct hs_ike *h, int variant)
{
	struct ike_sa_rec *r = &h->ike;

	memset(h, 0, sizeof(*h));
	snprintf(r->conn, sizeof(r->conn), "gw-%d", variant);
	r->id = 7 + (uint32_t)variant;
	r->initiator = variant & 1;
	for (int i = 0; i < 8; i++) {
		r->spi_i[i] = (uint8_t)(0x10 + i + variant);
		r->spi_r[i] = (uint8_t)(0x80 + i);
	}
	if (variant & 2) {
		struct sockaddr_in6 *l = (struct sockaddr_in6 *)&r->local;
		struct sockaddr_in6 *m = (struct sockaddr_in6 *)&r->remote;

		l->sin6_family = m->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &l->sin6_addr);
		inet_pton(AF_INET6, "2001:db8::2", &m->sin6_addr);
		l->sin6_port = htons(4500);
		m->sin6_port = htons(4500);
	} else {
		struct sockaddr_in *l = (struct sockaddr_in *)&r->local;
		struct sockaddr_in *m = (struct sockaddr_in *)&r->remote;

		l->sin_family = m->sin_family = AF_INET;
		inet_pton(AF_INET, "192.0.2.1", &l->sin_addr);
		inet_pton(AF_INET, "192.0.2.2", &m->sin_addr);
		l->sin_port = htons(500);
		m->sin_port = htons(4500);
	}
	r->natt = true;
	r->nat_remote = variant & 1;
	r->suite = (struct ikc_suite){ .encr = 20, .encr_keybits = 256, .prf = 5, .dh = 31 };
	r->keys.prf = 5;
	r->keys.prf_len = 32;
	r->keys.encr_len = 36;
	r->keys.integ_len = 0;
	memset(r->keys.sk_d, 0xd1, 32);
	memset(r->keys.sk_ei, 0xe1, 36);
	memset(r->keys.sk_er, 0xe2, 36);
	memset(r->keys.sk_pi, 0xf1, 32);
	memset(r->keys.sk_pr, 0xf2, 32);
	r->peer_id.type = 2;
	r->peer_id.len = 9;
	memcpy(r->peer_id.data, "a@ipsh.io", 9);
	r->mid_send = 41 + (uint32_t)variant;
	r->mid_recv = 17;
	r->win_out = 1;
	r->caps = 3;
	r->group_esn = variant & 2;
	r->n_children = 2;
	for (unsigned k = 0; k < 2; k++) {
		struct ike_child_rec *c = &r->children[k];

		c->spi_in = 0xc0000001u + k;
		c->spi_out = 0xd0000001u + k;
		c->suite = (struct ikc_suite){ .encr = 12, .encr_keybits = 128, .integ = 12,
					       .esn = (uint16_t)(variant & 2 ? 1 : 0) };
		c->initiator = k == 0;
		c->encap = true;
		c->n_tsl = 1;
		c->n_tsr = 2;
		c->tsl[0] = (struct ikm_ts){ .type = 7, .end_port = 65535, .start = { 10, 1 },
					     .end = { 10, 1, 0, 255 } };
		c->tsr[0] = (struct ikm_ts){ .type = 7, .ip_proto = 17, .start_port = 500,
					     .end_port = 500, .start = { 10, 2 }, .end = { 10, 2, 0, 255 } };
		c->tsr[1] = c->tsr[0];
		c->keys.encr_len = 16;
		c->keys.integ_len = 32;
		memset(c->keys.ei, 0x11 + k, 16);
		memset(c->keys.er, 0x22 + k, 16);
		memset(c->keys.ai, 0x33 + k, 32);
		memset(c->keys.ar, 0x44 + k, 32);
		c->counters_valid = true;
		c->tx_seq = 1000000 + k;
		c->rx_top = (variant & 2) ? (UINT64_C(5) << 32) + k : 77 + k;
	}
	h->offered = 3;
	h->peer_offered = 1;
	h->snap_epoch = 4;
	h->snap_wall_ms = UINT64_C(1790000000123);
	h->have_last_m1 = variant & 1;
	h->last_m1 = h->have_last_m1 ? 60 : 0;
}

static void same(const struct hs_ike *a, const struct hs_ike *b)
{
	const struct ike_sa_rec *x = &a->ike, *y = &b->ike;

	assert_string_equal(x->conn, y->conn);
	assert_int_equal(x->id, y->id);
	assert_int_equal(x->initiator, y->initiator);
	assert_memory_equal(x->spi_i, y->spi_i, 8);
	assert_memory_equal(x->spi_r, y->spi_r, 8);
	assert_memory_equal(&x->local, &y->local, sizeof(struct sockaddr_in6));
	assert_memory_equal(&x->remote, &y->remote, sizeof(struct sockaddr_in6));
	assert_int_equal(x->natt, y->natt);
	assert_int_equal(x->nat_remote, y->nat_remote);
	assert_memory_equal(&x->suite, &y->suite, sizeof(x->suite));
	assert_int_equal(x->keys.prf, y->keys.prf);
	assert_int_equal(x->keys.prf_len, y->keys.prf_len);
	assert_int_equal(x->keys.encr_len, y->keys.encr_len);
	assert_memory_equal(x->keys.sk_d, y->keys.sk_d, x->keys.prf_len);
	assert_memory_equal(x->keys.sk_ei, y->keys.sk_ei, x->keys.encr_len);
	assert_memory_equal(x->keys.sk_er, y->keys.sk_er, x->keys.encr_len);
	assert_memory_equal(x->keys.sk_pi, y->keys.sk_pi, x->keys.prf_len);
	assert_memory_equal(x->keys.sk_pr, y->keys.sk_pr, x->keys.prf_len);
	assert_int_equal(x->peer_id.type, y->peer_id.type);
	assert_int_equal(x->peer_id.len, y->peer_id.len);
	assert_memory_equal(x->peer_id.data, y->peer_id.data, x->peer_id.len);
	assert_int_equal(x->mid_send, y->mid_send);
	assert_int_equal(x->mid_recv, y->mid_recv);
	assert_int_equal(x->win_out, y->win_out);
	assert_int_equal(x->caps, y->caps);
	assert_int_equal(x->group_esn, y->group_esn);
	assert_int_equal(x->n_children, y->n_children);
	for (unsigned k = 0; k < x->n_children; k++) {
		const struct ike_child_rec *c = &x->children[k], *d = &y->children[k];

		assert_int_equal(c->spi_in, d->spi_in);
		assert_int_equal(c->spi_out, d->spi_out);
		assert_memory_equal(&c->suite, &d->suite, sizeof(c->suite));
		assert_int_equal(c->initiator, d->initiator);
		assert_int_equal(c->encap, d->encap);
		assert_int_equal(c->n_tsl, d->n_tsl);
		assert_int_equal(c->n_tsr, d->n_tsr);
		assert_memory_equal(c->tsl, d->tsl, sizeof(struct ikm_ts) * c->n_tsl);
		assert_memory_equal(c->tsr, d->tsr, sizeof(struct ikm_ts) * c->n_tsr);
		assert_memory_equal(&c->keys, &d->keys, sizeof(c->keys));
		assert_int_equal(c->counters_valid, d->counters_valid);
		assert_true(c->tx_seq == d->tx_seq);
		assert_true(c->rx_top == d->rx_top);
	}
	assert_int_equal(a->offered, b->offered);
	assert_int_equal(a->peer_offered, b->peer_offered);
	assert_true(a->snap_epoch == b->snap_epoch);
	assert_true(a->snap_wall_ms == b->snap_wall_ms);
	assert_int_equal(a->have_last_m1, b->have_last_m1);
	assert_int_equal(a->last_m1, b->last_m1);
}

static void t_record_roundtrip(void **state)
{
	static struct hs_ike a, b;
	uint8_t buf[HS_MAX_REC];

	(void)state;
	for (int v = 0; v < 4; v++) {
		int len;

		fill(&a, v);
		len = hs_rec_encode(&a, buf, sizeof(buf));
		assert_true(len > 0 && len < HS_MAX_REC);
		assert_int_equal(hs_rec_decode(buf, (size_t)len, &b), 0);
		same(&a, &b);
		/* every strict prefix is rejected (no partial state) */
		for (int cut = 0; cut < len; cut += 7)
			assert_int_not_equal(hs_rec_decode(buf, (size_t)cut, &b), 0);
	}
	/* too small a buffer */
	assert_int_equal(hs_rec_encode(&a, buf, 40), -ENOSPC);
	/* bad input refused before encoding */
	a.ike.n_children = IKE_REC_MAX_CHILDREN + 1;
	assert_int_equal(hs_rec_encode(&a, buf, sizeof(buf)), -EINVAL);
	fill(&a, 0);
	a.ike.conn[0] = 0;
	assert_int_equal(hs_rec_encode(&a, buf, sizeof(buf)), -EINVAL);
}

/* TLV surgery on an encoded record. */
static size_t find_tlv(const uint8_t *b, size_t len, uint16_t type)
{
	for (size_t off = 0; off + 4 <= len;) {
		uint16_t t = (uint16_t)(b[off] << 8 | b[off + 1]);
		uint16_t l = (uint16_t)(b[off + 2] << 8 | b[off + 3]);

		if (t == type)
			return off;
		off += 4u + l;
	}
	return SIZE_MAX;
}

static void t_record_malformed(void **state)
{
	static struct hs_ike a, b;
	uint8_t buf[HS_MAX_REC], m[HS_MAX_REC + 16];
	int len;
	size_t off;

	(void)state;
	fill(&a, 1);
	len = hs_rec_encode(&a, buf, sizeof(buf));
	assert_true(len > 0);
	/* unknown field (type 200) in front: skipped */
	memcpy(m, "\x00\xc8\x00\x03xyz", 7);
	memcpy(m + 7, buf, (size_t)len);
	assert_int_equal(hs_rec_decode(m, (size_t)len + 7, &b), 0);
	same(&a, &b);
	/* record version 2 */
	memcpy(m, buf, (size_t)len);
	off = find_tlv(m, (size_t)len, 1);
	assert_true(off != SIZE_MAX);
	m[off + 5] = 2;
	assert_int_equal(hs_rec_decode(m, (size_t)len, &b), -EPROTONOSUPPORT);
	/* a required field missing (MIDs, type 11): renamed to an unknown type */
	memcpy(m, buf, (size_t)len);
	off = find_tlv(m, (size_t)len, 11);
	m[off + 1] = 99;
	assert_int_equal(hs_rec_decode(m, (size_t)len, &b), -EBADMSG);
	/* a length running past the end */
	memcpy(m, buf, (size_t)len);
	off = find_tlv(m, (size_t)len, 2);
	m[off + 2] = 0x7f;
	assert_int_equal(hs_rec_decode(m, (size_t)len, &b), -EBADMSG);
	/* a wrong fixed size (SPIs 15 bytes) */
	memcpy(m, buf, (size_t)len);
	off = find_tlv(m, (size_t)len, 5);
	m[off + 3] = 15;
	assert_int_equal(hs_rec_decode(m, (size_t)len, &b), -EBADMSG);
	/* key length above the maximum */
	memcpy(m, buf, (size_t)len);
	off = find_tlv(m, (size_t)len, 9);
	m[off + 4 + 3] = 200;
	assert_int_equal(hs_rec_decode(m, (size_t)len, &b), -EBADMSG);
	/* a field given twice (a second, shorter connection name) */
	memcpy(m, buf, (size_t)len);
	memcpy(m + len, "\x00\x02\x00\x01x", 5);
	assert_int_equal(hs_rec_decode(m, (size_t)len + 5, &b), -EBADMSG);
	/* a Child SA field given twice: the SPIs TLV of the first Child SA
	 * repeated inside it (its length grows by 12) */
	off = find_tlv(buf, (size_t)len, 15);
	assert_true(off != SIZE_MAX);
	{
		size_t clen = (size_t)(buf[off + 2] << 8 | buf[off + 3]);

		memcpy(m, buf, off + 4 + clen);
		memcpy(m + off + 4 + clen, buf + off + 4, 12);   /* its first TLV: SPIs */
		assert_true(buf[off + 4] == 0 && buf[off + 5] == 2);
		memcpy(m + off + 4 + clen + 12, buf + off + 4 + clen, (size_t)len - off - 4 - clen);
		m[off + 2] = (uint8_t)((clen + 12) >> 8);
		m[off + 3] = (uint8_t)(clen + 12);
		assert_int_equal(hs_rec_decode(m, (size_t)len + 12, &b), -EBADMSG);
		/* control: the same surgery with an unknown type is accepted */
		m[off + 4 + clen + 1] = 99;
		assert_int_equal(hs_rec_decode(m, (size_t)len + 12, &b), 0);
	}
	/* zero SPI */
	fill(&a, 1);
	memset(a.ike.spi_r, 0, 8);
	len = hs_rec_encode(&a, buf, sizeof(buf));
	assert_int_equal(hs_rec_decode(buf, (size_t)len, &b), -EBADMSG);
}

static const uint8_t key1[HS_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t key2[HS_KEY_LEN] = { 9, 8, 7 };

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static void t_file(void **state)
{
	static struct hs_ike recs[3];
	struct hs_file_info info;
	struct hs_ike *got = NULL;
	size_t n = 0, len;
	char path[128];
	struct stat st;
	uint8_t *raw;

	(void)state;
	for (int i = 0; i < 3; i++)
		fill(&recs[i], i);
	snprintf(path, sizeof(path), "%s/snap.bin", dir);
	assert_int_equal(hs_file_write(path, key1, 5, 1790000000999, recs, 3), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hs_file_read(path, key1, &info, &got, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(info.version, HS_VERSION);
	assert_int_equal(info.n_records, 3);
	assert_true(info.epoch == 5);
	assert_true(info.created_ms == 1790000000999);
	for (int i = 0; i < 3; i++)
		same(&recs[i], &got[i]);
	hs_free_records(got, n);
	/* the keys are not in the file in clear */
	raw = slurp(path, &len);
	for (size_t i = 0; i + 16 <= len; i++) {
		static const uint8_t ei[16] = { 0xe1, 0xe1, 0xe1, 0xe1, 0xe1, 0xe1, 0xe1, 0xe1,
						0xe1, 0xe1, 0xe1, 0xe1, 0xe1, 0xe1, 0xe1, 0xe1 };

		assert_true(memcmp(raw + i, ei, 16) != 0);
	}
	/* wrong key */
	got = NULL;
	assert_int_equal(hs_file_parse(raw, len, key2, &info, &got, &n), -EKEYREJECTED);
	assert_null(got);
	/* every single modified byte is detected (header, body, tag) */
	for (size_t i = 0; i < len; i++) {
		int err;

		raw[i] ^= 0x01;
		err = hs_file_parse(raw, len, key1, &info, &got, &n);
		raw[i] ^= 0x01;
		assert_true(err == -EKEYREJECTED || err == -EBADMSG || err == -EPROTONOSUPPORT);
		assert_null(got);
	}
	/* truncation */
	for (size_t cut = 0; cut < len; cut += 13)
		assert_int_equal(hs_file_parse(raw, cut, key1, &info, &got, &n),
				 cut < HS_HDR_LEN + HS_TAG_LEN ? -EBADMSG : -EBADMSG);
	/* version */
	raw[9] = 2;
	assert_int_equal(hs_file_parse(raw, len, key1, &info, &got, &n), -EPROTONOSUPPORT);
	raw[9] = 1;
	/* magic */
	raw[0] = 'X';
	assert_int_equal(hs_file_parse(raw, len, key1, &info, &got, &n), -EBADMSG);
	free(raw);
	/* an empty snapshot is valid */
	assert_int_equal(hs_file_write(path, key1, 1, 1, NULL, 0), 0);
	assert_int_equal(hs_file_read(path, key1, &info, &got, &n), 0);
	assert_int_equal(n, 0);
	hs_free_records(got, n);
	/* no file / a directory */
	assert_int_equal(hs_file_read("/nonexistent/ipsh", key1, &info, &got, &n), -ENOENT);
	assert_int_equal(hs_file_read(dir, key1, &info, &got, &n), -EBADMSG);
}

static void t_key(void **state)
{
	uint8_t k[HS_KEY_LEN], k2[HS_KEY_LEN];
	char path[128];
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/state.key", dir);
	assert_int_equal(hs_key_load(path, false, k), -ENOENT);
	assert_int_equal(hs_key_load(path, true, k), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hs_key_load(path, false, k2), 0);
	assert_memory_equal(k, k2, HS_KEY_LEN);
	/* raw 32 bytes */
	f = fopen(path, "wb");
	fwrite(key1, 1, HS_KEY_LEN, f);
	fclose(f);
	assert_int_equal(hs_key_load(path, false, k), 0);
	assert_memory_equal(k, key1, HS_KEY_LEN);
	/* not hex, wrong size */
	f = fopen(path, "w");
	fputs("zz00000000000000000000000000000000000000000000000000000000000000\n", f);
	fclose(f);
	assert_int_equal(hs_key_load(path, false, k), -EBADMSG);
	f = fopen(path, "w");
	fputs("0011\n", f);
	fclose(f);
	assert_int_equal(hs_key_load(path, true, k), -EBADMSG);
	/* a key group or others may read is refused, also for create */
	f = fopen(path, "w");
	fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(hs_key_load(path, false, k), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(hs_key_load(path, false, k), -EPERM);
	assert_int_equal(hs_key_load(path, true, k), -EPERM);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(hs_key_load(path, false, k), -EPERM);
	assert_string_equal(hs_strerror(-EPERM), "key file accessible by group or others (chmod 600)");
	assert_string_equal(hs_strerror(-EKEYREJECTED),
			    "integrity check failed (wrong cluster key, or the file was modified)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_record_roundtrip),
		cmocka_unit_test(t_record_malformed),
		cmocka_unit_test(t_file),
		cmocka_unit_test(t_key),
	};

	return cmocka_run_group_tests_name("rfc6311-snap", tests, setup, teardown);
}
