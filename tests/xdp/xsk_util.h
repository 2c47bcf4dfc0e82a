/* xsk_util.h — a receive-only AF_XDP socket (libxdp xsk API) standing in
 * for the card's data path in the tests: copy mode, one queue, no program
 * of its own (the ipsecha program redirects to it through its XSKMAP). */
#ifndef IPSX_XSK_UTIL_H
#define IPSX_XSK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ipsecha_xdp_abi.h"

struct xskrx;

/* Bound to ifname/queue in the caller's network namespace. 0 or -errno. */
int xskrx_open(struct xskrx **out, const char *ifname, uint32_t queue);
void xskrx_close(struct xskrx *x);
int xskrx_fd(const struct xskrx *x);

/* Receive one frame (waiting up to timeout_ms): copies it into buf and the
 * IPSECHA_XDP_META_LEN bytes before it into *meta. 1 = got one, 0 = timed
 * out, <0 = error. */
int xskrx_recv(struct xskrx *x, int timeout_ms, uint8_t *buf, size_t cap, size_t *len,
	       struct ipsecha_xdp_meta *meta);

/* Kernel counters of the socket (XDP_STATISTICS): rx_dropped etc. */
int xskrx_stats(struct xskrx *x, uint64_t *rx_dropped, uint64_t *rx_ring_full);

#endif
