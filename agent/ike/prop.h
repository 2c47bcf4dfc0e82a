/* prop.h — SA proposal construction and selection (RFC 7296 §2.7, §3.3).
 *
 * Our proposals come from the configuration as struct ikc_proposal; the
 * peer's arrive as struct ikm_proposal. The responder selects one of the
 * peer's proposals and one transform of each type from it (prop_select);
 * the initiator checks that the answer is one of its own offers narrowed
 * to one transform per type (prop_accept). Pure functions, table-tested. */
#ifndef IPSECHA_PROP_H
#define IPSECHA_PROP_H

#include "ikc_alg.h"
#include "msg.h"

/* Constraints on a selection. */
struct prop_want {
	uint8_t proto;         /* PROTO_IKE / PROTO_ESP */
	uint8_t spi_size;      /* required SPI size in the peer's proposal
	                        * (IKE_SA_INIT 0, IKE rekey 8, ESP 4) */
	bool ignore_ke;        /* IKE_AUTH Child SA: KE transforms are ignored
	                        * (RFC 7296 §1.2: no KE in IKE_AUTH) */
	uint16_t ke_group;     /* IKE / PFS: only select this KE group (0 = any) */
	uint8_t esn_mask;      /* ESP: allowed ESN values, bit (1 << value);
	                        * 0 = both */
};

struct prop_result {
	struct ikc_suite suite;
	uint8_t num;           /* the peer's Proposal Num */
	uint8_t spi_size;
	uint8_t spi[IKM_MAX_SPI];
};

/* Convert our configured proposal to the wire form with number num and
 * the given SPI; strip KE transforms when no_ke. */
void prop_to_wire(const struct ikc_proposal *cfg, uint8_t num, const uint8_t *spi,
		  uint8_t spi_size, bool no_ke, uint8_t esn_mask, struct ikm_proposal *out);

/* The wire form of a single selected suite (a responder's answer). */
void prop_suite_to_wire(const struct ikc_suite *s, uint8_t proto, uint8_t num,
			const uint8_t *spi, uint8_t spi_size, struct ikm_proposal *out);

/* Responder: choose from the peer's proposals, in our configured order.
 * 0 and *res, or -ENOENT (no acceptable proposal). */
int prop_select(const struct ikc_proposal *ours, size_t n_ours,
		const struct ikm_proposal *theirs, unsigned n_theirs,
		const struct prop_want *want, struct prop_result *res);

/* Initiator: the responder's answer (exactly one proposal with one
 * transform per type) must match one of our offers. 0 / -EBADMSG. */
int prop_accept(const struct ikc_proposal *ours, size_t n_ours,
		const struct ikm_proposal *answer, unsigned n_answer,
		const struct prop_want *want, struct prop_result *res);

/* First KE group of our proposals (initiator's guess), 0 if none. */
uint16_t prop_first_ke(const struct ikc_proposal *ours, size_t n_ours);
/* Is group offered in any of our proposals? */
bool prop_has_ke(const struct ikc_proposal *ours, size_t n_ours, uint16_t group);

#endif
