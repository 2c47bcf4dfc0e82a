/* t_misc.c — KDF layout (RFC 7296 §2.14/§2.17/§2.18), proposal strings and
 * the key log records (Wireshark UAT formats). */
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ikc.h"
#include "ikl.h"
#include "th.h"
#include <errno.h>

static const uint8_t ni[16] = "NNNNNNNNiiiiiiii", nr[16] = "NNNNNNNNrrrrrrrr";
static const uint8_t spii[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spir[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
static uint8_t gir[32] = { 0x5a };

/* The split of prf+ output into SK_* must follow §2.14's order and sizes. */
static void layout(const struct ikc_suite *s, const char *name)
{
	struct ikc_ike_keys k;
	uint8_t sks[64], km[512];
	const struct ikc_prf_alg *p = ikc_prf_find(s->prf);
	const struct ikc_encr_alg *e = ikc_encr_find(s->encr, s->encr_keybits);
	size_t il = e->aead ? 0 : ikc_integ_find(s->integ)->key_len;
	int rc = ikc_kdf_ike(s, gir, 32, ni, 16, nr, 16, spii, spir, &k);
	ikc_kdf_skeyseed(s->prf, ni, 16, nr, 16, gir, 32, sks);
	struct ikc_buf seed[] = { { ni, 16 }, { nr, 16 }, { spii, 8 }, { spir, 8 } };
	size_t total = 3 * p->out_len + 2 * il + 2 * e->key_len;
	ikc_prf_plus(s->prf, sks, p->out_len, seed, 4, km, total);
	const uint8_t *c = km;
	bool ok = rc == 0 && k.prf_len == p->out_len && k.encr_len == e->key_len &&
		  k.integ_len == il && !memcmp(k.skeyseed, sks, p->out_len);
	ok = ok && !memcmp(k.sk_d, c, p->out_len); c += p->out_len;
	ok = ok && !memcmp(k.sk_ai, c, il); c += il;
	ok = ok && !memcmp(k.sk_ar, c, il); c += il;
	ok = ok && !memcmp(k.sk_ei, c, e->key_len); c += e->key_len;
	ok = ok && !memcmp(k.sk_er, c, e->key_len); c += e->key_len;
	ok = ok && !memcmp(k.sk_pi, c, p->out_len); c += p->out_len;
	ok = ok && !memcmp(k.sk_pr, c, p->out_len);
	th_case(ok, "KDF %s: SK_d|SK_ai|SK_ar|SK_ei|SK_er|SK_pi|SK_pr layout",
		name);

	/* Child SA: ei | ai | er | ar, salt inside the encryption keys. */
	struct ikc_suite cs = { s->encr, s->encr_keybits, 0, s->integ, 0, 0 };
	struct ikc_child_keys ck;
	uint8_t cm[256];
	size_t dir = e->key_len + il;
	rc = ikc_kdf_child(&k, &cs, NULL, 0, ni, 16, nr, 16, &ck);
	ikc_kdf_keymat(s->prf, k.sk_d, k.prf_len, NULL, 0, ni, 16, nr, 16, cm,
		       2 * dir);
	th_case(rc == 0 && ck.encr_len == e->key_len && ck.integ_len == il &&
		!memcmp(ck.ei, cm, e->key_len) && !memcmp(ck.ai, cm + e->key_len, il) &&
		!memcmp(ck.er, cm + dir, e->key_len) &&
		!memcmp(ck.ar, cm + dir + e->key_len, il),
		"KDF %s: Child KEYMAT order ei|ai|er|ar", name);
	struct ikc_child_keys pfs;
	ikc_kdf_child(&k, &cs, gir, 32, ni, 16, nr, 16, &pfs);
	th_case(memcmp(pfs.ei, ck.ei, e->key_len) != 0,
		"KDF %s: PFS changes the Child keys", name);
	ikc_child_keys_wipe(&ck);
	ikc_child_keys_wipe(&pfs);

	/* IKE rekey with the same suite: SKEYSEED = prf(SK_d, g^ir|Ni|Nr). */
	struct ikc_ike_keys nk;
	uint8_t want[64];
	struct ikc_buf d[] = { { gir, 32 }, { ni, 16 }, { nr, 16 } };
	ikc_prf(s->prf, k.sk_d, k.prf_len, d, 3, want);
	rc = ikc_kdf_ike_rekey(&k, s, gir, 32, ni, 16, nr, 16, spir, spii, &nk);
	th_case(rc == 0 && !memcmp(nk.skeyseed, want, p->out_len) &&
		memcmp(nk.sk_d, k.sk_d, p->out_len),
		"KDF %s: rekeyed SKEYSEED and fresh SK_d", name);
	ikc_ike_keys_wipe(&nk);
	ikc_ike_keys_wipe(&k);
}

void t_kdf(void)
{
	struct { struct ikc_suite s; const char *n; } rows[] = {
		{ { IKC_ENCR_AES_GCM_16, 256, IKC_PRF_HMAC_SHA2_256, 0, IKC_DH_X25519, 0 },
		  "aes256gcm16-prfsha256" },
		{ { IKC_ENCR_AES_GCM_16, 128, IKC_PRF_HMAC_SHA2_512, 0, IKC_DH_ECP256, 0 },
		  "aes128gcm16-prfsha512" },
		{ { IKC_ENCR_AES_CBC, 128, IKC_PRF_HMAC_SHA2_256,
		    IKC_INTEG_HMAC_SHA2_256_128, IKC_DH_ECP256, 0 }, "aes128-sha256" },
		{ { IKC_ENCR_AES_CBC, 256, IKC_PRF_HMAC_SHA2_384,
		    IKC_INTEG_HMAC_SHA2_384_192, IKC_DH_ECP384, 0 }, "aes256-sha384" },
		{ { IKC_ENCR_AES_CBC, 256, IKC_PRF_HMAC_SHA2_512,
		    IKC_INTEG_HMAC_SHA2_512_256, IKC_DH_MODP2048, 0 }, "aes256-sha512" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		layout(&rows[i].s, rows[i].n);

	/* Rekey to a suite with a different prf: SKEYSEED by the old prf. */
	struct ikc_ike_keys k, nk;
	uint8_t want[64];
	ikc_kdf_ike(&rows[0].s, gir, 32, ni, 16, nr, 16, spii, spir, &k);
	struct ikc_buf d[] = { { gir, 32 }, { ni, 16 }, { nr, 16 } };
	ikc_prf(IKC_PRF_HMAC_SHA2_256, k.sk_d, 32, d, 3, want);
	th_case(ikc_kdf_ike_rekey(&k, &rows[4].s, gir, 32, ni, 16, nr, 16, spii,
				  spir, &nk) == 0 &&
		!memcmp(nk.skeyseed, want, 32) && nk.prf == IKC_PRF_HMAC_SHA2_512 &&
		nk.prf_len == 64,
		"KDF: rekey prfsha256 -> prfsha512 uses the old prf for SKEYSEED");
	/* §2.18: a rekey without a Diffie-Hellman exchange is refused. */
	th_case(ikc_kdf_ike_rekey(&k, &rows[0].s, NULL, 0, ni, 16, nr, 16, spii,
				  spir, &nk) == -EINVAL,
		"KDF: IKE rekey without g^ir refused");
	ikc_ike_keys_wipe(&k);
	ikc_ike_keys_wipe(&nk);

	/* Bad suites. */
	struct ikc_suite s = rows[2].s;
	s.dh = IKC_DH_NONE;
	th_case(ikc_kdf_ike(&s, gir, 32, ni, 16, nr, 16, spii, spir, &k) == -EINVAL,
		"KDF: IKE suite without a group refused");
	s = rows[2].s;
	s.prf = IKC_PRF_HMAC_SHA1;
	th_case(ikc_kdf_ike(&s, gir, 32, ni, 16, nr, 16, spii, spir, &k) == -ENOTSUP,
		"KDF: SHA-1 prf never negotiated (vectors only)");
	uint8_t big[64 * 256];
	th_case(ikc_prf_plus(IKC_PRF_HMAC_SHA2_256, gir, 32, NULL, 0, big,
			     255 * 32 + 1) == -EINVAL &&
		ikc_prf_plus(IKC_PRF_HMAC_SHA2_256, gir, 32, NULL, 0, big,
			     255 * 32) == 0,
		"prf+: defined up to 255 blocks, refused beyond");
}

void t_proposals(void)
{
	struct { const char *in; int proto; int rc; const char *out; } rows[] = {
		{ "aes256gcm16-prfsha256-x25519", IKC_PROTO_IKE, 0,
		  "aes256gcm16-prfsha256-x25519" },
		{ "aes128-sha256-ecp256", IKC_PROTO_IKE, 0,
		  "aes128-sha256-prfsha256-ecp256" },
		{ "aes256-sha384-prfsha512-modp2048", IKC_PROTO_IKE, 0,
		  "aes256-sha384-prfsha512-modp2048" },
		{ "aes128-aes256-sha256-sha512-ecp256-ecp384", IKC_PROTO_IKE, 0,
		  "aes128-aes256-sha256-sha512-prfsha256-prfsha512-ecp256-ecp384" },
		{ "aes128gcm128-prfsha384-curve25519", IKC_PROTO_IKE, 0,
		  "aes128gcm16-prfsha384-x25519" },
		{ "aes256gcm16", IKC_PROTO_ESP, 0, "aes256gcm16-noesn" },
		{ "aes128-sha256-esn", IKC_PROTO_ESP, 0, "aes128-sha256-esn" },
		{ "aes128-sha256-ecp256-esn-noesn", IKC_PROTO_ESP, 0,
		  "aes128-sha256-ecp256-esn-noesn" },
		{ "aes256gcm16-prfsha256", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "aes256gcm16-x25519", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "aes128-ecp256", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "aes128gcm16-sha256-prfsha256-x25519", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "aes128-aes128gcm16-sha256-ecp256", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "3des-sha1-modp1024", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "aes128-sha256-esn", IKC_PROTO_IKE, -EINVAL, NULL },
		{ "aes128-sha256-prfsha256", IKC_PROTO_ESP, -EINVAL, NULL },
		{ "aes128--sha256", IKC_PROTO_ESP, -EINVAL, NULL },
		{ "", IKC_PROTO_ESP, -EINVAL, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ikc_proposal p;
		char err[128] = "", out[160] = "";
		int rc = ikc_proposal_parse(rows[i].in, rows[i].proto, &p, err,
					    sizeof(err));
		bool ok = rc == rows[i].rc;
		if (ok && rc == 0) {
			ikc_proposal_format(&p, out, sizeof(out));
			ok = !strcmp(out, rows[i].out);
		}
		if (ok && rc)
			ok = err[0] != 0 && p.n_xf == 0;
		th_case(ok, "proposal '%s' (%s) -> %s %s", rows[i].in,
			rows[i].proto == IKC_PROTO_IKE ? "ike" : "esp",
			rc ? "error:" : out, rc ? err : "");
	}
	/* Lists and first-suite selection. */
	struct ikc_proposal ps[4];
	size_t n = 0;
	struct ikc_suite s;
	char buf[80];
	th_case(ikc_proposals_parse("aes256gcm16-prfsha256-x25519, aes128-sha256-ecp256",
				    IKC_PROTO_IKE, ps, 4, &n, NULL, 0) == 0 && n == 2 &&
		ikc_proposal_first_suite(&ps[1], &s) == 0 &&
		s.encr == IKC_ENCR_AES_CBC && s.encr_keybits == 128 &&
		s.integ == IKC_INTEG_HMAC_SHA2_256_128 &&
		s.prf == IKC_PRF_HMAC_SHA2_256 && s.dh == IKC_DH_ECP256 &&
		ikc_suite_format(&s, IKC_PROTO_IKE, buf, sizeof(buf)) > 0 &&
		!strcmp(buf, "aes128-sha256-prfsha256-ecp256"),
		"proposal list of 2, first suite of the second");
	th_case(ikc_proposals_parse("aes128-sha256,aes128-sha256,aes128-sha256",
				    IKC_PROTO_ESP, ps, 2, &n, NULL, 0) == -ENOSPC,
		"proposal list longer than the array: -ENOSPC");
	char small[8];
	ikc_proposal_parse("aes256gcm16-prfsha256-x25519", IKC_PROTO_IKE, &ps[0],
			   NULL, 0);
	th_case(ikc_proposal_format(&ps[0], small, sizeof(small)) ==
		(int)strlen("aes256gcm16-prfsha256-x25519") && strlen(small) == 7,
		"proposal format truncates like snprintf");
}

void t_keylog(void)
{
	struct ikc_suite gcm = { IKC_ENCR_AES_GCM_16, 256, IKC_PRF_HMAC_SHA2_256, 0,
				 IKC_DH_X25519, 0 };
	struct ikc_suite cbc = { IKC_ENCR_AES_CBC, 128, IKC_PRF_HMAC_SHA2_256,
				 IKC_INTEG_HMAC_SHA2_256_128, IKC_DH_ECP256, 0 };
	struct ikc_ike_keys k;
	char line[1024];

	memset(&k, 0, sizeof(k));
	k.encr_len = 36;
	memset(k.sk_ei, 0xe1, 36);
	memset(k.sk_er, 0xe2, 36);
	int n = ikl_format_ike(line, sizeof(line), spii, spir, &gcm, &k);
	char want[1024];
	snprintf(want, sizeof(want),
		 "ikev2_decryption_table:0102030405060708,090a0b0c0d0e0f10,"
		 "%s,%s,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,"
		 "\"NONE [RFC4306]\"",
		 "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1",
		 "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2");
	th_case(n > 0 && !strcmp(line, want), "keylog: IKE record, AES-GCM-256 "
		"(salt in SK_e, NONE integrity)");
	k.encr_len = 16;
	k.integ_len = 32;
	memset(k.sk_ai, 0xa1, 32);
	memset(k.sk_ar, 0xa2, 32);
	n = ikl_format_ike(line, sizeof(line), spii, spir, &cbc, &k);
	th_case(n > 0 && strstr(line, ",\"AES-CBC-128 [RFC3602]\",a1a1") &&
		strstr(line, ",\"HMAC_SHA2_256_128 [RFC4868]\"") &&
		!strchr(line, '\n'), "keylog: IKE record, AES-CBC-128/SHA256");
	th_case(ikl_format_ike(line, 40, spii, spir, &cbc, &k) == -ENOSPC,
		"keylog: -ENOSPC for a short buffer");

	struct sockaddr_in a = { .sin_family = AF_INET }, b = a;
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	inet_pton(AF_INET, "198.51.100.2", &b.sin_addr);
	uint8_t ek[20], ak[32];
	memset(ek, 0x11, 20);
	memset(ak, 0x22, 32);
	struct ikl_esp e = { (struct sockaddr *)&a, (struct sockaddr *)&b,
			     0xc0ffee01, IKC_ENCR_AES_GCM_16, 128, 0, ek, 20, NULL, 0 };
	n = ikl_format_esp(line, sizeof(line), &e);
	th_case(n > 0 && !strcmp(line, "esp_sa:\"IPv4\",\"192.0.2.1\",\"198.51.100.2\","
				 "\"0xc0ffee01\",\"AES-GCM with 16 octet ICV [RFC4106]\","
				 "\"0x1111111111111111111111111111111111111111\","
				 "\"NULL\",\"\""),
		"keylog: ESP record, AES-GCM-128 (key with salt)");
	struct ikl_esp c = { (struct sockaddr *)&b, (struct sockaddr *)&a, 7,
			     IKC_ENCR_AES_CBC, 128, IKC_INTEG_HMAC_SHA2_256_128,
			     ek, 16, ak, 32 };
	n = ikl_format_esp(line, sizeof(line), &c);
	th_case(n > 0 && strstr(line, "\"0x00000007\",\"AES-CBC [RFC3602]\"") &&
		strstr(line, "\"HMAC-SHA-256-128 [RFC4868]\",\"0x2222"),
		"keylog: ESP record, AES-CBC/HMAC-SHA-256-128");
	c.encr_key_len = 20;
	th_case(ikl_format_esp(line, sizeof(line), &c) == -EINVAL,
		"keylog: ESP key of the wrong length refused");

	/* The file: 0600, one comment + one record per call, appended. */
	char path[] = "/tmp/ipsi-keylog-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	struct ikl *kl = NULL;
	struct stat st;
	th_case(ikl_open(path, &kl) == 0 && stat(path, &st) == 0 &&
		(st.st_mode & 0777) == 0600, "keylog: file created with mode 0600");
	ikl_log_ike(kl, "conn-a", spii, spir, &cbc, &k);
	ikl_log_esp(kl, "conn-a", &e);
	ikl_close(kl);
	FILE *f = fopen(path, "r");
	unsigned comments = 0, ike = 0, esp = 0;
	while (f && fgets(line, sizeof(line), f)) {
		comments += line[0] == '#' && strstr(line, "conn-a") != NULL;
		ike += !strncmp(line, "ikev2_decryption_table:", 23);
		esp += !strncmp(line, "esp_sa:", 7);
	}
	if (f)
		fclose(f);
	th_case(comments == 2 && ike == 1 && esp == 1,
		"keylog: records and comments written");
	/* The helper turns it into tshark options. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s/agent/keylog/ipsecha-keylog tshark %s",
		 TH_TOP, path);
	f = popen(cmd, "r");
	unsigned opts = 0, uats = 0;
	while (f && fgets(line, sizeof(line), f)) {
		opts += !strcmp(line, "-o\n");
		uats += !strncmp(line, "uat:ikev2_decryption_table:", 27) ||
			!strncmp(line, "uat:esp_sa:", 11);
	}
	th_case(f && pclose(f) == 0 && uats == 2 && opts == 4,
		"ipsecha-keylog: 2 uat options + 2 ESP switches");
	unlink(path);
	ikc_ike_keys_wipe(&k);
}
