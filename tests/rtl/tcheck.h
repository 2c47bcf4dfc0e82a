/* tcheck.h — minimal test harness for the RTL part's C tests: each test
 * case is a function; a case fails when any CHECK in it fails. The runner
 * prints "<suite>: N passed, N failed, N skipped" (tests/lib/run-suite). */
#ifndef TCHECK_H
#define TCHECK_H

#include <inttypes.h>
#include <stdio.h>

extern int tc_failed_checks;

#define CHECK(c) do { if (!(c)) { tc_failed_checks++; \
	fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_EQ(a, b) do { uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); if (a_ != b_) { \
	tc_failed_checks++; fprintf(stderr, "  %s:%d: %s == %s failed: 0x%" PRIx64 " != 0x%" PRIx64 "\n", \
	__FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

struct tc_case {
	const char *name;
	void (*fn)(void);
};

/* Runs the cases whose name contains filter (NULL: all); returns the exit status. */
int tc_run(const char *suite, const struct tc_case *cases, unsigned n, const char *filter);

#endif
