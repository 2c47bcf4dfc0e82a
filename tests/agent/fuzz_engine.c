/* fuzz_engine.c — libFuzzer target for the engine's input path: arbitrary
 * datagrams into an engine (IKE_SA_INIT handling, COOKIE, INVALID_KE, SA
 * lookup, Message ID windows, retransmission detection), built from the
 * production sources with the real crypto. The first input byte picks the
 * UDP port pair (500 or 4500) so both paths are reached; with its bit 2 the
 * datagram is an answer to our own IKE_SA_INIT: the engine has an IKE SA
 * of its own in CONNECTING and the datagram's initiator SPI is made that
 * SA's, so the initiator's response handling is reached as well. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_mem.h"
#include "ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ike_engine *eng;
static struct ikc_rng_det rng;
static uint64_t clock_ms = 1000;
static struct sockaddr_storage local, remote;
static uint8_t our_spi_i[8];
static uint32_t our_id;

static uint64_t f_now(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

static int f_send(void *ctx, const struct sockaddr_storage *s, const struct sockaddr_storage *d,
		  bool natt, const uint8_t *p, size_t len)
{
	(void)ctx; (void)s; (void)d; (void)natt;
	/* Our own IKE_SA_INIT request: remember its SPIi. */
	if (len >= 28 && p[18] == 34 && (p[19] & 0x28) == 0x08)
		memcpy(our_spi_i, p, 8);
	return 0;
}

static const char conf[] =
	"[global]\ncookie_threshold = 3\nretransmit_timeout = 100ms\n"
	"[conn r]\nlocal = 192.0.2.2\nremote = %any\nremote_id = fqdn:peer.example\n"
	"psk = fuzz-secret-0123456789\nike = aes128gcm16-prfsha256-x25519,aes128-sha256-ecp256\n"
	"esp = aes128gcm16,aes256-sha256\nlocal_ts = 10.2.0.0/24\nremote_ts = 10.1.0.0/24\n"
	"[conn i]\nlocal = 192.0.2.2\nremote = 198.51.100.9\nremote_id = fqdn:peer.example\n"
	"psk = fuzz-secret-0123456789\nike = aes128gcm16-prfsha256-x25519,aes256-sha384-ecp256\n"
	"esp = aes128gcm16\nlocal_ts = 10.2.0.0/24\nremote_ts = 10.1.0.0/24\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct agc_config *cfg;
	struct agc_error err;
	struct ike_env env = { .now = f_now, .send = f_send, .rng = &rng.rng };
	struct sockaddr_in *l = (struct sockaddr_in *)&local, *r = (struct sockaddr_in *)&remote;

	(void)argc; (void)argv;
	ikc_rng_det_init(&rng, 1);
	if (agc_load_string(conf, "fuzz", &cfg, &err)) {
		fprintf(stderr, "%s\n", err.text);
		abort();
	}
	if (dp_mem_new(64, 256, &env.dp) || ike_engine_new(&env, NULL, cfg, &eng))
		abort();
	agc_free(cfg);
	l->sin_family = r->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.2", &l->sin_addr);
	inet_pton(AF_INET, "198.51.100.9", &r->sin_addr);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[65536];
	struct ike_sa_info info;
	bool natt;

	if (!size || size - 1 > sizeof(pkt))
		return 0;
	natt = data[0] & 1;
	((struct sockaddr_in *)&local)->sin_port = htons(natt ? 4500 : 500);
	((struct sockaddr_in *)&remote)->sin_port = htons(natt ? 4500 : 500);
	memcpy(pkt, data + 1, size - 1);
	if (data[0] & 4) {
		/* An answer to our IKE_SA_INIT: keep one SA of ours waiting. */
		if (!our_id || ike_sa_info_by_id(eng, our_id, &info) ||
		    strcmp(info.state, "CONNECTING"))
			if (ike_initiate(eng, "i", &our_id))
				our_id = 0;
		if (size - 1 >= 8)
			memcpy(pkt, our_spi_i, 8);
	}
	ike_input(eng, &local, &remote, natt, pkt, size - 1);
	/* Let time pass now and then so timers (half-open, retransmit) run. */
	if (data[0] & 2) {
		clock_ms += 40000;
		ike_run_timers(eng);
	}
	return 0;
}
