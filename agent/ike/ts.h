/* ts.h — traffic selector narrowing (RFC 7296 §2.9).
 *
 * Selectors are the wire form (struct ikm_ts). Narrowing intersects each
 * proposed selector with each configured one; the responder answers with
 * the non-empty intersections ("narrowed to a subset"), the initiator
 * checks that every selector of the answer lies within what it proposed.
 * Pure functions, table-tested. */
#ifndef IPSECHA_TS_H
#define IPSECHA_TS_H

#include "agc.h"
#include "msg.h"

/* From a configured selector. */
void ts_from_conf(const struct agc_ts *c, struct ikm_ts *out);

/* Intersection of a and b into out; false if empty (or of different
 * families / non-IP types). */
bool ts_intersect(const struct ikm_ts *a, const struct ikm_ts *b, struct ikm_ts *out);

/* Is a within b? */
bool ts_subset(const struct ikm_ts *a, const struct ikm_ts *b);

/* Responder: narrow the peer's proposal `prop` with our configured set.
 * Writes up to max results; returns how many (0 = TS_UNACCEPTABLE).
 * Duplicates are removed. */
unsigned ts_narrow(const struct ikm_ts *prop, unsigned n_prop,
		   const struct ikm_ts *conf, unsigned n_conf,
		   struct ikm_ts *out, unsigned max);

/* Initiator: every selector of `ans` within some selector of `prop`. */
bool ts_all_within(const struct ikm_ts *ans, unsigned n_ans,
		   const struct ikm_ts *prop, unsigned n_prop);

/* "10.0.0.0-10.0.0.255[17/500-500]" style text for logs and the CLI. */
int ts_format(const struct ikm_ts *ts, char *buf, size_t len);

#endif
