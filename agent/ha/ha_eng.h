/* ha_eng.h — the few things RFC 6311 needs from inside the IKE engine that
 * its public API (ike.h) does not offer: the Child SAs of one IKE SA
 * without walking every SA, the IKE sender window, a local kill, and (for
 * snapshots) export and import of a whole IKE SA.
 *
 * This is the only file of agent/ha that includes the engine's internal
 * header; it keeps the coupling in one place. Moving these functions into
 * agent/ike (as ike_sa_children/ike_sa_export/ike_sa_import) is the
 * intended end state, see docs/rfc6311.md "Contracts". */
#ifndef IPSECHA_HA_ENG_H
#define IPSECHA_HA_ENG_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "ike.h"

struct hae_child {
	uint32_t id;
	uint32_t spi_in, spi_out;
	bool esn;
	bool installed;
	struct dp_slots slots;
};

/* Child SAs of sa (installed or not); returns the total count, fills at
 * most max. */
unsigned hae_children(const struct ike_sa *sa, struct hae_child *out, unsigned max);
bool hae_child_exists(const struct ike_sa *sa, uint32_t child_id);
/* The window the peer gave us for our requests (RFC 7296 §2.3), >= 1. */
uint32_t hae_window(const struct ike_sa *sa);
/* Remove the IKE SA and its Child SAs locally, without messages. */
void hae_kill(struct ike_sa *sa, const char *reason);
/* Is the original initiator us, and may this connection initiate? */
bool hae_can_initiate(const struct ike_sa *sa);

#endif
