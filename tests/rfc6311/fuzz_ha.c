/* fuzz_ha.c — libFuzzer target for the RFC 6311 parsers, built from the
 * production sources: the first input byte picks the target.
 *   0: a decrypted INFORMATIONAL (flags, Message ID, first payload type,
 *      plaintext chain) -> the sync request/response classification and
 *      both roles' decisions on it (ha_wire.c, ha_rules.c);
 *   1: a snapshot record (hs_rec_decode; a decoded one must encode back);
 *   2: a snapshot file under a fixed key (hs_file_parse). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ha_rules.h"
#include "ha_snap.h"
#include "ha_wire.h"

static void sync_msg(const uint8_t *d, size_t n)
{
	static struct ikm_msg m;
	struct haw_sync s;
	struct haw_mid mid;
	struct har_peer_verdict v;
	struct har_peer st = { .caps = HAR_CAP_MID | HAR_CAP_RC, .established = true,
			       .next_send = 3, .next_recv = 5, .ch = { .n = 2, .n_esn = 1 } };
	struct har_pending p = { .outstanding = true, .nonce = { 1, 2, 3, 4 }, .m1 = 9, .p1 = 2 };
	enum haw_why w;

	if (n < 7)
		return;
	memset(&m, 0, sizeof(m));
	m.hdr.exchange = d[0] & 1 ? INFORMATIONAL : d[0];
	m.hdr.flags = d[1];
	m.hdr.mid = (uint32_t)d[2] << 24 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
	m.sk_type = PT_SK;
	m.sk_np = d[6];
	if (ikm_parse_inner(&m, d + 7, n - 7))
		return;
	w = haw_parse_request(&m, &s);
	har_peer_decide(&st, w, &s, &v);
	if (v.act == HAR_ACT_ANSWER)
		har_peer_commit(&st, &s, &v);
	if (haw_parse_response(&m, &mid) == HAW_OK)
		(void)har_clu_check(&p, &mid);
	if (haw_parse_rc_only(&m, &s) == HAW_OK) {
		enum har_rule r;

		(void)har_peer_delta(st.caps, &st.ch, s.rc_len, s.delta, &r);
	}
}

static void record(const uint8_t *d, size_t n)
{
	static struct hs_ike r, r2;
	static uint8_t buf[HS_MAX_REC];
	int len;

	if (hs_rec_decode(d, n, &r))
		return;
	/* What we accept we can write again, and read back the same way. */
	len = hs_rec_encode(&r, buf, sizeof(buf));
	if (len < 0)
		return;   /* e.g. a peer ID longer than a record carries */
	if (hs_rec_decode(buf, (size_t)len, &r2))
		abort();
	if (memcmp(r.ike.spi_i, r2.ike.spi_i, 8) || r.ike.n_children != r2.ike.n_children ||
	    r.ike.mid_send != r2.ike.mid_send)
		abort();
}

static void file(const uint8_t *d, size_t n)
{
	static const uint8_t key[HS_KEY_LEN] = { 0x66, 0x75, 0x7a, 0x7a };
	struct hs_ike *recs = NULL;
	struct hs_file_info info;
	size_t k = 0;

	if (hs_file_parse(d, n, key, &info, &recs, &k) == 0)
		hs_free_records(recs, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0: sync_msg(data + 1, size - 1); break;
	case 1: record(data + 1, size - 1); break;
	default: file(data + 1, size - 1); break;
	}
	return 0;
}
