/* vfio_card.h — what driver/vfio knows about the card ABI: the identity
 * check run on the mapped card BAR at open (firmware/include/
 * ipsecha_card_abi.h), so that a device without a card behind it, or with
 * a card of another ABI, is refused with a VFIO-level diagnosis. libipsecha
 * repeats the full geometry check after open; this one only has to be
 * right about "is there a card of our ABI major/minor here". */
#ifndef IPSECHA_VFIO_CARD_H
#define IPSECHA_VFIO_CARD_H

#include <stddef.h>

/* An ipsecha_vfio_identity_fn. arg: NULL for this build's ABI, or a
 * `const unsigned[2]` {major, minor} to check against (tests).
 * Returns 0; -EPROTO: no identity block (bad magic, and the card is not
 * booting); -EPROTONOSUPPORT: ABI major differs or card minor is older;
 * -ENOSPC: the card claims a BAR larger than the one mapped. */
int ipsecha_vfio_check_card_identity(const volatile void *bar, size_t len, void *arg,
				     char *msg, size_t msglen);

#endif
