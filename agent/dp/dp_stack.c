/* dp_stack.c — several dataplanes as one: the first allocates groups and
 * slots, the others are told the same numbers. An operation that fails on
 * a later member is undone on the earlier ones where it can be (adds and
 * installs), so the stack stays all-or-nothing for the engine. */
#include "dp_hw.h"

#include <errno.h>
#include <stdlib.h>

#define MAX_MEMBERS 4

struct stack {
	unsigned n;
	struct dp m[MAX_MEMBERS];
};

static int group_new(void *ctx, bool esn, uint32_t *group)
{
	struct stack *s = ctx;
	int err = s->m[0].ops->group_new(s->m[0].ctx, esn, group);

	for (unsigned i = 1; !err && i < s->n; i++) {
		uint32_t g = *group;

		err = s->m[i].ops->group_new(s->m[i].ctx, esn, &g);
	}
	return err;
}

static int group_del(void *ctx, uint32_t group)
{
	struct stack *s = ctx;
	int err = 0;

	for (unsigned i = s->n; i-- > 0;) {
		int e = s->m[i].ops->group_del(s->m[i].ctx, group);

		if (e && !err)
			err = e;
	}
	return err;
}

static int sa_add(void *ctx, uint32_t group, const struct dp_sa *sa, struct dp_slots *out)
{
	struct stack *s = ctx;
	int err = s->m[0].ops->sa_add(s->m[0].ctx, group, sa, out);

	for (unsigned i = 1; !err && i < s->n; i++) {
		err = s->m[i].ops->sa_add(s->m[i].ctx, group, sa, out);
		if (err)
			while (i-- > 0)
				s->m[i].ops->sa_del(s->m[i].ctx, group, sa, out);
	}
	return err;
}

static int sa_del(void *ctx, uint32_t group, const struct dp_sa *sa, const struct dp_slots *sl)
{
	struct stack *s = ctx;
	int err = 0;

	/* XDP first (stop steering), then the card. */
	for (unsigned i = s->n; i-- > 0;) {
		int e = s->m[i].ops->sa_del(s->m[i].ctx, group, sa, sl);

		if (e && !err)
			err = e;
	}
	return err;
}

/* Hold: steering first (no frame reaches the card), then the card. */
static int group_hold(void *ctx, uint32_t g, uint64_t *ep)
{
	struct stack *s = ctx;
	int err = 0;

	for (unsigned i = s->n; !err && i-- > 0;)
		err = s->m[i].ops->group_hold(s->m[i].ctx, g, ep);
	return err;
}

/* Release and the adds: the card first (it returns the epoch), then the
 * steering lets frames in again. */
static int group_release(void *ctx, uint32_t g, uint64_t *ep)
{
	struct stack *s = ctx;
	int err = 0;

	for (unsigned i = 0; !err && i < s->n; i++) {
		uint64_t e2 = 0;

		err = s->m[i].ops->group_release(s->m[i].ctx, g, i ? &e2 : ep);
	}
	return err;
}

static int group_tx_add(void *ctx, uint32_t g, uint64_t delta, bool release, uint64_t *ep)
{
	struct stack *s = ctx;
	int err = 0;

	for (unsigned i = 0; !err && i < s->n; i++) {
		uint64_t e2 = 0;

		err = s->m[i].ops->group_tx_add(s->m[i].ctx, g, delta, release, i ? &e2 : ep);
	}
	return err;
}

static int group_rx_advance(void *ctx, uint32_t g, uint64_t delta, uint64_t *ep)
{
	struct stack *s = ctx;
	int err = 0;

	for (unsigned i = 0; !err && i < s->n; i++) {
		uint64_t e2 = 0;

		err = s->m[i].ops->group_rx_advance(s->m[i].ctx, g, delta, i ? &e2 : ep);
	}
	return err;
}

static int sa_read(void *ctx, const struct dp_slots *sl, struct dp_counters *out)
{
	struct stack *s = ctx;

	return s->m[0].ops->sa_read(s->m[0].ctx, sl, out);
}

static void stack_close(void *ctx)
{
	struct stack *s = ctx;

	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		s->m[i].ops->close(s->m[i].ctx);
	free(s);
}

static const struct dp_ops stack_ops = {
	.name = "stack",
	.group_new = group_new, .group_del = group_del,
	.sa_add = sa_add, .sa_del = sa_del,
	.group_hold = group_hold, .group_release = group_release,
	.group_tx_add = group_tx_add, .group_rx_advance = group_rx_advance,
	.sa_read = sa_read, .close = stack_close,
};

int dp_stack_new(const struct dp *members, unsigned n, struct dp *out)
{
	struct stack *s;

	if (!n || n > MAX_MEMBERS)
		return -EINVAL;
	if (n == 1) {
		*out = members[0];
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n = n;
	for (unsigned i = 0; i < n; i++)
		s->m[i] = members[i];
	out->ops = &stack_ops;
	out->ctx = s;
	return 0;
}
