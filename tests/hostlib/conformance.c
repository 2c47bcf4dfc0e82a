/* conformance.c — the host-library conformance suite.
 *
 *   ipsecha-conformance URI      (e.g. sim:/tmp/x.sock, vfio:0000:00:03.0)
 *
 * Runs every libipsecha call and every card error path against a live card
 * and prints one line per test, then "conformance: N passed, N failed".
 * The same binary runs unchanged inside a QEMU guest against the VFIO
 * backend, so it uses nothing but libipsecha, libc and pthreads (static
 * build: `make ipsecha-conformance-static`). It assumes it is the card's
 * only user while it runs; it tolerates any earlier state of the card. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipsecha.h"
#include "ipsecha_card_abi.h"

static const char *uri;
static struct ipsecha *H;
static struct ipsecha_info I;
static int t_fail;
static unsigned n_pass, n_fail;

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __func__, __LINE__, #c); t_fail = 1; } } while (0)
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
	if (a_ != b_) { fprintf(stderr, "    %s:%d: %s = %llu (0x%llx), expected %s = %llu\n", \
		__func__, __LINE__, #a, a_, a_, #b, b_); t_fail = 1; } } while (0)
#define CHECK_ERR(call, want) do { int e_ = (call); if (e_ != (want)) { \
	fprintf(stderr, "    %s:%d: %s = %d (%s), expected %d (%s)\n", __func__, __LINE__, #call, \
		e_, ipsecha_strerror(e_), (want), ipsecha_strerror(want)); t_fail = 1; } } while (0)
#define CHECK_OK(call) CHECK_ERR(call, 0)

static void report(const char *name)
{
	printf("%s %s\n", t_fail ? "FAIL" : "ok  ", name);
	fflush(stdout);
	if (t_fail)
		n_fail++;
	else
		n_pass++;
	t_fail = 0;
}

/* Slots and groups used by the tests: spread over the card so tests do
 * not share state; everything is scaled to the card's size. */
static uint32_t S(uint32_t k) { return k % I.num_sa; }
static uint32_t G(uint32_t k) { return k % I.num_group; }

static uint64_t epoch_now(void)
{
	struct ipsecha_info i;

	if (ipsecha_identify(H, &i))
		return UINT64_MAX;
	return i.epoch;
}

static struct ipsecha_slot_state rd(uint32_t slot)
{
	struct ipsecha_slot_state st;

	memset(&st, 0, sizeof(st));
	if (ipsecha_slot_read(H, slot, &st))
		st.flags = 0xdead;
	return st;
}

static uint64_t tx1(uint32_t slot, uint32_t *status)
{
	struct ipsecha_dp_result r = { 0 };

	if (ipsecha_dp_tx(H, slot, 1, &r, NULL))
		r.status = 0xee;
	if (status)
		*status = r.status;
	return r.seq;
}

static struct ipsecha_sa sa_out(uint32_t g, int esn, uint64_t seq, uint64_t hard, uint64_t soft)
{
	return (struct ipsecha_sa){ g, esn ? IPSECHA_SA_ESN : 0, seq, hard, soft };
}

static struct ipsecha_sa sa_in(uint32_t g, int esn, uint64_t edge)
{
	return (struct ipsecha_sa){ g, IPSECHA_SA_IN | (esn ? IPSECHA_SA_ESN : 0), edge, 0, 0 };
}

/* Start from a card with no slots and no held groups. */
static void card_reset(void)
{
	struct ipsecha_slot_state *s = calloc(I.num_sa, sizeof(*s));
	struct ipsecha_batch *b = ipsecha_batch_new(H);
	size_t n = 0, i;
	uint32_t g;

	if (!s || !b)
		exit(2);
	if (!ipsecha_readback_range(H, 0, I.num_sa, IPSECHA_RB_VALID_ONLY, s, I.num_sa, &n))
		for (i = 0; i < n; i++)
			ipsecha_batch_remove(b, s[i].slot);
	for (g = 0; g < I.num_group; g++)
		ipsecha_batch_release(b, g);
	ipsecha_batch_submit(b);
	ipsecha_batch_free(b);
	free(s);
}

/* ------------------------------------------------------------------ */

static void t_identify(void)
{
	struct ipsecha_info a, b;
	unsigned ma, mi;

	ipsecha_abi_version(&ma, &mi);
	CHECK_OK(ipsecha_identify(H, &a));
	CHECK_OK(ipsecha_identify(H, &b));
	CHECK_EQ(a.abi_major, ma);
	CHECK(a.abi_minor >= mi);
	CHECK(a.num_sa >= 64 && a.num_group >= 16);
	CHECK(a.window >= 64 && a.window % 32 == 0);
	CHECK(a.caps & IPSECHA_CAP_SELFTEST);
	CHECK(a.num_queues >= 2 && a.cmd_entries >= 16 && a.rb_entries >= 64);
	CHECK(b.epoch >= a.epoch);
	CHECK(b.cycles > a.cycles);
	CHECK(a.backend[0] != 0);
	CHECK_ERR(ipsecha_identify(H, NULL), -EINVAL);
	CHECK_ERR(ipsecha_identify(NULL, &a), -EINVAL);
}

static void t_uri_errors(void)
{
	struct ipsecha *h = (struct ipsecha *)1;
	struct {
		struct ipsecha_open_opts o;
		char tail[8];
	} big;

	CHECK_ERR(ipsecha_open("bogus:x", NULL, &h), -EPROTONOSUPPORT);
	CHECK(h == NULL);
	CHECK_ERR(ipsecha_open("nocolon", NULL, &h), -EINVAL);
	CHECK_ERR(ipsecha_open("sim:", NULL, &h), -EINVAL);
	CHECK_ERR(ipsecha_open(NULL, NULL, &h), -EINVAL);
	CHECK_ERR(ipsecha_open(uri, NULL, NULL), -EINVAL);
	/* Options with unknown non-zero trailing bytes are refused. */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.tail[3] = 1;
	CHECK_ERR(ipsecha_open(uri, &big.o, &h), -EINVAL);
	if (!strncmp(uri, "sim:", 4))
		CHECK_ERR(ipsecha_open("sim:/nonexistent/ipsecha-card-none.sock", NULL, &h), -ENOENT);
	ipsecha_close(NULL);
}

static void t_version_refusal(void)
{
	struct ipsecha *h = NULL;
	IPSECHA_OPTS(ipsecha_open_opts, newer, .host_abi_major = (uint16_t)(I.abi_major + 1));
	IPSECHA_OPTS(ipsecha_open_opts, other, .host_abi_major = (uint16_t)(I.abi_major + 7));
	IPSECHA_OPTS(ipsecha_open_opts, minor, .host_abi_major = (uint16_t)I.abi_major,
		     .host_abi_minor = (uint16_t)(I.abi_minor + 1));

	CHECK_ERR(ipsecha_open(uri, &newer, &h), -EPROTO);
	ipsecha_close(h);
	CHECK_ERR(ipsecha_open(uri, &other, &h), -EPROTO);
	ipsecha_close(h);
	CHECK_ERR(ipsecha_open(uri, &minor, &h), -EPROTO);
	CHECK(h == NULL);
	ipsecha_close(h);
	h = NULL;
	/* The refused opens left no queue taken: a normal open works. */
	CHECK_OK(ipsecha_open(uri, NULL, &h));
	ipsecha_close(h);
}

static void t_arg_refusal(void)
{
	struct ipsecha_stats a, b;
	struct ipsecha_slot_state st;
	struct ipsecha_group_state gs;
	struct ipsecha_dp_result r;
	struct ipsecha_sa sa;
	struct ipsecha_batch *bt = ipsecha_batch_new(H);
	size_t n;
	uint64_t ep;

	CHECK_OK(ipsecha_stats(H, &a));
	sa = sa_out(G(1), 0, 0, 0, 0);
	CHECK_ERR(ipsecha_slot_install(H, I.num_sa, &sa, &ep), -EINVAL);
	sa.group = I.num_group;
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	sa = sa_out(G(1), 0, 0, 0, 0);
	sa.flags = 0x80;
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	sa = sa_in(G(1), 0, 5);
	sa.hard_limit = 10;
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	sa = sa_out(G(1), 0, 10, 10, 0);
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	sa = sa_out(G(1), 0, 1, 10, 11);
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	sa = sa_out(G(1), 0, 1, 1ull << 32, 0);
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	sa = sa_in(G(1), 0, 1ull << 32);
	CHECK_ERR(ipsecha_slot_install(H, S(1), &sa, &ep), -EINVAL);
	CHECK_ERR(ipsecha_slot_install(H, S(1), NULL, &ep), -EINVAL);
	CHECK_ERR(ipsecha_slot_remove(H, I.num_sa, &ep), -EINVAL);
	CHECK_ERR(ipsecha_slot_read(H, I.num_sa, &st), -EINVAL);
	CHECK_ERR(ipsecha_slot_read(H, S(1), NULL), -EINVAL);
	CHECK_ERR(ipsecha_group_read(H, I.num_group, &gs), -EINVAL);
	CHECK_ERR(ipsecha_group_tx_add(H, I.num_group, 1, 0, &ep), -EINVAL);
	CHECK_ERR(ipsecha_group_tx_add(H, G(1), 1, 0x2, &ep), -EINVAL);
	CHECK_ERR(ipsecha_group_rx_advance(H, I.num_group, 1, &ep), -EINVAL);
	CHECK_ERR(ipsecha_group_hold(H, I.num_group, &ep), -EINVAL);
	CHECK_ERR(ipsecha_group_release(H, I.num_group, &ep), -EINVAL);
	CHECK_ERR(ipsecha_readback_range(H, 0, 0, 0, &st, 1, &n), -EINVAL);
	CHECK_ERR(ipsecha_readback_range(H, I.num_sa - 1, 2, 0, &st, 1, &n), -EINVAL);
	CHECK_ERR(ipsecha_readback_range(H, 0, 1, 0x8, &st, 1, &n), -EINVAL);
	CHECK_ERR(ipsecha_readback_range(H, 0, 1, 0, &st, 1, NULL), -EINVAL);
	CHECK_ERR(ipsecha_readback_group(H, I.num_group, &st, 1, &n), -EINVAL);
	CHECK_ERR(ipsecha_dp_tx(H, S(1), 0, &r, NULL), -EINVAL);
	CHECK_ERR(ipsecha_dp_tx(H, I.num_sa, 1, &r, NULL), -EINVAL);
	CHECK_ERR(ipsecha_dp_rx(H, S(1), 1, 0x4, &r, NULL), -EINVAL);
	CHECK_ERR(ipsecha_dp_rx(H, S(1), 1, 0, NULL, NULL), -EINVAL);
	CHECK_ERR(ipsecha_event_drain(H, NULL, 4, &n, NULL), -EINVAL);
	CHECK_ERR(ipsecha_batch_install(bt, I.num_sa, &sa), -EINVAL);
	CHECK_ERR(ipsecha_batch_tx_add(bt, I.num_group, 1, 0), -EINVAL);
	CHECK_ERR(ipsecha_batch_remove(NULL, 1), -EINVAL);
	CHECK_EQ(ipsecha_batch_count(bt), 0);
	CHECK_ERR(ipsecha_batch_result(bt, 0, &ep, NULL), -EINVAL);
	CHECK_OK(ipsecha_stats(H, &b));
	/* None of that reached the card. */
	CHECK_EQ(b.commands, a.commands);
	ipsecha_batch_free(bt);
}

static void t_slot_lifecycle(void)
{
	uint32_t s1 = S(10), s2 = S(11), bmp[32];
	struct ipsecha_sa o = sa_out(G(10), 0, 41, 1000, 900), in = sa_in(G(11), 1, 1ull << 40);
	struct ipsecha_slot_state st;
	uint64_t e0 = epoch_now(), ep = 0;
	size_t nw = 0;

	CHECK_OK(ipsecha_slot_install(H, s1, &o, &ep));
	CHECK_EQ(ep, e0);   /* install does not advance the epoch */
	st = rd(s1);
	CHECK_EQ(st.flags, IPSECHA_SLOT_VALID);
	CHECK_EQ(st.group, G(10));
	CHECK_EQ(st.value, 41);
	CHECK_EQ(st.hard_limit, 1000);
	CHECK_EQ(st.soft_limit, 900);
	CHECK_ERR(ipsecha_slot_install(H, s1, &o, &ep), -EEXIST);
	CHECK_EQ(rd(s1).value, 41);
	CHECK_OK(ipsecha_slot_install(H, s2, &in, NULL));
	CHECK_OK(ipsecha_slot_read_bitmap(H, s2, &st, bmp, 32, &nw));
	CHECK_EQ(st.flags, IPSECHA_SLOT_VALID | IPSECHA_SLOT_IN | IPSECHA_SLOT_ESN);
	CHECK_EQ(st.value, 1ull << 40);
	CHECK_EQ(nw, I.window / 32);
	CHECK(bmp[0] & 1u);   /* everything up to the edge counts as seen */
	CHECK_ERR(ipsecha_slot_read_bitmap(H, s2, &st, bmp, 1, &nw), I.window > 32 ? -ENOSPC : 0);
	CHECK_OK(ipsecha_slot_remove(H, s1, &ep));
	CHECK_EQ(ep, e0);
	CHECK_EQ(rd(s1).flags, 0);
	CHECK_ERR(ipsecha_slot_remove(H, s1, NULL), -ENOENT);
	CHECK_OK(ipsecha_slot_remove(H, s2, NULL));
	CHECK_EQ(epoch_now(), e0);
}

static void t_esn_homogeneity(void)
{
	uint32_t g = G(20), a = S(20), b = S(21);
	struct ipsecha_sa esn = sa_out(g, 1, 0, 0, 0), plain = sa_in(g, 0, 0);
	struct ipsecha_group_state gs;

	CHECK_OK(ipsecha_slot_install(H, a, &esn, NULL));
	CHECK_OK(ipsecha_group_read(H, g, &gs));
	CHECK(gs.flags & IPSECHA_GROUP_ESN);
	CHECK_ERR(ipsecha_slot_install(H, b, &plain, NULL), -EXDEV);
	CHECK_EQ(rd(b).flags, 0);          /* refused: nothing installed */
	CHECK_OK(ipsecha_slot_remove(H, a, NULL));
	CHECK_OK(ipsecha_slot_install(H, b, &plain, NULL));   /* empty group: any mode */
	CHECK_OK(ipsecha_group_read(H, g, &gs));
	CHECK(!(gs.flags & IPSECHA_GROUP_ESN));
	CHECK_OK(ipsecha_slot_remove(H, b, NULL));
}

/* Card-side validation through raw commands: each row is one error path.
 * A refused command echoes the tag, carries no results, changes nothing. */
struct raw_case {
	const char *name;
	struct ica_cmd cmd;
	uint8_t status;
	uint16_t field;
};

static void t_card_validation(void)
{
	uint32_t live = S(30), live_in = S(31), freeslot = S(32), g = G(30);
	uint64_t big32 = 1ull << 32;
	struct raw_case cases[] = {
		{ "unknown opcode", { .op = 0x7f }, ICA_ST_BAD_OP, ICA_FLD_OP },
		{ "reserved byte", { .op = ICA_OP_NOP, .rsvd0 = 1 }, ICA_ST_RESERVED, ICA_FLD_RSVD },
		{ "reserved word", { .op = ICA_OP_NOP, .rsvd = { 0, 0, 1 } }, ICA_ST_RESERVED, ICA_FLD_RSVD },
		{ "unused index", { .op = ICA_OP_EVENT_DRAIN, .index = 1 }, ICA_ST_RESERVED, ICA_FLD_INDEX },
		{ "unused arg a", { .op = ICA_OP_GROUP_HOLD, .index = g, .a = 1 }, ICA_ST_RESERVED, ICA_FLD_A },
		{ "unused index2", { .op = ICA_OP_GROUP_TX_ADD, .index = g, .index2 = 1 }, ICA_ST_RESERVED, ICA_FLD_INDEX2 },
		{ "unknown flag", { .op = ICA_OP_SLOT_READ, .flags = 0x2, .index = live }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "tx add flag", { .op = ICA_OP_GROUP_TX_ADD, .flags = 0x2, .index = g }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "read slot range", { .op = ICA_OP_SLOT_READ, .index = I.num_sa }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX },
		{ "remove slot range", { .op = ICA_OP_SLOT_REMOVE, .index = 0xffffffffu }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX },
		{ "hold group range", { .op = ICA_OP_GROUP_HOLD, .index = I.num_group }, ICA_ST_BAD_GROUP, ICA_FLD_INDEX },
		{ "add group range", { .op = ICA_OP_GROUP_TX_ADD, .index = I.num_group, .a = 1 }, ICA_ST_BAD_GROUP, ICA_FLD_INDEX },
		{ "install group range", { .op = ICA_OP_SLOT_INSTALL, .index = freeslot, .index2 = I.num_group }, ICA_ST_BAD_GROUP, ICA_FLD_INDEX2 },
		{ "install slot range", { .op = ICA_OP_SLOT_INSTALL, .index = I.num_sa, .index2 = g }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX },
		{ "install seq >= limit", { .op = ICA_OP_SLOT_INSTALL, .index = freeslot, .index2 = g, .a = 10, .b = 10 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "install soft > hard", { .op = ICA_OP_SLOT_INSTALL, .index = freeslot, .index2 = g, .a = 1, .b = 10, .c = 11 }, ICA_ST_BAD_VALUE, ICA_FLD_C },
		{ "install 32-bit limit", { .op = ICA_OP_SLOT_INSTALL, .index = freeslot, .index2 = g, .b = big32 }, ICA_ST_BAD_VALUE, ICA_FLD_B },
		{ "install 32-bit seq", { .op = ICA_OP_SLOT_INSTALL, .index = freeslot, .index2 = g, .a = big32 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "install in + limit", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN, .index = freeslot, .index2 = g, .b = 5 }, ICA_ST_BAD_VALUE, ICA_FLD_B },
		{ "install in + soft", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN, .index = freeslot, .index2 = g, .c = 5 }, ICA_ST_BAD_VALUE, ICA_FLD_C },
		{ "install in 32-bit edge", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_IN, .index = freeslot, .index2 = g, .a = big32 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "install flag", { .op = ICA_OP_SLOT_INSTALL, .flags = 0x4, .index = freeslot, .index2 = g }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "install live slot", { .op = ICA_OP_SLOT_INSTALL, .index = live, .index2 = g }, ICA_ST_SLOT_LIVE, ICA_FLD_INDEX },
		{ "install ESN mismatch", { .op = ICA_OP_SLOT_INSTALL, .flags = ICA_F_INSTALL_ESN, .index = freeslot, .index2 = g }, ICA_ST_ESN_MISMATCH, ICA_FLD_FLAGS },
		{ "remove free slot", { .op = ICA_OP_SLOT_REMOVE, .index = freeslot }, ICA_ST_SLOT_FREE, ICA_FLD_INDEX },
		{ "readback count 0", { .op = ICA_OP_READBACK, .index = 0 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX2 },
		{ "readback past end", { .op = ICA_OP_READBACK, .index = I.num_sa - 1, .index2 = 2 }, ICA_ST_BAD_SLOT, ICA_FLD_INDEX2 },
		{ "readback > window", { .op = ICA_OP_READBACK, .index = 0, .index2 = I.rb_entries + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX2 },
		{ "readback range cursor", { .op = ICA_OP_READBACK, .index = 0, .index2 = 1, .a = 1 }, ICA_ST_RESERVED, ICA_FLD_A },
		{ "readback group flags", { .op = ICA_OP_READBACK, .flags = ICA_F_RB_GROUP | ICA_F_RB_VALID_ONLY, .index = g }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "readback group range", { .op = ICA_OP_READBACK, .flags = ICA_F_RB_GROUP, .index = I.num_group }, ICA_ST_BAD_GROUP, ICA_FLD_INDEX },
		{ "readback cursor range", { .op = ICA_OP_READBACK, .flags = ICA_F_RB_GROUP, .index = g, .a = I.num_sa }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "dp tx free slot", { .op = ICA_OP_DP_TX, .index = freeslot, .index2 = 1 }, ICA_ST_SLOT_FREE, ICA_FLD_INDEX },
		{ "dp tx inbound slot", { .op = ICA_OP_DP_TX, .index = live_in, .index2 = 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX },
		{ "dp tx count 0", { .op = ICA_OP_DP_TX, .index = live }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX2 },
		{ "dp tx count > window", { .op = ICA_OP_DP_TX, .index = live, .index2 = I.rb_entries + 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX2 },
		{ "dp rx outbound slot", { .op = ICA_OP_DP_RX, .index = live, .a = 1 }, ICA_ST_BAD_VALUE, ICA_FLD_INDEX },
		{ "dp rx 64-bit wire seq", { .op = ICA_OP_DP_RX, .index = live_in, .a = big32 }, ICA_ST_BAD_VALUE, ICA_FLD_A },
		{ "dp rx flag", { .op = ICA_OP_DP_RX, .flags = 0x2, .index = live_in, .a = 1 }, ICA_ST_BAD_FLAGS, ICA_FLD_FLAGS },
		{ "selftest args", { .op = ICA_OP_SELFTEST, .c = 1 }, ICA_ST_RESERVED, ICA_FLD_C },
	};
	struct ipsecha_sa o = sa_out(g, 0, 7, 100, 0), in = sa_in(g, 0, 50);
	struct ipsecha_slot_state before[3], after[3];
	size_t i, k;
	uint64_t e0;

	if (ipsecha_slot_install(H, live, &o, NULL) || ipsecha_slot_install(H, live_in, &in, NULL)) {
		t_fail = 1;
		report("card validation: setup");
		return;
	}
	before[0] = rd(live);
	before[1] = rd(live_in);
	before[2] = rd(freeslot);
	e0 = epoch_now();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ica_cpl cpl;
		char name[96];

		memset(&cpl, 0xa5, sizeof(cpl));
		CHECK_OK(ipsecha_cmd_raw(H, &cases[i].cmd, &cpl));
		CHECK_EQ(cpl.status, cases[i].status);
		CHECK_EQ(cpl.detail, cases[i].field);
		CHECK_EQ(cpl.op, cases[i].cmd.op);
		CHECK(cpl.w0 == 0 && cpl.v[0] == 0 && cpl.v[5] == 0);
		CHECK(ipsecha_status_errno(cpl.status) < 0);
		after[0] = rd(live);
		after[1] = rd(live_in);
		after[2] = rd(freeslot);
		for (k = 0; k < 3; k++) {
			CHECK_EQ(after[k].flags, before[k].flags);
			CHECK_EQ(after[k].value, before[k].value);
		}
		CHECK_EQ(epoch_now(), e0);
		snprintf(name, sizeof(name), "card refuses: %s", cases[i].name);
		report(name);
	}
	ipsecha_slot_remove(H, live, NULL);
	ipsecha_slot_remove(H, live_in, NULL);
}

static void t_group_ops(void)
{
	uint32_t g = G(40), a = S(40), b = S(41), st;
	struct ipsecha_sa o = sa_out(g, 1, 0, 0, 0), in = sa_in(g, 1, 1000);
	struct ipsecha_group_state gs0, gs;
	struct ipsecha_dp_result chk, com;
	uint64_t e0, ep, seq;

	CHECK_OK(ipsecha_slot_install(H, a, &o, NULL));
	CHECK_OK(ipsecha_slot_install(H, b, &in, NULL));
	CHECK_OK(ipsecha_group_read(H, g, &gs0));
	e0 = epoch_now();
	CHECK_OK(ipsecha_group_tx_add(H, g, 50, 0, &ep));
	CHECK_EQ(ep, e0 + 1);
	CHECK_EQ(rd(a).value, 50);
	seq = tx1(a, &st);
	CHECK_EQ(st, IPSECHA_DP_OK);
	CHECK_EQ(seq, 51);
	CHECK_OK(ipsecha_group_hold(H, g, &ep));
	CHECK_EQ(ep, e0 + 2);
	tx1(a, &st);
	CHECK_EQ(st, IPSECHA_DP_HELD);
	CHECK_EQ(rd(a).value, 51);
	CHECK_OK(ipsecha_group_read(H, g, &gs));
	CHECK(gs.flags & IPSECHA_GROUP_HELD);
	CHECK_OK(ipsecha_group_release(H, g, &ep));
	CHECK_EQ(ep, e0 + 3);
	CHECK_EQ(tx1(a, &st), 52);
	CHECK_OK(ipsecha_group_hold(H, g, &ep));
	CHECK_OK(ipsecha_group_tx_add(H, g, 10, IPSECHA_TX_RELEASE, &ep));
	CHECK_EQ(ep, e0 + 5);
	CHECK_EQ(tx1(a, &st), 63);
	CHECK_EQ(st, IPSECHA_DP_OK);
	CHECK_OK(ipsecha_group_read(H, g, &gs));
	CHECK_EQ(gs.flags, IPSECHA_GROUP_ESN | IPSECHA_GROUP_HAS_SLOTS);
	CHECK_EQ(gs.n_out, 1);
	CHECK_EQ(gs.n_in, 1);
	CHECK_EQ(gs.tx_offset - gs0.tx_offset, 60);
	CHECK_EQ(gs.tx_max, 63);
	CHECK_EQ(gs.last_epoch, e0 + 5);
	CHECK_OK(ipsecha_group_rx_advance(H, g, 100, &ep));
	CHECK_EQ(ep, e0 + 6);
	CHECK_EQ(rd(b).value, 1100);
	CHECK_OK(ipsecha_dp_rx(H, b, 1100, IPSECHA_RX_COMMIT, &chk, &com));
	CHECK_EQ(chk.status, IPSECHA_DP_REPLAY);
	CHECK_EQ(com.status, IPSECHA_DP_NONE);
	CHECK_OK(ipsecha_dp_rx(H, b, 1101, IPSECHA_RX_COMMIT, &chk, &com));
	CHECK_EQ(chk.status, IPSECHA_DP_OK);
	CHECK_EQ(com.status, IPSECHA_DP_OK);
	CHECK(com.epoch >= e0 + 6);
	CHECK_EQ(rd(b).value, 1101);
	CHECK_OK(ipsecha_group_read(H, g, &gs));
	CHECK_EQ(gs.rx_advance - gs0.rx_advance, 100);
	ipsecha_slot_remove(H, a, NULL);
	ipsecha_slot_remove(H, b, NULL);
}

static int has_event(const struct ipsecha_event *ev, size_t n, uint32_t type, uint32_t index,
		     uint64_t value)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (ev[i].type == type && ev[i].index == index && ev[i].value == value)
			c++;
	return (int)c;
}

static void t_overflow(void)
{
	uint32_t g = G(50), a = S(50), g2 = G(51), b = S(51), g3 = G(52), c = S(52), st;
	struct ipsecha_sa o = sa_out(g, 0, 990, 1000, 0);
	struct ipsecha_sa o32 = sa_out(g2, 0, 0xfffffff6ull, 0, 0);
	struct ipsecha_sa o64 = sa_out(g3, 1, UINT64_MAX - 5, 0, 0);
	struct ipsecha_event ev[64];
	struct ipsecha *h2 = NULL;
	IPSECHA_OPTS(ipsecha_open_opts, oo, .flags = IPSECHA_OPEN_EVENTS_NEW);
	uint64_t e0, ep;
	size_t n = 0;

	CHECK_OK(ipsecha_open(uri, &oo, &h2));
	CHECK_OK(ipsecha_slot_install(H, a, &o, NULL));
	CHECK_OK(ipsecha_slot_install(H, b, &o32, NULL));
	CHECK_OK(ipsecha_slot_install(H, c, &o64, NULL));
	e0 = epoch_now();
	CHECK_ERR(ipsecha_group_tx_add(H, g, 11, 0, &ep), -EOVERFLOW);
	CHECK_EQ(epoch_now(), e0);       /* refused: epoch unchanged */
	CHECK_EQ(rd(a).value, 990);
	CHECK_OK(ipsecha_group_tx_add(H, g, 10, 0, &ep));
	CHECK_EQ(rd(a).value, 1000);
	tx1(a, &st);
	CHECK_EQ(st, IPSECHA_DP_EXHAUSTED);
	CHECK(rd(a).flags & IPSECHA_SLOT_EXHAUSTED);
	/* 2^32-1 for a 32-bit slot, 2^64-1 for ESN; never wraps. */
	CHECK_OK(ipsecha_group_tx_add(H, g2, 9, 0, NULL));
	CHECK_EQ(rd(b).value, 0xffffffffull);
	CHECK_ERR(ipsecha_group_tx_add(H, g2, 1, 0, NULL), -EOVERFLOW);
	CHECK_OK(ipsecha_group_tx_add(H, g3, 5, 0, NULL));
	CHECK_EQ(rd(c).value, UINT64_MAX);
	CHECK_ERR(ipsecha_group_tx_add(H, g3, 1, 0, NULL), -EOVERFLOW);
	CHECK_ERR(ipsecha_group_tx_add(H, g3, UINT64_MAX, 0, NULL), -EOVERFLOW);
	CHECK_EQ(rd(c).value, UINT64_MAX);
	tx1(c, &st);
	CHECK_EQ(st, IPSECHA_DP_EXHAUSTED);
	if (h2) {
		CHECK_OK(ipsecha_event_drain(h2, ev, 64, &n, NULL));
		CHECK_EQ(has_event(ev, n, IPSECHA_EV_OVERFLOW, g, 11), 1);
		CHECK_EQ(has_event(ev, n, IPSECHA_EV_OVERFLOW, g2, 1), 1);
		CHECK_EQ(has_event(ev, n, IPSECHA_EV_EXHAUSTED, a, 1000), 1);
		CHECK_EQ(has_event(ev, n, IPSECHA_EV_EXHAUSTED, c, UINT64_MAX), 1);
	}
	ipsecha_close(h2);
	ipsecha_slot_remove(H, a, NULL);
	ipsecha_slot_remove(H, b, NULL);
	ipsecha_slot_remove(H, c, NULL);
}

static void t_exhaust_soft(void)
{
	uint32_t g = G(60), a = S(60), i, ok = 0;
	struct ipsecha_sa o = sa_out(g, 0, 5, 10, 8);
	struct ipsecha_dp_result r[7];
	struct ipsecha_event ev[64];
	struct ipsecha *h2 = NULL;
	IPSECHA_OPTS(ipsecha_open_opts, oo, .flags = IPSECHA_OPEN_EVENTS_NEW);
	size_t n = 0;

	CHECK_OK(ipsecha_open(uri, &oo, &h2));
	CHECK_OK(ipsecha_slot_install(H, a, &o, NULL));
	CHECK_OK(ipsecha_dp_tx(H, a, 7, r, &ok));
	CHECK_EQ(ok, 5);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(r[i].status, IPSECHA_DP_OK);
		CHECK_EQ(r[i].seq, 6 + i);
	}
	CHECK_EQ(r[5].status, IPSECHA_DP_EXHAUSTED);
	CHECK_EQ(r[6].status, IPSECHA_DP_EXHAUSTED);
	CHECK_EQ(rd(a).flags, IPSECHA_SLOT_VALID | IPSECHA_SLOT_EXHAUSTED | IPSECHA_SLOT_SOFT);
	if (h2) {
		CHECK_OK(ipsecha_event_drain(h2, ev, 64, &n, NULL));
		CHECK_EQ(has_event(ev, n, IPSECHA_EV_SOFT_LIMIT, a, 8), 1);
		CHECK_EQ(has_event(ev, n, IPSECHA_EV_EXHAUSTED, a, 10), 1);   /* raised once */
	}
	ipsecha_close(h2);
	ipsecha_slot_remove(H, a, NULL);
}

static void t_readback(void)
{
	uint32_t g = G(70), first = S(100), cnt = I.num_sa >= 1700 ? 1500 : I.num_sa / 2, i;
	struct ipsecha_slot_state *s = calloc(cnt, sizeof(*s)), *r = calloc(cnt, sizeof(*r));
	struct ipsecha_batch *b = ipsecha_batch_new(H);
	size_t n = 0, n2 = 0;

	if (!s || !r || !b || first + cnt > I.num_sa) {
		t_fail = 1;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		struct ipsecha_sa o = sa_out(g, 1, 1000u * i, 0, 0);

		CHECK_OK(ipsecha_batch_install(b, first + i, &o));
	}
	CHECK_OK(ipsecha_batch_submit(b));
	for (i = 0; i < cnt; i++)
		CHECK_OK(ipsecha_batch_result(b, i, NULL, NULL));
	CHECK_OK(ipsecha_dp_tx(H, first + 3, 3, NULL, NULL));
	CHECK_OK(ipsecha_group_tx_add(H, g, 7, 0, NULL));
	CHECK_OK(ipsecha_readback_group(H, g, s, cnt, &n));
	CHECK_EQ(n, cnt);
	for (i = 0; i < n && i < cnt; i++) {
		CHECK_EQ(s[i].slot, first + i);
		CHECK_EQ(s[i].value, 1000u * i + 7 + (i == 3 ? 3 : 0));
		CHECK_EQ(s[i].group, g);
		if (t_fail)
			break;
	}
	CHECK_OK(ipsecha_readback_range(H, first, cnt, 0, r, cnt, &n2));
	CHECK_EQ(n2, cnt);
	CHECK(n == n2 && !memcmp(&s[0].value, &r[0].value, sizeof(uint64_t)) &&
	      s[cnt - 1].value == r[cnt - 1].value);
	CHECK_EQ(rd(first + cnt - 1).value, r[cnt - 1].value);
	CHECK_ERR(ipsecha_readback_group(H, g, s, 10, &n), -ENOSPC);
	CHECK_EQ(n, 10);
	CHECK_ERR(ipsecha_readback_range(H, first, cnt, 0, r, 10, &n), -ENOSPC);
	CHECK_EQ(n, 10);
	ipsecha_batch_reset(b);
	for (i = 0; i < cnt; i++)
		ipsecha_batch_remove(b, first + i);
	CHECK_OK(ipsecha_batch_submit(b));
	CHECK_OK(ipsecha_readback_group(H, g, s, cnt, &n));
	CHECK_EQ(n, 0);
out:
	ipsecha_batch_free(b);
	free(s);
	free(r);
}

static void t_ring_wrap(void)
{
	struct ipsecha_batch *b = ipsecha_batch_new(H);
	struct ipsecha_stats s0, s1;
	uint32_t round, i, total = 0, sizes[] = { 1, 255, 256, 257, 700, 3, 1000, 64 };

	CHECK_OK(ipsecha_stats(H, &s0));
	for (round = 0; round < sizeof(sizes) / sizeof(sizes[0]); round++) {
		ipsecha_batch_reset(b);
		for (i = 0; i < sizes[round]; i++) {
			if (i % 7 == 3)
				CHECK_OK(ipsecha_batch_slot_read(b, S(i)));
			else
				CHECK_OK(ipsecha_batch_nop(b));
		}
		CHECK_OK(ipsecha_batch_submit(b));
		for (i = 0; i < sizes[round]; i++)
			CHECK_OK(ipsecha_batch_result(b, i, NULL, NULL));
		total += sizes[round];
	}
	CHECK_OK(ipsecha_stats(H, &s1));
	CHECK_EQ(s1.commands - s0.commands, total);
	/* One doorbell per ring-full: 1+1+1+2+3+1+4+1. */
	CHECK_EQ(s1.doorbells - s0.doorbells, 14);
	CHECK_ERR(ipsecha_batch_submit(b), -EINVAL);   /* already submitted */
	ipsecha_batch_free(b);
}

static void t_batch_mixed(void)
{
	struct ipsecha_batch *b = ipsecha_batch_new(H);
	struct ipsecha_sa o = sa_out(G(80), 0, 3, 0, 0);
	struct ipsecha_slot_state st;
	uint32_t s = S(80);
	uint64_t e0 = epoch_now(), ep = 0;

	CHECK_OK(ipsecha_batch_install(b, s, &o));
	CHECK_OK(ipsecha_batch_install(b, s, &o));
	CHECK_OK(ipsecha_batch_slot_read(b, s));
	CHECK_OK(ipsecha_batch_tx_add(b, G(80), 4, 0));
	CHECK_OK(ipsecha_batch_remove(b, s));
	CHECK_OK(ipsecha_batch_remove(b, s));
	CHECK_OK(ipsecha_batch_hold(b, G(80)));
	CHECK_OK(ipsecha_batch_release(b, G(80)));
	CHECK_OK(ipsecha_batch_rx_advance(b, G(80), 1));
	CHECK_EQ(ipsecha_batch_count(b), 9);
	CHECK_OK(ipsecha_batch_submit(b));
	CHECK_OK(ipsecha_batch_result(b, 0, NULL, NULL));
	CHECK_ERR(ipsecha_batch_result(b, 1, NULL, NULL), -EEXIST);
	CHECK_OK(ipsecha_batch_result(b, 2, NULL, &st));
	CHECK_EQ(st.value, 3);
	CHECK_OK(ipsecha_batch_result(b, 3, &ep, NULL));
	CHECK_EQ(ep, e0 + 1);
	CHECK_OK(ipsecha_batch_result(b, 4, NULL, NULL));
	CHECK_ERR(ipsecha_batch_result(b, 5, NULL, NULL), -ENOENT);
	CHECK_OK(ipsecha_batch_result(b, 8, &ep, NULL));
	CHECK_EQ(ep, e0 + 4);
	CHECK_ERR(ipsecha_batch_result(b, 9, NULL, NULL), -EINVAL);
	ipsecha_batch_free(b);
}

static void t_event_ring_overflow(void)
{
	uint32_t g = G(90), a = S(90), i, n_ev = I.ev_entries + 100, last = 0;
	struct ipsecha_sa o = sa_out(g, 0, 9, 10, 0);
	struct ipsecha_batch *b = ipsecha_batch_new(H);
	struct ipsecha_event *ev = calloc(I.ev_entries * 2, sizeof(*ev));
	struct ipsecha *h2 = NULL;
	IPSECHA_OPTS(ipsecha_open_opts, oo, .flags = IPSECHA_OPEN_EVENTS_NEW);
	size_t n = 0, j;
	uint64_t lost = 0;

	CHECK_OK(ipsecha_open(uri, &oo, &h2));
	CHECK_OK(ipsecha_slot_install(H, a, &o, NULL));
	/* Every refused add raises one event; nobody drains meanwhile. */
	for (i = 0; i < n_ev; i++)
		ipsecha_batch_tx_add(b, g, 2 + i, 0);
	CHECK_OK(ipsecha_batch_submit(b));
	for (i = 0; i < n_ev; i++)
		CHECK_ERR(ipsecha_batch_result(b, i, NULL, NULL), -EOVERFLOW);
	if (h2 && ev) {
		CHECK_OK(ipsecha_event_drain(h2, ev, I.ev_entries * 2, &n, &lost));
		/* The ring kept the newest ev_entries; the reader learns how many
		 * it missed, and what it got is consecutive and intact. */
		CHECK_EQ(n + lost, n_ev);
		CHECK(lost >= 100);
		for (j = 0; j < n; j++) {
			CHECK_EQ(ev[j].type, IPSECHA_EV_OVERFLOW);
			CHECK_EQ(ev[j].index, g);
			if (j)
				CHECK_EQ(ev[j].seq, ev[j - 1].seq + 1);
			CHECK_EQ(ev[j].value, 2 + lost + j);
			last = ev[j].seq;
			if (t_fail)
				break;
		}
		(void)last;
		CHECK_OK(ipsecha_event_drain(h2, ev, 16, &n, &lost));
		CHECK_EQ(n, 0);
		CHECK_EQ(lost, 0);
	}
	ipsecha_close(h2);
	ipsecha_slot_remove(H, a, NULL);
	ipsecha_batch_free(b);
	free(ev);
}

static void t_event_fd(void)
{
	uint32_t g = G(95), a = S(95);
	struct ipsecha_sa o = sa_out(g, 0, 9, 10, 0);
	struct ipsecha_event ev[8];
	struct ipsecha *h2 = NULL;
	IPSECHA_OPTS(ipsecha_open_opts, oo, .flags = IPSECHA_OPEN_EVENTS_NEW);
	struct pollfd pfd;
	size_t n = 0;
	int fd;

	CHECK_OK(ipsecha_open(uri, &oo, &h2));
	if (!h2)
		return;
	fd = ipsecha_event_fd(h2);
	CHECK(fd >= 0);
	CHECK_OK(ipsecha_event_drain(h2, ev, 8, &n, NULL));
	CHECK_OK(ipsecha_slot_install(H, a, &o, NULL));
	CHECK_ERR(ipsecha_group_tx_add(H, g, 5, 0, NULL), -EOVERFLOW);
	/* The event interrupt reaches the other handle's fd. */
	pfd = (struct pollfd){ fd, POLLIN, 0 };
	CHECK_EQ(poll(&pfd, 1, 2000), 1);
	CHECK_OK(ipsecha_event_drain(h2, ev, 8, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_EQ(has_event(ev, n, IPSECHA_EV_OVERFLOW, g, 5), 1);
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 0);   /* drained: quiet again */
	ipsecha_close(h2);
	ipsecha_slot_remove(H, a, NULL);
}

static void t_completion_irq(void)
{
	struct ipsecha *h2 = NULL;
	IPSECHA_OPTS(ipsecha_open_opts, oo, .spin_us = 1);
	struct ipsecha_info info;
	struct ipsecha_stats st;
	int i;

	CHECK_OK(ipsecha_open(uri, &oo, &h2));
	if (!h2)
		return;
	for (i = 0; i < 200; i++)
		CHECK_OK(ipsecha_identify(h2, &info));
	CHECK_OK(ipsecha_stats(h2, &st));
	CHECK_EQ(st.commands, 200);
	CHECK(st.irq_wakeups > 0);   /* completions arrived as interrupts */
	ipsecha_close(h2);
}

/* Two threads on one handle, disjoint slots and groups. */
struct worker { struct ipsecha *h; uint32_t slot0, group; int errors; };

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 150; i++) {
		uint32_t s = w->slot0 + (uint32_t)(i % 20);
		struct ipsecha_sa o = sa_out(w->group, 1, (uint64_t)i, 0, 0);
		struct ipsecha_slot_state st;
		struct ipsecha_dp_result r;

		if (ipsecha_slot_install(w->h, s, &o, NULL) ||
		    ipsecha_dp_tx(w->h, s, 1, &r, NULL) || r.status != IPSECHA_DP_OK ||
		    ipsecha_slot_read(w->h, s, &st) || st.value != r.seq ||
		    ipsecha_slot_remove(w->h, s, NULL))
			w->errors++;
	}
	return NULL;
}

static void t_threads(void)
{
	struct worker w[2] = { { H, S(200), G(200), 0 }, { H, S(300), G(201), 0 } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, worker_fn, &w[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(w[0].errors, 0);
	CHECK_EQ(w[1].errors, 0);
}

static void t_processes(void)
{
	pid_t pid[2];
	int i, status;

	fflush(NULL);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct worker w = { NULL, S(400 + 100 * (uint32_t)i), G(210 + (uint32_t)i), 0 };

			if (ipsecha_open(uri, NULL, &w.h))
				_exit(3);
			worker_fn(&w);
			ipsecha_close(w.h);
			_exit(w.errors ? 1 : 0);
		}
	}
	for (i = 0; i < 2; i++) {
		CHECK(waitpid(pid[i], &status, 0) == pid[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* A client SIGKILLed mid-batch leaves the card consistent: the commands
 * executed are a prefix of what it submitted, each whole. */
static void t_kill_midbatch(void)
{
	const uint32_t M = 300, base = S(1000), g = G(300);
	int delays_us[] = { 0, 200, 2000 }, d, mid = 0;

	for (d = 0; d < 3; d++) {
		struct ipsecha_group_state g1;
		struct ipsecha_slot_state *s = calloc(M, sizeof(*s));
		struct ipsecha *hs[64];
		size_t n = 0, i;
		uint64_t off;
		pid_t pid;
		int k, nh = 0, status, p[2];
		char c;

		if (!s || pipe(p)) {
			t_fail = 1;
			free(s);
			return;
		}
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			struct ipsecha *h;
			struct ipsecha_batch *b;
			uint32_t j;

			close(p[0]);
			if (ipsecha_open(uri, NULL, &h) || !(b = ipsecha_batch_new(h)))
				_exit(3);
			for (j = 0; j < M; j++) {
				struct ipsecha_sa o = sa_out(g, 0, 0, 0, 0);

				ipsecha_batch_install(b, base + j, &o);
				ipsecha_batch_tx_add(b, g, 1, 0);
				if (ipsecha_batch_count(b) == 40) {
					ipsecha_batch_submit(b);
					ipsecha_batch_reset(b);
					if (j < 20 && write(p[1], "x", 1) != 1)
						_exit(4);   /* first batch done: the parent may kill */
				}
			}
			ipsecha_batch_submit(b);
			pause();
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			t_fail = 1;
		close(p[0]);
		if (delays_us[d])
			usleep((useconds_t)delays_us[d]);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
		/* The card frees the dead client's queue; all queues can be had. */
		for (k = 0; k < 200 && nh < (int)I.num_queues - 1; k++) {
			int err = ipsecha_open(uri, NULL, &hs[nh]);

			if (!err)
				nh++;
			else if (err == -EBUSY)
				usleep(10000);
			else
				break;
		}
		CHECK_EQ(nh, I.num_queues - 1);
		while (nh)
			ipsecha_close(hs[--nh]);
		CHECK_OK(ipsecha_group_read(H, g, &g1));
		CHECK_OK(ipsecha_readback_range(H, base, M, IPSECHA_RB_VALID_ONLY, s, M, &n));
		/* Slot j was installed after j adds, so slot 0 counts every add
		 * executed (the group's offset may restart when it was empty). */
		off = n ? s[0].value : 0;
		CHECK(n == off || n == off + 1);
		CHECK_EQ(g1.n_out, n);
		for (i = 0; i < n; i++) {
			CHECK_EQ(s[i].slot, base + i);
			CHECK_EQ(s[i].group, g);
			CHECK_EQ(s[i].value, off - i);
			if (t_fail)
				break;
		}
		printf("     killed after %zu of %u installs (%" PRIu64 " adds)\n", n, M, off);
		if (n > 0 && n < M)
			mid++;
		for (i = 0; i < n; i++)
			ipsecha_slot_remove(H, s[i].slot, NULL);
		free(s);
	}
	CHECK(mid > 0);   /* at least one kill landed in the middle of the stream */
}

static void t_queue_exhaustion(void)
{
	struct ipsecha *hs[257];
	int n = 0, err = 0;

	while (n < 257 && !(err = ipsecha_open(uri, NULL, &hs[n])))
		n++;
	CHECK_EQ(err, -EBUSY);
	CHECK_EQ(n, I.num_queues - 1);
	while (n)
		ipsecha_close(hs[--n]);
	CHECK_OK(ipsecha_open(uri, NULL, &hs[0]));
	ipsecha_close(hs[0]);
}

static void t_selftest(void)
{
	uint64_t failed = 1, skipped = 1;

	CHECK_OK(ipsecha_selftest(H, &failed, &skipped));
	CHECK_EQ(failed, 0);
	CHECK_EQ(skipped, 0);
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* No sequence number is ever issued twice on a slot, across traffic,
 * group adds, holds, releases and readbacks interleaved at random. */
static void t_no_reuse(void)
{
	enum { NS = 4, MAXSEQ = 20000 };
	uint32_t g = G(320), s0 = S(1500), i, k;
	uint64_t last[NS] = { 0 }, issued = 0;
	struct ipsecha_dp_result r[32];
	struct ipsecha_slot_state rb[NS];
	int held = 0;
	size_t n;

	for (k = 0; k < NS; k++) {
		struct ipsecha_sa o = sa_out(g, 1, 0, 0, 0);

		CHECK_OK(ipsecha_slot_install(H, s0 + k, &o, NULL));
	}
	for (i = 0; i < 400 && !t_fail; i++) {
		uint32_t op = (uint32_t)(rnd() % 10), cnt;

		if (op < 6) {
			k = (uint32_t)(rnd() % NS);
			cnt = 1 + (uint32_t)(rnd() % 32);
			CHECK_OK(ipsecha_dp_tx(H, s0 + k, cnt, r, NULL));
			for (uint32_t j = 0; j < cnt; j++) {
				if (r[j].status == IPSECHA_DP_HELD) {
					CHECK(held);
					continue;
				}
				CHECK_EQ(r[j].status, IPSECHA_DP_OK);
				CHECK(r[j].seq > last[k]);   /* strictly increasing: never reused */
				last[k] = r[j].seq;
				issued++;
			}
		} else if (op == 6) {
			CHECK_OK(ipsecha_group_tx_add(H, g, rnd() % 1000, held && (rnd() & 1) ?
						      IPSECHA_TX_RELEASE : 0, NULL));
			struct ipsecha_group_state gs;

			CHECK_OK(ipsecha_group_read(H, g, &gs));
			held = !!(gs.flags & IPSECHA_GROUP_HELD);
		} else if (op == 7) {
			CHECK_OK(held ? ipsecha_group_release(H, g, NULL) : ipsecha_group_hold(H, g, NULL));
			held = !held;
		} else {
			CHECK_OK(ipsecha_readback_group(H, g, rb, NS, &n));
			CHECK_EQ(n, NS);
			for (k = 0; k < n; k++)
				CHECK(rb[k].value >= last[k]);
		}
	}
	CHECK(issued > 1000);
	(void)MAXSEQ;
	ipsecha_group_release(H, g, NULL);
	for (k = 0; k < NS; k++)
		ipsecha_slot_remove(H, s0 + k, NULL);
}

static void t_esn_rx(void)
{
	uint32_t g = G(330), a = S(1600), b = S(1601);
	uint64_t T1 = (1ull << 32) + 100, T2 = (1ull << 32) + 10;
	struct ipsecha_sa ia = sa_in(g, 1, T1), ib = sa_in(g, 1, T2);
	struct ipsecha_dp_result c, m;

	CHECK_OK(ipsecha_slot_install(H, a, &ia, NULL));
	CHECK_OK(ipsecha_slot_install(H, b, &ib, NULL));
	/* RFC 4303 Appendix A: the high half is inferred from the window. */
	CHECK_OK(ipsecha_dp_rx(H, a, 101, IPSECHA_RX_COMMIT, &c, &m));
	CHECK_EQ(c.seq, T1 + 1);
	CHECK_EQ(c.status, IPSECHA_DP_OK);
	CHECK_EQ(m.status, IPSECHA_DP_OK);
	CHECK_OK(ipsecha_dp_rx(H, a, 101, 0, &c, NULL));
	CHECK_EQ(c.status, IPSECHA_DP_REPLAY);
	CHECK_OK(ipsecha_dp_rx(H, a, 90, 0, &c, NULL));
	CHECK_EQ(c.seq, (1ull << 32) + 90);
	CHECK_EQ(c.status, IPSECHA_DP_REPLAY);
	CHECK_OK(ipsecha_dp_rx(H, a, 20, 0, &c, NULL));
	CHECK_EQ(c.seq, (2ull << 32) + 20);
	CHECK_EQ(c.status, IPSECHA_DP_OK);
	CHECK_OK(ipsecha_dp_rx(H, b, 0xfffffff0u, 0, &c, NULL));
	CHECK_EQ(c.seq, 0xfffffff0ull);
	CHECK_EQ(c.status, IPSECHA_DP_REPLAY);
	CHECK_OK(ipsecha_dp_rx(H, b, 11, IPSECHA_RX_COMMIT, &c, &m));
	CHECK_EQ(c.seq, T2 + 1);
	CHECK_EQ(m.status, IPSECHA_DP_OK);
	CHECK_EQ(rd(b).value, T2 + 1);
	ipsecha_slot_remove(H, a, NULL);
	ipsecha_slot_remove(H, b, NULL);
}

static void t_child_sa(void)
{
	uint32_t g = G(340), so = S(1700), si = S(1701), sx = S(1702);
	struct ipsecha_sa plain = sa_out(g, 0, 0, 0, 0);
	struct ipsecha_slot_state st;

	CHECK_OK(ipsecha_child_install(H, g, so, si, 1, 5, 9, 0, 0));
	st = rd(so);
	CHECK_EQ(st.flags, IPSECHA_SLOT_VALID | IPSECHA_SLOT_ESN);
	CHECK_EQ(st.value, 5);
	st = rd(si);
	CHECK_EQ(st.flags, IPSECHA_SLOT_VALID | IPSECHA_SLOT_ESN | IPSECHA_SLOT_IN);
	CHECK_EQ(st.value, 9);
	/* Second Child SA whose inbound slot is taken: nothing stays installed. */
	CHECK_ERR(ipsecha_child_install(H, g, sx, si, 1, 0, 0, 0, 0), -EEXIST);
	CHECK_EQ(rd(sx).flags, 0);
	CHECK_ERR(ipsecha_child_install(H, g, sx, sx, 1, 0, 0, 0, 0), -EINVAL);
	/* A 32-bit Child SA cannot join the ESN IKE SA's group. */
	CHECK_ERR(ipsecha_slot_install(H, sx, &plain, NULL), -EXDEV);
	CHECK_OK(ipsecha_child_remove(H, so, si));
	CHECK_EQ(rd(so).flags, 0);
	CHECK_EQ(rd(si).flags, 0);
	CHECK_ERR(ipsecha_child_remove(H, so, si), -ENOENT);
}

static void t_strerror(void)
{
	int errs[] = { 0, -EINVAL, -EEXIST, -ENOENT, -EXDEV, -EOVERFLOW, -EDOM, -ERANGE,
		       -EOPNOTSUPP, -EIO, -EREMOTEIO, -EPROTO, -ENODEV, -EBUSY, -ETIMEDOUT,
		       -ECONNRESET, -ESHUTDOWN, -12345 };
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		CHECK(ipsecha_strerror(errs[i]) && *ipsecha_strerror(errs[i]));
	for (i = 0; i < ICA_ST_MAX_; i++)
		CHECK((ipsecha_status_errno((unsigned)i) == 0) == (i == ICA_ST_OK));
	CHECK(ipsecha_version() && *ipsecha_version());
}

struct test {
	const char *name;
	void (*fn)(void);
	int self_reporting;
};

static const struct test tests[] = {
	{ "identify", t_identify, 0 },
	{ "URI and option errors", t_uri_errors, 0 },
	{ "ABI version mismatch refused", t_version_refusal, 0 },
	{ "bad arguments refused before the card", t_arg_refusal, 0 },
	{ "slot install/read/remove", t_slot_lifecycle, 0 },
	{ "ESN homogeneity per group", t_esn_homogeneity, 0 },
	{ "card validation", t_card_validation, 1 },
	{ "group add/hold/release/advance with epochs", t_group_ops, 0 },
	{ "overflow refusal at limits, 2^32-1 and 2^64-1", t_overflow, 0 },
	{ "exhaustion and soft limit events", t_exhaust_soft, 0 },
	{ "bulk readback (group and range)", t_readback, 0 },
	{ "ring wrap-around and batches past the ring", t_ring_wrap, 0 },
	{ "batch with mixed results", t_batch_mixed, 0 },
	{ "event ring overflow", t_event_ring_overflow, 0 },
	{ "event fd wake-up", t_event_fd, 0 },
	{ "completion interrupts", t_completion_irq, 0 },
	{ "two threads on one handle", t_threads, 0 },
	{ "two processes on one card", t_processes, 0 },
	{ "client SIGKILLed mid-batch", t_kill_midbatch, 0 },
	{ "queue exhaustion", t_queue_exhaustion, 0 },
	{ "no sequence number reused", t_no_reuse, 0 },
	{ "ESN inference on receive", t_esn_rx, 0 },
	{ "Child SA install/remove (one group per IKE SA)", t_child_sa, 0 },
	{ "self-test", t_selftest, 0 },
	{ "strerror and status mapping", t_strerror, 0 },
};

int main(int argc, char **argv)
{
	const char *only = argc > 2 ? argv[2] : NULL;
	size_t i;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: ipsecha-conformance URI [TEST-SUBSTRING]\n");
		return 2;
	}
	uri = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = ipsecha_open(uri, NULL, &H);
	if (!err)
		err = ipsecha_identify(H, &I);
	if (err) {
		fprintf(stderr, "conformance: cannot open %s: %s\n", uri, ipsecha_strerror(err));
		printf("conformance: 0 passed, 1 failed\n");
		return 1;
	}
	printf("conformance: %s (%s, ABI %u.%u, %u slots, %u groups, window %u)\n", uri,
	       I.backend, I.abi_major, I.abi_minor, I.num_sa, I.num_group, I.window);
	card_reset();
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (only && !strstr(tests[i].name, only))
			continue;
		t_fail = 0;
		tests[i].fn();
		if (!tests[i].self_reporting)
			report(tests[i].name);
	}
	ipsecha_close(H);
	printf("conformance: %u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
