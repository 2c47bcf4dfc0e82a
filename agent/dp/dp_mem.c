/* dp_mem.c — in-memory dataplane; see dp_mem.h. */
#include "dp_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 64

struct mgroup {
	bool used, esn, held;
	uint64_t tx_offset;
	uint64_t max_base;     /* most advanced outbound base (O(1) check) */
	uint64_t rx_advance;   /* inbound floor raise not yet folded */
	unsigned n_slots;
};

struct mslot {
	bool used, out;
	uint32_t group;
	uint32_t spi;
	uint64_t base;         /* outbound: next = base + tx_offset */
	uint64_t limit;        /* outbound hard limit (last usable number) */
	uint64_t top;          /* inbound: right edge */
	uint64_t bitmap;
	uint64_t floor;        /* inbound: everything <= floor rejected */
};

struct dp_memctx {
	unsigned n_groups, n_slots;
	struct mgroup *g;
	struct mslot *s;
	uint64_t epoch;
};

static int alloc_slot(struct dp_memctx *m)
{
	for (unsigned i = 0; i < m->n_slots; i++)
		if (!m->s[i].used)
			return (int)i;
	return -ENOSPC;
}

static int group_new(void *ctx, bool esn, uint32_t *group)
{
	struct dp_memctx *m = ctx;

	for (unsigned i = 0; i < m->n_groups; i++) {
		if (!m->g[i].used) {
			memset(&m->g[i], 0, sizeof(m->g[i]));
			m->g[i].used = true;
			m->g[i].esn = esn;
			*group = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static struct mgroup *grp(struct dp_memctx *m, uint32_t g)
{
	return g < m->n_groups && m->g[g].used ? &m->g[g] : NULL;
}

static int group_del(void *ctx, uint32_t group)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);

	if (!g)
		return -ENOENT;
	if (g->n_slots)
		return -EBUSY;
	g->used = false;
	return 0;
}

static int sa_add(void *ctx, uint32_t group, const struct dp_sa *sa, struct dp_slots *out)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);
	int in, o;

	if (!g)
		return -ENOENT;
	if (g->esn != sa->esn)
		return -EINVAL;   /* ESN must be homogeneous per group */
	in = alloc_slot(m);
	if (in < 0)
		return in;
	m->s[in].used = true;
	o = alloc_slot(m);
	m->s[in].used = false;
	if (o < 0)
		return o;
	memset(&m->s[in], 0, sizeof(m->s[in]));
	memset(&m->s[o], 0, sizeof(m->s[o]));
	m->s[in] = (struct mslot){ .used = true, .group = group, .spi = sa->spi_in,
				   .top = sa->rx_top, .floor = 0 };
	/* RFC 4303 §3.3.3: the first packet carries 1 (tx_seq 0); base is
	 * chosen so that base + current group offset = tx_seq + 1. */
	m->s[o] = (struct mslot){ .used = true, .out = true, .group = group,
				  .spi = sa->spi_out, .base = sa->tx_seq + 1 - g->tx_offset,
				  .limit = sa->life_packets ? sa->life_packets :
					   (sa->esn ? UINT64_MAX : UINT32_MAX) };
	g->n_slots += 2;
	out->in = (uint32_t)in;
	out->out = (uint32_t)o;
	return 0;
}

static int sa_del(void *ctx, uint32_t group, const struct dp_sa *sa, const struct dp_slots *sl)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);

	(void)sa;
	if (!g || sl->in >= m->n_slots || sl->out >= m->n_slots ||
	    !m->s[sl->in].used || !m->s[sl->out].used ||
	    m->s[sl->in].group != group || m->s[sl->out].group != group)
		return -ENOENT;
	m->s[sl->in].used = m->s[sl->out].used = false;
	g->n_slots -= 2;
	return 0;
}

static int group_hold(void *ctx, uint32_t group, uint64_t *epoch)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);

	if (!g)
		return -ENOENT;
	g->held = true;
	*epoch = ++m->epoch;
	return 0;
}

static int group_release(void *ctx, uint32_t group, uint64_t *epoch)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);

	if (!g)
		return -ENOENT;
	g->held = false;
	*epoch = ++m->epoch;
	return 0;
}

static int group_tx_add(void *ctx, uint32_t group, uint64_t delta, bool release,
			uint64_t *epoch)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);

	if (!g)
		return -ENOENT;
	/* Refuse (nothing changed) if any outbound slot would pass its limit. */
	for (unsigned i = 0; i < m->n_slots; i++) {
		struct mslot *s = &m->s[i];
		uint64_t next = s->base + g->tx_offset;

		if (s->used && s->out && s->group == group &&
		    (next + delta < next || next + delta > s->limit))
			return -EOVERFLOW;
	}
	g->tx_offset += delta;
	if (release)
		g->held = false;
	*epoch = ++m->epoch;
	return 0;
}

static int group_rx_advance(void *ctx, uint32_t group, uint64_t delta, uint64_t *epoch)
{
	struct dp_memctx *m = ctx;
	struct mgroup *g = grp(m, group);

	if (!g)
		return -ENOENT;
	for (unsigned i = 0; i < m->n_slots; i++) {
		struct mslot *s = &m->s[i];

		if (s->used && !s->out && s->group == group) {
			uint64_t f = s->top + delta < s->top ? UINT64_MAX : s->top + delta;

			if (f > s->floor)
				s->floor = f;
		}
	}
	*epoch = ++m->epoch;
	return 0;
}

static int sa_read(void *ctx, const struct dp_slots *sl, struct dp_counters *out)
{
	struct dp_memctx *m = ctx;

	if (sl->in >= m->n_slots || sl->out >= m->n_slots ||
	    !m->s[sl->in].used || !m->s[sl->out].used)
		return -ENOENT;
	out->tx_next = m->s[sl->out].base + m->g[m->s[sl->out].group].tx_offset;
	out->tx_seq = out->tx_next - 1;
	out->rx_top = m->s[sl->in].top;
	return 0;
}

static void mem_close(void *ctx)
{
	struct dp_memctx *m = ctx;

	if (!m)
		return;
	free(m->g);
	free(m->s);
	free(m);
}

static const struct dp_ops mem_ops = {
	.name = "mem",
	.group_new = group_new, .group_del = group_del,
	.sa_add = sa_add, .sa_del = sa_del,
	.group_hold = group_hold, .group_release = group_release,
	.group_tx_add = group_tx_add, .group_rx_advance = group_rx_advance,
	.sa_read = sa_read, .close = mem_close,
};

int dp_mem_new(unsigned groups, unsigned slots, struct dp *out)
{
	struct dp_memctx *m;

	if (!groups || !slots)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->n_groups = groups;
	m->n_slots = slots;
	m->g = calloc(groups, sizeof(*m->g));
	m->s = calloc(slots, sizeof(*m->s));
	if (!m->g || !m->s) {
		mem_close(m);
		return -ENOMEM;
	}
	out->ops = &mem_ops;
	out->ctx = m;
	return 0;
}

unsigned dp_mem_live_groups(const void *ctx)
{
	const struct dp_memctx *m = ctx;
	unsigned n = 0;

	for (unsigned i = 0; i < m->n_groups; i++)
		n += m->g[i].used;
	return n;
}

unsigned dp_mem_live_sas(const void *ctx)
{
	const struct dp_memctx *m = ctx;
	unsigned n = 0;

	for (unsigned i = 0; i < m->n_slots; i++)
		n += m->s[i].used && !m->s[i].out;
	return n;
}

int dp_mem_find_spi(const void *ctx, uint32_t spi_in, uint32_t *group,
		    struct dp_slots *slots, bool *esn)
{
	const struct dp_memctx *m = ctx;

	for (unsigned i = 0; i < m->n_slots; i++) {
		const struct mslot *s = &m->s[i];

		if (s->used && !s->out && s->spi == spi_in) {
			if (group)
				*group = s->group;
			if (esn)
				*esn = m->g[s->group].esn;
			if (slots) {
				slots->in = i;
				slots->out = UINT32_MAX;
			}
			return 0;
		}
	}
	return -ENOENT;
}

bool dp_mem_group_held(const void *ctx, uint32_t group)
{
	const struct dp_memctx *m = ctx;

	return group < m->n_groups && m->g[group].used && m->g[group].held;
}

int dp_mem_tx_next(void *ctx, uint32_t slot, uint64_t *seq)
{
	struct dp_memctx *m = ctx;
	struct mslot *s;
	struct mgroup *g;
	uint64_t next;

	if (slot >= m->n_slots || !m->s[slot].used || !m->s[slot].out)
		return -EINVAL;
	s = &m->s[slot];
	g = &m->g[s->group];
	if (g->held)
		return DP_MEM_HELD;
	next = s->base + g->tx_offset;
	if (next > s->limit || next == 0)
		return DP_MEM_EXHAUSTED;
	*seq = next;
	s->base++;
	return 0;
}

int dp_mem_rx(void *ctx, uint32_t slot, uint64_t seq)
{
	struct dp_memctx *m = ctx;
	struct mslot *s;

	if (slot >= m->n_slots || !m->s[slot].used || m->s[slot].out)
		return -EINVAL;
	s = &m->s[slot];
	if (seq == 0 || seq <= s->floor)
		return -EALREADY;
	if (seq > s->top) {
		uint64_t shift = seq - s->top;

		s->bitmap = shift >= WINDOW ? 0 : s->bitmap << shift;
		s->bitmap |= 1;
		s->top = seq;
		return 0;
	}
	if (s->top - seq >= WINDOW)
		return -EALREADY;
	if (s->bitmap & (1ULL << (s->top - seq)))
		return -EALREADY;
	s->bitmap |= 1ULL << (s->top - seq);
	return 0;
}

uint64_t dp_mem_epoch(const void *ctx)
{
	const struct dp_memctx *m = ctx;

	return m->epoch;
}
