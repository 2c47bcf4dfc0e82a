/* timer.c — binary min-heap of intrusive timers; see timer.h. */
#include "timer.h"

#include <errno.h>
#include <stdlib.h>

void tmr_init(struct tmr *t, tmr_fn fn)
{
	t->at = 0;
	t->idx = SIZE_MAX;
	t->fn = fn;
}

static void place(struct tmr_heap *h, size_t i, struct tmr *t)
{
	h->v[i] = t;
	t->idx = i;
}

static void sift_up(struct tmr_heap *h, size_t i)
{
	struct tmr *t = h->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h->v[p]->at <= t->at)
			break;
		place(h, i, h->v[p]);
		i = p;
	}
	place(h, i, t);
}

static void sift_down(struct tmr_heap *h, size_t i)
{
	struct tmr *t = h->v[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint64_t best = t->at;

		if (l < h->n && h->v[l]->at < best) {
			m = l;
			best = h->v[l]->at;
		}
		if (l + 1 < h->n && h->v[l + 1]->at < best)
			m = l + 1;
		if (m == i)
			break;
		place(h, i, h->v[m]);
		i = m;
	}
	place(h, i, t);
}

int tmr_arm(struct tmr_heap *h, struct tmr *t, uint64_t at)
{
	if (tmr_armed(t)) {
		uint64_t old = t->at;

		t->at = at;
		if (at < old)
			sift_up(h, t->idx);
		else
			sift_down(h, t->idx);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct tmr **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	t->at = at;
	place(h, h->n++, t);
	sift_up(h, t->idx);
	return 0;
}

void tmr_cancel(struct tmr_heap *h, struct tmr *t)
{
	size_t i = t->idx;

	if (!tmr_armed(t))
		return;
	t->idx = SIZE_MAX;
	if (--h->n == i)
		return;
	struct tmr *moved = h->v[h->n];

	place(h, i, moved);
	sift_down(h, i);
	sift_up(h, moved->idx);
}

uint64_t tmr_next(const struct tmr_heap *h)
{
	return h->n ? h->v[0]->at : UINT64_MAX;
}

unsigned tmr_run(struct tmr_heap *h, uint64_t now)
{
	unsigned fired = 0;

	while (h->n && h->v[0]->at <= now) {
		struct tmr *t = h->v[0];

		tmr_cancel(h, t);
		fired++;
		t->fn(t, now);
	}
	return fired;
}

void tmr_heap_free(struct tmr_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
