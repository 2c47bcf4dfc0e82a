/* bench_card.c — command latency, group add vs per-slot updates, readback
 * rate, on a live card (`make bench-card` starts a simulated one).
 *
 *   bench-card URI OUT.json
 *
 * Every figure is measured in this run, side by side with its baseline;
 * medians over repeated trials (the machine is shared and noisy). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipsecha.h"
#include "ipsecha_card_abi.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "bench-card: %s: %s\n", what, ipsecha_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	enum { N_SINGLE = 1000, N_BATCH = 200, N_GROUP = 1000, TRIALS = 15, GAP_US = 300 };
	static double t[N_SINGLE];
	struct ipsecha *h;
	struct ipsecha_info info;
	struct ipsecha_batch *b;
	struct ipsecha_slot_state *rb;
	struct ica_cmd rd0 = { .op = ICA_OP_SLOT_READ, .index = 0 };
	struct ica_cpl cpl;
	double rtt1, rtt1_b2b, rtt64, t_add, t_slots, t_slots_sync, rb_rate, ratio, ratio_sync;
	uint64_t cyc_nop = 0, cyc_add = 0, cyc64 = 0, cyc_slot = 0;
	uint32_t g, first, i, k;
	size_t n;
	FILE *f;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-card URI OUT.json\n");
		return 2;
	}
	err = ipsecha_open(argv[1], NULL, &h);
	if (err)
		return die("open", err);
	if ((err = ipsecha_identify(h, &info)))
		return die("identify", err);
	b = ipsecha_batch_new(h);
	rb = calloc(info.num_sa, sizeof(*rb));
	if (!b || !rb)
		return die("alloc", -ENOMEM);

	/* 1. one command (a slot read), round trip, through the whole doorbell
	 * path: the card is left idle (asleep) before each command. The same
	 * back to back, when the card is often still awake, for reference. */
	for (i = 0; i < 200; i++)
		ipsecha_cmd_raw(h, &rd0, &cpl);
	for (i = 0; i < N_SINGLE; i++) {
		double t0;

		usleep(GAP_US);
		t0 = now_us();
		if ((err = ipsecha_cmd_raw(h, &rd0, &cpl)) || cpl.status)
			return die("slot read", err ? err : -EIO);
		t[i] = now_us() - t0;
		cyc_nop += cpl.cycles;
	}
	rtt1 = median(t, N_SINGLE);
	cyc_nop /= N_SINGLE;
	for (i = 0; i < N_SINGLE; i++) {
		double t0 = now_us();

		if ((err = ipsecha_cmd_raw(h, &rd0, &cpl)))
			return die("slot read", err);
		t[i] = now_us() - t0;
	}
	rtt1_b2b = median(t, N_SINGLE);

	/* 2. a batch of 64 commands (slot reads), one doorbell, round trip. */
	for (i = 0; i < N_BATCH; i++) {
		double t0;

		ipsecha_batch_reset(b);
		for (k = 0; k < 64; k++)
			ipsecha_batch_slot_read(b, k % info.num_sa);
		usleep(GAP_US);
		t0 = now_us();
		if ((err = ipsecha_batch_submit(b)))
			return die("batch", err);
		t[i] = now_us() - t0;
	}
	rtt64 = median(t, N_BATCH);
	for (k = 0; k < 64; k++) {
		struct ica_cmd rd = { .op = ICA_OP_SLOT_READ, .index = k % info.num_sa };

		ipsecha_cmd_raw(h, &rd, &cpl);
		cyc64 += cpl.cycles;
	}

	/* 3. group add on a group of 1000 slots vs updating 1000 slots from the
	 * host. Without a group operation a host must rewrite each slot:
	 * remove it and install it again at its value + delta (two commands a
	 * slot, not atomic). Baseline A: the best a host can do, batched (one
	 * doorbell per ring-full); baseline B: one command at a time. */
	g = info.num_group - 1;
	first = info.num_sa - N_GROUP;
	ipsecha_batch_reset(b);
	for (i = 0; i < N_GROUP; i++) {
		struct ipsecha_sa o = { .group = g, .flags = IPSECHA_SA_ESN };

		ipsecha_batch_remove(b, first + i);   /* leftovers of an earlier run */
		ipsecha_batch_install(b, first + i, &o);
	}
	if ((err = ipsecha_batch_submit(b)))
		return die("install", err);
	for (i = 0; i < TRIALS; i++) {
		uint64_t ep;
		double t0;

		usleep(GAP_US);
		t0 = now_us();
		if ((err = ipsecha_group_tx_add(h, g, 1, 0, &ep)))
			return die("group add", err);
		t[i] = now_us() - t0;
	}
	t_add = median(t, TRIALS);
	{
		struct ica_cmd add = { .op = ICA_OP_GROUP_TX_ADD, .index = g, .a = 1 };

		ipsecha_cmd_raw(h, &add, &cpl);
		cyc_add = cpl.cycles;
	}
	for (i = 0; i < 5; i++) {
		double t0;

		if ((err = ipsecha_readback_group(h, g, rb, info.num_sa, &n)) || n != N_GROUP)
			return die("readback", err ? err : -EIO);
		t0 = now_us();
		ipsecha_batch_reset(b);
		for (k = 0; k < N_GROUP; k++) {
			struct ipsecha_sa o = { .group = g, .flags = IPSECHA_SA_ESN, .seq = rb[k].value + 1 };

			ipsecha_batch_remove(b, rb[k].slot);
			ipsecha_batch_install(b, rb[k].slot, &o);
		}
		if ((err = ipsecha_batch_submit(b)))
			return die("per-slot", err);
		t[i] = now_us() - t0;
	}
	t_slots = median(t, 5);
	for (k = 0; k < 2; k++) {
		struct ica_cmd c = { .op = k ? ICA_OP_SLOT_INSTALL : ICA_OP_SLOT_REMOVE,
				     .flags = k ? ICA_F_INSTALL_ESN : 0, .index = first, .index2 = k ? g : 0,
				     .a = k ? rb[0].value + 2 : 0 };

		ipsecha_cmd_raw(h, &c, &cpl);
		cyc_slot += cpl.cycles;
	}
	cyc_slot *= N_GROUP;
	{
		double t0 = now_us();

		for (k = 0; k < N_GROUP; k++) {
			struct ipsecha_slot_state st;
			struct ipsecha_sa o = { .group = g, .flags = IPSECHA_SA_ESN };

			if ((err = ipsecha_slot_read(h, first + k, &st)))
				return die("read", err);
			o.seq = st.value + 1;
			if ((err = ipsecha_slot_remove(h, first + k, NULL)) ||
			    (err = ipsecha_slot_install(h, first + k, &o, NULL)))
				return die("per-slot sync", err);
		}
		t_slots_sync = now_us() - t0;
	}
	ratio = t_slots / t_add;
	ratio_sync = t_slots_sync / t_add;

	/* 4. bulk readback rate over the whole card. */
	for (i = 0; i < 7; i++) {
		double t0 = now_us();

		if ((err = ipsecha_readback_range(h, 0, info.num_sa, 0, rb, info.num_sa, &n)))
			return die("readback", err);
		t[i] = now_us() - t0;
	}
	rb_rate = (double)info.num_sa / (median(t, 7) / 1e6);

	ipsecha_batch_reset(b);
	for (i = 0; i < N_GROUP; i++)
		ipsecha_batch_remove(b, first + i);
	ipsecha_batch_submit(b);

	printf("bench-card: %s (%s backend, %u slots)\n", argv[1], info.backend, info.num_sa);
	printf("  %-44s %12s %14s\n", "measure", "value", "card cycles");
	printf("  %-44s %9.1f us %14" PRIu64 "\n", "round trip, one command (slot read)", rtt1, cyc_nop);
	printf("  %-44s %9.1f us\n", "  same, back to back (card still awake)", rtt1_b2b);
	printf("  %-44s %9.1f us %14" PRIu64 "\n", "round trip, batch of 64 (slot reads)", rtt64, cyc64);
	printf("  %-44s %9.2f us\n", "  per command in the batch", rtt64 / 64);
	printf("  %-44s %9.1f us %14" PRIu64 "\n", "group add, group of 1000 slots", t_add, cyc_add);
	printf("  %-44s %9.1f us %14" PRIu64 "\n", "1000 per-slot updates, batched", t_slots, cyc_slot);
	printf("  %-44s %9.1f us\n", "1000 per-slot updates, one at a time", t_slots_sync);
	printf("  %-44s %11.0fx   (target >= 100x)\n", "group add vs per-slot (batched)", ratio);
	printf("  %-44s %11.0fx\n", "group add vs per-slot (one at a time)", ratio_sync);
	printf("  %-44s %12.0f\n", "bulk readback, slots/s", rb_rate);

	f = fopen(argv[2], "w");
	if (!f)
		return die(argv[2], -errno);
	fprintf(f, "{\n  \"rtt_us\": { \"single\": %.2f, \"batch64\": %.2f, \"single_back_to_back\": %.2f },\n"
		   "  \"rtt_cycles\": { \"single\": %" PRIu64 ", \"batch64\": %" PRIu64 " },\n"
		   "  \"group_add_vs_per_slot_ratio\": %.1f,\n"
		   "  \"group_add_vs_per_slot_sync_ratio\": %.1f,\n"
		   "  \"group_add_us\": %.2f,\n  \"per_slot_1000_us\": %.2f,\n"
		   "  \"readback_slots_per_s\": %.0f,\n  \"backend\": \"%s\",\n  \"num_sa\": %u\n}\n",
		rtt1, rtt64, rtt1_b2b, cyc_nop, cyc64, ratio, ratio_sync, t_add, t_slots, rb_rate, info.backend,
		info.num_sa);
	fclose(f);
	ipsecha_batch_free(b);
	free(rb);
	ipsecha_close(h);
	return 0;
}
