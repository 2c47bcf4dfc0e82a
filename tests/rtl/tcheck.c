/* tcheck.c — the runner of tcheck.h. */
#include "tcheck.h"

#include <string.h>
#include <time.h>

int tc_failed_checks;

int tc_run(const char *suite, const struct tc_case *cases, unsigned n, const char *filter)
{
	unsigned i, pass = 0, fail = 0;

	for (i = 0; i < n; i++) {
		int before = tc_failed_checks;
		struct timespec t0, t1;

		if (filter && !strstr(cases[i].name, filter))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		cases[i].fn();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (tc_failed_checks == before)
			pass++;
		else
			fail++;
		printf("%s %-40s %.2fs\n", tc_failed_checks == before ? "ok  " : "FAIL", cases[i].name,
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		fflush(stdout);
	}
	printf("%s: %u passed, %u failed, 0 skipped\n", suite, pass, fail);
	return fail ? 1 : 0;
}
