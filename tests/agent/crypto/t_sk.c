/* t_sk.c — SK payload protect/unprotect (RFC 7296 §3.14, RFC 5282) and PSK
 * AUTH (RFC 7296 §2.15): round trips for every IKE suite, every single-bit
 * tamper and every truncation rejected, padding rules, IV rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikc.h"
#include "th.h"
#include <errno.h>

static const struct ikc_suite suites[] = {
	{ IKC_ENCR_AES_GCM_16, 128, IKC_PRF_HMAC_SHA2_256, 0, IKC_DH_X25519, 0 },
	{ IKC_ENCR_AES_GCM_16, 256, IKC_PRF_HMAC_SHA2_384, 0, IKC_DH_ECP384, 0 },
	{ IKC_ENCR_AES_CBC, 128, IKC_PRF_HMAC_SHA2_256,
	  IKC_INTEG_HMAC_SHA2_256_128, IKC_DH_ECP256, 0 },
	{ IKC_ENCR_AES_CBC, 256, IKC_PRF_HMAC_SHA2_384,
	  IKC_INTEG_HMAC_SHA2_384_192, IKC_DH_MODP2048, 0 },
	{ IKC_ENCR_AES_CBC, 256, IKC_PRF_HMAC_SHA2_512,
	  IKC_INTEG_HMAC_SHA2_512_256, IKC_DH_ECP384, 0 },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static void suite_name(const struct ikc_suite *s, char *buf, size_t len)
{
	ikc_suite_format(s, IKC_PROTO_IKE, buf, len);
}

static void make_keys(const struct ikc_suite *s, struct ikc_ike_keys *k)
{
	uint8_t gir[32], ni[32], nr[32], spii[8], spir[8];
	for (int i = 0; i < 32; i++) {
		gir[i] = (uint8_t)i;
		ni[i] = (uint8_t)(0x40 + i);
		nr[i] = (uint8_t)(0x80 + i);
	}
	memcpy(spii, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	memcpy(spir, "\x99\xaa\xbb\xcc\xdd\xee\xff\x00", 8);
	if (ikc_kdf_ike(s, gir, 32, ni, 32, nr, 32, spii, spir, k) < 0)
		memset(k, 0, sizeof(*k));
}

/* IKE header (28) + SK generic header (4) with final lengths. */
static size_t make_hdr(uint8_t *msg, size_t body_len)
{
	size_t total = 28 + 4 + body_len;
	memset(msg, 0, 32);
	memcpy(msg, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	memcpy(msg + 8, "\x99\xaa\xbb\xcc\xdd\xee\xff\x00", 8);
	msg[16] = 46;        /* next payload: SK */
	msg[17] = 0x20;      /* version 2.0 */
	msg[18] = 37;        /* INFORMATIONAL */
	msg[19] = 0x08;      /* initiator */
	msg[24] = (uint8_t)(total >> 24);
	msg[25] = (uint8_t)(total >> 16);
	msg[26] = (uint8_t)(total >> 8);
	msg[27] = (uint8_t)total;
	msg[28] = 41;        /* inner first payload: N */
	msg[30] = (uint8_t)((4 + body_len) >> 8);
	msg[31] = (uint8_t)(4 + body_len);
	return total;
}

static void roundtrip(const struct ikc_suite *s)
{
	char name[64];
	struct ikc_ike_keys k;
	struct ikc_sk *si = NULL, *sr = NULL;
	uint8_t plain[300], msg[600], out[600];
	size_t ol = 0;

	suite_name(s, name, sizeof(name));
	make_keys(s, &k);
	th_case(ikc_sk_new(s, &k, true, NULL, &si) == 0 &&
		ikc_sk_new(s, &k, false, NULL, &sr) == 0, "SK %s: contexts", name);
	ikc_ike_keys_wipe(&k);
	if (!si || !sr)
		goto out;
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7);

	/* Several lengths, both directions. */
	bool ok = true;
	for (size_t pl = 0; pl <= 260 && ok; pl += 13) {
		for (int dir = 0; dir < 2 && ok; dir++) {
			struct ikc_sk *tx = dir ? sr : si, *rx = dir ? si : sr;
			size_t bl = ikc_sk_body_len(tx, pl);
			size_t total = make_hdr(msg, bl);
			ok = ikc_sk_seal(tx, msg, sizeof(msg), 32, plain, pl) == 0 &&
			     ikc_sk_open(rx, msg, 32, total, out, sizeof(out), &ol) == 0 &&
			     ol == pl && !memcmp(out, plain, pl) &&
			     bl <= pl + ikc_sk_max_overhead(tx);
		}
	}
	th_case(ok, "SK %s: round trip, 0..260 octets, both directions", name);

	/* A message is not accepted by its own sender (other keys). */
	size_t bl = ikc_sk_body_len(si, 40);
	size_t total = make_hdr(msg, bl);
	ikc_sk_seal(si, msg, sizeof(msg), 32, plain, 40);
	th_case(ikc_sk_open(si, msg, 32, total, out, sizeof(out), &ol) == -EBADMSG,
		"SK %s: own message rejected by the sender's inbound keys", name);

	/* Every single-bit flip anywhere in the message is rejected. */
	unsigned bad = 0;
	for (size_t i = 0; i < total; i++) {
		msg[i] ^= 0x01;
		if (ikc_sk_open(sr, msg, 32, total, out, sizeof(out), &ol) != -EBADMSG)
			bad++;
		msg[i] ^= 0x01;
	}
	th_case(bad == 0, "SK %s: each of %zu bit flips rejected (%u accepted)",
		name, total, bad);
	th_case(ikc_sk_open(sr, msg, 32, total, out, sizeof(out), &ol) == 0,
		"SK %s: untampered message still opens", name);
	/* Every truncation is rejected. */
	bad = 0;
	for (size_t t = 32; t < total; t++)
		if (ikc_sk_open(sr, msg, 32, t, out, sizeof(out), &ol) != -EBADMSG)
			bad++;
	th_case(bad == 0, "SK %s: every truncation rejected", name);
	/* Output buffer too small. */
	th_case(ikc_sk_open(sr, msg, 32, total, out, 8, &ol) == -ENOSPC,
		"SK %s: -ENOSPC for a short output buffer", name);
	th_case(ikc_sk_seal(si, msg, 40, 32, plain, 40) == -ENOSPC,
		"SK %s: -ENOSPC for a short message buffer", name);
out:
	ikc_sk_free(si);
	ikc_sk_free(sr);
}

/* Hand-built bodies exercising the Pad Length rules. */
static void padding(void)
{
	/* CBC-128 + SHA256: build IV | CBC(P) | ICV from the key material. */
	const struct ikc_suite *s = &suites[2];
	struct ikc_ike_keys k;
	struct ikc_sk *sr = NULL;
	struct ikc_cbc *enc = NULL;
	uint8_t msg[200], out[200];
	size_t ol;

	make_keys(s, &k);
	ikc_sk_new(s, &k, false, NULL, &sr);
	ikc_cbc_new(k.sk_ei, 16, true, &enc);
	struct { const char *what; size_t len; uint8_t padbyte; uint8_t fill;
		 int want; size_t want_len; } rows[] = {
		{ "pad length 15 of 16 (no payload) accepted", 16, 15, 0, 0, 0 },
		{ "pad length 16 in a 16-octet block rejected", 16, 16, 0, -EBADMSG, 0 },
		{ "pad length 255 rejected", 32, 255, 0, -EBADMSG, 0 },
		{ "non-minimal padding (17 of 32) accepted", 32, 17, 0, 0, 14 },
		{ "padding content ignored (0xa5 fill)", 32, 5, 0xa5, 0, 26 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		size_t elen = rows[r].len, icvl = 16;
		size_t total = make_hdr(msg, 16 + elen + icvl);
		uint8_t *iv = msg + 32, *ct = iv + 16, pt[64];
		memset(iv, 0x3c, 16);
		memset(pt, 0x42, elen);
		if (rows[r].fill)
			memset(pt + elen - 1 - rows[r].padbyte, rows[r].fill,
			       rows[r].padbyte < elen ? rows[r].padbyte : 0);
		pt[elen - 1] = rows[r].padbyte;
		ikc_cbc_crypt(enc, iv, pt, elen, ct);
		struct ikc_buf d = { msg, 32 + 16 + elen };
		ikc_integ_mac(s->integ, k.sk_ai, k.integ_len, &d, 1, ct + elen);
		int rc = ikc_sk_open(sr, msg, 32, total, out, sizeof(out), &ol);
		th_case(rc == rows[r].want && (rc || ol == rows[r].want_len),
			"SK CBC padding: %s", rows[r].what);
	}
	/* Ciphertext not a multiple of the block size. */
	size_t total = make_hdr(msg, 16 + 20 + 16);
	th_case(ikc_sk_open(sr, msg, 32, total, out, sizeof(out), &ol) == -EBADMSG,
		"SK CBC: ciphertext not a multiple of 16 rejected");
	ikc_cbc_free(enc);
	ikc_sk_free(sr);
	ikc_ike_keys_wipe(&k);

	/* GCM: Pad Length larger than the plaintext. */
	s = &suites[0];
	make_keys(s, &k);
	struct ikc_gcm *g = NULL;
	ikc_sk_new(s, &k, false, NULL, &sr);
	ikc_gcm_new(k.sk_ei, 16, &g);
	uint8_t nonce[12], pt[4] = { 0xaa, 0xbb, 0xcc, 9 };
	total = make_hdr(msg, 8 + 4 + 16);
	memcpy(nonce, k.sk_ei + 16, 4);
	memset(msg + 32, 7, 8);
	memcpy(nonce + 4, msg + 32, 8);
	ikc_gcm_seal(g, nonce, msg, 32, pt, 4, msg + 40, msg + 44);
	th_case(ikc_sk_open(sr, msg, 32, total, out, sizeof(out), &ol) == -EBADMSG,
		"SK GCM: Pad Length beyond the plaintext rejected");
	pt[3] = 1;  /* one octet of padding: valid, 2 payload octets */
	ikc_gcm_seal(g, nonce, msg, 32, pt, 4, msg + 40, msg + 44);
	th_case(ikc_sk_open(sr, msg, 32, total, out, sizeof(out), &ol) == 0 &&
		ol == 2 && out[0] == 0xaa && out[1] == 0xbb,
		"SK GCM: non-minimal padding accepted (RFC 5282 §3)");
	ikc_gcm_free(g);
	ikc_sk_free(sr);
	ikc_ike_keys_wipe(&k);
}

static void ivs(void)
{
	struct ikc_ike_keys k;
	struct ikc_sk *a = NULL;
	uint8_t msg[200], p[8] = { 0 };

	/* GCM: IVs are distinct, consecutive counter values. */
	make_keys(&suites[0], &k);
	ikc_sk_new(&suites[0], &k, true, NULL, &a);
	uint8_t iv[3][8];
	for (int i = 0; i < 3; i++) {
		make_hdr(msg, ikc_sk_body_len(a, 8));
		ikc_sk_seal(a, msg, sizeof(msg), 32, p, 8);
		memcpy(iv[i], msg + 32, 8);
	}
	uint64_t v0 = 0, v2 = 0;
	for (int i = 0; i < 8; i++) {
		v0 = v0 << 8 | iv[0][i];
		v2 = v2 << 8 | iv[2][i];
	}
	th_case(memcmp(iv[0], iv[1], 8) && memcmp(iv[1], iv[2], 8) &&
		v2 - v0 == 2, "SK GCM: IV is a per-context counter");
	ikc_sk_free(a);
	ikc_ike_keys_wipe(&k);

	/* CBC: the IV comes from the (injected) RNG, never repeats. */
	struct ikc_rng_det d1, d2;
	struct ikc_sk *b = NULL;
	uint8_t want[16];
	ikc_rng_det_init(&d1, 5);
	ikc_rng_det_init(&d2, 5);
	make_keys(&suites[2], &k);
	ikc_sk_new(&suites[2], &k, true, &d1.rng, &b);
	make_hdr(msg, ikc_sk_body_len(b, 8));
	ikc_sk_seal(b, msg, sizeof(msg), 32, p, 8);
	ikc_rng_bytes(&d2.rng, want, 16);
	th_case(!memcmp(msg + 32, want, 16), "SK CBC: IV drawn from the RNG");
	ikc_sk_seal(b, msg, sizeof(msg), 32, p, 8);
	th_case(memcmp(msg + 32, want, 16), "SK CBC: next message, new IV");
	ikc_sk_free(b);
	ikc_ike_keys_wipe(&k);

	/* Bad arguments. */
	struct ikc_suite bad = suites[0];
	bad.integ = IKC_INTEG_HMAC_SHA2_256_128;  /* AEAD + integ */
	make_keys(&suites[0], &k);
	th_case(ikc_sk_new(&bad, &k, true, NULL, &b) == -EINVAL && !b,
		"SK: AEAD suite with an integrity transform refused");
	bad = suites[2];
	bad.encr_keybits = 192;
	th_case(ikc_sk_new(&bad, &k, true, NULL, &b) == -ENOTSUP,
		"SK: AES-192 refused (-ENOTSUP)");
	th_case(ikc_sk_new(&suites[2], &k, true, NULL, &b) == -EINVAL,
		"SK: keys of another suite refused");
	ikc_ike_keys_wipe(&k);
}

static void auth(void)
{
	const uint8_t psk[] = "a pre-shared key of some length";
	uint8_t msg1[100], nonce[32], skp[32], id[12], a1[64], a2[64];
	size_t l1 = 0, l2 = 0;
	memset(msg1, 1, sizeof(msg1));
	memset(nonce, 2, sizeof(nonce));
	memset(skp, 3, sizeof(skp));
	memcpy(id, "\x02\0\0\0gw.test", 11);
	struct ikc_auth_input in = { msg1, sizeof(msg1), nonce, sizeof(nonce),
				     skp, sizeof(skp), id, 11 };
	th_case(ikc_auth_psk(IKC_PRF_HMAC_SHA2_256, psk, 31, &in, a1, &l1) == 0 &&
		l1 == 32, "AUTH: computed (32 octets for prfsha256)");
	/* The same value from the RFC 7296 §2.15 formula spelled out. */
	uint8_t padkey[32], maced[32];
	struct ikc_buf b1 = { id, 11 }, b2 = { (const uint8_t *)"Key Pad for IKEv2", 17 };
	ikc_prf(IKC_PRF_HMAC_SHA2_256, skp, 32, &b1, 1, maced);
	ikc_prf(IKC_PRF_HMAC_SHA2_256, psk, 31, &b2, 1, padkey);
	struct ikc_buf so[] = { { msg1, 100 }, { nonce, 32 }, { maced, 32 } };
	ikc_prf(IKC_PRF_HMAC_SHA2_256, padkey, 32, so, 3, a2);
	th_case(!memcmp(a1, a2, 32), "AUTH: matches prf(prf(PSK, pad), "
		"msg | nonce | prf(SK_p, ID))");
	th_case(ikc_auth_psk_verify(IKC_PRF_HMAC_SHA2_256, psk, 31, &in, a1, 32) == 0,
		"AUTH: verify accepts the right value");
	th_case(ikc_auth_psk_verify(IKC_PRF_HMAC_SHA2_256, psk, 30, &in, a1, 32) ==
		-EBADMSG, "AUTH: wrong PSK rejected");
	th_case(ikc_auth_psk_verify(IKC_PRF_HMAC_SHA2_256, psk, 31, &in, a1, 31) ==
		-EBADMSG, "AUTH: truncated AUTH rejected");
	a1[31] ^= 0x80;
	th_case(ikc_auth_psk_verify(IKC_PRF_HMAC_SHA2_256, psk, 31, &in, a1, 32) ==
		-EBADMSG, "AUTH: one flipped bit rejected");
	th_case(ikc_auth_psk(IKC_PRF_HMAC_SHA2_512, psk, 31, &in, a2, &l2) == 0 &&
		l2 == 64, "AUTH: prfsha512 gives 64 octets");
	th_case(ikc_auth_psk(99, psk, 31, &in, a2, &l2) == -ENOTSUP,
		"AUTH: unknown prf refused");
}

void t_sk(void)
{
	for (size_t i = 0; i < NSUITES; i++)
		roundtrip(&suites[i]);
	padding();
	ivs();
	auth();
}
