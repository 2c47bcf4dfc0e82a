/* ikc_ke.c — key exchange groups 14, 19, 20, 31 on OpenSSL 3.
 *
 * Private values are drawn from the injectable RNG and imported into
 * EVP_PKEYs; the agreement itself is EVP_PKEY_derive with peer validation.
 * The public value of a MODP or ECP key is computed here (BN / EC_POINT)
 * because OpenSSL 3.0 does not derive it when a private key is imported. */
#include "ikc_ke.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "ikc_alg.h"
#include "ikc_internal.h"

struct ikc_ke {
	uint16_t group;
	EVP_PKEY *key;
	size_t pub_len;
	uint8_t pub[IKC_MAX_KE_LEN];
};

/* RFC 3526 §3, 2048-bit MODP Group: p = 2^2048 - 2^1984 - 1 +
 * 2^64 * { [2^1918 pi] + 124476 }, generator 2. */
static const char modp2048_p[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D"
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
	"15728E5A8AACAA68FFFFFFFFFFFFFFFF";

/* RFC 3526 §8: a 2048-bit group gives about 110 bits of strength; an
 * exponent of twice that suffices. We use 256 bits (as strongSwan does),
 * which keeps the exponentiation cheap. */
#define MODP_EXP_LEN 32

static const char *ec_group_name(uint16_t group)
{
	return group == IKC_DH_ECP256 ? "prime256v1" :
	       group == IKC_DH_ECP384 ? "secp384r1" : NULL;
}

static int ec_nid(uint16_t group)
{
	return group == IKC_DH_ECP256 ? NID_X9_62_prime256v1 : NID_secp384r1;
}

static struct ikc_ke *ke_alloc(uint16_t group)
{
	struct ikc_ke *ke = calloc(1, sizeof(*ke));
	if (ke)
		ke->group = group;
	return ke;
}

void ikc_ke_free(struct ikc_ke *ke)
{
	if (!ke)
		return;
	EVP_PKEY_free(ke->key);  /* clears the private key material */
	OPENSSL_cleanse(ke, sizeof(*ke));
	free(ke);
}

uint16_t ikc_ke_group(const struct ikc_ke *ke)
{
	return ke->group;
}

/* EVP_PKEY from OSSL_PARAMs built by the caller. */
static EVP_PKEY *fromdata(const char *type, OSSL_PARAM_BLD *bld,
			  int selection)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params && ctx && OSSL_OK(EVP_PKEY_fromdata_init(ctx)))
		if (!OSSL_OK(EVP_PKEY_fromdata(ctx, &pkey, selection, params)))
			pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);  /* private BN copies are cleared */
	return pkey;
}

/* ---- MODP-2048 --------------------------------------------------------- */

static int modp_setup(struct ikc_ke *ke, const uint8_t *x, size_t x_len)
{
	BIGNUM *p = NULL, *g = NULL, *priv = NULL, *pub = NULL;
	BN_CTX *bn = BN_CTX_secure_new();
	OSSL_PARAM_BLD *bld = NULL;
	int rc = -EIO;

	if (!bn || !BN_hex2bn(&p, modp2048_p) || !(g = BN_new()) ||
	    !BN_set_word(g, 2) || !(priv = BN_secure_new()) ||
	    !(pub = BN_new()))
		goto out;
	if (!BN_bin2bn(x, (int)x_len, priv))
		goto out;
	/* 1 < x < p-1 */
	if (BN_is_zero(priv) || BN_is_one(priv) || BN_num_bits(priv) > 2047) {
		rc = -EINVAL;
		goto out;
	}
	BN_set_flags(priv, BN_FLG_CONSTTIME);
	if (!BN_mod_exp_mont_consttime(pub, g, priv, p, bn, NULL))
		goto out;
	if (BN_bn2binpad(pub, ke->pub, 256) != 256)
		goto out;
	ke->pub_len = 256;
	if (!(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "modp_2048", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	ke->key = fromdata("DH", bld, EVP_PKEY_KEYPAIR);
	rc = ke->key ? 0 : -EIO;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	BN_clear_free(priv);
	BN_free(pub);
	BN_CTX_free(bn);
	return rc;
}

static EVP_PKEY *modp_peer(const uint8_t *y, size_t len)
{
	BIGNUM *pub = BN_bin2bn(y, (int)len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	if (pub && bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    "modp_2048", 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub))
		pk = fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	BN_free(pub);
	return pk;
}

/* ---- ECP-256/384 ------------------------------------------------------ */

static int ec_setup(struct ikc_ke *ke, const uint8_t *d, size_t d_len)
{
	const struct ikc_dh_alg *a = ikc_dh_find(ke->group);
	size_t flen = a->secret_len;
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(ec_nid(ke->group));
	EC_POINT *pt = NULL;
	BIGNUM *priv = BN_secure_new();
	BN_CTX *bn = BN_CTX_secure_new();
	OSSL_PARAM_BLD *bld = NULL;
	uint8_t oct[1 + 2 * 48];
	int rc = -EIO;

	if (!grp || !priv || !bn || !(pt = EC_POINT_new(grp)))
		goto out;
	if (d_len != flen || !BN_bin2bn(d, (int)d_len, priv))
		goto inval;
	/* 0 < d < n */
	if (BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(grp)) >= 0)
		goto inval;
	BN_set_flags(priv, BN_FLG_CONSTTIME);
	if (!EC_POINT_mul(grp, pt, priv, NULL, NULL, bn))
		goto out;
	if (EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, oct,
			       1 + 2 * flen, bn) != 1 + 2 * flen)
		goto out;
	/* RFC 5903 §7: the KE data is x || y without the 0x04 octet. */
	memcpy(ke->pub, oct + 1, 2 * flen);
	ke->pub_len = 2 * flen;
	if (!(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     ec_group_name(ke->group), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      oct, 1 + 2 * flen) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	ke->key = fromdata("EC", bld, EVP_PKEY_KEYPAIR);
	rc = ke->key ? 0 : -EIO;
	goto out;
inval:
	rc = -EINVAL;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	BN_CTX_free(bn);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return rc;
}

static EVP_PKEY *ec_peer(uint16_t group, const uint8_t *xy, size_t len)
{
	uint8_t oct[1 + 2 * 48];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;

	oct[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(oct + 1, xy, len);
	/* Import decodes the point, which fails for coordinates >= p and for
	 * points not on the curve. */
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    ec_group_name(group), 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     oct, 1 + len))
		pk = fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* ---- X25519 ----------------------------------------------------------- */

static int x25519_setup(struct ikc_ke *ke, const uint8_t *k, size_t len)
{
	size_t pl = 32;
	if (len != 32)
		return -EINVAL;
	ke->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, 32);
	if (!ke->key)
		return -EIO;
	if (!OSSL_OK(EVP_PKEY_get_raw_public_key(ke->key, ke->pub, &pl)) ||
	    pl != 32)
		return -EIO;
	ke->pub_len = 32;
	return 0;
}

/* ---- common ----------------------------------------------------------- */

static int setup(struct ikc_ke *ke, const uint8_t *priv, size_t len)
{
	switch (ke->group) {
	case IKC_DH_MODP2048:
		return modp_setup(ke, priv, len);
	case IKC_DH_ECP256:
	case IKC_DH_ECP384:
		return ec_setup(ke, priv, len);
	case IKC_DH_X25519:
		return x25519_setup(ke, priv, len);
	}
	return -ENOTSUP;
}

int ikc_ke_new_private(uint16_t group, const uint8_t *priv, size_t priv_len,
		       struct ikc_ke **out)
{
	if (!out || !priv || !priv_len || priv_len > 256)
		return -EINVAL;
	*out = NULL;
	if (!ikc_dh_find(group))
		return -ENOTSUP;
	struct ikc_ke *ke = ke_alloc(group);
	if (!ke)
		return -ENOMEM;
	int rc = setup(ke, priv, priv_len);
	if (rc < 0) {
		ikc_ke_free(ke);
		return rc;
	}
	*out = ke;
	return 0;
}

int ikc_ke_new(uint16_t group, const struct ikc_rng *rng, struct ikc_ke **out)
{
	const struct ikc_dh_alg *a = ikc_dh_find(group);
	uint8_t priv[MODP_EXP_LEN > 48 ? MODP_EXP_LEN : 48];
	size_t len;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!a)
		return -ENOTSUP;
	len = group == IKC_DH_MODP2048 ? MODP_EXP_LEN : a->secret_len;
	/* Rejection sampling: an ECP scalar outside [1, n) or a MODP
	 * exponent < 2 is drawn again (rare: about 2^-32 for P-256). */
	for (int tries = 0; tries < 64; tries++) {
		rc = ikc_rng_secret(rng, priv, len);
		if (rc < 0)
			break;
		if (group == IKC_DH_MODP2048)
			priv[0] |= 0x80;  /* full-length exponent */
		rc = ikc_ke_new_private(group, priv, len, out);
		if (rc != -EINVAL)
			break;
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

int ikc_ke_public(const struct ikc_ke *ke, uint8_t *buf, size_t cap,
		  size_t *len)
{
	if (!ke || !buf || !len)
		return -EINVAL;
	if (cap < ke->pub_len)
		return -ENOSPC;
	memcpy(buf, ke->pub, ke->pub_len);
	*len = ke->pub_len;
	return 0;
}

int ikc_ke_derive(const struct ikc_ke *ke, const uint8_t *peer,
		  size_t peer_len, uint8_t *secret, size_t cap, size_t *len)
{
	const struct ikc_dh_alg *a;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t sl;
	int rc = -EBADMSG;

	if (!ke || !peer || !secret || !len)
		return -EINVAL;
	a = ikc_dh_find(ke->group);
	if (cap < a->secret_len)
		return -ENOSPC;
	/* RFC 7296 §3.4: the length of the Key Exchange Data is fixed by the
	 * group; anything else is malformed. */
	if (peer_len != a->ke_len)
		return -EBADMSG;
	switch (ke->group) {
	case IKC_DH_MODP2048:
		pk = modp_peer(peer, peer_len);
		break;
	case IKC_DH_ECP256:
	case IKC_DH_ECP384:
		pk = ec_peer(ke->group, peer, peer_len);
		break;
	case IKC_DH_X25519:
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
		break;
	}
	if (!pk)
		goto out;
	if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ke->key, NULL)) ||
	    !OSSL_OK(EVP_PKEY_derive_init(ctx))) {
		rc = -EIO;
		goto out;
	}
	/* RFC 7296 §2.14: g^ir is "padded with zeros if necessary to make it
	 * the length of the modulus". */
	if (ke->group == IKC_DH_MODP2048 &&
	    EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0) {
		rc = -EIO;
		goto out;
	}
	/* validate_peer = 1: DH range and subgroup check (1 < y < p-1,
	 * y^q = 1), EC public-key check. */
	if (!OSSL_OK(EVP_PKEY_derive_set_peer_ex(ctx, pk, 1)))
		goto out;
	sl = cap;
	if (!OSSL_OK(EVP_PKEY_derive(ctx, secret, &sl)) ||
	    sl != a->secret_len) {
		OPENSSL_cleanse(secret, cap);
		goto out;  /* e.g. X25519 low-order point */
	}
	/* RFC 8031 §2: "the recipient MUST check whether the computed
	 * Diffie-Hellman shared secret is the all-zero value and abort if so"
	 * (RFC 7748 §6.1). OpenSSL refuses it too; we do not rely on that. */
	if (ke->group == IKC_DH_X25519) {
		uint8_t acc = 0;
		for (size_t i = 0; i < sl; i++)
			acc |= secret[i];
		if (!acc) {
			OPENSSL_cleanse(secret, cap);
			goto out;
		}
	}
	*len = sl;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}
