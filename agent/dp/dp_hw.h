/* dp_hw.h — the real dataplanes: the card through libipsecha (dp_card), the
 * XDP steering maps (dp_xdp), and a stack that applies every operation to
 * each member in order (dp_stack: card first, then XDP). They implement the
 * struct dp_ops contract of dp.h. */
#ifndef IPSECHA_DP_HW_H
#define IPSECHA_DP_HW_H

#include "dp.h"

struct ipsecha;
struct ipsecha_xdp;

/* The card: host-side allocation of groups and slots over the whole card
 * (the agent owns the card). Takes ownership of h. */
int dp_card_new(struct ipsecha *h, struct dp *out);
/* The card of a dp_card (for readbacks, events), or NULL. */
struct ipsecha *dp_card_handle(const struct dp *dp);

/* XDP maps of one interface: SPI -> (slot, group) for our inbound SPIs and
 * group hold/release. Needs the card's slot numbers, so it only makes sense
 * stacked after a dp_card. Takes ownership of h. */
int dp_xdp_new(struct ipsecha_xdp *h, struct dp *out);

/* Stack up to 4 dataplanes (the first one allocates groups and slots, the
 * others mirror them). Takes ownership of the members. */
int dp_stack_new(const struct dp *members, unsigned n, struct dp *out);

#endif
