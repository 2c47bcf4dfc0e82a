/* th.h — a minimal table-test harness for the agent crypto/conf/keylog
 * tests: one counted case per vector or table row, failures printed with
 * their name, the run-suite summary line at the end. */
#ifndef IPSECHA_TH_H
#define IPSECHA_TH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern unsigned th_pass, th_fail, th_skip;

/* Count one case; print it when it failed (or always with TH_VERBOSE=1). */
void th_case(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Count one skipped case with its reason. */
void th_skipped(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Hex (whitespace ignored) to bytes: length, or -1 if invalid/too long. */
long th_unhex(const char *hex, uint8_t *out, size_t cap);
/* Same, heap-allocated (caller frees); NULL on error. */
uint8_t *th_unhex_alloc(const char *hex, size_t *len);
/* Path of a vector file under tests/agent/crypto/vectors. */
const char *th_vector(const char *name);

/* The test groups. */
void t_vectors(void);
void t_wycheproof(void);
void t_sk(void);
void t_kdf(void);
void t_proposals(void);
void t_keylog(void);

#endif
