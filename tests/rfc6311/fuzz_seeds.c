/* fuzz_seeds.c — writes the seed corpus of fuzz_ha.c into a directory:
 * sync requests/responses (target 0), a snapshot record (1), a snapshot
 * file under the fuzzer's key (2). Generated, so the seeds follow the
 * formats as they are built. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ha_snap.h"
#include "ha_wire.h"

static const char *dir;
static unsigned n;

static void put(uint8_t target, const uint8_t *hdr, size_t hl, const uint8_t *b, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%02u", dir, n++);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(&target, 1, 1, f);
	fwrite(hdr, 1, hl, f);
	fwrite(b, 1, len, f);
	fclose(f);
}

static void sync_seed(uint8_t flags, uint32_t mid, bool rc, bool extra)
{
	uint8_t plain[128], hdr[6] = { INFORMATIONAL, flags, (uint8_t)(mid >> 24),
				       (uint8_t)(mid >> 16), (uint8_t)(mid >> 8), (uint8_t)mid };
	struct haw_mid m = { { 1, 2, 3, 4 }, 9, 2 };
	struct ikm_builder b;
	int len;

	ikm_build_chain(&b, plain, sizeof(plain));
	haw_build_mid(&b, &m);
	if (rc)
		haw_build_rc(&b, 4, 65536);
	if (extra)
		ikm_build_delete(&b, PROTO_ESP, 4, "\1\2\3\4", 1);
	len = ikm_build_end(&b);
	{
		uint8_t h7[7];

		memcpy(h7, hdr, 6);
		h7[6] = b.first_np;
		put(0, h7, 7, plain, (size_t)len);
	}
}

int main(int argc, char **argv)
{
	static struct hs_ike r;
	static uint8_t buf[HS_MAX_REC];
	static const uint8_t key[HS_KEY_LEN] = { 0x66, 0x75, 0x7a, 0x7a };
	struct sockaddr_in *l = (struct sockaddr_in *)&r.ike.local;
	struct sockaddr_in *m = (struct sockaddr_in *)&r.ike.remote;
	char path[512];
	FILE *f;
	int len;

	if (argc != 2)
		return 2;
	dir = argv[1];
	sync_seed(0x00, 0, false, false);
	sync_seed(0x08, 0, true, false);
	sync_seed(0x28, 0, false, false);
	sync_seed(0x00, 0, true, true);
	sync_seed(0x00, 5, true, false);
	/* a record */
	snprintf(r.ike.conn, sizeof(r.ike.conn), "gw");
	memset(r.ike.spi_i, 0x11, 8);
	memset(r.ike.spi_r, 0x22, 8);
	l->sin_family = m->sin_family = AF_INET;
	l->sin_addr.s_addr = htonl(0xc0000202);
	m->sin_addr.s_addr = htonl(0xc0000201);
	r.ike.suite = (struct ikc_suite){ .encr = 12, .encr_keybits = 256, .prf = 5, .integ = 12,
					  .dh = 31 };
	r.ike.keys = (struct ikc_ike_keys){ .prf = 5, .prf_len = 32, .encr_len = 32, .integ_len = 32 };
	r.ike.mid_send = 4;
	r.ike.mid_recv = 2;
	r.ike.win_out = 1;
	r.ike.caps = 1;
	r.ike.n_children = 1;
	r.ike.children[0] = (struct ike_child_rec){ .spi_in = 0xc1, .spi_out = 0xd1,
		.suite = { .encr = 20, .encr_keybits = 256 }, .n_tsl = 1, .n_tsr = 1,
		.tsl = { { .type = 7, .end_port = 65535 } }, .tsr = { { .type = 7, .end_port = 65535 } },
		.keys = { .encr_len = 36 }, .counters_valid = true, .tx_seq = 100, .rx_top = 50 };
	r.snap_epoch = 1;
	len = hs_rec_encode(&r, buf, sizeof(buf));
	if (len < 0)
		return 1;
	put(1, NULL, 0, buf, (size_t)len);
	/* a file */
	snprintf(path, sizeof(path), "%s/file.tmp", dir);
	if (hs_file_write(path, key, 2, 1790000000000, &r, 1))
		return 1;
	f = fopen(path, "rb");
	len = f ? (int)fread(buf, 1, sizeof(buf), f) : -1;
	if (f)
		fclose(f);
	remove(path);
	if (len <= 0)
		return 1;
	put(2, NULL, 0, buf, (size_t)len);
	return 0;
}
