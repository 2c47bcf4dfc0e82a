/* rtt.c — ipsecha-vfio-rtt: round-trip latency of one command (a NOP in a
 * batch of one: doorbell, card, completion, wake-up) through libipsecha.
 *
 *   ipsecha-vfio-rtt URI [N [GAP_US]]
 *
 * Runs on the host against sim:SOCKET and, statically linked, in the QEMU
 * guest against vfio:BDF (make bench-vfio runs both and compares). Prints
 * "rtt: uri=URI n=N gap_us=G mean_us=... p50_us=... p99_us=... min_us=...".
 *
 * Each command is preceded by GAP_US (default 500) of idleness, so the card
 * is asleep and every round trip takes the whole path: ring write,
 * doorbell, wake-up, firmware, completion. Back to back (GAP_US 0) a fast
 * client catches ipsecha-card-sim still polling its rings and measures its
 * loop instead, which is not what one command costs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipsecha.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct ipsecha *h;
	struct ipsecha_batch *b;
	double *t, sum = 0;
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
	long gap = argc > 3 ? strtol(argv[3], NULL, 10) : 500;
	int err;

	if (argc < 2 || n < 10 || n > 1000000 || gap < 0 || gap > 1000000) {
		fprintf(stderr, "usage: ipsecha-vfio-rtt URI [N>=10 [GAP_US]]\n");
		return 2;
	}
	err = ipsecha_open(argv[1], NULL, &h);
	if (err) {
		fprintf(stderr, "ipsecha-vfio-rtt: %s: %s\n", argv[1], ipsecha_strerror(err));
		return 1;
	}
	b = ipsecha_batch_new(h);
	t = calloc((size_t)n, sizeof(*t));
	if (!b || !t) {
		fprintf(stderr, "ipsecha-vfio-rtt: out of memory\n");
		return 1;
	}
	for (long i = -n / 10; i < n; i++) { /* the first tenth warms up */
		double t0;

		ipsecha_batch_reset(b);
		ipsecha_batch_nop(b);
		if (gap)
			usleep((useconds_t)gap);
		t0 = now_us();
		err = ipsecha_batch_submit(b);
		if (!err)
			err = ipsecha_batch_result(b, 0, NULL, NULL);
		if (err) {
			fprintf(stderr, "ipsecha-vfio-rtt: NOP: %s\n", ipsecha_strerror(err));
			return 1;
		}
		if (i >= 0) {
			t[i] = now_us() - t0;
			sum += t[i];
		}
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("rtt: uri=%s n=%ld gap_us=%ld mean_us=%.2f p50_us=%.2f p99_us=%.2f min_us=%.2f\n",
	       argv[1], n, gap, sum / (double)n, t[n / 2], t[n * 99 / 100], t[0]);
	free(t);
	ipsecha_batch_free(b);
	ipsecha_close(h);
	return 0;
}
