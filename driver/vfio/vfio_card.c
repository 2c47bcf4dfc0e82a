/* vfio_card.c — the card-ABI identity check used at VFIO open. */
#include "vfio_card.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipsecha_card_abi.h"

/* One 32-bit word of the identity block, read through the mapping. BAR
 * reads are done one aligned word at a time: never with memcpy, which may
 * use wider or unaligned accesses that a device need not support. */
static uint32_t id_word(const volatile void *bar, size_t off)
{
	return ((const volatile uint32_t *)bar)[off / 4];
}

int ipsecha_vfio_check_card_identity(const volatile void *bar, size_t len, void *arg,
				     char *msg, size_t msglen)
{
	const unsigned *want = arg;
	unsigned major = want ? want[0] : ICA_ABI_MAJOR, minor = want ? want[1] : ICA_ABI_MINOR;
	uint32_t magic, ver, state, bar_size;

	if (!bar || len < sizeof(struct ica_id)) {
		snprintf(msg, msglen, "window of %zu bytes cannot hold an identity block", len);
		return -EPROTO;
	}
	magic = id_word(bar, offsetof(struct ica_id, magic));
	state = id_word(bar, offsetof(struct ica_id, state));
	if (magic != ICA_MAGIC) {
		/* A card still booting publishes the block with state last:
		 * leave that case to libipsecha, which waits for READY. */
		if (state == ICA_STATE_BOOTING)
			return 0;
		snprintf(msg, msglen, "magic 0x%08x, expected 0x%08x", magic, ICA_MAGIC);
		return -EPROTO;
	}
	ver = id_word(bar, offsetof(struct ica_id, abi_major)); /* major | minor << 16 */
	if ((ver & 0xffff) != major || (ver >> 16) < minor) {
		snprintf(msg, msglen, "card ABI %u.%u, this host speaks %u.%u (needs major %u, "
			 "minor >= %u)", ver & 0xffff, ver >> 16, major, minor, major, minor);
		return -EPROTONOSUPPORT;
	}
	bar_size = id_word(bar, offsetof(struct ica_id, bar_size));
	if (bar_size > len) {
		snprintf(msg, msglen, "card publishes a %u-byte BAR, only %zu bytes are mapped",
			 bar_size, len);
		return -ENOSPC;
	}
	return 0;
}
