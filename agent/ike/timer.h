/* timer.h — a min-heap of intrusive timers keyed by absolute milliseconds.
 *
 * A struct tmr lives inside its owner (an IKE SA, a Child SA); arming an
 * armed timer moves it, cancelling an idle one is a no-op, so owners can
 * cancel all their timers unconditionally before they are freed. The heap
 * grows by realloc; arming can therefore fail with -ENOMEM, in which case
 * the timer stays idle. Not thread-safe (one heap per engine). */
#ifndef IPSECHA_TIMER_H
#define IPSECHA_TIMER_H

#include <stddef.h>
#include <stdint.h>

struct tmr;
typedef void (*tmr_fn)(struct tmr *t, uint64_t now);

struct tmr {
	uint64_t at;      /* absolute deadline (ms) */
	size_t idx;       /* position in the heap, SIZE_MAX when idle */
	tmr_fn fn;
};

struct tmr_heap {
	struct tmr **v;
	size_t n, cap;
};

void tmr_init(struct tmr *t, tmr_fn fn);
static inline int tmr_armed(const struct tmr *t) { return t->idx != (size_t)-1; }
int tmr_arm(struct tmr_heap *h, struct tmr *t, uint64_t at);
void tmr_cancel(struct tmr_heap *h, struct tmr *t);
/* Earliest deadline, or UINT64_MAX when nothing is armed. */
uint64_t tmr_next(const struct tmr_heap *h);
/* Fire every timer due at or before now (each is disarmed before its
 * callback runs, so callbacks may re-arm or free their owner). Returns the
 * number fired. */
unsigned tmr_run(struct tmr_heap *h, uint64_t now);
void tmr_heap_free(struct tmr_heap *h);

#endif
