/* refmodel.h — an independent userspace model of the steering program's
 * classification (docs/xdp.md, "Verdicts"), written with plain offsets
 * rather than the program's cursor, for differential tests: random frames
 * go through both, and every verdict, reason and metadata must agree. */
#ifndef IPSX_REFMODEL_H
#define IPSX_REFMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ipsecha_xdp.h"

struct ref_env {
	struct ipsecha_xdp_policy pol;
	/* SA lookup by host-order SPI: 1 found (slot, group set), 0 not. */
	int (*sa_lookup)(void *ctx, uint32_t spi, uint32_t *slot, uint32_t *group);
	/* Group state: 0 ok (state set), -1 group outside the array. */
	int (*group_state)(void *ctx, uint32_t group, uint32_t *state);
	void *ctx;
	int xsk_bound;           /* a socket on the frame's rx queue */
};

struct ref_result {
	int action;              /* XDP_PASS / XDP_DROP / XDP_REDIRECT */
	unsigned int reason;     /* enum ipsecha_xdp_reason */
	struct ipsecha_xdp_meta meta;   /* valid when action == XDP_REDIRECT ... */
	int has_meta;                   /* ... and written in front (policy meta) */
};

void ref_classify(const uint8_t *f, size_t len, const struct ref_env *env, struct ref_result *r);

#endif
