/* ha_eng.c — engine internals for RFC 6311; see ha_eng.h. */
#include "ha_eng.h"

#include "ike_int.h"

unsigned hae_children(const struct ike_sa *sa, struct hae_child *out, unsigned max)
{
	unsigned n = 0;

	for (const struct ike_child *c = sa->children; c; c = c->next, n++) {
		if (n >= max)
			continue;
		out[n] = (struct hae_child){
			.id = c->id, .spi_in = c->spi_in, .spi_out = c->spi_out,
			.esn = c->suite.esn == ESN_YES, .installed = c->installed,
			.slots = c->slots,
		};
	}
	return n;
}

bool hae_child_exists(const struct ike_sa *sa, uint32_t child_id)
{
	for (const struct ike_child *c = sa->children; c; c = c->next)
		if (c->id == child_id)
			return true;
	return false;
}

uint32_t hae_window(const struct ike_sa *sa)
{
	return sa->win_out ? sa->win_out : 1;
}

void hae_kill(struct ike_sa *sa, const char *reason)
{
	struct ike_engine *e = sa->e;

	ike_begin_event(e);
	ike_sa_kill(sa, reason);
	ike_end_event(e);
}

bool hae_can_initiate(const struct ike_sa *sa)
{
	return !sa->conn->c.remote_any && sa->conn->current &&
	       (sa->initiator || sa->conn->c.auto_start);
}
