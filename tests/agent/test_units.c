/* test_units.c — table-driven tests of the engine's pure pieces: proposal
 * selection (RFC 7296 §2.7), traffic selector narrowing (§2.9), the timer
 * heap, the SPI hash table and the in-memory dataplane. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dp_mem.h"
#include "htab.h"
#include "prop.h"
#include "timer.h"
#include "ts.h"

#define N_(a) (sizeof(a) / sizeof((a)[0]))

/* ---- proposal selection ---- */

static unsigned parse_list(const char *s, uint8_t proto, struct ikc_proposal *out)
{
	size_t n = 0;
	char err[128];

	assert_int_equal(ikc_proposals_parse(s, proto, out, 8, &n, err, sizeof(err)), 0);
	return (unsigned)n;
}

struct sel_row {
	const char *name;
	uint8_t proto;
	const char *ours, *theirs;
	struct prop_want want;
	int rc;
	struct ikc_suite suite;
	uint8_t num;
	bool unknown_attr_first;   /* mark theirs' first ENCR transform */
};

#define IKE_W { .proto = PROTO_IKE, .spi_size = 0 }
#define ESP_W { .proto = PROTO_ESP, .spi_size = 4 }

static const struct sel_row sel_rows[] = {
	{ "identical single proposal", PROTO_IKE, "aes128gcm16-prfsha256-x25519",
	  "aes128gcm16-prfsha256-x25519", IKE_W, 0, { 20, 128, 5, 0, 31, 0 }, 1, false },
	{ "our proposal order wins", PROTO_IKE,
	  "aes256gcm16-prfsha256-x25519,aes128gcm16-prfsha256-x25519",
	  "aes128gcm16-prfsha256-x25519,aes256gcm16-prfsha256-x25519", IKE_W, 0,
	  { 20, 256, 5, 0, 31, 0 }, 2, false },
	{ "our transform order wins", PROTO_IKE, "aes128-aes256-sha256-ecp256",
	  "aes256-aes128-sha256-ecp256", IKE_W, 0, { 12, 128, 5, 12, 19, 0 }, 1, false },
	{ "KE group constraint", PROTO_IKE, "aes128-sha256-x25519-ecp256",
	  "aes128-sha256-x25519-ecp256", { .proto = PROTO_IKE, .ke_group = 19 }, 0,
	  { 12, 128, 5, 12, 19, 0 }, 1, false },
	{ "nothing in common", PROTO_IKE, "aes128gcm16-prfsha256-x25519",
	  "aes256-sha512-modp2048", IKE_W, -ENOENT, { 0 }, 0, false },
	{ "key length must match", PROTO_IKE, "aes128-sha256-x25519", "aes256-sha256-x25519",
	  IKE_W, -ENOENT, { 0 }, 0, false },
	{ "SPI size mismatch", PROTO_IKE, "aes128-sha256-x25519", "aes128-sha256-x25519",
	  { .proto = PROTO_IKE, .spi_size = 8 }, -ENOENT, { 0 }, 0, false },
	{ "transform with unknown attribute not selected", PROTO_IKE,
	  "aes128-sha256-x25519", "aes128-sha256-x25519", IKE_W, -ENOENT, { 0 }, 0, true },
	{ "ESP with ESN yes only", PROTO_ESP, "aes128gcm16-esn-noesn", "aes128gcm16-esn-noesn",
	  { .proto = PROTO_ESP, .spi_size = 4, .esn_mask = 2 }, 0, { 20, 128, 0, 0, 0, 1 }, 1,
	  false },
	{ "ESP ESN no preferred by us", PROTO_ESP, "aes128gcm16-noesn-esn", "aes128gcm16-esn-noesn",
	  ESP_W, 0, { 20, 128, 0, 0, 0, 0 }, 1, false },
	{ "ESP ESN group constraint unmet", PROTO_ESP, "aes128gcm16-esn-noesn", "aes128gcm16-noesn",
	  { .proto = PROTO_ESP, .spi_size = 4, .esn_mask = 2 }, -ENOENT, { 0 }, 0, false },
	{ "ESP CBC with integrity", PROTO_ESP, "aes256-sha384", "aes256-sha384", ESP_W, 0,
	  { 12, 256, 0, 13, 0, 0 }, 1, false },
	{ "ESP KE ignored in IKE_AUTH", PROTO_ESP, "aes128gcm16", "aes128gcm16-x25519",
	  { .proto = PROTO_ESP, .spi_size = 4, .ignore_ke = true }, 0, { 20, 128, 0, 0, 0, 0 }, 1,
	  false },
	{ "ESP PFS required by us, not offered", PROTO_ESP, "aes128gcm16-x25519", "aes128gcm16",
	  ESP_W, -ENOENT, { 0 }, 0, false },
	{ "ESP PFS offered, not configured", PROTO_ESP, "aes128gcm16", "aes128gcm16-ecp256",
	  ESP_W, -ENOENT, { 0 }, 0, false },
	{ "ESP PFS agreed", PROTO_ESP, "aes128gcm16-ecp384", "aes128gcm16-ecp256-ecp384",
	  ESP_W, 0, { 20, 128, 0, 0, 20, 0 }, 1, false },
	{ "protocol mismatch", PROTO_ESP, "aes128gcm16", "aes128gcm16-prfsha256-x25519",
	  ESP_W, -ENOENT, { 0 }, 0, false },
};

static void t_select(void **state)
{
	const struct sel_row *r = *state;
	struct ikc_proposal ours[8], th[8];
	struct ikm_proposal wire[8];
	unsigned no = parse_list(r->ours, r->proto, ours);
	unsigned nt = parse_list(r->theirs, !strcmp(r->name, "protocol mismatch") ? PROTO_IKE :
				 r->proto, th);
	struct prop_result res;
	uint8_t spi[4] = { 1, 2, 3, 4 };

	for (unsigned i = 0; i < nt; i++)
		prop_to_wire(&th[i], (uint8_t)(i + 1), spi, r->proto == PROTO_ESP ? 4 : 0, false, 0,
			     &wire[i]);
	if (r->unknown_attr_first)
		wire[0].xf[0].unknown_attr = true;
	assert_int_equal(prop_select(ours, no, wire, nt, &r->want, &res), r->rc);
	if (r->rc)
		return;
	assert_int_equal(res.suite.encr, r->suite.encr);
	assert_int_equal(res.suite.encr_keybits, r->suite.encr_keybits);
	assert_int_equal(res.suite.prf, r->suite.prf);
	assert_int_equal(res.suite.integ, r->suite.integ);
	assert_int_equal(res.suite.dh, r->suite.dh);
	assert_int_equal(res.suite.esn, r->suite.esn);
	assert_int_equal(res.num, r->num);
	/* And the initiator accepts the responder's answer built from it. */
	{
		struct ikm_proposal ans;
		struct prop_result acc;
		struct prop_want w = r->want;

		prop_suite_to_wire(&res.suite, r->proto, res.num, spi, r->want.spi_size, &ans);
		w.ke_group = 0;
		assert_int_equal(prop_accept(th, nt, &ans, 1, &w, &acc), 0);
		assert_memory_equal(&acc.suite, &res.suite, sizeof(acc.suite));
	}
}

/* The initiator refuses malformed answers. */
static void t_accept_bad(void **state)
{
	struct ikc_proposal ours[8];
	unsigned n = parse_list("aes128gcm16-prfsha256-x25519,aes256-sha256-ecp256", PROTO_IKE, ours);
	struct ikc_suite s = { 20, 128, 5, 0, 31, 0 };
	struct prop_want w = IKE_W;
	struct ikm_proposal ans[2];
	struct prop_result res;

	(void)state;
	prop_suite_to_wire(&s, PROTO_IKE, 1, NULL, 0, &ans[0]);
	assert_int_equal(prop_accept(ours, n, ans, 1, &w, &res), 0);
	/* two proposals */
	ans[1] = ans[0];
	assert_int_equal(prop_accept(ours, n, ans, 2, &w, &res), -EBADMSG);
	/* number naming the wrong offer */
	ans[0].num = 2;
	assert_int_equal(prop_accept(ours, n, ans, 1, &w, &res), -EBADMSG);
	ans[0].num = 9;
	assert_int_equal(prop_accept(ours, n, ans, 1, &w, &res), -EBADMSG);
	ans[0].num = 1;
	/* two ENCR transforms */
	ans[0].xf[ans[0].n_xf++] = ans[0].xf[0];
	assert_int_equal(prop_accept(ours, n, ans, 1, &w, &res), -EBADMSG);
	/* a transform we never offered */
	prop_suite_to_wire(&s, PROTO_IKE, 1, NULL, 0, &ans[0]);
	ans[0].xf[2].id = 14;   /* KE MODP-2048 */
	assert_int_equal(prop_accept(ours, n, ans, 1, &w, &res), -EBADMSG);
	/* wrong SPI size */
	prop_suite_to_wire(&s, PROTO_IKE, 1, NULL, 0, &ans[0]);
	w.spi_size = 8;
	assert_int_equal(prop_accept(ours, n, ans, 1, &w, &res), -EBADMSG);
	assert_int_equal(prop_first_ke(ours, n), 31);
	assert_true(prop_has_ke(ours, n, 19));
	assert_false(prop_has_ke(ours, n, 20));
}

/* ---- traffic selectors ---- */

struct ts_row {
	const char *name;
	const char *prop[3];
	const char *conf[3];
	const char *want[4];     /* narrowed, formatted; NULL-terminated */
};

static const struct ts_row ts_rows[] = {
	{ "equal", { "10.1.0.0/24" }, { "10.1.0.0/24" }, { "10.1.0.0-10.1.0.255" } },
	{ "proposal wider, narrowed", { "10.0.0.0/8" }, { "10.1.2.0/24" }, { "10.1.2.0-10.1.2.255" } },
	{ "configuration wider", { "10.1.2.0/24" }, { "10.0.0.0/8" }, { "10.1.2.0-10.1.2.255" } },
	{ "partial overlap of ranges", { "10.0.0.5-10.0.0.20" }, { "10.0.0.10-10.0.0.30" },
	  { "10.0.0.10-10.0.0.20" } },
	{ "disjoint", { "10.1.0.0/24" }, { "10.2.0.0/24" }, { NULL } },
	{ "protocol and port narrowed", { "10.1.0.0/24" }, { "10.1.0.0/24[udp/500]" },
	  { "10.1.0.0-10.1.0.255[17/500-500]" } },
	{ "protocol mismatch", { "10.1.0.0/24[tcp]" }, { "10.1.0.0/24[udp]" }, { NULL } },
	{ "IPv6", { "2001:db8::/32" }, { "2001:db8:1::/48" },
	  { "2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff" } },
	{ "family mismatch", { "2001:db8::/32" }, { "10.0.0.0/8" }, { NULL } },
	{ "two of two, duplicates removed", { "10.1.0.0/24", "10.1.0.0/24" },
	  { "10.1.0.0/16", "10.0.0.0/8" }, { "10.1.0.0-10.1.0.255" } },
	{ "two results", { "10.0.0.0/8" }, { "10.1.0.0/24", "10.3.0.0/24" },
	  { "10.1.0.0-10.1.0.255", "10.3.0.0-10.3.0.255" } },
};

static unsigned mk_ts(const char *const *s, struct ikm_ts *out)
{
	unsigned n = 0;

	for (; n < 3 && s[n]; n++) {
		struct agc_ts c;

		assert_int_equal(agc_parse_ts(s[n], &c), 0);
		ts_from_conf(&c, &out[n]);
	}
	return n;
}

static void t_ts(void **state)
{
	const struct ts_row *r = *state;
	struct ikm_ts p[4], c[4], o[8];
	unsigned np = mk_ts(r->prop, p), nc = mk_ts(r->conf, c);
	unsigned n = ts_narrow(p, np, c, nc, o, 8), want = 0;
	char buf[128];

	while (want < 4 && r->want[want])
		want++;
	assert_int_equal(n, want);
	for (unsigned i = 0; i < n; i++) {
		ts_format(&o[i], buf, sizeof(buf));
		assert_string_equal(buf, r->want[i]);
		/* what the responder answers is within the proposal */
		assert_true(ts_all_within(&o[i], 1, p, np));
	}
	if (n)
		assert_false(ts_all_within(p, np, o, n) && strcmp(r->name, "equal") &&
			     strcmp(r->name, "configuration wider") &&
			     strcmp(r->name, "two of two, duplicates removed"));
}

/* ---- timer heap: random operations against a reference ---- */

static unsigned fired[64];
static unsigned n_fired;

static void fire(struct tmr *t, uint64_t now)
{
	(void)now;
	fired[n_fired++] = (unsigned)(t->at & 0xffff);
}

static void t_timer_heap(void **state)
{
	struct tmr_heap h = { 0 };
	struct tmr t[64];
	uint64_t ref[64];
	unsigned seed = 7;

	(void)state;
	for (int i = 0; i < 64; i++) {
		tmr_init(&t[i], fire);
		ref[i] = 0;
	}
	for (int round = 0; round < 2000; round++) {
		int i;

		seed = seed * 1103515245u + 12345u;
		i = (int)((seed >> 16) % 64);
		if ((seed >> 8) & 1) {
			uint64_t at = ((seed >> 4) % 1000) << 16 | (unsigned)i;

			assert_int_equal(tmr_arm(&h, &t[i], at), 0);
			ref[i] = at;
		} else {
			tmr_cancel(&h, &t[i]);
			ref[i] = 0;
		}
		/* the heap minimum is the reference minimum */
		uint64_t mn = UINT64_MAX;

		for (int k = 0; k < 64; k++)
			if (ref[k] && ref[k] < mn)
				mn = ref[k];
		assert_true(tmr_next(&h) == mn);
	}
	/* firing order is deadline order */
	n_fired = 0;
	tmr_run(&h, UINT64_MAX - 1);
	assert_int_equal(h.n, 0);
	for (unsigned k = 1; k < n_fired; k++)
		assert_true(fired[k - 1] != fired[k]);
	tmr_heap_free(&h);
}

static void t_htab(void **state)
{
	struct htab h;
	struct htab_node n[300];
	unsigned cnt = 0;

	(void)state;
	assert_int_equal(htab_init(&h, 12345), 0);
	for (unsigned i = 0; i < 300; i++)
		htab_add(&h, &n[i], i % 100);   /* three nodes per key */
	assert_int_equal(h.n, 300);
	for (struct htab_node *x = htab_find(&h, 42); x; x = htab_next(x))
		cnt++;
	assert_int_equal(cnt, 3);
	htab_del(&h, &n[142]);
	cnt = 0;
	for (struct htab_node *x = htab_find(&h, 42); x; x = htab_next(x))
		cnt++;
	assert_int_equal(cnt, 2);
	assert_null(htab_find(&h, 1000));
	htab_free(&h);
}

/* ---- the in-memory dataplane follows the card's semantics ---- */

static void t_dp_mem(void **state)
{
	struct dp dp;
	struct dp_sa sa = { .spi_in = 0x1000, .spi_out = 0x2000, .esn = false };
	struct dp_slots s1, s2;
	uint32_t g, g2;
	uint64_t seq, ep, e2;

	(void)state;
	assert_int_equal(dp_mem_new(4, 8, &dp), 0);
	assert_int_equal(dp.ops->group_new(dp.ctx, false, &g), 0);
	assert_int_equal(dp.ops->sa_add(dp.ctx, g, &sa, &s1), 0);
	/* RFC 4303 §3.3.3: the first packet carries 1 */
	assert_int_equal(dp_mem_tx_next(dp.ctx, s1.out, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(dp_mem_tx_next(dp.ctx, s1.out, &seq), 0);
	assert_int_equal(seq, 2);
	/* ESN homogeneity */
	sa.esn = true;
	assert_int_equal(dp.ops->sa_add(dp.ctx, g, &sa, &s2), -EINVAL);
	sa.esn = false;
	sa.spi_in = 0x1001;
	assert_int_equal(dp.ops->sa_add(dp.ctx, g, &sa, &s2), 0);
	/* hold, add, release: both slots move by delta, one epoch */
	assert_int_equal(dp.ops->group_hold(dp.ctx, g, &ep), 0);
	assert_int_equal(dp_mem_tx_next(dp.ctx, s1.out, &seq), DP_MEM_HELD);
	assert_int_equal(dp.ops->group_tx_add(dp.ctx, g, 1000, true, &e2), 0);
	assert_int_equal(e2, ep + 1);
	assert_int_equal(dp_mem_tx_next(dp.ctx, s1.out, &seq), 0);
	assert_int_equal(seq, 1003);
	assert_int_equal(dp_mem_tx_next(dp.ctx, s2.out, &seq), 0);
	assert_int_equal(seq, 1001);
	/* overflow refused, nothing changed */
	assert_int_equal(dp.ops->group_tx_add(dp.ctx, g, UINT32_MAX, false, &e2), -EOVERFLOW);
	assert_int_equal(dp_mem_tx_next(dp.ctx, s2.out, &seq), 0);
	assert_int_equal(seq, 1002);
	/* inbound window: replay and advance */
	assert_int_equal(dp_mem_rx(dp.ctx, s1.in, 5), 0);
	assert_int_equal(dp_mem_rx(dp.ctx, s1.in, 5), -EALREADY);
	assert_int_equal(dp_mem_rx(dp.ctx, s1.in, 3), 0);
	assert_int_equal(dp.ops->group_rx_advance(dp.ctx, g, 100, &e2), 0);
	assert_int_equal(dp_mem_rx(dp.ctx, s1.in, 105), -EALREADY);
	assert_int_equal(dp_mem_rx(dp.ctx, s1.in, 106), 0);
	/* groups with slots cannot go; empty ones can */
	assert_int_equal(dp.ops->group_del(dp.ctx, g), -EBUSY);
	assert_int_equal(dp.ops->sa_del(dp.ctx, g, &sa, &s1), 0);
	assert_int_equal(dp.ops->sa_del(dp.ctx, g, &sa, &s2), 0);
	assert_int_equal(dp.ops->sa_del(dp.ctx, g, &sa, &s2), -ENOENT);
	assert_int_equal(dp.ops->group_del(dp.ctx, g), 0);
	assert_int_equal(dp_mem_live_groups(dp.ctx), 0);
	/* capacity */
	for (int i = 0; i < 4; i++)
		assert_int_equal(dp.ops->group_new(dp.ctx, false, &g2), 0);
	assert_int_equal(dp.ops->group_new(dp.ctx, false, &g2), -ENOSPC);
	dp.ops->close(dp.ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_accept_bad),
		cmocka_unit_test(t_timer_heap),
		cmocka_unit_test(t_htab),
		cmocka_unit_test(t_dp_mem),
	};
	struct CMUnitTest sel[N_(sel_rows)], ts[N_(ts_rows)];
	int fails = 0;

	for (size_t i = 0; i < N_(sel_rows); i++)
		sel[i] = (struct CMUnitTest){ sel_rows[i].name, t_select, NULL, NULL, (void *)&sel_rows[i] };
	for (size_t i = 0; i < N_(ts_rows); i++)
		ts[i] = (struct CMUnitTest){ ts_rows[i].name, t_ts, NULL, NULL, (void *)&ts_rows[i] };
	fails += cmocka_run_group_tests_name("ike-units", tests, NULL, NULL);
	fails += _cmocka_run_group_tests("ike-proposals", sel, N_(sel), NULL, NULL);
	fails += _cmocka_run_group_tests("ike-selectors", ts, N_(ts), NULL, NULL);
	return fails ? 1 : 0;
}
