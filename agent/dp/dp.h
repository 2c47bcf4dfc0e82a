/* dp.h — the dataplane seen from the IKE engine: where Child SAs go.
 *
 * The engine never talks to the card or the XDP maps itself; it calls an
 * ops table. Group = one IKE SA (all its Child SAs, both directions); a
 * Child SA takes one inbound and one outbound slot. Implementations:
 *   dp_mem  — in memory, for unit tests and the two-peer harness;
 *   dp_card — libipsecha (hostlib/), one card group per IKE SA;
 *   dp_xdp  — the XDP steering maps (SPI -> slot/group, group state);
 *   dp_stack — several of the above in order (card then XDP).
 * All functions return 0 or -errno and change nothing on error.
 *
 * Guarantees the engine relies on:
 *  - group_new: the group starts ACTIVE (not held), tx offset 0, and every
 *    slot added to it shares its ESN mode (RFC 6311 §6.4; the card refuses
 *    mixed groups);
 *  - sa_add: the outbound slot issues tx_seq + 1 next (1 for a new SA, RFC
 *    4303 §3.3.3), the inbound window's right edge is rx_top (0: empty);
 *    both slots belong to the group;
 *  - group operations are atomic over the whole group and return the epoch
 *    at which they took effect (0 where the backend has no epochs). */
#ifndef IPSECHA_DP_H
#define IPSECHA_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ikc_alg.h"
#include "ikc_kdf.h"

struct dp_sa {
	uint32_t spi_in, spi_out;        /* host byte order */
	bool esn;
	bool encap;                      /* ESP in UDP (RFC 3948) */
	struct sockaddr_storage local, remote;   /* outer addresses + ports */
	struct ikc_suite suite;          /* encr/keybits, integ, esn */
	const struct ikc_child_keys *keys;
	bool keys_initiator;             /* we initiated the creating exchange:
	                                  * outbound uses keys->ei/ai */
	uint64_t life_packets;           /* hard packet limit, 0 = protocol max */
	/* Starting counters: 0/0 for a new SA (RFC 4303: the first packet
	 * carries 1, the window is empty); a restored SA continues here. */
	uint64_t tx_seq;                 /* last outbound number used */
	uint64_t rx_top;                 /* inbound right edge */
};

struct dp_slots {
	uint32_t in, out;
};

struct dp_counters {
	uint64_t tx_next;                /* next outbound sequence number */
	uint64_t tx_seq;                 /* last outbound number used (tx_next - 1) */
	uint64_t rx_top;                 /* highest inbound accepted */
};

struct dp_ops {
	const char *name;
	int (*group_new)(void *ctx, bool esn, uint32_t *group);
	int (*group_del)(void *ctx, uint32_t group);
	int (*sa_add)(void *ctx, uint32_t group, const struct dp_sa *sa,
		      struct dp_slots *out);
	int (*sa_del)(void *ctx, uint32_t group, const struct dp_sa *sa,
		      const struct dp_slots *slots);
	int (*group_hold)(void *ctx, uint32_t group, uint64_t *epoch);
	int (*group_release)(void *ctx, uint32_t group, uint64_t *epoch);
	int (*group_tx_add)(void *ctx, uint32_t group, uint64_t delta, bool release,
			    uint64_t *epoch);
	int (*group_rx_advance)(void *ctx, uint32_t group, uint64_t delta,
				uint64_t *epoch);
	int (*sa_read)(void *ctx, const struct dp_slots *slots, struct dp_counters *out);
	void (*close)(void *ctx);
};

struct dp {
	const struct dp_ops *ops;        /* NULL: no dataplane (IKE only) */
	void *ctx;
};

#endif
