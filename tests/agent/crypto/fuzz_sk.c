/* fuzz_sk.c — libFuzzer target for the SK payload parser (ikc_sk_open):
 * the first octet picks the suite and the split point, the rest is the
 * message. Nothing may crash or read out of bounds; a forged message must
 * never authenticate. */
#include <stdint.h>
#include <string.h>

#include "ikc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ikc_suite suites[] = {
	{ IKC_ENCR_AES_GCM_16, 128, IKC_PRF_HMAC_SHA2_256, 0, IKC_DH_X25519, 0 },
	{ IKC_ENCR_AES_GCM_16, 256, IKC_PRF_HMAC_SHA2_384, 0, IKC_DH_ECP384, 0 },
	{ IKC_ENCR_AES_CBC, 128, IKC_PRF_HMAC_SHA2_256,
	  IKC_INTEG_HMAC_SHA2_256_128, IKC_DH_ECP256, 0 },
	{ IKC_ENCR_AES_CBC, 256, IKC_PRF_HMAC_SHA2_512,
	  IKC_INTEG_HMAC_SHA2_512_256, IKC_DH_MODP2048, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ikc_sk *sk[4];
	static uint8_t out[70000];
	if (!sk[0]) {
		for (int i = 0; i < 4; i++) {
			struct ikc_ike_keys k;
			uint8_t g[32] = { 1 }, n[16] = { 2 }, spi[8] = { 3 };
			ikc_kdf_ike(&suites[i], g, 32, n, 16, n, 16, spi, spi, &k);
			ikc_sk_new(&suites[i], &k, false, NULL, &sk[i]);
		}
	}
	if (size < 2)
		return 0;
	unsigned which = data[0] & 3;
	size_t hdr = data[1] % 64;
	data += 2;
	size -= 2;
	if (hdr > size)
		hdr = size;
	size_t pl;
	if (ikc_sk_open(sk[which], data, hdr, size, out, sizeof(out), &pl) == 0)
		__builtin_trap();  /* a random input must not authenticate */
	return 0;
}
