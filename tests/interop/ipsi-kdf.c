/* ipsi-kdf — derive IKE and Child SA keys with the agent's crypto layer
 * from the inputs an interop capture reveals, printed with strongSwan's
 * key-dump labels (to compare with charon's level-4 log) and as key log
 * records (to decrypt the capture with tshark).
 *
 *   ipsi-kdf --ike PROPOSAL --gir HEX --ni HEX --nr HEX --spii HEX --spir HEX
 *            [--esp PROPOSAL --cni HEX --cnr HEX [--cgir HEX]
 *             --src IP --dst IP --spi-i HEX --spi-r HEX]
 *            [--rekey-old-prf ID --rekey-old-skd HEX]
 *
 * --cni/--cnr: nonces of the exchange that created the Child SA (for the
 * IKE_AUTH Child SA, the IKE_SA_INIT nonces); --spi-i: the SPI of packets
 * from the exchange initiator (the responder's inbound SPI); --src: the
 * exchange initiator's outer address as seen in the capture.
 * --rekey-old-*: derive a rekeyed IKE SA (RFC 7296 §2.18) from the old
 * SA's prf and SK_d instead of IKE_SA_INIT. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikc.h"
#include "ikl.h"

static uint8_t *unhex(const char *s, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2)
		return NULL;
	uint8_t *b = malloc(n / 2 + 1);
	for (size_t i = 0; b && i < n / 2; i++) {
		unsigned x;
		if (sscanf(s + 2 * i, "%2x", &x) != 1) {
			free(b);
			return NULL;
		}
		b[i] = (uint8_t)x;
	}
	*len = n / 2;
	return b;
}

static void hex(const char *label, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	printf("%s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a = (void *)ss;
	struct sockaddr_in6 *b = (void *)ss;
	if (inet_pton(AF_INET, s, &a->sin_addr) == 1) {
		a->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &b->sin6_addr) == 1) {
		b->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	enum { IKE = 1, ESP, GIR, NI, NR, SPII, SPIR, CNI, CNR, CGIR, SRC, DST,
	       ESPI, ESPR, OPRF, OSKD };
	static const struct option opts[] = {
		{ "ike", 1, 0, IKE }, { "esp", 1, 0, ESP }, { "gir", 1, 0, GIR },
		{ "ni", 1, 0, NI }, { "nr", 1, 0, NR }, { "spii", 1, 0, SPII },
		{ "spir", 1, 0, SPIR }, { "cni", 1, 0, CNI }, { "cnr", 1, 0, CNR },
		{ "cgir", 1, 0, CGIR }, { "src", 1, 0, SRC }, { "dst", 1, 0, DST },
		{ "spi-i", 1, 0, ESPI }, { "spi-r", 1, 0, ESPR },
		{ "rekey-old-prf", 1, 0, OPRF }, { "rekey-old-skd", 1, 0, OSKD },
		{ 0, 0, 0, 0 },
	};
	const char *v[OSKD + 1] = { 0 };
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o < IKE || o > OSKD) {
			fprintf(stderr, "usage: see the head of ipsi-kdf.c\n");
			return 2;
		}
		v[o] = optarg;
	}
	if (!v[IKE] || !v[GIR] || !v[NI] || !v[NR] || !v[SPII] || !v[SPIR]) {
		fprintf(stderr, "ipsi-kdf: --ike --gir --ni --nr --spii --spir "
			"are required\n");
		return 2;
	}
	struct ikc_proposal p;
	struct ikc_suite s;
	char err[160];
	if (ikc_proposal_parse(v[IKE], IKC_PROTO_IKE, &p, err, sizeof(err)) < 0 ||
	    ikc_proposal_first_suite(&p, &s) < 0) {
		fprintf(stderr, "ipsi-kdf: --ike: %s\n", err);
		return 2;
	}
	size_t gl, nil, nrl, sil, srl;
	uint8_t *gir = unhex(v[GIR], &gl), *ni = unhex(v[NI], &nil),
		*nr = unhex(v[NR], &nrl), *spii = unhex(v[SPII], &sil),
		*spir = unhex(v[SPIR], &srl);
	if (!gir || !ni || !nr || !spii || !spir || sil != 8 || srl != 8) {
		fprintf(stderr, "ipsi-kdf: bad hex argument\n");
		return 2;
	}
	struct ikc_ike_keys k;
	int rc;
	if (v[OPRF] && v[OSKD]) {
		struct ikc_ike_keys old = { .prf = (uint16_t)atoi(v[OPRF]) };
		size_t l;
		uint8_t *skd = unhex(v[OSKD], &l);
		if (!skd || l > sizeof(old.sk_d)) {
			fprintf(stderr, "ipsi-kdf: bad --rekey-old-skd\n");
			return 2;
		}
		old.prf_len = (uint8_t)l;
		memcpy(old.sk_d, skd, l);
		free(skd);
		rc = ikc_kdf_ike_rekey(&old, &s, gir, gl, ni, nil, nr, nrl, spii,
				       spir, &k);
	} else {
		rc = ikc_kdf_ike(&s, gir, gl, ni, nil, nr, nrl, spii, spir, &k);
	}
	if (rc < 0) {
		fprintf(stderr, "ipsi-kdf: derivation failed: %s\n", strerror(-rc));
		return 1;
	}
	/* strongSwan's labels (keymat_v2.c): SKEYSEED, Sk_d secret, ... */
	hex("SKEYSEED", k.skeyseed, v[OPRF] ? ikc_prf_find((uint16_t)atoi(v[OPRF]))->out_len
					    : k.prf_len);
	hex("Sk_d_secret", k.sk_d, k.prf_len);
	hex("Sk_ai_secret", k.sk_ai, k.integ_len);
	hex("Sk_ar_secret", k.sk_ar, k.integ_len);
	hex("Sk_ei_secret", k.sk_ei, k.encr_len);
	hex("Sk_er_secret", k.sk_er, k.encr_len);
	hex("Sk_pi_secret", k.sk_pi, k.prf_len);
	hex("Sk_pr_secret", k.sk_pr, k.prf_len);
	char line[1024];
	if (ikl_format_ike(line, sizeof(line), spii, spir, &s, &k) > 0)
		printf("keylog %s\n", line);

	if (v[ESP]) {
		struct ikc_proposal ep;
		struct ikc_suite es;
		struct ikc_child_keys ck;
		if (ikc_proposal_parse(v[ESP], IKC_PROTO_ESP, &ep, err, sizeof(err)) < 0 ||
		    ikc_proposal_first_suite(&ep, &es) < 0) {
			fprintf(stderr, "ipsi-kdf: --esp: %s\n", err);
			return 2;
		}
		size_t cnil, cnrl, cgl = 0;
		uint8_t *cni = unhex(v[CNI] ? v[CNI] : v[NI], &cnil);
		uint8_t *cnr = unhex(v[CNR] ? v[CNR] : v[NR], &cnrl);
		uint8_t *cgir = v[CGIR] ? unhex(v[CGIR], &cgl) : NULL;
		if (ikc_kdf_child(&k, &es, cgir, cgl, cni, cnil, cnr, cnrl, &ck) < 0) {
			fprintf(stderr, "ipsi-kdf: child derivation failed\n");
			return 1;
		}
		hex("encryption_initiator_key", ck.ei, ck.encr_len);
		hex("integrity_initiator_key", ck.ai, ck.integ_len);
		hex("encryption_responder_key", ck.er, ck.encr_len);
		hex("integrity_responder_key", ck.ar, ck.integ_len);
		if (v[SRC] && v[DST] && v[ESPI] && v[ESPR]) {
			struct sockaddr_storage src, dst;
			if (addr(v[SRC], &src) < 0 || addr(v[DST], &dst) < 0) {
				fprintf(stderr, "ipsi-kdf: bad address\n");
				return 2;
			}
			struct ikl_esp e = { (struct sockaddr *)&src,
					     (struct sockaddr *)&dst,
					     (uint32_t)strtoul(v[ESPI], NULL, 16),
					     es.encr, es.encr_keybits, es.integ,
					     ck.ei, ck.encr_len, ck.ai, ck.integ_len };
			if (ikl_format_esp(line, sizeof(line), &e) > 0)
				printf("keylog %s\n", line);
			struct ikl_esp r = { (struct sockaddr *)&dst,
					     (struct sockaddr *)&src,
					     (uint32_t)strtoul(v[ESPR], NULL, 16),
					     es.encr, es.encr_keybits, es.integ,
					     ck.er, ck.encr_len, ck.ar, ck.integ_len };
			if (ikl_format_esp(line, sizeof(line), &r) > 0)
				printf("keylog %s\n", line);
		}
		ikc_child_keys_wipe(&ck);
	}
	ikc_ike_keys_wipe(&k);
	return 0;
}
