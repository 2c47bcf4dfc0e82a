/* t_wycheproof.c — Project Wycheproof vectors through our primitives.
 *
 * valid: must be accepted with the expected output. invalid: must be
 * rejected. acceptable: either, but an acceptance must give the expected
 * output — except that an all-zero X25519 secret must always be rejected
 * (RFC 8031 §2). Cases whose parameters IKEv2/ESP cannot carry (GCM
 * nonces other than 12 octets, tags other than 16, 192-bit keys, HMAC tag
 * lengths we never use, compressed EC points) are reported as out of scope
 * and not counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ikc.h"
#include "th.h"
#include <errno.h>

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
						    : "";
}

static int jint(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int(v) : -1;
}

static bool has_flag(json_object *t, const char *flag)
{
	json_object *fl;
	if (!json_object_object_get_ex(t, "flags", &fl))
		return false;
	for (size_t i = 0; i < json_object_array_length(fl); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(fl, i)),
			    flag))
			return true;
	return false;
}

/* Iterate tests of a file: fn(group, test) returns 1 counted, 0 out of
 * scope. */
static void each(const char *file, const char *what,
		 int (*fn)(json_object *g, json_object *t))
{
	json_object *root = json_object_from_file(th_vector(file)), *groups;
	unsigned scoped = 0, total = 0;
	if (!root || !json_object_object_get_ex(root, "testGroups", &groups)) {
		th_case(false, "wycheproof %s: cannot read %s", what, file);
		json_object_put(root);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		json_object *g = json_object_array_get_idx(groups, i), *tests;
		if (!json_object_object_get_ex(g, "tests", &tests))
			continue;
		for (size_t j = 0; j < json_object_array_length(tests); j++) {
			total++;
			scoped += (unsigned)fn(g, json_object_array_get_idx(tests, j));
		}
	}
	printf("wycheproof %-12s %u of %u cases in scope\n", what, scoped, total);
	json_object_put(root);
}

struct bufs {
	uint8_t *key, *iv, *aad, *msg, *ct, *tag;
	size_t kl, ivl, al, ml, cl, tl;
};

static void bufs_free(struct bufs *b)
{
	free(b->key); free(b->iv); free(b->aad); free(b->msg); free(b->ct);
	free(b->tag);
}

static int gcm_case(json_object *g, json_object *t)
{
	struct bufs b = { 0 };
	const char *res = jstr(t, "result");
	int id = jint(t, "tcId");
	if (jint(g, "ivSize") != 96 || jint(g, "tagSize") != 128 ||
	    (jint(g, "keySize") != 128 && jint(g, "keySize") != 256))
		return 0;
	b.key = th_unhex_alloc(jstr(t, "key"), &b.kl);
	b.iv = th_unhex_alloc(jstr(t, "iv"), &b.ivl);
	b.aad = th_unhex_alloc(jstr(t, "aad"), &b.al);
	b.msg = th_unhex_alloc(jstr(t, "msg"), &b.ml);
	b.ct = th_unhex_alloc(jstr(t, "ct"), &b.cl);
	b.tag = th_unhex_alloc(jstr(t, "tag"), &b.tl);
	struct ikc_gcm *gcm = NULL;
	uint8_t *out = malloc(b.cl + b.ml + 1), tag[16];
	bool ok;
	if (ikc_gcm_new(b.key, b.kl, &gcm) < 0 || b.ivl != 12 || b.tl != 16) {
		ok = false;
	} else if (!strcmp(res, "valid")) {
		ok = ikc_gcm_open(gcm, b.iv, b.aad, b.al, b.ct, b.cl, out, b.tag) == 0 &&
		     b.cl == b.ml && (!b.ml || !memcmp(out, b.msg, b.ml));
		ok = ok && ikc_gcm_seal(gcm, b.iv, b.aad, b.al, b.msg, b.ml, out,
					tag) == 0 &&
		     (!b.ml || !memcmp(out, b.ct, b.ml)) && !memcmp(tag, b.tag, 16);
	} else {
		ok = ikc_gcm_open(gcm, b.iv, b.aad, b.al, b.ct, b.cl, out, b.tag) ==
		     -EBADMSG;
	}
	th_case(ok, "wycheproof AES-GCM tcId %d (%s)", id, res);
	ikc_gcm_free(gcm);
	free(out);
	bufs_free(&b);
	return 1;
}

/* AES-CBC-PKCS5: IKE/ESP use their own padding, so the raw cipher is
 * checked on every case's ciphertext: decrypting must give msg followed by
 * its PKCS#5 padding for valid cases. Invalid cases differ only in the
 * PKCS#5 padding, which IKEv2 does not use: out of scope. */
static int cbc_case(json_object *g, json_object *t)
{
	struct bufs b = { 0 };
	const char *res = jstr(t, "result");
	if (strcmp(res, "valid") ||
	    (jint(g, "keySize") != 128 && jint(g, "keySize") != 256))
		return 0;
	b.key = th_unhex_alloc(jstr(t, "key"), &b.kl);
	b.iv = th_unhex_alloc(jstr(t, "iv"), &b.ivl);
	b.msg = th_unhex_alloc(jstr(t, "msg"), &b.ml);
	b.ct = th_unhex_alloc(jstr(t, "ct"), &b.cl);
	struct ikc_cbc *dec = NULL, *enc = NULL;
	uint8_t *out = malloc(b.cl + 16), *padded = malloc(b.cl + 16);
	size_t pad = 16 - b.ml % 16;
	memcpy(padded, b.msg, b.ml);
	memset(padded + b.ml, (int)pad, pad);
	bool ok = b.cl == b.ml + pad &&
		  !ikc_cbc_new(b.key, b.kl, false, &dec) &&
		  !ikc_cbc_new(b.key, b.kl, true, &enc) &&
		  !ikc_cbc_crypt(dec, b.iv, b.ct, b.cl, out) &&
		  !memcmp(out, padded, b.cl) &&
		  !ikc_cbc_crypt(enc, b.iv, padded, b.cl, out) &&
		  !memcmp(out, b.ct, b.cl);
	th_case(ok, "wycheproof AES-CBC tcId %d", jint(t, "tcId"));
	ikc_cbc_free(dec);
	ikc_cbc_free(enc);
	free(out);
	free(padded);
	bufs_free(&b);
	return 1;
}

static uint16_t hmac_prf, hmac_integ;
static unsigned hmac_full, hmac_trunc;

/* HMAC: full-length tags go through ikc_prf, the RFC 4868 truncation
 * through ikc_integ_mac. A valid case must match, an invalid one (a
 * modified tag) must not. */
static int hmac_case(json_object *g, json_object *t)
{
	int ts = jint(g, "tagSize");
	unsigned full = hmac_full, trunc = hmac_trunc;
	if ((unsigned)ts != full && (unsigned)ts != trunc)
		return 0;
	size_t kl, ml, tl;
	uint8_t *key = th_unhex_alloc(jstr(t, "key"), &kl);
	uint8_t *msg = th_unhex_alloc(jstr(t, "msg"), &ml);
	uint8_t *tag = th_unhex_alloc(jstr(t, "tag"), &tl);
	uint8_t out[64];
	struct ikc_buf d = { msg, ml };
	int rc = (unsigned)ts == full ? ikc_prf(hmac_prf, key, kl, &d, 1, out)
				      : ikc_integ_mac(hmac_integ, key, kl, &d, 1, out);
	bool match = rc == 0 && tl * 8 == (size_t)ts && !memcmp(out, tag, tl);
	const char *res = jstr(t, "result");
	th_case(!strcmp(res, "valid") ? match : !match,
		"wycheproof HMAC-%u/%d tcId %d (%s)", full * 1, ts,
		jint(t, "tcId"), res);
	free(key);
	free(msg);
	free(tag);
	return 1;
}

static uint16_t ecdh_group;

static int ecdh_case(json_object *g, json_object *t)
{
	(void)g;
	const struct ikc_dh_alg *a = ikc_dh_find(ecdh_group);
	size_t pl, kl, sl;
	uint8_t *pub = th_unhex_alloc(jstr(t, "public"), &pl);
	uint8_t *priv = th_unhex_alloc(jstr(t, "private"), &kl);
	uint8_t *shared = th_unhex_alloc(jstr(t, "shared"), &sl);
	const char *res = jstr(t, "result");
	int counted = 1;
	uint8_t scalar[48] = { 0 }, out[48];
	size_t ol = 0, fl = a->secret_len;
	bool uncompressed = pl == 1 + 2 * fl && pub[0] == 4;

	/* Valid cases we cannot express on the wire (compressed points). */
	if (!strcmp(res, "valid") && !uncompressed) {
		counted = 0;
		goto out;
	}
	/* Private scalars are big-endian, maybe with a leading zero octet. */
	const uint8_t *k = priv;
	while (kl > fl && *k == 0)
		k++, kl--;
	if (kl > fl) {
		counted = 0;
		goto out;
	}
	memcpy(scalar + fl - kl, k, kl);
	struct ikc_ke *ke = NULL;
	int rc = ikc_ke_new_private(ecdh_group, scalar, fl, &ke);
	if (rc == 0) {
		/* On the wire only x||y exists: an uncompressed point loses its
		 * 04 prefix, anything else is passed as is (and must fail). */
		rc = uncompressed ? ikc_ke_derive(ke, pub + 1, pl - 1, out,
						  sizeof(out), &ol)
				  : ikc_ke_derive(ke, pub, pl, out, sizeof(out), &ol);
	}
	ikc_ke_free(ke);
	bool accepted = rc == 0;
	bool correct = accepted && ol == sl && !memcmp(out, shared, sl);
	bool ok = !strcmp(res, "valid") ? correct :
		  !strcmp(res, "invalid") ? !accepted : (!accepted || correct);
	th_case(ok, "wycheproof ECDH group %u tcId %d (%s)", ecdh_group,
		jint(t, "tcId"), res);
out:
	free(pub);
	free(priv);
	free(shared);
	return counted;
}

static int x25519_case(json_object *g, json_object *t)
{
	(void)g;
	size_t pl, kl, sl;
	uint8_t *pub = th_unhex_alloc(jstr(t, "public"), &pl);
	uint8_t *priv = th_unhex_alloc(jstr(t, "private"), &kl);
	uint8_t *shared = th_unhex_alloc(jstr(t, "shared"), &sl);
	const char *res = jstr(t, "result");
	uint8_t out[32];
	size_t ol = 0;
	struct ikc_ke *ke = NULL;
	int rc = ikc_ke_new_private(IKC_DH_X25519, priv, kl, &ke);
	if (rc == 0)
		rc = ikc_ke_derive(ke, pub, pl, out, sizeof(out), &ol);
	ikc_ke_free(ke);
	bool accepted = rc == 0;
	bool correct = accepted && ol == sl && !memcmp(out, shared, sl);
	bool zero = has_flag(t, "ZeroSharedSecret");
	bool ok = zero ? !accepted :
		  !strcmp(res, "valid") ? correct :
		  !strcmp(res, "invalid") ? !accepted : (!accepted || correct);
	th_case(ok, "wycheproof X25519 tcId %d (%s%s)", jint(t, "tcId"), res,
		zero ? ", zero secret" : "");
	free(pub);
	free(priv);
	free(shared);
	return 1;
}

void t_wycheproof(void)
{
	each("aes_gcm_test.json", "AES-GCM", gcm_case);
	each("aes_cbc_pkcs5_test.json", "AES-CBC", cbc_case);
	hmac_prf = IKC_PRF_HMAC_SHA2_256;
	hmac_integ = IKC_INTEG_HMAC_SHA2_256_128;
	hmac_full = 256;
	hmac_trunc = 128;
	each("hmac_sha256_test.json", "HMAC-SHA256", hmac_case);
	hmac_prf = IKC_PRF_HMAC_SHA2_384;
	hmac_integ = IKC_INTEG_HMAC_SHA2_384_192;
	hmac_full = 384;
	hmac_trunc = 192;
	each("hmac_sha384_test.json", "HMAC-SHA384", hmac_case);
	hmac_prf = IKC_PRF_HMAC_SHA2_512;
	hmac_integ = IKC_INTEG_HMAC_SHA2_512_256;
	hmac_full = 512;
	hmac_trunc = 256;
	each("hmac_sha512_test.json", "HMAC-SHA512", hmac_case);
	ecdh_group = IKC_DH_ECP256;
	each("ecdh_secp256r1_ecpoint_test.json", "ECDH-P256", ecdh_case);
	ecdh_group = IKC_DH_ECP384;
	each("ecdh_secp384r1_ecpoint_test.json", "ECDH-P384", ecdh_case);
	each("x25519_test.json", "X25519", x25519_case);
}
