/* ha_repl_mem.c — in-memory R3 replication hook; see ha_repl_mem.h. */
#include "ha_repl_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int hrm_write(void *ctx, const struct ha_wal *rec)
{
	struct hrm *m = ctx;
	struct hrm_rec *r;

	if (m->fail) {
		m->refused++;
		return m->fail;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct hrm_rec *t = realloc(m->recs, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		m->recs = t;
		m->cap = cap;
	}
	r = &m->recs[m->n];
	r->w = *rec;
	r->pkt = NULL;
	if (rec->len) {
		r->pkt = malloc(rec->len);
		if (!r->pkt)
			return -ENOMEM;
		memcpy(r->pkt, rec->pkt, rec->len);
	}
	r->w.pkt = r->pkt;
	m->n++;
	return 0;
}

const struct ha_repl_ops hrm_ops = { .write = hrm_write };

void hrm_init(struct hrm *m)
{
	memset(m, 0, sizeof(*m));
}

void hrm_free(struct hrm *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->recs[i].pkt);
	free(m->recs);
	memset(m, 0, sizeof(*m));
}

const struct hrm_rec *hrm_last(const struct hrm *m, enum ha_wal_kind kind)
{
	for (size_t i = m->n; i-- > 0;)
		if (m->recs[i].w.kind == kind)
			return &m->recs[i];
	return NULL;
}

size_t hrm_count(const struct hrm *m, enum ha_wal_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += m->recs[i].w.kind == kind;
	return n;
}
